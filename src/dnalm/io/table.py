"""CSV/TSV(.gz) with a header row (also DNABERT's k-mer TSV): reading, labels in one form, writing."""

from __future__ import annotations

import csv
import logging
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from dnalm.io.base import DataFormatError, Record, numbered_lines, say_once, strip_gz
from dnalm.io.sequence import ReadChanges, SequenceError, kmers_to_sequence, normalize

log = logging.getLogger(__name__)

__all__ = [
    "canonical_label",
    "check_table_name",
    "read_table",
    "table_columns",
    "table_delimiter",
    "table_line_groups",
    "write_table",
    "written_delimiter",
]

SEQUENCE_COLUMNS = ("sequence", "seq", "sequences", "dna")
LABEL_COLUMNS = ("label", "class", "labels", "target")
ID_COLUMNS = ("id", "name", "seq_id", "sequence_id")
# csv's default field limit (131,072 characters) is shorter than many sequences; 2**31 - 1 fits a C long everywhere.
CSV_FIELD_LIMIT = 2**31 - 1
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def canonical_label(label: str) -> str:
    """One text form per number, so ``1`` and ``1.0`` are one class; other text is returned as written.

    Plain digit strings stay as written: they may be per-base labels such as ``0011100``.

    >>> [canonical_label(x) for x in ["1.0", "+1e0", "0.50", "-0.0", "007", "pos", "1e308"]]
    ['1', '1', '0.5', '0', '007', 'pos', '1e+308']
    """
    if not isinstance(label, str):
        raise TypeError(f"a label is text; got {type(label).__name__} {label!r}")
    if (label.isascii() and label.isdigit()) or not _NUMBER.fullmatch(label):
        return label
    x = float(label)
    if not math.isfinite(x):
        return label
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)  # (1e308 was written with 309 digits)


def _label_kind(label: str) -> str:
    """``"none"``, ``"number"``, ``"text"`` or ``"empty set"`` (``;``: a multi-label row with no label);
    multi-label (``1;3``) and per-base (``0 1 1``) labels are numbers when every part is."""
    parts = re.split(r"[;\s]+", label.strip())
    if not any(parts):
        return "empty set" if ";" in label else "none"
    return "number" if all(_NUMBER.fullmatch(p) for p in parts if p) else "text"


def _not_finite(label: str) -> bool:
    try:
        return not math.isfinite(float(label))
    except ValueError:
        return False


def _check_label(label: str, kind: str, first: tuple[int, str, str], path: Path, lineno: int, rid: str) -> None:
    """Every label of a file is of the kind of the first (numbers, names, or none at all)."""
    first_line, first_label, first_kind = first
    if kind == first_kind:
        return
    if kind == "none":
        message = f"no label, but line {first_line} has one ({first_label!r}); label every row or none" + (
            " (a row with none of the labels of a multi-label set is written ';', the empty set)"
            if ";" in first_label
            else ""
        )
    elif first_kind == "none":
        message = f"label {label!r}, but line {first_line} has none; label every row or none"
    elif first_kind == "number" and _not_finite(label):  # inf, nan among numbers: said as 1e400 is
        message = f"label {label!r} is not a finite number; a value is a finite number (or leave the row out)"
    else:
        what = "is a number" if kind == "number" else "is not a number"
        message = (
            f"label {label!r} {what}, but line {first_line}'s label {first_label!r} "
            f"{'is not' if kind == 'number' else 'is'}; labels are all numbers or all names"
        )
    raise DataFormatError(path, lineno, message, record=rid)


def _columns(header: list[str]) -> str:
    """The header for a message, each name cut to 40 characters (a headerless file's first row may be a
    whole sequence), and what a header that is no header seems to be (a blank line, a comment, another
    delimiter).

    >>> _columns(["sequence;label"])
    "['sequence;label'] (one column: is the file separated by ';'? dnalm reads CSV, comma-separated, and TSV, \
tab-separated and named .tsv)"
    """
    shown = "[" + ", ".join(repr(h if len(h) <= 40 else h[:37] + "...") for h in header) + "]"
    if not "".join(header).strip():
        return shown + " (the first line is blank: the header row must be the file's first line)"
    if header[0].lstrip().startswith("#"):
        return shown + " (the first line is a comment: the header row must be the file's first line)"
    other = [d for d in (";", ",", "\t", "|") if len(header) == 1 and d in header[0]]
    if other:
        return shown + (
            f" (one column: is the file separated by {other[0]!r}? dnalm reads CSV, comma-separated, and TSV, "
            "tab-separated and named .tsv)"
        )
    return shown


