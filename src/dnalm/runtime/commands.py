"""The ``dnalm`` command group: every command runs inside one error handler; an option given twice, and an empty
value, are refused.

An error about the input, settings or output is one line and exit status 2
(:func:`dnalm.runtime.process.report_error`); anything else names its type, status 1. click keeps the last of an
option given twice (``--model cnn --model lstm``), so a repeated option that takes one value is refused before the
command runs.
"""

from __future__ import annotations

import sys
import traceback

import typer
import typer.core

from dnalm.runtime import process

__all__ = ["Commands", "empty_value", "repeated_option"]

#: Whether ``--debug`` was given: errors then keep their tracebacks.
STATE = {"debug": False}

#: How typer/click end a command or report a usage error themselves (typer vendors click in newer versions).
_CLICK_CONTROL = (
    typer.Exit,
    typer.Abort,
    next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
)


def repeated_option(command, args: list[str]) -> str | None:
    """What is wrong when ``args`` give one of ``command``'s single-valued options more than once (None: nothing);
    ``command``: a click (or typer) command, read by its parameters' ``opts``, ``multiple`` and ``is_flag``."""
    by_name = {
        name: p
        for p in command.params
        if getattr(p, "param_type_name", None) == "option" and not p.multiple and not getattr(p, "count", False)
        for name in (*p.opts, *getattr(p, "secondary_opts", ()))
    }
    seen: dict[str, list[str]] = {}
    tokens = list(args)
    for i, token in enumerate(tokens):
        if token == "--":
            break
        name, _, inline = token.partition("=") if token.startswith("-") else (token, "", "")
        param = by_name.get(name)
        if param is None:
            continue
        takes_value = not param.is_flag
        value = inline or (tokens[i + 1] if takes_value and i + 1 < len(tokens) else name)
        pair = getattr(param, "secondary_opts", ())
        seen.setdefault("/".join((param.opts[-1], *pair)) if pair else param.opts[-1], []).append(value)
    for name, values in seen.items():
        if len(values) > 1:
            return f"{name} given twice ({', '.join(values)}): give it once"
    return None


def empty_value(command, args: list[str]) -> str | None:
    """What is wrong when ``args`` give ``command`` an empty value (``-o ''`` was read as the current folder, an
    empty input as the working folder); None: nothing."""
    options = {name: p for p in command.params if getattr(p, "param_type_name", None) == "option" for name in p.opts}
    tokens = list(args)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "--":
            rest = tokens[i + 1 :]
            return "an argument is empty (''): give a value" if any(not t.strip() for t in rest) else None
        name, eq, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        param = options.get(name)
        if param is not None and not param.is_flag:
            value = inline if eq else (tokens[i + 1] if i + 1 < len(tokens) else None)
            if value is not None and not value.strip():
                return f"{param.opts[-1]} is empty ({value!r}): give a value"
            i += 1 if eq else 2
            continue
        if not token.strip():
            return "an argument is empty (''): give a value"
        i += 1
    return None


class Commands(typer.core.TyperGroup):
    """The top-level group: one error handler for every command, and no option silently given twice."""

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        leaf, tail, path = command, rest, [ctx.command_path, name]
        while isinstance(getattr(leaf, "commands", None), dict) and tail and tail[0] in leaf.commands:  # tokenizer kmer
            leaf, tail, path = leaf.commands[tail[0]], tail[1:], [*path, tail[0]]
        if leaf is not None and (problem := repeated_option(leaf, tail) or empty_value(leaf, tail)):
            where = " ".join(path)
            typer.echo(f"error: {where}: {problem} (see {where} --help)", err=True)
            raise typer.Exit(2)
        return name, command, rest

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as err:
            if line := process.usage_error(err, ctx.command_path):  # a mistyped option or value
                typer.echo(line, err=True)
                raise typer.Exit(2) from None
            if isinstance(err, _CLICK_CONTROL):
                raise
            if STATE["debug"]:  # the traceback too, with the same line and exit status (a script's test stays true)
                traceback.print_exception(err, file=sys.stderr)
            raise typer.Exit(process.report_error(err, debug=STATE["debug"])) from None
        except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM (process.Terminated)
            raise typer.Exit(process.interrupted(ctx.invoked_subcommand, stop)) from None
