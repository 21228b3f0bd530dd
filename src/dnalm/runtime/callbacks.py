"""Trainer callbacks for fine-tuning: validation history, weight averaging, model selection in
memory with early stopping, a wall-clock budget, and resumable checkpoints.

Selection keeps the best weights in memory instead of writing a checkpoint at every
evaluation (a checkpoint write costs more than an evaluation for a small model), so
evaluating several times per epoch is cheap. For ``finetune --resume``, :class:`Checkpoints`
writes the Trainer's checkpoint at the end of an epoch (at most every ``interval`` seconds) and
beside it what these callbacks hold in memory (``dnalm_state.pt``), so a resumed run continues
exactly where the checkpoint was taken.
"""

from __future__ import annotations

import csv
import logging
import os
import time
from pathlib import Path

from transformers import ProgressCallback, TrainerCallback

from dnalm.io.files import write_json
from dnalm.runtime.training import CHECKPOINT_SAVED, STATE_FILE

__all__ = [
    "STATE_FILE",
    "BestModel",
    "CheckpointRotation",
    "Checkpoints",
    "History",
    "QuietProgress",
    "TimeBudget",
    "WeightAverage",
    "last_checkpoint",
    "own_rotation",
    "progress_bars",
    "read_resume_state",
]

log = logging.getLogger(__name__)
_SHOWN = ("eval_loss", "eval_accuracy", "eval_mcc", "eval_auroc", "eval_mse", "eval_f1_macro")


def progress_bars() -> bool:
    """Progress bars only on a terminal: in a log file their carriage returns and escape codes are noise."""
    from dnalm.runtime.progress import bars_enabled

    return bars_enabled()


