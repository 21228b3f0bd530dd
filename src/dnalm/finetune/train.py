"""Fine-tuning around ``transformers.Trainer``: one path for every model, in four named steps.

:func:`finetune` starts the run (the output folder, the data), **plans** it (the recipe, the settings
actually used), **builds** the model and datasets, **trains** (selection on validation only: the best
validation point is restored at the end; the test split is never loaded here) and **saves** the folder.
Each step is a function of its own and hands the next a typed record.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from dnalm.finetune.budget import budget_bound, expected_duration, fit_budget, planned_eval_s, speed_probe
from dnalm.finetune.config import FinetuneConfig, check_for_model
from dnalm.finetune.data import DEV_SPLIT_NOTE, LabelSpace, data_digest, load_splits, to_dataset
from dnalm.finetune.recipe import Recipe, choose_recipe, for_checkpoint, is_recipe_checkpoint
from dnalm.finetune.trainer import (
    averaged_outputs,
    collate_batch,
    compute_metrics_for,
    fixed_input_length,
    output_layers,
    scale_output,
    selection_noise,
    trainer_class,
    training_arguments,
    validation_outputs,
    validation_score,
    versions,
    with_lora,
)
from dnalm.io.datasets import check_sources, class_files
from dnalm.io.files import drop_unused_staging, interrupts_deferred, json_ready, start_folder, write_json
from dnalm.io.outputs import Output, claims, install_folder, local, not_partial, remove_path, shown
from dnalm.io.sequence import reverse_complement
from dnalm.lm.pretrain import RECIPES, self_pretrain
from dnalm.metrics import positive_index
from dnalm.models.card import write_finetune_card
from dnalm.models.ref import ModelRef, is_auto
from dnalm.runtime import distributed
from dnalm.runtime.hardware import frozen_gc, keeps_random_state, needs_gradients, resolve_precision
from dnalm.runtime.training import check_finite_weights
from dnalm.settings import check_fields, flag
from dnalm.tasks import Task, get_task

__all__ = ["FinetuneResult", "finetune", "resolve_settings"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneResult(Mapping):
    """What a fine-tuning run did: the model folder and its ``training_summary.json`` (read as a mapping)."""

    output: Path
    summary: dict

    def __getitem__(self, key: str) -> Any:
        return self.summary[key]

    def __iter__(self):
        return iter(self.summary)

    def __len__(self) -> int:
        return len(self.summary)

    @property
    def validation_metrics(self) -> dict:
        return self.summary["validation_metrics"]

    def describe(self, output: str | Path | None = None) -> str:
        """One line for the command line: where the model is (``output``: as the user wrote it) and its
        validation metrics."""
        val = self.validation_metrics
        reported = [k for k in val if k.startswith("eval_") and not k.endswith(("runtime", "per_second", "epoch"))]
        return (
            f"saved to {output or self.output} (trained in {self.summary['precision']}); validation "
            f"({self.summary['validation']}): "
            + ", ".join(
                f"{k[5:]} {val[k]:,.0f}" if k.endswith("n_predictions") else f"{k[5:]} {val[k]:.4f}" for k in reported
            )
            + (f" (positive class: {label})" if (label := self.summary.get("positive_label")) is not None else "")
            + (  # a model of 3 steps where 312 were planned: the line said nothing of it
                f"; the time budget bound it: {self.summary['steps_run']:,} of {self.summary['steps_requested']:,} "
                "steps"
                if self.summary.get("time_budget_bound")
                else ""
            )
        )


_PRESET_DEFAULTS = {
    "epochs": 10.0,
    "warmup_ratio": 0.1,
    "lr_scheduler": "linear",
    "max_grad_norm": 1.0,
    "ema_decay": 0.0,
    "evals_per_epoch": 1.0,
    "reverse_complement_average": False,
    "anneal_epochs": 0.0,
}


def resolve_settings(cfg: FinetuneConfig, ref: ModelRef | str, recipe: Recipe | None) -> FinetuneConfig:
    """The settings actually used: the user's, else the recipe's (model "auto"), else the preset's
    defaults (or those a checkpoint records). A pure function; the result is what ``dnalm_config.yaml`` records."""
    values = {}
    recorded = {} if recipe else ModelRef.resolve(ref).finetune_defaults  # a preset's, or a checkpoint's own
    task = get_task(cfg.problem_type)
    for key, default in _PRESET_DEFAULTS.items():
        values[key] = getattr(cfg, key)
        if values[key] is None:
            values[key] = getattr(recipe, key) if recipe else recorded.get(key, default)
    if cfg.anneal_epochs is None and not values.get("early_stopping_patience", cfg.early_stopping_patience):
        values["anneal_epochs"] = 0.0  # the anneal starts at the plateau early stopping finds: none without it
    if cfg.learning_rate is None:
        values["learning_rate"] = recipe.learning_rate if recipe else recorded.get("learning_rate", 5e-5)
    if cfg.batch_size is None:
        values["batch_size"] = recipe.batch_size if recipe else recorded.get("batch_size", 32)
    if recipe is not None:  # the architecture trained: recipe.json's, and the user's over it
        values["model"], values["model_config"] = recipe.model, {**recipe.model_config, **cfg.model_config}
        if cfg.metric_for_best_model is None:
            values["metric_for_best_model"] = recipe.metric_for_best_model
        if cfg.time_budget is None:
            values["time_budget"] = recipe.time_budget_s
    if values.get("metric_for_best_model", cfg.metric_for_best_model) is None:
        values["metric_for_best_model"] = task.default_metric
    return dataclasses.replace(cfg, **values)


def _settings(cfg) -> FinetuneConfig:
    if not isinstance(cfg, FinetuneConfig):
        raise TypeError(
            f"finetune takes its settings as a FinetuneConfig, e.g. FinetuneConfig(model='tiny'); got {cfg!r}"
        )
    return cfg


@dataclass
class _Run:
    """A run once started: its settings (replaced as the plan resolves them), folders and data."""

    cfg: FinetuneConfig
    final: Path
    output: Path
    t0: float
    train: list
    dev: list
    labels: LabelSpace
    task: Task
    val_note: str
    identity: dict
    data: str | Path | None = None
    recipe: Recipe | None = None
    ref: ModelRef | None = None
    checkpoint: Path | None = None
    saved_state: dict | None = None
    plan: dict | None = None
    requested: dict | None = None
    expected_s: float | None = None  # what a short timing said the plan would take (no budget; never changes it)
    history: str = "history.csv"  # the validation history's file in the folder (one per candidate)
    said: set = field(default_factory=set)  # warnings given once a run, not once per candidate


@dataclass
class _Built:
    model: Any
    tokenizer: Any
    spec: Any
    max_length: int
    train_ds: Any
    dev_ds: Any
    truncated: tuple[int, int]
    loss_func: Any
    output_layers: tuple = ()  # standardised numeric targets: where the scale is folded back in


#: what a run writes in OUTPUT.partial (the Trainer's checkpoints, the history, what --resume reads, and the files of
#: its final save, a LoRA run's adapter/ among them): anything else there is the user's (kept when a run resumes; a
#: benchmark refuses to remove it)
PARTIAL_NAMES = (
    "adapter",
    "resume.json",
    "recipe.json",
    "dnalm_config.yaml",
    "history*.csv",
    "history*.json",
    "self_pretrained",
    "checkpoints",
    "checkpoints/checkpoint-*",
    *(  # and what the final save writes, should a stop land while it saves (resume called them "yours")
        "config.json",
        "generation_config.json",
        "model*.safetensors",
        "model.safetensors.index.json",
        "training_args.bin",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "vocab.txt",
        "merges.txt",
        "dnalm_tokenizer.json",
        "training_summary.json",
        "README.md",
    ),
)


@claims(
    "finetune",
    lambda a: {
        # a model folder and the settings file too
        "inputs": [a["data"], *class_files(a["classes"]), *local(_settings(a["cfg"]).model), a["cfg"].source_file],
        "outputs": [Output(a["output"], "model", rerun="refuse", staged=True, partial_names=PARTIAL_NAMES)],
        "overwrite": a["overwrite"],
        "resume": a["resume"],
    },
)
@keeps_random_state
@needs_gradients
def finetune(
    cfg: FinetuneConfig,
    data: str | Path | None,
    output: str | Path,
    *,
    classes: dict[str, str] | None = None,
    overwrite: bool = False,
    resume: bool = False,
) -> FinetuneResult:
    """Fine-tune ``cfg.model`` on DATA and save a model folder that ``from_pretrained`` loads.

    With ``model="auto"`` (the default) the recipe of ``dnalm.finetune.recipe`` chooses the model and
    settings from the data; it is logged (logger ``dnalm``, INFO: the command line prints it) and saved as
    ``recipe.json``. Returns a :class:`FinetuneResult`
    (its summary is also written to ``OUTPUT/training_summary.json``).

    The run writes into ``OUTPUT.partial`` and replaces ``OUTPUT`` only when complete, so a killed
    run leaves the previous model intact. A non-empty ``OUTPUT`` that is not a dnalm model folder
    is refused unless ``overwrite``. With ``resume``, an interrupted run in ``OUTPUT.partial``
    continues from its last checkpoint (``cfg.checkpoint_interval``) with the plan it made, and
    gives the model the uninterrupted run would have given; other data or settings are refused.
    """
    _MADE.discard(_staging_of(Path(output).absolute()))  # a staging folder an earlier call made is not this one's
    try:
        run = _start(cfg, data, Path(output), classes=classes, overwrite=overwrite, resume=resume)
        _plan(run, resume=resume, overwrite=overwrite)
        if run.recipe is not None and len(run.recipe.candidates) > 1:
            built, (trainer, train_out, best, note) = _train_candidates(run)
        else:
            built = _build(run)
            trainer, train_out, best, note = _train(run, built)
    except BaseException as err:
        if distributed.is_main():
            drop_unused_staging(Path(output).absolute())
            if isinstance(err, Exception) and not resume:
                _drop_failed_staging(Path(output).absolute())
        raise
    return FinetuneResult(Path(output), _save(run, built, trainer, train_out, best, note))


def _staging_of(output: Path) -> Path:
    return output.with_name(f"{output.name}.partial")


#: the staging folders this process made, each until the run that made it ends: a run refused for a stopped run's
#: staging folder removed that folder as if it were its own
_MADE: set[Path] = set()


def _drop_failed_staging(output: Path) -> None:
    """Remove the staging folder this run made when it failed (an error, not a stop) before any checkpoint or
    self-pretraining it could resume from: what is left is bookkeeping, and the next run was refused for it."""
    from dnalm.runtime.callbacks import last_checkpoint

    staging = _staging_of(output)
    if staging not in _MADE:  # a stopped run's, which this one was refused for or kept
        return
    _MADE.discard(staging)
    if not staging.is_dir() or staging.is_symlink() or not (staging / "PARTIAL_RUN.txt").is_file():
        return
    resumable = last_checkpoint(staging / "checkpoints") is not None or (staging / "self_pretrained").exists()
    if not resumable and not not_partial(staging, PARTIAL_NAMES):  # a file put there is not the run's to remove
        shutil.rmtree(staging, ignore_errors=True)


def _start(cfg, data, output: Path, *, classes, overwrite: bool, resume: bool) -> _Run:
    """Check what can be checked before any work, take the output folder, read the data."""
    from transformers import set_seed

    t0 = time.time()
    check_fields(cfg)  # a field set after construction (cfg.seed = -5 failed in transformers' set_seed)
    check_sources(data, classes)  # before the output folder is taken
    # resolved once: a mistyped model or untrusted code fails now (model "auto": the recipe names it below)
    ref = None if is_auto(cfg.model) else ModelRef.resolve(cfg.model, cfg.trust_remote_code)
    task = get_task(cfg.problem_type)
    check_for_model(cfg, ref)
    if resume and cfg.self_pretrain:
        raise ValueError(
            f"{flag('resume')} does not continue self-pretraining; pass {flag('overwrite')} instead of "
            f"{flag('resume')} to start again"
        )
    distributed.start()
    if distributed.world_size() > 1 and cfg.self_pretrain:
        raise ValueError("self-pretraining runs in one process; run it without torchrun/accelerate launch")
    final = output.absolute()
    folder = _start_folder_once(final, overwrite=overwrite, resume=resume)
    set_seed(cfg.seed)
    splits, val_note = load_splits(
        data,
        classes=classes,
        val_fraction=cfg.val_fraction,
        seed=cfg.seed,
        sequence_column=cfg.sequence_column,
        label_column=cfg.label_column,
        stratify=task.stratify,
    )
    train, dev = splits["train"], splits["dev"]
    log.info("%s; %d train, %d validation sequences", val_note, len(train), len(dev))
    labels = LabelSpace.from_records(train, cfg.problem_type, standardise=True)
    _check_validation(cfg, task, labels, dev, val_note)
    if labels.scale is not None:
        log.info(
            "%s targets trained as (value - %.6g) / %.6g (train's mean, sd); the model predicts label units",
            task.name,
            *labels.scale,
        )
    identity = {"data": _data_identity(data, classes)}
    return _Run(cfg, final, folder, t0, train, dev, labels, task, val_note, identity, data, ref=ref)


def _check_validation(cfg: FinetuneConfig, task: Task, labels: LabelSpace, dev: list, val_note: str) -> None:
    """Say what makes the validation split a weak judge, or a setting that did not shape it."""
    default_fraction = next(f.default for f in dataclasses.fields(cfg) if f.name == "val_fraction")
    if val_note == DEV_SPLIT_NOTE and cfg.val_fraction != default_fraction:  # a warning: a benchmark mixes datasets
        log.warning("val_fraction %g is not used: the data has a dev split, and it is the validation", cfg.val_fraction)
    held = {labels.encode(r.label, r) for r in dev} if task.exclusive and not task.per_base else set()
    if len(held) > 1 and len(held) < labels.num_labels:  # (one class: below) MCC and macro F1 blind to the others
        log.warning(
            "the validation split holds no record of %s: the checkpoint is chosen without %s, and a model that never "
            "predicts %s scores as well on it; %s",
            ", ".join(repr(n) for i, n in enumerate(labels.names) if i not in held),
            "it" if labels.num_labels - len(held) == 1 else "them",
            "it" if labels.num_labels - len(held) == 1 else "them",
            "give a dev split with every class"
            if val_note == DEV_SPLIT_NOTE
            else "a class with too few training records to hold one out: give a dev split with every class",
        )
    if len(dev) > 1 and len(held) == 1:
        log.warning(
            "the validation split holds one class (%s): MCC is 0 and AUROC undefined on it, so the checkpoint chosen "
            "on %s says little; %s",
            dev[0].label,
            cfg.metric_for_best_model or task.default_metric,
            "give a dev split with every class, or none (then validation is a stratified part of train)"
            if val_note == DEV_SPLIT_NOTE
            else "the other classes have one training record each, none to hold out: give a dev split",
        )


def _plan(run: _Run, *, resume: bool, overwrite: bool) -> None:
    """The settings actually used: self-pretraining first if asked, the recipe for model auto (or a
    recipe checkpoint), the preset's defaults otherwise; and where a resumed run continues from."""
    # decided on the user's model: a preset self-pretrained keeps its preset's settings, not the recipe's
    recipe_wanted = is_auto(run.cfg.model) or (run.ref is not None and is_recipe_checkpoint(run.ref))
    if run.cfg.self_pretrain:
        run.cfg = dataclasses.replace(run.cfg, model=str(_self_pretrain(run)))
        run.ref = ModelRef.resolve(run.cfg.model, run.cfg.trust_remote_code)
    run.recipe = _recipe(run) if recipe_wanted else None
    if run.recipe is not None:  # the model the recipe chose (or the recipe checkpoint)
        run.ref = ModelRef.resolve(run.recipe.model, run.cfg.trust_remote_code)
    cfg = resolve_settings(run.cfg, run.ref, run.recipe)
    processes = distributed.world_size()
    if cfg.batch_size % processes:
        raise ValueError(
            f"the training batch ({cfg.batch_size}) is split over the {processes} processes and must be a multiple of "
            "their number; choose --batch-size accordingly"
        )
    run.cfg = cfg = dataclasses.replace(cfg, precision=resolve_precision(cfg.precision))  # auto: what this machine uses
    log.info(
        "training precision: %s%s",
        cfg.precision,
        " (autocast; weights and optimizer state in fp32)" if cfg.precision != "fp32" else "",
    )
    run.identity = {"settings": json_ready(cfg.to_dict()), "data": run.identity["data"]}
    if resume and run.recipe is not None and len(run.recipe.candidates) > 1:
        log.warning(
            "--resume: this run trains %d candidates one after the other; starting afresh", len(run.recipe.candidates)
        )
        run.output = _start_afresh(run.final, overwrite=overwrite)  # as said
    elif resume:
        run.checkpoint, run.saved_state, run.plan = _resume_point(run.output, run.identity)
        if run.checkpoint is None:  # nothing to continue: start afresh, without what the stopped run left
            run.output = _start_afresh(run.final, overwrite=overwrite)
    if run.recipe is not None and distributed.is_main():
        run.recipe.save(run.output / "recipe.json")


