from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from huggingface_hub import ModelCard

from dnalm.io.files import write_json
from dnalm.io.sequence import reverse_complement
from dnalm.lm.corpus import build_corpus, load_corpus
from dnalm.lm.inference import embed, fill_mask
from dnalm.lm.pretrain import RECIPES, PretrainConfig, pretrain, resolve_pretrain_config

TINY_MODEL = (
    "preset: tiny\nconfig:\n  hidden_size: 32\n  num_hidden_layers: 1\n  num_attention_heads: 2\n"
    "  intermediate_size: 64\n"
)


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("genome")
    chr1 = "".join(rng.choice(list("ACGT"), 30_000)) + "N" * 500 + "".join(rng.choice(list("acgt"), 9_500))
    chr2 = "".join(rng.choice(list("ACGT"), 20_000))
    (root / "g.fa").write_text(f">chr1\n{chr1}\n>chr2\n{chr2}\n")
    return root / "g.fa"


@pytest.fixture(scope="module")
def corpus_dir(genome, tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "c"
    build_corpus(
        [genome], out, min_length=100, max_length=300, val_fraction=0.2, block_size=5_000, seed=1, progress=False
    )
    return out


def test_corpus_accounts_for_every_base_and_holds_out_regions(genome, corpus_dir):
    summary = json.loads((corpus_dir / "summary.json").read_text())
    total = sum(
        summary[s][key] for s in ("train", "validation") for key in ("bases", "ambiguous_dropped", "short_tail_dropped")
    )
    assert total == 60_000 and summary["train"]["ambiguous_dropped"] + summary["validation"]["ambiguous_dropped"] == 500
    data = load_corpus(corpus_dir)
    train, val = list(data["train"]["sequence"]), list(data["validation"]["sequence"])
    assert len(train) == summary["train"]["segments"] and len(val) > 0
    assert all(100 <= len(s) <= 300 and set(s) <= set("ACGT") for s in train + val)
    joined = "|".join(train)
    assert not any(v[:60] in joined for v in val), "a validation segment also occurs in training"


def test_a_corpus_is_built_from_a_pipe_as_from_the_file(genome, corpus_dir, tmp_path):
    """A FASTA from a pipe (<(zcat g.fa.gz)) was refused as 'no such FASTA file'."""
    import threading

    fifo = tmp_path / "g.fifo"
    os.mkfifo(fifo)
    threading.Thread(target=lambda: fifo.write_bytes(genome.read_bytes()), daemon=True).start()
    settings = {"min_length": 100, "max_length": 300, "val_fraction": 0.2, "block_size": 5_000, "seed": 1}
    build_corpus([fifo], tmp_path / "c", progress=False, **settings)
    piped, direct = (json.loads((p / "summary.json").read_text()) for p in (tmp_path / "c", corpus_dir))
    assert piped["train"] == direct["train"] and piped["validation"] == direct["validation"]


def test_corpus_reverse_complement_and_errors(genome, tmp_path):
    s = build_corpus(
        [genome],
        tmp_path / "rc",
        min_length=100,
        max_length=300,
        val_fraction=0.2,
        block_size=5_000,
        add_reverse_complement=True,
        seed=1,
        progress=False,
    )
    train = list(load_corpus(tmp_path / "rc")["train"]["sequence"])
    assert train[1] == reverse_complement(train[0]) and s["train"]["segments"] % 2 == 0
    with pytest.raises(ValueError, match="min_length"):
        build_corpus([genome], tmp_path / "x", min_length=0, progress=False)
    with pytest.raises(FileNotFoundError, match="not a corpus folder"):
        load_corpus(tmp_path)


def tiny_config(tmp_path, **kw):
    (tmp_path / "model.yaml").write_text(TINY_MODEL)
    base = {
        "max_steps": 6,
        "batch_size": 8,
        "max_length": 32,
        "save_steps": 3,
        "eval_steps": 3,
        "logging_steps": 1,
        "learning_rate": 1e-3,
        "trainer": {"disable_tqdm": True},
    }
    return resolve_pretrain_config(str(tmp_path / "model.yaml"), None, **{**base, **kw})


def test_pretraining_and_scoring_leave_the_corpus_folder_as_it_was(genome, tmp_path):
    """datasets wrote its cache-*.arrow files into the corpus's split folders (an input) at every run."""
    from dnalm.lm.pretrain import score_language_model

    corpus = tmp_path / "c"
    build_corpus([genome], corpus, min_length=100, max_length=300, val_fraction=0.2, block_size=5_000, progress=False)
    before = {p: p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()}
    pretrain(tiny_config(tmp_path, max_steps=2), corpus, tmp_path / "out")
    score_language_model(tmp_path / "out", corpus, tmp_path / "lm.json", examples=8)
    assert {p: p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()} == before


def test_pretrained_kmer_model_fills_masks_and_embeds(corpus_dir, tmp_path, caplog):
    summary = pretrain(tiny_config(tmp_path), corpus_dir, tmp_path / "out")
    out = tmp_path / "out"
    assert summary["steps"] == 6 and (out / "loss_curve.png").stat().st_size > 1000
    assert "eval_masked_accuracy" in summary["validation"] and "eval_perplexity" in summary["validation"]
    card = ModelCard.load(out / "README.md")  # the model card: the validation metrics in its metadata
    assert card.data.library_name == "dnalm" and card.data.pipeline_tag == "fill-mask"
    scores = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert scores["masked_accuracy"] == pytest.approx(summary["validation"]["eval_masked_accuracy"])
    history = json.loads((out / "history.json").read_text())
    assert [r["step"] for r in history if "eval_loss" in r] == [3, 6]  # the last one not evaluated twice
    (result,) = fill_mask(out, "ACGTAGCTAGCTA<mask>CTAGCTAGCATCGA")
    assert result["position"] == 14 and abs(sum(result["probabilities"].values()) - 1) < 1e-5
    (top,) = fill_mask(out, "ACGTAGCTAGCTA<mask>CTAGCTAGCATCGA", top_k=2)  # --top-k was ignored: always four bases
    assert list(top["probabilities"]) == list(result["probabilities"])[:2] and top["best"] == result["best"]
    (every,) = fill_mask(out, "ACGTAGCTAGCTA<mask>CTAGCTAGCATCGA", top_k=9)  # cut to four without a word
    assert len(every["probabilities"]) == 4 and "top_k 9: there are 4 bases a masked base can be" in caplog.text
    vectors = embed(out, ["ACGTACGTAGCTAGCTTTGA", "GGCA" * 40])
    assert vectors.shape == (2, 32) and np.isfinite(vectors).all()
    with pytest.raises(ValueError, match="already holds a finished pretraining; pass overwrite=True to replace it"):
        pretrain(tiny_config(tmp_path), corpus_dir, out)


def test_a_short_run_logs_a_loss_curve_with_the_default_logging_interval(corpus_dir, tmp_path):
    """logging_steps defaults to 50: a 6-step run would log one training loss at most; it logs every step."""
    pretrain(tiny_config(tmp_path, logging_steps=50, save_steps=100), corpus_dir, tmp_path / "out")
    history = json.loads((tmp_path / "out" / "history.json").read_text())
    assert [r["step"] for r in history if "loss" in r] == [1, 2, 3, 4, 5, 6]


def test_pretrain_writes_only_where_it_may(corpus_dir, tmp_path, caplog):
    """Issue 12, item 1 for pretrain: a non-empty folder dnalm did not write is refused (its files untouched),
    with --resume too; --overwrite replaces a finished run, removing only what dnalm wrote there."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    for resume in (False, True):
        with pytest.raises(ValueError, match="is not empty and is not a folder dnalm wrote"):
            pretrain(tiny_config(tmp_path, max_steps=2), corpus_dir, theirs, resume=resume)
    assert [p.name for p in theirs.iterdir()] == ["notes.txt"]
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO, logger="dnalm"):
        pretrain(tiny_config(tmp_path, max_steps=2, save_steps=100), corpus_dir, out)  # finished, no checkpoint
    # given, recorded in dnalm_pretrain.yaml, and changing nothing: said (it was silent)
    assert any(
        r.levelname == "WARNING" and "save_steps 100 is more than the run's 2 steps: no checkpoint" in r.getMessage()
        for r in caplog.records
    )
    with pytest.raises(ValueError, match="already holds a finished pretraining"):
        pretrain(tiny_config(tmp_path, max_steps=2, save_steps=100), corpus_dir, out)
    (out / "notes.txt").write_text("the user's")
    with pytest.raises(ValueError, match=r"holds files this command did not write \(notes.txt\)"):
        pretrain(tiny_config(tmp_path, max_steps=2, save_steps=100), corpus_dir, out)
    summary = pretrain(tiny_config(tmp_path, max_steps=3, save_steps=100), corpus_dir, out, overwrite=True)
    assert summary["steps"] == 3 and (out / "notes.txt").read_text() == "the user's"
    assert json.loads((out / "pretrain_summary.json").read_text())["steps"] == 3
    from dnalm.synth import tata_dataset, write_splits

    other = tmp_path / "other"  # another command's result, replaced with overwrite: said as what it was
    write_splits(tata_dataset(30, 20), other)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dnalm"):
        pretrain(tiny_config(tmp_path, max_steps=2, save_steps=100), corpus_dir, other, overwrite=True)
    said = [r.getMessage() for r in caplog.records if "removing" in r.getMessage()]
    assert said and said[0].startswith(f"removing the earlier result of dnalm synth in {other}")  # not "pretraining"


def test_bpe_pretraining_and_fill_mask(corpus_dir, tmp_path):
    cfg = resolve_pretrain_config(
        "tinydnabert-cpu",
        None,
        max_steps=3,
        batch_size=8,
        max_length=64,
        save_steps=3,
        eval_steps=3,
        bpe_sample=200,
        max_eval_examples=40,
        trainer={"disable_tqdm": True},
    )
    summary = pretrain(cfg, corpus_dir, tmp_path / "bpe")
    assert summary["steps"] == 3 and summary["validation_examples"] == 40
    out = fill_mask(tmp_path / "bpe", "ACGTAGCTAG<mask>CTAGCATCGA", top_k=3)
    assert len(out) == 1 and len(out[0]["probabilities"]) == 3
    every = fill_mask(tmp_path / "bpe", "ACGTAGCTAG<mask>CTAGCATCGA", top_k=100_000)[0]["probabilities"]
    assert not {"<s>", "</s>", "<pad>", "<mask>", "<unk>"} & set(every) and len(every) > 100  # DNA tokens only
    lm = summary["lm_metrics"]  # BPE: scored per masked token, beside the Markov chain on the same bases
    assert lm["n_bases"] > 100 and lm["context_count_bits_per_base"] is None and lm["markov_bits_per_base"] > 1.8


def test_fill_mask_on_a_dnabert_layout_checkpoint(dnabert_checkpoint):
    result = fill_mask(dnabert_checkpoint, "ACGTAGCTAGCT<mask><mask>GCTAGCTAGCATCGA")
    assert [r["position"] for r in result] == [13, 14]
    with pytest.raises(ValueError, match="no <mask>"):
        fill_mask(dnabert_checkpoint, "ACGT")


def test_fill_mask_with_no_base_around_the_mask_says_so(dnabert_checkpoint, caplog):
    """An all-N context gave probabilities with no word (embed and predict warn of such input)."""
    import logging

    with caplog.at_level(logging.WARNING):
        fill_mask(dnabert_checkpoint, "NNNNNNN<mask>NNNNNNN")
    assert "holds no A/C/G/T base" in caplog.text


def _run_pretrain(args, env, log: Path):
    """``dnalm pretrain ARGS`` in a child process, its output in ``log`` (shown when a step fails)."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "dnalm.cli", "pretrain", *map(str, args)], env=env, stdout=out, stderr=out
        )


