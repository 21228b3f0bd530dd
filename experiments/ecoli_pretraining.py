"""What does pretraining buy? E. coli genome MLM pretraining vs the same architecture from scratch.

1. corpus from the E. coli K-12 genome (validation held out by region);
2. masked-LM pretraining with the ``dnabert-cpu`` recipe (6-mer BERT, leak-free span masking);
3. for each seed: one stratified split of the iPromoter-2L promoter set (70% train / 10% dev / 20% test), shared
   by both models; a second setting keeps only 10% of the training labels (stratified);
4. fine-tune the pretrained model and the identical architecture from scratch (``from_scratch=True`` on the
   pretrained folder: same config and tokenizer, random weights), select on dev, evaluate once on test;
5. MCC and accuracy as mean ± std over seeds -> ``OUT/results.json`` and ``OUT/results.md``.

Every step is skipped when its output exists, so an interrupted run continues where it stopped.

    python experiments/ecoli_pretraining.py -o runs/ecoli --seeds 0 1 2
    python experiments/ecoli_pretraining.py -o /tmp/smoke --smoke      # minutes-long pipeline check
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from dnalm.apply.evaluate import evaluate
from dnalm.finetune.config import FinetuneConfig
from dnalm.finetune.data import stratified_split
from dnalm.finetune.train import finetune
from dnalm.io import read_labeled_fasta, write_table
from dnalm.lm.corpus import build_corpus
from dnalm.lm.pretrain import pretrain, resolve_pretrain_config

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GENOME = SHARED / "ecoli_k12_mg1655" / "GCF_000005845.2_ASM584v2_genomic.fna.gz"
PROMOTERS = SHARED / "ipromoter2l_ecoli" / "Benchmark_dataset" / "promoter_and_non-promoter"


def make_splits(out: Path, seed: int, fraction: float, limit: int | None) -> Path:
    folder = out / "splits" / f"seed{seed}" / f"labels{int(fraction * 100)}"
    if (folder / "test.csv").is_file():
        return folder
    records = list(
        read_labeled_fasta({"promoter": PROMOTERS / "positive2860.txt", "non-promoter": PROMOTERS / "negative2860.txt"})
    )
    if limit:
        records = stratified_split(records, limit / len(records), seed=seed)[1]
    rest, test = stratified_split(records, 0.2, seed=seed)
    train, dev = stratified_split(rest, 0.125, seed=seed)  # 10% of the whole set
    if fraction < 1:
        train = stratified_split(train, fraction, seed=seed)[1]
    folder.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", train), ("dev", dev), ("test", test)):
        write_table(part, folder / f"{name}.csv")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--fractions", type=float, nargs="+", default=[1.0, 0.1])
    ap.add_argument("--pretrain-steps", type=int, default=2000)
    ap.add_argument("--epochs", type=float, default=15)
    ap.add_argument("--smoke", action="store_true", help="tiny settings to check the pipeline end to end")
    args = ap.parse_args()
    if not GENOME.is_file():
        raise SystemExit(f"needs the shared data at {SHARED}")
    out = args.output
    steps, limit, extra = args.pretrain_steps, None, {}
    if args.smoke:
        steps, limit, args.epochs, args.seeds = 20, 600, 1, args.seeds[:1]
        extra = {"max_eval_examples": 64, "eval_steps": 10, "save_steps": 10}
    t0 = time.time()
    if not (out / "corpus" / "summary.json").is_file():
        build_corpus([GENOME], out / "corpus", seed=0)
    pre = out / "pretrained"
    if not (pre / "pretrain_summary.json").is_file():
        cfg = resolve_pretrain_config("dnabert-cpu", None, max_steps=steps, **extra)
        pretrain(cfg, out / "corpus", pre, resume=(pre / "checkpoints").is_dir())
    pretrain_s = json.loads((pre / "pretrain_summary.json").read_text())
    rows = []
    for seed in args.seeds:
        for fraction in args.fractions:
            data = make_splits(out, seed, fraction, limit)
            for init in ("pretrained", "scratch"):
                run = out / "runs" / f"seed{seed}-labels{int(fraction * 100)}-{init}"
                metrics_file = run / "eval" / "metrics.json"
                if not metrics_file.is_file():
                    cfg = FinetuneConfig(
                        model=str(pre),
                        from_scratch=init == "scratch",
                        epochs=args.epochs,
                        seed=seed,
                        early_stopping_patience=3,
                        trainer={"disable_tqdm": True},
                    )
                    finetune(cfg, data, run / "model")
                    evaluate(str(run / "model"), data, run / "eval", split="test")
                m = json.loads(metrics_file.read_text())
                rows.append(
                    {
                        "seed": seed,
                        "fraction": fraction,
                        "init": init,
                        "mcc": m["mcc"],
                        "accuracy": m["accuracy"],
                        "n_test": m["n_predictions"],
                    }
                )
    table = []
    for fraction in args.fractions:
        for init in ("pretrained", "scratch"):
            sel = [r for r in rows if r["fraction"] == fraction and r["init"] == init]
            mcc, acc = np.array([r["mcc"] for r in sel]), np.array([r["accuracy"] for r in sel])
            table.append(
                {
                    "labels": f"{fraction:.0%}",
                    "init": init,
                    "n_seeds": len(sel),
                    "mcc_mean": mcc.mean(),
                    "mcc_std": mcc.std(ddof=1) if len(sel) > 1 else 0.0,
                    "accuracy_mean": acc.mean(),
                    "accuracy_std": acc.std(ddof=1) if len(sel) > 1 else 0.0,
                }
            )
    lines = ["| training labels | initialisation | seeds | test MCC | test accuracy |", "|---|---|---|---|---|"]
    lines += [
        f"| {t['labels']} | {t['init']} | {t['n_seeds']} | {t['mcc_mean']:.3f} ± {t['mcc_std']:.3f} | "
        f"{t['accuracy_mean']:.3f} ± {t['accuracy_std']:.3f} |"
        for t in table
    ]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    (out / "results.json").write_text(
        json.dumps(
            {"runs": rows, "table": table, "pretraining": pretrain_s, "smoke": args.smoke, "wall_s": time.time() - t0},
            indent=2,
        )
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
