"""The documentation: the MkDocs site builds with --strict, its CLI reference covers every command and option of
``dnalm`` (generated at build time, so it follows the code), and the README stays a short front door."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built from this checkout with ``mkdocs build --strict`` into a temporary folder."""
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[test]' brings it)")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", "mkdocs.yml", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, "mkdocs build --strict failed:\n" + run.stdout[-3000:] + run.stderr[-5000:]
    return out


def test_mkdocs_build_strict_writes_every_page(site):
    for page in (
        "index.html",
        "reference/cli/index.html",
        "reference/api/finetune/index.html",
        "guide/scan/index.html",
    ):
        assert (site / page).is_file(), page
    assert (site / "figures" / "report.png").is_file()
    api = (site / "reference/api/finetune/index.html").read_text()
    assert "dnalm.finetune.train.finetune" in api  # mkdocstrings rendered the module, not an empty page


def _commands():
    """Every command of the ``dnalm`` click tree with its context, walked here independently of the docs hook."""
    import typer.main

    import dnalm.cli

    def walk(command, path, parent):
        ctx = command.make_context(path[-1], [], parent=parent, resilient_parsing=True)
        yield path, command, ctx
        for name in command.list_commands(ctx) if hasattr(command, "list_commands") else ():
            yield from walk(command.get_command(ctx, name), (*path, name), ctx)

    return list(walk(typer.main.get_command(dnalm.cli.app), ("dnalm",), None))


def _help_text(command, ctx) -> str:
    """What ``COMMAND --help`` prints (typer writes it to stdout)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        text = command.get_help(ctx)
    return (text or "") + buf.getvalue()


def _sections(html: str) -> dict[str, str]:
    """The CLI reference page cut at each command heading: heading id -> that command's section."""
    parts = re.split(r'<h2 id="([^"]+)"', html)
    return dict(zip(parts[1::2], parts[2::2]))


def test_cli_reference_lists_every_command_and_option(site, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # the help panels are not wrapped mid-name
    sections = _sections((site / "reference/cli/index.html").read_text())
    commands = _commands()
    assert len(commands) > 20
    for path, command, ctx in commands:
        key = "-".join(path)
        assert key in sections, f"`{' '.join(path)}` has no section in the CLI reference"
        section = sections[key]
        for param in command.get_params(ctx):
            if param.hidden:
                continue
            if param.param_type_name == "argument":
                assert f"<code>{param.name.upper()}</code>" in section, (path, param.name)
                continue
            for name in [*param.opts, *param.secondary_opts]:
                assert f"<code>{name}</code>" in section, f"{' '.join(path)}: {name} missing from the CLI reference"
        shown = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", _help_text(command, ctx)))
        assert "--help" in shown
        missing = [name for name in shown if name not in section]
        assert not missing, f"`{' '.join(path)} --help` shows {missing}, the CLI reference does not"


def test_cli_reference_follows_the_code(monkeypatch):
    """A command or option added to the CLI appears in the generated reference (nothing is hand-written)."""
    import typer

    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        import cli_reference
    finally:
        sys.path.remove(str(ROOT / "docs" / "hooks"))

    app = typer.Typer()

    @app.command()
    def first(size: int = typer.Option(3, help="How | big <n>.")):
        """Do the first thing."""

    @app.command("second-thing")
    def second(path: str = typer.Argument(..., help="Where.")):
        """Do the second thing."""

    text = cli_reference.render_reference(typer.main.get_command(app))
    assert "## `dnalm first` { #dnalm-first }" in text and "## `dnalm second-thing`" in text
    assert "| `--size` |" in text and r"How \| big &lt;n&gt;. \[default: 3\]" in text  # one table cell, escaped
    assert "| `PATH` |" in text


def test_doctest_fences():
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        pytest.importorskip("griffe")
        from doctest_fences import fence_doctests
    finally:
        sys.path.remove(str(ROOT / "docs" / "hooks"))
    text = "Intro.\n\n    >>> f([1])\n    [(1, 2)]\n\n```\n>>> not touched\n```"
    assert fence_doctests(text).splitlines() == [
        "Intro.",
        "",
        "    ```pycon",
        "    >>> f([1])",
        "    [(1, 2)]",
        "    ```",
        "",
        "```",
        ">>> not touched",
        "```",
    ]


def test_readme_is_a_short_front_door():
    text = README.read_text()
    lines = text.splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; the limit is 300 (aim for 250)"
    quick = text.split("<!-- ci:begin -->")[1].split("<!-- ci:end -->")[0]
    assert [line for line in quick.splitlines() if line and not line.startswith("```")] == [
        'pip install "torch==2.13.0" -e ".[test]" && dnalm demo',
        "python -m pytest -q",
    ]
    before = text.split("<!-- ci:begin -->")[0]
    assert "python3 -m venv .venv && . .venv/bin/activate" in before
    assert "mkdocs serve" in text  # how to build and open the docs
    links = re.findall(r"\]\(([^)#\s]+)[^)]*\)", text)
    local = [link for link in links if "://" not in link]
    assert any(link.startswith("docs/figures/") for link in local)
    assert any(link.startswith("docs/") and link.endswith(".md") for link in local)
    for link in local:
        assert (ROOT / link).exists(), f"README.md links to {link}, which is not there"
