"""What this machine runs at: the mixed-precision setting for Trainer and measured step times.

Shared by fine-tuning (:mod:`dnalm.train`) and pretraining (:mod:`dnalm.pretrain`), which plan
their steps from :func:`time_steps`; neither imports the other for it.
"""

from __future__ import annotations

import time

__all__ = ["precision_flags", "time_steps"]


def precision_flags() -> dict:
    """``TrainingArguments`` flags for this machine: bf16 (else fp16) on a GPU, ``use_cpu`` without one."""
    import torch

    if not torch.cuda.is_available():
        return {"use_cpu": True}
    return {"bf16": True} if torch.cuda.is_bf16_supported() else {"fp16": True}


def time_steps(model, batch: dict, eval_batch: dict, eval_batches: int, loss_func=None, steps: int = 4,
               warmup: int = 3) -> tuple[float, float]:
    """Seconds per training step on ``batch`` and per validation pass of ``eval_batches`` batches like
    ``eval_batch``, on a copy of the model; random number generators are left as they were."""
    import copy

    import torch

    rng = torch.random.get_rng_state()
    device = next(model.parameters()).device
    probe = copy.deepcopy(model).to("cuda" if torch.cuda.is_available() else device).train()
    dev = next(probe.parameters()).device
    opt = torch.optim.AdamW(probe.parameters(), lr=1e-6)
    batch = {k: v.to(dev) for k, v in batch.items()}

    def step():
        opt.zero_grad(set_to_none=True)
        out = probe(**batch)
        (loss_func(out, batch["labels"]) if loss_func else out.loss).backward()
        opt.step()

    for _ in range(warmup):  # the first steps allocate and build kernels; timing them over-estimated by ~30%
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    step_s = (time.perf_counter() - t) / steps
    probe.eval()
    eval_batch = {k: v.to(dev) for k, v in eval_batch.items()}
    t = time.perf_counter()
    with torch.inference_mode():
        probe(**eval_batch)
    eval_s = (time.perf_counter() - t) * eval_batches + 0.05
    torch.random.set_rng_state(rng)
    return step_s, eval_s  # the probe and its optimizer state are freed with this frame
