"""One output policy for every command that writes: outputs declared up front, checked, locked, marked.

A command declares what it reads and what it writes before any work::

    with claim("predict", inputs=[fasta], outputs=[Output(out)]) as c:
        out = c.path(out)  # the path to write (symbolic links followed, see below)
        ...

and :func:`claim` refuses, with one line naming the paths (an :class:`OutputError`, a ``ValueError``):

- an output that is an input in any spelling (the same path, ``..`` components, a symbolic link or a hard
  link to it: ``st_dev``/``st_ino`` compared), an output folder that contains an input, and an output
  file that would replace a file inside an input folder (``report DIR -o DIR/results.md``);
- a folder that is not dnalm's: dnalm's folders carry a marker, ``.dnalm.json``, with the kind of result
  (``model``, ``pretrain``, ``synth``...), dnalm's version and the names dnalm wrote there. A non-empty
  folder without it (foreign), with a marker of another kind, or with files dnalm did not write (mixed)
  is refused unless ``overwrite``. ``overwrite`` removes only what the marker lists, never the user's
  other files (same-named files are replaced). Inside the folders dnalm wrote, a file changed or added after the
  marker was written (its inode change time is later) is the user's and stays, and the next marker records it as
  theirs (``theirs``: it is older than that marker, yet never dnalm's); an entry the user had when a run
  started stays the user's while it still holds the same file (an edit, or dnalm writing beside it, keeps it so).
  Folders written before markers existed are recognised by the file their kind always wrote
  (:data:`LEGACY_MARKERS`); dnalm does not know which of their files it wrote, so it removes none of them and
  only replaces those it writes again;
- a folder another dnalm run is writing: each output is locked while the run writes it by a lock file
  beside it, ``.NAME.dnalm-lock`` (written aside and hard-linked into place, so it is never seen half-written;
  it holds the pid, host, command and start time). A second run refuses at once naming the first; the lock of a
  run that died (its pid is gone, same host) is taken over with a warning. Locks are released on exit, on errors too.

A finished folder of the same kind is replaced (dnalm's files removed first) or, for kinds whose result is
costly (``rerun="refuse"``: a fine-tuned model, a pretraining run), refused unless ``overwrite`` or ``resume``,
as transformers' example scripts refuse a non-empty ``output_dir``; ``rerun="continue"`` (a benchmark)
keeps it for the run to continue.

An output **file** that exists is replaced only when an earlier run of the same command wrote it: each folder that
holds dnalm's output files keeps a ledger, ``.dnalm-files.json`` (the name of each file, the command that wrote it
and when). Any other existing file (the user's, or another command's result) is refused unless ``overwrite``.

Symbolic links, one rule: **an output given as a symbolic link is written at the link's target, and the link
is kept.** The target is what is checked, locked and marked; :meth:`Claim.path` gives it. dnalm makes no links
itself, and one inside an output folder is refused (with ``overwrite`` too): a file written there would land on
its target.

The log file (``dnalm --log-file LOG``, :func:`log_to`) is an output too. The log is appended, so an existing file
that is not a dnalm log is refused; so is a log that is an input of the command or one of its output files (and
nothing is appended to it). A log inside an output folder is the user's file there (never listed in the marker,
never removed).
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import functools
import glob
import inspect
import json
import logging
import os
import re
import reprlib
import shutil
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from dnalm._version import __version__
from dnalm.io.files import (
    check_printable_name,
    interrupts_deferred,
    is_stream,
    names_a_standard_stream,
    readable_as_umask_says,
    stream_file,
)
from dnalm.io.table import file_format
from dnalm.settings import check_flag, flag, home_expanded

log = logging.getLogger(__name__)

__all__ = [
    "LEGACY_MARKERS",
    "MARKER",
    "Claim",
    "Output",
    "OutputError",
    "claim",
    "claims",
    "clear_run_folder",
    "file_output",
    "install_folder",
    "local",
    "log_to",
    "not_partial",
    "read_marker",
    "remove_path",
    "remove_written",
    "stopped_run_entries",
]

#: The marker file of a folder dnalm wrote.
MARKER = ".dnalm.json"
#: The ledger of the output files dnalm wrote in a folder (see the module).
LEDGER = ".dnalm-files.json"
#: Kinds of folder dnalm wrote before markers existed, and the file that says so.
LEGACY_MARKERS = {"model": "dnalm_config.yaml", "pretrain": "dnalm_pretrain.yaml", "benchmark": "benchmark.json"}
_LOCK_SUFFIX = ".dnalm-lock"
_HELD: dict[Path, int] = {}  # locks this process holds, and how many claims hold each (nested claims)
_LOGS: dict[Path, logging.Handler] = {}  # --log-file: the real path of each log this process appends to


class OutputError(ValueError):
    """An output this run must not write: one line naming the paths."""


def file_output(given: str | os.PathLike) -> Path:
    """An output that is a file, as given: a name ending in '/' names a folder and is refused (pathlib drops the '/',
    and the file would be written under the name without it). Standard output (``-``) and devices are files too.

    >>> file_output("out.tsv")
    PosixPath('out.tsv')
    >>> file_output("out.tsv/")
    Traceback (most recent call last):
    ...
    dnalm.io.outputs.OutputError: output out.tsv/ ends with '/', a folder's name; this output is a file (drop the '/')
    """
    if str(given).endswith(("/", os.sep)) and not is_stream(given):
        raise OutputError(f"output {given} ends with '/', a folder's name; this output is a file (drop the '/')")
    return Path(given)


@dataclass(frozen=True)
class Output:
    """An output of a command: a file (``kind="file"``) or a folder holding one kind of result.

    ``rerun`` says what a run into a finished folder of the same kind does: ``"replace"`` it (dnalm's files
    removed first), ``"refuse"`` unless overwrite or resume, or ``"continue"`` in it (resumable runs).
    ``staged``: the run writes ``NAME.partial`` and installs it with :func:`install_folder` (which removes
    the previous result only then); that folder is locked too. ``atomic``: staged by the claim itself, for a
    command that does not continue stopped runs: :meth:`Claim.path` gives ``NAME.partial`` (made empty), which is
    put in place when the run succeeds and removed when it fails or is interrupted, so a folder holds one run's
    result or the one before, never a mix (a killed run's ``NAME.partial`` is removed by the next run).
    ``partial_names``: of a staged output, what its run writes in ``NAME.partial`` before it ends (``fnmatch``
    patterns of names; ``folder/pattern`` names what a folder of it holds): any other entry there is the user's,
    kept as theirs when a run resumes, and a reason to refuse removing a stopped run's folder
    (:func:`clear_run_folder`); empty: every entry there is the run's. Of an ``atomic`` output, what its command
    writes in the folder: where a run was killed part-way, ``--overwrite`` removes only the entries it names
    (:func:`install_folder`). ``named_after``: the output the user named that this one's name is made from
    (``report -o r.html`` writes ``r_files/``): a refusal asks for another name for that one.
    """

    path: str | Path
    kind: str = "file"
    rerun: str = "replace"
    staged: bool = False
    atomic: bool = False
    partial_names: tuple[str, ...] = ()
    named_after: str | Path | None = None

    @property
    def stages(self) -> bool:
        """Written in ``NAME.partial`` and put in place only when complete (by the command, or by the claim)."""
        return self.staged or self.atomic


def _main_process() -> bool:
    """This process is the one that writes (rank 0 of ``torchrun``/``accelerate launch``, which set ``RANK``; the only
    process without a launcher), as :func:`dnalm.runtime.distributed.is_main` says; read here from the launcher's
    environment, so the output policy needs nothing of the runtime."""
    return int(os.environ.get("RANK", "0")) == 0


def _real(path: str | Path) -> Path:
    """Where ``path`` leads (links followed); a link that leads back to itself is refused: realpath gave the link,
    which an output then replaced with a file."""
    expanded = os.path.expanduser(str(path))
    try:
        os.stat(expanded)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise OutputError(
                f"{path}: a symbolic link that leads back to itself (a loop); remove it, or give another name"
            ) from None
    return Path(os.path.realpath(expanded))


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _same_file(a: Path, b: Path) -> bool:
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _linked_inside(out: Path, folder: Path, limit: int = 100_000) -> Path | None:
    """The file inside ``folder`` that ``out`` is a hard link of, if any (only looked for when it has links)."""
    try:
        st = os.stat(out)
    except OSError:
        return None
    if st.st_nlink < 2 or not out.is_file():
        return None
    for i, path in enumerate(folder.rglob("*")):
        if i == limit:
            break
        if path.is_file() and _same_file(path, out):
            return path
    return None


def _check_against_inputs(given: str | Path, out: Path, folder: bool, inputs: list[tuple[str, Path]]) -> None:
    for name, real in inputs:
        if out == real or _same_file(out, real):
            raise OutputError(f"output {given} is the input {name}; write the result elsewhere")
        linked = _linked_inside(out, real) if real.is_dir() and not folder else None
        if linked is not None:
            raise OutputError(f"output {given} is {linked}, in the input folder {name}; write the result elsewhere")
        if folder and _within(real, out):
            raise OutputError(f"output folder {given} contains the input {name}; choose another output folder")
        if not folder and real.is_dir() and real in out.parents and out.exists():
            raise OutputError(f"output {given} would replace {out.name} in the input folder {name}; write elsewhere")
        if not folder and real.is_dir() and out.parent == real and (split := _split_named(out)):
            raise OutputError(  # audit -o DATA/test.json: the data folder then held two test splits
                f"output {given} would be read as the {split} split of the input folder {name}; write elsewhere"
            )
        if folder and real.is_dir() and real in out.parents and _entries(out) and read_marker(out) is None:
            raise OutputError(  # e.g. a split folder of the corpus it reads: dnalm would write among the input's files
                f"output folder {given} is a folder of the input {name} that holds its files; choose another folder"
            )


def _split_named(path: Path) -> str | None:
    """The split a file of this name would be read as in a data folder (``test.json``: test), or None."""
    from dnalm.io.base import strip_gz
    from dnalm.io.datasets import SPLIT_ALIASES

    stem = strip_gz(path).split(".")[0]
    return next((split for split, names in SPLIT_ALIASES.items() if stem in names), None)


def local(*names) -> list[str]:
    """Those of ``names`` that are paths on this machine (a model argument may also be a preset or a hub id): the
    inputs a command that takes a model declares, so that no output is written over the model it reads."""
    return [str(n) for n in names if n is not None and os.path.lexists(os.path.expanduser(str(n)))]


def _check_outputs_apart(outputs: list) -> None:
    """Two outputs of one command that are one path, or a file output inside a folder output, would overwrite
    each other's result after the work is done: refused before it."""
    for i, (a, real_a) in enumerate(outputs):
        for b, real_b in outputs[i + 1 :]:
            inside = (a.kind != "file" and _within(real_b, real_a)) or (b.kind != "file" and _within(real_a, real_b))
            if real_a == real_b or _same_file(real_a, real_b) or inside:
                raise OutputError(
                    f"outputs {a.path} and {b.path} are one path (or one inside the other); give each its own"
                )


def log_to(path: str | Path | None) -> logging.Handler | None:
    """A handler that appends the log to ``path`` (opened at the first record), known to every claim as an output
    (see the module); it replaces the log of an earlier command in this process (None: no log file). A folder, a
    file that is not a dnalm log, or one that cannot be written is an :class:`OutputError`."""
    _LOGS.clear()
    if path is None:
        return None
    # '-' wrote a file named '-'; /dev/stdout put log lines among the results (a traceback where it was a pipe), and
    # 'logs/' wrote a file 'logs'
    if names_a_standard_stream(path) or str(path).endswith(("/", os.sep)):
        what = (
            "a standard stream (results go to standard output)"
            if names_a_standard_stream(path)
            else "a name ending in '/' is a folder's"
        )
        raise OutputError(f"--log-file {path}: {what}; give a file name such as dnalm.log (the log is on stderr too)")
    _check_printable(path, "--log-file")
    real = _real(path)
    if real.is_dir():
        raise OutputError(f"--log-file {path} is a folder; give a file name such as {Path(path) / 'dnalm.log'}")
    for p in real.parents:
        if p.exists():
            if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK):
                raise OutputError(f"--log-file {path}: cannot write in {p}")
            break
    if real.exists() and not os.access(real, os.W_OK):
        raise OutputError(f"--log-file {path}: no permission to write it")
    if real.is_file() and not _is_log(real):
        raise OutputError(f"--log-file {path} exists and is not a dnalm log; the log is appended, so name a new file")
    handler = _LogFile(real, encoding="utf-8", delay=True)
    _LOGS[real] = handler
    return handler


