"""The pretrained checkpoints shipped inside the package work offline: they load, fill masks, fine-tune, and
their recorded held-out metrics beat the Markov chain."""

from __future__ import annotations

import json

import numpy as np
import pytest

import dnalm
from dnalm.lm.inference import embed, fill_mask


def test_dnalm_mini_is_shipped_small_and_beats_the_markov_chain():
    path = dnalm.pretrained_path("dnalm-mini")
    assert "dnalm-mini" in dnalm.shipped_models()
    assert sum(p.stat().st_size for p in path.iterdir()) < 20e6
    lm = json.loads((path / "lm_metrics.json").read_text())
    assert lm["bits_per_base"] < lm["markov_bits_per_base"] and lm["masked_base_accuracy"] > 0.3
    assert lm["n_bases"] > 10_000


def test_dnalm_mini_fills_a_mask_and_embeds():
    seq = "ATGCGTACGTTAGC" * 4
    out = fill_mask("dnalm-mini", seq[:20] + "<mask>" + seq[21:])
    assert len(out) == 1 and out[0]["position"] == 21
    probs = out[0]["probabilities"]
    assert set(probs) == set("ACGT") and abs(sum(probs.values()) - 1) < 1e-4
    vectors = embed("dnalm-mini", [seq, seq[:30]])
    assert vectors.shape[0] == 2 and np.isfinite(vectors).all()


def _finetune_offline(model: str, tmp_path, monkeypatch) -> dict:
    """One epoch of ``model`` on a small synthetic TATA task with the hub switched off."""
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.data import stratified_split
    from dnalm.finetune.train import finetune
    from dnalm.io import write_table
    from dnalm.synth import tata_dataset

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    train, dev = stratified_split(tata_dataset(80, 60, seed=0), 0.25, seed=0)
    write_table(train, tmp_path / "train.csv")
    write_table(dev, tmp_path / "dev.csv")
    return finetune(FinetuneConfig(model=model, epochs=1, trainer={"disable_tqdm": True}), tmp_path, tmp_path / "out")


def test_finetune_from_dnalm_mini_offline(tmp_path, monkeypatch):
    summary = _finetune_offline("dnalm-mini", tmp_path, monkeypatch)
    cfg = json.loads((tmp_path / "out" / "config.json").read_text())
    assert cfg["model_type"] == "modernbert" and summary["steps_run"] >= 1
    used = (tmp_path / "out" / "dnalm_config.yaml").read_text()
    assert "learning_rate: 0.0005" in used  # the checkpoint's recorded fine-tuning default, not 5e-5


def test_dnalm_cnn_is_shipped_beats_both_references_and_fine_tunes_with_the_recipe(tmp_path, monkeypatch):
    path = dnalm.pretrained_path("dnalm-cnn")
    assert sum(p.stat().st_size for p in path.iterdir()) < 5e6
    lm = json.loads((path / "lm_metrics.json").read_text())
    assert lm["bits_per_base"] < min(lm["markov_bits_per_base"], lm["context_count_bits_per_base"])
    assert lm["masked_base_accuracy"] > 0.3 and lm["n_bases"] > 10_000
    out = fill_mask("dnalm-cnn", "ATGCGTACGTTAGCATGC<mask>TACGTTAGCATGCGT")
    assert abs(sum(out[0]["probabilities"].values()) - 1) < 1e-4
    summary = _finetune_offline("dnalm-cnn", tmp_path, monkeypatch)
    assert summary["learning_rate"] == 2e-3 and summary["reverse_complement_average"]  # the recipe's settings
    recipe = json.loads((tmp_path / "out" / "recipe.json").read_text())
    assert recipe["model"] == "dnalm-cnn"


def test_fill_mask_reads_a_long_sequence_in_the_window_centred_on_each_mask():
    """Longer than the model takes: each mask is predicted in the model-length window centred on it (kept
    inside the sequence), exactly what fill-mask gives on that window alone."""
    from dnalm.lm.inference import load_masked_lm
    from dnalm.models.windows import window_size

    model, tok = load_masked_lm("dnalm-mini")
    _, size = window_size(model, tok, None)
    s = "".join(np.random.default_rng(0).choice(list("ACGT"), 3 * size))
    masks = [40, 2 * size, 3 * size - 3]  # near the start, in the middle, near the end
    long = "".join("<mask>" if i in masks else c for i, c in enumerate(s))
    got = fill_mask(None, long, model=model, tokenizer=tok)
    assert [r["position"] for r in got] == [m + 1 for m in masks]
    for r, m in zip(got, masks):
        start = min(max(m - size // 2, 0), len(s) - size)
        window = "".join("<mask>" if start + i in masks else c for i, c in enumerate(s[start : start + size]))
        alone = fill_mask(None, window, model=model, tokenizer=tok)
        (same,) = [a for a in alone if a["position"] == m - start + 1]
        assert same["probabilities"] == r["probabilities"]


@pytest.mark.parametrize("name", [None, 7, "", ".", "..", "../checkpoints/dnalm-mini", "/etc", "dnalm-mini/"])
def test_pretrained_path_takes_a_shipped_name_and_nothing_else(name):
    """None was a raw TypeError and a path through the package ('dnalm-cnn/../dnalm-mini', '.') was followed."""
    from dnalm.models.shipped import pretrained_path

    with pytest.raises(ValueError, match="no shipped checkpoint .*; this installation has"):
        pretrained_path(name)
