"""Peak memory of ``dnalm predict`` at 20,000 and 200,000 sequences: the streaming engine holds a
bounded number of windows, so it should not grow with the input.

    python bench/predict_memory.py -o runs/bench/predict_memory.json

Writes 200,000 random 100-bp sequences (FASTA) and the first 20,000 of them to a second file,
builds a ``pos-cnn`` model folder, runs ``python -m dnalm predict`` on each in its own process and
reads that process's peak resident set size. Both sides compute the same answer: the first
20,000 rows of the large run must equal the small run's rows. Prints a table, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from peak_rss import peak_rss_mb  # bench/ is on sys.path when a bench script runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=20_000)
    ap.add_argument("--large", type=int, default=200_000)
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("-o", "--output", type=Path, default=Path("runs/bench/predict_memory.json"))
    args = ap.parse_args()

    from dnalm.models.build import build_model

    work = Path(tempfile.mkdtemp(prefix="dnalm-predict-memory-"))
    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(work / "model")
    tok.save_pretrained(work / "model")
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    seqs = letters[rng.integers(0, 4, (args.large, args.length))]
    for n in (args.small, args.large):
        with open(work / f"in{n}.fa", "w") as fh:
            for i in range(n):
                fh.write(f">s{i}\n{seqs[i].tobytes().decode()}\n")
    rows, result = {}, {"length": args.length, "runs": []}
    for n in (args.small, args.large):
        out = work / f"out{n}.tsv"
        mb, wall = peak_rss_mb(
            [
                sys.executable,
                "-m",
                "dnalm",
                "-q",
                "predict",
                str(work / "model"),
                str(work / f"in{n}.fa"),
                "-o",
                str(out),
                "--batch-size",
                "256",
            ]
        )
        rows[n] = out.read_text().splitlines()
        if len(rows[n]) != n + 1:
            raise RuntimeError(f"{n} sequences but {len(rows[n]) - 1} predictions")
        result["runs"].append(
            {
                "sequences": n,
                "peak_rss_mb": round(mb, 1),
                "wall_s": round(wall, 1),
                "sequences_per_s": round(n / wall, 1),
            }
        )
    same = rows[args.large][: args.small + 1] == rows[args.small]
    if not same:
        raise RuntimeError("the first rows of the large run differ from the small run")
    small, large = result["runs"]
    result["rss_ratio"] = round(large["peak_rss_mb"] / small["peak_rss_mb"], 3)
    result["same_predictions"] = same
    print(f"{'sequences':>10} {'peak RSS (MiB)':>15} {'wall (s)':>9} {'seq/s':>8}")
    for r in result["runs"]:
        print(f"{r['sequences']:>10,} {r['peak_rss_mb']:>15.1f} {r['wall_s']:>9.1f} {r['sequences_per_s']:>8.0f}")
    print(
        f"peak RSS {args.large:,} / {args.small:,} sequences: {result['rss_ratio']:.3f} "
        f"(first {args.small:,} predictions identical: {same})"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
