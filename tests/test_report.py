"""The report's plots, on made-up inputs (the page itself is tested on a benchmark run in test_benchmark.py)."""

from __future__ import annotations

import numpy as np

from dnalm.plots import plot_comparison, plot_curves, plot_roc_pr


def test_learning_curves_are_three_panels_with_integer_epochs(tmp_path):
    history = [
        {
            "epoch": e,
            "step": 10 * e,
            "train_loss": 1 / e,
            "eval_loss": 1.2 / e,
            "eval_mcc": 0.1 * e,
            "eval_auroc": 0.5 + 0.05 * e,
            "eval_accuracy": 0.5,
            "eval_precision": 0.5,
            "eval_recall": 0.4,
            "eval_specificity": 0.6,
            "eval_f1": 0.4,
            "eval_auprc": 0.5,
            "eval_runtime": 0.1,
        }
        for e in (1, 2, 3)
    ]
    panels = plot_curves({"seed 0": history, "seed 1": history}, tmp_path / "c.png")
    assert panels == ["loss", "MCC", "AUROC"] and (tmp_path / "c.png").stat().st_size > 5_000


def test_roc_pr_and_comparison_plots(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    runs = [(y, y * 0.6 + rng.random(200) * 0.5) for _ in range(2)]
    plot_roc_pr({"pos-cnn": runs, "tiny": [(y, rng.random(200))]}, tmp_path / "r.png", title="tata")
    plot_comparison(
        {("tata", "pos-cnn"): [0.74, 0.75, 0.73], ("tata", "tiny"): [0.4, 0.45, 0.42], ("mouse/0", "pos-cnn"): [0.57]},
        {"tata": 0.742},
        tmp_path / "m.png",
    )
    assert (tmp_path / "r.png").stat().st_size > 5_000 and (tmp_path / "m.png").stat().st_size > 5_000