def _recipe(run: _Run) -> Recipe | None:
    """The default recipe for model auto or a recipe checkpoint (or one self-pretrained from either)."""
    cfg = run.cfg
    recipe_checkpoint = run.ref is not None and is_recipe_checkpoint(run.ref)
    if run.task.per_base:
        raise ValueError(
            "the default recipe (model 'auto') classifies whole sequences; per-base labels need "
            "a BERT on overlapping k-mers or single bases (the presets tiny and dnabert-6, or such a checkpoint), e.g. --model tiny"
        )
    recipe = choose_recipe(
        len(run.train),
        [len(r.sequence) for r in run.train],
        run.labels.num_labels,
        cfg.problem_type,
        cfg.time_budget,  # recorded only: the plan is the data's, an explicit budget caps it below
        cfg.from_scratch,
        # the user chose the architecture, or a deadline: one model
        candidates="one" if cfg.model_config or cfg.time_budget else cfg.candidates,
        epochs=cfg.epochs,  # the user's, where given: the weight average and validations follow from the steps
        batch_size=cfg.batch_size,
        # the user's architecture values (e.g. channels) are not the pretrained checkpoint's; added layers start new
        model_config=cfg.model_config,
    )
    if recipe_checkpoint:  # e.g. the CNN that `dnalm pretrain --model pos-cnn-cpu` wrote: its weights, our settings
        recipe = for_checkpoint(recipe, cfg.model, from_scratch=cfg.from_scratch)
    log.info(recipe.describe())
    return recipe


