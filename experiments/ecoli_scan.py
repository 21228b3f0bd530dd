"""Scan the E. coli K-12 genome with a promoter model and ask whether it finds held-out promoters.

    python experiments/ecoli_scan.py -o runs/ecoli_scan [--stride 20] [--seed 0]

The iPromoter-2L promoters (``../shared/data/ipromoter2l_ecoli``) are 81-bp pieces of the K-12
genome (``../shared/data/ecoli_k12_mg1655``): each is located on either strand. The genome is cut
into 100-kb blocks and every fifth block is held out: promoters and non-promoters located there
are never trained on. ``dnalm finetune`` (the default recipe) learns promoter vs non-promoter from
the rest, ``dnalm scan`` scores the whole genome (both strands averaged), and in the held-out
blocks a window counts as a promoter window when it shares at least 41 bp with a held-out
promoter, as background when it touches no known promoter (others are left out). Reported:
AUROC of the window scores, and the recall of held-out promoters among the top-scored windows
(the top 1%, 5% and 10% of held-out-block windows). Writes ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
GENOME = SHARED / "ecoli_k12_mg1655" / "GCF_000005845.2_ASM584v2_genomic.fna.gz"
PROMOTERS = SHARED / "ipromoter2l_ecoli" / "Benchmark_dataset" / "promoter_and_non-promoter"
BLOCK = 100_000


def locate(records, genome: str) -> list[tuple[object, int | None, str]]:
    """(record, start, strand) of each record's exact occurrence in ``genome`` (None when absent)."""
    from dnalm.io.sequence import reverse_complement

    out = []
    for rec in records:
        start, strand = genome.find(rec.sequence), "+"
        if start < 0:
            start, strand = genome.find(reverse_complement(rec.sequence)), "-"
        out.append((rec, start if start >= 0 else None, strand))
    return out


def held_out(start: int | None) -> bool:
    return start is not None and (start // BLOCK) % 5 == 4


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--stride", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-budget", default="10m")
    ap.add_argument("--from-scratch", action="store_true", help="the recipe's CNN from random weights, not dnalm-cnn")
    args = ap.parse_args()
    if not GENOME.is_file():
        raise SystemExit(f"needs the shared data at {SHARED}")
    from sklearn.metrics import roc_auc_score

    from dnalm.finetune.data import stratified_split
    from dnalm.io import read_fasta, read_labeled_fasta, write_table

    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    (chrom,) = list(read_fasta(GENOME))
    genome = chrom.sequence
    records = list(
        read_labeled_fasta({"promoter": PROMOTERS / "positive2860.txt", "non-promoter": PROMOTERS / "negative2860.txt"})
    )
    found = locate(records, genome)
    located = {
        lab: sum(1 for r, s, _ in found if r.label == lab and s is not None) for lab in ("promoter", "non-promoter")
    }
    print(
        f"located in the genome: {located['promoter']} of 2860 promoters, {located['non-promoter']} of 2860 "
        f"non-promoters ({time.time() - t0:.0f} s)"
    )
    train_pool = [r for r, s, _ in found if not held_out(s)]
    test_promoters = [(s, s + len(r.sequence)) for r, s, _ in found if r.label == "promoter" and held_out(s)]
    known = [(s, s + len(r.sequence)) for r, s, _ in found if r.label == "promoter" and s is not None]
    train, dev = stratified_split(train_pool, 0.1, seed=args.seed)
    data = out / "data"
    data.mkdir(exist_ok=True)
    write_table(train, data / "train.csv")
    write_table(dev, data / "dev.csv")
    model = out / "model"
    t1 = time.time()
    subprocess.run(
        [
            "dnalm",
            "-q",
            "finetune",
            str(data),
            "-o",
            str(model),
            "--seed",
            str(args.seed),
            "--time-budget",
            args.time_budget,
            "--overwrite",
            *(["--from-scratch"] if args.from_scratch else []),
        ],
        check=True,
    )
    train_s = time.time() - t1
    t2 = time.time()
    subprocess.run(
        [
            "dnalm",
            "-q",
            "scan",
            str(model),
            str(GENOME),
            "-o",
            str(out / "scan.bedGraph"),
            "--stride",
            str(args.stride),
        ],
        check=True,
    )
    scan_s = time.time() - t2
    rows = [line.split("\t") for line in (out / "scan.bedGraph").read_text().splitlines()]
    lo = np.array([int(r[1]) for r in rows])
    score = np.array([float(r[3]) for r in rows])
    window = 81
    start = lo - (window - args.stride) // 2  # the window behind each bedGraph interval
    in_test = np.array([held_out(int(s)) for s in start])
    cover_known = np.zeros(len(genome) + 1, dtype=np.int32)  # any known promoter base
    for a, b in known:
        cover_known[a:b] = 1
    known_prefix = np.concatenate([[0], np.cumsum(cover_known[:-1])])
    touches_known = known_prefix[np.minimum(start + window, len(genome))] - known_prefix[np.maximum(start, 0)] > 0
    tests = np.array(test_promoters)
    order = np.argsort(tests[:, 0])
    tests = tests[order]
    positive = np.zeros(len(start), dtype=bool)
    hit_by = [[] for _ in range(len(tests))]
    for i, s in enumerate(start):
        if not in_test[i]:
            continue
        j0 = np.searchsorted(tests[:, 0], s - window, side="left")
        for j in range(j0, len(tests)):
            a, b = tests[j]
            if a >= s + window:
                break
            if min(b, s + window) - max(a, s) >= 41:
                positive[i] = True
                hit_by[j].append(i)
    negative = in_test & ~touches_known
    keep = positive | negative
    auroc = float(roc_auc_score(positive[keep], score[keep]))
    test_windows = np.flatnonzero(in_test)
    ranked = test_windows[np.argsort(-score[test_windows], kind="stable")]
    recall = {}
    for frac in (0.01, 0.05, 0.10):
        top = set(ranked[: max(1, int(frac * len(ranked)))].tolist())
        recall[f"top {frac:.0%}"] = float(np.mean([any(i in top for i in hits) for hits in hit_by]))
    result = {
        "located": located,
        "held_out_promoters": len(tests),
        "train": len(train),
        "dev": len(dev),
        "stride": args.stride,
        "window": window,
        "windows_scanned": len(rows),
        "held_out_windows": int(in_test.sum()),
        "promoter_windows": int(positive.sum()),
        "background_windows": int(negative.sum()),
        "auroc": auroc,
        "recall_of_held_out_promoters": recall,
        "finetune_s": round(train_s, 1),
        "scan_s": round(scan_s, 1),
        "scan_mb_per_s": round(len(genome) / 1e6 / scan_s, 3),
        "seed": args.seed,
    }
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"held-out blocks: {len(tests)} promoters, {int(in_test.sum()):,} windows "
        f"({int(positive.sum()):,} promoter, {int(negative.sum()):,} background)"
    )
    print(f"AUROC promoter vs background windows: {auroc:.3f}")
    print(
        "recall of held-out promoters among the top-scored windows: "
        + ", ".join(f"{k} {v:.3f}" for k, v in recall.items())
    )
    print(f"finetune {train_s:.0f} s, scan {scan_s:.0f} s ({result['scan_mb_per_s']:.3f} Mb/s, both strands)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
