"""Data sets: one FASTA per class, train/dev/test folders (GUE files, Genomic Benchmarks class folders),
any supported file by its content, and copying a file's records as written."""

from __future__ import annotations

import bz2
import codecs
import gzip
import itertools
import logging
import os
import re
import shutil
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from dnalm.io.base import DataFormatError, Record, compression, numbered_lines, open_binary, strip_gz
from dnalm.io.fasta import fasta_line_groups, read_fasta
from dnalm.io.sequence import SequenceError, normalize
from dnalm.io.table import read_table, table_line_groups
from dnalm.settings import SPELLING, check_path, option_named

log = logging.getLogger(__name__)

__all__ = [
    "check_no_columns",
    "copy_records",
    "find_splits",
    "parse_class_files",
    "read_labeled_fasta",
    "read_records",
    "read_sequences",
]

SPLIT_ALIASES = {"train": ("train",), "dev": ("dev", "valid", "validation", "val"), "test": ("test",)}
FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".ffn", ".fas")


def read_labeled_fasta(
    classes: dict[str, str | Path],
    data: str | Path | None = None,
    sequence_column: str | None = None,
    label_column: str | None = None,
) -> Iterator[Record]:
    """Records from one FASTA file per class, e.g. ``{"promoter": "pos.fa", "other": "neg.fa"}``. One file named
    for two classes (every sequence with both labels) is refused, and so is DATA given beside them (it was
    ignored), and so is a column option (a FASTA has no columns: it did nothing)."""
    if not classes:
        raise ValueError("read_labeled_fasta needs at least one class=FILE pair")
    check_sources(data, classes)
    check_no_columns("--class", "one FASTA file per class", sequence_column, label_column)
    for label, path in classes.items():
        yield from read_fasta(path, label=label)


def class_files(classes) -> list:
    """The files of ``classes`` (label -> FASTA, or None); any other kind of value is one line."""
    from collections.abc import Mapping

    if classes is None:
        return []
    if not isinstance(classes, Mapping):
        raise TypeError(
            f"classes must map each label to its FASTA file, e.g. {{'promoter': 'p.fa'}}; got {type(classes).__name__}"
        )
    return list(classes.values())


def _pair(label, path) -> str:
    """A class's FASTA as the caller gave it: ``--class a=a.fa`` on the command line, ``classes['a']='a.fa'`` in
    Python (a Python caller was told of a --class it had not given)."""
    return f"--class {label}={path}" if SPELLING["cli"] else f"classes[{label!r}]={str(path)!r}"


def check_sources(data: str | Path | None, classes: dict[str, str | Path] | None) -> None:
    """DATA or ``--class`` pairs, not both (DATA was ignored); each file there, none named for two classes."""
    if not class_files(classes):
        return
    if data is not None:
        raise ValueError(f"give DATA ({data}) or {_pair('LABEL', 'FASTA')} pairs, not both")
    from dnalm.io.table import canonical_label

    seen: dict[str, str] = {}
    labels: dict[str, str] = {}
    for label, path in classes.items():
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{_pair(label, path)}: a label is a word; got {label!r}")
        if (read := canonical_label(label.strip())) in labels:  # they were merged into one class without a word
            raise ValueError(
                f"{_pair(labels[read], '...')} and {_pair(label, '...')} name one label ({read!r}): give one of them"
            )
        labels[read] = label
        if not os.path.exists(path):
            raise FileNotFoundError(f"{_pair(label, path)}: no such file")
        if os.path.isdir(path):  # it read as '[Errno 21] Is a directory'
            raise ValueError(f"{_pair(label, path)}: a folder; give one FASTA file per class")
        real = os.path.realpath(path)
        if real in seen:
            raise ValueError(
                f"{_pair(seen[real], path)} and {_pair(label, path)} name one file: its sequences would carry both labels"
            )
        seen[real] = label