_SELF_PRETRAIN_BATCH = 32  # a transformer's masked-LM batch on its own training sequences


def _self_pretrain(run: _Run) -> Path:
    """Masked-LM training on the training split's own sequences; returns the pretrained folder."""
    cfg = run.cfg
    budget = cfg.self_pretrain_budget or (cfg.time_budget / 2 if cfg.time_budget else None)  # None: fixed steps
    settings = {"trust_remote_code": cfg.trust_remote_code}  # a checkpoint with its own code only when allowed
    if is_auto(cfg.model):  # the recipe's CNN fills in masked bases first, as many passes as it then fine-tunes
        cnn = RECIPES["pos-cnn-cpu"]
        epochs = (
            cfg.epochs
            or choose_recipe(len(run.train), [len(r.sequence) for r in run.train], run.labels.num_labels).epochs
        )
        settings |= {k: cnn[k] for k in ("batch_size", "learning_rate", "warmup_steps", "lr_scheduler", "weight_decay")}
    else:  # the user's epochs, else the model's fine-tuning default: as many passes as fine-tuning makes
        epochs = cfg.epochs or run.ref.finetune_defaults.get("epochs", _PRESET_DEFAULTS["epochs"])
        settings["batch_size"] = _SELF_PRETRAIN_BATCH
    settings["max_steps"] = max(1, math.ceil(epochs * len(run.train) / settings["batch_size"]))
    log.info(
        "self-pretraining %s on the %d training sequences (never dev or test): %d steps (%g passes)%s",
        "the recipe's CNN" if is_auto(cfg.model) else cfg.model,
        len(run.train),
        settings["max_steps"],
        epochs,
        f", for up to {budget:.0f} s" if budget else "",
    )
    model = "pos-cnn" if is_auto(cfg.model) else cfg.model
    return self_pretrain(
        run.train, model, run.output / "self_pretrained", time_budget=budget, seed=cfg.seed, **settings
    )


