"""What this machine runs at: the precision training uses, the mixed-precision flags for Trainer,
and measured step times.

Shared by fine-tuning (:mod:`dnalm.finetune.train`) and pretraining (:mod:`dnalm.lm.pretrain`), which plan
their steps from :func:`time_steps`; neither imports the other for it.
"""

from __future__ import annotations

import contextlib
import functools
import time

from dnalm.settings import named

__all__ = [
    "PRECISIONS",
    "autocast",
    "cpu_has_bf16",
    "frozen_gc",
    "keeps_random_state",
    "precision_flags",
    "resolve_precision",
    "time_steps",
]

#: ``auto``: mixed precision where the hardware computes it natively (bf16, else fp16, on a GPU; bf16 on a
#: CPU with AVX512-BF16 or AMX), else fp32.
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def keeps_random_state(fn):
    """Run ``fn`` (a library call that seeds Python's, numpy's and torch's generators for its own work) and give
    the caller's generator states back after it: a random search around ``finetune`` drew the same values from
    its second trial on, as each call had re-seeded the program's generators with the run's seed."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import random

        import numpy as np
        import torch

        states = random.getstate(), np.random.get_state(), torch.random.get_rng_state()
        cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None
        try:
            return fn(*args, **kwargs)
        finally:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.random.set_rng_state(states[2])
            if cuda is not None:
                torch.cuda.set_rng_state_all(cuda)

    return wrapper


def needs_gradients(fn):
    """Run ``fn`` (a call that trains, or takes gradients) with gradients on, outside any inference mode, and fp32 as
    torch's default dtype, whatever the caller's session holds, and give the caller's default dtype back after it: a
    notebook's ``torch.set_grad_enabled(False)`` (or a ``no_grad``/``inference_mode`` block) failed deep in the
    Trainer (or captum) with a torch traceback, and ``torch.set_default_dtype(torch.float64)`` trained and saved a
    float64 model that its summary called fp32. (Grad mode and inference mode are the caller's again on return.)"""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import torch

        dtype = torch.get_default_dtype()
        torch.set_default_dtype(torch.float32)
        try:
            with torch.inference_mode(False), torch.enable_grad():
                return fn(*args, **kwargs)
        finally:
            torch.set_default_dtype(dtype)

    return wrapper


@contextlib.contextmanager
def frozen_gc():
    """Keep Python's cycle collector off the objects that exist now (``gc.freeze``), for the length of the block.

    Importing torch and transformers leaves a few million objects that every full collection walks: 8 such
    collections cost about 1.2 s of a 30-s default fine-tuning on a 2-core CPU. Objects made inside the block
    are collected as usual, and on leaving it the frozen ones become collectable again (``gc.unfreeze``), so
    a process that trains many models (``dnalm benchmark``) keeps nothing it would otherwise free. If objects
    were frozen before (the ``dnalm`` command freezes what its imports made), they stay frozen.
    """
    import gc

    owner = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        yield
    finally:
        if owner:
            gc.unfreeze()


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX); elsewhere bf16 is emulated
    and slower than fp32."""
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # an older torch without the probes
        return False


def resolve_precision(precision: str = "auto") -> str:
    """``fp32``, ``bf16`` or ``fp16``: what ``precision`` means on this machine (``auto`` decided by the
    hardware alone, never by a timing, so the same machine always trains the same model)."""
    import torch

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if precision != "auto":
        if precision == "fp16" and not torch.cuda.is_available():
            raise ValueError(f"{named('precision')} 'fp16' needs a GPU; on a CPU use bf16 or fp32")
        return precision
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if cpu_has_bf16() else "fp32"


def precision_flags(precision: str = "auto") -> dict:
    """``TrainingArguments`` flags for ``precision`` on this machine (``use_cpu`` without a GPU).

    On a CPU, ``bf16`` is autocast: weights, optimizer state and batch-norm statistics stay fp32, and
    convolutions and matrix products run in bfloat16 (about twice as fast on a CPU that has it)."""
    import torch

    precision = resolve_precision(precision)
    flags = {} if torch.cuda.is_available() else {"use_cpu": True}
    if precision in ("bf16", "fp16"):
        flags[precision] = True
    return flags


def autocast(precision: str, device: str = "cpu"):
    """The autocast context Trainer uses for ``precision`` (a null context for fp32)."""
    import torch

    precision = resolve_precision(precision)
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device, dtype=torch.bfloat16 if precision == "bf16" else torch.float16)


def time_steps(
    model,
    batch: dict,
    eval_batch: dict,
    eval_batches: int,
    loss_func=None,
    steps: int = 4,
    warmup: int = 3,
    precision: str = "fp32",
) -> tuple[float, float]:
    """Seconds per training step on ``batch`` and per validation pass of ``eval_batches`` batches like
    ``eval_batch``, on a copy of the model in ``precision`` (resolved); random number generators are
    left as they were."""
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
        with autocast(precision, dev.type):
            out = probe(**batch)
            loss = loss_func(out, batch["labels"]) if loss_func else out.loss
        loss.backward()
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
    with torch.inference_mode(), autocast(precision, dev.type):
        probe(**eval_batch)
    eval_s = (time.perf_counter() - t) * eval_batches + 0.05
    torch.random.set_rng_state(rng)
    return step_s, eval_s  # the probe and its optimizer state are freed with this frame