def parse_class_files(pairs: list[str] | None) -> dict[str, str] | None:
    """``LABEL=FASTA`` pairs (``--class``) as a mapping; None when there are none.

    >>> parse_class_files(["tata=a.fa", "none=b.fa"])
    {'tata': 'a.fa', 'none': 'b.fa'}
    """
    if isinstance(pairs, str):  # read letter by letter
        raise TypeError(f"give a list of LABEL=FASTA pairs, e.g. [{pairs!r}], not one string")
    out = {}
    for pair in pairs or []:
        label, sep, path = pair.partition("=")
        if not sep or not label or not path:
            raise ValueError(f"--class takes LABEL=FASTA; got {pair!r}")
        if label in out:
            raise ValueError(f"--class names label {label!r} twice")
        out[label] = path
    return out or None


def read_records(
    data: str | Path | None,
    split: str | None = None,
    classes: dict[str, str] | None = None,
    sequence_column: str | None = None,
    label_column: str | None = None,
) -> Iterator[Record]:
    """Records from DATA (file or split folder), or from one FASTA per class (``classes``)."""
    if classes:
        return read_labeled_fasta(classes, data, sequence_column, label_column)
    if data is None:
        raise ValueError("give DATA or --class LABEL=FASTA")
    return read_sequences(data, split=split, sequence_column=sequence_column, label_column=label_column)


def _read_gb_split(folder: Path) -> Iterator[Record]:
    """Genomic Benchmarks layout: ``<split>/<class>/*.txt``, one sequence per file."""
    for class_dir, f in _gb_files(folder):
        lines = [(n, line.strip()) for n, line in numbered_lines(f)]
        text = "".join(line for _, line in lines)
        if not text:
            raise DataFormatError(f, 1, "empty sequence file", record=_gb_id(f))
        try:
            seq = normalize(text)
        except SequenceError as err:
            lineno, column = _line_of(lines, err.position)
            raise DataFormatError(
                f,
                lineno,
                f"column {column}: {err.char!r} is not a nucleotide code (sequence position {err.position})",
                record=_gb_id(f),
            ) from None
        yield Record(f"{class_dir.name}/{_gb_id(f)}", seq, class_dir.name, path=str(f))


def _line_of(lines: list[tuple[int, str]], position: int) -> tuple[int, int]:
    """The line and column of the 1-based ``position`` in the joined ``lines``."""
    for lineno, line in lines:
        if position <= len(line):
            return lineno, position
        position -= len(line)
    return lines[-1][0], position


def _gb_files(folder: Path) -> Iterator[tuple[Path, Path]]:
    """(class folder, sequence file) of a Genomic Benchmarks split, in the order records are read: ``*.txt`` in any
    case, gzip-compressed too (``.txt.gz``); other files are counted and said, never silently passed over."""
    class_dirs = sorted(p for p in folder.iterdir() if p.is_dir())
    if not class_dirs:
        raise DataFormatError(folder, None, "no class sub-folders (expected <split>/<class>/*.txt)")
    for class_dir in class_dirs:
        entries = sorted(p for p in class_dir.iterdir() if not p.name.startswith("."))
        files = [p for p in entries if p.is_file() and p.name.lower().endswith((".txt", ".txt.gz"))]
        if not files:
            raise DataFormatError(class_dir, None, "class folder holds no .txt sequence files")
        if others := [p.name for p in entries if p not in files]:
            log.warning(
                "%s: %d entr%s not read (a class folder's sequences are .txt files): %s",
                class_dir,
                len(others),
                "y is" if len(others) == 1 else "ies are",
                ", ".join(others[:5]) + (" ..." if len(others) > 5 else ""),
            )
        for f in files:
            yield class_dir, f


def _gb_id(f: Path) -> str:
    """A sequence file's name without ``.txt``/``.txt.gz``."""
    name = f.name[:-3] if f.name.lower().endswith(".gz") else f.name
    return name[:-4]