def note_in_logs(line: str, level: int = logging.ERROR) -> None:
    """Append ``line`` (printed rather than logged: the error that ended a command, or its result) to the log file."""
    name = logging.getLevelName(level)
    for handler in _LOGS.values():
        handler.emit(logging.makeLogRecord({"name": "dnalm", "levelno": level, "levelname": name, "msg": line}))


class _LogFile(logging.FileHandler):
    """Opened, and its folder made, at the first record (the error that ends a command is one: a log asked for
    says why the command stopped; a log refused as an output is detached first and gets nothing)."""

    failed = False

    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def handleError(self, record) -> None:
        """A log that cannot be written (a full disk, /dev/full): said once, in one line (logging printed a
        traceback for every record); the command goes on."""
        if not self.failed:
            self.failed = True
            err = sys.exc_info()[1]
            why = getattr(err, "strerror", None) or err
            print(
                f"warning: --log-file {self.baseFilename} cannot be written ({why}); the messages still go to standard error",
                file=sys.stderr,
            )


def _check_logs(inputs: list[tuple[str, Path]], outputs: list) -> None:
    """Refuse a log that is an input (a hard link too), an output file, or inside an output folder unless named
    ``*.log`` (another name may be one of the command's files, which would replace it); it is detached first, so
    the refusal is not appended to it."""
    for log_path, handler in list(_LOGS.items()):
        clash = next(
            (
                f"the input {n}; write the log elsewhere"
                for n, real in inputs
                if log_path == real or _same_file(log_path, real) or (real.is_dir() and _linked_inside(log_path, real))
            ),
            None,
        )
        clash = clash or next(
            (
                f"the output {o.path}; write the log elsewhere"
                if o.kind == "file" or log_path == real
                else f"inside the output folder {o.path}, where the command writes files of its own; name it *.log "
                "(dnalm writes none there) or write it elsewhere"
                for o, real in outputs
                if log_path == real
                or (o.kind != "file" and log_path.is_relative_to(real) and log_path.suffix != ".log")
            ),
            None,
        )
        try:
            if clash:
                raise OutputError(f"--log-file {log_path} is {clash}")
            _check_no_other_run_above(log_path, f"--log-file {log_path}", itself=True)  # two runs, one file
        except OutputError:
            logging.getLogger().removeHandler(handler)
            handler.close()
            del _LOGS[log_path]
            raise


def _is_log(path: Path) -> bool:
    """An empty file, or one whose first line reads as dnalm's log (``LEVEL logger: message``)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
    except OSError:
        return False
    return not first or re.match(r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+: ", first) is not None


def _logs_in(folder: Path) -> set[str]:
    return {p.name for p in _LOGS if p.parent == folder}


def read_marker(folder: str | Path) -> dict | None:
    """The marker of a folder dnalm wrote (``kind``, ``files``...), a legacy folder's stand-in, or None."""
    folder = Path(folder)
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        if isinstance(marker, dict) and isinstance(marker.get("kind"), str):
            names = {
                key: [f for f in marker[key] if isinstance(f, str) and "/" not in f]
                if isinstance(marker.get(key), list)
                else []
                for key in _LISTS
            }
            return {**marker, **names}
    except (OSError, ValueError):
        pass
    for kind, name in LEGACY_MARKERS.items():
        if (folder / name).is_file():
            return {"kind": kind, "files": [], "legacy": True}
    return None


#: a marker's lists of names: what dnalm wrote; the user's (while a run writes); what a stopped run may have written
_LISTS = ("files", "users", "unknown")


def _ours(name: str) -> bool:
    """dnalm's own bookkeeping in a folder: the marker, locks, temporary files of atomic writes."""
    return name in (MARKER, LEDGER) or name.endswith(_LOCK_SUFFIX) or ".partial-" in name


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if not _ours(p.name)} if folder.is_dir() else set()