def _finished(proc, log: Path) -> bool:
    return proc.wait() == 0 or pytest.fail(f"exit {proc.returncode}:\n{log.read_text()[-3000:]}")


def test_killed_run_resumes_with_the_same_steps_schedule_and_losses(corpus_dir, tmp_path):
    (tmp_path / "model.yaml").write_text(TINY_MODEL)
    (tmp_path / "run.yaml").write_text(
        f"model: {tmp_path / 'model.yaml'}\nmax_steps: 60\nbatch_size: 8\nmax_length: 32\nsave_steps: 10\n"
        "eval_steps: 1000\nlogging_steps: 1\nlearning_rate: 0.001\nwarmup_steps: 0.2\ntrainer:\n  disable_tqdm: true\n"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    reference = tmp_path / "reference"
    log = tmp_path / "pretrain.log"
    assert _finished(_run_pretrain([corpus_dir, "-o", reference, "--config", tmp_path / "run.yaml"], env, log), log)

    killed = tmp_path / "killed"
    proc = _run_pretrain([corpus_dir, "-o", killed, "--config", tmp_path / "run.yaml"], env, log)
    deadline = time.time() + 300
    while not (killed / "checkpoints" / "checkpoint-20").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "model.safetensors").exists(), "the run finished before it could be killed"
    stopped_at = max(int(p.name.split("-")[1]) for p in (killed / "checkpoints").glob("checkpoint-*"))
    assert 0 < stopped_at < 60
    (killed / "after.txt").write_text("mine\n")  # put there after the run started: the user's, and it stays
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "dnalm",
            "pretrain",
            str(corpus_dir),
            "-o",
            str(killed),
            "--config",
            str(tmp_path / "run.yaml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert refused.returncode == 2 and "pass --resume to continue it" in refused.stderr, refused.stderr
    assert "after.txt" not in refused.stderr  # (--overwrite used to remove it with the stopped run's files)
    resumed = _run_pretrain([corpus_dir, "-o", killed, "--config", tmp_path / "run.yaml", "--resume"], env, log)
    assert _finished(resumed, log)
    assert (killed / "after.txt").read_text() == "mine\n"

    ref = {r["step"]: r for r in json.loads((reference / "history.json").read_text()) if "loss" in r}
    res = {r["step"]: r for r in json.loads((killed / "history.json").read_text()) if "loss" in r}
    assert sorted(res) == sorted(ref) == list(range(1, 61))
    for step in range(1, 61):  # the schedule, data order and masks continue exactly where the killed run stopped
        assert res[step]["learning_rate"] == pytest.approx(ref[step]["learning_rate"], rel=1e-9), f"step {step}"
        assert res[step]["loss"] == pytest.approx(ref[step]["loss"], rel=1e-5, abs=1e-6), f"step {step}"
    # no checkpoint of the last step: a run killed while saving the model resumed from it and trained step 61
    for run in (reference, killed):
        assert max(int(p.name.split("-")[1]) for p in (run / "checkpoints").glob("checkpoint-*")) == 50
    state = json.loads((killed / "checkpoints" / "checkpoint-50" / "trainer_state.json").read_text())
    assert state["global_step"] == 50
    assert json.loads((killed / "pretrain_summary.json").read_text())["steps"] == 60


def test_embed_on_a_dnabert_layout_checkpoint(dnabert_checkpoint, tmp_path):
    from dnalm.lm.inference import write_embeddings

    vectors = embed(dnabert_checkpoint, ["ACGT" * 10, "GGCCA" * 60], pooling="cls")
    assert vectors.shape == (2, 32)
    write_embeddings(vectors, ["a", "b"], tmp_path / "e.npy")
    assert np.load(tmp_path / "e.npy").shape == (2, 32)
    assert (tmp_path / "e.ids.txt").read_text().split() == ["a", "b"]


def test_pretraining_examples_carry_an_attention_mask(corpus_dir, tmp_path):
    from dnalm.lm.pretrain import _tokenize
    from dnalm.tokenizers.dna import BaseTokenizer

    data = _tokenize(load_corpus(corpus_dir), BaseTokenizer(), 64)
    row = data["train"][0]
    assert len(row["attention_mask"]) == len(row["input_ids"]) == 64 and all(row["attention_mask"])


def test_pretraining_windows_are_packed_and_keep_every_kmer(corpus_dir):
    from dnalm.lm.pretrain import _padding_fraction, _tokenize, _window_lengths
    from dnalm.models.windows import window_starts
    from dnalm.tokenizers.dna import KmerTokenizer

    tok = KmerTokenizer(k=6)
    corpus = load_corpus(corpus_dir)
    data = _tokenize(corpus, tok, 32)
    assert all(len(ids) == 32 for ids in data["train"]["input_ids"])  # segments >= one window: no padding
    assert _padding_fraction(_window_lengths(data["train"]), 32) == 0.0
    for length in range(31, 200):  # every k-mer of a segment lies inside some full window
        starts = window_starts(length, 31, 26)
        covered = {i for s0 in starts for i in range(s0, s0 + 26)}
        assert covered == set(range(length - 5)) and max(starts) + 31 == length
    n_kmers = sum(len(s) - 5 for s in corpus["train"]["sequence"])
    n_tokens = sum(len(ids) - 2 for ids in data["train"]["input_ids"])
    assert n_kmers <= n_tokens < 1.2 * n_kmers  # the last window of a segment overlaps the one before


def test_pretraining_in_a_time_budget_writes_per_base_metrics(corpus_dir, tmp_path):
    (tmp_path / "m.yaml").write_text(
        "preset: tiny\ntokenizer: base\nconfig:\n  hidden_size: 32\n"
        "  num_hidden_layers: 1\n  num_attention_heads: 2\n  intermediate_size: 64\n"
    )
    cfg = resolve_pretrain_config(
        str(tmp_path / "m.yaml"),
        None,
        time_budget="15s",
        batch_size=8,
        max_length=64,
        lm_eval_examples=40,
        learning_rate=2e-3,
        trainer={"disable_tqdm": True},
    )
    t = time.time()
    summary = pretrain(cfg, corpus_dir, tmp_path / "out")
    wall = time.time() - t
    # the budget bounds training and its evaluations; the final held-out scoring comes after (a busy CI machine
    # slows both, so the margin is absolute, not a fraction of a short budget)
    assert wall < 15 + 8, wall
    assert summary["steps"] > 10 and summary["steps_planned"] >= summary["steps"]
    lm = json.loads((tmp_path / "out" / "lm_metrics.json").read_text())
    for key in (
        "masked_base_accuracy",
        "bits_per_base",
        "markov_bits_per_base",
        "context_count_bits_per_base",
        "uniform_bits_per_base",
        "n_bases",
        "verdict",
    ):
        assert key in lm
    assert lm["uniform_bits_per_base"] == 2.0 and lm["n_bases"] > 200
    # a random genome: nothing to learn, so the references sit near 2 bits and the model cannot beat them by much
    assert 1.9 < lm["markov_bits_per_base"] <= 2.05 and lm["bits_per_base"] > 1.9
    evals = [r for r in json.loads((tmp_path / "out" / "history.json").read_text()) if "eval_loss" in r]
    assert len(evals) >= 5  # a curve with points to read


def test_self_pretraining_reads_only_the_training_split(tmp_path):
    from dnalm.lm.pretrain import self_pretrain

    rng = np.random.default_rng(3)
    data = tmp_path / "task"
    data.mkdir()
    rows = "\n".join(f"{''.join(rng.choice(list('ACGT'), 80))},{i % 2}" for i in range(40))
    (data / "train.csv").write_text("sequence,label\n" + rows + "\n")
    for split in ("dev", "test"):  # not DNA, not even a table: reading them would fail
        (data / f"{split}.csv").write_text("this is not a sequence file\n\x00\x01")
    (tmp_path / "m.yaml").write_text(TINY_MODEL.replace("preset: tiny", "preset: mini"))
    out = self_pretrain(
        data, str(tmp_path / "m.yaml"), tmp_path / "sp", time_budget=None, max_steps=4, batch_size=8, max_length=64
    )
    assert (out / "config.json").is_file() and (out / "dnalm_finetune_defaults.json").is_file()
    summary = json.loads((out / "pretrain_summary.json").read_text())
    assert summary["train_segments"] == 40 and summary["steps"] == 4 and summary["lm_metrics"] is None


def test_finetune_with_self_pretraining(tmp_path):
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.data import stratified_split
    from dnalm.finetune.train import finetune
    from dnalm.io import write_table
    from dnalm.synth import tata_dataset

    train, dev = stratified_split(tata_dataset(120, 60, seed=0), 0.25, seed=0)
    write_table(train, tmp_path / "train.csv")
    write_table(dev, tmp_path / "dev.csv")
    (tmp_path / "m.yaml").write_text(TINY_MODEL.replace("preset: tiny", "preset: mini"))
    cfg = FinetuneConfig(
        model=str(tmp_path / "m.yaml"),
        self_pretrain=True,
        self_pretrain_budget=8,
        epochs=1,
        trainer={"disable_tqdm": True},
    )
    summary = finetune(cfg, tmp_path, tmp_path / "out")
    pre = json.loads((tmp_path / "out" / "self_pretrained" / "pretrain_summary.json").read_text())
    assert summary["model"] == str((tmp_path / "out" / "self_pretrained").absolute())  # where it is now
    # as many passes as fine-tuning (epochs=1: 90 sequences, batch 32): it ran a fixed 1,000 steps, whatever --epochs
    assert pre["steps_planned"] == 3
    with pytest.raises(ValueError, match="self-pretraining trains a masked language model"):
        finetune(FinetuneConfig(model="cnn", self_pretrain=True), tmp_path, tmp_path / "dilated")
    # the default recipe self-pretrains its own CNN (as many passes as it fine-tunes), then fine-tunes it as usual
    summary = finetune(
        FinetuneConfig(self_pretrain=True, epochs=1, trainer={"disable_tqdm": True}), tmp_path, tmp_path / "auto"
    )
    folder = (tmp_path / "auto" / "self_pretrained").absolute()
    pre = json.loads((folder / "pretrain_summary.json").read_text())
    # as many passes as it fine-tunes (epochs=1; it ran the recipe's 30 whatever --epochs said), batch 64: 2 steps
    assert pre["model"] == "pos-cnn" and pre["steps"] == -(-1 * 90 // 64) == 2
    assert pre["time_budget_s"] is None  # no budget asked: fixed steps, not what a timing said would fit
    recipe = json.loads((tmp_path / "auto" / "recipe.json").read_text())
    assert summary["model"] == recipe["model"] == str(folder) and summary["learning_rate"] == 2e-3
    # a preset self-pretrained keeps the preset's settings: its folder is the recipe's architecture, not its recipe
    summary = finetune(
        FinetuneConfig(
            model="pos-cnn", self_pretrain=True, self_pretrain_budget=5, epochs=1, trainer={"disable_tqdm": True}
        ),
        tmp_path,
        tmp_path / "preset",
    )
    assert not (tmp_path / "preset" / "recipe.json").exists()
    assert summary["batch_size"] == 128  # pos-cnn's batch; the recipe's would be 64


def test_time_budget_stop_asks_for_an_evaluation_only_when_there_is_one():
    from types import SimpleNamespace

    from transformers import TrainerControl

    from dnalm.runtime.callbacks import TimeBudget

    state = SimpleNamespace(global_step=3, max_steps=10)
    for strategy, wanted in (("no", False), ("steps", True)):
        control = TrainerControl()
        TimeBudget(deadline=0).on_step_end(SimpleNamespace(eval_strategy=strategy), state, control)
        assert control.should_training_stop and control.should_evaluate is wanted  # self-pretraining has no dev


def test_the_default_cnn_pretrains_on_masked_bases_and_fine_tunes_with_the_recipe(corpus_dir, tata_dir, tmp_path):
    import torch

    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune
    from dnalm.models.build import build_model

    cfg = resolve_pretrain_config(
        "pos-cnn-cpu",
        None,
        max_steps=30,
        time_budget=None,
        batch_size=8,
        max_length=64,
        lm_eval_examples=40,
        model_config={"channels": 16, "position_channels": 4},
        trainer={"disable_tqdm": True},
    )
    summary = pretrain(cfg, corpus_dir, tmp_path / "lm")
    assert summary["steps"] == 30
    lm = json.loads((tmp_path / "lm" / "lm_metrics.json").read_text())
    assert lm["n_bases"] > 200 and 0 <= lm["masked_base_accuracy"] <= 1 and lm["bits_per_base"] > 0
    # the classifier starts from the pretrained convolutions (its head is new)
    classifier, _, _ = build_model(str(tmp_path / "lm"), num_labels=2)
    from transformers import AutoModelForMaskedLM

    masked = AutoModelForMaskedLM.from_pretrained(tmp_path / "lm")
    assert type(masked).__name__ == "PosCnnForMaskedLM"
    for name, weight in masked.body.state_dict().items():
        assert torch.equal(classifier.body.state_dict()[name], weight), name
    # and `finetune --model FOLDER` trains it with the default recipe's settings, not a preset's 5e-5
    out = finetune(
        FinetuneConfig(model=str(tmp_path / "lm"), epochs=1, trainer={"disable_tqdm": True}), tata_dir, tmp_path / "m"
    )
    recipe = json.loads((tmp_path / "m" / "recipe.json").read_text())
    assert recipe["model"] == str(tmp_path / "lm") and recipe["model_config"] == {}
    assert out["learning_rate"] == recipe["learning_rate"] == 2e-3
    assert out["ema_decay"] == recipe["ema_decay"] and out["reverse_complement_average"]


def test_a_run_without_validation_says_so_instead_of_nan():
    from dnalm.lm.pretrain import describe

    line = describe({"steps": 5, "validation": {}, "lm_metrics": None}, "out")
    assert line == "5 steps; no validation (the corpus holds none out); saved to out (loss_curve.png)"


def test_pretraining_a_checkpoint_further_may_add_attention_layers_and_nothing_else(tmp_path):
    """``--model dnalm-cnn`` with ``model_config: {attention_layers: N}`` continues the shipped convolutions with new
    layers over them; a setting that would change the checkpoint's own weights is refused (it was ignored)."""
    import torch

    from dnalm.lm.pretrain import PretrainConfig, _build
    from dnalm.models.shipped import pretrained_path

    model, _ = _build(PretrainConfig(model="dnalm-cnn", model_config={"attention_layers": 1}), None, tmp_path)
    assert model.config.attention_layers == 1 and model.body.attention is not None
    shipped, _ = _build(PretrainConfig(model=str(pretrained_path("dnalm-cnn"))), None, tmp_path)
    torch.testing.assert_close(model.body.stem[0].weight, shipped.body.stem[0].weight)
    with pytest.raises(ValueError, match="'channels' would change this checkpoint's weights"):
        _build(PretrainConfig(model="dnalm-cnn", model_config={"channels": 64}), None, tmp_path)


def test_lm_eval_refuses_windows_longer_than_the_model_and_says_when_fewer_windows_exist(corpus_dir, tmp_path, caplog):
    """``--max-length 100000`` was cut to the model's limit and ``--examples 10**9`` to the windows there are, in
    silence."""
    import logging

    from dnalm.lm.pretrain import score_language_model

    with pytest.raises(ValueError, match=r"max_length \(--max-length\) is 100000 tokens; dnalm-mini takes at most"):
        score_language_model("dnalm-mini", corpus_dir, tmp_path / "a.json", max_length=100_000)
    with caplog.at_level(logging.WARNING):
        out = score_language_model("dnalm-mini", corpus_dir, tmp_path / "b.json", examples=10**9, max_length=64)
    assert f"fewer than the {10**9} asked: all are scored" in caplog.text and out["heldout_windows"] < 10**9


@pytest.mark.parametrize("setting", [{"max_length": 100_000}, {"model_config": {"num_hidden_layers": 0}}])
def test_a_pretraining_refused_after_its_tokenizer_was_trained_leaves_no_folder(corpus_dir, tmp_path, setting):
    """A BPE tokenizer was trained and saved into OUTPUT/tokenizer before the model's limits were checked: the
    refused run left a folder behind."""
    with pytest.raises(ValueError, match="tiny-bpe takes at most 512|num_hidden_layers"):
        pretrain(PretrainConfig(model="tiny-bpe", max_steps=1, **setting), corpus_dir, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_plan_setting_given_anew_on_resume_is_said_not_silently_ignored(corpus_dir, tmp_path, caplog):
    """pretrain --resume --max-steps 8 of a 5-step run stopped at 5 steps and said so nowhere."""
    import dataclasses

    import yaml

    from dnalm.io.files import write_json
    from dnalm.lm.pretrain import _check_resume, corpus_digest

    cfg = PretrainConfig(model="tiny", max_steps=5)
    out = tmp_path / "run"
    out.mkdir()
    (out / "dnalm_pretrain.yaml").write_text(yaml.safe_dump({**dataclasses.asdict(cfg), "eval_steps": 2}))
    write_json(out / "dnalm_pretrain_corpus.json", corpus_digest(corpus_dir))
    _check_resume(dataclasses.replace(cfg, max_steps=8), corpus_dir, out)
    assert "--resume: max_steps 8 is not used: a resumed run keeps the plan it made (max_steps 5)" in caplog.text


def test_fill_mask_names_a_bad_character_at_its_place_in_the_whole_sequence():
    """'AAGT...<mask>TGAACAT-GCAGG' said position 8 (within the piece after the mask), not 29."""
    from dnalm.models.shipped import pretrained_path

    seq = "AAGTTCCGGGATACATGTGC<mask>TGAACAT-GCAGG"
    with pytest.raises(ValueError, match=r"position 29 \(a <mask> counts as one base\): '-' is not a nucleotide"):
        fill_mask(pretrained_path("dnalm-mini"), seq)


def test_eval_steps_without_a_validation_split_is_refused_before_any_work(genome, tmp_path):
    """--eval-steps on a corpus built with --val-fraction 0 was accepted and did nothing."""
    build_corpus([genome], tmp_path / "c", min_length=100, max_length=300, val_fraction=0, progress=False)
    cfg = PretrainConfig.from_dict({"model": str(tmp_path / "m.yaml"), "max_steps": 2, "eval_steps": 1})
    (tmp_path / "m.yaml").write_text(TINY_MODEL)
    with pytest.raises(ValueError, match=r"eval_steps \(--eval-steps\) .* the corpus has none"):
        pretrain(cfg, tmp_path / "c", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_corpus_refuses_one_fasta_given_twice_through_a_hard_link(genome, tmp_path):
    """The check compared real paths, so a hard link (another name, the same file) put one genome in twice."""
    os.link(genome, tmp_path / "hard.fa")
    with pytest.raises(ValueError, match=r"hard.fa: the same FASTA file as .*g.fa, given twice"):
        build_corpus([genome, tmp_path / "hard.fa"], tmp_path / "c", progress=False)


def test_the_model_on_the_command_line_wins_over_the_files_and_a_file_may_name_a_recipe(tmp_path, caplog):
    (tmp_path / "p.yaml").write_text("model: mini\nmax_steps: 2\nbatch_size: 4\n")
    with caplog.at_level("INFO"):
        cfg = resolve_pretrain_config("tiny", tmp_path / "p.yaml")
    assert (cfg.model, cfg.max_steps, cfg.batch_size) == ("tiny", 2, 4)
    assert "model 'tiny' from the command line replaces 'mini' from" in caplog.text
    cfg = resolve_pretrain_config(
        "dnabert-cpu", tmp_path / "p.yaml"
    )  # the recipe's model and settings, the file's on top
    assert (cfg.model, cfg.max_steps, cfg.batch_size) == (RECIPES["dnabert-cpu"]["model"], 2, 4)
    assert cfg.mlm_schedule == RECIPES["dnabert-cpu"].get("mlm_schedule", cfg.mlm_schedule)
    (tmp_path / "r.yaml").write_text("model: dnabert-cpu\nmax_steps: 3\n")
    cfg = resolve_pretrain_config(None, tmp_path / "r.yaml", batch_size=8)
    assert (cfg.model, cfg.max_steps, cfg.batch_size) == (RECIPES["dnabert-cpu"]["model"], 3, 8)


def test_a_pretraining_whose_weights_diverged_is_not_saved(corpus_dir, tmp_path):
    with pytest.raises(ValueError, match=r"training diverged"):
        pretrain(
            tiny_config(tmp_path, max_steps=16, save_steps=100, weight_decay=1000, learning_rate=1),
            corpus_dir,
            tmp_path / "o",
        )
    assert not (tmp_path / "o" / "model.safetensors").exists()


def test_self_pretrain_lists_its_own_files_and_takes_overwrite(tata_dir, tmp_path):
    """A second self_pretrain into its folder was refused for 'files this command did not write
    (dnalm_finetune_defaults.json)', and overwrite=True was 'unknown pretrain setting'."""
    from dnalm.io.outputs import read_marker
    from dnalm.lm.pretrain import self_pretrain

    out = tmp_path / "sp"
    settings = {"time_budget": 2, "trainer": {"disable_tqdm": True}}
    self_pretrain(tata_dir, "tiny", out, **settings)
    assert "dnalm_finetune_defaults.json" in read_marker(out)["files"]
    with pytest.raises(ValueError, match="already holds a finished pretraining"):
        self_pretrain(tata_dir, "tiny", out, **settings)
    assert self_pretrain(tata_dir, "tiny", out, overwrite=True, **settings) == out


def test_pretraining_refuses_a_model_or_setting_it_cannot_use(corpus_dir, tmp_path):
    """A fine-tuned CNN classifier has no masked-LM form (transformers' refusal listed dozens of config classes); a
    mistyped architecture setting rode along into config.json; --span-length was ignored for tokens that do not
    overlap, and recorded as if used."""
    from dnalm.models.build import build_model

    model, tok, _ = build_model("cnn", num_labels=2)
    model.save_pretrained(tmp_path / "cnn")
    tok.save_pretrained(tmp_path / "cnn")
    with pytest.raises(ValueError, match=r"masked-LM pretraining needs a transformer .*not dnalm-dilated-cnn"):
        pretrain(PretrainConfig(model=str(tmp_path / "cnn"), max_steps=1), corpus_dir, tmp_path / "o1")
    with pytest.raises(ValueError, match=r"unknown architecture setting\(s\) 'bogus'"):
        pretrain(PretrainConfig(model="tiny", model_config={"bogus": 1}, max_steps=1), corpus_dir, tmp_path / "o2")
    with pytest.raises(ValueError, match=r"span_length \(--span-length\) masks runs of overlapping k-mers"):
        pretrain(PretrainConfig(model="mini", span_length=5, max_steps=1), corpus_dir, tmp_path / "o3")
    for out in ("o1", "o2", "o3"):
        assert not (tmp_path / out / "config.json").exists()


def test_an_overwrite_that_stops_part_way_leaves_the_finished_pretraining_whole(corpus_dir, tmp_path, monkeypatch):
    """--overwrite removed the earlier run's files when the new run started: a run killed part-way left neither."""
    import hashlib

    import dnalm.lm.pretrain as module

    (tmp_path / "m.yaml").write_text(
        "preset: tiny\ntokenizer: base\nconfig:\n  hidden_size: 32\n"
        "  num_hidden_layers: 1\n  num_attention_heads: 2\n  intermediate_size: 64\n"
    )
    cfg = PretrainConfig(
        model=str(tmp_path / "m.yaml"), max_steps=2, batch_size=4, max_length=64, lm_eval_examples=4,
        trainer={"disable_tqdm": True},
    )  # fmt: skip
    out = tmp_path / "pt"
    pretrain(cfg, corpus_dir, out)

    def files():
        return {
            str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()
        }

    before = files()

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "_final_evaluation", stopped)  # after the new run trained and saved
    with pytest.raises(KeyboardInterrupt):
        pretrain(cfg, corpus_dir, out, overwrite=True)
    assert files() == before
    assert not (tmp_path / "pt.partial").exists()
    monkeypatch.undo()
    pretrain(cfg, corpus_dir, out, overwrite=True)  # the next one replaces it, in place once it finishes
    assert not (tmp_path / "pt.partial").exists() and (out / "pretrain_summary.json").is_file()


def test_a_time_budget_that_cuts_max_steps_says_so(corpus_dir, tmp_path, caplog):
    """--max-steps 2 --time-budget 10s ran 1 step and wrote max_steps: 1 without a word."""
    import logging

    (tmp_path / "m.yaml").write_text(
        "preset: tiny\ntokenizer: base\nconfig:\n  hidden_size: 32\n"
        "  num_hidden_layers: 1\n  num_attention_heads: 2\n  intermediate_size: 64\n"
    )
    cfg = resolve_pretrain_config(
        str(tmp_path / "m.yaml"), None, time_budget="8s", max_steps=10**6, batch_size=4, max_length=64,
        lm_eval_examples=4, trainer={"disable_tqdm": True},
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="dnalm"):
        summary = pretrain(cfg, corpus_dir, tmp_path / "out")
    assert "the time budget bound this run (without one it trains all 1000000)" in caplog.text
    assert 1 <= summary["steps"] < 10**6


def _roberta_per_base(folder: Path) -> Path:
    """A transformers RoBERTa masked LM of one base per token, as saved by transformers (no dnalm files): 514
    position embeddings that take 512 tokens, and a tokenizer whose limit is transformers' "unset" value."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import RobertaConfig, RobertaForMaskedLM, RobertaTokenizerFast

    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", "<mask>", "A", "C", "G", "T", "N"])}
    words = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    special = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
    RobertaTokenizerFast(tokenizer_object=words, mask_token="<mask>", **special).save_pretrained(folder)
    config = RobertaConfig(
        vocab_size=10, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=514, pad_token_id=1,
    )  # fmt: skip
    RobertaForMaskedLM(config).save_pretrained(folder)
    return folder


def test_a_transformers_roberta_and_damaged_weights_are_scored_or_refused_in_one_line(corpus_dir, tmp_path):
    """lm-eval on a transformers RoBERTa failed with "index 514 is out of bounds" (windows of 514 tokens), pretrain
    --model on it with "int too big to convert"; pretrain --model on a truncated model.safetensors gave safetensors'
    own error, and on NaN weights trained, then advised a lower learning rate."""
    import torch
    from safetensors.torch import load_file, save_file

    from dnalm.lm.pretrain import score_language_model

    rob = _roberta_per_base(tmp_path / "rob")
    lm = score_language_model(rob, corpus_dir, tmp_path / "lm.json", examples=8)
    assert lm["heldout_windows"] == 8 and json.loads((tmp_path / "lm.json").read_text())["heldout_windows"] == 8
    cfg = resolve_pretrain_config(str(rob), None, max_steps=1, batch_size=8, lm_eval_examples=8, max_eval_examples=8)
    assert pretrain(cfg, corpus_dir, tmp_path / "more")["steps"] == 1
    weights = load_file(rob / "model.safetensors")
    save_file({k: torch.full_like(v, float("nan")) for k, v in weights.items()}, rob / "model.safetensors")
    with pytest.raises(ValueError, match=r"rob: \d+ weight tensor\(s\) hold values that are not finite"):
        pretrain(cfg, corpus_dir, tmp_path / "nan")
    (rob / "model.safetensors").write_bytes((rob / "model.safetensors").read_bytes()[:100])
    with pytest.raises(ValueError, match=r"rob/model\.safetensors: the weights cannot be read"):
        pretrain(cfg, corpus_dir, tmp_path / "cut")


def test_a_model_that_is_no_model_lists_pretrains_own_recipes(corpus_dir, tmp_path):
    """pretrain listed fine-tuning's presets for a mistyped --model, but not its own recipes (mini-cpu, ...)."""
    with pytest.raises(ValueError, match=r"did you mean 'tinydnabert'\? \(pretrain also takes its recipes: .*mini-cpu"):
        pretrain(PretrainConfig(model="TinyDNABERT"), corpus_dir, tmp_path / "p")
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"mlm_schedule": [[0, 2.0]]}, r"mlm_schedule: .*probabilities lie in \(0, 1\); got \[0, 2.0\]"),  # it hung
        ({"mlm_schedule": [0, 0.15]}, r"mlm_schedule must be \[\[fraction_of_training, probability\], ...\]"),
        ({"mlm_schedule": [["a", "b"]]}, r"got \['a', 'b'\] in it"),
        ({"mlm_schedule": [[0.5, 0.15]]}, "starting at 0"),
        ({"lr_scheduler": "bogus"}, "lr_scheduler must be one of"),
        ({"trainer": {"max_steps": 5}}, "trainer.max_steps is dnalm's to set: use max_steps instead$"),
    ],
)
def test_pretraining_settings_are_checked_before_any_work(values, message):
    from dnalm.lm.pretrain import PretrainConfig

    with pytest.raises(ValueError, match=message):
        PretrainConfig(**values)
    assert PretrainConfig(mlm_schedule=[[0, 0.15], [0.83, 0.2]]).mlm_schedule == [[0.0, 0.15], [0.83, 0.2]]


