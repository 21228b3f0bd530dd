"""Training throughput: dnalm's training path vs a bare PyTorch loop vs this CPU's matmul ceiling.

For each preset, on the same model, the same batch size and the same random 101-bp sequences:

- **dnalm**: what ``dnalm finetune`` runs — ``TokenizedDataset`` batches, dnalm's collator,
  ``transformers.Trainer`` with dnalm's ``TrainingArguments`` and the settings ``dnalm finetune``
  uses for that model (clipping, scheduler, logging; the default model's recipe also keeps a weight
  average), timed from the 3rd step to the last by a callback;
- **bare**: ``for batch: loss.backward(); clip; opt.step()`` with AdamW on pre-built tensors (clipping and a
  weight average where dnalm's path uses them, so both do the same arithmetic), timed before
  and after dnalm's path (the mean is the reference; their gap, ``bare drift``, shows a machine whose
  speed changed during the measurement);
- **ceiling**: one large matmul in the same precision timed on the same machine; the fraction is
  the model's FLOPs per step (``torch.utils.flop_counter``; LSTM layers analytically) x steps/s over it.

``--precision bf16`` runs both paths under bf16 autocast (what ``dnalm finetune`` does by default on
a CPU with AVX512-BF16 or AMX) against a bf16 matmul ceiling; the default compares in fp32.
Both paths are checked to compute the same loss on the same batch before anything is timed.

    python bench/train_throughput.py --out bench/results/train_throughput.json
    python bench/train_throughput.py --precision bf16 --out bench/results/train_throughput_bf16.json
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode
from transformers import PrinterCallback, TrainerCallback

from dnalm.finetune.config import FinetuneConfig
from dnalm.finetune.data import LabelSpace, to_dataset
from dnalm.finetune.recipe import choose_recipe
from dnalm.finetune.train import resolve_settings
from dnalm.finetune.trainer import collate_batch, trainer_class, training_arguments
from dnalm.io import Record
from dnalm.models.build import build_model
from dnalm.runtime.hardware import autocast

DEFAULT_MODEL = "pos-cnn"  # what the default recipe (model "auto") trains
MIN_SECONDS = 3.0  # each timing runs at least this long (and at least --steps steps)


def matmul_gflops(n: int = 2048, repeats: int = 10, precision: str = "fp32") -> float:
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(3):
        a @ b
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


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


class _StepTimer(TrainerCallback):
    def __init__(self, skip: int):
        self.skip, self.t0, self.t1, self.n = skip, None, None, 0

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.skip:
            self.t0 = time.perf_counter()
        elif state.global_step > self.skip:
            self.t1, self.n = time.perf_counter(), state.global_step - self.skip


def _data(n: int, length: int, seed: int = 0) -> list[Record]:
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]
    return [Record(f"s{i}", s, str(i % 2)) for i, s in enumerate(seqs)]


def finetune_settings(preset: str, records: list[Record]) -> FinetuneConfig:
    """The settings ``dnalm finetune`` resolves for this model: the default recipe's for the default
    model (weight average, clipping at 5), the preset's own for the others."""
    if preset == DEFAULT_MODEL:
        recipe = choose_recipe(len(records), [len(r.sequence) for r in records], 2)
        return resolve_settings(FinetuneConfig(), recipe.model, recipe)
    return resolve_settings(FinetuneConfig(model=preset), preset, None)