def remove_path(path: Path) -> None:
    """A file, a link (not what it leads to) or a folder with everything in it."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _check_folder(given, out: Path, o: Output, overwrite: bool | None, resume: bool) -> tuple[set, list, set]:
    """The user's entries of an output folder (kept), dnalm's (removed when replacing), and those of the user's
    that may be a stopped run's instead (kept, not refused); refusals."""
    if out.exists() and not out.is_dir():  # /dev/null was called a file
        what = "a file" if out.is_file() else "a device or pipe (a stream)"
        raise OutputError(f"output {given} is {what}; this command writes a folder: give a folder name")
    if (out / "PARTIAL_RUN.txt").is_file():  # a stopped run's staging folder: a result written there mixed the two
        raise OutputError(
            f"output folder {given} is what a stopped run writing {out.name.removesuffix('.partial')} left: give "
            f"that name with {flag('resume')} to continue it or {flag('overwrite')} to start again, or choose "
            "another folder"
        )
    entries = _entries(out) - _logs_in(out)  # the log of this run is the user's file, not a reason to refuse
    if not entries:
        return set(), [], set()
    marker = read_marker(out)
    staged_run = o.stages and out.with_name(f"{out.name}.partial").is_dir()  # a stopped run of this output's
    resumable = resume and (not o.stages or staged_run)
    other_name = f"give {o.named_after} another name (this folder is named after it)" if o.named_after else ""
    how = (other_name or "choose another folder") + (  # --help says the same: a user's file dnalm writes is replaced
        f", or pass {flag('overwrite')} (it removes only what dnalm wrote there; a file of yours named as one dnalm "
        "writes is replaced)"
        if overwrite is not None
        else ""
    )
    if marker is None and not overwrite:
        raise OutputError(f"output folder {given} is not empty and is not a folder dnalm wrote (no {MARKER}); {how}")
    _check_no_links(given, out, entries)
    if marker is None:
        return entries, [], set()
    if marker["kind"] != o.kind and not overwrite:
        raise OutputError(f"output folder {given} holds a dnalm {marker['kind']}, not a {o.kind}; {how}")
    # a folder from before markers: all dnalm's, but which files it wrote is unknown, so none is removed
    listed = [] if marker.get("legacy") else sorted(entries & set(marker["files"]))
    users = set() if marker.get("legacy") else entries - set(listed)
    unknown, users, listed = _stopped_runs(out, marker, users, listed, o.partial_names)
    other = _other_commands_files(out)  # another command's results here (`report RUNS -o RUNS/report.html`)
    blocking = users - unknown - other - {n for n in users if n.endswith(".log") and _is_log(out / n)}  # + logs
    written = marker.get("content") if isinstance(marker.get("content"), dict) else {}
    turned = sorted(n for n in listed if n in written and (out / n).is_dir() and not (out / n).is_symlink())
    if turned:  # a file dnalm wrote is now a folder (the user's): never removed, and no file can go there
        raise OutputError(
            f"output folder {given}: {turned[0]} was a file dnalm wrote and is now a folder; dnalm writes a file "
            "there: move the folder away, or choose another output folder"
        )
    edited = {
        n for n in listed if n in written and n not in other and (out / n).exists() and _content(out / n) != written[n]
    }
    if edited and not overwrite:  # dnalm's file, changed since (the user's edit): not replaced without asking
        shown = ", ".join(sorted(edited)[:3]) + (" ..." if len(edited) > 3 else "")
        raise OutputError(f"output folder {given} holds files dnalm wrote that have changed since ({shown}); {how}")
    # (a stopped run resumed: the user's files were let be when it started, and installing it keeps them)
    if blocking and not overwrite and not (resumable and o.stages):  # a dnalm result of another kind is named as one
        kinds = {n: (read_marker(out / n) or {}).get("kind") if (out / n).is_dir() else None for n in blocking}
        shown = ", ".join(f"{n}: a dnalm {kinds[n]}" if kinds[n] else n for n in sorted(blocking)[:3])
        shown += " ..." if len(blocking) > 3 else ""
        aside = out.with_name(f"{out.name}.partial")  # a stopped --overwrite of a command that writes in place
        replaced = resume and not o.stages and (aside / "PARTIAL_RUN.txt").is_file()
        raise OutputError(
            f"output folder {given} holds files this command did not write ({shown}); {how}"
            + (
                f" ({aside} is a stopped run that replaced it, and such a run starts afresh: it is not resumed)"
                if replaced
                else ""
            )
        )
    if marker["kind"] == o.kind and o.rerun == "refuse" and not (overwrite or resumable):
        raise OutputError(
            f"output folder {given} already holds a dnalm {o.kind}; pass {flag('overwrite')} to replace it"
            + (f", {flag('resume')} to continue it" if o.kind == "pretrain" and not _finished(out) else "")
            + (f", {flag('resume')} to continue the stopped run in {out.name}.partial" if staged_run else "")
            + ", or choose another folder"
        )
    return users, listed, unknown


def _stopped_runs(out: Path, marker: dict, users: set[str], listed: list[str], names: tuple[str, ...]):
    """``(unknown, users, listed)``: of a run stopped before it could list its files, what is neither listed nor the
    user's (as it found them) may be that run's or the user's since (``unknown``): it does not stop a re-run and is
    never removed (the end marker lists it only if this run writes it again). Where the command says what it writes
    there (``names``), those entries are the stopped run's: listed, not unknown."""
    unknown = users & set(marker.get("unknown", [])) | (
        users - set(marker.get("users", [])) if marker.get("running") else set()
    )
    if not names or not unknown:
        return unknown, users, listed
    runs = unknown - set(not_partial(out, names))
    return unknown - runs, users - runs, sorted({*listed, *runs})


def _other_commands_files(folder: Path) -> set[str]:
    """The files in ``folder`` that a dnalm command wrote as output files and that hold what it wrote (its ledger):
    dnalm's, not the user's, whatever their change time (a report written into a benchmark's folder), with the
    figures folder of such a report (``report RUNS -o RUNS/again.html`` writes ``again_files``: the benchmark's next
    run was refused over it)."""
    files = {
        name
        for name, wrote in _ledger(folder).items()
        if "/" not in name and wrote.get("content") is not None and _content(folder / name) == wrote["content"]
    }
    figures = {f"{Path(n).stem}_files" for n in files if n.lower().endswith((".html", ".htm"))}
    return files | {n for n in figures if (read_marker(folder / n) or {}).get("kind") == "report-figures"}


def _finished(folder: Path) -> bool:
    """A pretraining that ran to its end (its summary written): nothing is left to resume."""
    return (folder / "pretrain_summary.json").is_file()


def _check_no_links(given, out: Path, entries: set[str], limit: int = 10_000) -> None:
    """dnalm makes no symbolic links, and a file it writes where one lies could be written through it, onto the
    link's target (an input, a file anywhere): a link in an output folder (or in a folder inside it) is refused,
    with ``overwrite`` too."""
    found, seen = None, 0
    for name in sorted(entries):
        path = out / name
        if path.is_symlink():
            found = path
        elif path.is_dir():
            for p in path.rglob("*"):
                seen += 1
                if p.is_symlink():
                    found = p
                if found is not None or seen > limit:
                    break
        if found is not None:
            raise OutputError(
                f"output folder {given} holds a symbolic link, {found.relative_to(out)} -> {os.readlink(found)}; "
                "dnalm would write through it onto its target: remove the link, or choose another output folder"
            )


