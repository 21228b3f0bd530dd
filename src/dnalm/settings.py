"""Settings written once: a dataclass field carries its help text and bounds, and the command line is made from it.

A command's settings are one dataclass whose fields are declared with :func:`setting`. The same field then

- validates the value wherever it comes from (the CLI, a YAML file, the Python API): :func:`check_fields`,
  called from the dataclass's ``__post_init__``, refuses a value out of its bounds with one line naming the
  setting and its option, and never replaces it by a default;
- becomes a CLI option: :func:`cli_options` turns the fields into typer options (help, the default shown,
  the option's spelling), so a setting is written once, as in transformers' ``HfArgumentParser``.

>>> from dataclasses import dataclass
>>> @dataclass
... class Demo:
...     stride: int | None = setting(None, "Bases between windows.", ge=1)
...     def __post_init__(self):
...         check_fields(self)
>>> Demo(stride=0)
Traceback (most recent call last):
...
ValueError: stride (--stride) must be >= 1; got 0
>>> Demo(stride=None).stride is None
True
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import inspect
import logging
import math
import os
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

__all__ = [
    "check_applies",
    "check_fields",
    "check_flag",
    "check_path",
    "checked",
    "cli_options",
    "load_yaml",
    "option_name",
    "parse_duration",
    "read_yaml",
    "say_local_twin",
    "setting",
]

_MISSING = dataclasses.MISSING
YEAR_S = 366 * 24 * 3600  # the longest wall-clock budget a setting takes


def setting(
    default: Any = _MISSING,
    help: str = "",
    *,
    default_factory: Callable[[], Any] | None = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: tuple[str, ...] | None = None,
    flag: str | None = None,
    cli: bool = True,
    cli_type: type | None = None,
    shown_default: str | None = None,
    label: bool = False,
):
    """A dataclass field with its help text and bounds (``ge``/``gt``/``le``/``lt``, or ``choices``).

    ``flag`` spells the option (default ``--field-name``); ``cli=False`` keeps a setting out of the command
    line (YAML and Python only); ``cli_type`` is the type the option parses (e.g. ``str`` for a duration
    that may be ``"10m"``); ``shown_default`` is what ``--help`` says when the default is decided later;
    ``label`` marks a text setting that names a class label, so a number is taken as its text (``target=1``).
    """
    metadata = {
        "help": help,
        "bounds": {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le), ("lt", lt)) if v is not None},
        "choices": choices,
        "flag": flag,
        "cli": cli,
        "cli_type": cli_type,
        "shown_default": shown_default,
        "label": label,
    }
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


#: set while the ``dnalm`` command runs: a message then names a switch as its option, else as the Python argument
SPELLING = {"cli": False}


def flag(name: str) -> str:
    """How a message names one of the user's switches: ``--overwrite`` on the command line, ``overwrite=True`` in
    Python (a Python user was told to pass an option the function does not have)."""
    return "--" + name.replace("_", "-") if SPELLING["cli"] else f"{name}=True"


def given(name: str, value) -> str:
    """How a message shows an option the user gave: ``--target 'x'`` on the command line, ``target='x'`` in Python."""
    return f"--{name.replace('_', '-')} {value!r}" if SPELLING["cli"] else f"{name}={value!r}"


def option_named(name: str) -> str:
    """How a message tells the user to give an option: ``--target`` on the command line, ``target=`` in Python."""
    return "--" + name.replace("_", "-") if SPELLING["cli"] else f"{name}="


_SAID_BESIDE: set[str] = set()


def say_local_twin(name: str, what: str) -> None:
    """A bare name that dnalm gives a meaning (a preset, a shipped checkpoint, a tokenizer scheme) is dnalm's whatever
    the working folder holds, so a command means the same everywhere; a file or folder of that name here is said,
    once a process, with how to name it."""
    if name not in _SAID_BESIDE and Path(name).exists():
        _SAID_BESIDE.add(name)
        logging.getLogger("dnalm").warning(
            "%s is dnalm's %s; %s here is not used (give ./%s for it)", name, what, name, name
        )


def named(name: str, cli: bool = True) -> str:
    """How a message names a setting: its Python name and its option, ``time_budget (--time-budget)``, as
    :func:`check_fields` does, so one line serves the command line, a YAML file and the Python API (``cli=False``:
    a setting with no option, by its name alone)."""
    return f"{name} (--{name.replace('_', '-')})" if cli else name


_OPTION_IN_TEXT = re.compile(r" \(--[a-z0-9-]+\)")


@contextlib.contextmanager
def options_unnamed():
    """Errors raised inside name settings without their command-line options (``epochs``, not ``epochs
    (--epochs)``): for settings that come from a file whose command has no such options (a benchmark's or a search's
    config; ``dnalm benchmark`` takes -o and --overwrite alone). Also a decorator."""
    try:
        yield
    except (ValueError, TypeError) as err:
        text = _OPTION_IN_TEXT.sub("", str(err))
        if text == str(err):
            raise
        raise (TypeError if isinstance(err, TypeError) else ValueError)(text) from None


def option_name(f: dataclasses.Field) -> str:
    """The command-line spelling of a field: ``--flag`` or ``--field-name``."""
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


_TESTS = {
    "ge": (lambda v, b: v >= b, ">="),
    "gt": (lambda v, b: v > b, ">"),
    "le": (lambda v, b: v <= b, "<="),
    "lt": (lambda v, b: v < b, "<"),
}


@functools.cache
def _field_types(cls) -> dict[str, tuple[type, ...]]:
    """Each field's accepted types, from its annotation (``int | None`` -> ``(int,)``); fields whose annotation
    names other types (a path, a class) are left out: only bool, int, float, str, dict and list are checked."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation that does not resolve here: nothing to check
        return {}
    plain = (bool, int, float, str, dict, list)
    out = {}
    for name, hint in hints.items():
        args = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
        optional = type(None) in args
        args = tuple(typing.get_origin(a) or a for a in args if a is not type(None))
        if args and all(a in plain for a in args):
            out[name] = args + ((type(None),) if optional else ())
    return out