def test_resuming_a_finished_pretraining_is_refused(tmp_path):
    """--resume on a finished run trained one step more each time (a 5-step run became 6, then 7)."""
    from dnalm.lm.pretrain import PretrainConfig, _prepare_output

    (tmp_path / "pretrain_summary.json").write_text("{}")
    with pytest.raises(ValueError, match="holds a finished pretraining: there is nothing to resume"):
        _prepare_output(PretrainConfig(), None, tmp_path, True, False)


def test_pretraining_settings_for_what_the_run_lacks_are_refused(tmp_path):
    from dnalm.lm.corpus import build_corpus
    from dnalm.lm.pretrain import PretrainConfig, pretrain

    rng = np.random.default_rng(0)
    (tmp_path / "g.fa").write_text(">c\n" + "".join(rng.choice(list("ACGT"), 3000)) + "\n")
    build_corpus([tmp_path / "g.fa"], tmp_path / "c", min_length=80, max_length=100, val_fraction=0, progress=False)
    with pytest.raises(ValueError, match=r"bpe_sample sets the segments a BPE vocabulary learns from; tiny's learns"):
        pretrain(PretrainConfig(model="tiny", bpe_sample=7, max_steps=1), tmp_path / "c", tmp_path / "o1")
    with pytest.raises(ValueError, match=r"lm_eval_examples scores the corpus's validation split; it has none"):
        pretrain(PretrainConfig(model="tiny", lm_eval_examples=5, max_steps=1), tmp_path / "c", tmp_path / "o2")


