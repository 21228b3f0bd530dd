"""Readers and writers: FASTA, CSV/TSV (also DNABERT's k-mer TSV), split folders.

Every reader yields :class:`Record` objects one at a time (nothing is held in a list),
with sequences normalised by :func:`dnalm.io.sequence.normalize`. Malformed input raises
:class:`DataFormatError` naming the file, the line and, where there is one, the record.
Nothing is skipped silently. Genomes are read in blocks of bounded size
(:func:`read_fasta_blocks`), so no chromosome is held whole.

The modules: :mod:`~dnalm.io.base` (the record, the error, numbered lines of plain or gzip
files), :mod:`~dnalm.io.fasta`, :mod:`~dnalm.io.table` (CSV/TSV and labels) and
:mod:`~dnalm.io.datasets` (class files, split folders, any file by its content, copying).

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "x.fa")
>>> _ = open(path, "w").write(">r1 promoter\\nacgu\\nNNac\\n>r2\\nGGG\\n")
>>> [(r.id, r.sequence, r.description) for r in read_sequences(path)]
[('r1', 'ACGTNNAC', 'promoter'), ('r2', 'GGG', None)]
"""

from dnalm.io.base import DataFormatError, Record
from dnalm.io.datasets import (
    copy_records,
    find_splits,
    parse_class_files,
    read_labeled_fasta,
    read_records,
    read_sequences,
)
from dnalm.io.fasta import FastaBlock, read_fasta, read_fasta_blocks, write_fasta
from dnalm.io.table import canonical_label, read_table, write_table

__all__ = [
    "DataFormatError",
    "FastaBlock",
    "Record",
    "canonical_label",
    "copy_records",
    "find_splits",
    "parse_class_files",
    "read_fasta",
    "read_fasta_blocks",
    "read_labeled_fasta",
    "read_records",
    "read_sequences",
    "read_table",
    "write_fasta",
    "write_table",
]