def _check_type(obj, f: dataclasses.Field, value, where: str):
    """The value as its field's type says: a bool is true or false (YAML's ``"no"`` is a string), a whole number
    is whole (``1.5`` is refused, ``2.0`` read as 2), a number is a number; anything else is one line."""
    accepted = _field_types(type(obj)).get(f.name)
    value = plain_number(value)
    if not accepted or (isinstance(value, accepted) and not (isinstance(value, bool) and bool not in accepted)):
        return value
    if int in accepted and float not in accepted and isinstance(value, float) and value.is_integer():
        return int(value)
    if float in accepted and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if str in accepted and f.metadata.get("label") and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # target=1 where the labels are 0 and 1 (read as text, as a table's labels are)
    if str in accepted and isinstance(value, os.PathLike):  # model=Path("m1"): a folder, as every path argument
        return os.fspath(value)
    wanted = {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "text",
        dict: "a mapping",
        list: "a list",
    }
    shown = [a for a in accepted if a is not type(None) and not (a is int and float in accepted)]
    want = " or ".join(wanted.get(a, a.__name__) for a in shown)
    # epochs: on was "got True": YAML 1.1 reads yes/no/on/off as true or false, which the user never wrote
    yaml_word = " (YAML reads yes, no, on and off as true or false: quote a word meant as text)" * isinstance(
        value, bool
    )
    raise ValueError(f"{where} must be {want}; got {value!r}{yaml_word}")


def check_path(value, name: str) -> Path:
    """``value`` as a path argument of the Python API (a str or ``os.PathLike``); anything else (None, a list of
    paths) is one line naming ``name`` (it was pathlib's TypeError, naming no argument)."""
    if isinstance(value, bool) or not isinstance(value, str | os.PathLike):
        raise TypeError(f"{name} must be a path (str or pathlib.Path); got {value!r}")
    return Path(home_expanded(value))


