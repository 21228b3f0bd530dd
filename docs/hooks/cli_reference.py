"""MkDocs hook: the command-line reference, generated from the ``dnalm`` CLI itself at build time.

``docs/reference/cli.md`` holds the marker ``<!-- dnalm-cli-reference -->``; this hook replaces it with every
command and subcommand of ``typer.main.get_command(dnalm.cli.app)``: usage, help, arguments and options with
their help and defaults, as ``dnalm COMMAND --help`` shows them. A new option or command appears in the docs
on the next build, so the reference cannot drift from the code.
"""

from __future__ import annotations

import html
import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path

MARKER = "<!-- dnalm-cli-reference -->"
PAGE = "reference/cli.md"
_SRC = Path(__file__).resolve().parents[2] / "src"


def root_command():
    """The click command tree of ``dnalm`` (this checkout's ``src`` first on the path)."""
    if str(_SRC) not in sys.path:
        sys.path.insert(0, str(_SRC))
    import typer.main

    import dnalm.cli

    return typer.main.get_command(dnalm.cli.app)


def walk(command, path: tuple[str, ...] = ("dnalm",), parent=None) -> Iterator[tuple[tuple[str, ...], object, object]]:
    """Every command of the tree, depth first: ``(path, command, context)``; hidden commands are left out."""
    ctx = command.make_context(path[-1], [], parent=parent, resilient_parsing=True)
    yield path, command, ctx
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                yield from walk(sub, (*path, name), ctx)


def anchor(path: tuple[str, ...]) -> str:
    """The heading id of a command: ``dnalm tokenizer kmer`` -> ``dnalm-tokenizer-kmer``."""
    return "-".join(path)


def _text(value: str | None) -> str:
    """Help text made safe for one Markdown table cell or paragraph (no markup read into it)."""
    value = html.escape(" ".join((value or "").split()), quote=False)
    return re.sub(r"([\\`*_\[\]|#{}])", r"\\\1", value)


def _help(command) -> str:
    return inspect.cleandoc(command.help or command.short_help or "")


def _params(command, ctx) -> tuple[list[str], list[str]]:
    arguments, options = [], []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        record = param.get_help_record(ctx)
        help_text = _text(record[1] if record else getattr(param, "help", ""))
        kind = _text(param.display_type(ctx)) if hasattr(param, "display_type") else ""
        if param.param_type_name == "argument":
            arguments.append(f"| `{param.name.upper()}` | {kind} | {help_text} |")
        else:
            names = ", ".join(f"`{name}`" for name in [*param.opts, *param.secondary_opts])
            options.append(f"| {names} | {kind} | {help_text} |")
    return arguments, options


def render_command(path: tuple[str, ...], command, ctx) -> str:
    """One command's section: heading, usage, help, then its arguments, options and subcommands."""
    lines = [f"## `{' '.join(path)}` {{ #{anchor(path)} }}", ""]
    usage = " ".join([*path, *command.collect_usage_pieces(ctx)])
    lines += ["```text", f"Usage: {usage}", "```", ""]
    for paragraph in re.split(r"\n\s*\n", _help(command)):
        if paragraph.strip():
            lines += [_text(paragraph), ""]
    arguments, options = _params(command, ctx)
    if arguments:
        lines += ["**Arguments**", "", "| argument | type | description |", "|---|---|---|", *arguments, ""]
    if options:
        lines += ["**Options**", "", "| option | type | description |", "|---|---|---|", *options, ""]
    if hasattr(command, "list_commands"):
        rows = []
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                summary = _text(sub.get_short_help_str(limit=120))
                rows.append(f"| [`{name}`](#{anchor((*path, name))}) | {summary} |")
        lines += ["**Commands**", "", "| command | summary |", "|---|---|", *rows, ""]
    return "\n".join(lines)


def render_reference(command=None) -> str:
    """The whole reference: one section per command of the tree."""
    command = command or root_command()
    return "\n".join(render_command(path, cmd, ctx) for path, cmd, ctx in walk(command))


def on_page_markdown(markdown: str, page, **kwargs) -> str:
    """Replace the marker in the CLI reference page with the generated reference."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise ValueError(f"docs/{PAGE}: the marker {MARKER} is missing, so the CLI reference would be empty")
    return markdown.replace(MARKER, render_reference())
