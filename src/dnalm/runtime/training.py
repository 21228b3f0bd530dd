"""What fine-tuning and pretraining share about running transformers' ``Trainer``: the checks of the ``trainer:``
pass-through and of the schedule's name (made when the settings load, not when training starts), the
``TrainingArguments`` that both derive from their own settings, and the refusal of weights that training left
not finite."""

from __future__ import annotations

import dataclasses
import difflib

from dnalm.settings import at_source, check_keys

STATE_FILE = "dnalm_state.pt"  # in a checkpoint folder: dnalm's callbacks' state at that step
#: Files the Trainer (and dnalm, ``dnalm_state.pt``) write in every checkpoint, besides ``rng_state*.pth`` (and a
#: tokenizer's files where the Trainer has one: :data:`CHECKPOINT_FILES` names them all).
CHECKPOINT_SAVED = frozenset(
    {
        STATE_FILE,
        "trainer_state.json",
        "training_args.bin",
        "optimizer.pt",
        "scheduler.pt",
        "scaler.pt",
        "config.json",
        "model.safetensors",
        "pytorch_model.bin",
        "adapter_model.safetensors",
    }
)
#: A saved tokenizer's files (``fnmatch`` patterns), dnalm's and transformers'.
TOKENIZER_FILES = (
    "tokenizer*.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "dnalm_tokenizer.json",
)
#: What a checkpoint folder holds, as ``fnmatch`` patterns (what a command that writes checkpoints declares).
CHECKPOINT_FILES = (*sorted(CHECKPOINT_SAVED), "rng_state*.pth", "generation_config.json", *TOKENIZER_FILES)
#: The optimizer's numbers torch would refuse only once training starts, with a message naming neither the setting
#: nor the file (``Invalid beta parameter at index 1: 5``).
_TRAINER_RANGES = {
    "adam_beta1": (lambda v: 0 <= v < 1, "at least 0 and below 1"),
    "adam_beta2": (lambda v: 0 <= v < 1, "at least 0 and below 1"),
    "adam_epsilon": (lambda v: 0 < v < float("inf"), "a finite number above 0"),
    "max_grad_norm": (lambda v: 0 <= v < float("inf"), "a finite number of at least 0 (0: no clipping)"),
    "label_smoothing_factor": (lambda v: 0 <= v < 1, "at least 0 and below 1"),
    "dataloader_num_workers": (lambda v: v >= 0, "a whole number of at least 0 (0: none)"),
    "dataloader_prefetch_factor": (lambda v: v >= 1, "a whole number of at least 1"),
    "eval_accumulation_steps": (lambda v: v >= 1, "a whole number of at least 1"),
    "warmup_steps": (lambda v: 0 <= v < float("inf"), "a finite number of at least 0"),
    "warmup_ratio": (lambda v: 0 <= v <= 1, "between 0 and 1"),
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
    fields = {f.name: _kinds(f) for f in dataclasses.fields(TrainingArguments) if f.init}
    for key, value in trainer.items():  # a number or a flag of the wrong type: one line, not transformers' TypeError
        kinds, shown = fields[key], f"trainer.{key}"
        if value is None or not kinds or str in kinds:
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if bool in kinds and not isinstance(value, bool) and not (number and kinds & {int, float}):
            raise ValueError(f"{shown} must be true or false; got {value!r}{at_source(source)}")
        if float in kinds and not isinstance(value, bool) and not number:
            raise ValueError(f"{shown} must be a number; got {value!r}{at_source(source)}")
        if int in kinds and float not in kinds and not (isinstance(value, int) and not isinstance(value, bool)):
            raise ValueError(f"{shown} must be a whole number; got {value!r}{at_source(source)}")
        if number and key in _TRAINER_RANGES and not _TRAINER_RANGES[key][0](value):
            raise ValueError(f"{shown} must be {_TRAINER_RANGES[key][1]}; got {value!r}{at_source(source)}")
    _check_reporting(trainer.get("report_to"), source)
    taken = sorted(set(trainer) & set(owned))
    if taken:  # dnalm sets these from its own settings: a value here would be ignored or write outside OUTPUT
        key = taken[0]
        raise ValueError(f"trainer.{key} is dnalm's to set: use {owned[key]} instead{at_source(source)}")


def _kinds(field) -> set:
    """The plain types (bool, int, float, str) a TrainingArguments field takes; empty when it is anything else."""
    import types
    import typing

    kind = field.type
    args = (
        typing.get_args(kind)
        if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union
        else (kind,)
    )
    plain = {a for a in args if a in (bool, int, float, str)}
    return plain if all(a in (bool, int, float, str, type(None)) for a in args) else {str}


def _check_scheduler_kwargs(name: str | None, extra, source: str) -> None:
    import inspect

    from transformers.optimization import TYPE_TO_SCHEDULER_FUNCTION
    from transformers.trainer_utils import SchedulerType

    shown = "trainer.lr_scheduler_kwargs"
    if not isinstance(extra, dict):
        raise ValueError(f"{shown} must be a mapping; got {extra!r}{at_source(source)}")
    if not extra:
        return
    if name is None:
        raise ValueError(f"{shown} needs lr_scheduler: without one, dnalm chooses the schedule{at_source(source)}")
    try:
        takes = inspect.signature(TYPE_TO_SCHEDULER_FUNCTION[SchedulerType(name)]).parameters
    except (ValueError, KeyError):
        return  # an unknown name: check_scheduler says so
    known = [k for k in takes if k not in ("optimizer", "num_warmup_steps", "num_training_steps", "last_epoch")]
    if "kwargs" in known:
        return
    check_keys(extra, known, f"{shown} key for the {name} schedule", source)
    for key, value in extra.items():
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and not (0 < value < float("inf")) and key in ("num_cycles", "power", "timescale"):
            raise ValueError(f"{shown}.{key} must be a finite number above 0; got {value!r}{at_source(source)}")


def _check_reporting(value, source: str) -> None:
    """``trainer.report_to`` names integrations that are installed (``wandb`` without wandb failed after the data
    was read, with transformers' RuntimeError)."""
    if value is None:
        return
    from transformers.integrations import get_available_reporting_integrations

    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"trainer.report_to must be a name or a list of names; got {value!r}{at_source(source)}")
    missing = [n for n in names if n not in ("none", "all") and n not in get_available_reporting_integrations()]
    if missing:
        raise ValueError(
            f"trainer.report_to: {', '.join(missing)} is not installed here (pip install {missing[0]}), or not an "
            f"integration transformers knows{at_source(source)}"
        )


def check_scheduler(name: str | None, trainer=None, source: str = "config") -> None:
    """``lr_scheduler`` must name one of transformers' schedules (None: the default), and ``trainer``'s
    ``lr_scheduler_kwargs`` the settings that schedule takes; checked with the settings, not when training starts
    (a cosine schedule's ``num_cycles`` on the default linear one failed after the data was read; -3 cycles ran)."""
    extra = trainer.get("lr_scheduler_kwargs") if isinstance(trainer, dict) else None
    if extra is not None:
        _check_scheduler_kwargs(name, extra, source)
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