def _build(run: _Run) -> _Built:
    """The model and tokenizer, the token length trained on, and the tokenized datasets."""
    from dnalm.models.build import build_model, model_max_tokens

    cfg, train = run.cfg, run.train
    model, tok, spec = build_model(
        run.ref,
        num_labels=run.labels.num_labels,
        id2label=run.labels.id2label,
        problem_type=cfg.problem_type,
        train_sequences=[r.sequence for r in train],
        input_length=fixed_input_length(lengths := [len(r.sequence) for r in train]),
        from_scratch=cfg.from_scratch,
        trust_remote_code=cfg.trust_remote_code,
        seed=cfg.seed,
        config_overrides={**(run.recipe.model_config if run.recipe else {}), **cfg.model_config} or None,
    )
    if getattr(model.config, "input_length", None) is not None:  # a fixed-input model: say what its input holds
        fixed_input_length(lengths, say=True)
    model_limit = tok.model_max_length = model_max_tokens(model, tok)
    if cfg.max_length and cfg.max_length > model_limit:
        raise ValueError(
            f"max_length (--max-length) {cfg.max_length} tokens is more than {cfg.model} takes ({model_limit}); "
            "longer sequences are scored with sliding windows by predict/evaluate"
        )
    longest_tokens = int(max(tok([r.sequence for r in train], return_length=True)["length"]))
    max_length = min(cfg.max_length or longest_tokens, longest_tokens, model_limit)
    if cfg.max_length and cfg.max_length > longest_tokens:  # recorded as trained on, it was every later default window
        log.info(
            "max_length (--max-length) %d is more than the longest training sequence (%d tokens): trained, and "
            "predicting by default, at %d",
            cfg.max_length,
            longest_tokens,
            max_length,
        )
    if cfg.lora:
        model = with_lora(
            model, r=cfg.lora_r, alpha=cfg.lora_alpha, dropout=cfg.lora_dropout, per_base=run.task.per_base
        )
    layers = _output_layers(run, model, tok, max_length) if run.labels.scale is not None else ()
    if layers and _head_in_label_units(run):  # they were folded into label units when that model was saved
        mean, sd = run.labels.scale
        for layer in layers:  # back to this run's standardised units: saving folds them in again
            scale_output(layer, 1 / sd, -mean / sd)
    train_ds, train_trunc = to_dataset(train, tok, run.labels, max_length)
    dev_ds, dev_trunc = to_dataset(run.dev, tok, run.labels, max_length)
    for name, n in (("training", train_trunc), ("validation", dev_trunc)):
        if n and (said := ("truncated", name, n, max_length)) not in run.said:
            run.said.add(said)
            log.warning(
                "%d %s sequences are longer than max_length=%d tokens and were truncated for training; "
                "predict/evaluate score long sequences with sliding windows instead",
                n,
                name,
                max_length,
            )
    loss_func = run.task.weighted_loss(train_ds.labels, run.labels.num_labels) if cfg.class_weights else None
    return _Built(model, tok, spec, max_length, train_ds, dev_ds, (train_trunc, dev_trunc), loss_func, layers)


def _head_in_label_units(run: _Run) -> bool:
    """The model continues from a fine-tuned numeric model of the same task and number of outputs, so its loaded
    head outputs label units (fine-tuning further scaled them a second time: predictions ~5x too large)."""
    if run.ref is None or run.cfg.from_scratch or not run.ref.has_trained_classifier:
        return False
    config = run.ref.config or {}
    task = config.get("dnalm_task") or config.get("problem_type")
    return task == run.task.name and len(config.get("id2label") or {}) == run.labels.num_labels


def _output_layers(run: _Run, model, tok, max_length: int) -> tuple:
    """The layers that standardised targets are folded back into once trained; where the model has none, its
    targets are trained in label units (said: a model's output starts near 0 +- 1)."""
    inputs = tok(
        [r.sequence for r in run.train[:2]], truncation=True, max_length=max_length, padding=True, return_tensors="pt"
    )
    layers = output_layers(model, {k: inputs[k] for k in ("input_ids", "attention_mask")})
    if not layers:
        log.warning(
            "%s has no output layer that dnalm can rescale: its targets are trained in label units (mean %.4g, "
            "sd %.4g); far from 0 +- 1, standardise them yourself and scale predictions back",
            run.cfg.model,
            *run.labels.scale,
        )
        run.labels = dataclasses.replace(run.labels, scale=None)
    return layers


