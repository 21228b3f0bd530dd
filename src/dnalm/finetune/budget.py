"""Fine-tuning and the clock: the speed probe, the expected duration of a plan, and whether a time budget bound.

A fine-tuning plan (steps, epochs, evaluations) depends only on the data, the settings and the seed. The clock
enters in two places only: an explicit ``--time-budget`` (none by default) caps the plan, and without one a short
probe says how long the plan should take here, which is logged and never changes the plan.
"""

from __future__ import annotations

import logging
import math
import time

from dnalm.runtime.hardware import time_steps

__all__ = [
    "LONG_RUN_S",
    "budget_bound",
    "expected_duration",
    "finish_seconds",
    "fit_budget",
    "measure_speed",
    "planned_eval_s",
    "speed_probe",
]

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


def speed_probe(model, train_ds, dev_ds, loss_func, *, batch_size: int, eval_batch_size: int, precision: str):
    """A function ``probe(**kw) -> (step_s, eval_s)``: :func:`measure_speed` of this model and data with
    these per-process batch sizes and precision (``kw``: ``steps``, ``warmup``). The budget and the expected
    duration ask it; they know nothing of models."""

    def probe(**kw) -> tuple[float, float]:
        return measure_speed(model, train_ds, dev_ds, batch_size, eval_batch_size, loss_func, precision=precision, **kw)

    return probe


def fit_budget(probe, budget: float, t0: float, total_steps: int, eval_steps: int):
    """Time a few training steps and one validation pass (``probe``, see :func:`speed_probe`); train fewer
    steps when the planned ones would not fit in ``budget`` seconds from ``t0`` (the schedule is then planned
    for the shorter run, not cut off). Returns ``(total_steps, eval_steps, deadline, note)``: the deadline is a
    hard stop as a safety net."""
    step_s, eval_s = probe()
    spent = time.time() - t0
    finish_s = finish_seconds(eval_s)
    n_evals = total_steps / eval_steps
    needed = total_steps * step_s + n_evals * eval_s
    available = 0.95 * (budget - spent - finish_s)  # 5% slack: the measured steps run a little faster than real ones
    note = (
        f"planned {total_steps} steps ({step_s * 1000:.0f} ms each) and {n_evals:.0f} validations "
        f"({eval_s:.1f} s each): {needed:.0f} s of {max(available, 0):.0f} s left in the {budget:.0f} s budget"
        + (f" ({spent:.0f} s already spent reading data and building the model)" if available <= 0 else "")
    )
    if needed > available:
        fit = max(1, int(available / (step_s + eval_s / eval_steps)))
        eval_steps = max(1, round(eval_steps * fit / total_steps))
        note += f"; capped to {fit} steps: the time budget bound this run (without one it trains all {total_steps})"
        log.warning("time budget: %s", note)
        total_steps = fit
    else:
        log.info("time budget: %s", note)
    return total_steps, eval_steps, t0 + budget - finish_s, note


_SAVE_S = 2.0  # saving the model and its files, after the last validation


def finish_seconds(eval_s: float) -> float:
    """Seconds a budgeted run keeps for after its deadline: the validation of the step it stops at, the final
    validation of the restored model, and saving."""
    return 2 * eval_s + _SAVE_S


def planned_eval_s(finish_s: float) -> float:
    """The validation time a plan's ``finish_s`` (:func:`finish_seconds`) was made with.

    >>> planned_eval_s(finish_seconds(1.5))
    1.5
    """
    return max(0.0, (finish_s - _SAVE_S) / 2)


def expected_duration(probe, total_steps: int, eval_steps: int) -> float:
    """Seconds the plan of ``total_steps`` steps (a validation every ``eval_steps``) should take on this machine
    now, from a three-step ``probe`` (:func:`speed_probe`: it runs on a copy of the model). Logged, with a
    warning that names ``--time-budget`` when it is over :data:`LONG_RUN_S`; the plan is the caller's and stays as
    it is (a busy machine gives a longer estimate, never another model)."""
    step_s, eval_s = probe(steps=2, warmup=1)
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
