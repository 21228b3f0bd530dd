"""``dnalm demo``: the seed notebook end to end on built-in synthetic data, on a CPU in about a minute."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from dnalm.config import FinetuneConfig
from dnalm.io import write_table
from dnalm.synth import stratified_split, tata_dataset

__all__ = ["run_demo"]


def run_demo(output: str | Path = "dnalm-demo", *, seed: int = 0, epochs: float = 10, echo=print) -> dict:
    """Generate the TATA set, fine-tune the ``tiny`` 6-mer BERT, reload it two ways, predict."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from dnalm.models import load_model
    from dnalm.predict import predict_proba
    from dnalm.train import finetune

    logging.basicConfig(level=logging.INFO, format="   %(message)s")
    t0 = time.time()
    output = Path(output)
    data = output / "data"
    data.mkdir(parents=True, exist_ok=True)
    train, dev = stratified_split(tata_dataset(1000, 100, seed=seed), 0.2, seed=seed)
    write_table(train, data / "train.csv")
    write_table(dev, data / "dev.csv")
    echo(f"1. synthetic TATA-box set: {len(train)} train + {len(dev)} validation sequences of 100 nt -> {data}")
    cfg = FinetuneConfig(model="tiny", epochs=epochs, seed=seed, early_stopping_patience=3)
    echo("2. fine-tuning the 'tiny' BERT (6-mer DNABERT tokenizer, 2 layers, from scratch) on the CPU ...")
    summary = finetune(cfg, data, output / "model")
    acc = summary["validation_metrics"]["eval_accuracy"]
    echo(f"   {summary['epochs_run']:.0f} epochs, best validation MCC {summary['best_validation_metric']:.3f}, "
         f"{summary['parameters']:,} parameters, saved to {output / 'model'}")

    new = tata_dataset(6, 100, seed=seed + 1)
    model, tok = load_model(output / "model")
    probs, _ = predict_proba(model, tok, [r.sequence for r in new])
    plain = AutoModelForSequenceClassification.from_pretrained(output / "model").eval()
    plain_tok = AutoTokenizer.from_pretrained(output / "model")
    spaced = [" ".join(r.sequence[i : i + 6] for i in range(len(r.sequence) - 5)) for r in new]
    with torch.inference_mode():
        plain_probs = torch.softmax(plain(**plain_tok(spaced, padding=True, return_tensors="pt")).logits, -1)
    same = np.allclose(probs, plain_probs.numpy(), atol=1e-5)
    echo(f"3. reloaded with plain transformers.AutoModelForSequenceClassification and with dnalm: "
         f"{'identical' if same else 'DIFFERENT'} predictions")
    echo("4. predictions on new sequences (true label: has TATAAA or not):")
    for rec, p in zip(new, probs):
        echo(f"   {rec.sequence[:40]}...  true {rec.label}  P(TATA) = {p[1]:.3f}")
    if not same:
        raise RuntimeError("plain transformers and dnalm disagree on the saved model")
    echo(f"done in {time.time() - t0:.0f} s")
    echo(f"validation accuracy: {acc:.4f}")
    return summary