def _train_candidates(run: _Run):
    """Each candidate architecture of the recipe trained in turn from the same seed; the one with the best validation
    metric is kept, or their average where it validates better still (:func:`_average`). Selection is on validation
    only, scored as the saved model will be used (both strands averaged where ``evaluate`` and ``predict`` average
    them: ``selection_<metric>`` in each candidate's entry, beside its ``best_validation_<metric>`` as trained), and
    :func:`_validates_better` records how far the validation split's noise reaches. Every candidate's result goes
    into ``recipe.json``, its validation history into ``history-candidateN.csv``/``.json`` (the best single one's
    also into ``history.csv``/``.json``)."""
    from transformers import set_seed

    base, results, kept, members = run.recipe, [], None, []
    metric = run.cfg.metric_for_best_model
    for i, config in enumerate(base.candidates):
        set_seed(run.cfg.seed)
        t0 = time.time()
        config = dict(config)
        model = config.pop("model", base.model)  # a candidate may start from another checkpoint
        run.recipe, run.plan, run.history = (
            dataclasses.replace(base, model=model, model_config={**base.model_config, **config}),
            None,
            f"history-candidate{i}.csv",
        )
        run.ref = ModelRef.resolve(model, run.cfg.trust_remote_code)
        built = _build(run)
        trained = _train(run, built)
        single, used = _candidate_outputs(run, built, trained[0])
        score = validation_score(run.task, run.labels, metric, used)
        results.append(
            {
                "model": model,
                "model_config": run.recipe.model_config,
                f"best_validation_{metric}": trained[2].best,
                f"selection_{metric}": score,
                "best_step": trained[2].best_step,
                "steps_run": trained[0].state.global_step,
            }
        )
        log.info(
            "candidate %d (%s %s): best validation %s %s%s (trained in %.0f s)",
            i,
            model,
            config or "as it is",
            metric,
            trained[2].best,
            f", {score:.6g} with both strands averaged" if run.cfg.reverse_complement_average else "",
            time.time() - t0,
        )
        members.append((built, trained, single, used))
        if kept is None or _validates_better(run, (score, used, i), kept, results[-1]):
            kept = (score, used, i)  # the first, unless a later one validates better
    best_single = kept[2]
    averaged = _average(run, members, kept, results)
    built, trained = averaged or members[best_single][:2]
    chosen = len(members) if averaged else best_single
    for i, result in enumerate(results):
        result["chosen"] = i == chosen
    model, model_config = results[best_single]["model"], results[best_single]["model_config"]
    if chosen == len(members):  # the recipe as it was asked for: rerun from dnalm_config.yaml, it trains them all again
        model, model_config = base.model, base.model_config
    run.recipe = dataclasses.replace(base, model=model, model_config=model_config, candidates=results)
    run.ref = ModelRef.resolve(model, run.cfg.trust_remote_code)
    run.cfg = dataclasses.replace(run.cfg, model=model, model_config=model_config)  # dnalm_config.yaml: the kept one
    log.info("kept %s, chosen on validation", _candidate_name(results[chosen], chosen))
    if distributed.is_main():
        for suffix in (".csv", ".json"):
            shutil.copyfile(run.output / f"history-candidate{best_single}{suffix}", run.output / f"history{suffix}")
        run.recipe.save(run.output / "recipe.json")
    return built, trained


def _candidate_outputs(run: _Run, built: _Built, trainer) -> tuple[tuple, tuple]:
    """A trained candidate's validation outputs as trained (one strand) and as its folder will be used: both
    strands averaged record by record where ``reverse_complement_average`` says ``evaluate``/``predict`` do so
    (an attention layer's learned positions read the two strands differently), else the same."""
    single = validation_outputs(trainer, built.dev_ds)
    if not run.cfg.reverse_complement_average:
        return single, single
    flipped = [dataclasses.replace(r, sequence=reverse_complement(r.sequence)) for r in run.dev]
    other = validation_outputs(trainer, to_dataset(flipped, built.tokenizer, run.labels, built.max_length)[0])
    return single, averaged_outputs(run.task, [single, other])


def _candidate_name(result: dict, i: int) -> str:
    if "members" in result:
        return "the average of candidates " + ", ".join(map(str, result["members"]))
    return f"candidate {i} ({result['model']} {result['model_config'] or 'as it is'})"


def _average(run: _Run, members: list, kept: tuple, results: list) -> tuple[_Built, tuple] | None:
    """The candidates averaged as one model (:class:`~dnalm.models.ensemble.EnsembleForSequenceClassification`: the
    mean of their class probabilities), scored on validation from their outputs (the mean of theirs is its own);
    it takes the kept candidate's place (its trainer, for the final validation and the save) when it validates
    better (:func:`_validates_better`), else None. Its entry in ``results`` lists the ``members``. Not for LoRA
    adapters (each candidate has its own)."""
    from dnalm.models.ensemble import EnsembleForSequenceClassification

    if run.cfg.lora:
        return None
    metric = run.cfg.metric_for_best_model
    single, used = (averaged_outputs(run.task, [m[j] for m in members]) for j in (2, 3))
    score = validation_score(run.task, run.labels, metric, used)
    entry = {"model": "average", "members": list(range(len(members)))}
    entry |= {f"best_validation_{metric}": validation_score(run.task, run.labels, metric, single)}
    results.append(entry | {f"selection_{metric}": score})
    log.info("the average of the %d candidates: validation %s %.6g", len(members), metric, score)
    if not _validates_better(run, (score, used, len(members)), kept, results[-1]):
        return None
    shortest = min((m[0] for m in members), key=lambda b: b.max_length)  # the window every member takes
    trained = members[kept[2]][1]
    trained[0].model = trained[0].model_wrapped = EnsembleForSequenceClassification.of([m[1][0].model for m in members])
    trained[0].eval_dataset = shortest.dev_ds
    trained[2].best = entry[f"best_validation_{metric}"]  # the summary's best validation: the saved model's
    layers = tuple(layer for m in members for layer in m[0].output_layers)  # each member's, scaled when saved
    return dataclasses.replace(shortest, model=trained[0].model, output_layers=layers), trained


