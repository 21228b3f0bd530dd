"""What every reader shares: the record, the error, and numbered text lines from plain, gzip, bz2 or zstd
files (and pipes)."""

from __future__ import annotations

import atexit
import bz2
import codecs
import contextlib
import gzip
import io
import logging
import os
import shutil
import stat
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DataFormatError",
    "Record",
    "RepeatedIds",
    "check_each_once",
    "compression",
    "named_as_given",
    "numbered_lines",
    "open_binary",
    "readable_path",
    "strip_gz",
]

log = logging.getLogger(__name__)
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\x28\xb5\x2f\xfd": "zstd"}
_SUFFIXES = (".gz", ".bgz", ".bz2", ".zst", ".zstd")
_SPOOLED: dict[str, Path] = {}  # a pipe read once into a temporary file, by the name it was given


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
    region: Any = field(default=None, compare=False)  # a genome region read (io.regions.Region): where it lies

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


_SAID: set = set()  # (file, its state, the line): what say_once said in this process


def say_once(logger: logging.Logger, level: int, path, msg: str, *args) -> None:
    """Log a line about the file ``path`` once while the file is unchanged: a command that reads a file twice
    (predict's two passes) says it once; a file edited since is spoken of again."""
    try:
        st = os.stat(path)
        state = (st.st_mtime_ns, st.st_size)
    except (OSError, TypeError, ValueError):
        state = None
    key = (str(path), state, msg % args if args else msg)
    if key in _SAID:
        return
    _SAID.add(key)
    logger.log(level, msg, *args)


def compression(head: bytes) -> str | None:
    """``"gzip"``, ``"bz2"`` or ``"zstd"`` from a file's first bytes (its magic number), else None.

    >>> [compression(bytes.fromhex(h)) for h in ("1f8b08", "425a6839", "28b52ffd", "3e636872")]
    ['gzip', 'bz2', 'zstd', None]
    """
    return next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)


#: first bytes of files dnalm cannot read, and what to say (they read as "not UTF-8 text", or as a column name)
_UNREADABLE = {
    codecs.BOM_UTF16_LE: "UTF-16 text (its byte-order mark says so); save it as UTF-8",
    codecs.BOM_UTF16_BE: "UTF-16 text (its byte-order mark says so); save it as UTF-8",
    b"\xfd7zXZ\x00": "xz-compressed; dnalm reads plain, gzip, bz2 or zstd files: decompress it (xz -d) first",
    b"PK\x03\x04": "a zip archive; unzip it first (dnalm reads plain, gzip, bz2 or zstd files)",
}


def _unreadable_kind(head: bytes) -> str | None:
    return next((what for magic, what in _UNREADABLE.items() if head.startswith(magic)), None)


class RepeatedIds:
    """Records that repeat an earlier record's id, seen one by one and said once (the first repeat named). Each keeps
    its own row, in input order: joining outputs on the id would mix them up. ``predict``, ``evaluate``, ``embed`` and
    ``interpret`` say them alike (``scan`` refuses a genome whose contigs repeat a name).

    >>> ids = RepeatedIds()
    >>> for rec in [Record("a", "AC"), Record("b", "GT"), Record("a", "TT")]:
    ...     ids.see(rec)
    >>> ids.count
    1
    """

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self.count = 0
        self._first: Record | None = None

    def see(self, rec: Record) -> None:
        if rec.id in self._seen:
            self.count += 1
            self._first = self._first or rec
        self._seen.add(rec.id)

    def say(self) -> int:
        """Warn (once) when any id came again; the number of repeats."""
        if self.count:
            log.warning(
                "%d record(s) repeat an earlier record's id (the first repeat: %r at %s); each has its own row, in "
                "input order",
                self.count,
                self._first.id,
                self._first.where,
            )
        return self.count


def check_each_once(paths, what: str = "file") -> None:
    """Refuse one file given twice, under any name (``..``, a symbolic or a hard link: same device and inode); its
    records would be read twice. A path that cannot be stat'ed is left to the reader to name."""
    seen: dict[tuple[int, int], str | Path] = {}
    for p in paths:
        try:
            st = os.stat(p)
        except (OSError, TypeError, ValueError):
            continue
        if (st.st_dev, st.st_ino) in seen:
            raise ValueError(f"{p}: the same {what} as {seen[st.st_dev, st.st_ino]}, given twice; give each once")
        seen[st.st_dev, st.st_ino] = p


