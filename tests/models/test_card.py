"""Model cards (README.md) of the folders finetune and pretrain write."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from huggingface_hub import ModelCard


@pytest.fixture(scope="module")
def cnn_model(tata_dir, tmp_path_factory):
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    out = tmp_path_factory.mktemp("card") / "tata_cnn"
    finetune(FinetuneConfig(model="pos-cnn", epochs=1, seed=0, trainer={"disable_tqdm": True}), tata_dir, out)
    return out


def test_fine_tuned_model_card_holds_the_validation_metrics(cnn_model, tata_dir):
    card = ModelCard.load(cnn_model / "README.md")
    summary = json.loads((cnn_model / "training_summary.json").read_text())
    data = card.data
    assert data.library_name == "dnalm" and data.pipeline_tag == "text-classification"
    assert {"dnalm", "dna", "genomics", "single-label-classification"} <= set(data.tags)
    assert data.datasets == [tata_dir.name]
    scores = {r.metric_type: r.metric_value for r in data.eval_results}
    assert {r.dataset_split for r in data.eval_results} == {"validation"}
    assert scores["mcc"] == pytest.approx(summary["validation_metrics"]["eval_mcc"])
    assert scores["auroc"] == pytest.approx(summary["validation_metrics"]["eval_auroc"])
    assert "runtime" not in scores and "epoch" not in scores
    text = card.text
    for section in ("## Data", "## Training recipe", "## Validation metrics", "## How to use"):
        assert section in text
    assert f"| train | {summary['n_train']} |" in text and "| learning_rate |" in text
    assert "pip install dnalm" in text and "import dnalm" in text and "dnalm-pos-cnn" in text


def test_dnalm_architectures_need_import_dnalm_in_plain_transformers(cnn_model):
    """A fresh interpreter without dnalm: transformers does not know the model type the card names (no remote
    code is shipped); with ``import dnalm`` first the folder loads, as the card says."""
    load = (
        "from transformers import AutoModelForSequenceClassification as A\n"
        f"print(type(A.from_pretrained({str(cnn_model)!r})).__name__)"
    )
    plain = subprocess.run([sys.executable, "-c", load], capture_output=True, text=True, timeout=300, check=False)
    assert plain.returncode != 0 and "model type `dnalm-pos-cnn`" in plain.stderr
    assert "model type `dnalm-pos-cnn`" in (cnn_model / "README.md").read_text()
    ok = subprocess.run(
        [sys.executable, "-c", "import dnalm\n" + load], capture_output=True, text=True, timeout=300, check=False
    )
    assert ok.returncode == 0 and "PosCnnForSequenceClassification" in ok.stdout, ok.stderr


def test_a_readme_dnalm_did_not_write_is_kept(tmp_path):
    from dnalm.models.card import write_finetune_card

    (tmp_path / "README.md").write_text("my notes")
    summary = {"model": "tiny", "validation_metrics": {"eval_mcc": 0.5}, "labels": ["0", "1"]}
    assert write_finetune_card(tmp_path, summary) is None
    assert (tmp_path / "README.md").read_text() == "my notes"
    (tmp_path / "README.md").unlink()
    assert write_finetune_card(tmp_path, summary) is not None
    assert write_finetune_card(tmp_path, summary) is not None  # its own card is rewritten
    assert ModelCard.load(tmp_path / "README.md").data.eval_results[0].metric_value == 0.5
