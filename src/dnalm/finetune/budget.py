"""Fine-tuning and the clock: the speed probe, the expected duration of a plan, and whether a time budget bound.

A fine-tuning plan (steps, epochs, evaluations) depends only on the data, the settings and the seed. The clock
enters in two places only: an explicit ``--time-budget`` (none by default) caps the plan, and without one a short
probe says how long the plan should take here, which is logged and never changes the plan.
"""

from __future__ import annotations

import logging
import math

from dnalm.runtime import distributed
from dnalm.runtime.hardware import time_steps

__all__ = ["LONG_RUN_S", "budget_bound", "expected_duration", "measure_speed", "probe"]

log = logging.getLogger(__name__)

#: Above this many expected seconds, a run without a time budget says how long it will take and names --time-budget.
LONG_RUN_S = 600.0


def measure_speed(
    model,
    train_ds,
    dev_ds,
    batch_size: int,
    eval_batch_size: int,
    loss_func=None,
    steps: int = 4,
    warmup: int = 3,
    precision: str = "fp32",
) -> tuple[float, float]:
    """Seconds per training step (forward, backward, AdamW) and per validation pass, measured on a
    copy of the model with real batches in ``precision``; random number generators are left as they were."""
    n, m = min(batch_size, len(train_ds)), min(eval_batch_size, len(dev_ds))
    return time_steps(
        model,
        train_ds.__getitems__(list(range(n))),
        dev_ds.__getitems__(list(range(m))),
        math.ceil(len(dev_ds) / m),
        loss_func,
        steps=steps,
        warmup=warmup,
        precision=precision,
    )


def probe(cfg, model, train_ds, dev_ds, loss_func, **kw) -> tuple[float, float]:
    """:func:`measure_speed` with the batch sizes and precision of the settings ``cfg`` (per process)."""
    batch = cfg.batch_size // distributed.world_size()
    return measure_speed(model, train_ds, dev_ds, batch, cfg.eval_batch_size, loss_func, precision=cfg.precision, **kw)


def expected_duration(cfg, model, train_ds, dev_ds, loss_func, total_steps: int, eval_steps: int) -> float:
    """Seconds the plan of ``total_steps`` steps (a validation every ``eval_steps``) should take on this machine
    now, from a three-step probe on a copy of the model. Logged, with a warning that names ``--time-budget``
    when it is over :data:`LONG_RUN_S`; the plan is the caller's and stays as it is (a busy machine gives a
    longer estimate, never another model)."""
    step_s, eval_s = probe(cfg, model, train_ds, dev_ds, loss_func, steps=2, warmup=1)
    n_evals = math.ceil(total_steps / eval_steps)
    expected = total_steps * step_s + n_evals * eval_s
    text = (
        f"{total_steps} steps and {n_evals} validations, expected to take about {_minutes(expected)} on this "
        f"machine as busy as it is now ({step_s * 1000:.0f} ms per step, {eval_s:.1f} s per validation; "
        "the plan does not depend on this timing)"
    )
    if expected > LONG_RUN_S:
        log.warning("%s. To stop sooner, --time-budget (e.g. --time-budget 10m) plans fewer steps to fit", text)
    else:
        log.info(text)
    return round(expected, 1)


def budget_bound(note: str | None, callbacks) -> bool:
    """Whether a time budget bound the run: its plan was capped (``note``, from the planning), or the
    budget's deadline stopped training before the planned steps (a ``TimeBudget`` among ``callbacks``)."""
    from dnalm.runtime.callbacks import TimeBudget

    capped = bool(note) and "capped" in note
    stopped = any(isinstance(c, TimeBudget) and c.stopped_at_step is not None for c in callbacks)
    return capped or stopped


def _minutes(seconds: float) -> str:
    """``"45 s"``, ``"12 min"`` or ``"2.5 h"``.

    >>> _minutes(45), _minutes(725), _minutes(9000)
    ('45 s', '12 min', '2.5 h')
    """
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
