"""Typed settings with one owner: dataclasses, YAML loading, unknown keys rejected.

>>> cfg = FinetuneConfig.from_dict({"model": "cnn", "epochs": 3})
>>> cfg.model, cfg.epochs, cfg.seed
('cnn', 3.0, 42)
>>> FinetuneConfig(time_budget="10m").time_budget
600.0
>>> FinetuneConfig.from_dict({"epoch": 3})
Traceback (most recent call last):
...
ValueError: unknown setting 'epoch' (did you mean 'epochs'?); valid: ...
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dnalm.finetune.tasks import DEFAULT_TASK, get_task
from dnalm.runtime.hardware import PRECISIONS

__all__ = ["FinetuneConfig", "load_yaml"]


@dataclass
class FinetuneConfig:
    """Everything ``dnalm finetune`` does, in one place (saved next to the model as ``dnalm_config.yaml``).

    ``trainer`` passes through untouched to ``transformers.TrainingArguments``.
    """

    # "auto": the default recipe chooses model and settings from the data (dnalm.finetune.recipe); else a preset,
    # YAML model file, checkpoint folder or hub id
    model: str = "auto"
    from_scratch: bool = False  # checkpoint architecture + tokenizer, random weights (auto: no dnalm-cnn weights)
    trust_remote_code: bool = False
    problem_type: str = DEFAULT_TASK  # a name of dnalm.finetune.tasks.TASKS
    # None below: the recipe's choice for model "auto", else the preset's default (shown after the colon)
    epochs: float | None = None  # None: 10
    learning_rate: float | None = None  # None: the model preset's default (2e-5..2e-3)
    batch_size: int | None = None  # None: the model preset's default (32 for transformers, 128 for the CNN)
    eval_batch_size: int = 128
    gradient_accumulation_steps: int = 1
    weight_decay: float = 0.01
    warmup_ratio: float | None = None  # None: 0.1
    lr_scheduler: str | None = None  # None: linear; or cosine, constant_with_warmup, ...
    max_grad_norm: float | None = None  # gradient clipping; None: 1.0; 0: off
    ema_decay: float | None = None  # exponential moving average of the weights; None: off (0)
    evals_per_epoch: float | None = None  # validations per epoch; None: 1
    reverse_complement_average: bool | None = None  # evaluate/predict average both strands; None: off
    # auto: mixed precision where the hardware has it natively (bf16 on a GPU or a CPU with AVX512-BF16/AMX),
    # else fp32; or fp32, bf16, fp16 (GPU). Prediction and evaluation always run in fp32.
    precision: str = "auto"
    time_budget: float | str | None = None  # wall-clock cap ("10m"); None: none, the plan is the data's alone
    max_length: int | None = None  # tokens; None: longest training sequence, capped by the model
    self_pretrain: bool = False  # masked-LM training on the training split's sequences first (transformers only)
    self_pretrain_budget: float | str | None = None  # its wall-clock cap; None: half the time budget, else none
    val_fraction: float = 0.1  # used only when the data has no dev split
    seed: int = 42
    early_stopping_patience: int | None = 3  # epochs without validation improvement; None disables
    # on such a plateau, first decay the learning rate linearly to zero over this many epochs, then stop;
    # None: the recipe's choice for "auto", else 0 (stop at once)
    anneal_epochs: float | None = None
    # validation metric that picks the checkpoint restored at the end; None: the task's default (mcc for classes,
    # also per base; f1_macro for multi-label; loss for regression)
    metric_for_best_model: str | None = None
    class_weights: bool = False  # weight the loss by inverse class frequency
    group_by_length: bool = True
    lora: bool = False
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    sequence_column: str | None = None
    label_column: str | None = None
    logging_steps: int = 50
    # a resumable checkpoint (finetune --resume) at the end of an epoch once this long has passed since the last
    # (a duration such as "2m"; 0: every epoch; None: never); runs shorter than it write none
    checkpoint_interval: float | str | None = "2m"
    # architecture settings merged over the preset's or the recipe's (e.g. {channels: 192} for the default pos-cnn);
    # presets and model YAML files only, not checkpoints
    model_config: dict = field(default_factory=dict)
    trainer: dict = field(default_factory=dict)

    def __post_init__(self):
        get_task(self.problem_type)  # an unknown name is an error listing the valid ones
        if not isinstance(self.model_config, dict):
            raise ValueError(f"model_config must be a mapping of architecture settings; got {self.model_config!r}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1); got {self.val_fraction}")
        if (self.epochs is not None and self.epochs <= 0) or (self.batch_size is not None and self.batch_size < 1):
            raise ValueError("epochs must be > 0 and batch_size >= 1")
        if self.epochs is not None:
            self.epochs = float(self.epochs)
        if self.ema_decay is not None and not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1); got {self.ema_decay}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {self.precision!r}")
        if self.warmup_ratio is not None and not 0 <= self.warmup_ratio < 1:  # TrainingArguments reads >= 1 as steps
            raise ValueError(f"warmup_ratio must be in [0, 1) (a fraction of the steps); got {self.warmup_ratio}")
        if self.anneal_epochs is not None and self.anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be >= 0; got {self.anneal_epochs}")
        if self.evals_per_epoch is not None and self.evals_per_epoch <= 0:
            raise ValueError(f"evals_per_epoch must be > 0; got {self.evals_per_epoch}")
        from dnalm.finetune.recipe import parse_duration

        self.time_budget = parse_duration(self.time_budget)
        self.self_pretrain_budget = parse_duration(self.self_pretrain_budget)
        if self.checkpoint_interval in (0, "0"):
            self.checkpoint_interval = 0.0
        else:
            self.checkpoint_interval = parse_duration(self.checkpoint_interval)

    @classmethod
    def from_dict(cls, data: dict, source: str = "config") -> FinetuneConfig:
        check_keys(data, [f.name for f in dataclasses.fields(cls)], "setting", source)
        check_trainer_settings(data.get("trainer") or {}, source)
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides) -> FinetuneConfig:
        """Read a YAML file (if given) and apply the non-None ``overrides`` on top."""
        data = load_yaml(path) if path else {}
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(data, source=str(path) if path else "config")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(yaml.safe_dump(self.to_dict(), sort_keys=False), encoding="utf-8")


def check_keys(data: dict, valid: list[str], what: str = "setting", source: str = "config") -> None:
    """Refuse a key not in ``valid``, suggesting the closest valid one (every config class uses this)."""
    for key in data:
        if key not in valid:
            close = difflib.get_close_matches(str(key), valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(
                f"unknown {what} {key!r}{hint}; valid: {', '.join(valid)}"
                + ("" if source == "config" else f" [{source}]")
            )


def check_trainer_settings(trainer: dict, source: str = "config") -> None:
    """The ``trainer:`` pass-through must name ``transformers.TrainingArguments`` fields; checked when
    the config loads, not after the data is read. Its values win over dnalm's own."""
    if not trainer:
        return
    if not isinstance(trainer, dict):
        raise ValueError(f"trainer must be a mapping of TrainingArguments settings; got {trainer!r} [{source}]")
    from transformers import TrainingArguments

    check_keys(
        trainer,
        [f.name for f in dataclasses.fields(TrainingArguments) if f.init],
        "trainer setting (transformers.TrainingArguments)",
        source,
    )


def load_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: config file not found")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of settings at the top level")
    return data