def readable_path(path: str | Path) -> Path:
    """``path`` itself for a regular file; a pipe or FIFO (``<(zcat x.fa.gz)``) is read once into a
    temporary file (removed at exit; said in the log) so that readers may read it twice, as most do."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return path
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return path
    if str(path) not in _SPOOLED:
        fd, tmp = tempfile.mkstemp(prefix="dnalm-pipe-")
        atexit.register(Path(tmp).unlink, missing_ok=True)  # before the copy: a full disk left it behind
        try:
            with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except OSError as err:
            Path(tmp).unlink(missing_ok=True)
            if err.filename is not None or err.errno is None:
                raise
            raise OSError(
                err.errno, f"{err.strerror} while reading {path} into {tmp} (the temporary folder: set TMPDIR)"
            ) from None
        _SPOOLED[str(path)] = Path(tmp)
        what = "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a pipe"  # /dev/null is no pipe
        log.info("%s is %s: read it into a temporary file (%d bytes)", path, what, Path(tmp).stat().st_size)
    return _SPOOLED[str(path)]


@contextlib.contextmanager
def named_as_given(path: str | Path) -> Iterator[Path]:
    """:func:`readable_path` of ``path``, for code that names the file it reads in its errors: an error naming a
    pipe's temporary copy (``/tmp/dnalm-pipe-...: empty file`` for ``/dev/null``) names ``path`` instead."""
    readable = readable_path(path)
    try:
        yield readable
    except (ValueError, OSError) as err:
        if readable == Path(path) or str(readable) not in str(err):
            raise
        raise type(err)(str(err).replace(str(readable), str(path))) from None


def open_binary(path: Path):
    """Open plain, gzip (bgzip too), bz2 or zstd data (detected by magic bytes, not by name; a pipe
    is opened once). zstd needs the ``zstandard`` package."""
    fh = open(readable_path(path), "rb")  # noqa: SIM115 (returned open, wrapped by the caller's with)
    kind = compression(fh.peek(4)[:4])
    if kind == "gzip":
        return gzip.GzipFile(fileobj=fh, mode="rb")
    if kind == "bz2":
        return bz2.BZ2File(fh, "rb")
    if kind == "zstd":
        try:
            import zstandard
        except ImportError:
            fh.close()
            raise ImportError(f"{path}: zstd-compressed; reading it needs zstandard: pip install zstandard") from None
        return io.BufferedReader(_ZstdReader(fh, zstandard), 1 << 16)
    return fh


class _ZstdReader(io.RawIOBase):
    """Decompressed zstd frames of ``fh``; data that ends inside a frame raises EOFError (as gzip does)."""

    def __init__(self, fh, zstandard):
        self.fh, self.zstd, self.pending, self.started = fh, zstandard, b"", False
        self.dobj = zstandard.ZstdDecompressor().decompressobj()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self.pending:
            chunk = self.fh.read(1 << 16)
            if not chunk:
                if not self.dobj.eof and self.dobj.unused_data == b"" and self.started:
                    raise EOFError("zstd data ends inside a frame")
                return 0
            self.started = True
            self.pending = self.dobj.decompress(chunk)
            while self.dobj.eof and self.dobj.unused_data:  # concatenated frames
                rest = self.dobj.unused_data
                self.dobj = self.zstd.ZstdDecompressor().decompressobj()
                self.pending += self.dobj.decompress(rest)
        n = min(len(buffer), len(self.pending))
        buffer[:n], self.pending = self.pending[:n], self.pending[n:]
        return n

    def close(self) -> None:
        self.fh.close()
        super().close()


def strip_gz(path: Path) -> str:
    """The lower-case file name without a compression suffix (.gz, .bgz, .bz2, .zst).

    >>> strip_gz(Path("Reads.FA.bz2")), strip_gz(Path("x.csv.zst"))
    ('reads.fa', 'x.csv')
    """
    name = path.name.lower()
    return next((name[: -len(s)] for s in _SUFFIXES if name.endswith(s)), name)


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
                    if lineno == 1 and (what := _unreadable_kind(piece)):  # named, not "not UTF-8 text"
                        raise DataFormatError(path, None, what)
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
                f"truncated {_kind(path)}: the compressed data ends early (after line {lineno}); is the file complete?",
            ) from None
        except (gzip.BadGzipFile, zlib.error, OSError, *_zstd_errors()) as err:
            raise DataFormatError(path, None, f"corrupt {_kind(path)} ({err}) after line {lineno}") from None


def _zstd_errors() -> tuple[type[Exception], ...]:
    try:
        import zstandard
    except Exception:  # not installed; or a reader closed as the interpreter exits, when imports fail
        return ()
    return (zstandard.ZstdError,)


def _kind(path: Path) -> str:
    with open(readable_path(path), "rb") as fh:
        return compression(fh.read(4)) or "file"
