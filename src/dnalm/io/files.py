"""Writing results safely: output paths checked before any work, files written whole or not at all.

A result file is written to a temporary file beside it and renamed into place only when complete,
so a full disk, a kill or an error part-way leaves the previous file (or none), never a truncated one.
JSON is written without ``NaN``/``Infinity`` (not JSON; other tools reject them): they become ``null``.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import logging
import math
import os
import signal
import stat
import sys
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dnalm.settings import flag

log = logging.getLogger(__name__)

__all__ = [
    "atomic_open",
    "check_output_file",
    "check_printable_name",
    "finish_folder",
    "is_stream",
    "json_ready",
    "names_a_standard_stream",
    "start_folder",
    "stream_file",
    "write_json",
    "write_text",
]


#: names of the process's own standard streams (a regular file when redirected: replaced by a rename, it lost what the
#: shell had written there)
_STANDARD_STREAMS = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/")


def names_a_standard_stream(path: str | Path) -> bool:
    """Whether ``path`` is ``-`` or a name of one of the process's own descriptors (``/dev/stdout``, ``/dev/fd/3``)."""
    return str(path) == "-" or str(path).startswith(_STANDARD_STREAMS)


def stream_file(path: str | Path) -> Path | None:
    """The regular file that a stream output writes to, when the shell redirected it to one (``-o - >> in.fa``,
    ``-o /dev/fd/3 3>>in.fa``); None for a pipe, a terminal or a device."""
    name = "/proc/self/fd/1" if str(path) == "-" else str(path)
    try:
        if str(path) == "-" and not os.path.exists(name):  # no /proc: the descriptor itself
            return None
        if not stat.S_ISREG(os.stat(name).st_mode):
            return None
    except (OSError, ValueError):
        return None
    return Path(os.path.realpath(name))