def measure(preset: str, batch_size: int, length: int, steps: int, precision: str = "fp32") -> dict:
    records = _data(batch_size * (steps + 3), length)
    used = finetune_settings(preset, records)
    labels = LabelSpace.from_records(records)
    torch.manual_seed(0)
    model, tok, _ = build_model(
        preset, num_labels=2, input_length=length + 2, train_sequences=[r.sequence for r in records[:2000]]
    )
    ds, _ = to_dataset(records, tok, labels, max_length=length + 2)
    # the same batch both ways: dnalm's dataset + collator, and the tokenizer called directly
    ours = collate_batch(tok, ds.__getitems__(list(range(batch_size))))
    enc = tok([r.sequence for r in records[:batch_size]], padding=True, return_tensors="pt")
    bare_batch = {
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "labels": torch.tensor([labels.encode(r.label) for r in records[:batch_size]]),
    }
    model.eval()
    with torch.no_grad():
        same = abs(float(model(**ours).loss) - float(model(**bare_batch).loss)) < 1e-6
    if not same:
        raise RuntimeError(f"{preset}: dnalm's batch gives another loss than the bare batch")
    model.train()
    with FlopCounterMode(display=False) as counter:
        model(**bare_batch).loss.backward()
    model.zero_grad(set_to_none=True)
    flops = counter.get_total_flops() + lstm_flops(model, batch_size, bare_batch["input_ids"].shape[1])
    initial = {k: v.clone() for k, v in model.state_dict().items()}

    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    params = list(model.parameters())
    shadow = [t.detach().clone() for t in params] if used.ema_decay else None

    def bare_step():  # the same arithmetic as dnalm's path: clipping and the weight average where it uses them
        opt.zero_grad(set_to_none=True)
        with autocast(precision):
            loss = model(**bare_batch).loss
        loss.backward()
        if used.max_grad_norm:
            torch.nn.utils.clip_grad_norm_(params, used.max_grad_norm)
        opt.step()
        if shadow is not None:
            with torch.no_grad():
                torch._foreach_lerp_(shadow, params, 1 - used.ema_decay)

    for _ in range(3):
        bare_step()
    t0 = time.perf_counter()
    for _ in range(3):
        bare_step()
    # at least MIN_SECONDS per timing, so a small model's fast steps are not timed over a fraction of a second
    steps = max(steps, math.ceil(MIN_SECONDS / ((time.perf_counter() - t0) / 3)))
    if len(records) < batch_size * (steps + 3):
        records = records + _data(batch_size * (steps + 3) - len(records), length, seed=1)
        ds, _ = to_dataset(records, tok, labels, max_length=length + 2)

    def time_bare() -> float:
        for _ in range(3):
            bare_step()
        t0 = time.perf_counter()
        for _ in range(steps):
            bare_step()
        return (time.perf_counter() - t0) / steps

    bare_before = time_bare()

    model.load_state_dict(initial)
    cfg = FinetuneConfig(
        model=preset,
        batch_size=batch_size,
        learning_rate=1e-4,
        epochs=1.0,
        warmup_ratio=used.warmup_ratio,
        lr_scheduler=used.lr_scheduler,
        max_grad_norm=used.max_grad_norm,
        ema_decay=used.ema_decay,
        evals_per_epoch=1.0,
        logging_steps=50,
        precision=precision,
        trainer={"disable_tqdm": True, "eval_strategy": "no", "report_to": "none"},
    )
    timer = _StepTimer(skip=3)
    callbacks = [timer]
    if used.ema_decay:
        from dnalm.runtime.callbacks import WeightAverage

        callbacks.insert(0, WeightAverage(model, used.ema_decay))
    with tempfile.TemporaryDirectory() as tmp:
        args = training_arguments(cfg, Path(tmp), total_steps=steps + 3, eval_steps=10**9)
        trainer = trainer_class()(
            model=model, args=args, train_dataset=ds, data_collator=lambda f: collate_batch(tok, f), callbacks=callbacks
        )
        trainer.remove_callback(PrinterCallback)
        trainer.train()
    dnalm_s = (timer.t1 - timer.t0) / timer.n
    # the bare loop again after dnalm's path: their mean is the reference, their gap shows whether the machine's
    # speed drifted during the measurement (another job, frequency changes), which a single timing cannot
    bare_after = time_bare()
    bare_s = (bare_before + bare_after) / 2
    drift = abs(bare_before - bare_after) / bare_s
    return {
        "model": preset,
        "batch_size": batch_size,
        "length_bp": length,
        "precision": precision,
        "ema_decay": used.ema_decay,
        "max_grad_norm": used.max_grad_norm,
        "parameters": sum(p.numel() for p in model.parameters()),
        "gflop_per_step": flops / 1e9,
        "bare_samples_per_s": batch_size / bare_s,
        "dnalm_samples_per_s": batch_size / dnalm_s,
        "dnalm_over_bare": bare_s / dnalm_s,
        "bare_drift": drift,
        "steps_timed": steps,
        "achieved_gflops": flops / dnalm_s / 1e9,
        "same_loss_on_same_batch": same,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=[DEFAULT_MODEL, "cnn", "lstm", "cnn-gb", "tiny"])
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument(
        "--precision",
        choices=["fp32", "bf16"],
        default="fp32",
        help="both paths and the ceiling in this precision (bf16: autocast, as finetune on a bf16 CPU)",
    )
    ap.add_argument("--out", type=Path, default=Path("bench/results/train_throughput.json"))
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    ceiling = matmul_gflops(precision=args.precision)
    rows = [measure(m, args.batch_size, args.length, args.steps, args.precision) for m in args.models]
    print(
        f"{args.precision} matmul ceiling (2048^3, {torch.get_num_threads()} threads): {ceiling:.0f} GFLOP/s; "
        f"batch {args.batch_size} x {args.length} bp"
    )
    print(
        f"{'model':<9}{'params':>10}{'EMA':>5}{'clip':>5}{'GFLOP/step':>12}{'bare/s':>9}{'dnalm/s':>9}{'dnalm/bare':>12}"
        f"{'GFLOP/s':>9}{'of ceiling':>12}{'bare drift':>12}"
    )
    for r in rows:
        r["fraction_of_ceiling"] = r["achieved_gflops"] / ceiling
        print(
            f"{r['model']:<9}{r['parameters']:>10,}{'yes' if r['ema_decay'] else 'no':>5}{r['max_grad_norm']:>5g}"
            f"{r['gflop_per_step']:>12.1f}{r['bare_samples_per_s']:>9.0f}"
            f"{r['dnalm_samples_per_s']:>9.0f}{r['dnalm_over_bare']:>12.1%}{r['achieved_gflops']:>9.1f}"
            f"{r['fraction_of_ceiling']:>12.1%}{r['bare_drift']:>12.1%}"
        )
    if any(r["bare_drift"] > 0.1 for r in rows):
        print("warning: the bare loop's speed changed by more than 10% during a measurement (a busy machine?)")
    default = next((r for r in rows if r["model"] == DEFAULT_MODEL), rows[0])
    summary = {
        "min_dnalm_over_bare": min(r["dnalm_over_bare"] for r in rows),
        "default_model_ceiling_fraction": default["fraction_of_ceiling"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "matmul_gflops": ceiling,
                "precision": args.precision,
                "threads": torch.get_num_threads(),
                "batch_size": args.batch_size,
                "results": rows,
                **summary,
            },
            indent=2,
        )
    )
    print(
        f"min dnalm/bare: {summary['min_dnalm_over_bare']:.2f}; default model ceiling fraction: "
        f"{summary['default_model_ceiling_fraction']:.2f}"
    )


if __name__ == "__main__":
    main()
