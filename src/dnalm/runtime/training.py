"""What fine-tuning and pretraining share about running transformers' ``Trainer``: the checks of the ``trainer:``
pass-through and of the schedule's name (made when the settings load, not when training starts), the
``TrainingArguments`` that both derive from their own settings, and the refusal of weights that training left
not finite."""

from __future__ import annotations

import dataclasses
import difflib

from dnalm.settings import at_source, check_keys

#: The optimizer's numbers torch would refuse only once training starts, with a message naming neither the setting
#: nor the file (``Invalid beta parameter at index 1: 5``).
_TRAINER_RANGES = {
    "adam_beta1": (lambda v: 0 <= v < 1, "at least 0 and below 1"),
    "adam_beta2": (lambda v: 0 <= v < 1, "at least 0 and below 1"),
    "adam_epsilon": (lambda v: 0 < v < float("inf"), "a finite number above 0"),
    "max_grad_norm": (lambda v: 0 <= v < float("inf"), "a finite number of at least 0 (0: no clipping)"),
    "label_smoothing_factor": (lambda v: 0 <= v < 1, "at least 0 and below 1"),
}


def check_trainer_settings(trainer: dict, source: str = "config", *, owned: dict) -> None:
    """The ``trainer:`` pass-through must name ``transformers.TrainingArguments`` fields; checked when
    the config loads, not after the data is read. Its values win over dnalm's own; those in ``owned`` (a
    TrainingArguments name -> the setting to use instead) are dnalm's to set and refused."""
    if not trainer:
        return
    if not isinstance(trainer, dict):
        raise ValueError(f"trainer must be a mapping of TrainingArguments settings; got {trainer!r}{at_source(source)}")
    from transformers import TrainingArguments

    check_keys(
        trainer,
        [f.name for f in dataclasses.fields(TrainingArguments) if f.init],
        "trainer setting (transformers.TrainingArguments)",
        source,
    )
    fields = {f.name: f.default for f in dataclasses.fields(TrainingArguments) if f.init}
    for key, value in trainer.items():  # a number or a flag of the wrong type: one line, not transformers' TypeError
        default, shown = fields[key], f"trainer.{key}"
        if value is None or default is None:
            continue
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ValueError(f"{shown} must be true or false; got {value!r}{at_source(source)}")
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if isinstance(default, int | float) and not isinstance(default, bool) and not number:
            raise ValueError(f"{shown} must be a number; got {value!r}{at_source(source)}")
        if number and key in _TRAINER_RANGES and not _TRAINER_RANGES[key][0](value):
            raise ValueError(f"{shown} must be {_TRAINER_RANGES[key][1]}; got {value!r}{at_source(source)}")
    taken = sorted(set(trainer) & set(owned))
    if taken:  # dnalm sets these from its own settings: a value here would be ignored or write outside OUTPUT
        key = taken[0]
        raise ValueError(f"trainer.{key} is dnalm's to set: use {owned[key]} instead{at_source(source)}")


def check_scheduler(name: str | None) -> None:
    """``lr_scheduler`` must name one of transformers' schedules (None: the default); checked with the settings,
    not when training starts."""
    if name is None:
        return
    from transformers.trainer_utils import SchedulerType

    names = [s.value for s in SchedulerType]
    if name not in names:
        close = difflib.get_close_matches(str(name), names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"lr_scheduler must be one of {', '.join(names)}; got {name!r}{hint}")


#: TrainingArguments that dnalm and pretrain both set from their own settings (checked, recorded, planned from),
#: and the setting to use instead.
SHARED_OWNED = {
    "learning_rate": "learning_rate (--learning-rate)",
    "per_device_train_batch_size": "batch_size (--batch-size, all processes together)",
    "gradient_accumulation_steps": "gradient_accumulation_steps",
    "weight_decay": "weight_decay",
    "lr_scheduler_type": "lr_scheduler",
    "seed": "seed (--seed)",
    "data_seed": "seed (--seed)",
    "resume_from_checkpoint": "--resume",
    "output_dir": "-o/--output",
    "logging_dir": "-o/--output (the logs go into it)",
}


def check_finite_weights(model, training_loss: float | None = None) -> None:
    """Refuse a model whose weights are not all finite numbers (training diverged): saved, it would predict NaN for
    every input, and metrics computed from NaN look like a result."""
    import torch

    bad = [name for name, p in model.named_parameters() if not torch.isfinite(p).all()]
    if bad:
        raise ValueError(
            f"training diverged: {len(bad)} weight tensor(s) of the model are not finite numbers (the first: "
            f"{bad[0]}; training loss {training_loss}), so it is not saved; lower learning_rate or weight_decay, or "
            "look at the targets"
        )
