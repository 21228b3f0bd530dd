"""Fixtures every test sees, and helpers that tests in several folders share: those are imported as
``from tests.conftest import _refused`` (pytest's importlib mode, set in pyproject.toml, registers this file as
``tests.conftest``)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dnalm.cli import app

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder ``../shared/data``; tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"real data not found at {SHARED} (the shared/data folder beside the repo)")
    return SHARED


@pytest.fixture(scope="session")
def tata_dir(tmp_path_factory) -> Path:
    """A small TATA split folder: train 240, dev 60, test 75 sequences of 60 nt."""
    from dnalm.finetune.data import stratified_split
    from dnalm.io import write_table
    from dnalm.synth import tata_dataset

    root = tmp_path_factory.mktemp("tata")
    train, dev = stratified_split(tata_dataset(300, 60, seed=1), 0.2, seed=1)
    write_table(train, root / "train.csv")
    write_table(dev, root / "dev.csv")
    write_table(tata_dataset(75, 60, seed=2), root / "test.csv")
    return root


@pytest.fixture(scope="session")
def dnabert_checkpoint(tmp_path_factory) -> Path:
    from dnalm.testing import write_dnabert_checkpoint

    return write_dnabert_checkpoint(tmp_path_factory.mktemp("dnabert6"))


@pytest.fixture(scope="session")
def tata_model(tmp_path_factory) -> Path:
    """A k-mer BERT that learned TATAAA on synthetic 60-base sequences (scan, variants and interpret share it)."""
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.data import stratified_split
    from dnalm.finetune.train import finetune
    from dnalm.io import write_table
    from dnalm.synth import tata_dataset

    root = tmp_path_factory.mktemp("tata_model")
    train, dev = stratified_split(tata_dataset(1000, 60, seed=3), 0.2, seed=3)
    write_table(train, root / "train.csv")
    write_table(dev, root / "dev.csv")
    finetune(FinetuneConfig(model="tiny", epochs=4, seed=0, trainer={"disable_tqdm": True}), root, root / "m")
    return root / "m"


# -- dnalm commands run in-process: a refusal is one error line, exit status 2, and no file under root changes --
def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


FASTA = ">s1\n" + "ACGT" * 15 + "\n>s2\n" + "TATAAA" * 10 + "\n"


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


def _refused(root: Path, args: list, match: str) -> str:
    """Run ``dnalm ARGS``: exit status 2, one error line matching ``match``, nothing under ``root`` changed."""
    before = _hashes(root)
    res = CliRunner().invoke(app, [str(a) for a in args])
    errors = [line for line in res.output.splitlines() if line.startswith("error")]
    assert res.exit_code == 2, res.output
    assert len(errors) == 1 and "Traceback" not in res.output, res.output
    assert match in errors[0], errors[0]
    assert _hashes(root) == before
    return errors[0]


def _ok(args: list) -> str:
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.fa").write_text(FASTA)
    (tmp_path / "sub").mkdir()
    os.link(tmp_path / "in.fa", tmp_path / "hard.fa")
    (tmp_path / "link.fa").symlink_to(tmp_path / "in.fa")
    return tmp_path


# -- an untrained model and a genome of two contigs, for commands that read a genome (by region, with a VCF) --
# (tests/lm/test_pretrain.py has a genome fixture of its own, which takes precedence there)
def _wrap(seq: str, width: int) -> str:
    return "\n".join(seq[i : i + width] for i in range(0, len(seq), width))


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    """An untrained two-class pos-cnn (42-base windows) and a genome of two contigs, 60 bases a line."""
    from dnalm.models.build import build_model

    root = tmp_path_factory.mktemp("genome")
    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.config.dnalm_train_max_tokens = 42
    model.save_pretrained(root / "m")
    tok.save_pretrained(root / "m")
    rng = np.random.default_rng(4)
    contigs = {"chr1": "".join(rng.choice(list("ACGT"), 500)), "chr2": "".join(rng.choice(list("ACGT"), 300))}
    (root / "g.fa").write_text("".join(f">{name}\n{_wrap(seq, 60)}\n" for name, seq in contigs.items()))
    return root, contigs


# -- fault injection: a command killed with SIGKILL part-way --------------------------------------------------
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _ready(ready) -> bool:
    """``ready()``, where a folder the running command renames or removes mid-walk means "not yet"."""
    try:
        return bool(ready())
    except FileNotFoundError:
        return False


def _kill_when(cmd: list[str], ready, timeout: float = 120.0) -> None:
    """Start ``cmd``; SIGKILL it as soon as ``ready()`` is true (it must happen before the command ends)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while not _ready(ready):
        if proc.poll() is not None:
            pytest.fail(f"{cmd[3]} finished before the fault could be injected")
        if time.time() - t0 > timeout:
            proc.kill()
            pytest.fail("the fault point was never reached")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _dnalm(*args) -> list[str]:
    return [sys.executable, "-m", "dnalm", "-q", *map(str, args)]