class History(TrainerCallback):
    """Every validation result as a row of ``history.csv``/``history.json`` and one log line,
    with the mean training loss logged since the previous validation (``train_loss``)."""

    def __init__(self, path_csv: Path):
        self.path_csv = Path(path_csv)
        self.rows: list[dict] = []
        self.done = False
        self._losses: list[float] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs and "eval_loss" not in logs:
            self._losses.append(float(logs["loss"]))

    def resume_state(self) -> dict:
        return {"rows": self.rows, "losses": self._losses}

    def load_resume_state(self, saved: dict) -> None:
        self.rows, self._losses = list(saved["rows"]), list(saved["losses"])

    def on_train_end(self, args, state, control, **kwargs):
        self.done = True  # the final evaluate() of the restored best model is not part of the curve

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if self.done or not state.is_world_process_zero:
            return
        row = {"epoch": state.epoch, "step": state.global_step}
        if self._losses:
            row["train_loss"] = sum(self._losses) / len(self._losses)
            self._losses = []
        row.update(metrics or {})
        self.rows.append(row)
        keys = list(dict.fromkeys(k for r in self.rows for k in r))
        with open(self.path_csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(self.rows)
        write_json(self.path_csv.with_suffix(".json"), self.rows)
        log.info(
            "epoch %.2f step %d validation: %s",
            state.epoch,
            state.global_step,
            ", ".join(f"{k[5:]} {row[k]:.4f}" for k in _SHOWN if row.get(k) is not None)
            + (f"; training loss {row['train_loss']:.4f}" if "train_loss" in row else ""),
        )


class QuietProgress(ProgressCallback):
    def on_log(self, args, state, control, logs=None, **kwargs):
        pass  # History logs one line per evaluation instead of raw dicts


class WeightAverage(TrainerCallback):
    """An exponential moving average of the weights (and batch-norm statistics), updated after
    every optimizer step; ``swap(model)`` exchanges it with the live weights in O(1)."""

    def __init__(self, model, decay: float):
        import torch

        if not 0 < decay < 1:
            raise ValueError(f"weight-average decay must be in (0, 1); got {decay}")
        self.decay = decay
        self.shadow = [t.detach().clone() for t in self._tensors(model)]
        self.n_updates = 0
        self._torch = torch

    @staticmethod
    def _tensors(model):
        return [t for t in list(model.parameters()) + list(model.buffers()) if t.dtype.is_floating_point]

    def on_step_end(self, args, state, control, model=None, **kwargs):
        self.n_updates += 1
        # Warm start: the average of the first steps weighs them equally (no bias toward initial weights).
        decay = min(self.decay, (1 + self.n_updates) / (10 + self.n_updates))
        with self._torch.no_grad():
            live = self._tensors(model)
            self._torch._foreach_lerp_(self.shadow, live, 1 - decay)

    def swap(self, model) -> None:
        for i, live in enumerate(self._tensors(model)):
            live.data, self.shadow[i] = self.shadow[i], live.data

    def resume_state(self) -> dict:
        return {"shadow": [t.detach().cpu() for t in self.shadow], "n_updates": self.n_updates}

    def load_resume_state(self, saved: dict) -> None:
        if len(saved["shadow"]) != len(self.shadow):
            raise ValueError("the checkpoint's weight average does not match this model")
        for mine, theirs in zip(self.shadow, saved["shadow"]):
            mine.copy_(theirs)
        self.n_updates = int(saved["n_updates"])


class BestModel(TrainerCallback):
    """Keep the weights with the best validation metric in memory and put them back at the end.

    After ``patience`` evaluations without improvement (a plateau) it either stops training at once
    (``anneal_steps`` 0: early stopping) or first anneals: the learning rate falls linearly from where
    the schedule has it to zero over ``anneal_steps`` steps (never past the planned end), then training
    stops after one more evaluation. A model that stopped improving at a high learning rate, as when a
    large data set overfits early in a long cosine schedule, is thus selected from weights that had a
    low learning rate, not from the noisy high-rate ones.
    """

    def __init__(
        self,
        metric: str,
        greater_is_better: bool,
        patience: int | None,
        min_delta: float = 0.0,
        anneal_steps: int = 0,
    ):
        self.key = metric if metric.startswith("eval_") else f"eval_{metric}"
        self.greater = greater_is_better
        self.patience, self.min_delta, self.anneal_steps = patience, min_delta, anneal_steps
        self.best: float | None = None
        self.best_step: int | None = None
        self.best_epoch: float | None = None
        self.state_dict: dict | None = None
        self.bad = 0
        self.done = False
        self.anneal: tuple[int, int] | None = None  # (first, last) step of the anneal once it has started

    def lr_factor(self, step: int) -> float:
        """What the anneal multiplies the scheduled learning rate by at ``step`` (1 before it starts)."""
        if self.anneal is None:
            return 1.0
        first, last = self.anneal
        return max(0.0, 1.0 - (step - first) / max(1, last - first))

    def on_train_begin(self, args, state, control, lr_scheduler=None, **kwargs):
        if not self.anneal_steps:
            return
        if not hasattr(lr_scheduler, "lr_lambdas"):
            raise ValueError(
                f"annealing on a plateau needs a LambdaLR schedule (transformers' own); got {type(lr_scheduler).__name__}"
            )
        # closures, not objects: LambdaLR's state_dict (in every checkpoint) skips plain functions
        lr_scheduler.lr_lambdas = [
            (lambda step, f=fn: f(step) * self.lr_factor(step)) for fn in lr_scheduler.lr_lambdas
        ]

    def on_step_end(self, args, state, control, **kwargs):
        if self.anneal is not None and state.global_step >= self.anneal[1]:
            control.should_training_stop = True
            control.should_evaluate = True

    def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):
        if self.done or not metrics or self.key not in metrics:
            if not self.done and metrics is not None:
                raise KeyError(f"selection metric {self.key!r} is not among the validation metrics {sorted(metrics)}")
            return
        value = metrics[self.key]
        better = self.best is None or (
            value > self.best + self.min_delta if self.greater else value < self.best - self.min_delta
        )
        if better:
            self.best, self.best_step, self.best_epoch, self.bad = value, state.global_step, state.epoch, 0
            self.state_dict = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            return
        self.bad += 1
        if self.patience is None or self.bad < self.patience or self.anneal is not None:
            return
        last = min(state.global_step + self.anneal_steps, state.max_steps)
        if self.anneal_steps and last > state.global_step:
            self.anneal = (state.global_step, last)
            log.info(
                "%s has not improved for %d evaluations (best %.4f at step %d): the learning rate falls to zero "
                "by step %d, then training stops",
                self.key,
                self.bad,
                self.best,
                self.best_step,
                last,
            )
            return
        log.info(
            "early stopping: %s has not improved for %d evaluations (best %.4f at step %d)",
            self.key,
            self.bad,
            self.best,
            self.best_step,
        )
        control.should_training_stop = True

    def restore(self, model) -> None:
        self.done = True
        if self.state_dict is not None:
            model.load_state_dict(self.state_dict)

    def resume_state(self) -> dict:
        keys = ("best", "best_step", "best_epoch", "bad", "state_dict", "anneal")
        return {k: getattr(self, k) for k in keys}

    def load_resume_state(self, saved: dict) -> None:
        for key, value in saved.items():
            setattr(self, key, value)


