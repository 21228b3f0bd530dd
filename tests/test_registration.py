"""Registration with transformers (dnalm.registration): ``import dnalm`` alone makes dnalm folders loadable."""

from __future__ import annotations

import pytest


def test_import_dnalm_alone_registers_with_transformers_when_it_loads(tmp_path):
    """In a fresh interpreter: ``import dnalm`` loads neither torch nor transformers, and afterwards plain
    transformers reads a dnalm CNN folder (Auto classes) and runs the dna-classification pipeline on raw DNA,
    with no other dnalm import; the pipeline gives what dnalm's own prediction gives."""
    import json
    import subprocess
    import sys

    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model("tiny", num_labels=2, seed=0)  # overlapping 6-mers: no stock pipeline cuts them
    model.save_pretrained(tmp_path / "kmer")
    tok.save_pretrained(tmp_path / "kmer")
    cnn, cnn_tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    cnn.save_pretrained(tmp_path / "cnn")
    cnn_tok.save_pretrained(tmp_path / "cnn")
    seq = "ACGTTATAAAGCGCGTACGATCGA"
    script = f"""
import json, sys
import dnalm
assert "torch" not in sys.modules and "transformers" not in sys.modules
from transformers import AutoModelForSequenceClassification, pipeline
cnn = AutoModelForSequenceClassification.from_pretrained({str(tmp_path / "cnn")!r})
clf = pipeline("dna-classification", model={str(tmp_path / "kmer")!r}, top_k=None)
out = clf([{seq!r}])[0]
print(json.dumps([type(cnn).__name__, next(x["score"] for x in out if x["label"] == "1")]))
"""
    run = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    name, score = json.loads(run.stdout.strip().splitlines()[-1])
    kmer, kmer_tok = load_model(tmp_path / "kmer")
    assert name == "PosCnnForSequenceClassification"
    assert score == pytest.approx(float(predict_proba(kmer, kmer_tok, [seq])[0][0, 1]), abs=1e-5)
