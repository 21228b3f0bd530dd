"""Does pretraining pay? The shipped pretrained model vs the same architecture from scratch vs self-pretraining
vs the default CNN recipe, on E. coli promoters (iPromoter-2L) or a GUE task (``--gue``), with 100% and 10% of the
training labels.

For each seed: one stratified split of iPromoter-2L (70% train / 10% dev / 20% test; a GUE task keeps its own),
shared by every arm; the 10% setting keeps a stratified tenth of the training labels (dev and test unchanged). Every arm gets the same
wall-clock budget per fine-tuning run (``--time-budget``, default 2 min), selects on dev, and is evaluated once on
test (strand-averaged where the model folder says so):

- ``pretrained``: ``--model dnalm-mini`` (the checkpoint shipped in the package, pretrained on five genomes);
- ``scratch``: the same architecture and tokenizer with random weights (``--from-scratch`` on dnalm-mini);
- ``self-pretrained``: the same architecture from scratch, first trained as a masked LM on the run's own
  training sequences for half the budget (``--self-pretrain``), then fine-tuned;
- ``scratch CNN``: ``--model auto --from-scratch`` (the default recipe's CNN from random weights; before
  the recipe started from ``dnalm-cnn``, this arm was ``--model auto`` and named ``default CNN``);
- ``pretrained CNN``: the same CNN and recipe starting from a masked-base checkpoint of it
  (``--cnn-checkpoint``, written by ``dnalm pretrain CORPUS --model pos-cnn-cpu``; default: the shipped
  ``dnalm-cnn``, which is what ``--model auto`` now starts from);
- ``self-pretrained CNN``: ``--model auto --self-pretrain``: the recipe's CNN first fills in masked bases of
  the run's own training sequences (as many passes as it then fine-tunes), then fine-tunes as the recipe says.

No per-arm learning-rate search (CPU time); each arm uses its recorded defaults. Results: mean ± std over seeds
-> ``OUT/results.json``, ``OUT/results.md`` and ``OUT/pretraining_pays.png``. Every finished run is kept and skipped
on a re-run.

    python experiments/pretraining_pays.py -o runs/pretraining_pays --seeds 0 1 2
    python experiments/pretraining_pays.py -o runs/pretraining_pays_tata --gue prom/prom_core_tata --fractions 0.1
    python experiments/pretraining_pays.py -o runs/pretraining_pays_cnn --arms "scratch CNN" "pretrained CNN" \
        --cnn-checkpoint pre/cnn-ecoli
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from dnalm.apply.evaluate import evaluate
from dnalm.finetune.config import FinetuneConfig
from dnalm.finetune.train import finetune

sys.path.insert(0, str(Path(__file__).parent))
from ecoli_pretraining import PROMOTERS, SHARED, make_splits

ARMS = {
    "pretrained": {"model": "dnalm-mini"},
    "scratch": {"model": "dnalm-mini", "from_scratch": True},
    "self-pretrained": {"model": "mini", "self_pretrain": True},
    "scratch CNN": {"model": "auto", "from_scratch": True},
    "pretrained CNN": {"model": "dnalm-cnn"},  # or --cnn-checkpoint
    "self-pretrained CNN": {"model": "auto", "self_pretrain": True},
}


def sd(values: np.ndarray) -> float:
    """Sample standard deviation; 0 for a single run."""
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def gue_splits(root: Path, out: Path, seed: int, fraction: float) -> Path:
    """A GUE task's own train/dev/test; with ``fraction`` < 1 a seeded stratified part of train (dev and test
    unchanged)."""
    if fraction >= 1:
        return root
    from dnalm.finetune.data import stratified_split
    from dnalm.io import read_sequences, write_table

    folder = out / "splits" / f"seed{seed}" / f"labels{int(fraction * 100)}"
    if not (folder / "test.csv").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        train = list(read_sequences(root, split="train"))
        write_table(stratified_split(train, fraction, seed=seed)[1], folder / "train.csv")
        for split in ("dev", "test"):
            write_table(list(read_sequences(root, split=split)), folder / f"{split}.csv")
    return folder


def plot(table: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fractions = sorted({t["labels"] for t in table}, reverse=True)
    arms = list(dict.fromkeys(t["arm"] for t in table))
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(arms)
    for i, arm in enumerate(arms):
        rows = [next(t for t in table if t["arm"] == arm and t["labels"] == f) for f in fractions]
        ax.bar(
            np.arange(len(fractions)) + i * width,
            [r["mcc_mean"] for r in rows],
            width,
            yerr=[r["mcc_std"] for r in rows],
            label=arm,
            capsize=3,
        )
    ax.set_xticks(
        np.arange(len(fractions)) + width * (len(arms) - 1) / 2, [f"{f} of training labels" for f in fractions]
    )
    ax.set_ylabel("test MCC (mean ± std over seeds)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--fractions", type=float, nargs="+", default=[1.0, 0.1])
    ap.add_argument("--arms", nargs="+", default=None, choices=list(ARMS), help="default: all")
    ap.add_argument("--time-budget", default="2m", help="wall clock per fine-tuning run, the same for every arm")
    ap.add_argument("--gue", default=None, help="a GUE task instead of iPromoter-2L, e.g. prom/prom_core_tata")
    ap.add_argument(
        "--cnn-checkpoint",
        default=None,
        help="the pos-cnn masked-base checkpoint of 'pretrained CNN' (default: dnalm-cnn)",
    )
    args = ap.parse_args()
    if args.arms is None:
        args.arms = list(ARMS)
    if args.cnn_checkpoint:
        ARMS["pretrained CNN"] = {"model": str(Path(args.cnn_checkpoint).absolute())}
    gue = SHARED / "gue" / args.gue if args.gue else None
    if not (gue or PROMOTERS).is_dir():
        raise SystemExit(f"needs the shared data at {SHARED}")
    out = args.output
    t0 = time.time()
    rows = []
    for seed in args.seeds:
        for fraction in args.fractions:
            data = gue_splits(gue, out, seed, fraction) if gue else make_splits(out, seed, fraction, None)
            for arm in args.arms:
                run = out / "runs" / f"seed{seed}-labels{int(fraction * 100)}-{arm.replace(' ', '_')}"
                metrics_file = run / "eval" / "metrics.json"
                if not metrics_file.is_file():
                    t = time.time()
                    cfg = FinetuneConfig(
                        **ARMS[arm], seed=seed, time_budget=args.time_budget, trainer={"disable_tqdm": True}
                    )
                    finetune(cfg, data, run / "model")
                    evaluate(str(run / "model"), data, run / "eval", split="test")
                    (run / "wall_s.txt").write_text(f"{time.time() - t:.1f}\n")
                m = json.loads(metrics_file.read_text())
                rows.append(
                    {
                        "seed": seed,
                        "fraction": fraction,
                        "arm": arm,
                        "mcc": m["mcc"],
                        "auroc": m["auroc"],
                        "accuracy": m["accuracy"],
                        "n_test": m["n_predictions"],
                        "wall_s": float((run / "wall_s.txt").read_text()),
                    }
                )
                print(f"seed {seed} labels {fraction:.0%} {arm}: test MCC {m['mcc']:.3f}", flush=True)
    table = []
    for fraction in args.fractions:
        for arm in args.arms:
            sel = [r for r in rows if r["fraction"] == fraction and r["arm"] == arm]
            mcc, auroc = np.array([r["mcc"] for r in sel]), np.array([r["auroc"] for r in sel])
            table.append(
                {
                    "labels": f"{fraction:.0%}",
                    "arm": arm,
                    "n_seeds": len(sel),
                    "mcc_mean": float(mcc.mean()),
                    "mcc_std": sd(mcc),
                    "auroc_mean": float(auroc.mean()),
                    "auroc_std": sd(auroc),
                    "wall_s_mean": float(np.mean([r["wall_s"] for r in sel])),
                }
            )
    lines = ["| training labels | arm | seeds | test MCC | test AUROC | s per run |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {t['labels']} | {t['arm']} | {t['n_seeds']} | {t['mcc_mean']:.3f} ± {t['mcc_std']:.3f} | "
        f"{t['auroc_mean']:.3f} ± {t['auroc_std']:.3f} | {t['wall_s_mean']:.0f} |"
        for t in table
    ]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    task = f"GUE {args.gue}" if gue else "iPromoter-2L (E. coli)"
    (out / "results.json").write_text(
        json.dumps(
            {"task": task, "runs": rows, "table": table, "time_budget": args.time_budget, "wall_s": time.time() - t0},
            indent=2,
        )
        + "\n"
    )
    plot(table, out / "pretraining_pays.png", f"{task}: what pretraining buys")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
