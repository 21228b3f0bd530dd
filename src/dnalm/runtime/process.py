"""The process a command runs in: logging, progress bars, several processes, and import-time garbage.

Set up once by the command line before any command runs (:func:`configure_output`, :func:`prepare`) and
taken down after it (:func:`finish`).
"""

from __future__ import annotations

import contextlib
import errno
import gc
import logging
import os
import re
import sys
import warnings
from functools import partial
from pathlib import Path

from dnalm import settings

__all__ = [
    "MODEL_COMMANDS",
    "MULTI_PROCESS_COMMANDS",
    "USER_ERRORS",
    "configure_output",
    "finish",
    "prepare",
    "report_error",
]

#: Errors that say what is wrong with the input, the settings or the output: one line, exit status 2.
USER_ERRORS = (ValueError, FileNotFoundError, ImportError, OSError)

#: Commands that spread their work over several processes (torchrun / accelerate launch); every other command runs
#: in the main process alone, which then works as a single process, so its files are written once.
MULTI_PROCESS_COMMANDS = ("finetune", "pretrain", "scan", "predict", "evaluate")


#: Commands that load a model, so import torch and transformers whatever they are asked.
MODEL_COMMANDS = (
    "finetune",
    "evaluate",
    "predict",
    "scan",
    "variants",
    "interpret",
    "demo",
    "pretrain",
    "lm-eval",
    "fill-mask",
    "embed",
    "benchmark",
    "search",
)


def import_models_once(command: str | None) -> None:
    """Import torch, transformers and dnalm's models up front for a command that needs them, with the cycle
    collector off, then freeze what they made (``gc.freeze``). Importing them allocates a few million
    long-lived objects, and each full collection on the way walked all of those made so far: 7 of them, about
    0.9 s of a 30-s default fine-tuning on a 2-core CPU; after the freeze, later collections skip them. The
    command's own objects are collected as usual."""
    if command not in MODEL_COMMANDS or "--help" in sys.argv:
        return
    gc.disable()
    try:
        import dnalm.models.build  # noqa: F401
    finally:
        gc.enable()
    gc.freeze()


def one_process_unless_training(command: str | None) -> None:
    from dnalm.runtime.distributed import check_launcher_environment, is_main, world_size

    check_launcher_environment()
    if world_size() == 1 or command in MULTI_PROCESS_COMMANDS:
        return
    if not is_main():
        raise SystemExit(0)  # the main process does this command's work; the others have nothing to do
    for var in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK"):
        os.environ.pop(var, None)


def _stderr_handler():
    """A log handler writing to whatever ``sys.stderr`` is when a record is emitted (not the stream of the
    moment it was made, which a test runner may have closed since)."""

    class Handler(logging.StreamHandler):
        @property
        def stream(self):
            return sys.stderr

        @stream.setter
        def stream(self, value):
            pass

    return Handler()


def say(text: str, err: bool = False) -> None:
    """A command's result, printed (on standard error with ``err``) and appended to the ``--log-file`` too: a log
    asked for says what the command did, not only what it logged on the way."""
    import typer

    from dnalm.io.outputs import note_in_logs

    note_in_logs(text, level=logging.INFO)
    try:
        typer.echo(text, err=err)
    except BrokenPipeError:
        raise
    except OSError as e:  # "no space left on device: ... finished outputs are as they were", after they were written
        where = "standard error" if err else "standard output"
        raise OSError(
            f"the command finished, but its result line could not be written to {where} ({e.strerror or e}): "
            f"{text.splitlines()[-1] if text.strip() else ''}"
        ) from None


def start() -> None:
    """What the ``dnalm`` command does before it reads its arguments (see each step)."""
    stop_on_sigterm()  # first: a SIGTERM while torch and transformers import (seconds) ended it without a word
    check_working_folder()
    open_closed_streams()
    plain_help_when_narrow()
    sys.argv[1:] = home_expanded(sys.argv[1:])