def is_stream(path: str | Path) -> bool:
    """An output that is a stream, not a file: ``-`` (standard output), or an existing pipe or device such as
    ``/dev/stdout`` or ``/dev/null``. It is written straight through (no temporary file, lock or ledger)."""
    if str(path) == "-" or str(path).startswith(_STANDARD_STREAMS):  # redirected to a file: written through still
        return True
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for the caller to write, renamed onto ``path`` when the block ends without
    an error (removed if it raises): ``path`` holds the old file or the new one, never part of one, and may be read
    while the new one is written."""
    path = Path(path)
    if path.is_symlink():  # written at the link's target, the link kept (dnalm.io.outputs)
        path = Path(os.path.realpath(path))
    _remove_stale_partials(path)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs) -> Iterator:
    """``open(path, mode)`` on a temporary file beside ``path``, renamed onto it on success; gzip-compressed when
    the name ends in ``.gz`` (a name ending in another compression suffix is refused: it would be plain text).

    On any error the temporary file is removed and ``path`` is left as it was. A stream (:func:`is_stream`)
    is written straight through.
    """
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    if is_stream(path):  # appended: opening /dev/stdout "w" emptied the file standard output was redirected to
        try:
            yield from _stream(path, mode, kwargs)
        except OSError as err:  # a full disk under `-o - > file`, /dev/full: said with the stream's name, not none
            if err.filename or err.errno not in _WRITE_FAILED:  # (an error of the caller's, not of the stream)
                raise
            name = "standard output (-o -)" if str(path) == "-" else str(path)
            raise OSError(err.errno, err.strerror, name) from err
        return
    check_printable_name(path)
    path = Path(path)
    if path.is_symlink():  # written at the link's target, the link kept (dnalm.io.outputs)
        path = Path(os.path.realpath(path))
    gz = path.name.lower().endswith(".gz")
    _check_compression(path)
    _remove_stale_partials(path)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        with open(tmp, "wb" if gz else mode, **({} if gz else kwargs)) as raw:
            if gz:
                # the name in the gzip header is the file's, not the temporary one's (gunzip -N restores it)
                zipped = gzip.GzipFile(filename=path.name, fileobj=raw, mode="wb", mtime=0)
                fh = zipped if "b" in mode else io.TextIOWrapper(zipped, **kwargs)
                yield fh
                fh.close()  # the gzip trailer; the file under it stays open
            else:
                yield raw
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, FileNotFoundError) and not path.parent.is_dir():  # it named the temporary file
            raise FileNotFoundError(f"could not write {path}: the folder {path.parent} does not exist") from None
        if isinstance(err, PermissionError) and err.filename == str(tmp):  # it named dnalm's temporary file
            where = path if err.filename2 == str(path) else path.parent  # the file is immutable, or its folder is
            raise PermissionError(
                f"could not write {path}: {where} cannot be changed ({err.strerror}); it is as it was"
            ) from None
        if isinstance(err, OSError) and not isinstance(err, FileNotFoundError | PermissionError | IsADirectoryError):
            raise OSError(
                err.errno, f"could not write {path} ({err.strerror or err}); nothing was written there"
            ) from err
        raise


#: errno values of a write that failed on the device: a full disk or quota, an I/O error
_WRITE_FAILED = {getattr(errno, n) for n in ("ENOSPC", "EFBIG", "EDQUOT", "EIO") if hasattr(errno, n)}


def _stream(path, mode: str, kwargs: dict) -> Iterator:
    """The body of :func:`atomic_open` for a stream: standard output (``-``) or a device, appended to."""
    if str(path) == "-":  # (`{ echo head; dnalm predict M x.fa -o -; } > out` lost the head)
        if getattr(sys.stdout, "name", None) == os.devnull:  # dnalm's stand-in for a closed standard output
            raise ValueError("-o -: standard output is closed; give an output file")
        sys.stdout.flush()
        try:
            fd = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):  # a captured standard output (a test's) has no descriptor
            yield sys.stdout.buffer if "b" in mode else sys.stdout
            return
        with open(os.dup(fd), mode.replace("w", "a"), **kwargs) as fh:
            yield fh
    else:
        with open(path, mode.replace("w", "a"), **kwargs) as fh:
            yield fh


def _check_compression(path: Path) -> None:
    """Refuse a name that promises a compression dnalm does not write (it would be plain text under that name)."""
    if path.name.lower().endswith((".bgz", ".bz2", ".zst", ".zstd", ".xz")):
        raise ValueError(f"{path}: dnalm writes .gz (gzip) or plain files; name it without {path.suffix} or with .gz")


def _remove_stale_partials(path: Path) -> None:
    """Temporary files a killed dnalm process left beside ``path`` (their process is gone): dnalm's own."""
    for old in path.parent.glob(f".{path.name}.partial-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            old.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path) as fh:
        fh.write(text)


def json_ready(value):
    """``value`` with every non-finite float replaced by None, through dicts, lists and tuples.

    >>> json_ready({"mcc": float("nan"), "curve": [1.0, float("inf")], "n": 3})
    {'mcc': None, 'curve': [1.0, None], 'n': 3}
    """
    if isinstance(value, float) and not math.isfinite(value):  # numpy float64 is a float too
        return None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value


def write_json(path: str | Path, value) -> None:
    """Indented JSON, non-finite numbers as ``null``, other objects as their ``str``; atomic."""
    write_text(path, json.dumps(json_ready(value), indent=2, default=str, allow_nan=False) + "\n")


def check_printable_name(path, what: str = "output") -> None:
    """A new output whose name holds a line break, a tab or another control character is refused: every line that
    names it (the result line, a log, a BED or TSV that lists it) would be split or garbled, and it is most often a
    script's mistake (a name read with its line end). One that is already there is the user's to name."""
    text = str(path)
    if any(unicodedata.category(c) == "Cc" for c in text) and not os.path.lexists(path):
        raise ValueError(
            f"{what} {text!r}: the name holds a control character (a line break or tab?); give a name without one"
        )


def check_output_file(path: str | Path) -> Path:
    """Refuse an output file path that cannot be written, before any computation; creates its folder.

    An existing file is replaced (atomically, when the result is complete); a folder, a parent that
    is a file, or a folder without write permission is a ``ValueError`` naming the path.
    """
    check_printable_name(path)
    path = Path(path)
    if is_stream(path):
        return path
    if path.is_dir():
        raise ValueError(f"output {path} is a folder; give a file name (in it, or beside it)")
    _check_compression(path)
    parent = path.parent
    for p in (parent, *parent.parents):
        if p.exists():
            if not p.is_dir():
                raise ValueError(f"output {path}: {p} is a file, not a folder")
            if not os.access(p, os.W_OK | os.X_OK):
                raise ValueError(f"output {path}: no permission to write in {p}")
            break
    parent.mkdir(parents=True, exist_ok=True)
    return path


_PARTIAL_NOTE = "PARTIAL_RUN.txt"


def start_folder(
    final: str | Path,
    *,
    owned_marker: str,
    overwrite: bool = False,
    resume: bool = False,
    discard: bool | None = None,
    resumable: bool = True,
) -> Path:
    """A fresh staging folder beside ``final`` for a run whose result becomes ``final`` only when complete.

    ``final`` may be absent, empty, or a folder an earlier run wrote (it holds ``owned_marker``); a
    non-empty folder that dnalm did not write is refused unless ``overwrite``. A staging folder left
    by a killed run (it holds a note saying so) is removed first with ``discard`` (default: ``overwrite``),
    and refused without it: what a user put there since cannot be told from what the run wrote; with ``resume``
    it is kept as it is, for the run to continue (``resumable``: the command can, and the refusal says so).
    The previous result stays untouched until :func:`finish_folder` replaces it.
    """
    final = Path(final)
    if final.exists() and not final.is_dir():
        raise ValueError(f"output {final} is a file; give a folder name")
    if final.is_dir() and any(final.iterdir()) and not (final / owned_marker).exists() and not overwrite:
        raise ValueError(
            f"output folder {final} is not empty and is not a folder dnalm wrote (no {owned_marker}); "
            f"choose another folder, or pass {flag('overwrite')} to replace its contents"
        )
    staging = final.with_name(f"{final.name}.partial")
    if resume and not staging.exists():  # as transformers' Trainer refuses resume_from_checkpoint without one
        raise ValueError(
            f"{flag('resume')}: no stopped run to continue ({staging} does not exist); run without {flag('resume')}"
        )
    if staging.exists():
        if not (staging / _PARTIAL_NOTE).exists():
            raise ValueError(f"{staging} exists and was not made by dnalm; move it away first")
        if resume:
            return staging
        import shutil

        left = sorted(p.name for p in staging.iterdir() if p.name != _PARTIAL_NOTE)
        if left and not (overwrite if discard is None else discard):  # it was removed with a file the user put there
            shown = ", ".join(left[:3]) + (" ..." if len(left) > 3 else "")
            raise ValueError(
                f"{staging} holds what a stopped run left ({shown}): "
                + (f"pass {flag('resume')} to continue it, or " if resumable else "pass ")
                + f"{flag('overwrite')} to discard it (the whole folder, with anything put there since)"
            )
        kept = f"{final.name} holds the previous result" if final.exists() else f"there is no earlier {final.name}"
        log.warning("removing %s, what a stopped run left (%s)", staging, kept)
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    (staging / _PARTIAL_NOTE).write_text(
        f"An unfinished dnalm run writing {final.name}: if it is no longer running, this folder is what it left "
        f"when it stopped, and {final.name} holds the previous result, untouched. The same command with --resume "
        "continues it (where the command can), with --overwrite removes it.\n",
        encoding="utf-8",
        errors="surrogateescape",  # a name that is not UTF-8 is written as the bytes it is
    )
    return staging


def drop_unused_staging(final: str | Path) -> None:
    """Remove ``final``'s staging folder if it holds nothing but the note :func:`start_folder` wrote: a run
    that failed before writing anything (its data refused, say) leaves nothing to resume or look at."""
    staging = Path(final).with_name(f"{Path(final).name}.partial")
    if staging.is_dir() and not staging.is_symlink() and [p.name for p in staging.iterdir()] == [_PARTIAL_NOTE]:
        (staging / _PARTIAL_NOTE).unlink()
        staging.rmdir()


@contextmanager
def interrupts_deferred():
    """Ctrl-C and SIGTERM held back for the block (acted on when it ends): moving a finished result into place
    file by file, one arriving part-way left a folder of two runs' files. Python's handlers are swapped (a blocked
    signal mask would not do: torch's threads would take the signal); only the main thread can swap them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = {s: signal.signal(s, lambda signum, _frame: arrived.append(signum)) for s in _HELD_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if arrived:
            handler = previous[arrived[0]]
            if callable(handler):  # Python's own (KeyboardInterrupt) or dnalm's
                handler(arrived[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(arrived[0])


_HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def readable_as_umask_says(folder: str | Path) -> None:
    """Give the files of a finished result (a folder, or one file) that a library wrote through a private
    temporary file (mode 0600: transformers' model.safetensors) the mode every other file there has (0666 less the
    umask), so that whoever may read the folder may load the model."""
    umask = os.umask(0)
    os.umask(umask)
    if umask & 0o044:  # a private umask: 0600 is what the user asked for
        return
    walked = (os.path.join(top, n) for top, _, names in os.walk(folder) for n in names)
    for path in [str(folder)] if os.path.isfile(folder) else walked:
        with contextlib.suppress(OSError):
            if not os.path.islink(path) and os.stat(path).st_mode & 0o777 == 0o600:
                os.chmod(path, 0o666 & ~umask)


def finish_folder(staging: str | Path, final: str | Path) -> Path:
    """Move a completed staging folder onto ``final`` (the previous contents are removed only now)."""
    import shutil

    staging, final = Path(staging), Path(final)
    (staging / _PARTIAL_NOTE).unlink(missing_ok=True)
    readable_as_umask_says(staging)
    if final.exists():
        old = final.with_name(f"{final.name}.replaced-{os.getpid()}")
        os.replace(final, old)
        try:
            os.replace(staging, final)
        except OSError:
            os.replace(old, final)  # the previous result, whole
            raise
        try:
            shutil.rmtree(old)
        except OSError as err:  # the result is in place: what could not be removed is said, not an error
            log.warning(
                "%s is in place; the previous result set aside in %s could not be removed (%s)",
                final,
                old,
                err.strerror or err,
            )
    else:
        os.replace(staging, final)
    return final