def _stamp(path: Path) -> tuple | None:
    """What tells whether a file was written again: its inode, size and modification time (None: it is gone)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _top_stamps(folder: Path) -> dict[str, tuple | None]:
    """:func:`_stamp` of each entry of ``folder`` (not dnalm's own files, nor a log the run appends to): what tells
    whether a run wrote there."""
    return {name: _stamp(folder / name) for name in _entries(folder) - _logs_in(folder)}


def _inode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_ino
    except OSError:
        return None


def _snapshot(path: Path) -> dict[Path, tuple | None]:
    """The stamp of a file, or of every file under a folder (symbolic links are not followed)."""
    if path.is_dir() and not path.is_symlink():
        return {p: _stamp(p) for p in path.rglob("*") if not p.is_dir() or p.is_symlink()}
    return {path: _stamp(path)}


def _marked_at(folder: Path) -> int | None:
    """When the last run that finished in the folder wrote its marker (ns, the marker's inode change time; a run
    writing there now carries that time in its own marker); None: no marker."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        if isinstance(marker, dict) and marker.get("running") and isinstance(marker.get("finished_ns"), int):
            return marker["finished_ns"]
        return os.lstat(folder / MARKER).st_ctime_ns
    except (OSError, ValueError):
        return None


def _theirs(folder: Path) -> set[Path]:
    """The user's files inside the entries dnalm wrote in ``folder``, as its marker recorded them (``theirs``): a
    later run of dnalm's wrote a newer marker, yet they stay the user's."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    names = marker.get("theirs") if isinstance(marker, dict) else None
    return {
        folder / n
        for n in (names if isinstance(names, list) else [])
        if isinstance(n, str) and n and not os.path.isabs(n) and ".." not in Path(n).parts
    }


def _written_by_dnalm(
    snapshot: dict[Path, tuple | None], marked: int | None, theirs: set[Path] = frozenset()
) -> dict[Path, tuple | None]:
    """The files of a snapshot of dnalm's entries that are still as dnalm left them: a file changed or added after
    the marker was written (its inode change time is later: the user's note in a dnalm folder, an edit) is not,
    nor one the marker records as the user's (``theirs``)."""
    if marked is None:
        return {path: stamp for path, stamp in snapshot.items() if path not in theirs}
    kept = {}
    for path, stamp in snapshot.items():
        try:
            if os.lstat(path).st_ctime_ns > marked or path in theirs:
                continue
        except OSError:
            pass
        kept[path] = stamp
    return kept


def _still_users(path: Path, snapshot: dict[Path, tuple | None] | None) -> bool:
    """An entry the user had when the run started is still the user's while any file of it is the same file (same
    inode: dnalm replaces files, an edit or an append keeps it): a folder holding the user's files stays theirs."""
    if snapshot is None:
        return False
    if _snapshot(path) == snapshot:  # as it was (an empty folder too)
        return True
    for p, stamp in snapshot.items():
        try:
            if stamp is not None and os.lstat(p).st_ino == stamp[0]:
                return True
        except OSError:
            continue
    return False


def remove_written(folder: Path, names: list[str]) -> None:
    """Remove the entries ``names`` that dnalm wrote in ``folder``, except the files under them changed or added
    since its marker was written (the user's: kept, with the folders that hold them)."""
    marked, theirs = _marked_at(folder), _theirs(folder)
    for name in names:
        for path in _written_by_dnalm(_snapshot(folder / name), marked, theirs):
            remove_path(path)
        _prune(folder / name)


def not_partial(staging: Path, names: tuple[str, ...]) -> list[str]:
    """The entries of a stopped run's staging folder (paths relative to it) that its run does not write there
    before it ends (:attr:`Output.partial_names`): the user's. Empty when ``names`` is (nothing is known). A
    folder the run writes is looked into where a name says what it holds (``checkpoints/checkpoint-*``,
    ``checkpoints/checkpoint-*/optimizer.pt``), to any depth."""
    from fnmatch import fnmatchcase

    def written(rel: str) -> bool:  # (fnmatch's * also matches a /: a name matches at its own depth only)
        return any(rel.count("/") == p.count("/") and fnmatchcase(rel, p) for p in names)

    def described(rel: str) -> bool:  # some name says what a folder of this name holds
        depth = rel.count("/") + 1
        return any(p.count("/") >= depth and fnmatchcase(rel, "/".join(p.split("/")[:depth])) for p in names)

    def walk(rel: str) -> list[str]:
        if not written(rel):
            return [rel]
        path = staging / rel
        if not path.is_dir() or path.is_symlink() or not described(rel):
            return []
        return [found for name in sorted(os.listdir(path)) for found in walk(f"{rel}/{name}")]

    return [found for entry in sorted(_entries(staging) - {"PARTIAL_RUN.txt"}) if names for found in walk(entry)]


def clear_run_folder(folder: Path, files: tuple[str, ...], partial_names: dict | None = None) -> list[str]:
    """Empty a folder dnalm made for one run of a benchmark or search before the run is done again: its ``files``,
    and what dnalm wrote in each result folder inside (its marker says which; a stopped run's staging folder
    whole, when it holds nothing but what its run writes there, ``partial_names[result folder's name]``: an entry
    of the user's there is refused, not removed); the user's other files stay, and their names are returned (the
    folder was removed whole, a note of the user's with it)."""
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        if entry.is_dir() and not entry.is_symlink() and (entry / "PARTIAL_RUN.txt").is_file():
            names = (partial_names or {}).get(entry.name.removesuffix(".partial"), ())
            if theirs := not_partial(entry, names):
                shown = ", ".join(theirs[:3]) + (" ..." if len(theirs) > 3 else "")
                raise OutputError(
                    f"{entry} is what a stopped run left, to be removed as the run starts again, and it holds "
                    f"{shown}, which that run does not write there: move it away and run again"
                )
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        if entry.is_symlink() or not entry.is_dir():
            if entry.name in files or _ours(entry.name):
                entry.unlink()
        elif (entry / "PARTIAL_RUN.txt").is_file():
            shutil.rmtree(entry)
        elif (marker := read_marker(entry)) is not None:
            remove_written(entry, sorted(_entries(entry) & set(marker.get("files", []))))
            (entry / MARKER).unlink(missing_ok=True)
            (entry / LEDGER).unlink(missing_ok=True)
            _prune(entry)
    kept = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir()) if folder.is_dir() else []
    if kept:
        log.warning("%s: kept %d file(s) of yours in a run done again: %s", folder, len(kept), ", ".join(kept[:3]))
    return kept


def stopped_run_entries(folder: Path, marker: dict, names: tuple[str, ...] = ()) -> list[str]:
    """The entries of ``folder`` (paths relative to it) that a run killed part-way may have written: neither the
    user's when it started nor dnalm's listed files (what :func:`remove_stopped_run` removes). With ``names``, what
    the command writes there (``fnmatch`` patterns, as :attr:`Output.partial_names`), only the entries it names:
    any other was put there since the run started, by the user, and stays; without, every such entry (a refusal
    names them)."""
    if not marker.get("running"):
        return []
    known = set(marker.get("users", [])) | set(marker.get("files", []))
    found = sorted(_entries(folder) - known - _logs_in(folder))
    if not names:
        return found
    return _runs_entries(folder, found, set(not_partial(folder, names)))


def _runs_entries(folder: Path, entries: list[str], theirs: set[str]) -> list[str]:
    """Of ``entries`` (relative to ``folder``), what a run wrote: each whole, except those of ``theirs`` (the user's)
    and the folders holding one of theirs, whose other entries are looked at in turn."""
    runs = []
    for entry in entries:
        if entry in theirs:
            continue
        if any(t.startswith(f"{entry}/") for t in theirs):  # a folder of the run's with a file of the user's in it
            runs += _runs_entries(folder, [f"{entry}/{n}" for n in sorted(os.listdir(folder / entry))], theirs)
        else:
            runs.append(entry)
    return runs


def remove_stopped_run(folder: Path, marker: dict, names: tuple[str, ...] = ()) -> list[str]:
    """With ``--overwrite``: the entries of ``folder`` that a run killed part-way left, those its running marker
    names neither as the user's nor as dnalm's listed files (which :func:`remove_written` removes, keeping a user's
    file changed inside them), and with ``names`` only those the command writes (see :func:`stopped_run_entries`);
    without, what was put there since cannot be told from the run's own (a refusal without ``--overwrite`` says
    so). Returns the names removed."""
    gone = stopped_run_entries(folder, marker, names)
    for name in gone:
        remove_path(folder / name)
    return gone


def _prune(path: Path) -> None:
    """``path`` and the folders under it, removed where empty."""
    if path.is_dir() and not path.is_symlink():
        for sub in sorted((p for p in path.rglob("*") if p.is_dir() and not p.is_symlink()), reverse=True):
            if not any(sub.iterdir()):
                sub.rmdir()
        if not any(path.iterdir()):
            path.rmdir()


def _ledger(folder: Path) -> dict:
    try:
        value = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
        return {k: v for k, v in value.items() if isinstance(v, dict)} if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}


#: the kinds of result that are loaded as a whole (a model, a tokenizer, a corpus): a file of theirs is never written
#: over, with --overwrite either
_LOADED_WHOLE = ("model", "pretrain", "tokenizer", "corpus")


def _check_file(given, out: Path, command: str, overwrite: bool | None) -> None:
    """An existing output file is replaced only when the same command wrote it (the folder's ledger) or with
    ``overwrite``; a device such as ``/dev/null`` is written as it is."""
    if not out.is_file():
        return
    marker = read_marker(out.parent) or {}
    if marker.get("kind") in _LOADED_WHOLE and out.name in marker.get("files", ()):  # --overwrite too
        raise OutputError(  # it wrote an audit over m/config.json, and m still read as a finished model
            f"output {given} is part of the dnalm {marker['kind']} there, which would not load without it; choose "
            "another name"
        )
    if overwrite:
        return
    wrote = _ledger(out.parent).get(out.name, {})
    how = f", or pass {flag('overwrite')} to replace it" if overwrite is not None else ""
    if wrote.get("command") != command:
        what = (
            f"the result of `dnalm {wrote['command']}`"
            if wrote.get("command")
            else f"part of the dnalm {marker['kind']} there"
            if out.name in marker.get("files", ())
            else "a file dnalm did not write"
        )
        raise OutputError(f"output {given} exists and is {what}; choose another name{how}")
    if "content" in wrote and wrote["content"] != _content(out):  # an older ledger has none
        raise OutputError(
            f"output {given} was written by `dnalm {command}` and has changed since (edited?); choose another name{how}"
        )


#: what the last stopped run of each command left for --resume (:meth:`Claim._left_for_resume`), for the message
_LEFT: dict[str, str | None] = {}


def left_for_resume(command: str | None, *, forget: bool = False) -> str | None:
    """What the stopped ``command`` of this process left to continue with --resume, said; None: nothing.
    ``forget``: a command starts (what an earlier one in this process left is not its own)."""
    return _LEFT.pop(command or "", None) if forget else _LEFT.get(command or "")


def _content(path: Path, part: int = 4 << 20) -> str | None:
    """Size and SHA-256 of a file, of its first and last ``part`` bytes where it is longer than both: what tells
    an edit apart from a copy or a ``touch`` (modification times change with those), at a bounded cost."""
    import hashlib

    try:
        size = path.stat().st_size
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            if size <= 2 * part:
                digest.update(fh.read())
            else:
                digest.update(fh.read(part))
                fh.seek(size - part)
                digest.update(fh.read(part))
    except OSError:
        return None
    return f"{size}:{digest.hexdigest()[:32]}"


def _enter_ledger(out: Path, command: str) -> None:
    """Note in the folder's ledger that ``command`` wrote ``out`` (so that its next run may replace it)."""
    from dnalm.io.files import write_json

    entries = _ledger(out.parent)
    # what the file holds: one the user edited afterwards is no longer dnalm's to replace
    entries[out.name] = {"command": command, "written": _now(), "content": _content(out)}
    try:
        write_json(out.parent / LEDGER, entries)
    except OSError as err:
        log.warning("could not write %s: %s", out.parent / LEDGER, err)


def _lock_path(out: Path) -> Path:
    return out.with_name(f".{out.name}{_LOCK_SUFFIX}")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a killed one that its parent has not reaped yet, a zombie, does not: a re-run
    right after a kill -9 was refused as if the killed run were still writing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]  # (the name in parentheses may hold spaces)
    except (OSError, IndexError):  # no /proc (macOS): os.kill said it is there
        return True
    return state not in (b"Z", b"X")


