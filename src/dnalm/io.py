"""Readers and writers: FASTA, CSV/TSV (also DNABERT's k-mer TSV), split folders.

Every reader yields :class:`Record` objects one at a time (nothing is held in a list),
with sequences normalised by :func:`dnalm.sequence.normalize`. Malformed input raises
:class:`DataFormatError` naming the file, the line and, where there is one, the record.
Nothing is skipped silently.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "x.fa")
>>> _ = open(path, "w").write(">r1 promoter\\nacgu\\nNNac\\n>r2\\nGGG\\n")
>>> [(r.id, r.sequence, r.description) for r in read_sequences(path)]
[('r1', 'ACGTNNAC', 'promoter'), ('r2', 'GGG', None)]
"""

from __future__ import annotations

import codecs
import csv
import gzip
import math
import re
import shutil
import zlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dnalm.sequence import SequenceError, kmers_to_sequence, normalize

__all__ = [
    "DataFormatError",
    "Record",
    "copy_records",
    "find_splits",
    "read_fasta",
    "read_labeled_fasta",
    "read_sequences",
    "read_table",
    "write_fasta",
    "write_table",
]

SPLIT_ALIASES = {"train": ("train",), "dev": ("dev", "valid", "validation", "val"), "test": ("test",)}
SEQUENCE_COLUMNS = ("sequence", "seq", "sequences", "dna")
LABEL_COLUMNS = ("label", "class", "labels", "target")
ID_COLUMNS = ("id", "name", "seq_id", "sequence_id")
FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".ffn", ".fas")
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
# csv's default field limit (131,072 characters) is shorter than many sequences; 2**31 - 1 fits a C long everywhere.
CSV_FIELD_LIMIT = 2**31 - 1
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True, slots=True)
class Record:
    """One sequence: an id, the normalised sequence and an optional label (as text).

    Table readers write numeric labels in one form (``1.0`` -> ``1``, see :func:`canonical_label`).
    A FASTA header's first word is the id and the rest its ``description``.
    """

    id: str
    sequence: str
    label: str | None = None
    description: str | None = None


class DataFormatError(ValueError):
    """Malformed input file; the message names the file, the line and the record."""

    def __init__(self, path: str | Path, line: int | None, message: str, record: str | None = None):
        where = f"{path}" + (f":{line}" if line is not None else "")
        rec = f" record {record!r}:" if record is not None else ""
        super().__init__(f"{where}:{rec} {message}")
        self.path, self.line, self.record = str(path), line, record


