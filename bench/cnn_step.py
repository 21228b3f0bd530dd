"""Where a default-model (``pos-cnn``) training step's time goes: dropout and padding masks.

On the same model and batch (batch 128 x 70 bp, one-hot bases), time forward + backward + AdamW for

- ``ByteDropout`` (dnalm's: the keep mask drawn as random bytes) vs ``nn.Dropout`` (a float per element);
- a batch without padding, which skips the mask multiplications, vs the same batch with one padded
  position (the masked path: the same work otherwise),

in fp32 and under bf16 autocast (where the CPU has it). Before timing it checks that both dropouts keep
the same share of activations and that the unpadded path gives the same logits as the masked formula.

    python bench/cnn_step.py --out bench/results/cnn_step.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from dnalm.models.baselines import ByteDropout, PosCnnConfig, _masked_pool, _PosCnnBody
from dnalm.runtime.hardware import autocast, cpu_has_bf16


def step_ms(body, x, y, mask, precision: str, steps: int) -> float:
    opt = torch.optim.AdamW(body.parameters(), 1e-3)

    def step():
        with autocast(precision):
            loss = torch.nn.functional.cross_entropy(body(x, mask).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--length", type=int, default=70)
    ap.add_argument("--steps", type=int, default=10, help="steps per timing; each variant is timed --rounds times")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds; the median is reported")
    ap.add_argument("--out", type=Path, default=Path("bench/results/cnn_step.json"))
    args = ap.parse_args()
    torch.manual_seed(0)
    b, n = args.batch_size, args.length
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (b, n)), 4).float().transpose(1, 2).contiguous()
    y = torch.randint(0, 2, (b,))
    full = torch.ones(b, n, dtype=torch.long)
    padded = full.clone()
    padded[0, -1] = 0

    # the same answers: keep rates, and the unpadded path against the masked formula
    z = torch.ones(b, 128, n)
    byte_keep = float((ByteDropout(0.2)(z) > 0).float().mean())
    float_keep = float((torch.nn.Dropout(0.2)(z) > 0).float().mean())
    assert abs(byte_keep - float_keep) < 0.01, (byte_keep, float_keep)
    r = torch.randn(b, 128, n)
    assert torch.equal(_masked_pool(r, full, True), _masked_pool(r * full[:, None, :].float(), full, False))

    precisions = ["fp32"] + (["bf16"] if cpu_has_bf16() else [])
    rows = []
    for precision in precisions:
        body = _PosCnnBody(PosCnnConfig(num_labels=2), 4)
        byte, plain = body.dropout, torch.nn.Dropout(0.2)
        times = {"byte": [], "masked": [], "float": []}
        for _ in range(args.rounds):  # interleaved, so a slow spell of the machine hits every variant alike
            body.dropout = byte
            times["byte"].append(step_ms(body, x, y, full, precision, args.steps))
            times["masked"].append(step_ms(body, x, y, padded, precision, args.steps))
            body.dropout = plain
            times["float"].append(step_ms(body, x, y, full, precision, args.steps))
        byte_ms, masked_ms, float_ms = (statistics.median(times[k]) for k in ("byte", "masked", "float"))
        rows.append(
            {
                "precision": precision,
                "byte_dropout_ms": byte_ms,
                "nn_dropout_ms": float_ms,
                "masked_path_ms": masked_ms,
                "dropout_saving": 1 - byte_ms / float_ms,
                "mask_skip_saving": 1 - byte_ms / masked_ms,
            }
        )
    print(
        f"pos-cnn training step, batch {b} x {n} bp, {torch.get_num_threads()} threads "
        f"(ms per step, median of {args.rounds} interleaved rounds of {args.steps} steps)"
    )
    print(f"{'precision':<10}{'ByteDropout':>12}{'nn.Dropout':>12}{'saving':>8}{'masked path':>13}{'saving':>8}")
    for row in rows:
        print(
            f"{row['precision']:<10}{row['byte_dropout_ms']:>12.1f}{row['nn_dropout_ms']:>12.1f}"
            f"{row['dropout_saving']:>8.0%}{row['masked_path_ms']:>13.1f}{row['mask_skip_saving']:>8.0%}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"batch_size": b, "length": n, "keep_rates": [byte_keep, float_keep], "results": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
