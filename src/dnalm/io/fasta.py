"""FASTA(.gz): whole records, or a record's bases in blocks of bounded size (for genomes), and writing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dnalm.io.base import DataFormatError, Record, numbered_lines
from dnalm.io.sequence import NOT_ACGT, ReadChanges, SequenceError, normalize

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
    changes = ReadChanges()
    for lineno, line in numbered_lines(path):
        line = line.strip()
        if not line:
            continue
        if line.startswith(">"):
            if header is not None:
                if not length:
                    raise DataFormatError(path, header_line, "empty sequence", record=header)
                changes.end_record()
                yield header, header_line, None
            header, header_line, length = line[1:].strip(), lineno, 0
            if not header:
                raise DataFormatError(path, lineno, "a FASTA header without an id (nothing after '>')")
            if control := next((c for c in header if c < " " and c != "\t"), None):  # a NUL went into output ids
                raise DataFormatError(
                    path, lineno, f"column {line.index(control) + 1}: the header holds a control character {control!r}"
                )
            continue
        if header is None:
            if line.startswith(";"):  # an old FASTA comment line
                raise DataFormatError(path, lineno, "a ';' comment line: dnalm reads FASTA without comments; remove it")
            raise DataFormatError(path, lineno, "sequence data before the first '>' header; is this FASTA?")
        try:
            seq = normalize(line)
        except SequenceError as err:
            raise DataFormatError(
                path,
                lineno,
                f"column {err.position}: {err.char!r} is not a nucleotide code "
                f"(sequence position {length + err.position})",
                record=header,
            ) from None
        if line != seq:  # inline, not changes.see: this runs once per line of a genome
            changes.changed(line)
        if unknown := len(seq.translate(NOT_ACGT)):
            changes.unknown(unknown)
        yield header, header_line, seq
        length += len(line)
    if header is None:
        raise DataFormatError(path, None, "no FASTA record found (empty file?)")
    if not length:
        raise DataFormatError(path, header_line, "empty sequence", record=header)
    changes.end_record()
    yield header, header_line, None
    changes.say(path)


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
    """Write records as FASTA, ``width`` bases a line (gzip if the name ends in .gz); returns the count.

    The file is written beside ``path`` and renamed onto it when complete, so records read from ``path`` itself
    can be written back to it. A record that would not read back as itself is refused: an empty id or sequence,
    a line break in a field, a sequence that is not letters (IUPAC, soft-masked lower case) or gaps."""
    from dnalm.io.files import atomic_open
    from dnalm.settings import check_count

    check_count(width, "width (bases a line)")
    if isinstance(records, str | bytes | Record):
        raise TypeError(f"records must be a list (or iterable) of Record; got one {type(records).__name__}")
    n = 0
    with atomic_open(path, "w") as fh:
        for n, rec in enumerate(records, start=1):
            _check_writable(rec, n)
            fh.write(f">{rec.id} {rec.description}\n" if rec.description else f">{rec.id}\n")
            for i in range(0, len(rec.sequence), width):
                fh.write(rec.sequence[i : i + width] + "\n")
    return n


def _check_writable(rec, n: int) -> None:
    """A record that FASTA holds as it is (see :func:`write_fasta`)."""
    if not isinstance(rec, Record):
        raise TypeError(f"record {n}: a Record was expected; got {type(rec).__name__}")
    fields = {"id": rec.id, "description": rec.description or "", "sequence": rec.sequence}
    if broken := [k for k, v in fields.items() if not isinstance(v, str) or "\n" in v or "\r" in v]:
        raise ValueError(f"record {n} ({rec.id!r}): its {broken[0]} is not one line of text")
    if not rec.id.strip() or any(c.isspace() for c in rec.id):
        raise ValueError(f"record {n}: a FASTA id is one word (no spaces); got {rec.id!r}")
    if not rec.sequence or not _SEQUENCE.fullmatch(rec.sequence):
        raise ValueError(
            f"record {n} ({rec.id!r}): a sequence of letters (or '-', '.', '*') was expected; got "
            f"{rec.sequence[:20]!r}{' ...' if len(rec.sequence) > 20 else ''}"
        )


_SEQUENCE = re.compile(r"[A-Za-z.*-]+")


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
