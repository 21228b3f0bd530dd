"""The code passes ruff (lint rules pinned in pyproject.toml), is as `ruff format` writes it, and no function runs past 80
lines; CI runs this file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_passes():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' brings it)")
    out = subprocess.run(
        [ruff, "check", "--no-cache", "src", "tests", "bench", "tools", "experiments"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_ruff_format_check_passes():
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' brings it)")
    out = subprocess.run(
        [ruff, "format", "--check", "--no-cache", "src", "tests", "bench", "tools", "experiments"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, "run `ruff format src tests bench tools experiments`:\n" + out.stdout[-4000:]


def test_no_function_is_longer_than_80_lines():
    """A function a reader takes in at once: the longest grew past 80 lines more than once as fixes went in."""
    import ast

    src = Path(__file__).resolve().parents[1] / "src" / "dnalm"
    long = [
        f"{path.relative_to(src)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in sorted(src.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > 80
    ]
    assert not long, "split these into named steps: " + "; ".join(long)