def home_expanded(value):
    """A path argument of the Python API (or each of a list's) that starts with ``~`` or ``~user``, expanded as a
    shell and pandas do; anything else as it is. Outputs were expanded (by the output policy) but inputs and models
    were not found.

    >>> import os; home_expanded(["~/a.fa", 3, "ACGT~"]) == [os.path.expanduser("~/a.fa"), 3, "ACGT~"]
    True
    """
    if type(value) in (list, tuple):  # (not a named tuple; a list of records or sequences is handed back as it is)
        expanded = [home_expanded(v) for v in value]
        return type(value)(expanded) if any(a is not b for a, b in zip(expanded, value)) else value
    if isinstance(value, str | os.PathLike) and not isinstance(value, bytes) and str(value).startswith("~"):
        expanded = os.path.expanduser(str(value))  # (~nosuchuser/x stays as it is, as in a shell)
        return expanded if isinstance(value, str) else Path(expanded)
    return value


def check_flag(value, name: str, *, optional: bool = False) -> bool | None:
    """``value`` as a true-or-false argument of the Python API: a bool (a numpy bool too), or None where
    ``optional``; the string ``"no"`` or a number is one line naming ``name``, never taken by its truthiness."""
    value = plain_number(value)
    if isinstance(value, bool) or (optional and value is None):
        return value
    raise ValueError(f"{name} must be True or False{' (or None)' if optional else ''}; got {value!r}")


def check_count(value, name: str, *, minimum: int = 1) -> int:
    """``value`` as a whole number of at least ``minimum`` (a numpy integer too), else one line naming ``name``.

    >>> check_count(8, "batch_size")
    8
    >>> check_count(2.5, "width")
    Traceback (most recent call last):
    ...
    ValueError: width must be a whole number of at least 1; got 2.5
    """
    value = plain_number(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}; got {value!r}")
    return value


def plain_number(value):
    """A numpy scalar (``np.int64(8)``, ``np.float32(1e-3)``, ``np.bool_``) as the Python number it holds."""
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return value.item()
    return value


def check_applies(obj, name: str, applies: bool, why: str) -> None:
    """A setting of ``obj`` given another value than its default where it does nothing is refused, in one line
    naming it and ``why`` (it would be silently ignored)."""
    f = next(f for f in dataclasses.fields(obj) if f.name == name)
    default = f.default if f.default is not _MISSING else f.default_factory()
    value = getattr(obj, name)
    if not applies and value != default:
        where = f"{name} ({option_name(f)})" if f.metadata.get("cli", True) else name
        raise ValueError(f"{where} {why}; got {value!r} (leave it out)")


def check_fields(obj) -> None:
    """Refuse any field of ``obj`` of another type than its annotation's, or outside its declared bounds or choices
    (``None`` means "not set")."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if not f.metadata:
            continue
        where = f"{f.name} ({option_name(f)})" if f.metadata.get("cli", True) else f.name
        if value is None:  # "not set" where the annotation allows it; else as wrong as any other type
            accepted = _field_types(type(obj)).get(f.name)
            if accepted and type(None) not in accepted:
                raise ValueError(f"{where} must be set; got None (leave it out for the default)")
            continue
        if isinstance(value, str) and not value.strip():  # a column named '' was looked up in the data later
            raise ValueError(f"{where} is empty ({value!r}): give a value, or leave it out for the default")
        checked_value = _check_type(obj, f, value, where)
        if checked_value is not value:
            object.__setattr__(obj, f.name, checked_value)
            value = checked_value
        choices = f.metadata.get("choices")
        if choices and value not in choices:
            raise ValueError(f"{where} must be one of {', '.join(map(str, choices))}; got {value!r}")
        bounds = f.metadata.get("bounds") or {}
        if bounds and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"{where} must be a number; got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):  # inf passes any lower bound; nan every test
            raise ValueError(f"{where} must be a finite number; got {value!r}")
        if not all(_TESTS[key][0](value, bound) for key, bound in bounds.items()):
            if bounds.get("le") == YEAR_S:  # a duration, read in seconds from 90s, 10m, 2h: said in seconds and days
                raise ValueError(
                    f"{where} must be {_range_text(bounds)} seconds (at most 366 days); got {_number_text(value)} s "
                    f"({value / 86_400:,.0f} days)"
                )
            raise ValueError(f"{where} must be {_range_text(bounds)}; got {value!r}")


def _number_text(value: float) -> str:
    """A bound as a person reads it: whole numbers in full (4294967296, not 4.29497e+09), others as ``:g``."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else f"{value:g}"