def table_columns(path: str | Path) -> list[str] | None:
    """The header row of a CSV/TSV(.gz) file (None: not a table, or not readable)."""
    path = Path(path)
    if not strip_gz(path).endswith((".csv", ".tsv")):
        return None
    try:
        return _header(path, numbered_lines(path))[1]
    except (OSError, ValueError):
        return None


def table_delimiter(path: Path, header: str) -> str:
    """Tab for .tsv(.gz) or a header with tabs and no commas, else comma."""
    return "\t" if strip_gz(path).endswith(".tsv") or ("\t" in header and "," not in header) else ","


def _pick_column(
    header: list[str], wanted: str | None, candidates: tuple[str, ...], path: Path, what: str, required: bool
) -> int | None:
    lowered = [h.strip().lower() for h in header]
    if wanted is not None:
        if wanted.lower() not in lowered:
            raise DataFormatError(path, 1, f"no {what} column {wanted!r}; columns are {_columns(header)}")
        return _only(lowered, wanted.lower(), header, path, what)
    found = [name for name in candidates if name in lowered]
    if len(found) > 1 and what in ("sequence", "label"):  # one was read, the other silently not
        say_once(
            log,
            logging.WARNING,
            path,
            "%s: columns %s each name the %s: %r is read, %s not (choose with --%s-column)",
            path,
            " and ".join(repr(n) for n in found),
            what,
            found[0],
            ", ".join(repr(n) for n in found[1:]),
            what,
        )
    if found:
        return _only(lowered, found[0], header, path, what)
    if required:
        if header and header[0].lstrip().startswith(">"):  # a FASTA file under a table's name
            raise DataFormatError(
                path,
                1,
                "this reads as FASTA (its first line starts with '>'), not a CSV/TSV table: name it .fa (or .fasta)",
            )
        raise DataFormatError(
            path,
            1,
            f"no {what} column among {list(candidates)}; columns are {_columns(header)} "
            f"(rename it, or name it with sequence_column= / --sequence-column)",
        )
    return None


def _only(lowered: list[str], name: str, header: list[str], path: Path, what: str) -> int:
    """The index of the one column called ``name``; a header that has it twice is an error."""
    where = [i + 1 for i, h in enumerate(lowered) if h == name]
    if len(where) > 1:
        raise DataFormatError(
            path,
            1,
            f"the {what} column {header[where[0] - 1]!r} appears {len(where)} times (columns "
            f"{', '.join(map(str, where))}); rename all but one",
        )
    return where[0] - 1


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
    lines = numbered_lines(path)
    first_lineno, header, delimiter = _header(path, lines)
    cols = (
        _pick_column(header, sequence_column, SEQUENCE_COLUMNS, path, "sequence", True),
        _pick_column(header, label_column, LABEL_COLUMNS, path, "label", label_column is not None),
        _pick_column(header, None, ID_COLUMNS, path, "id", False),
        _pick_column(header, None, ("description",), path, "description", False),
    )
    if label_column is not None and cols[0] == cols[1]:  # every label was a sequence (a list of 280 "labels")
        raise DataFormatError(
            path,
            first_lineno,
            f"label_column (--label-column) {label_column!r} is the sequence column; name the column of the labels "
            f"(the columns are {', '.join(map(repr, header))})",
        )
    first_label: list = [None]  # (line, label, kind) of the first labelled row
    rewritten: dict = {}  # labels read in another form than written: kind -> [count, first (written, read)]
    kmers: dict = {"k": None, "line": None, "rows": 0}  # rows read as k-mers: one k per file, counted and said
    changes = ReadChanges()  # lower case, U and ambiguity codes: counted and said
    rows = csv.reader((line + "\n" for _, line in lines), delimiter=delimiter)  # a quoted line break stays one
    n = 0
    blank_at = None  # the first of blank lines read: the end of the table, unless a row follows them
    while True:
        lineno = first_lineno + rows.line_num + 1  # a row's first line (a quoted field may span lines)
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as err:  # e.g. NUL bytes on Python 3.10
            raise DataFormatError(path, lineno, f"not a CSV/TSV row ({err})") from None
        if not row:  # trailing blank lines were refused as "empty row" (FASTA skips them)
            blank_at = blank_at or lineno
            continue
        if blank_at is not None:
            raise DataFormatError(path, blank_at, "empty row (blank lines may only end a table)")
        if row == header:  # its 'sequence' was read as DNA: "position 2: 'e' is not a nucleotide code"
            raise DataFormatError(path, lineno, "this row repeats the header row (tables joined with their headers?)")
        n += 1
        reading = (kmer_input, kmers, changes)
        yield _record(row, len(header), cols, path, lineno, n, reading, (first_label, rewritten), allowed)
    if n == 0:
        raise DataFormatError(path, None, "no data rows after the header")
    _say_changes(path, n, changes, kmers, rewritten)


