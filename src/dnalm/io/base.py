"""What every reader shares: the record, the error, and numbered text lines from plain or gzip files."""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DataFormatError", "Record", "numbered_lines", "open_binary", "strip_gz"]


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
    path: str | None = field(default=None, compare=False)  # where the record was read (not part of equality)
    line: int | None = field(default=None, compare=False)

    @property
    def where(self) -> str:
        """``FILE:LINE: record 'ID'`` for messages (as much of it as is known).

        >>> Record("r1", "ACGT", path="a.csv", line=3).where
        "a.csv:3: record 'r1'"
        """
        place = f"{self.path}:{self.line}: " if self.path and self.line else f"{self.path}: " if self.path else ""
        return f"{place}record {self.id!r}"


class DataFormatError(ValueError):
    """Malformed input file; the message names the file, the line and the record."""

    def __init__(self, path: str | Path, line: int | None, message: str, record: str | None = None):
        where = f"{path}" + (f":{line}" if line is not None else "")
        rec = f" record {record!r}:" if record is not None else ""
        super().__init__(f"{where}:{rec} {message}")
        self.path, self.line, self.record = str(path), line, record


def open_binary(path: Path):
    """Open plain or gzip data (detected by magic bytes, not by name)."""
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def strip_gz(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, line without its LF, CRLF or lone-CR ending), a leading UTF-8 BOM
    dropped; a line that is not UTF-8 and a truncated or corrupt gzip stream are named."""
    lineno = 0
    with open_binary(path) as fh:
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
