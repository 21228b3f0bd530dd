"""Time-budget marks for benchmark results: which runs a time budget cut short, and by how much.

``finetune`` with a time budget plans fewer steps when those asked for would not fit (and stops at a
deadline as a safety net); ``training_summary.json`` records the steps and epochs asked for
(``steps_requested``, ``epochs_requested``) beside those run. A run is *capped* when it had a budget
and ran fewer steps than it was asked for.

>>> budget = {"time_budget_s": 60, "steps_requested": 400, "steps_run": 120, "epochs_requested": 4, "epochs_run": 1.2}
>>> cap = budget_cap(budget, seed=0)
>>> cap["fraction_run"], capped_cell([cap], n_seeds=3)
(0.3, '1 of 3 runs capped: 30% of planned steps')
>>> budget_cap({**budget, "steps_run": 400}, seed=0) is None
True
"""

from __future__ import annotations

import re

__all__ = ["budget_cap", "budget_fields", "capped_cell", "capped_note"]


def budget_fields(summary: dict) -> dict:
    """The time-budget figures of a ``training_summary.json`` (``RunRecord.budget``): the steps and epochs
    asked for, the steps the plan kept in the budget, and those run. A summary from before
    ``steps_requested`` was recorded gives it from its budget note (``planned N steps``)."""
    requested = summary.get("steps_requested")
    if requested is None:
        found = re.search(r"planned (\d+) steps", summary.get("time_budget_note") or "")
        requested = int(found.group(1)) if found else summary.get("steps_planned")
    return {
        "time_budget_s": summary.get("time_budget_s"),
        "steps_requested": requested,
        "steps_planned": summary.get("steps_planned"),
        "steps_run": summary.get("steps_run"),
        "epochs_requested": summary.get("epochs_requested"),
        "epochs_run": summary.get("epochs_run"),
    }


def budget_cap(budget: dict | None, seed: int) -> dict | None:
    """How much the time budget cut a run short (steps and epochs planned vs run), or None when it ran
    all it was asked to or had no budget."""
    b = budget or {}
    asked, ran = b.get("steps_requested"), b.get("steps_run")
    if not b.get("time_budget_s") or asked is None or ran is None or ran >= asked:
        return None
    return {
        "seed": seed,
        "time_budget_s": b["time_budget_s"],
        "steps_planned": asked,
        "steps_run": ran,
        "epochs_planned": b.get("epochs_requested"),
        "epochs_run": b.get("epochs_run"),
        "fraction_run": round(ran / asked, 4),
    }


def capped_cell(caps: list[dict], n_seeds: int) -> str:
    """A table cell: ``2 of 3 runs capped: 40–55% of planned steps`` (``–`` when none was)."""
    if not caps:
        return "–"
    shares = sorted(round(100 * c["fraction_run"]) for c in caps)
    span = f"{shares[0]}%" if shares[0] == shares[-1] else f"{shares[0]}–{shares[-1]}%"
    return f"{len(caps)} of {n_seeds} runs capped: {span} of planned steps"


def capped_note(caps_by_row: dict[str, list[dict]]) -> str | None:
    """One line naming every capped run (``tata/cnn seed 0: 120 of 400 planned steps (1.20 of 4 epochs) in
    60 s``), or None when no run was."""
    parts = []
    for name, caps in caps_by_row.items():
        for c in caps:
            epochs = (
                f" ({c['epochs_run']:.2f} of {c['epochs_planned']:g} epochs)"
                if c.get("epochs_run") is not None and c.get("epochs_planned") is not None
                else ""
            )
            parts.append(
                f"{name} seed {c['seed']}: {c['steps_run']} of {c['steps_planned']} planned steps{epochs} "
                f"in {c['time_budget_s']:g} s"
            )
    return "Runs cut short by their time budget: " + "; ".join(parts) + "." if parts else None
