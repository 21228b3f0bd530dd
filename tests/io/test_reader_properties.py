"""Properties of dnalm.io: every reader, given any bytes under any supported name, returns records or
raises a DataFormatError that names the file (never another exception); written records read back
unchanged; a copy without some records reads as the records without them."""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnalm.io import (
    DataFormatError,
    Record,
    copy_records,
    read_fasta,
    read_fasta_blocks,
    read_labeled_fasta,
    read_sequences,
    read_table,
    write_fasta,
    write_table,
)

IUPAC = set("ACGTRYSWKMBDHVN")
NAMES = ["x.fa", "x.fasta", "x.csv", "x.tsv", "x.txt", "x.fa.gz", "x.csv.gz", "x.tsv.gz", "x.gz", "x"]
READERS = {
    "read_sequences": lambda p: read_sequences(p),
    "read_sequences_labels": lambda p: read_sequences(p, labels=["0", "1", "pos"]),
    "read_fasta": lambda p: read_fasta(p, label="c"),
    "read_table": lambda p: read_table(p),
    "read_table_kmers": lambda p: read_table(p, kmer_input=True),
    "read_table_columns": lambda p: read_table(p, sequence_column="dna", label_column="class"),
    "read_labeled_fasta": lambda p: read_labeled_fasta({"c": p}),
    "read_fasta_blocks": lambda p: _joined_blocks(p),
}


def _joined_blocks(path) -> list[Record]:
    """read_fasta_blocks' blocks put back together: the records read_fasta reads (ids and sequences)."""
    out: list[Record] = []
    for b in read_fasta_blocks(path, size=3):
        if b.start == 0:
            out.append(Record(b.id, b.sequence))
        else:
            assert b.start == len(out[-1].sequence) and b.id == out[-1].id
            out[-1] = Record(b.id, out[-1].sequence + b.sequence)
    assert out == [Record(r.id, r.sequence) for r in read_fasta(path)]
    return out


ENDINGS = st.sampled_from(["\n", "\r\n", "\r", ""])
BASES = st.text(alphabet="ACGTNacgtuRYn", min_size=0, max_size=12)
NOISE = st.text(alphabet="ACGT >,;\t\"'#-.0123456789eE+xé\u017f\ufb06\x00\x0c\x1c\u2028", max_size=8)
FIELD = st.one_of(
    BASES,
    NOISE,
    st.sampled_from(["1", "0", "1.0", "pos", "nan", "", "ACG CGT GTA", "ACG GTT", "AC ACG", '"A,C"', '"', "1e999"]),
)
IDS = st.text(alphabet="abcXYZ019_.|-", min_size=1, max_size=8)
COLUMN = st.sampled_from(["sequence", "seq", "dna", "label", "class", "id", "name", "extra", "", "Sequence "])


@st.composite
def fasta_text(draw) -> str:
    """Valid FASTA (ids with descriptions, multi-line, soft-masked, blank lines) or noise in FASTA's shape."""
    if draw(st.booleans()):
        lines = draw(st.lists(st.one_of(st.builds(lambda t: ">" + t, NOISE), BASES, NOISE, st.just("")), max_size=8))
    else:
        records = draw(
            st.lists(st.tuples(IDS, st.lists(BASES.filter(bool), min_size=1, max_size=3)), min_size=1, max_size=4)
        )
        lines = [line for rid, seq in records for line in [f">{rid} some description", *seq, *[""][: len(rid) % 2]]]
    return "".join(line + draw(ENDINGS) for line in lines)