def _create_whole(path: Path, text: str) -> None:
    """Create ``path`` holding ``text``, or raise FileExistsError: never seen empty or half-written, so a run killed
    while taking a lock leaves either no lock or one that names it (written aside, then hard-linked into place;
    where the file system has no hard links, created exclusively and then written)."""
    for left in path.parent.glob(f"{glob.escape(path.name)}.*.tmp"):  # a killed run's, between write and link
        pid = left.name[len(path.name) + 1 : -len(".tmp")]
        if pid.isdigit() and not _alive(int(pid)):
            left.unlink(missing_ok=True)
    aside = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        aside.write_text(text, encoding="utf-8")
        try:
            os.link(aside, path)
            return
        except FileExistsError:
            raise
        except OSError:
            pass  # no hard links here
    finally:
        aside.unlink(missing_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _lock(out: Path, given, command: str) -> Path | None:
    """Take the lock of ``out`` (None: this process holds it already, for an outer claim)."""
    lock = _lock_path(out)
    if lock in _HELD:
        _HELD[lock] += 1
        return lock
    me = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "started": time.strftime("%FT%T%z")}
    for _ in range(2):
        try:
            _create_whole(lock, json.dumps(me))
        except FileExistsError:
            other = _read_lock(lock)
            if why := _stale(lock, other):
                log.warning("taking over %s: %s", lock, why)
                lock.unlink(missing_ok=True)
                continue
            raise OutputError(
                f"output {given} is being written by another dnalm run (pid {other.get('pid', '?')} on "
                f"{other.get('host', '?')}, `{other.get('command', '?')}`, started {other.get('started', '?')}); "
                f"wait for it to finish, or remove {lock} if it is not running"
            ) from None
        _HELD[lock] = 1
        return lock
    raise OutputError(f"output {given}: could not take the lock {lock}")


def _check_no_other_run_above(out: Path, given, *, itself: bool = False) -> None:
    """Refuse to write inside a folder another live dnalm run holds (``report`` into a benchmark still running);
    ``itself``: at ``out`` either (a log file is not locked by its own run, so another's lock there is checked)."""
    for folder in [out] * itself + list(out.parents):
        if not folder.name:  # the root
            break
        lock = _lock_path(folder)
        if lock in _HELD or not lock.is_file():
            continue
        other = _read_lock(lock)
        if _stale(lock, other):
            continue  # what a stopped run left: its own output's claim takes the lock over
        where = "is being written by" if folder == out else f"is inside {folder}, which is being written by"
        raise OutputError(
            f"{given} {where} another dnalm run (pid {other.get('pid', '?')}, "
            f"`{other.get('command', '?')}`, started {other.get('started', '?')}); wait for it to finish, or remove "
            f"{lock} if it is not running"
        )


def _check_no_other_run_inside(out: Path, given, limit: int = 20_000) -> None:
    """Refuse a folder in which another live dnalm run is writing (a fine-tuning into ``out/model``): replacing it
    would take that run's files for this run's own, and a later ``--overwrite`` would remove them."""
    if not out.is_dir():
        return
    for i, (top, folders, files) in enumerate(os.walk(out)):
        if i == limit:
            break
        folders[:] = [f for f in folders if not os.path.islink(os.path.join(top, f))]
        for name in files:
            if not name.endswith(_LOCK_SUFFIX):
                continue
            lock = Path(top) / name
            if lock in _HELD:
                continue
            other = _read_lock(lock)
            if _stale(lock, other):
                continue
            target = Path(top) / name[1 : -len(_LOCK_SUFFIX)]
            raise OutputError(
                f"{given}: another dnalm run is writing inside it ({target}: pid {other.get('pid', '?')}, "
                f"`{other.get('command', '?')}`, started {other.get('started', '?')}); wait for it to finish, or "
                "choose another folder"
            )


def _stale(lock: Path, other: dict) -> str | None:
    """Why a lock file holds no live run (None: it may): its run's process is gone from this machine, or it names
    no run and is over a minute old (a run stopped between making it and writing who it is)."""
    if not other and _age(lock) > 60:
        return f"it names no run and is {_age(lock):.0f} s old"
    pid = other.get("pid")
    if other.get("host") == socket.gethostname() and isinstance(pid, int) and not _alive(pid):
        return f"the dnalm run that held it (pid {pid}) is gone"
    return None


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _first_missing(folder: Path) -> Path | None:
    """The topmost of ``folder`` and its parents that does not exist (None: ``folder`` exists)."""
    missing = None
    for p in (folder, *folder.parents):
        if p.exists():
            return missing
        missing = p
    return missing


def _remove_empty_folders(folder: Path, top: Path | None) -> None:
    """Remove ``folder`` and its parents up to ``top`` while they are empty (what a refused run made)."""
    if top is None:
        return
    for p in (folder, *folder.parents):
        if not p.is_dir() or any(p.iterdir()):
            return
        p.rmdir()
        if p == top:
            return


def _read_lock(lock: Path) -> dict:
    try:
        value = json.loads(lock.read_text(encoding="utf-8"))
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}


def _unlock(lock: Path) -> None:
    _HELD[lock] -= 1
    if not _HELD[lock]:
        del _HELD[lock]
        lock.unlink(missing_ok=True)


def _cannot_write(given, real: Path, err: OSError) -> str:
    """Why an output cannot be claimed: the system's reason, or where the name is one the file system takes but the
    files dnalm writes beside it (its lock, its staging folder) are too long, how long a name may be."""
    if err.errno == errno.ENAMETOOLONG:
        try:
            limit = os.pathconf(real.parent if real.parent.is_dir() else "/", "PC_NAME_MAX")
        except (OSError, ValueError):
            limit = 255
        size = len(os.fsencode(real.name))
        extra = len(os.fsencode(f"{_lock_path(real).name}.{2**22}.tmp")) - size  # the longest side name (any pid)
        if size <= limit < size + extra:
            return (
                f"output {given}: a name of {size} bytes is too long for the files dnalm writes beside it (its lock, "
                f"{_lock_path(real).name[:12]}...{_LOCK_SUFFIX}, is {extra} bytes longer, and this file system takes "
                f"{limit}): choose a name of at most {limit - extra} bytes"
            )
    return f"output {given}: cannot be written there ({err.strerror or err})"


def _check_printable(path, what: str = "output") -> None:
    """:func:`~dnalm.io.files.check_printable_name`, as this module's refusal."""
    try:
        check_printable_name(path, what)
    except ValueError as err:
        raise OutputError(str(err)) from None


def _input_path(value):
    """An input as a path: a str or ``os.PathLike``, or a resolved model reference's path (None for a preset); a list,
    a number or a model object is one line naming what it is (a list failed inside pathlib, a model object as a
    file name 'too long')."""
    if str(value) == "-" and not os.path.lexists("-"):  # "-: no such file or folder", as if a file were missing
        raise OutputError(
            "input '-': dnalm reads standard input by its name, /dev/stdin (e.g. zcat x.fa.gz | dnalm predict M "
            "/dev/stdin -o out.tsv); '-' is standard output for an output"
        )
    if isinstance(value, str | os.PathLike):
        return value
    if hasattr(value, "is_checkpoint") and isinstance(getattr(value, "path", None), str | type(None)):  # a ModelRef
        return value.path
    hint = (
        " (save the model with save_pretrained(FOLDER) and give FOLDER)"
        if hasattr(value, "save_pretrained")
        else " (write it with .to_csv(PATH, index=False) and give PATH)"
        if hasattr(value, "to_csv")
        else ""
    )
    shown = reprlib.repr(value)
    if hint or "\n" in shown or "..." in shown:  # a table's or a model's repr is lines of its contents, cut anywhere
        shown = type(value).__name__
    raise NotAPath(f"an input must be a path (str or pathlib.Path); got {shown}{hint}", value)


class NotAPath(TypeError):
    """An input given as something other than a path (a table, a model object, a list): ``claims`` names the
    argument it was given as."""

    def __init__(self, message: str, value):
        super().__init__(message)
        self.value = value