def home_expanded(argv: list[str]) -> list[str]:
    """Each argument (or ``--option=value``'s value) that starts with ``~`` or ``~user``, as a shell expands it
    unquoted: a quoted ``'~/out'`` was expanded for outputs (by the output policy) but not for inputs or models,
    which were then not found. Every path of the command line now follows the one rule.

    >>> import os; home = os.path.expanduser("~")
    >>> home_expanded(["predict", "~/m", "x.fa", "--output=~/p.tsv", "ACGT~"]) == [
    ...     "predict", f"{home}/m", "x.fa", f"--output={home}/p.tsv", "ACGT~"]
    True
    """
    out = []
    for arg in argv:
        option, eq, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
        out.append(f"{option}{eq}{settings.home_expanded(value)}")
    return out


def check_working_folder() -> None:
    """A working folder that was deleted (an ``rm -r`` from another shell) is one line and exit 2: every command,
    even ``--help``, ended in "Intel oneMKL FATAL ERROR: Cannot load libtorch_cpu.so", which named nothing."""
    try:
        os.getcwd()
    except FileNotFoundError:
        print("error: the working folder no longer exists (deleted?): cd to a folder that exists", file=sys.stderr)
        raise SystemExit(2) from None


#: narrower than this, rich's help boxes cut option names and defaults short ("director…"): click's plain help wraps
_NARROW_HELP = 70


def plain_help_when_narrow() -> None:
    """On a terminal narrower than :data:`_NARROW_HELP` columns (``COLUMNS=40``), ``--help`` is click's plain text,
    which wraps every word, instead of typer's boxes, which cut text short with '…' there."""
    import shutil

    if os.environ.get("TERMINAL_WIDTH") or shutil.get_terminal_size().columns >= _NARROW_HELP:
        return
    import typer.core

    typer.core.HAS_RICH = False  # read by typer each time it formats help (its switch, TYPER_USE_RICH, is read once)


def open_closed_streams() -> None:
    """Standard output or error closed by the caller (``2>&-``, a daemon): /dev/null in their place, so that the
    command runs (every command failed, silently, on ``sys.stderr.isatty()``); ``-o -`` is then refused."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 (for the life of the process)


def configure_output(quiet: bool = False, log_file: Path | None = None, debug: bool = False) -> None:
    """Logging set up once for every command. When stderr is not a terminal (a log file, CI), no
    progress bars and none of transformers' ANSI-coloured load reports: one line per evaluation."""
    if quiet:  # --quiet: no progress bars either (tqdm reads this; dnalm.runtime.progress, datasets, the hub too)
        for var in ("TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS", "HF_DATASETS_DISABLE_PROGRESS_BARS"):
            os.environ.setdefault(var, "1")
    if not sys.stderr.isatty():
        for var in ("HF_HUB_DISABLE_PROGRESS_BARS", "HF_DATASETS_DISABLE_PROGRESS_BARS", "TQDM_DISABLE"):
            os.environ.setdefault(var, "1")
        if not debug:
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from dnalm.io.outputs import log_to

    # the log file is an output like any other: checked against the command's inputs and outputs when it claims them
    handlers: list[logging.Handler] = [_stderr_handler(), *filter(None, [log_to(log_file)])]
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    from dnalm.runtime.distributed import is_main

    if not is_main():  # under torchrun/accelerate launch the main process reports; the others only their errors
        level = max(level, logging.ERROR)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", handlers=handlers, force=True)
    warnings.showwarning = partial(_warning_line, debug=debug)
    if not debug:  # a library's notice to its own developers (a deprecated name) is not the user's to act on
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)


def _warning_line(message, category, filename, lineno, file=None, line=None, *, debug: bool = False) -> None:
    """A library's Python warning as one log line (Python prints it with the source line under it)."""
    where = f" ({filename}:{lineno})" if debug else ""
    logging.getLogger("py.warnings").warning("%s: %s%s", category.__name__, message, where)


def prepare(command: str | None) -> None:
    """Before ``command`` runs: one process unless it spreads its work, its models imported once."""
    from dnalm.io.outputs import left_for_resume

    left_for_resume(command, forget=True)
    one_process_unless_training(command)
    import_models_once(command)