def find_splits(folder: str | Path) -> dict[str, Path]:
    """Map split names (``train``/``dev``/``test``) to their files or GB class folders.

    ``valid``/``validation``/``val`` are read as ``dev``.
    """
    folder = Path(folder)
    found: dict[str, Path] = {}
    entries = sorted(folder.iterdir())
    for split, aliases in SPLIT_ALIASES.items():
        for p in entries:
            stem = strip_gz(p).rsplit(".", 1)[0] if p.is_file() or p.is_symlink() else p.name.lower()
            if stem in aliases:
                if split in found:
                    raise DataFormatError(
                        folder, None, f"two candidates for split {split!r}: {found[split].name} and {p.name}"
                    )
                if not p.exists():  # it read as "no split 'test'"
                    raise DataFormatError(p, None, f"a broken symbolic link (to {os.readlink(p)}), not a {split} split")
                found[split] = p
    if not found:
        raise DataFormatError(folder, None, "no train/dev/test files or folders found")
    for (a, pa), (b, pb) in itertools.combinations(found.items(), 2):  # a link to another split: never two splits
        if os.path.samefile(pa, pb):
            harm = "select the model on the data it trained on" if "train" in (a, b) else "report the data it chose on"
            raise DataFormatError(folder, None, f"{pa.name} ({a}) and {pb.name} ({b}) are one file (a link): {harm}")
    return found


def check_no_columns(path: Path, what: str, sequence_column: str | None, label_column: str | None) -> None:
    """A column option names a column of a CSV/TSV table; given for other data it would do nothing."""
    for name, value in (("sequence_column", sequence_column), ("label_column", label_column)):
        if value is not None:
            option = "--" + name.replace("_", "-")
            raise ValueError(
                f"{path}: {name} ({option}) names a column of a CSV/TSV table; this is {what} (leave it out)"
            )


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
    path = check_path(path, "path")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir():
        splits = find_splits(path)
        split = next((name for name, aliases in SPLIT_ALIASES.items() if split in aliases), split)  # valid: dev
        if split is None or split not in splits:
            what = "choose a split" if split is None else f"no split {split!r}"
            raise DataFormatError(
                path,
                None,
                f"{what}: this folder has {', '.join(sorted(splits)) or 'no train/dev/test files'}"
                + (
                    f" (give one split's file, e.g. {splits.get('test') or splits[sorted(splits)[-1]]}, "
                    f"or, where the command has it, {option_named('split')})"
                    if splits
                    else ""
                ),
            )
        path = splits[split]
        if path.is_dir():
            check_no_columns(path, "a Genomic Benchmarks folder", sequence_column, label_column)
            yield from _read_gb_split(path)
            return
    elif split is not None:  # it was ignored: the whole file was read as that split
        raise ValueError(f"{path}: split={split!r} chooses a split of a data folder; this is one file (leave it out)")
    if label is not None and not isinstance(label, str):  # a list was kept as every record's label
        raise TypeError(f"label is the one label of every record of a FASTA file (text); got {label!r}")
    if sequence_column is not None and sequence_column == label_column:  # every label was its sequence
        raise ValueError(f"{path}: sequence_column and label_column name one column, {sequence_column!r}")
    if _is_fasta(path):
        check_no_columns(path, "FASTA", sequence_column, label_column)
        allowed = None if labels is None else {str(x) for x in labels}
        if label is not None and allowed is not None and label not in allowed:  # labels restricts label= too
            raise ValueError(f"{path}: label {label!r} is not among the labels allowed ({sorted(allowed)})")
        yield from read_fasta(path, label=label)
    else:
        if label is not None:
            raise ValueError(f"{path}: label= labels a FASTA file's records; a table's labels are in its label column")
        yield from read_table(path, sequence_column=sequence_column, label_column=label_column, labels=labels)