def _say_changes(path: Path, n: int, changes: ReadChanges, kmers: dict, rewritten: dict) -> None:
    """What the reader changed in a table of ``n`` rows, each kind once: bases, k-mer rows, labels."""
    changes.say(path)
    if kmers["rows"]:
        say_once(
            log,
            logging.INFO,
            path,
            "%s: %d of %d sequence(s) written as DNABERT's space-separated %d-mers were read back as bases",
            path,
            kmers["rows"],
            n,
            kmers["k"],
        )
    forms = rewritten.pop(_FORMS, {})
    merged = next((sorted(w) for w in forms.values() if len(w) > 1), None)
    for what, (count, (written, read)) in rewritten.items():
        if what == _ONE_FORM and merged is None:  # no two written forms became one label: only the text changed
            say_once(log, logging.INFO, path, "%s: %d %s (e.g. %r as %r)", path, count, what, written, read)
        else:
            also = f"; {' and '.join(map(repr, merged))} are one label" if what == _ONE_FORM else ""
            say_once(log, logging.WARNING, path, "%s: %d %s (e.g. %r as %r)%s", path, count, what, written, read, also)


def _read_label(written: str, rewritten: dict) -> str:
    """A label as dnalm reads it (spaces around it dropped, a number in one form), each change counted."""
    label = written.strip()
    if label != written:
        _count(rewritten, "labels were read without the spaces around them", written, label)
    read = canonical_label(label)
    forms = rewritten.setdefault(_FORMS, {})
    if len(forms) < 10_000 and len(seen := forms.setdefault(read, set())) < 2:  # classes: what was merged
        seen.add(label)
    if read != label:
        _count(rewritten, _ONE_FORM, label, read)
    return read


_ONE_FORM = "numeric labels were read in one form per number"
_FORMS = "written forms"  # read label -> up to two forms it was written in (the first 10,000 labels)


def _count(rewritten: dict, what: str, written: str, read: str) -> None:
    entry = rewritten.setdefault(what, [0, (written, read)])
    entry[0] += 1


def _header(path: Path, lines: Iterator[tuple[int, str]]) -> tuple[int, list[str], str]:
    """The header row's line number, its fields and the file's delimiter."""
    try:
        first_lineno, first = next(lines)
    except StopIteration:
        raise DataFormatError(path, None, "empty file (expected a header row)") from None
    delimiter = table_delimiter(path, first)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:  # process-wide, only ever raised; before the header, which may
        csv.field_size_limit(CSV_FIELD_LIMIT)  # be a long sequence when the file has none
    try:
        header = next(csv.reader([first], delimiter=delimiter), [])
    except csv.Error as err:
        raise DataFormatError(path, first_lineno, f"not a CSV/TSV header row ({err})") from None
    return first_lineno, header, delimiter


