"""The code passes ruff (lint rules pinned in pyproject.toml) and is as `ruff format` writes it; CI runs this file."""

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