def finish(succeeded: bool) -> None:
    """After the command: take down the process group (under torchrun, or a process may abort in its exit
    after the work is done), then freeze what is left: shutting down, Python's last garbage collection
    would walk every object torch and transformers created at import (about 1.2 s on a 2-core CPU).

    A Ctrl-C or SIGTERM in this last second (importing torch.distributed) leaves the command's status as it was:
    its work was done, or had failed, before it came (it was a traceback and status 1 after "wrote ...")."""
    try:
        if succeeded:
            from dnalm.runtime.distributed import finish as finish_group

            finish_group()
    except KeyboardInterrupt:  # (Terminated too)
        print("(stopped while exiting; the command had finished)", file=sys.stderr)
    gc.freeze()


def usage_error(err: Exception, command_path: str) -> str | None:
    """One line for a mistyped command, option or value (click's usage errors), naming the command; None for any
    other error (a command called bare still shows its help)."""
    names = {c.__name__ for c in type(err).__mro__}
    if "UsageError" not in names or "NoArgsIsHelpError" in names:
        return None
    where = err.ctx.command_path if getattr(err, "ctx", None) else command_path
    said = _unparsed_value(err) or _setting_without_option(err) or err.format_message()
    return f"error: {where}: {said} (see {where} --help)"


def _setting_without_option(err: Exception) -> str | None:
    """``--lora-r``: a setting of the command that has no option (a --config file's or the Python API's), said so;
    click offered the option nearest in spelling (--lora), another setting."""
    import dataclasses

    name = getattr(err, "option_name", None)
    command = getattr(getattr(err, "ctx", None), "command", None)
    cls = getattr(getattr(command, "callback", None), "settings_class", None)
    if not name or cls is None:
        return None
    field = next((f for f in dataclasses.fields(cls) if f.name == name.lstrip("-").replace("-", "_")), None)
    if field is None or field.metadata.get("cli", True):
        return None
    if any(p.name == "config" for p in command.params):
        return f"{field.name} has no option: set it in the YAML file given as --config ({field.name}: VALUE)"
    return f"{field.name} has no option: it is set in the Python API ({field.name}=VALUE)"


#: what an option's value must be, by the type of typer's (pydantic's) refusal to parse it
_MUST_BE = {
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "bool_parsing": "true or false",
}


def _unparsed_value(err: Exception) -> str | None:
    """``--n must be a whole number; got '2.5'`` for a value typer could not parse (its text, "Invalid value for
    '--n': Input should be a valid integer, unable to parse string as an integer", named no value, where every
    other refusal ends in "got ..."); None for other usage errors."""
    try:
        first = err.__cause__.errors()[0]  # pydantic's ValidationError, which typer's BadParameter was raised from
        hint = max(err.param.opts, key=len)  # --batch-size rather than -b
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    if first.get("type") not in _MUST_BE:
        return f"{err.format_message()}; got {first.get('input')!r}"
    return f"{hint} must be {_MUST_BE[first['type']]}; got {first.get('input')!r}"


#: What Ctrl-C leaves of a command that continues by running it again, beside the outputs it had not finished (which
#: are as they were); finetune and pretrain say what their stopped run left (io.outputs.left_for_resume)
_LEFT_FOR_RESUME = {
    # a run or trial whose settings or data changed is removed when it starts again: it is not kept
    "benchmark": "the runs finished with these settings are kept: run the same command again to continue",
    "search": "the trials finished with these settings are kept: run the same command again to continue",
}
#: What a stopped command left in place of "finished outputs are as they were", where they are not
_NOT_AS_THEY_WERE = {
    # each dataset/model pair's chosen.json is written when its trials are done (it said "as they were")
    "search": "the choices (chosen.json) of the dataset/model pairs whose trials were all done are written anew, the "
    "others are as they were",
}


class Terminated(KeyboardInterrupt):
    """SIGTERM (a batch scheduler's time limit, ``kill``): stopped as Ctrl-C stops a command, so its locks are
    released and what is left is said, with the shell's status for it (128 + 15)."""


