"""Training throughput of dnalm's models as a fraction of this CPU's matmul ceiling.

The ceiling is a large fp32 matmul timed once; each model's FLOPs per training step
(forward + backward) are counted with torch.utils.flop_counter (LSTM layers, which it does not
see, analytically), then timed steps give
achieved GFLOP/s. Run it on an idle machine:

    python bench/train_throughput.py --out bench/results/train_throughput.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from dnalm.models import build_model


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


def step_fn(model, batch, opt):
    def step():
        opt.zero_grad(set_to_none=True)
        model(**batch).loss.backward()
        opt.step()
    return step


def lstm_flops(model, batch_size: int, tokens: int) -> float:
    """FLOPs of nn.LSTM layers per training step, which FlopCounterMode does not count:
    4 gates x (input + hidden) x hidden multiply-adds per token, direction and layer; x3 for fwd + bwd."""
    total = 0.0
    for m in model.modules():
        if isinstance(m, torch.nn.LSTM):
            dirs = 2 if m.bidirectional else 1
            for layer in range(m.num_layers):
                inp = m.input_size if layer == 0 else m.hidden_size * dirs
                total += dirs * 4 * (inp + m.hidden_size) * m.hidden_size * 2
    return 3 * total * batch_size * tokens


def measure(preset: str, batch_size: int, length: int, steps: int) -> dict:
    torch.manual_seed(0)
    model, tok, _ = build_model(preset, num_labels=2, input_length=length + 2)
    model.train()
    seqs = ["".join("ACGT"[i] for i in torch.randint(0, 4, (length,)).tolist()) for _ in range(batch_size)]
    enc = tok(seqs, padding=True, return_tensors="pt")
    batch = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
             "labels": torch.randint(0, 2, (batch_size,))}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    step = step_fn(model, batch, opt)
    with FlopCounterMode(display=False) as counter:
        model(**batch).loss.backward()
    flops = counter.get_total_flops() + lstm_flops(model, batch_size, enc["input_ids"].shape[1])
    for _ in range(2):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = (time.perf_counter() - t0) / steps
    return {"model": preset, "batch_size": batch_size, "length_bp": length,
            "parameters": sum(p.numel() for p in model.parameters()), "gflop_per_step": flops / 1e9,
            "samples_per_s": batch_size / dt, "achieved_gflops": flops / dt / 1e9}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["cnn", "lstm", "cnn-gb", "tiny"])
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("bench/results/train_throughput.json"))
    args = ap.parse_args()
    ceiling = matmul_gflops()
    rows = [measure(m, args.batch_size, args.length, args.steps) for m in args.models]
    print(f"fp32 matmul ceiling (2048^3, {torch.get_num_threads()} threads): {ceiling:.0f} GFLOP/s")
    print(f"{'model':<8}{'params':>10}{'GFLOP/step':>12}{'samples/s':>11}{'GFLOP/s':>9}{'of ceiling':>12}")
    for r in rows:
        r["fraction_of_ceiling"] = r["achieved_gflops"] / ceiling
        print(f"{r['model']:<8}{r['parameters']:>10,}{r['gflop_per_step']:>12.1f}{r['samples_per_s']:>11.0f}"
              f"{r['achieved_gflops']:>9.1f}{r['fraction_of_ceiling']:>12.1%}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"matmul_gflops": ceiling, "threads": torch.get_num_threads(),
                                    "batch_size": args.batch_size, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
