"""Batched prediction (dnalm.predict_proba) vs the per-sequence loop people write by hand.

Both sides use the same model and tokenizer on the same sequences; the probabilities are
checked to agree (atol 1e-5) before the ratio is printed.

    python bench/predict_speed.py --out bench/results/predict_speed.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from dnalm.apply.predict import predict_proba
from dnalm.models.build import build_model


def per_sequence(model, tok, seqs):
    out = []
    model.eval()
    with torch.no_grad():
        for s in seqs:
            enc = tok(s, return_tensors="pt")
            logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
            out.append(torch.softmax(logits, -1)[0].numpy())
    return np.stack(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["cnn", "tiny"])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--out", type=Path, default=Path("bench/results/predict_speed.json"))
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), args.length)) for _ in range(args.n)]
    rows = []
    for preset in args.models:
        torch.manual_seed(0)
        model, tok, _ = build_model(preset, num_labels=2)
        t0 = time.perf_counter()
        loop = per_sequence(model, tok, seqs)
        t_loop = time.perf_counter() - t0
        t0 = time.perf_counter()
        batched, _ = predict_proba(model, tok, seqs, batch_size=args.batch_size)
        t_batched = time.perf_counter() - t0
        same = bool(np.allclose(loop, batched, atol=1e-5))
        rows.append(
            {
                "model": preset,
                "loop_s": t_loop,
                "batched_s": t_batched,
                "speedup": t_loop / t_batched,
                "identical": same,
            }
        )
    print(f"{args.n:,} sequences of {args.length} bp, batch size {args.batch_size}, CPU")
    print(f"{'model':<8}{'loop (s)':>10}{'batched (s)':>13}{'speedup':>9}  same probabilities")
    for r in rows:
        print(f"{r['model']:<8}{r['loop_s']:>10.2f}{r['batched_s']:>13.2f}{r['speedup']:>8.1f}x  {r['identical']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"n": args.n, "length": args.length, "results": rows}, indent=2))
    if not all(r["identical"] for r in rows):
        raise SystemExit("batched and per-sequence predictions differ")


if __name__ == "__main__":
    main()