def _range_text(bounds: dict) -> str:
    """``>= 1``, or ``in [0, 1)`` when both ends are bounded.

    >>> _range_text({"ge": 0, "lt": 2**32}), _range_text({"gt": 0, "le": 0.5})
    ('in [0, 4294967296)', 'in (0, 0.5]')
    """
    low = [(k, v) for k, v in bounds.items() if k in ("ge", "gt")]
    high = [(k, v) for k, v in bounds.items() if k in ("le", "lt")]
    if low and high:
        (lk, lv), (hk, hv) = low[0], high[0]
        return f"in {'[' if lk == 'ge' else '('}{_number_text(lv)}, {_number_text(hv)}{']' if hk == 'le' else ')'}"
    key, bound = (low or high)[0]
    return f"{_TESTS[key][1]} {_number_text(bound)}"


def _option_type(hint) -> Any:
    """``X | None`` for the option whatever the field's own type (an unset option is ``None``)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)] if typing.get_origin(hint) else [hint]
    base = args[0] if len(args) == 1 else str
    return base | None


def whole_number(text: str):
    """An integer option's value: a whole number however written (``1000``, ``1e3``, ``1000.0``: YAML and the Python
    API took ``1e3`` where the command line refused it), else the text as typed, which the settings' own check
    refuses naming the option and the value (``n (--n) must be a whole number; got '2.5'``), as in a YAML file."""
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else text


def _help(f: dataclasses.Field) -> str:
    text = f.metadata["help"]
    shown = f.metadata.get("shown_default")
    if shown is None and f.default is not _MISSING and f.default is not None and not isinstance(f.default, bool):
        shown = str(f.default)
    if f.metadata.get("choices"):
        text += f" One of: {', '.join(f.metadata['choices'])}."
    bounds = f.metadata.get("bounds")
    if bounds and bounds.get("le") != YEAR_S:  # the range a number must be in, stated where it is given
        if shown:
            shown = f"{shown}; {_range_text(bounds)}"
        else:
            text += f" ({_range_text(bounds)})"
    return f"{text} (default: {shown})" if shown else text


#: The help of ``--trust-remote-code`` on every command that loads a model (see :class:`dnalm.models.ref.ModelRef`).
TRUST_HELP = "Allow checkpoint code (DNABERT-2). Off by default."

#: The help of ``--overwrite`` on every command that writes (see :mod:`dnalm.io.outputs`).
OVERWRITE_HELP = (
    "Write OUTPUT even if it holds another command's result, a finished model or a file dnalm did not write (a "
    "re-run replaces its own command's earlier result without it); in a folder only what dnalm wrote there is "
    "removed, the user's own files stay (one with the name of a file dnalm writes is replaced)."
)
#: benchmark and search keep what a plain re-run keeps (said: the help promised that dnalm's files are removed)
KEEPS_RUNS_HELP = (
    OVERWRITE_HELP + " Runs and trials finished with the same data, settings and dnalm version are kept, as a plain "
    "re-run keeps them; to run one again, remove its folder (OUTPUT/runs/NAME, OUTPUT/search/...)."
)


def cli_options(cls, *, only: tuple[str, ...] | None = None, into: str = "overrides", overwrite: bool = False):
    """Decorate a typer command so that it also takes one option per CLI field of ``cls``.

    The options are collected into one dict (argument ``into``) holding only the options the user gave,
    so they can be laid over a YAML file's values before the dataclass validates them all. With
    ``overwrite``, the command also takes ``--overwrite``, passed on in that dict when given.
    """
    import typer

    hints = typing.get_type_hints(cls)
    fields = [
        f
        for f in dataclasses.fields(cls)
        if f.metadata.get("cli") and f.metadata.get("help") and (only is None or f.name in only)
    ]

    def decorate(func):
        own = inspect.signature(func, eval_str=True)
        own_hints = typing.get_type_hints(func, include_extras=True)
        params = [p.replace(annotation=own_hints.get(p.name, p.annotation)) for p in own.parameters.values()]
        params = [p for p in params if p.name != into]
        added = []
        for f in fields:
            is_flag = hints[f.name] is bool or f.metadata.get("cli_type") is bool
            kind = bool | None if is_flag else _option_type(f.metadata.get("cli_type") or hints[f.name])
            whole = kind == int | None  # 1e3 is read as YAML and Python read it; the field's check says the rest
            option = typer.Option(
                option_name(f), help=_help(f), show_default=False, parser=whole_number if whole else None
            )
            added.append(
                inspect.Parameter(
                    f.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[kind, option]
                )
            )

        if overwrite:
            flag = typer.Option("--overwrite", help=OVERWRITE_HELP)
            added.append(
                inspect.Parameter(
                    "overwrite", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[bool, flag]
                )
            )

        @functools.wraps(func)
        def command(*args, **kwargs):
            given = {f.name: kwargs.pop(f.name, None) for f in fields}
            if overwrite and kwargs.pop("overwrite"):
                given["overwrite"] = True
            return func(*args, **{into: {k: v for k, v in given.items() if v is not None}}, **kwargs)

        positional = [p for p in params if p.kind is not inspect.Parameter.KEYWORD_ONLY]
        keyword = [p for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
        command.__signature__ = own.replace(parameters=positional + keyword + added)
        command.__annotations__ = {p.name: p.annotation for p in positional + keyword + added}
        del command.__wrapped__  # typer must read the new signature, not the function's own
        command.settings_class = cls  # what a mistyped option is looked up in (a setting without an option)
        return command

    return decorate


def checked(cls, **values):
    """``values`` checked by the settings dataclass ``cls`` (those whose names are its fields). A library
    function calls ``checked(Settings, **locals())`` first, so the Python API refuses what the CLI refuses."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