def _validates_better(run: _Run, new: tuple, kept: tuple, result: dict) -> bool:
    """Whether a candidate (``new``: its best validation score, validation outputs and index) replaces the one kept:
    when its score is better. How much a draw of the validation split could move that difference, one standard error
    of the paired difference on the validation records (:func:`~dnalm.finetune.trainer.selection_noise`), is
    recorded in the candidate's ``recipe.json`` entry and said when the gain is within it. (Keeping the first unless
    the gain exceeded it cost 0.009 test MCC on GUE prom_core_tata seed 2, where it kept the CNN: the rule stayed.)"""
    metric = run.cfg.metric_for_best_model
    if new[0] is None or kept[0] is None:
        return kept[0] is None and new[0] is not None
    gain = new[0] - kept[0] if run.task.greater_is_better(metric) else kept[0] - new[0]
    noise = selection_noise(run.task, run.labels, metric, kept[1], new[1], run.cfg.seed)
    result["validation_standard_error"] = noise
    if abs(gain) <= noise:
        names = f"candidate {kept[2]}", "their average" if "members" in result else f"candidate {new[2]}"
        log.info(
            "%s and %s differ by %.4g in validation %s, within one standard error of the paired difference "
            "on the validation records (%.4g): %s is kept, and another draw of the validation split could reverse it",
            *names,
            abs(gain),
            metric,
            noise,
            names[gain > 0],
        )
    return gain > 0


def _schedule(run: _Run, built: _Built) -> tuple[int, int, float | None, str | None]:
    """Steps, steps between validations, the budget's deadline and its note: planned from the settings,
    capped by ``time_budget`` when it is set, or the plan a resumed run made."""
    cfg = run.cfg
    steps_per_epoch = math.ceil(len(built.train_ds) / (cfg.batch_size * cfg.gradient_accumulation_steps))
    total_steps = max(1, round(cfg.epochs * steps_per_epoch))
    if not run.plan and abs(total_steps / steps_per_epoch - cfg.epochs) > 0.01 * cfg.epochs:  # whole steps only
        off = abs(total_steps / steps_per_epoch - cfg.epochs) > 0.1 * cfg.epochs  # 0.001 epochs ran 0.333: a warning
        log.log(
            logging.WARNING if off else logging.INFO,
            "%g epochs of %d sequences in batches of %d is %d step(s), %.4g epochs: training that",
            cfg.epochs,
            len(built.train_ds),
            cfg.batch_size * cfg.gradient_accumulation_steps,
            total_steps,
            total_steps / steps_per_epoch,
        )
    run.requested = {"steps_requested": total_steps, "epochs_requested": cfg.epochs}  # before a budget plans fewer
    eval_steps = max(1, round(steps_per_epoch / cfg.evals_per_epoch))
    note = deadline = expected_s = None
    elapsed_before = run.saved_state["elapsed_s"] if run.saved_state else 0.0
    if run.plan:  # a resumed run keeps the plan it made (the schedule depends on it); its budget counts time spent
        total_steps, eval_steps, note = run.plan["total_steps"], run.plan["eval_steps"], run.plan["note"]
        if cfg.time_budget:
            deadline = run.t0 + cfg.time_budget - elapsed_before - run.plan["finish_s"]
    elif cfg.time_budget:  # every process times its own steps; all follow the main process's plan
        probe = _speed_probe(cfg, built)
        total_steps, eval_steps, deadline, note = distributed.broadcast(
            fit_budget(probe, cfg.time_budget, run.t0, total_steps, eval_steps)
        )
    elif distributed.is_main():  # no budget: the plan stands; a short timing only says how long it should take
        expected_s = expected_duration(_speed_probe(cfg, built), total_steps, eval_steps)
    run.expected_s = expected_s
    if cfg.time_budget:
        run.cfg = dataclasses.replace(cfg, epochs=round(total_steps / steps_per_epoch, 4))
    if not run.plan:
        finish_s = deadline and (run.t0 + cfg.time_budget - deadline)
        run.plan = {"total_steps": total_steps, "eval_steps": eval_steps, "note": note, "finish_s": finish_s}
        if distributed.is_main():
            write_json(run.output / _RUN_FILE, {**run.identity, "plan": run.plan})
    return total_steps, eval_steps, deadline, note


def _speed_probe(cfg: FinetuneConfig, built: _Built):
    """How fast this model trains here, with the settings' batch sizes (per process) and precision."""
    return speed_probe(
        built.model,
        built.train_ds,
        built.dev_ds,
        built.loss_func,
        batch_size=cfg.batch_size // distributed.world_size(),
        eval_batch_size=cfg.eval_batch_size,
        precision=cfg.precision,
    )


def _callbacks(run: _Run, built: _Built, eval_steps: int, deadline: float | None):
    """History, selection on validation, the budget's deadline, the weight average and checkpoints."""
    from dnalm.runtime.callbacks import BestModel, Checkpoints, History, TimeBudget, WeightAverage

    cfg = run.cfg
    steps_per_epoch = math.ceil(len(built.train_ds) / (cfg.batch_size * cfg.gradient_accumulation_steps))
    greater = run.task.greater_is_better(cfg.metric_for_best_model)
    patience = cfg.early_stopping_patience and math.ceil(cfg.early_stopping_patience * steps_per_epoch / eval_steps)
    if cfg.early_stopping_patience and cfg.early_stopping_patience >= cfg.epochs:  # it was recorded, never able to act
        log.info(
            "early stopping cannot end this run: its patience (%g epochs) is as long as the run (%g epochs)",
            cfg.early_stopping_patience,
            cfg.epochs,
        )
    best = BestModel(
        cfg.metric_for_best_model, greater, patience or None, anneal_steps=round(cfg.anneal_epochs * steps_per_epoch)
    )
    history = History(run.output / run.history)
    budget = [TimeBudget(deadline, planned_eval_s(run.plan["finish_s"]))] if deadline is not None else []
    callbacks = [history, best, *budget]
    average = WeightAverage(built.model, cfg.ema_decay) if cfg.ema_decay else None
    if average is not None:
        callbacks.insert(0, average)  # update the average before validation reads it
    parts = {"best": best, "history": history} | ({"average": average} if average is not None else {})
    if run.saved_state:
        for name, part in parts.items():
            part.load_resume_state(run.saved_state[name])
    # candidates trained in turn are not resumable (--resume starts them afresh), so they write no checkpoints: one
    # candidate's, numbered by its own steps, would also be rotated away by another's (save_total_limit)
    candidates = run.recipe is not None and len(run.recipe.candidates) > 1
    if cfg.checkpoint_interval is not None and not candidates:
        elapsed = run.saved_state["elapsed_s"] if run.saved_state else 0.0
        callbacks.append(Checkpoints(parts, cfg.checkpoint_interval, started=run.t0, elapsed_before=elapsed))
    return callbacks, best, average