class Claim:
    """What :func:`claim` holds: the checked outputs, their locks, and the user's files in each folder."""

    def __init__(self, command: str, inputs, outputs, overwrite: bool | None, resume: bool):
        self.command = command
        # a string such as "no" is not taken by its truthiness: it would replace what --overwrite guards
        self.overwrite, self.resume = check_flag(overwrite, "overwrite", optional=True), check_flag(resume, "resume")
        if self.overwrite and self.resume:  # finetune said "no stopped run to continue", pretrain this: one rule
            raise OutputError(f"{flag('resume')} continues a run and {flag('overwrite')} replaces it: give one of them")
        for o in outputs:  # 7 was written as a folder named 7 in the working folder; None failed in pathlib
            if not isinstance(o.path, str | os.PathLike):
                raise TypeError(f"an output must be a path (str or pathlib.Path); got {o.path!r}")
            if not str(o.path).strip():  # '' is the working folder: "output folder  is not empty"
                raise OutputError("an output path is empty; give a file or folder name")
            _check_printable(o.path)
            if o.kind == "file":
                file_output(o.path)
            elif str(o.path) == "-":  # a folder named '-' was made; it means standard output for a file output
                raise OutputError(f"`dnalm {command}` writes a folder; '-' (standard output) is for a file: name one")
            elif (suffix := file_format(o.path)) and not os.path.lexists(o.path):  # evaluate -o ev.json: a folder
                raise OutputError(
                    f"output {o.path}: `dnalm {command}` writes a folder, and {suffix} names a file's format: give a "
                    "folder name"
                )
        inputs = [_input_path(p) for p in inputs if p is not None]
        self.inputs = [(str(p), _real(p)) for p in inputs if p is not None]
        # a stream (standard output, a pipe, a device) is written straight through: nothing of it is checked or kept
        self.streams = [o for o in outputs if o.path is not None and o.kind == "file" and is_stream(o.path)]
        self.outputs = [(o, _real(o.path)) for o in outputs if o.path is not None and o not in self.streams]
        self._paths = {str(o.path): real for o, real in self.outputs}
        self._users: dict[Path, set[str]] = {}
        self._old_files: dict[Path, dict] = {}  # a staged output folder's entries, file by file, as claimed
        self._locks: list[Path] = []
        self._files: list[Path] = []  # output files checked here (the main process): noted in their folder's ledger
        self._before: dict[Path, set[str]] = {}  # what each output folder held when claimed
        self._stamps: dict[Path, dict[str, tuple | None]] = {}  # and each entry's inode, size and time
        self._stale: dict[Path, dict] = {}  # an earlier run's files in each output folder that this one replaces
        self._user_snapshots: dict[Path, dict] = {}  # the user's entries of each output folder, as claimed
        self._unknown: dict[Path, set[str]] = {}  # entries a stopped run may have written: kept, never refused
        self._staged: set[Path] = set()  # the atomic outputs whose staging folder this claim made
        self._made: dict[Path, Path | None] = {}  # the topmost folder above each output that this claim made
        self._previous: dict[Path, tuple] = {}  # each marked folder's marker before this run (None: none), and
        # whether the folder was there
        self._theirs: dict[Path, dict[str, tuple | None]] = {}  # the user's files in a resumed run's staging folder
        self._nested: dict[Path, dict[Path, int | None]] = {}  # the user's files inside dnalm's entries, as claimed
        self._new: dict[Path, set[str]] = {}  # the entries an atomic output's staging folder brought in

    def path(self, given: str | Path) -> Path:
        """The path to write for the output given as ``given`` (a symbolic link's target; an atomic folder's
        staging folder)."""
        if any(str(o.path) == str(given) for o in self.streams):
            return Path(given)
        real = self._paths.get(str(given), _real(given))
        return _staging(real) if real in self._staged else real

    def final(self, value):
        """``value`` (a command's result: text, paths, and dicts or lists of them) with each atomic output's staging
        folder named as the folder it became."""
        moved = {str(_staging(real)): str(real) for real in self._staged}
        if not moved:
            return value
        if type(value) is dict:
            return {k: self.final(v) for k, v in value.items()}
        if type(value) in (list, tuple):
            return type(value)(self.final(v) for v in value)
        if isinstance(value, str | Path):
            text = str(value)
            for staging, real in moved.items():
                text = text.replace(staging, real)
            return type(value)(text) if isinstance(value, Path) else text
        return value

    def __enter__(self) -> Claim:
        for o, real in self.outputs:
            if not real.name:  # it was "PosixPath('/') has an empty name", from its staging folder's name
                raise OutputError(f"output {o.path}: the root of the file system; give a folder inside it")
            _check_against_inputs(o.path, real, o.kind != "file", self.inputs)
        for o in self.streams:  # -o - >> in.fa appended the result to the input it read
            if (target := stream_file(o.path)) is not None:
                _check_against_inputs(f"{o.path} (redirected to {target})", target, False, self.inputs)
        _check_outputs_apart(self.outputs)
        _check_logs(self.inputs, self.outputs)
        if not _main_process():  # the main process checks the folders, locks and marks them
            return self
        try:
            for o, real in self.outputs:
                try:
                    self._claim_one(o, real)
                except OSError as err:  # a place no file can be made (/proc), a name too long for the file system
                    raise OutputError(_cannot_write(o.path, real, err)) from None
        except BaseException:
            self._release(mark=False)  # nothing was written: no marker is touched
            raise
        return self

    def _claim_one(self, o: Output, real: Path) -> None:
        from dnalm.io.files import check_output_file

        _check_no_other_run_above(real, f"output {o.path}", itself=True)  # named before its folder is judged
        above = next((p for p in real.parents if os.path.lexists(p)), None)  # the nearest that is there
        if above is not None and not above.is_dir():
            raise OutputError(f"output {o.path}: {above} is a file, not a folder; give a path in a folder")
        self._made[real] = _first_missing(real.parent)  # folders a refused run must not leave behind
        if o.kind == "file":
            check_output_file(real)
            self._locks.append(_lock(real, o.path, self.command))
            _check_file(o.path, real, self.command, self.overwrite)
            self._files.append(real)
            return
        if _lock_path(real) in _HELD:  # an outer claim of this process checked it (benchmark -> search)
            self._locks.append(_lock(real, o.path, self.command))
            return
        try:  # the tokenizers, pyarrow and safetensors cannot write below such a name (after the training)
            str(real).encode("utf-8")
        except UnicodeEncodeError:
            raise OutputError(
                f"output folder {str(o.path)!r}: its name is not UTF-8 text, which the libraries dnalm saves with cannot "
                "take; give another name"
            ) from None
        users, listed, self._unknown[real] = _check_folder(o.path, real, o, self.overwrite, self.resume)
        if o.staged and self.resume and (theirs := not_partial(_staging(real), o.partial_names)):
            self._theirs[real] = {rel: _stamp(_staging(real) / rel) for rel in theirs}
            log.info("%s: kept as yours, not what the stopped run wrote: %s", _staging(real), ", ".join(theirs[:5]))
        real.parent.mkdir(parents=True, exist_ok=True)
        for place in (real.parent, real) if real.is_dir() else (real.parent,):  # a read-only file system too
            if not os.access(place, os.W_OK | os.X_OK):
                raise OutputError(f"output {o.path}: no permission to write in {place} (or it is read-only)")
        self._locks.append(_lock(real, o.path, self.command))
        _check_no_other_run_inside(real, f"output {o.path}")  # after the lock: a run starting now sees it
        if o.stages:
            self._locks.append(_lock(_staging(real), o.path, self.command))
        self._users[real] = users
        self._user_snapshots[real] = {name: _snapshot(real / name) for name in users}
        marked = _marked_at(real)  # before this run's marker replaces it
        found = read_marker(real) or {}
        # the user's files inside dnalm's entries, recorded again when this run ends: those recorded before, and
        # those newer than a finished run's marker (a stopped run's own files are newer than the marker it found)
        theirs = _theirs(real)
        newer = not found.get("running")
        self._nested[real] = {
            path: _inode(path)
            for name in listed
            for snapshot in [_snapshot(real / name)]
            for path in set(snapshot) - set(_written_by_dnalm(snapshot, marked, theirs))
            if newer or path in theirs
        } | {  # and the files of the user's entries, which a staged result of the same name takes in
            path: stamp[0]
            for snapshot in self._user_snapshots[real].values()
            for path, stamp in snapshot.items()
            if stamp
        }
        if o.partial_names and (found.get("running") or found.get("unknown")):  # and inside a stopped run's
            nested = (rel for rel in not_partial(real, o.partial_names) if rel.split("/")[0] in listed)
            self._nested[real] |= {path: _inode(path) for rel in nested if "/" in rel for path in _snapshot(real / rel)}
        self._before[real] = _entries(real)
        self._stamps[real] = _top_stamps(real)
        if o.stages:  # what install_folder leaves of these is not this run's (see _mark)
            self._old_files[real] = {n: (_inode(real / n), _snapshot(real / n)) for n in self._before[real]}
        if o.atomic:
            from dnalm.io.files import start_folder

            # the folder was judged above; a stopped run's staging folder goes with --overwrite only
            start_folder(real, owned_marker=MARKER, overwrite=True, discard=bool(self.overwrite), resumable=False)
            self._staged.add(real)
        elif not o.staged and not found.get("legacy"):
            # the user's entries as the last run found them (a stopped run's other entries are not known to be)
            self._mark_running(o, real, users - self._unknown[real])
        # a folder of the same kind that the run continues in (a benchmark) keeps the results it reuses
        continued = o.rerun == "continue" and found.get("kind") == o.kind
        replace = (o.rerun == "replace" or self.overwrite) and not continued
        if listed and replace and not o.stages and not (self.resume and not self.overwrite):
            # removed if not rewritten, on success; not what changed after dnalm wrote it
            self._stale[real] = self._replaced(real, listed, found, marked)

    def _replaced(self, real: Path, listed: list[str], found: dict, marked: int | None) -> dict:
        """The files of dnalm's entries ``listed`` that a replacing run removes unless it writes them again: a file
        whose content is what the marker recorded is dnalm's whatever its change time (a copy, ``cp -a``, has a new
        one); other files changed or added since the marker are the user's, and an entry holding any of them stays
        the user's (never listed as this run's, so never removed by a later run)."""
        recorded = found.get("content") if isinstance(found.get("content"), dict) else {}
        other, theirs = _other_commands_files(real), _theirs(real)
        stale = {}
        for name in listed:
            snapshot = _snapshot(real / name)
            path = real / name
            if name in other or (
                name in recorded and path.is_file() and not path.is_symlink() and _content(path) == recorded[name]
            ):
                stale[name] = snapshot
                continue
            stale[name] = _written_by_dnalm(snapshot, marked, theirs)
            if stale[name] != snapshot:
                self._users[real].add(name)
                self._user_snapshots[real][name] = snapshot
        return stale

    def _mark_running(self, o: Output, real: Path, users: set[str]) -> None:
        """Mark the folder as dnalm's before the run writes, naming the user's entries: a run killed part-way
        (SIGKILL: nothing runs after it) leaves a folder whose every other entry is known to be dnalm's, which
        a re-run continues or replaces (without this mark it was a foreign folder, refused for good)."""
        from dnalm.io.files import write_json

        previous = (real / MARKER).read_bytes() if (real / MARKER).is_file() else None
        self._previous[real] = (previous, real.is_dir())
        marker = {"kind": o.kind, "dnalm_version": __version__, "command": self.command, "running": True}
        if (finished := _marked_at(real)) is not None:  # what changed after it is the user's
            marker["finished_ns"] = finished
        found = read_marker(real) or {}
        if found.get("kind") not in (None, o.kind) and not found.get("running"):  # --overwrite: said as what it was
            marker["replaces"] = {"kind": found["kind"], "command": found.get("command", "?")}
        listed = sorted(self._before[real] - self._users[real] - _logs_in(real))
        if theirs := self._nested_theirs(real, listed):
            marker["theirs"] = theirs
        real.mkdir(exist_ok=True)
        write_json(real / MARKER, {**marker, "files": listed, "users": sorted(users), "written": _now()})

    def _nested_theirs(self, real: Path, files: list[str]) -> list[str]:
        """The user's files found inside dnalm's entries when the run started that are still there (the same file),
        for the marker (``theirs``): its newer time made them look dnalm's to the next run, which removed them."""
        return sorted(
            rel
            for path, inode in self._nested.get(real, {}).items()
            if inode is not None and _inode(path) == inode
            for rel in [path.relative_to(real).as_posix()]
            if rel.split("/")[0] in files
        )

    def _unmark_running(self, real: Path) -> None:
        """A run that failed without writing: the folder's marker as it was before (none: removed), and the folder
        itself removed again when this run made it and it is empty."""
        if real not in self._previous:
            return
        previous, existed = self._previous.pop(real)
        try:
            if previous is None:
                (real / MARKER).unlink(missing_ok=True)
            else:
                (real / MARKER).write_bytes(previous)
            if not existed and real.is_dir() and not any(real.iterdir()):
                real.rmdir()
        except OSError as err:  # the run's own error is what the user reads; the locks are still released
            log.warning("could not restore %s as it was: %s", real / MARKER, err.strerror or err)

    def _remove_stale(self, real: Path) -> None:
        """What an earlier run wrote in ``real`` and this one did not write again: removed only now that this run
        succeeded (a run that fails leaves the earlier result as it was)."""
        _say_results_made_from(real, self._users.get(real, set()))
        stale = [
            path
            for name, files in self._stale.get(real, {}).items()
            for path, stamp in files.items()
            if _stamp(path) == stamp
        ]
        if stale:
            shown = ", ".join(str(p.relative_to(real)) for p in stale[:5]) + (" ..." if len(stale) > 5 else "")
            log.info("removing what an earlier dnalm run wrote in %s and this one did not: %s", real, shown)
        for path in stale:
            remove_path(path)
        for name in self._stale.get(real, {}):  # folders the earlier run wrote, now empty
            _prune(real / name)

    def __exit__(self, kind, *exc) -> None:
        self._release(failed=kind is not None)
        if kind is not None and _main_process():
            _LEFT[self.command] = self._left_for_resume()

    def _left_for_resume(self) -> str | None:
        """What a stopped run left that its command continues with ``--resume``, said as such; None: nothing (the
        message said "kept for --resume" after a stopped --overwrite had discarded its run, or had written
        nothing)."""
        for o, real in self.outputs:
            staging = _staging(real)
            if o.staged and staging.is_dir() and _entries(staging) - {"PARTIAL_RUN.txt"}:
                return f"what the stopped run wrote in {staging} is kept for {flag('resume')}"
            if o.kind == "pretrain" and real in self._staged:  # --overwrite over a finished run: written aside
                return (
                    f"the stopped run was discarded and {real} holds the earlier result ({flag('overwrite')} starts "
                    "it again)"
                )
            if o.kind == "pretrain" and any((real / "checkpoints").glob("checkpoint-*")):
                return f"the checkpoints in {real / 'checkpoints'} are kept for {flag('resume')}"
        return None

    def _release(self, failed: bool = False, mark: bool = True) -> None:
        for real in list(self._previous) if not mark else ():  # refused while claiming: nothing was written
            self._unmark_running(real)
        error = None
        try:
            failed = self._install(failed or not mark)
        except OutputError as err:
            failed, error = True, err
        for real in self._files if mark and not failed else ():
            if real.is_file():
                _enter_ledger(real, self.command)
        for o, real in self.outputs if mark else ():
            # a run that failed and left the folder as it was (a staged one never touches it): its marker stays
            if not failed and real in self._stale:
                self._remove_stale(real)
            # (an entry written again counts: a stopped benchmark's new benchmark.json under the earlier marker was
            # "a file dnalm wrote that has changed since", and its continuation was refused)
            unchanged = failed and (o.stages or _top_stamps(real) == self._stamps.get(real))
            if unchanged:
                self._unmark_running(real)
            elif failed and real in self._previous:
                pass  # its marker still says running, as a killed run's does: a half result never looks finished
            elif o.kind != "file" and real in self._users and real.is_dir():
                self._mark(o, real)
        for lock in self._locks:
            try:
                _unlock(lock)
            except OSError as err:  # it hid the reason the run failed ("Permission denied: .ev.dnalm-lock")
                log.warning("%s: this run's lock could not be removed (%s)", lock, err.strerror or err)
        self._locks = []
        for real, top in self._made.items() if failed or not mark else ():  # after the locks: they lie there
            _remove_empty_folders(real.parent, top)
        if error is not None:
            raise error

    def _install(self, failed: bool) -> bool:
        """Put each atomic output's staging folder in place (the run succeeded) or remove it (it failed); whether
        the run failed, now."""
        for o, real in self.outputs:
            staging = _staging(real)
            if real not in self._staged or not staging.is_dir():
                continue
            if failed:
                shutil.rmtree(staging, ignore_errors=True)
                continue
            self._new[real] = _entries(staging) - {"PARTIAL_RUN.txt"}  # dnalm's once in place (see _mark)
            try:
                with interrupts_deferred():  # a Ctrl-C part-way left a folder of two runs' files
                    install_folder(staging, real, overwrite=bool(self.overwrite), written=o.partial_names)
            except OSError as err:  # nothing of it was moved (see _swap_entries): the previous result is whole
                raise OutputError(
                    f"output {o.path}: the finished result could not be moved into place ({err.strerror or err}); "
                    f"{o.path} holds the previous result, and the new one is in {staging}"
                ) from None
        return failed

    def _mark(self, o: Output, real: Path) -> None:
        from dnalm.io.files import write_json

        snapshots = self._user_snapshots.get(real, {})
        users = {n for n in self._users[real] if _still_users(real / n, snapshots.get(n))}  # else dnalm's now
        # a staged result comes in whole from its staging folder: an entry of the folder's earlier content that
        # holds none of its files was kept as the user's (an edited README.md, a folder with a note in it) and is
        # theirs, not listed as this run's (a later run removed it)
        old = self._old_files.get(real, {})
        users |= {
            n
            for n in _entries(real) & old.keys()
            if _inode(real / n) == old[n][0] and all(old[n][1].get(p) == s for p, s in _snapshot(real / n).items())
        }
        # the user's files found in a resumed run's staging folder, moved in with it: what holds one is theirs
        users |= {rel.split("/")[0] for rel, stamp in self._theirs.get(real, {}).items() if _stamp(real / rel) == stamp}
        # an entry this run's result brought in is dnalm's, the user's files carried into it recorded as theirs (a
        # folder of the user's named train/ stayed theirs whole, and stale files of dnalm's in it with it)
        users -= self._new.get(real, set())
        files = sorted(_entries(real) - users - _logs_in(real))
        if not files and not (real / MARKER).exists():
            return
        for name in files:  # transformers' model.safetensors is written 0600 (the user's files are left alone)
            readable_as_umask_says(real / name)
        marker = {"kind": o.kind, "dnalm_version": __version__, "command": self.command, "files": files}
        marker["content"] = {
            n: _content(real / n) for n in files if (real / n).is_file() and not (real / n).is_symlink()
        }
        if unknown := sorted(users & self._unknown.get(real, set())):
            marker["unknown"] = unknown  # a stopped run's, or the user's since: not removed, not refused
        if theirs := self._nested_theirs(real, files):
            marker["theirs"] = theirs
        try:
            write_json(real / MARKER, {**marker, "written": _now()})
        except OSError as err:
            log.warning("could not write %s: %s", real / MARKER, err)