def _is_fasta(path: Path) -> bool:
    name = strip_gz(path)
    if name.endswith(FASTA_SUFFIXES):
        return True
    if name.endswith((".csv", ".tsv")):
        return False
    for lineno, line in numbered_lines(path):  # sniff: first non-empty line
        if line.strip():
            if line.startswith("@") and name.endswith((".fq", ".fastq")):
                raise DataFormatError(
                    path, lineno, "FASTQ: dnalm reads FASTA or CSV/TSV; convert it first (e.g. `seqtk seq -a`)"
                )
            return line.lstrip().startswith(">")
    raise DataFormatError(path, None, "empty file")


def _gzip_named(name: str):
    """``gzip.open`` for text, with ``name`` in the gzip header (not the temporary file's name)."""

    import contextlib
    import io

    @contextlib.contextmanager
    def opener(path, mode, **kw):
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename=name, fileobj=raw, mode="wb") as z,
            io.TextIOWrapper(z, **kw) as fh,
        ):
            yield fh

    return opener


def _zstd_open(path, mode, **kw):
    import zstandard

    return zstandard.open(path, mode, **kw)


def copy_records(source: str | Path, output: str | Path, *, drop: Collection[int] = ()) -> int:
    """Copy a FASTA or CSV/TSV file (gzip, bz2 and zstd stay so), or a Genomic Benchmarks class folder, leaving out
    the records whose 0-based index (in the order :func:`read_sequences` yields them) is in ``drop``.

    Kept records are copied as written: every column of a table row, a FASTA record's whole header
    line and its sequence lines, with the source's line ending (CRLF or LF, as its first line ends) and its
    UTF-8 BOM if it has one. Returns the number kept.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> src, out = os.path.join(d, "a.csv"), os.path.join(d, "b.csv")
    >>> _ = open(src, "w").write("name,sequence,label,note\\na,ACGT,1,x\\nb,GG,0,y\\n")
    >>> copy_records(src, out, drop={0})
    1
    >>> open(out).read()
    'name,sequence,label,note\\nb,GG,0,y\\n'
    """
    from dnalm.io.files import atomic_path

    source, output, drop = Path(source), Path(output), set(drop)
    if output.exists() and source.exists() and os.path.samefile(source, output):
        raise ValueError(f"copy_records: output {output} is the source itself; write the copy to another path")
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
        kind = compression(fh.read(4))
    with open_binary(source) as fh:
        start = fh.read(1 << 16)
    bom = "\ufeff" if start.startswith(codecs.BOM_UTF8) else ""
    ending = re.search(rb"\r\n|\r|\n", start)
    newline = ending.group().decode() if ending else "\n"  # as the first line ends
    lines = numbered_lines(source)
    if _is_fasta(source):
        groups = fasta_line_groups(lines)
    else:
        groups = table_line_groups(source, lines)
    kept = 0
    opener = {"gzip": _gzip_named(output.name), "bz2": bz2.open, "zstd": _zstd_open}.get(kind, open)  # as it was
    ends = _line_endings(source)  # each line's own: a quoted LF in a CRLF file stays LF
    with atomic_path(output) as tmp, opener(tmp, "wt", encoding="utf-8", newline="") as fh:
        fh.write(bom)
        for index, group in groups:  # index -1: the header row, or blank lines before the first record
            endings = [next(ends, "") or newline for _ in group]  # (the last line may have none: given one)
            if index not in drop:
                fh.writelines(line + end for line, end in zip(group, endings))
                kept += index >= 0
    return kept


def _line_endings(path: Path) -> Iterator[str]:
    """The ending of each line :func:`~dnalm.io.base.numbered_lines` yields, in order ("" for a last line
    without one)."""
    with open_binary(path) as fh:
        for raw in fh:
            body = raw.rstrip(b"\r\n")
            yield from ["\r"] * body.count(b"\r")  # lone CRs end lines of their own (old Mac files)
            yield raw[len(body) :].decode()
