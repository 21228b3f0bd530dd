from __future__ import annotations

import csv
import random

import numpy as np
import pytest
import torch
from transformers import AutoModelForTokenClassification

from dnalm.apply.evaluate import evaluate, predict_file
from dnalm.apply.predict import predict_per_base
from dnalm.finetune.config import FinetuneConfig
from dnalm.finetune.train import finetune
from dnalm.models.build import build_model, load_model
from dnalm.models.token import BertForNucleotideClassification, kmer_to_base_logits


@pytest.mark.parametrize("k", [1, 3, 6])
def test_base_logits_are_the_mean_of_covering_kmers(k):
    torch.manual_seed(k)
    logits, n = torch.randn(3, 12, 2), torch.tensor([12, 5, 1])
    out = kmer_to_base_logits(logits, n, k)
    for b in range(3):
        for i in range(int(n[b]) + k - 1):
            cover = [j for j in range(int(n[b])) if j <= i < j + k]
            assert torch.allclose(out[b, i], logits[b, cover].mean(0), atol=1e-6)


def write_site_data(path, n: int, length: int, seed: int) -> None:
    """Per-base labels: 1 on the bases of every TATAAA, 0 elsewhere."""
    rng = random.Random(seed)
    with open(path, "w") as fh:
        fh.write("sequence,label\n")
        for _ in range(n):
            seq = list("".join(rng.choice("ACGT") for _ in range(length)))
            at = rng.randrange(0, length - 6)
            seq[at : at + 6] = "TATAAA"
            seq = "".join(seq)
            lab = ["0"] * length
            start = seq.find("TATAAA")
            while start != -1:
                lab[start : start + 6] = "1" * 6
                start = seq.find("TATAAA", start + 1)
            fh.write(f"{seq},{''.join(lab)}\n")


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("sites")
    write_site_data(root / "train.csv", 200, 48, seed=0)
    write_site_data(root / "dev.csv", 40, 48, seed=1)
    write_site_data(root / "test.csv", 30, 80, seed=2)
    return root


def test_per_base_model_trains_evaluates_and_predicts(site_dir, tmp_path, caplog):
    cfg = FinetuneConfig(
        model="tiny",
        problem_type="token_classification",
        epochs=2,
        seed=0,
        trainer={"disable_tqdm": True},
        metric_for_best_model="mcc",
    )
    summary = finetune(cfg, site_dir, tmp_path / "m")
    assert "eval_mcc" in summary["validation_metrics"]
    model, _tok = load_model(tmp_path / "m")
    assert isinstance(model, BertForNucleotideClassification) and model.config.kmer_k == 6
    m = evaluate(str(tmp_path / "m"), site_dir, tmp_path / "e")
    assert m["n_bases"] == 30 * 80 and m["n_sequences"] == 30
    rows = list(csv.DictReader(open(tmp_path / "e" / "predictions.csv")))
    assert len(rows) == 30 and all(len(r["predicted"]) == 80 for r in rows)
    plain = AutoModelForTokenClassification.from_pretrained(tmp_path / "m")  # same weights, k-mer level output
    assert torch.equal(plain.classifier.weight, model.classifier.weight)
    assert all(r["n_informative_bases"] == "80" for r in rows)
    n = predict_file(str(tmp_path / "m"), site_dir / "test.csv", tmp_path / "p.tsv")
    assert n == 30
    # the labels stay beside the predictions (they were dropped for per-base models only); a sequence shorter than
    # a k-mer reads no base: written as 0 1 0 0 from the model's prior without a word, now counted and said
    rows = list(csv.DictReader(open(tmp_path / "p.tsv"), delimiter="\t"))
    assert len(rows[0]["label"]) == 80 and rows[0]["n_informative_bases"] == "80"
    (tmp_path / "short.fa").write_text(">short\nTATA\n")
    predict_file(str(tmp_path / "m"), tmp_path / "short.fa", tmp_path / "s.tsv")
    assert "1 of 1 sequences hold no base the model can read" in caplog.text
    assert next(csv.DictReader(open(tmp_path / "s.tsv"), delimiter="\t"))["n_informative_bases"] == "0"


def test_per_base_windows_stitch_long_sequences():
    model, tok, _ = build_model("tiny", num_labels=2, problem_type="token_classification", seed=0)
    seq = "".join(random.Random(1).choice("ACGT") for _ in range(150))
    whole = predict_per_base(model, tok, [seq], max_tokens=200)[0]
    windowed = predict_per_base(model, tok, [seq], max_tokens=40)[0]
    assert whole.shape == windowed.shape == (150, 2)
    np.testing.assert_allclose(windowed.sum(axis=1), 1.0, atol=1e-6)


def test_per_base_needs_overlapping_kmer_or_base_bert():
    with pytest.raises(ValueError, match=r"per-nucleotide .* needs a BERT model .*\(the presets tiny and dnabert-6"):
        build_model("cnn", num_labels=2, problem_type="token_classification")
    for name in ("tiny", "dnabert-6"):  # the presets the refusal names make per-base models
        assert build_model(name, num_labels=2, problem_type="token_classification")[0].config.kmer_k == 6


def test_per_base_label_length_must_match(tmp_path):
    (tmp_path / "train.csv").write_text("sequence,label\nACGTACGTAC,0011000000\nACGTACGTAC,00110\n")
    cfg = FinetuneConfig(model="tiny", problem_type="token_classification", epochs=1, val_fraction=0.5)
    with pytest.raises(ValueError, match="5 per-base labels for a 10-base sequence"):
        finetune(cfg, tmp_path / "train.csv", tmp_path / "m")