def shown(path: str | Path) -> Path:
    """``path`` as a message should name it: inside a staging folder this process is writing (``OUT.partial``),
    the name it will have once the result is in place (``OUT``)."""
    path = Path(path)
    for p in (path, *path.parents):
        if p.name.endswith(".partial") and _lock_path(p) in _HELD:
            return p.with_name(p.name.removesuffix(".partial")) / path.relative_to(p)
    return path


def _staging(real: Path) -> Path:
    """Where a staged output folder is written until it is complete."""
    return real.with_name(f"{real.name}.partial")


def _now() -> str:
    return time.strftime("%FT%T%z")


def claim(command: str, *, inputs=(), outputs=(), overwrite: bool | None = None, resume: bool = False) -> Claim:
    """Check ``outputs`` against ``inputs`` and what is there, lock them: a context manager (see the module).

    ``overwrite=None``: the command has no ``--overwrite`` (a refusal does not suggest it).
    """
    return Claim(command, list(inputs), list(outputs), overwrite, resume)


def claims(command: str, spec, *, resolve: tuple[str, ...] = ("output",)):
    """Decorate a library function to run inside ``claim(command, **spec(arguments))``.

    ``spec`` gets the call's arguments by name (defaults filled in) and returns ``claim``'s keyword
    arguments (``overwrite``: the function's own argument of that name, when it has one); the arguments named in
    ``resolve`` are passed on as the paths to write (links followed).
    """

    def wrap(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as err:  # inspect's text names no function ("got an unexpected keyword argument")
                known = [n for n, p in signature.parameters.items() if p.kind is not p.VAR_KEYWORD]
                typo = re.search(r"argument '(\w+)'", str(err))
                close = difflib.get_close_matches(typo.group(1), known, n=1) if typo else []
                raise TypeError(
                    f"{fn.__name__}(): {err}" + (f" (did you mean {close[0]!r}?)" if close else "")
                ) from None
            bound.apply_defaults()
            for name, value in bound.arguments.items():  # ~ in inputs and models too, as on the command line
                bound.arguments[name] = home_expanded(value)
            for name in resolve:  # a link output is written at its target: what is named after it, there too
                value = bound.arguments.get(name)
                if isinstance(value, str | Path) and not is_stream(value) and os.path.islink(os.path.expanduser(value)):
                    bound.arguments[name] = _real(value)  # (embed -o link.npy wrote the user's target.ids.txt)
            given = spec(bound.arguments)
            if "overwrite" in signature.parameters:  # the function's own --overwrite
                given.setdefault("overwrite", bound.arguments["overwrite"])
            try:
                c = claim(command, **given)
            except NotAPath as err:  # which argument: "an input must be a path" named none
                names = [n for n, v in bound.arguments.items() if v is err.value]
                raise TypeError(f"{fn.__name__}(): {names[0] if names else 'an input'}: {err}") from None
            with c:
                for name in resolve:
                    if bound.arguments.get(name) is not None:
                        bound.arguments[name] = c.path(bound.arguments[name])
                result = fn(*bound.args, **bound.kwargs)
            return c.final(result)

        return wrapper

    return wrap


def _say_results_made_from(final: Path, kept: set[str]) -> None:
    """Warn of the results other dnalm commands wrote inside a folder this run replaces (``evaluate M D -o M/eval``):
    they stay, as the user's, but were made from the result replaced and no longer describe the new one."""
    if (read_marker(final) or {}).get("kind") not in _LOADED_WHOLE:  # what other results are made from
        return
    ledger = _ledger(final)
    made = sorted(
        f"{name} ({(read_marker(final / name) or {}).get('command') or ledger.get(name, {}).get('command', '?')})"
        for name in kept
        if name in ledger or ((final / name).is_dir() and read_marker(final / name) is not None)
    )
    if made:
        log.warning(
            "kept in %s what other dnalm commands wrote there from the result this run replaces: %s; they no longer "
            "describe it (run them again, or remove them)",
            final,
            ", ".join(made),
        )


def _holds_working_folder(folder: Path) -> bool:
    """``folder`` is the working folder or one above it (``-o .``): swapped whole, it would leave the caller's shell,
    and this process, in a deleted folder."""
    try:
        here = Path.cwd().resolve()
    except OSError:  # the working folder is gone already
        return False
    there = folder.resolve()
    return there == here or there in here.parents


def install_folder(
    staging: str | Path, final: str | Path, *, overwrite: bool = False, written: tuple[str, ...] = ()
) -> Path:
    """Move a completed staging folder onto ``final``: dnalm's earlier files there are removed only now, the
    user's other files stay (a folder with none is swapped whole). With ``overwrite``, a run killed part-way in
    ``final`` (its marker still says running) left all but the user's entries it named when it started (its
    checkpoints were carried into the new result as if the user's, beside the new run's); with ``written`` (what
    the command writes there, as :func:`stopped_run_entries` reads it), only those of them it names: a file put
    there since that run started is the user's too, and stays."""
    staging, final = Path(staging), Path(final)
    (staging / "PARTIAL_RUN.txt").unlink(missing_ok=True)
    try:
        return _install_staged(staging, final, overwrite, written)
    except OSError as err:  # e.g. the folder above became read-only: the staging folder stays dnalm's, and says why
        if staging.is_dir():
            with contextlib.suppress(OSError):
                (staging / "PARTIAL_RUN.txt").write_text(
                    f"A finished dnalm result that could not be moved onto {final.name} ({err.strerror or err}): "
                    f"move what is here there yourself, or run the command again with --overwrite.\n",
                    encoding="utf-8",
                    errors="surrogateescape",
                )
        raise


def _install_staged(staging: Path, final: Path, overwrite: bool, written: tuple[str, ...]) -> Path:
    """:func:`install_folder` once the staging folder's note is gone."""
    readable_as_umask_says(staging)
    new = {p.name for p in staging.iterdir()}
    marker = read_marker(final) if final.is_dir() else None
    listed = set(marker["files"]) if marker else set()
    marked, theirs = _marked_at(final), _theirs(final)
    put_since = set(not_partial(final, written))  # what the command does not write there: the user's
    if overwrite and marker and marker.get("running"):
        listed = _entries(final) - set(marker.get("users", [])) - _logs_in(final) - put_since
        marked = None  # every other file under them is the stopped run's
    elif overwrite and marker and written:  # what a stopped run left that the run resuming it could not tell from
        # the user's (``unknown``): of the names the command writes, the earlier run's
        listed |= set(marker.get("unknown", [])) & _entries(final) - put_since
    theirs |= {path for n in put_since if "/" in n for path in _snapshot(final / n)}  # (a folder: its files)
    users = _entries(final) - listed - new
    nested = {  # the user's files in entries dnalm wrote (added or changed since: a note, an edit), and in a folder of
        # the user's named as one dnalm writes (a foreign folder's train/): they stay, carried into the new folder
        name: set(snap) - set(_written_by_dnalm(snap, marked, theirs)) if name in listed else set(snap)
        for name in (listed | new) & _entries(final)
        if not (final / name).is_symlink()
        for snap in [_snapshot(final / name)]
    }
    _say_results_made_from(final, users)
    if not final.exists() or not (users or any(nested.values()) or _holds_working_folder(final)):
        from dnalm.io.files import finish_folder

        return finish_folder(staging, final)
    _swap_entries(staging, final, sorted(new), nested)
    for name in sorted(listed - new):  # (with marked None: every file of a stopped run's entry, above)
        for path in _written_by_dnalm(_snapshot(final / name), marked, theirs):
            remove_path(path)
        _prune(final / name)
    staging.rmdir()
    return final


def _swap_entries(staging: Path, final: Path, names: list[str], nested: dict) -> None:
    """Put the staging folder's entries ``names`` in place of those of ``final``, all or none: the user's files in an
    entry of that name (``nested``) are carried into the new one, the old entries are set aside and removed once every
    new one is in place; an entry that cannot be moved puts back everything moved so far (a folder of two results,
    with the old marker, was left), and the error is raised."""
    aside = final.with_name(f"{final.name}.replaced-{os.getpid()}")  # as finish_folder sets a whole folder aside
    aside.mkdir(exist_ok=True)
    done: list[tuple[Path, Path]] = []  # (from, to) of every move, undone in reverse

    def move(a: Path, b: Path) -> None:
        os.replace(a, b)
        done.append((a, b))

    try:
        for name in names:
            for path in nested.get(name, ()):  # carried into the new folder of that name, unless dnalm wrote it anew
                moved = staging / path.relative_to(final)
                if (staging / name).is_dir() and not os.path.lexists(moved):
                    moved.parent.mkdir(parents=True, exist_ok=True)
                    move(path, moved)
            if (final / name).exists() or (final / name).is_symlink():
                move(final / name, aside / name)
            move(staging / name, final / name)
    except OSError:
        for a, b in reversed(done):
            with contextlib.suppress(OSError):
                os.replace(b, a)
        shutil.rmtree(aside, ignore_errors=True)
        raise
    try:
        remove_path(aside)
    except OSError as err:  # the result is in place: what could not be removed is said, as finish_folder does
        log.warning("%s is in place; the previous entries set aside in %s could not be removed (%s)", final, aside, err)