def _record(row, width, cols, path, lineno, n, reading: tuple, labels_seen: tuple, allowed) -> Record:
    """One data row as a record (``cols``: the sequence, label, id and description column indexes;
    ``reading``: ``kmer_input``, the k-mer rows so far and the :class:`ReadChanges`; ``labels_seen``: the first
    label and the labels rewritten so far)."""
    kmer_input, kmers, changes = reading
    seq_i, lab_i, id_i, desc_i = cols
    if not row:
        raise DataFormatError(path, lineno, "empty row")
    if len(row) != width:
        spans = max(f.count("\n") for f in row)
        unclosed = f" (a quote opened here runs over {spans + 1} lines: is it closed?)" if spans else ""
        raise DataFormatError(path, lineno, f"{len(row)} fields, header has {width}{unclosed}")
    first_label, rewritten = labels_seen
    rid = row[id_i].strip() if id_i is not None else str(n - 1)
    if id_i is not None and not rid:  # rows without a name could not be told apart in what is written
        raise DataFormatError(path, lineno, f"empty id (row {n}): give every row an id, or leave the id column out")
    if id_i is not None and rid != row[id_i]:
        _count(rewritten, "ids were read without the spaces around them", row[id_i], rid)
    raw = row[seq_i].strip()
    if raw and raw != row[seq_i]:  # ' ACGT' in a hand-edited CSV: read as ACGT, and counted
        _count(rewritten, "sequences were read without the spaces around them", row[seq_i], raw)
    if not raw:
        raise DataFormatError(path, lineno, "empty sequence", record=rid)
    if "\n" in raw:  # a quoted field over several lines: never joined silently
        raise DataFormatError(
            path,
            lineno,
            f"sequence position {raw.index(chr(10)) + 1}: a line break inside the quoted sequence; "
            "write each sequence on one line",
            record=rid,
        )
    if kmer_input or (kmer_input is None and " " in raw):
        raw = _from_kmers(raw, kmer_input, kmers, path, lineno, rid)
    try:
        seq = normalize(raw)
    except SequenceError as err:
        raise DataFormatError(
            path, lineno, f"sequence position {err.position}: {err.char!r} is not a nucleotide code", record=rid
        ) from None
    changes.see(raw, seq)
    changes.end_record()
    label = row[lab_i].strip() if lab_i is not None else None
    if label is not None:
        kind = _label_kind(label)
        if first_label[0] is None and kind != "empty set":
            first_label[0] = (lineno, label, kind)
        if first_label[0] is not None and (kind != "empty set" or first_label[0][2] == "none"):
            _check_label(label, kind, first_label[0], path, lineno, rid)
        label = _read_label(row[lab_i], rewritten)
    if allowed is not None and label not in allowed:
        raise DataFormatError(path, lineno, f"label {label!r} is not in the label set {sorted(allowed)}", record=rid)
    return Record(rid, seq, label, (row[desc_i] or None) if desc_i is not None else None, str(path), lineno)


def _from_kmers(raw: str, kmer_input: bool | None, kmers: dict, path, lineno: int, rid: str) -> str:
    """A sequence written as space-separated overlapping k-mers, as bases. Detected (``kmer_input=None``) only as
    DNABERT writes them: k of 3 to 6, every piece of one length, one k in the whole file (blocks of 10 bases
    that happened to overlap, a homopolymer, were read as 10-mers, shorter than written)."""
    pieces = raw.split()
    sizes = {len(p) for p in pieces}
    if not kmer_input and (len(sizes) > 1 or not 3 <= len(pieces[0]) <= 6):  # not DNABERT's k-mers: spaces
        raise DataFormatError(
            path,
            lineno,
            f"sequence position {raw.index(' ') + 1}: ' ' is not a nucleotide code (a sequence of spaced pieces "
            "is read as DNABERT k-mers only when every piece has one length, 3 to 6 bases)",
            record=rid,
        )
    k = len(pieces[0])
    if kmers["k"] is not None and k != kmers["k"] and len(sizes) == 1:
        raise DataFormatError(
            path,
            lineno,
            f"k-mer sequence of {k}-mers, where line {kmers['line']} holds {kmers['k']}-mers: one file holds one k",
            record=rid,
        )
    try:
        bases = kmers_to_sequence(pieces)
    except ValueError as err:
        raise DataFormatError(path, lineno, f"k-mer sequence: {err}", record=rid) from None
    if kmers["k"] is None:
        kmers.update(k=k, line=lineno)
    kmers["rows"] += 1
    return bases


