"""FASTA(.gz): whole records, or a record's bases in blocks of bounded size (for genomes), and writing."""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dnalm.io.base import DataFormatError, Record, numbered_lines
from dnalm.io.sequence import SequenceError, normalize

__all__ = ["FastaBlock", "fasta_line_groups", "read_fasta", "read_fasta_blocks", "write_fasta"]


@dataclass(frozen=True, slots=True)
class FastaBlock:
    """Consecutive bases ``[start, start + len(sequence))`` of the record ``id``; ``last`` on its final block;
    ``line``: the line of the record's header."""

    id: str
    start: int
    sequence: str
    last: bool
    line: int | None = None


def _parts(path: Path) -> Iterator[tuple[str, int, str | None]]:
    """(header, its line number, normalised line) for each sequence line, then (header, line, None) at the
    end of each record."""
    header: str | None = None
    header_line = 0
    length = 0
    for lineno, line in numbered_lines(path):
        line = line.strip()
        if not line:
            continue
        if line.startswith(">"):
            if header is not None:
                if not length:
                    raise DataFormatError(path, header_line, "empty sequence", record=header)
                yield header, header_line, None
            header, header_line, length = line[1:].strip(), lineno, 0
            if not header:
                raise DataFormatError(path, lineno, "a FASTA header without an id (nothing after '>')")
            continue
        if header is None:
            raise DataFormatError(path, lineno, "sequence data before the first '>' header; is this FASTA?")
        try:
            yield header, header_line, normalize(line)
        except SequenceError as err:
            raise DataFormatError(
                path,
                lineno,
                f"column {err.position}: {err.char!r} is not a nucleotide code "
                f"(sequence position {length + err.position})",
                record=header,
            ) from None
        length += len(line)
    if header is None:
        raise DataFormatError(path, None, "no FASTA record found (empty file?)")
    if not length:
        raise DataFormatError(path, header_line, "empty sequence", record=header)
    yield header, header_line, None


def read_fasta(path: str | Path, *, label: str | None = None) -> Iterator[Record]:
    """Stream records from a FASTA or FASTA.gz file (multi-line, CRLF, soft-masked).

    The record id is the header's first word (the convention of FASTA tools), the rest of the
    header its ``description``. ``label`` is attached to every record (for one-file-per-class datasets).
    """
    chunks: list[str] = []
    for header, line, part in _parts(Path(path)):
        if part is not None:
            chunks.append(part)
            continue
        name, *rest = header.split(maxsplit=1)
        yield Record(name, "".join(chunks), label, rest[0] if rest else None, str(path), line)
        chunks = []


def read_fasta_blocks(path: str | Path, size: int = 1 << 20) -> Iterator[FastaBlock]:
    """Stream each record's bases in consecutive blocks of ``size`` bases or a line more, so a
    chromosome is never held whole; a record's last block (``last=True``) may be short or empty.
    Validated as :func:`read_fasta` validates.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "g.fa")
    >>> _ = open(path, "w").write(">chr1 x\\nACGT\\nACGT\\nAC\\n>chr2\\nGG\\n")
    >>> [(b.id, b.start, b.sequence, b.last) for b in read_fasta_blocks(path, size=5)]
    [('chr1', 0, 'ACGTACGT', False), ('chr1', 8, 'AC', True), ('chr2', 0, 'GG', True)]
    """
    if size < 1:
        raise ValueError(f"block size must be at least 1 base; got {size}")
    chunks: list[str] = []
    held = start = 0
    for header, line, part in _parts(Path(path)):
        name = header.split(maxsplit=1)[0]
        if part is None:
            yield FastaBlock(name, start, "".join(chunks), True, line)
            chunks, held, start = [], 0, 0
            continue
        chunks.append(part)
        held += len(part)
        if held >= size:
            yield FastaBlock(name, start, "".join(chunks), False, line)
            chunks, start, held = [], start + held, 0


def write_fasta(records: Iterable[Record], path: str | Path, width: int = 80) -> int:
    """Write records as FASTA (gzip if the name ends in .gz); returns the count."""
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    n = 0
    with opener(path, "wt", encoding="utf-8") as fh:
        for n, rec in enumerate(records, start=1):
            fh.write(f">{rec.id} {rec.description}\n" if rec.description else f">{rec.id}\n")
            for i in range(0, len(rec.sequence), width):
                fh.write(rec.sequence[i : i + width] + "\n")
    return n


def fasta_line_groups(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
    """(record index, its lines: the header and what follows up to the next header)."""
    index, group = -1, []
    for _, line in lines:
        if line.strip().startswith(">"):
            if group:
                yield index, group
            index, group = index + 1, []
        group.append(line)
    if group:
        yield index, group