class TimeBudget(TrainerCallback):
    """Stop training, after an evaluation, once ``deadline`` (a ``time.time()`` value) has passed or the next step
    would pass it (the slowest step so far is the guess). ``eval_s``: the seconds a validation pass took when the
    deadline was planned (its ``finish_s`` holds two of them: the stop's and the final one); where validations
    grow slower than that (the machine got busier), the deadline moves earlier by twice the difference, so the
    whole run still ends within its budget. None: the deadline stands as given."""

    def __init__(self, deadline: float, eval_s: float | None = None):
        self.deadline, self.eval_s = deadline, eval_s
        self.stopped_at_step: int | None = None
        self._step_began = self._eval_began = None
        self._slowest_step = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self._step_began = time.time()

    def on_step_end(self, args, state, control, **kwargs):
        from dnalm.runtime.distributed import any_process

        now = time.time()
        if self._step_began is not None:
            self._slowest_step = max(self._slowest_step, now - self._step_began)
        self._eval_began = now  # an evaluation, where one is due, runs next
        # every process stops at the same step (one that stopped alone would leave the others waiting)
        if any_process(now + self._slowest_step >= self.deadline) and state.global_step < state.max_steps:
            self.stopped_at_step = state.global_step
            control.should_training_stop = True
            control.should_evaluate = str(getattr(args.eval_strategy, "value", args.eval_strategy)) != "no"
            log.warning(
                "time budget reached at step %d of %d; stopping after this evaluation",
                state.global_step,
                state.max_steps,
            )

    def on_evaluate(self, args, state, control, **kwargs):
        if self.eval_s is None or self._eval_began is None:
            return
        took = time.time() - self._eval_began
        if took > self.eval_s:  # a busier machine: the stop's and the final validation take longer too
            self.deadline -= 2 * (took - self.eval_s)
            self.eval_s = took


class Checkpoints(TrainerCallback):
    """Write a resumable checkpoint (the Trainer's: weights, optimizer, schedule, random states) at the
    end of an epoch once ``interval`` seconds have passed since the last one (0: every epoch), keeping
    the two newest (the older one in case a kill cuts the newer short), and beside each
    ``dnalm_state.pt``: the ``parts``' in-memory state (selection, weight average, history) and the
    run's wall seconds so far. Never within a run's last epoch.

    ``started``: when this process's run began (``time.time()``); ``elapsed_before``: the seconds the run
    had spent before this process (a resumed run's), so ``elapsed()`` is the whole run's wall time."""

    def __init__(self, parts: dict, interval: float, started: float, elapsed_before: float = 0.0):
        self.parts, self.interval = parts, float(interval)
        self.started, self.last = started, time.time()
        self.elapsed_before = elapsed_before

    def elapsed(self) -> float:
        return self.elapsed_before + time.time() - self.started

    def on_epoch_end(self, args, state, control, **kwargs):
        if state.global_step < state.max_steps and time.time() - self.last >= self.interval:
            control.should_save = True

    def on_save(self, args, state, control, **kwargs):
        import torch

        self.last = time.time()
        if not state.is_world_process_zero:
            return
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        saved = {name: part.resume_state() for name, part in self.parts.items()}
        saved["elapsed_s"] = self.elapsed()
        torch.save(saved, folder / f"{STATE_FILE}.tmp")
        os.replace(folder / f"{STATE_FILE}.tmp", folder / STATE_FILE)  # a checkpoint without it is not resumable