@functools.cache
def _yaml_loader():
    """PyYAML's safe loader, reading numbers as the command line and Python do: ``1e-3`` is a float (YAML 1.1 wants a
    dot, so a learning rate written the usual way was the string '1e-3'), ``010`` is 10, and ``0x10``, ``0b11`` and
    ``1:30`` are text (YAML 1.1 read them as 16, 3 and 90 seconds, without a word).

    >>> read_yaml("a: 010\\nb: 0x10\\nc: 1:30\\nd: 1e-3\\ne: 1_000\\nf: -2.5\\ng: .5\\nh: 7")
    {'a': 10, 'b': '0x10', 'c': '1:30', 'd': 0.001, 'e': 1000, 'f': -2.5, 'g': 0.5, 'h': 7}
    """
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):  # a key written twice is refused: YAML would keep the last
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # ``<<: *defaults``: merged (explicit keys win) below
                    continue
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, typing.Hashable):  # a list as a key: SafeLoader's own error names it
                    break
                if key in seen:
                    mark = key_node.start_mark
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} is written twice in one mapping", mark
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    # numbers as the command line reads them: YAML 1.1 read 010 as 8, 0x10 as 16, 0b11 as 3 and 1:30 as 90 without a
    # word (--batch-size 010 is 10, and the others are refused); now 010 is 10 and the others are text, refused as such
    int_tag, float_tag = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (int_tag, float_tag)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(int_tag, re.compile(r"^[-+]?[0-9][0-9_]*$"), list("-+0123456789"))
    Loader.add_constructor(int_tag, lambda loader, node: int(loader.construct_scalar(node).replace("_", ""), 10))
    floats = (
        r"^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    )
    Loader.add_implicit_resolver(float_tag, re.compile(floats), list("-+0123456789."))
    return Loader


def read_yaml(text: str):
    """YAML text as Python values (safe: no objects), with ``1e-3`` read as a float."""
    import yaml

    return yaml.load(text, Loader=_yaml_loader())  # a SafeLoader: no Python objects


def check_keys(data: dict, valid: list[str], what: str = "setting", source: str = "config") -> None:
    """Refuse a key not in ``valid``, suggesting the closest valid one (every config class uses this)."""
    for key in data:
        if key not in valid:
            close = difflib.get_close_matches(str(key), valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"unknown {what} {key!r}{at_source(source)}{hint}; valid: {', '.join(valid)}")


def settings_from(cls, values: dict, what: str):
    """``cls(**values)`` for a function that takes its settings as keywords (``build_corpus(min_length=...)``): a
    keyword that is no field of ``cls`` is refused naming ``what`` and the closest field (it was a TypeError naming
    a private dataclass, ``CorpusSettings.__init__() got an unexpected keyword argument``)."""
    check_keys(values, [f.name for f in dataclasses.fields(cls)], f"{what} setting")
    return cls(**values)


def at_source(source: str) -> str:
    """`` [run.yaml]`` after a message about a setting from that file; nothing for settings given otherwise."""
    return "" if source == "config" else f" [{source}]"


def load_yaml(path: str | Path) -> dict:
    """The mapping a settings file holds; a file that is not YAML is one error naming its line and column."""
    import yaml

    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give the settings file (a .yaml) in it")
    if str(path) == "-" and not path.exists():  # "config file not found", as if it had been mistyped
        raise ValueError("'-': settings are read from a file, not from standard input; give the file's name")
    if path.exists() and not path.is_file():  # a pipe (<(...)) or a device: "not found", though it was there
        raise ValueError(
            f"{path} is a pipe or device, not a file; give the settings as a file (paths in it are read from its "
            "folder)"
        )
    if not path.is_file():
        raise FileNotFoundError(f"{path}: config file not found")
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{path}: not UTF-8 text ({err.reason} at byte {err.start + 1}); a settings file is YAML"
        ) from None
    except yaml.YAMLError as err:  # one line with the place, not the parser's multi-line dump
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ValueError(f"{where}: not valid YAML ({getattr(err, 'problem', None) or err})") from None
    if data is None:  # an empty file (or one holding only comments or `null`): no settings
        return {}
    if not isinstance(data, dict):  # `[]`, `0` or `false` is not "no settings": it is not settings at all
        raise ValueError(
            f"{path}: expected a mapping of settings at the top level (key: value lines); got {type(data).__name__} "
            f"{data!r:.40}"
        )
    return data


