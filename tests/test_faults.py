"""Fault injection (issue 12): a command killed with SIGKILL part-way, then run again, ends with the
complete result or the previous state — never a mixture, never a truncated file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


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


def test_finetune_killed_mid_training_keeps_the_previous_model(tata_dir, tmp_path, caplog):
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    out = tmp_path / "model"
    cfg = FinetuneConfig(model="tiny", epochs=1, trainer={"disable_tqdm": True})
    finetune(cfg, tata_dir, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    longer = _dnalm("finetune", tata_dir, "-o", out, "--model", "tiny", "--epochs", "30", "--seed", "1", "--overwrite")
    _kill_when(longer, lambda: (tmp_path / "model.partial" / "history.csv").is_file())  # mid-training
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert (tmp_path / "model.partial" / "PARTIAL_RUN.txt").is_file()  # marked as what a stopped run left
    finetune(cfg, tata_dir, out, overwrite=True)  # the re-run completes and cleans up, saying so
    assert sorted(os.listdir(tmp_path)) == ["model"]
    assert f"removing {tmp_path / 'model.partial'}, what a stopped run left" in caplog.text


def test_finetune_killed_after_a_checkpoint_resumes_to_the_end(tata_dir, tmp_path):
    import json

    (tmp_path / "run.yaml").write_text("model: pos-cnn\nepochs: 40\ncheckpoint_interval: 0\nprecision: fp32\n")
    args = ("finetune", tata_dir, "-o", tmp_path / "model", "--config", tmp_path / "run.yaml")
    checkpoints = tmp_path / "model.partial" / "checkpoints"
    _kill_when(_dnalm(*args), lambda: any(checkpoints.glob("checkpoint-*/dnalm_state.pt")))
    assert not (tmp_path / "model").exists()
    done = subprocess.run(_dnalm(*args, "--resume"), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "model" / "training_summary.json").read_text())
    assert summary["resumed_from"].startswith("checkpoint-")  # continued, not started again
    assert summary["steps_run"] > int(summary["resumed_from"].split("-")[1])
    assert (tmp_path / "model" / "model.safetensors").is_file()
    assert sorted(os.listdir(tmp_path)) == ["model", "run.yaml"]


def test_predict_killed_mid_write_leaves_no_partial_file(tmp_path):
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">s{i}\n{'ACGTTGCA' * 12}\n" for i in range(12_000)))
    out = tmp_path / "p.tsv"
    out.write_text("the previous predictions\n")  # not dnalm's: --overwrite
    cmd = _dnalm("predict", tmp_path / "m", fasta, "-o", out, "--overwrite")
    _kill_when(cmd, lambda: any(tmp_path.glob(".p.tsv.partial-*")))  # while the result is being written
    assert out.read_text() == "the previous predictions\n"  # whole, untouched
    from dnalm.apply.evaluate import predict_file

    predict_file(str(tmp_path / "m"), fasta, out, overwrite=True)  # the re-run
    assert len(out.read_text().splitlines()) == 12_001
    assert not list(tmp_path.glob(".p.tsv.partial-*"))  # the killed run's temporary file is gone too


def test_scan_killed_mid_genome_leaves_the_previous_track_and_no_partial_file(tmp_path):
    import numpy as np

    from dnalm.apply.scan import scan_genome
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    rng = np.random.default_rng(0)
    genome = tmp_path / "g.fa"
    genome.write_text(
        ">chr1\n" + np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, 400_000)].tobytes().decode()
    )
    out = tmp_path / "s.bedGraph"
    out.write_text("the previous track\n")  # not dnalm's: --overwrite
    cmd = _dnalm("scan", tmp_path / "m", genome, "-o", out, "--window", "100", "--stride", "10", "--overwrite")
    _kill_when(cmd, lambda: any(tmp_path.glob(".s.bedGraph.partial-*")))  # while the genome is being scanned
    assert out.read_text() == "the previous track\n"  # whole, untouched
    scan_genome(str(tmp_path / "m"), genome, out, window=100, stride=50, overwrite=True)  # the re-run
    assert len(out.read_text().splitlines()) > 7_000
    assert not list(tmp_path.glob(".s.bedGraph.partial-*"))  # the killed run's temporary file is gone too


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs (a disk that fills up), where this test runner may mount one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True, text=True, check=False
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'not allowed'}); needs root")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_full_disk_leaves_no_partial_file_and_says_so_in_one_line(tata_model, tiny_disk, tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    # about 3,000 rows of predictions: well over the 64 KiB the disk holds
    fasta = "".join(f">seq{i}\n{''.join(rng.choice(list('ACGT'), 60))}\n" for i in range(3_000))
    (tmp_path / "many.fa").write_text(fasta)
    (tiny_disk / "keep.txt").write_text("a file that was there before")
    out = subprocess.run(
        _dnalm("predict", tata_model, tmp_path / "many.fa", "-o", tiny_disk / "p.tsv"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
    message = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr
    assert any(f"could not write {tiny_disk / 'p.tsv'}" in line and "nothing was written" in line for line in message)
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["keep.txt"]  # no partial, no temporary file


def test_benchmark_killed_between_runs_reuses_the_finished_ones_and_completes(tata_dir, tmp_path):
    import json

    import yaml

    config = {
        "name": "killed",
        "seeds": [0, 1],
        "datasets": {"tata": {"path": str(tata_dir)}},
        "finetune": {"epochs": 10, "early_stopping_patience": None, "trainer": {"disable_tqdm": True}},
        "models": {"pos-cnn": {"model": "pos-cnn"}},
        "audit": False,
        "report": False,
    }
    (tmp_path / "bench.yaml").write_text(yaml.safe_dump(config))
    runs = tmp_path / "runs"
    args = ("benchmark", tmp_path / "bench.yaml", "-o", runs)
    _kill_when(_dnalm(*args), lambda: len(list(runs.rglob("run.json"))) == 1)  # mid-way through the second run
    first = next(runs.rglob("run.json"))
    kept = first.read_bytes()
    assert not (runs / "results.json").exists()  # no table from a stopped benchmark
    done = subprocess.run(_dnalm(*args), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert first.read_bytes() == kept  # the finished run was reused, not redone
    results = json.loads((runs / "results.json").read_text())
    assert len(list(runs.rglob("run.json"))) == 2 and results["rows"][0]["n_seeds"] == 2
    assert not list(runs.rglob("*.partial")) and not list(runs.rglob(".*.partial-*"))  # nothing half-written


def test_the_flags_a_refusal_suggests_after_a_stopped_run_work(tata_dir, tmp_path):
    """After the stopped run's OUTPUT.partial became a refusal without --resume or --overwrite: --resume of a
    two-candidate recipe said "starting afresh" and then refused; an output named as the staging folder wrote a
    model beside the stopped run's checkpoints; the plain re-run did not say that --resume continues it."""
    from typer.testing import CliRunner

    from dnalm.cli import app
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune
    from dnalm.io.files import start_folder

    out = tmp_path / "m"
    staging = start_folder(out, owned_marker="dnalm_config.yaml")  # a run stopped before its first checkpoint
    (staging / "history.csv").write_text("epoch\n")
    cfg = FinetuneConfig(epochs=1, candidates="all", trainer={"disable_tqdm": True})  # the recipe, two candidates
    res = CliRunner().invoke(app, ["finetune", str(tata_dir), "-o", str(staging), "--epochs", "1", "--overwrite"])
    assert res.exit_code == 2 and "is what a stopped run writing m left" in res.output, res.output
    finetune(cfg, tata_dir, out, resume=True)  # starts afresh, as it says
    assert (out / "recipe.json").is_file() and not staging.exists()
    staging = start_folder(out, owned_marker="dnalm_config.yaml")
    (staging / "history.csv").write_text("epoch\n")
    res = CliRunner().invoke(app, ["finetune", str(tata_dir), "-o", str(out), "--epochs", "1"])
    assert res.exit_code == 2 and f"--resume to continue the stopped run in {staging.name}" in res.output, res.output