@st.composite
def table_text(draw) -> str:
    """A table with the right columns (quoted fields, ids, extra columns) or noise in a table's shape."""
    delimiter = draw(st.sampled_from([",", "\t", ";"]))
    if draw(st.booleans()):
        header = draw(st.lists(COLUMN, min_size=1, max_size=4))
        fields = st.lists(FIELD, min_size=5, max_size=5)
        rows = draw(
            st.lists(
                st.builds(lambda k, fs: fs[: max(k, 0)], st.integers(len(header) - 1, len(header) + 1), fields),
                max_size=6,
            )
        )
    else:
        header = draw(
            st.permutations(["sequence", *draw(st.lists(st.sampled_from(["id", "label", "note"]), unique=True))])
        )
        labels = draw(st.sampled_from([["0", "1", "1.0"], ["pos", "neg"]]))
        column = {
            "sequence": BASES.filter(str.strip),
            "id": IDS,
            "label": st.sampled_from(labels),
            "note": st.sampled_from(["", "x", f'"a{delimiter}b"', '"two\nlines"', '"say ""hi"""']),
        }
        rows = draw(st.lists(st.tuples(*[column[c] for c in header]), min_size=1, max_size=5))
    return "".join(delimiter.join(r) + draw(ENDINGS) for r in [header, *rows])


@st.composite
def file_bytes(draw) -> bytes:
    data = draw(st.one_of(st.binary(max_size=64), fasta_text().map(str.encode), table_text().map(str.encode)))
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data if draw(st.booleans()) else data
    if draw(st.integers(0, 3)) == 0 and data:  # one damaged byte
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
    if draw(st.booleans()):
        data = gzip.compress(data, mtime=0)
        cut = draw(st.sampled_from([None, None, 2, 10, -1, -5]))  # complete, or truncated
        if cut is not None:
            data = data[:cut]
    return data


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("probe")


@pytest.mark.parametrize("reader", sorted(READERS))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=file_bytes(), name=st.sampled_from(NAMES))
def test_reader_returns_records_or_names_the_file(folder, reader, data, name):
    path = folder / name
    path.write_bytes(data)
    try:
        records = list(READERS[reader](path))
    except DataFormatError as err:
        assert str(path) in str(err) and err.path == str(path)
        n_lines = _n_lines(data)
        assert err.line is None or n_lines is None or 1 <= err.line <= n_lines, (err, n_lines)
        return
    assert all(isinstance(r, Record) and isinstance(r.id, str) for r in records)
    assert all(r.sequence and set(r.sequence) <= IUPAC for r in records), records
    if reader == "read_sequences":  # a copy without every other record reads as the records without them
        copy = folder / "copy" / name
        copy.parent.mkdir(exist_ok=True)
        assert copy_records(path, copy, drop=range(1, len(records), 2)) == len(records[::2])
        again = list(read_sequences(copy))
        if [r.id for r in records] == [str(i) for i in range(len(records))]:  # a table's row numbers: renumbered
            again = [replace(r, id=str(2 * i)) for i, r in enumerate(again)]
        assert again == records[::2]


def _n_lines(data: bytes) -> int | None:
    """Lines of the (decompressed) file as the readers count them; None for damaged gzip."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error):
            return None
    return len(re.split(rb"\r\n|\r|\n", data))


SEQS = st.text(alphabet=sorted(IUPAC), min_size=1, max_size=30)
LABELS = st.sampled_from([None, ["0", "1", "2"], ["pos", "neg"], ["0011", "1100"], ["1;3", "2"]])


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(IDS, min_size=1, max_size=6),
    seqs=st.lists(SEQS, min_size=6, max_size=6),
    label_set=LABELS,
    name=st.sampled_from(["r.fa", "r.fa.gz", "r.csv", "r.tsv", "r.csv.gz", "r.tsv.gz"]),
    data=st.data(),
)
def test_written_records_read_back_unchanged(folder, ids, seqs, label_set, name, data):
    labels = [None if label_set is None else data.draw(st.sampled_from(label_set)) for _ in ids]
    records = [Record(i, s, lab) for i, s, lab in zip(ids, seqs, labels)]
    path = folder / name
    if ".fa" in name:
        write_fasta(records, path, width=data.draw(st.integers(1, 12)))
        expected = [Record(r.id, r.sequence) for r in records]
    else:
        write_table(records, path, with_id=True)
        expected = [Record(r.id, r.sequence, r.label or "") for r in records]
    assert list(read_sequences(path)) == expected