def _train(run: _Run, built: _Built):
    """Train with selection on validation; the best validation point is restored and validated again."""
    from transformers import PrinterCallback, ProgressCallback

    from dnalm.runtime.callbacks import QuietProgress, own_rotation

    cfg = run.cfg
    compute_metrics = compute_metrics_for(run.task, run.labels)
    total_steps, eval_steps, deadline, note = _schedule(run, built)
    args = training_arguments(cfg, run.output, total_steps, eval_steps)
    callbacks, best, average = _callbacks(run, built, eval_steps, deadline)
    callbacks += filter(None, [own_rotation(args)])  # after Checkpoints, which completes a checkpoint
    trainer = trainer_class()(
        model=built.model,
        args=args,
        train_dataset=built.train_ds,
        eval_dataset=built.dev_ds,
        data_collator=partial(collate_batch, built.tokenizer),
        compute_metrics=compute_metrics,
        compute_loss_func=built.loss_func,
        callbacks=callbacks,
    )
    trainer.weight_average = average
    for default in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(default)
    if not args.disable_tqdm:
        trainer.add_callback(QuietProgress())
    with frozen_gc():  # full collections would walk every object of torch and transformers, several times a run
        train_out = trainer.train(resume_from_checkpoint=str(run.checkpoint) if run.checkpoint else None)
    trainer.weight_average = None
    best.restore(trainer.model)
    check_finite_weights(trainer.model, train_out.training_loss)
    return trainer, train_out, best, note


def _save(run: _Run, built: _Built, trainer, train_out, best, note) -> dict:
    """Validate the restored model, write the folder (model, tokenizer, settings, summary), put it in place."""
    val = trainer.evaluate()
    cfg, output = run.cfg, run.output
    for layer in built.output_layers:  # trained on standardised targets: the saved model predicts label units
        scale_output(layer, run.labels.scale[1], run.labels.scale[0])
    lora_note = _save_lora(trainer, output, run.final) if cfg.lora else None
    trainer.model.config.dnalm_reverse_complement_average = bool(cfg.reverse_complement_average)
    trainer.model.config.dnalm_train_max_tokens = int(built.max_length)  # predict's default window
    if not built.truncated[0]:  # in bases too: what a window is where tokens vary in length (BPE, non-overlapping)
        trainer.model.config.dnalm_train_max_bases = max(len(r.sequence) for r in run.train)
    trainer.save_model(str(output))  # the Trainer writes from the main process only
    if cfg.self_pretrain:  # where the self-pretrained encoder will be once the folder is in place
        run.cfg = cfg = dataclasses.replace(cfg, model=str(run.final / Path(cfg.model).relative_to(output)))
        if run.recipe is not None and distributed.is_main():
            dataclasses.replace(run.recipe, model=cfg.model).save(output / "recipe.json")
    if distributed.is_main():
        built.tokenizer.save_pretrained(output)
        cfg.save(output / "dnalm_config.yaml", overwrite=True)  # a resumed run's folder holds the first one
        _remove_checkpoints(output / "checkpoints")
    summary = _summary(run, built, trainer, train_out, best, note) | {"validation_metrics": val, "lora": lora_note}
    if distributed.is_main():
        write_json(output / "training_summary.json", summary)
        write_finetune_card(output, summary, run.data)
        with interrupts_deferred():  # a Ctrl-C part-way left a folder of two runs' files
            install_folder(output, run.final)
    distributed.barrier()  # every process returns once the model folder is in place
    return summary


def _remove_checkpoints(folder: Path) -> None:
    """The Trainer's checkpoints, no longer needed once the model is saved; a file of the user's put beside them
    stays (the folder with it)."""
    for checkpoint in folder.glob("checkpoint-*") if folder.is_dir() and not folder.is_symlink() else ():
        if checkpoint.is_dir() and not checkpoint.is_symlink():
            shutil.rmtree(checkpoint)
    if folder.is_dir() and not folder.is_symlink():
        if left := sorted(p.name for p in folder.iterdir()):
            log.info("%s: kept %s, not the Trainer's checkpoints", shown(folder), ", ".join(left[:5]))
        else:
            folder.rmdir()


def _save_lora(trainer, output: Path, final: Path) -> dict:
    """The adapters the peft way (``adapter/``, written into ``output``, which becomes ``final``); the trainer's
    model becomes the merged plain model."""
    trainable, total = trainer.model.get_nb_trainable_parameters()
    if distributed.is_main():
        trainer.model.save_pretrained(str(output / "adapter"))
    log.info(
        "LoRA: %d of %d parameters trained (%.2f%%); adapters saved in %s",
        trainable,
        total,
        100 * trainable / total,
        final / "adapter",  # where they will be once the folder is in place (not the .partial folder)
    )
    trainer.model = trainer.model.merge_and_unload()
    return {
        "trainable_parameters": int(trainable),
        "all_parameters": int(total),
        "adapter": "adapter/ (peft: PeftModel.from_pretrained(base, 'adapter'))",
    }


