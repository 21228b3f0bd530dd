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
import logging
from dataclasses import dataclass
from pathlib import Path

import yaml

from dnalm.io.files import write_text
from dnalm.models.ref import is_auto
from dnalm.runtime.hardware import PRECISIONS
from dnalm.runtime.training import SHARED_OWNED, check_scheduler, check_trainer_settings
from dnalm.settings import (
    TRUST_HELP,
    YEAR_S,
    check_applies,
    check_fields,
    check_keys,
    load_yaml,
    named,
    naming_the_file,
    parse_duration,
    setting,
)
from dnalm.tasks import DEFAULT_TASK, get_task

__all__ = ["FinetuneConfig", "load_yaml"]

log = logging.getLogger(__name__)


#: What the default recipe trains (``candidates``); see :func:`dnalm.finetune.recipe.choose_recipe`.
CANDIDATE_CHOICES = ("auto", "all", "one")


@dataclass
class FinetuneConfig:
    """Everything ``dnalm finetune`` does, in one place (saved next to the model as ``dnalm_config.yaml``).

    Each field is written once: its help text and bounds are the CLI option's, and the same checks run for
    the CLI, a YAML file and the Python API. ``None`` means "the recipe's choice for model auto, else the
    preset's". ``trainer`` passes through untouched to ``transformers.TrainingArguments``.
    """

    source_file = None  # the YAML file :meth:`load` read (an input of the run: never written over); not a setting

    model: str = setting(
        "auto",
        "auto (the default recipe chooses from the data), a preset (pos-cnn, mini, tiny, tiny-bpe, dnabert-6, "
        "tinydnabert, cnn, cnn-gb, lstm), the shipped pretrained dnalm-cnn or dnalm-mini, a model YAML, checkpoint "
        "folder or hub id.",
    )
    from_scratch: bool = setting(
        False, "Checkpoint architecture, random weights (model auto: the recipe's CNN without dnalm-cnn's pretraining)."
    )
    candidates: str = setting(
        "auto",
        "Model auto: the architectures trained, validation keeping one or their average. auto: the CNN, the CNN "
        "with fine position bins and the CNN with attention layers (sequences of up to 2,046 bp) on data of at most "
        "10,000 training sequences, else the CNN; all: all three on any data (about 4x the time on large data); "
        "one: the CNN.",
        choices=CANDIDATE_CHOICES,
    )
    trust_remote_code: bool = setting(False, TRUST_HELP)
    problem_type: str = setting(
        DEFAULT_TASK,
        "single_label_classification, multi_label_classification (labels a;b, ';' for none), regression, "
        "token_classification (a class per base) or token_regression (a value per base); numeric targets are "
        "trained standardised and predicted in label units.",
    )
    epochs: float | None = setting(
        None,
        "Passes over the training data.",
        gt=0,
        le=100_000,
        shown_default="8-30 by the recipe for auto, else 10",
    )
    learning_rate: float | None = setting(
        None, "Peak AdamW learning rate.", gt=0, le=1, shown_default="2e-3 by the recipe for auto, else the preset's"
    )
    batch_size: int | None = setting(
        None,
        "Training batch (all processes together).",
        ge=1,
        le=1_000_000,
        shown_default="32-128 by the recipe, else the preset's",
    )
    eval_batch_size: int = setting(128, "Validation batch.", ge=1, le=1_000_000, cli=False)
    gradient_accumulation_steps: int = setting(1, "Batches per optimizer step.", ge=1, le=100_000, cli=False)
    weight_decay: float = setting(0.01, "AdamW weight decay.", ge=0, le=1000, cli=False)
    warmup_ratio: float | None = setting(None, "Fraction of the steps warming up (None: 0.1).", ge=0, lt=1, cli=False)
    lr_scheduler: str | None = setting(None, "linear (None), cosine, constant_with_warmup, ...", cli=False)
    max_grad_norm: float | None = setting(None, "Gradient clipping (None: 1.0; 0: off).", ge=0, le=1_000_000, cli=False)
    ema_decay: float | None = setting(None, "Moving average of the weights (None: off).", ge=0, lt=1, cli=False)
    evals_per_epoch: float | None = setting(None, "Validations per epoch (None: 1).", gt=0, le=10_000, cli=False)
    reverse_complement_average: bool | None = setting(
        None, "evaluate/predict average both strands (None: off).", cli=False
    )
    precision: str = setting(
        "auto",
        "auto (bf16 autocast where the CPU or GPU computes bf16 natively, else fp32), fp32, bf16 or fp16 (GPU); "
        "prediction and evaluation run in fp32.",
        choices=PRECISIONS,
    )
    time_budget: float | None = setting(
        None,
        "Wall-clock cap on training, e.g. 90s, 10m, 1h (reading the data and loading the model come before it; a "
        "run ends at the first validation past it): fewer steps planned to fit, from a timing of this machine, so a "
        "busy machine trains a shorter run; said in the log, the result line and training_summary.json when it binds.",
        gt=0,
        le=YEAR_S,
        cli_type=str,
        shown_default="none, the steps depend only on the data and the seed",
    )
    max_length: int | None = setting(
        None,
        "Tokens per training sequence.",
        ge=1,
        le=10_000_000,
        shown_default="the longest training sequence, capped by the model",
    )
    self_pretrain: bool = setting(
        False,
        "Masked-LM training on the training split's own sequences first (the default recipe's CNN and transformers).",
    )
    self_pretrain_budget: float | None = setting(
        None,
        "Wall-clock cap of --self-pretrain, e.g. 5m (default: half of --time-budget where one is given, else none).",
        gt=0,
        le=YEAR_S,
        cli_type=str,
    )
    val_fraction: float = setting(0.1, "Validation fraction when the data has no dev split.", gt=0, lt=1, cli=False)
    seed: int = setting(42, "Seed of initialisation, shuffling and augmentation.", ge=0, lt=2**32)
    early_stopping_patience: int | None = setting(
        3, "Early-stopping patience in epochs (0: no early stopping).", ge=0, le=100_000, flag="--patience"
    )
    anneal_epochs: float | None = setting(
        None,
        "On a validation plateau, decay the learning rate to zero over this many epochs, then stop "
        "(None: the recipe's choice for auto, else 0).",
        ge=0,
        le=1_000_000,
        cli=False,
    )
    metric_for_best_model: str | None = setting(
        None, "Validation metric that picks the restored checkpoint (None: the task's default).", cli=False
    )
    class_weights: bool = setting(False, "Inverse-frequency class weights.")
    group_by_length: bool = setting(True, "Batch sequences of similar length together.", cli=False)
    lora: bool = setting(False, "Train LoRA adapters (needs peft).")
    lora_r: int = setting(8, "LoRA rank.", ge=1, le=4096, cli=False)
    lora_alpha: float = setting(16, "LoRA alpha.", gt=0, le=1_000_000, cli=False)
    lora_dropout: float = setting(0.1, "LoRA dropout.", ge=0, lt=1, cli=False)
    sequence_column: str | None = setting(None, "Column of a table holding the sequence.")
    label_column: str | None = setting(None, "Column of a table holding the label.")
    logging_steps: int = setting(50, "Steps between training-loss log lines.", ge=1, le=1_000_000_000, cli=False)
    checkpoint_interval: float | None = setting(
        "2m",
        "A resumable checkpoint at an epoch's end once this long has passed since the last (0: every epoch; "
        "None: never).",
        ge=0,
        le=YEAR_S,
        cli=False,
    )
    model_config: dict = setting(
        help="Architecture settings over the preset's or the recipe's (e.g. {channels: 192}).",
        default_factory=dict,
        cli=False,
    )
    trainer: dict = setting(
        help="transformers.TrainingArguments settings, passed through.", default_factory=dict, cli=False
    )

    def __post_init__(self):
        get_task(self.problem_type).check_metric(self.metric_for_best_model)  # unknown names: errors listing the valid
        check_trainer_settings(self.trainer, owned=_OWNED)
        check_scheduler(self.lr_scheduler, self.trainer)  # the Python API gets the checks a YAML file gets
        if not isinstance(self.model_config, dict):
            raise ValueError(f"model_config must be a mapping of architecture settings; got {self.model_config!r}")
        self.time_budget = parse_duration(self.time_budget)
        self.self_pretrain_budget = parse_duration(self.self_pretrain_budget, "self_pretrain_budget")
        if self.checkpoint_interval in (0, "0") and not isinstance(self.checkpoint_interval, bool):  # no: not 0
            self.checkpoint_interval = 0.0
        else:
            self.checkpoint_interval = parse_duration(
                self.checkpoint_interval, "checkpoint_interval", "every epoch", cli=False
            )
        check_fields(self)
        if not str(self.model).strip():  # '' was taken here and refused only on the command line
            raise ValueError("model (--model) is empty; give a preset, a folder, a hub id or auto")
        if self.class_weights and not get_task(self.problem_type).weighted:  # it was a warning, and recorded as used
            raise ValueError(
                f"class_weights (--class-weights) weight the classes of a single-label classifier; "
                f"{self.problem_type} has none to weight"
            )
        if self.epochs is not None:
            self.epochs = float(self.epochs)
        for name in ("lora_r", "lora_alpha", "lora_dropout"):  # recorded as used, and ignored
            check_applies(self, name, self.lora, f"shapes the LoRA adapters: it needs {named('lora')}")
        check_applies(
            self,
            "self_pretrain_budget",
            self.self_pretrain,
            f"caps self-pretraining: it needs {named('self_pretrain')}",
        )
        check_applies(
            self,
            "anneal_epochs",
            bool(self.early_stopping_patience) or not self.anneal_epochs,
            "starts at the plateau that early stopping finds: it needs early_stopping_patience (--patience) above 0",
        )

    @classmethod
    def from_dict(cls, data: dict, source: str = "config") -> FinetuneConfig:
        check_keys(data, [f.name for f in dataclasses.fields(cls)], "setting", source)
        check_trainer_settings(data.get("trainer") or {}, source, owned=_OWNED)
        check_scheduler(data.get("lr_scheduler", cls.lr_scheduler), data.get("trainer"), source)
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides) -> FinetuneConfig:
        """Read a YAML file (if given) and apply the non-None ``overrides`` on top."""
        from_file = load_yaml(path) if path else {}
        given = {k: v for k, v in overrides.items() if v is not None}
        for key in sorted(set(given) & set(from_file)):  # the options win, as --help says: and the log says so
            if given[key] != from_file[key]:
                log.info("%s %r from the command line replaces %r from %s", key, given[key], from_file[key], path)
        with naming_the_file(path, from_file, given):
            cfg = cls.from_dict({**from_file, **given}, source=str(path) if path else "config")
            if "model" in from_file and "model" not in given and not is_auto(cfg.model):  # a name that is no model:
                from dnalm.models.ref import ModelRef  # said with the file it is in

                ModelRef.resolve(cfg.model, cfg.trust_remote_code)
        cfg.source_file = str(path) if path else None
        return cfg

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def save(self, path: str | Path, *, overwrite: bool = False) -> None:
        """The settings as YAML (``--config`` reads it back); an existing file is replaced only with ``overwrite``
        (it wrote over whatever file it was given, a training CSV included)."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace it, or choose another name")
        write_text(path, yaml.safe_dump(self.to_dict(), sort_keys=False))


#: TrainingArguments that dnalm derives from its own settings, and the setting to use instead.
_OWNED = {
    **SHARED_OWNED,
    "num_train_epochs": "epochs (dnalm plans the steps from it)",
    "max_steps": "epochs (dnalm plans the steps from it)",
    "per_device_eval_batch_size": "eval_batch_size",
    "max_grad_norm": "max_grad_norm",
    "warmup_steps": "warmup_ratio",
    "warmup_ratio": "warmup_ratio",
    "eval_steps": "evals_per_epoch",
    "logging_steps": "logging_steps",
    "fp16": "precision (--precision)",
    "bf16": "precision (--precision)",
}


def check_for_model(cfg: FinetuneConfig, ref) -> None:
    """The settings that depend on the model (``ref``: its :class:`~dnalm.models.ref.ModelRef`, None for the default
    recipe), checked before any work: by ``finetune``, and by a benchmark for every model before its first run
    trains (a contradiction in its second model was found after the first had trained)."""
    name = "the default recipe's CNN" if ref is None else cfg.model
    if cfg.lora and not (ref is not None and ref.is_transformer) and not cfg.self_pretrain:
        raise ValueError(
            f"lora (--lora) adapts a transformer's attention and feed-forward layers; {name} is not a transformer: "
            "give a transformer (e.g. dnalm-mini or tiny), or fine-tune without lora"
        )
    if cfg.from_scratch and ref is not None and not ref.is_checkpoint:  # it did nothing, without a word
        raise ValueError(
            f"from_scratch (--from-scratch) gives a checkpoint random weights; {cfg.model} is a {ref.kind} and is "
            "built from random weights anyway: leave it out"
        )
    if cfg.model_config:  # hidden_dropout_prob: 1.5 failed in torch once the data was read, naming no setting
        from dnalm.models.presets import check_architecture_config

        where = f"{cfg.source_file}: model_config" if cfg.source_file else "model_config"
        if ref is None:  # the default recipe's CNN
            check_architecture_config("pos-cnn", cfg.model_config, where)
        else:
            ref.check_architecture_settings(cfg.model_config, where)
    if cfg.self_pretrain and ref is not None:  # found after the data was read and the run planned
        from dnalm.lm.pretrain import check_self_pretrainable

        check_self_pretrainable(ref)
    if cfg.candidates != "auto" and not is_auto(cfg.model):
        raise ValueError(
            f"candidates (--candidates) {cfg.candidates} chooses among the default recipe's architectures (model "
            f"auto); {cfg.model} is one model"
        )
    if cfg.candidates == "all" and (cfg.model_config or cfg.time_budget or cfg.self_pretrain):
        raise ValueError(
            "candidates (--candidates) all trains each of the recipe's architectures; "
            + (
                "model_config chooses one"
                if cfg.model_config
                else "a time_budget (--time-budget) trains one model"
                if cfg.time_budget
                else "self_pretrain (--self-pretrain) pretrains and fine-tunes the CNN alone"
            )
            + ": leave out one or the other"
        )