def _open_binary(path: Path):
    """Open plain or gzip data (detected by magic bytes, not by name)."""
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def _strip_gz(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line without its LF, CRLF or lone-CR ending), a leading UTF-8 BOM
    dropped; a line that is not UTF-8 and a truncated or corrupt gzip stream are named."""
    lineno = 0
    with _open_binary(path) as fh:
        try:
            for raw in fh:
                raw = raw.rstrip(b"\r\n")
                if lineno == 0 and raw.startswith(codecs.BOM_UTF8):  # Excel's UTF-8 exports
                    raw = raw[len(codecs.BOM_UTF8) :]
                for piece in raw.split(b"\r") if b"\r" in raw else (raw,):  # lone CR: old Mac line ends
                    lineno += 1
                    try:
                        line = piece.decode("utf-8")
                    except UnicodeDecodeError as err:
                        raise DataFormatError(
                            path, lineno, f"not UTF-8 text ({err.reason} at byte {err.start + 1})"
                        ) from None
                    yield lineno, line
        except EOFError:
            raise DataFormatError(
                path,
                None,
                f"truncated gzip: the compressed data ends early (after line {lineno}); is the file complete?",
            ) from None
        except (gzip.BadGzipFile, zlib.error) as err:
            raise DataFormatError(path, None, f"corrupt gzip ({err}) after line {lineno}") from None


def read_fasta(path: str | Path, *, label: str | None = None) -> Iterator[Record]:
    """Stream records from a FASTA or FASTA.gz file (multi-line, CRLF, soft-masked).

    The record id is the header's first word (the convention of FASTA tools), the rest of the
    header its ``description``. ``label`` is attached to every record (for one-file-per-class datasets).
    """
    path = Path(path)
    header: str | None = None
    header_line = 0
    chunks: list[str] = []
    length = 0
    n_records = 0
    for lineno, line in _lines(path):
        line = line.strip()
        if not line:
            continue
        if line.startswith(">"):
            if header is not None:
                if not chunks:
                    raise DataFormatError(path, header_line, "empty sequence", record=header)
                yield _fasta_record(header, chunks, label)
                n_records += 1
            header, header_line, chunks, length = line[1:].strip(), lineno, [], 0
            if not header:
                raise DataFormatError(path, lineno, "a FASTA header without an id (nothing after '>')")
            continue
        if header is None:
            raise DataFormatError(path, lineno, "sequence data before the first '>' header; is this FASTA?")
        try:
            chunks.append(normalize(line))
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
    if not chunks:
        raise DataFormatError(path, header_line, "empty sequence", record=header)
    yield _fasta_record(header, chunks, label)


def _fasta_record(header: str, chunks: list[str], label: str | None) -> Record:
    name, *rest = header.split(maxsplit=1)
    return Record(name, "".join(chunks), label, rest[0] if rest else None)


def canonical_label(label: str) -> str:
    """One text form per number, so ``1`` and ``1.0`` are one class; other text is returned as written.

    Plain digit strings stay as written: they may be per-base labels such as ``0011100``.

    >>> [canonical_label(x) for x in ["1.0", "+1e0", "0.50", "-0.0", "007", "pos"]]
    ['1', '1', '0.5', '0', '007', 'pos']
    """
    if (label.isascii() and label.isdigit()) or not _NUMBER.fullmatch(label):
        return label
    x = float(label)
    if not math.isfinite(x):
        return label
    return str(int(x)) if x.is_integer() else repr(x)


def _label_kind(label: str) -> str:
    """``"none"``, ``"number"`` or ``"text"``; multi-label (``1;3``) and per-base (``0 1 1``) labels
    are numbers when every part is."""
    parts = re.split(r"[;\s]+", label.strip())
    if not any(parts):
        return "none"
    return "number" if all(_NUMBER.fullmatch(p) for p in parts if p) else "text"


def _check_label(label: str, kind: str, first: tuple[int, str, str], path: Path, lineno: int, rid: str) -> None:
    """Every label of a file is of the kind of the first (numbers, names, or none at all)."""
    first_line, first_label, first_kind = first
    if kind == first_kind:
        return
    if kind == "none":
        message = f"no label, but line {first_line} has one ({first_label!r}); label every row or none"
    elif first_kind == "none":
        message = f"label {label!r}, but line {first_line} has none; label every row or none"
    else:
        what = "is a number" if kind == "number" else "is not a number"
        message = (
            f"label {label!r} {what}, but line {first_line}'s label {first_label!r} "
            f"{'is not' if kind == 'number' else 'is'}; labels are all numbers or all names"
        )
    raise DataFormatError(path, lineno, message, record=rid)


def _columns(header: list[str]) -> str:
    """The header for a message, each name cut to 40 characters (a headerless file's first row may be a
    whole sequence)."""
    return "[" + ", ".join(repr(h if len(h) <= 40 else h[:37] + "...") for h in header) + "]"


def _delimiter(path: Path, header: str) -> str:
    """Tab for .tsv(.gz) or a header with tabs and no commas, else comma."""
    return "\t" if _strip_gz(path).endswith(".tsv") or ("\t" in header and "," not in header) else ","


def _pick_column(
    header: list[str], wanted: str | None, candidates: tuple[str, ...], path: Path, what: str, required: bool
) -> int | None:
    lowered = [h.strip().lower() for h in header]
    if wanted is not None:
        if wanted.lower() not in lowered:
            raise DataFormatError(path, 1, f"no {what} column {wanted!r}; columns are {_columns(header)}")
        return lowered.index(wanted.lower())
    for name in candidates:
        if name in lowered:
            return lowered.index(name)
    if required:
        raise DataFormatError(
            path,
            1,
            f"no {what} column among {list(candidates)}; columns are {_columns(header)} "
            f"(name it with sequence_column= / --sequence-column)",
        )
    return None


def read_table(
    path: str | Path,
    *,
    sequence_column: str | None = None,
    label_column: str | None = None,
    labels: Iterable[str] | None = None,
    kmer_input: bool | None = None,
) -> Iterator[Record]:
    """Stream records from a CSV/TSV(.gz) file with a header row.

    The sequence column is ``sequence_column`` or one of ``sequence``/``seq``; the
    label column is ``label_column`` or one of ``label``/``class`` (optional). A
    sequence written as space-separated overlapping k-mers (DNABERT's TSV) is
    turned back into bases after checking the overlap (``kmer_input=None``
    detects it). ``labels`` restricts the allowed label values. Numeric labels are written in one form
    (:func:`canonical_label`); a file that mixes numeric and other labels, or labelled and
    unlabelled rows, is an error.
    """
    path = Path(path)
    allowed = None if labels is None else {canonical_label(str(x)) for x in labels}
    lines = _lines(path)
    try:
        first_lineno, first = next(lines)
    except StopIteration:
        raise DataFormatError(path, None, "empty file (expected a header row)") from None
    delimiter = _delimiter(path, first)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:  # process-wide, only ever raised; before the header, which may
        csv.field_size_limit(CSV_FIELD_LIMIT)  # be a long sequence when the file has none
    try:
        header = next(csv.reader([first], delimiter=delimiter), [])
    except csv.Error as err:
        raise DataFormatError(path, first_lineno, f"not a CSV/TSV header row ({err})") from None
    seq_i = _pick_column(header, sequence_column, SEQUENCE_COLUMNS, path, "sequence", True)
    lab_i = _pick_column(header, label_column, LABEL_COLUMNS, path, "label", label_column is not None)
    id_i = _pick_column(header, None, ID_COLUMNS, path, "id", False)
    desc_i = _pick_column(header, None, ("description",), path, "description", False)
    first_label: tuple[int, str, str] | None = None
    rows = csv.reader((line for _, line in lines), delimiter=delimiter)
    n = 0
    while True:
        lineno = first_lineno + rows.line_num + 1  # a row's first line (a quoted field may span lines)
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as err:  # e.g. NUL bytes on Python 3.10
            raise DataFormatError(path, lineno, f"not a CSV/TSV row ({err})") from None
        n += 1
        if not row:
            raise DataFormatError(path, lineno, "empty row")
        if len(row) != len(header):
            raise DataFormatError(path, lineno, f"{len(row)} fields, header has {len(header)}")
        rid = row[id_i] if id_i is not None else str(n - 1)
        raw = row[seq_i].strip()
        if not raw:
            raise DataFormatError(path, lineno, "empty sequence", record=rid)
        if kmer_input or (kmer_input is None and " " in raw):
            try:
                raw = kmers_to_sequence(raw.split())
            except ValueError as err:
                raise DataFormatError(path, lineno, f"k-mer sequence: {err}", record=rid) from None
        try:
            seq = normalize(raw)
        except SequenceError as err:
            raise DataFormatError(
                path, lineno, f"sequence position {err.position}: {err.char!r} is not a nucleotide code", record=rid
            ) from None
        label = row[lab_i].strip() if lab_i is not None else None
        if label is not None:
            kind = _label_kind(label)
            if first_label is None:
                first_label = (lineno, label, kind)
            _check_label(label, kind, first_label, path, lineno, rid)
            label = canonical_label(label)
        if allowed is not None and label not in allowed:
            raise DataFormatError(
                path, lineno, f"label {label!r} is not in the label set {sorted(allowed)}", record=rid
            )
        yield Record(rid, seq, label, (row[desc_i] or None) if desc_i is not None else None)
    if n == 0:
        raise DataFormatError(path, None, "no data rows after the header")


def read_labeled_fasta(classes: dict[str, str | Path]) -> Iterator[Record]:
    """Records from one FASTA file per class, e.g. ``{"promoter": "pos.fa", "other": "neg.fa"}``."""
    if not classes:
        raise ValueError("read_labeled_fasta needs at least one class=FILE pair")
    for label, path in classes.items():
        yield from read_fasta(path, label=label)


def _read_gb_split(folder: Path) -> Iterator[Record]:
    """Genomic Benchmarks layout: ``<split>/<class>/*.txt``, one sequence per file."""
    for class_dir, f in _gb_files(folder):
        text = "".join(line.strip() for _, line in _lines(f))
        if not text:
            raise DataFormatError(f, 1, "empty sequence file", record=f.stem)
        try:
            seq = normalize(text)
        except SequenceError as err:
            raise DataFormatError(
                f, None, f"sequence position {err.position}: {err.char!r} is not a nucleotide code", record=f.stem
            ) from None
        yield Record(f"{class_dir.name}/{f.stem}", seq, class_dir.name)


def _gb_files(folder: Path) -> Iterator[tuple[Path, Path]]:
    """(class folder, sequence file) of a Genomic Benchmarks split, in the order records are read."""
    class_dirs = sorted(p for p in folder.iterdir() if p.is_dir())
    if not class_dirs:
        raise DataFormatError(folder, None, "no class sub-folders (expected <split>/<class>/*.txt)")
    for class_dir in class_dirs:
        files = sorted(class_dir.glob("*.txt"))
        if not files:
            raise DataFormatError(class_dir, None, "class folder holds no .txt sequence files")
        for f in files:
            yield class_dir, f


def find_splits(folder: str | Path) -> dict[str, Path]:
    """Map split names (``train``/``dev``/``test``) to their files or GB class folders.

    ``valid``/``validation``/``val`` are read as ``dev``.
    """
    folder = Path(folder)
    found: dict[str, Path] = {}
    entries = sorted(folder.iterdir())
    for split, aliases in SPLIT_ALIASES.items():
        for p in entries:
            stem = _strip_gz(p).rsplit(".", 1)[0] if p.is_file() else p.name.lower()
            if stem in aliases:
                if split in found:
                    raise DataFormatError(
                        folder, None, f"two candidates for split {split!r}: {found[split].name} and {p.name}"
                    )
                found[split] = p
    if not found:
        raise DataFormatError(folder, None, "no train/dev/test files or folders found")
    return found


def read_sequences(
    path: str | Path,
    *,
    split: str | None = None,
    sequence_column: str | None = None,
    label_column: str | None = None,
    labels: Iterable[str] | None = None,
    label: str | None = None,
) -> Iterator[Record]:
    """Stream records from any supported source.

    Args:
        path: FASTA(.gz), CSV/TSV(.gz) (also DNABERT k-mer TSV), or a split folder
            (GUE ``train/dev/test`` files or Genomic Benchmarks ``train/<class>/``).
        split: which split of a folder to read (required for folders).
        sequence_column, label_column, labels: see :func:`read_table`.
        label: label given to every record of a FASTA file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir():
        splits = find_splits(path)
        if split is None or split not in splits:
            what = "choose a split" if split is None else f"no split {split!r}"
            raise DataFormatError(
                path,
                None,
                f"{what} (--split on the command line): this folder has "
                f"{', '.join(sorted(splits)) or 'no train/dev/test files'}",
            )
        path = splits[split]
        if path.is_dir():
            yield from _read_gb_split(path)
            return
    if _is_fasta(path):
        yield from read_fasta(path, label=label)
    else:
        yield from read_table(path, sequence_column=sequence_column, label_column=label_column, labels=labels)


def _is_fasta(path: Path) -> bool:
    name = _strip_gz(path)
    if name.endswith(FASTA_SUFFIXES):
        return True
    if name.endswith((".csv", ".tsv")):
        return False
    for _, line in _lines(path):  # sniff: first non-empty line
        if line.strip():
            return line.lstrip().startswith(">")
    raise DataFormatError(path, None, "empty file")


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


def write_table(records: Iterable[Record], path: str | Path, *, with_id: bool = False) -> int:
    """Write ``sequence,label`` (CSV, or TSV for .tsv; gzip for .gz); returns the count. ``with_id``:
    ``id,description,sequence,label``, so records read from FASTA keep their whole header (an empty
    description is none), and :func:`read_table` reads both back."""
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    delimiter = "\t" if _strip_gz(path).endswith(".tsv") else ","
    n = 0
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        w.writerow((["id", "description"] if with_id else []) + ["sequence", "label"])
        for n, rec in enumerate(records, start=1):
            who = [rec.id, rec.description or ""] if with_id else []
            w.writerow([*who, rec.sequence, "" if rec.label is None else rec.label])
    return n


def copy_records(source: str | Path, output: str | Path, *, drop: Collection[int] = ()) -> int:
    """Copy a FASTA or CSV/TSV file (gzip stays gzip), or a Genomic Benchmarks class folder, leaving out
    the records whose 0-based index (in the order :func:`read_sequences` yields them) is in ``drop``.

    Kept records are copied as written: every column of a table row, a FASTA record's whole header
    line and its sequence lines (lines end in LF; a UTF-8 BOM is dropped). Returns the number kept.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> src, out = os.path.join(d, "a.csv"), os.path.join(d, "b.csv")
    >>> _ = open(src, "w").write("name,sequence,label,note\\na,ACGT,1,x\\nb,GG,0,y\\n")
    >>> copy_records(src, out, drop={0})
    1
    >>> open(out).read()
    'name,sequence,label,note\\nb,GG,0,y\\n'
    """
    source, output, drop = Path(source), Path(output), set(drop)
    if source.is_dir():
        shutil.copytree(source, output)
        kept = 0
        for i, (class_dir, f) in enumerate(_gb_files(source)):
            if i in drop:
                (output / class_dir.name / f.name).unlink()
            else:
                kept += 1
        return kept
    with open(source, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    lines = _lines(source)
    if _is_fasta(source):
        groups = _fasta_line_groups(lines)
    else:
        groups = _table_line_groups(source, lines)
    kept = 0
    with (gzip.open if gz else open)(output, "wt", encoding="utf-8", newline="") as fh:
        for index, group in groups:  # index -1: the header row, or blank lines before the first record
            if index not in drop:
                fh.writelines(line + "\n" for line in group)
                kept += index >= 0
    return kept


def _fasta_line_groups(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
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


def _table_line_groups(path: Path, lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
    """(row index, its lines; a quoted field may span lines), the header row first as index -1."""
    try:
        _, header = next(lines)
    except StopIteration:
        raise DataFormatError(path, None, "empty file (expected a header row)") from None
    yield -1, [header]
    group: list[str] = []

    def feed() -> Iterator[str]:
        for _, line in lines:
            group.append(line)
            yield line

    for index, _ in enumerate(csv.reader(feed(), delimiter=_delimiter(path, header))):
        yield index, list(group)
        group.clear()