#: Names that say a format other than a table: a table written under one would be read as that format.
_OTHER_FORMATS = (".json", ".npy", ".npz", ".parquet", ".fa", ".fasta", ".fna", ".bed", ".bedgraph", ".bw",
                  ".bigwig", ".vcf", ".html", ".md", ".png", ".pdf", ".svg", ".yaml", ".yml", ".xlsx", ".bcf",
                  ".bam", ".cram", ".bb", ".bigbed", ".gff", ".gtf", ".csv", ".tsv")  # fmt: skip


def check_table_name(path: str | Path, what: str) -> None:
    """Refuse a name whose suffix says another format (predictions as ``out.json`` were written as CSV text).

    >>> check_table_name("p.tsv.gz", "predictions")
    >>> check_table_name("p.json", "predictions")
    Traceback (most recent call last):
    ...
    ValueError: p.json: predictions are written as a CSV or TSV table (.csv, .tsv, or either .gz); .json names another format
    """
    check_named_format(path, what, "a CSV or TSV table (.csv, .tsv, or either .gz)", (".csv", ".tsv"))


def file_format(path: str | Path) -> str | None:
    """The suffix of ``path`` (after ``.gz``) where it names a file format (``.json``, ``.csv``, ...), else None."""
    suffix = Path(strip_gz(Path(path))).suffix.lower()
    return suffix if suffix in _OTHER_FORMATS else None


def check_named_format(path: str | Path, what: str, written: str, accepted: tuple[str, ...], hint: str = "") -> None:
    """Refuse a name whose suffix (after ``.gz``) says a format other than the ``accepted`` ones dnalm writes there
    (``scan -o s.bw`` wrote bedGraph text, ``variants -o v.bcf`` a TSV, each with exit 0)."""
    suffix = file_format(path)
    if suffix is not None and suffix not in accepted:
        raise ValueError(f"{path}: {what} are written as {written}; {suffix} names another format{hint}")


def written_delimiter(path: str | Path) -> str:
    """The delimiter of a table dnalm writes: a tab for a .tsv name (any case, also .tsv.gz), else a comma.

    >>> written_delimiter("Out.TSV.gz"), written_delimiter("out.csv"), written_delimiter("out.txt")
    ('\\t', ',', ',')
    """
    return "\t" if strip_gz(Path(path)).endswith(".tsv") else ","


def write_table(records: Iterable[Record], path: str | Path, *, with_id: bool = False) -> int:
    """Write ``sequence,label`` (CSV, or TSV for .tsv; gzip for .gz); returns the count. ``with_id``:
    ``id,description,sequence,label``, so records read from FASTA keep their whole header (an empty
    description is none), and :func:`read_table` reads both back."""
    from dnalm.io.files import atomic_open

    if isinstance(records, str | bytes | Record):
        raise TypeError(f"records must be a list (or iterable) of Record; got one {type(records).__name__}")
    delimiter = written_delimiter(path)
    n = 0
    with atomic_open(path, "w", newline="") as fh:  # renamed onto path when complete: path may be the input
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        w.writerow((["id", "description"] if with_id else []) + ["sequence", "label"])
        for n, rec in enumerate(records, start=1):
            if not isinstance(rec, Record):
                raise TypeError(f"record {n}: a Record was expected; got {type(rec).__name__}")
            who = [rec.id, rec.description or ""] if with_id else []
            w.writerow([*who, rec.sequence, "" if rec.label is None else rec.label])
    return n


def table_line_groups(path: Path, lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
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

    index = 0
    for row in csv.reader(feed(), delimiter=table_delimiter(path, header)):
        if row:
            yield index, list(group)
            index += 1
        else:  # a blank line ending the table: no record (read_table skips it), copied as written
            yield -1, list(group)
        group.clear()