def test_library_entry_points_refuse_what_they_misread_or_would_write_over(tmp_path, tata_dir):
    """pretrain took a mapping ('dict' has no attribute 'model') and a list of sequences (list indices must be
    integers); self_pretrain failed on None and bytes and trained on empty strings; write_splits failed on strings;
    KmerTokenizer(vocab=[]) used the default vocabulary; audit_dataset ignored max_length and an unknown columns key
    reached read_sequences; FinetuneConfig.save wrote YAML over a training CSV; a folder with a config.json and
    no weights ended in transformers' 'Error no file named ...'."""
    from dnalm.audit import audit_dataset
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.io import Record
    from dnalm.lm.pretrain import PretrainConfig, pretrain, self_pretrain
    from dnalm.models.build import load_model
    from dnalm.synth import write_splits
    from dnalm.tokenizers.dna import KmerTokenizer

    with pytest.raises(TypeError, match="pretrain takes its settings as a PretrainConfig"):
        pretrain({"model": "tiny"}, tmp_path / "corpus", tmp_path / "o")
    with pytest.raises(TypeError, match="corpus_path must be a corpus folder .* got list"):
        pretrain(PretrainConfig(max_steps=1), ["ACGT" * 50], tmp_path / "o")
    for bad, problem in (([None], "sequence 0 is NoneType"), ([b"ACGT"], "sequence 0 is bytes"), (["", ""], "2 empty")):
        with pytest.raises((TypeError, ValueError), match=problem):
            self_pretrain(bad, "mini", tmp_path / "sp")
    assert not (tmp_path / "o").exists() and not (tmp_path / "sp").exists()
    with pytest.raises(TypeError, match="records must be a list of labelled Records .* got str"):
        write_splits(["ACGT"] * 10, tmp_path / "splits")
    assert write_splits([Record(f"r{i}", "ACGT" * 5, str(i % 2)) for i in range(40)], tmp_path / "splits")
    with pytest.raises(ValueError, match="vocabulary lacks special tokens"):
        KmerTokenizer(k=6, vocab=[])
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) must be in \[1, "):
        audit_dataset(tata_dir, max_length=0, tokenizer="kmer6")
    with pytest.raises(ValueError, match="max_length is the tokenizer report's token limit: give tokenizer="):
        audit_dataset(tata_dir, max_length=100)
    with pytest.raises(ValueError, match="unknown key 'seq_col'"):
        audit_dataset(tata_dir, columns={"seq_col": "x"})
    with pytest.raises(ValueError, match="is a file: the audit compares splits"):
        audit_dataset(tata_dir / "train.csv")
    csv = tmp_path / "train.csv"
    csv.write_text("sequence,label\nACGT,1\n")
    with pytest.raises(FileExistsError, match="exists; pass overwrite=True"):
        FinetuneConfig().save(csv)
    assert csv.read_text() == "sequence,label\nACGT,1\n"
    FinetuneConfig(epochs=3).save(csv, overwrite=True)
    assert FinetuneConfig.load(csv).epochs == 3
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "config.json").write_text('{"model_type": "bert", "vocab_size": 4101}')
    with pytest.raises(ValueError, match="a model configuration without weights"):
        load_model(tmp_path / "bare")