def stop_on_sigterm() -> None:
    """Turn SIGTERM into :class:`Terminated` in the main thread (it ended the process with no word and left the
    run's lock files behind)."""
    import signal
    import threading

    def terminate(signum, frame):
        raise Terminated(signum)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)
        if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) is signal.SIG_DFL:  # (nohup: ignored)
            signal.signal(signal.SIGHUP, terminate)  # the terminal or ssh session closed: it left locks behind


def interrupted(command: str | None = None, err: BaseException | None = None) -> int:
    """Ctrl-C (SIGINT) or SIGTERM: one line saying what is left, and the shell's status for it (128 + 2, 128 + 15)."""
    from dnalm.io.outputs import left_for_resume

    left = left_for_resume(command) or _LEFT_FOR_RESUME.get(command or "")
    import signal

    signum = (err.args[0] if err.args else signal.SIGTERM) if isinstance(err, Terminated) else signal.SIGINT
    what = f"terminated ({signal.Signals(signum).name})" if isinstance(err, Terminated) else "interrupted"
    kept = _NOT_AS_THEY_WERE.get(command or "", "finished outputs are as they were")
    print(f"error: {what}; {kept}{'; ' + left if left else ''}", file=sys.stderr)
    return 128 + int(signum)


#: errno values that mean the disk (or a limit on it) is full
_DISK_FULL = {getattr(errno, n) for n in ("ENOSPC", "EFBIG", "EDQUOT") if hasattr(errno, n)}


def _plainly(err: Exception) -> Exception:
    """A full disk or exhausted memory said as such, as the user's to act on (exit 2): safetensors' "I/O error ...
    os error 28" and torch's "DefaultCPUAllocator: can't allocate memory" read as faults of dnalm's, and an
    OSError's "[Errno 28]" named no file."""
    text = str(err)
    if (isinstance(err, OSError) and err.errno in _DISK_FULL) or re.search(r"os error (28|27|122)\b", text):
        where = f" writing {err.filename}" if isinstance(err, OSError) and err.filename else ""
        why = err.strerror if isinstance(err, OSError) and err.strerror else "no space left on device"
        return OSError(
            f"{why}{where}: free space (or raise the limit) and run again; finished outputs are as they were"
        )
    if isinstance(err, MemoryError) or re.search(
        r"can't allocate memory|out of memory|CUDA error: out of memory", text
    ):
        return OSError(
            "out of memory: use a smaller --batch-size (or a smaller model, or fewer processes) and run again"
        )
    return err


def report_error(err: Exception, *, debug: bool = False) -> int:
    """One line on stderr for an error that ended a command, and the exit status: 2 for the input, settings or
    output (:data:`USER_ERRORS`, ``DataFormatError`` among them), 1 for a fault of dnalm's (named by its type,
    with the ``--debug`` hint unless ``debug``: the traceback was printed, and the message is then never cut)."""
    if isinstance(err, BrokenPipeError):  # the reader of a piped output stopped early (``| head``): as Unix tools do
        with contextlib.suppress(OSError, ValueError, AttributeError):  # nothing more reaches the closed pipe
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("error: the output pipe was closed before everything was written", file=sys.stderr)
        return 141  # 128 + SIGPIPE, what a shell reports for a tool that a closed pipe stopped
    err = _plainly(err)
    user = isinstance(err, USER_ERRORS)
    said = " ".join(str(err).split())  # one line: a library's message over several lines (a list, a hint) joined
    if len(said) > 1500 and not debug:  # (a list of every valid key fits)
        said = said[:1500] + " ... (--debug shows all of it)"
    text = f"error: {said}" if user else f"error ({type(err).__name__}): {said}"
    from dnalm.io.outputs import note_in_logs

    note_in_logs(text)  # the log file tells how the run ended too
    colour = "\033[31m" if _colour(sys.stderr) else ""
    print(f"{colour}{text}{chr(27) + '[0m' if colour else ''}", file=sys.stderr)
    if not user and not debug:
        print("(run with --debug for the traceback)", file=sys.stderr)
    return 2 if user else 1


def _colour(stream) -> bool:
    """Whether an error line may be red: a terminal that has colours, unless NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