@contextlib.contextmanager
def naming_the_file(path: str | Path | None, from_file: dict, given: dict):
    """A setting refused inside this names ``path`` when its value came from that settings file (``from_file``)
    and no option replaced it (``given``): ``epochs (--epochs) must be a number; got 'x' [run.yaml]``."""
    try:
        yield
    except ValueError as err:
        key = str(err).split(" ", 1)[0]
        if path is None or key not in from_file or key in given or str(path) in str(err):
            raise
        raise ValueError(f"{err} [{path}]") from None


def parse_duration(
    text: str | float | int | None, name: str = "time_budget", zero: str | None = None, cli: bool = True
) -> float | None:
    """Seconds from ``90``, ``"90s"``, ``"10m"``, ``"1.5h"`` or ``"1h30m"``; None stays None. A bool (YAML's
    ``yes``/``no``) is no duration: refused, not read as 1 or 0 seconds. ``zero``: what 0 means where the caller takes
    it (said when a value is refused); ``cli=False``: the setting has no command-line option.

    >>> parse_duration("10m"), parse_duration("1h30m"), parse_duration(45), parse_duration("2.5s"), parse_duration("90")
    (600.0, 5400.0, 45.0, 2.5, 90.0)
    >>> parse_duration("1h30")
    Traceback (most recent call last):
    ...
    ValueError: time_budget (--time-budget) '1h30': give the unit of its last number, e.g. 1h30m or 1h30s
    """
    text = plain_number(text)
    if text is None:
        return None
    if isinstance(text, bool) or not isinstance(text, int | float | str):
        raise ValueError(
            f"{named(name, cli)} must be a duration such as 90s, 10m, 1h or 1h30m (or seconds); got {text!r}"
        )
    if isinstance(text, int | float):
        value = float(text)
    else:
        parts = re.fullmatch(
            r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)(s)?)?\s*", text.lower()
        )
        if not parts or not any(parts.groups()):
            raise ValueError(f"{named(name, cli)} {text!r} is not a duration such as 90s, 10m, 1h or 1h30m")
        if (parts[1] or parts[2]) and parts[3] and not parts[4]:  # "1h30": 30 minutes or 30 seconds?
            raise ValueError(f"{named(name, cli)} {text!r}: give the unit of its last number, e.g. 1h30m or 1h30s")
        h, m, s = (float(g) if g else 0.0 for g in parts.groups()[:3])
        value = 3600 * h + 60 * m + s
    if value <= 0:
        raise ValueError(
            f"{named(name, cli)} must be positive{'' if zero is None else f' (or 0: {zero})'}; got {text!r}"
        )
    return value