def _summary(run: _Run, built: _Built, trainer, train_out, best, note) -> dict:
    cfg = run.cfg
    return {
        "model": cfg.model,
        "problem_type": run.task.name,  # (the card and dnalm_config.yaml had it; the summary did not)
        "recipe": run.recipe is not None,
        "model_config": {**(run.recipe.model_config if run.recipe else {}), **cfg.model_config},
        "candidates": (run.recipe.candidates or None) if run.recipe else None,  # each one's validation result
        "from_scratch": cfg.from_scratch or built.spec is not None,
        "validation": run.val_note,
        "n_train": len(run.train),
        "n_validation": len(run.dev),
        "labels": list(run.labels.names),
        # whose precision, recall, F1, AUROC and AUPRC the validation metrics are (evaluate's and scan's class too)
        "positive_label": (
            run.labels.names[positive_index(run.labels.names)]
            if run.task.exclusive and len(run.labels.names) == 2
            else None
        ),
        "target_standardisation": (
            {"mean": run.labels.scale[0], "sd": run.labels.scale[1], "loss": "in standardised units"}
            if run.labels.scale
            else None
        ),
        "max_length": built.max_length,
        "n_truncated_train": built.truncated[0],
        "n_truncated_validation": built.truncated[1],
        "learning_rate": cfg.learning_rate,
        "batch_size": cfg.batch_size,
        "seed": cfg.seed,
        "epochs_run": trainer.state.epoch,
        "steps_run": trainer.state.global_step,
        "steps_planned": run.plan["total_steps"],
        **run.requested,
        "time_budget_s": cfg.time_budget,
        "time_budget_note": note,
        "time_budget_bound": budget_bound(note, trainer.callback_handler.callbacks),
        "expected_training_s": run.expected_s,
        "best_checkpoint_metric": cfg.metric_for_best_model,
        "best_validation_metric": best.best,
        "best_step": best.best_step,
        "best_epoch": best.best_epoch,
        "annealed_from_step": best.anneal[0] if best.anneal else None,
        **_train_loss(train_out, trainer, run.checkpoint),
        "parameters": sum(p.numel() for p in trainer.model.parameters()),
        "reverse_complement_average": bool(cfg.reverse_complement_average),
        "ema_decay": cfg.ema_decay,
        "precision": cfg.precision,
        "wall_time_s": round(time.time() - run.t0 + (run.saved_state["elapsed_s"] if run.saved_state else 0.0), 1),
        "resumed_from": run.checkpoint.name if run.checkpoint else None,
        "device": str(trainer.args.device),
        "processes": distributed.world_size(),
        "versions": versions(),
    }


def _train_loss(train_out, trainer, checkpoint: Path | None) -> dict:
    """The mean training loss, and of which steps: a resumed run's is the mean of the steps it trained after
    ``--resume`` (the Trainer knows no others), which read as the whole run's (0.142 where the uninterrupted run
    had 0.430: the later steps' losses are lower)."""
    if checkpoint is None:
        return {"train_loss": train_out.training_loss}
    start, end = int(checkpoint.name.rsplit("-", 1)[1]), trainer.state.global_step
    return {"train_loss": train_out.training_loss, "train_loss_steps": f"{start + 1}-{end} (those after --resume)"}


def _start_afresh(final: Path, *, overwrite: bool) -> Path:
    """A resumed run that starts again from step 0 (no checkpoint to continue from, or candidates): the stopped
    run's staging folder emptied of what it wrote; the user's files there stay (it was removed whole, with a note
    --resume had just said it kept)."""
    staging = _staging_of(final)
    theirs = distributed.broadcast(not_partial(staging, PARTIAL_NAMES) if distributed.is_main() else None)
    if not theirs:
        return _start_folder_once(final, overwrite=overwrite, resume=False, discard=True)
    if distributed.is_main():
        kept = set(theirs) | {t.split("/")[0] for t in theirs}  # (a folder of the run's holding a file of yours)
        for entry in sorted(staging.iterdir()):
            if entry.name == "PARTIAL_RUN.txt" or entry.name in theirs:
                continue
            if entry.name in kept and entry.is_dir() and not entry.is_symlink():
                for child in entry.iterdir():
                    if f"{entry.name}/{child.name}" not in kept:
                        remove_path(child)
            else:
                remove_path(entry)
        log.warning("%s: removed what the stopped run wrote; kept yours: %s", staging, ", ".join(theirs[:5]))
    distributed.barrier()
    return staging


def _start_folder_once(final: Path, *, overwrite: bool, resume: bool, discard: bool | None = None) -> Path:
    """``start_folder`` in the main process only; the others get its answer, or its error."""
    folder, error = None, None
    if distributed.is_main():
        try:
            folder = start_folder(
                final, owned_marker="dnalm_config.yaml", overwrite=overwrite, resume=resume, discard=discard
            )
            if not resume:
                _MADE.add(folder)
        except ValueError as err:
            error = str(err)
    folder, error = distributed.broadcast((folder, error))
    if error:
        raise ValueError(error)
    return folder


_RUN_FILE = "resume.json"  # in OUTPUT.partial: the run's settings, data digest and plan, for --resume
_RESUME_MAY_DIFFER = ("checkpoint_interval",)


def _data_identity(data, classes: dict[str, str] | None) -> dict:
    """Digests of the data files a run reads (for ``--resume`` to check it continues on the same data)."""
    identity = {"data": data_digest(data) if data is not None else None}
    if classes:
        identity["classes"] = {label: data_digest(path) for label, path in sorted(classes.items())}
    return identity


def _resume_point(output: Path, identity: dict):
    """``(checkpoint, its callback state, the run's plan)`` to continue from, or Nones (with a warning)
    when ``output`` holds no resumable checkpoint; a run with other data or settings is refused."""
    from dnalm.runtime.callbacks import last_checkpoint, read_resume_state

    run_file = output / _RUN_FILE
    checkpoint = last_checkpoint(output / "checkpoints")
    if checkpoint is None or not run_file.is_file():
        log.warning(
            "%s: %s holds no resumable checkpoint (one is written at an epoch's end every "
            "checkpoint_interval); starting from step 0",
            flag("resume"),
            output,
        )
        return None, None, None
    saved = json.loads(run_file.read_text())
    diffs = [
        f"{key} was {saved['settings'].get(key)!r}, now {identity['settings'].get(key)!r}"
        for key in sorted(set(saved["settings"]) | set(identity["settings"]))
        if key not in _RESUME_MAY_DIFFER and saved["settings"].get(key) != identity["settings"].get(key)
    ]
    if saved["data"] != identity["data"]:
        diffs.append("the data files differ")
    if diffs:
        raise ValueError(
            f"{output}: {flag('resume')} would continue a run with other settings or data than it started with: "
            f"{'; '.join(diffs)}. Resume with the same data and settings, or pass {flag('overwrite')} instead of "
            f"{flag('resume')} to start again"
        )
    log.info("resuming from %s (step %s)", checkpoint, checkpoint.name.split("-")[1])
    return checkpoint, read_resume_state(checkpoint), saved["plan"]
