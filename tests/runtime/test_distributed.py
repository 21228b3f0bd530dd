"""Two processes under torchrun (gloo on the CPU): one output folder, written once, with the run's real epochs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch.distributed")


def _torchrun(*args, cwd) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "dnalm"]
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    return subprocess.run(
        [*cmd, *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "OMP_NUM_THREADS": "1"},
    )


def test_two_processes_write_one_model_with_the_epochs_asked_for(tata_dir, tmp_path):
    out = _torchrun("finetune", str(tata_dir), "--model", "pos-cnn", "--epochs", "2", "-o", "m", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("saved to m") == 1  # the main process reports; the other is quiet
    summary = json.loads((tmp_path / "m" / "training_summary.json").read_text())
    # 240 sequences, a batch of 128 split into 64 per process: 2 steps per epoch, 2 epochs (not 2 x 2)
    assert summary["processes"] == 2 and summary["epochs_run"] == 2.0 and summary["steps_run"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no partial folder left, nothing twice
    assert len(json.loads((tmp_path / "m" / "history.json").read_text())) == 2


def test_two_processes_follow_one_time_budget_plan_and_share_the_main_processs_errors(tata_dir, tmp_path):
    # the default recipe with a time budget: each process times its own steps, both follow the main one's plan
    # (had they planned different step counts, one would wait for the other at the end and time out)
    out = _torchrun("finetune", str(tata_dir), "--time-budget", "8s", "-o", "m", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads((tmp_path / "m" / "training_summary.json").read_text())["processes"] == 2
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "draft.txt").write_text("mine")
    out = _torchrun("finetune", str(tata_dir), "--model", "pos-cnn", "--epochs", "1", "-o", "notes", cwd=tmp_path)
    assert out.returncode != 0 and "not a folder dnalm wrote" in out.stderr  # refused in both, no hang
    assert (tmp_path / "notes" / "draft.txt").read_text() == "mine"


def test_two_processes_pretrain_once_with_one_plan(tmp_path):
    import numpy as np

    from dnalm.lm.corpus import build_corpus

    rng = np.random.default_rng(0)
    (tmp_path / "g.fa").write_text(">chr1\n" + "".join(rng.choice(list("ACGT"), 30_000)) + "\n")
    build_corpus(
        [tmp_path / "g.fa"],
        tmp_path / "c",
        min_length=100,
        max_length=300,
        val_fraction=0.2,
        block_size=5_000,
        progress=False,
    )
    (tmp_path / "run.yaml").write_text(
        "max_length: 64\nbpe_sample: 200\nmax_eval_examples: 40\nlm_eval_examples: 8\ntrainer:\n  disable_tqdm: true\n"
    )
    args = ["pretrain", "c", "--model", "tinydnabert-cpu", "--config", "run.yaml", "-o", "lm"]
    out = _torchrun(*args, "--batch-size", "8", "--time-budget", "20s", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads((tmp_path / "lm" / "pretrain_summary.json").read_text())
    assert summary["processes"] == 2 and summary["steps"] >= 1 and summary["lm_metrics"]["n_bases"] > 0
    assert (tmp_path / "lm" / "tokenizer" / "tokenizer_config.json").is_file()


def test_predict_and_evaluate_share_the_scoring_and_write_once(tata_dir, tmp_path):
    from dnalm.apply.evaluate import evaluate, predict_file
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    finetune(FinetuneConfig(model="pos-cnn", epochs=1, trainer={"disable_tqdm": True}), tata_dir, tmp_path / "m")
    predict_file(str(tmp_path / "m"), tata_dir / "test.csv", tmp_path / "one.tsv")
    out = _torchrun("predict", "m", str(tata_dir / "test.csv"), "-o", "two.tsv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("wrote 75 predictions") == 1  # written once, not once per process
    assert "predict: 2 processes share the scoring" in out.stderr
    assert (tmp_path / "two.tsv").read_bytes() == (tmp_path / "one.tsv").read_bytes()
    evaluate(str(tmp_path / "m"), tata_dir, tmp_path / "ev1", split="test")
    out = _torchrun("evaluate", "m", str(tata_dir), "--split", "test", "-o", "ev2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("wrote ev2/metrics.json") == 1
    assert (tmp_path / "ev2" / "predictions.csv").read_bytes() == (tmp_path / "ev1" / "predictions.csv").read_bytes()
    one, two = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("ev1", "ev2"))
    assert {**two, "model": "", "data": ""} == {**one, "model": "", "data": ""}  # paths given differently


def test_shared_scores_deal_sequences_round_robin_and_give_them_back_in_order(monkeypatch):
    """What each process of a two-process run scores, and the main process's result, with the collective
    stood in for: process 1 scores sequences 1, 3, 5, ... of each block; process 0 yields everything in order."""
    import numpy as np

    from dnalm.apply.predict import iter_scores, shared_scores
    from dnalm.models.build import build_model
    from dnalm.runtime import distributed

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    seqs = ["".join(np.random.default_rng(i).choice(list("ACGT"), 30 + i)) for i in range(11)]
    expected = [s for s, _ in iter_scores(model, tok, seqs)]
    sent = {}
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    monkeypatch.setattr(distributed, "device", lambda: None)
    monkeypatch.setattr(distributed, "rank", lambda: 1)
    monkeypatch.setattr(distributed, "gather", lambda mine: sent.setdefault("r1", []).append(mine))
    assert list(shared_scores(model, tok, iter(seqs), block=4)) == []  # not the main process: yields nothing
    assert [len(m) for m in sent["r1"]] == [2, 2, 1]  # blocks of 4, 4, 3: its share of each
    theirs = iter(sent["r1"])
    monkeypatch.setattr(distributed, "rank", lambda: 0)
    monkeypatch.setattr(distributed, "gather", lambda mine: [mine, next(theirs)])
    got = [s for s, _ in shared_scores(model, tok, iter(seqs), block=4)]
    assert len(got) == 11 and all(np.allclose(a, b, atol=1e-6) for a, b in zip(got, expected))


def test_two_processes_share_a_scan_and_write_what_one_process_writes(tata_dir, tmp_path):
    import numpy as np

    from dnalm.apply.scan import CHUNK, scan_genome
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    finetune(FinetuneConfig(model="pos-cnn", epochs=1, trainer={"disable_tqdm": True}), tata_dir, tmp_path / "m")
    rng = np.random.default_rng(1)

    def dna(n: int) -> str:
        return "".join(rng.choice(list("ACGT"), n))

    # more windows than two chunks on chr1 (so both processes score part of it), a small contig, one with Ns
    contigs = {"chr1": dna(2 * CHUNK * 40), "small": dna(500), "gappy": dna(3_000) + "N" * 200 + dna(3_000)}
    (tmp_path / "g.fa").write_text("".join(f">{name}\n{seq}\n" for name, seq in contigs.items()))
    one = scan_genome(str(tmp_path / "m"), tmp_path / "g.fa", tmp_path / "one.bedGraph", peaks=tmp_path / "one.bed")
    assert one.n_windows > 2 * CHUNK
    out = _torchrun("scan", "m", "g.fa", "-o", "two.bedGraph", "--peaks", "two.bed", "--threshold", "0.5", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("scanned 3 contig(s)") == 1
    assert (
        f"{one.n_windows:,} windows" in out.stdout
        and f"({one.n_skipped_windows:,} skipped for N; {one.n_unvalued_bases:,} readable" in out.stdout
    )

    def rows(name):
        return [line.split("\t") for line in (tmp_path / name).read_text().splitlines() if not line.startswith("track")]

    a, b = rows("one.bedGraph"), rows("two.bedGraph")
    assert [r[:3] for r in a] == [r[:3] for r in b] and len(a) == one.n_windows
    np.testing.assert_allclose([float(r[3]) for r in a], [float(r[3]) for r in b], rtol=1e-4)
    assert [r[:3] for r in rows("one.bed")] == [r[:3] for r in rows("two.bed")]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("one", "two"))) == [
        "one.bed",
        "one.bedGraph",
        "two.bed",
        "two.bedGraph",
    ]


def test_the_command_takes_down_the_process_group_after_success_only(tmp_path, monkeypatch):
    # a process that exits with gloo's group still up can abort in its exit ("terminate called without an
    # active exception", SIGABRT) after its work is done: CI saw this fail a finished two-process scan
    import torch.distributed as dist

    from dnalm import cli

    def run(*argv: str) -> int:
        dist.init_process_group(
            "gloo", store=dist.FileStore(str(tmp_path / f"store{len(argv)}"), 1), rank=0, world_size=1
        )
        monkeypatch.setattr(sys, "argv", ["dnalm", *argv])
        with pytest.raises(SystemExit) as done:
            cli.main()
        return done.value.code

    try:
        assert run("--version") in (0, None) and not dist.is_initialized()
        assert run("predict", str(tmp_path / "no-model"), "x.csv", "-o", str(tmp_path / "p.tsv")) != 0
        assert dist.is_initialized()  # a failed process may leave others inside a collective: left as it is
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"RANK": "1"}, "RANK=1 is set in the environment without a launcher"),
        ({"WORLD_SIZE": "2"}, "WORLD_SIZE=2 is set in the environment but no launcher started this process"),
        ({"WORLD_SIZE": "abc"}, "the environment variable WORLD_SIZE='abc' is not a whole number"),
        ({"WORLD_SIZE": "2", "RANK": "5", "MASTER_ADDR": "x", "MASTER_PORT": "1"}, "RANK=5 is not below it"),
    ],
)
def test_launcher_variables_that_no_launcher_set_are_refused_naming_them(tmp_path, env, said):
    """RANK=1 alone made predict a silent non-main process: exit 0, nothing written; WORLD_SIZE=2 failed with an
    IndexError; WORLD_SIZE=abc with int()'s message."""
    (tmp_path / "in.fa").write_text(">a\nACGTACGTAC\n")
    clean = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR")}
    done = subprocess.run(
        [sys.executable, "-m", "dnalm", "synth", "tata", "-o", "d", "--n", "20"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**clean, **env},
    )
    assert done.returncode == 2 and said in done.stderr and not (tmp_path / "d").exists(), done.stderr