class CheckpointRotation(TrainerCallback):
    """Keep the ``keep`` newest checkpoints by step (and the Trainer's best one), removing only what the run wrote
    in an older one: a file the user put there, or changed, after it was saved (later than its last file,
    ``trainer_state.json`` or ``dnalm_state.pt``) stays, with its folder. The Trainer's own rotation
    (``save_total_limit``) removed such a folder whole, and ordered the folders by time changed, so a note put in
    an old checkpoint made it the one kept and the newest one went."""

    def __init__(self, keep: int):
        self.keep = int(keep)
        self._said: set[str] = set()  # the folders whose user files were named (once, not at every save)

    def on_save(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        folder = Path(args.output_dir)
        found = [p for p in folder.glob("checkpoint-*") if p.name.split("-")[-1].isdigit() and not p.is_symlink()]
        found.sort(key=lambda p: int(p.name.split("-")[-1]))
        best = Path(state.best_model_checkpoint).name if state.best_model_checkpoint else None
        old = [p for p in found[: max(len(found) - self.keep, 0)] if p.name != best]
        for checkpoint in old:
            kept = _remove_saved(checkpoint)
            if kept and checkpoint.name not in self._said:
                self._said.add(checkpoint.name)
                log.warning("%s: kept %d file(s) of yours in an old checkpoint: %s", checkpoint, len(kept), kept[0])


def own_rotation(args) -> CheckpointRotation | None:
    """The rotation of ``args`` (``save_total_limit``, dnalm's or the user's ``trainer:`` setting) taken from the
    Trainer, which would remove old checkpoint folders whole: a :class:`CheckpointRotation` to add to its callbacks
    (None without a limit)."""
    keep, args.save_total_limit = args.save_total_limit, None
    return CheckpointRotation(keep) if keep is not None and keep > 0 else None


def _remove_saved(checkpoint: Path) -> list[str]:
    """Remove the files of ``checkpoint`` written when it was saved; return the others' names (the user's). When
    it was saved is read from the Trainer's and dnalm's files in it; where none is left, every file is the user's."""
    saved = [
        p
        for p in checkpoint.iterdir()
        if p.name in CHECKPOINT_SAVED or (p.name.startswith("rng_state") and p.is_file())
    ]
    done = max((p.lstat().st_ctime for p in saved), default=None)
    if done is None:
        return sorted(str(p.relative_to(checkpoint)) for p in checkpoint.rglob("*") if not p.is_dir())
    kept = []
    for path in sorted(checkpoint.rglob("*"), reverse=True):  # files first, then the folders they leave empty
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        elif path.lstat().st_ctime > done + 2.0:
            kept.append(str(path.relative_to(checkpoint)))
        else:
            path.unlink()
    if checkpoint.is_dir() and not any(checkpoint.iterdir()):
        checkpoint.rmdir()
    return sorted(kept)


def last_checkpoint(folder: Path, complete_marker: str = STATE_FILE) -> Path | None:
    """The newest checkpoint in ``folder`` that is complete, or None: one whose ``complete_marker``, the
    file written last (``dnalm_state.pt`` for fine-tuning, the Trainer's ``trainer_state.json`` for
    pretraining), is missing or cut short was stopped mid-save by a kill and is skipped with a warning."""
    folder = Path(folder)
    found = [p for p in folder.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()] if folder.is_dir() else []
    found.sort(key=lambda p: int(p.name.split("-")[-1]))
    complete = [p for p in found if _written(p / complete_marker)]
    for partial in sorted(set(found) - set(complete)):
        log.warning("skipping %s: incomplete (the run stopped while saving it)", partial)
    return complete[-1] if complete else None


def _written(marker: Path) -> bool:
    """Whether a checkpoint's last file was written to its end: it exists and, for the Trainer's
    ``trainer_state.json`` (written in place, not atomically), holds a whole JSON object."""
    import json

    if not marker.is_file():
        return False
    if marker.suffix != ".json":
        return True  # dnalm_state.pt is written beside and renamed into place
    try:
        return isinstance(json.loads(marker.read_text(encoding="utf-8")), dict)
    except (OSError, UnicodeDecodeError, ValueError):
        return False


def read_resume_state(checkpoint: Path) -> dict:
    """The callback state saved beside a checkpoint (by name, plus ``elapsed_s``). Tensors and plain
    values only (``weights_only``: nothing is unpickled)."""
    import torch

    return torch.load(Path(checkpoint) / STATE_FILE, map_location="cpu", weights_only=True)