def _fake_corpus(folder, bases):
    (folder / "train").mkdir(parents=True)
    (folder / "train" / "data-00000-of-00001.arrow").write_bytes(b"x" * bases)
    (folder / "dataset_dict.json").write_text('{"splits": ["train"]}')
    write_json(
        folder / "summary.json",
        {"fastas": [f"/data/{folder.name}.fa"], "seed": 0, "train": {"segments": bases // 10, "bases": bases}},
    )
    return folder


def test_pretrain_resume_refuses_other_settings_or_another_corpus(tmp_path):
    import yaml

    from dnalm.lm.pretrain import PretrainConfig, corpus_digest, pretrain, resume_differences

    first, other = _fake_corpus(tmp_path / "c1", 1000), _fake_corpus(tmp_path / "c2", 2000)
    cfg = PretrainConfig(model="tiny", max_steps=6, learning_rate=1e-3, trainer={"disable_tqdm": True})
    out = tmp_path / "run"  # what a run killed after its first checkpoint leaves
    (out / "checkpoints" / "checkpoint-3").mkdir(parents=True)
    (out / "checkpoints" / "checkpoint-3" / "trainer_state.json").write_text('{"max_steps": 6, "eval_steps": 3}')
    (out / "dnalm_pretrain.yaml").write_text(yaml.safe_dump({**dataclasses.asdict(cfg), "eval_steps": 3}))
    write_json(out / "dnalm_pretrain_corpus.json", corpus_digest(first))
    with pytest.raises(ValueError, match=r"learning_rate was 0.001, now 0.0005.*another output folder"):
        pretrain(dataclasses.replace(cfg, learning_rate=5e-4), first, out, resume=True)
    with pytest.raises(ValueError, match=r"the corpus differs \(summary.json fastas, summary.json train, data files\)"):
        pretrain(cfg, other, out, resume=True)
    saved = yaml.safe_load((out / "dnalm_pretrain.yaml").read_text())
    saved_corpus = json.loads((out / "dnalm_pretrain_corpus.json").read_text())
    moved = tmp_path / "moved" / "c1"  # the plan may differ (a resumed run keeps its checkpoint's), and the place
    moved.parent.mkdir()
    first.rename(moved)
    assert (
        resume_differences(
            saved,
            dataclasses.replace(cfg, max_steps=60, time_budget="5m", eval_steps=7),
            saved_corpus,
            corpus_digest(moved),
        )
        == []
    )


def test_pretrain_resume_is_not_blocked_by_cache_files_another_run_wrote_into_the_corpus(tmp_path):
    """``datasets`` writes ``cache-*.arrow`` beside a corpus's data whenever a run tokenizes it, so a second
    pretraining on the same corpus (another model, another length) once made a killed run's resume refuse
    "the corpus differs (data files)"."""
    from dnalm.lm.pretrain import PretrainConfig, corpus_digest, resume_differences

    corpus = _fake_corpus(tmp_path / "c", 1000)
    cfg = PretrainConfig(model="tiny")
    saved, before = json.loads(json.dumps(dataclasses.asdict(cfg))), corpus_digest(corpus)
    (corpus / "train" / "cache-0123456789abcdef.arrow").write_bytes(b"y" * 50)  # the other run's tokens
    assert resume_differences(saved, cfg, before, corpus_digest(corpus)) == []
    older = {**before, "files": {**before["files"], "train/cache-fedcba9876543210.arrow": 70}}  # as dnalm saved it
    assert resume_differences(saved, cfg, older, corpus_digest(corpus)) == []
    (corpus / "train" / "data-00000-of-00001.arrow").write_bytes(b"x" * 999)  # the corpus itself changed
    assert resume_differences(saved, cfg, before, corpus_digest(corpus)) == ["the corpus differs (data files)"]
