"""Fine-tuning around ``transformers.Trainer``: one path for every model.

Selection is on validation only: early stopping watches the validation metric and the
best checkpoint is restored at the end; the test split is never loaded here.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import platform
import shutil
import time
from functools import partial
from pathlib import Path

import numpy as np

from dnalm.finetune.budget import budget_bound, expected_duration, measure_speed
from dnalm.finetune.config import FinetuneConfig
from dnalm.finetune.data import LabelSpace, data_digest, load_splits, to_dataset
from dnalm.finetune.recipe import Recipe, choose_recipe, for_checkpoint, is_recipe_checkpoint
from dnalm.finetune.tasks import IGNORE_INDEX, get_task
from dnalm.io.files import finish_folder, json_ready, start_folder, write_json
from dnalm.models.shipped import finetune_defaults
from dnalm.runtime import distributed
from dnalm.runtime.hardware import frozen_gc, precision_flags, resolve_precision

__all__ = [
    "collate_batch",
    "compute_metrics_for",
    "finetune",
    "measure_speed",
    "resolve_settings",
    "trainer_class",
    "training_arguments",
]

log = logging.getLogger(__name__)


def compute_metrics_for(problem_type: str):
    """A ``compute_metrics`` for Trainer: the task's metrics, floats only (lists such as the confusion
    matrix are dropped)."""
    task = get_task(problem_type)

    def compute(pred) -> dict:
        logits = pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
        out = task.compute_metrics(pred.label_ids, logits)
        return {k: float(v) for k, v in out.items() if isinstance(v, int | float) and not isinstance(v, bool)}

    return compute


def collate_batch(tokenizer, features):
    """A batch from ``TokenizedDataset.__getitems__`` is ready; lists of examples are padded with the
    tokenizer (per-base label lists of unequal length with -100)."""
    import torch

    if isinstance(features, dict):
        return features
    labels = [f["labels"] for f in features] if "labels" in features[0] else None
    ragged = labels is not None and isinstance(labels[0], list) and len({len(y) for y in labels}) > 1
    if ragged:
        features = [{k: v for k, v in f.items() if k != "labels"} for f in features]
    batch = tokenizer.pad(features, padding=True, return_tensors="pt")
    if ragged:
        dtype = torch.float32 if isinstance(labels[0][0], float) else torch.long
        out = torch.full((len(labels), max(map(len, labels))), IGNORE_INDEX, dtype=dtype)
        for i, y in enumerate(labels):
            out[i, : len(y)] = torch.tensor(y)
        batch["labels"] = out
    return batch


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


def resolve_settings(cfg: FinetuneConfig, spec, recipe: Recipe | None) -> FinetuneConfig:
    """The settings actually used: the user's, else the recipe's (model "auto"), else the preset's
    defaults. A pure function; the result is what ``dnalm_config.yaml`` records."""
    values = {}
    recorded = finetune_defaults(cfg.model) if spec is None and recipe is None else {}  # a checkpoint's own
    for key, default in _PRESET_DEFAULTS.items():
        values[key] = getattr(cfg, key)
        if values[key] is None:
            values[key] = getattr(recipe, key) if recipe else recorded.get(key, default)
    if cfg.learning_rate is None:
        values["learning_rate"] = (
            recipe.learning_rate if recipe else (spec.learning_rate if spec else recorded.get("learning_rate", 5e-5))
        )
    if cfg.batch_size is None:
        values["batch_size"] = (
            recipe.batch_size if recipe else (spec.batch_size if spec else recorded.get("batch_size", 32))
        )
    if recipe is not None:
        values["model"] = recipe.model
        if cfg.metric_for_best_model is None:
            values["metric_for_best_model"] = recipe.metric_for_best_model
        if cfg.time_budget is None:
            values["time_budget"] = recipe.time_budget_s
    if values.get("metric_for_best_model", cfg.metric_for_best_model) is None:
        values["metric_for_best_model"] = get_task(cfg.problem_type).default_metric
    return dataclasses.replace(cfg, **values)


MAX_FIXED_INPUT = 4096  # tokens: the most a fixed-input model (the GB CNN) is built for


def fixed_input_length(lengths) -> int:
    """Tokens a fixed-input model (the GB CNN, whose size grows with its input) is built for: the
    longest training sequence (+ [CLS]/[SEP]), unless that is an outlier more than twice the 99th
    percentile, and never more than ``MAX_FIXED_INPUT``. Longer sequences are truncated for training
    (counted in the log) and scored by sliding windows at prediction; what was done is logged.

    >>> fixed_input_length([100] * 500 + [120]), fixed_input_length([100] * 500 + [5000])
    (122, 102)
    """
    lengths = np.asarray(lengths)
    longest, typical = int(lengths.max()), int(np.ceil(np.percentile(lengths, 99)))
    chosen = typical if longest > 2 * typical else longest
    chosen = min(chosen, MAX_FIXED_INPUT - 2)
    if chosen < longest:
        log.info(
            "a fixed-input model is built for %d-base input (longest training sequence %d, 99th percentile "
            "%d, at most %d tokens): %d longer training sequences are truncated for training, and predict "
            "scores long sequences in windows",
            chosen,
            longest,
            typical,
            MAX_FIXED_INPUT,
            int((lengths > chosen).sum()),
        )
    return chosen + 2


def training_arguments(cfg: FinetuneConfig, output: Path, total_steps: int, eval_steps: int):
    """``TrainingArguments`` for resolved settings; ``cfg.trainer`` is merged over dnalm's own."""
    from transformers import TrainingArguments

    from dnalm.runtime.callbacks import progress_bars

    ours = dict(
        output_dir=str(output / "checkpoints"),
        max_steps=total_steps,
        learning_rate=cfg.learning_rate,
        per_device_train_batch_size=cfg.batch_size // distributed.world_size(),  # batch_size: all processes' batch
        per_device_eval_batch_size=cfg.eval_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        warmup_steps=cfg.warmup_ratio,  # transformers 5: a float in [0, 1) is a fraction of the steps
        lr_scheduler_type=cfg.lr_scheduler,
        eval_strategy="steps",
        eval_steps=eval_steps,
        save_strategy="no",  # the Checkpoints callback asks for resumable checkpoints at epoch ends
        save_total_limit=2,
        logging_strategy="steps",
        logging_steps=min(cfg.logging_steps, eval_steps),
        disable_tqdm=not progress_bars(),
        seed=cfg.seed,
        data_seed=cfg.seed,
        report_to="tensorboard" if _has_tensorboard() else "none",
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
        dataloader_drop_last=False,
        remove_unused_columns=False,
        **precision_flags(cfg.precision),
    )
    return TrainingArguments(**{**ours, **cfg.trainer})


def trainer_class():
    """``transformers.Trainer`` whose validation reads the weight average when one is kept."""
    from transformers import Trainer

    class DnalmTrainer(Trainer):
        """Trainer that validates the weight average (when there is one) instead of the live weights."""

        weight_average = None

        def evaluate(self, *args, **kwargs):
            if self.weight_average is None:
                return super().evaluate(*args, **kwargs)
            self.weight_average.swap(self.model)
            try:
                return super().evaluate(*args, **kwargs)
            finally:
                self.weight_average.swap(self.model)

    return DnalmTrainer


def finetune(
    cfg: FinetuneConfig,
    data: str | Path | None,
    output: str | Path,
    *,
    classes: dict[str, str] | None = None,
    overwrite: bool = False,
    resume: bool = False,
) -> dict:
    """Fine-tune ``cfg.model`` on DATA and save a model folder that ``from_pretrained`` loads.

    With ``model="auto"`` (the default) the recipe of ``dnalm.finetune.recipe`` chooses the model and
    settings from the data; it is printed and saved as ``recipe.json``. Returns a summary dict
    (also written to ``OUTPUT/training_summary.json``).

    The run writes into ``OUTPUT.partial`` and replaces ``OUTPUT`` only when complete, so a killed
    run leaves the previous model intact. A non-empty ``OUTPUT`` that is not a dnalm model folder
    is refused unless ``overwrite``. With ``resume``, an interrupted run in ``OUTPUT.partial``
    continues from its last checkpoint (``cfg.checkpoint_interval``) with the plan it made, and
    gives the model the uninterrupted run would have given; other data or settings are refused.
    """
    from transformers import set_seed

    from dnalm.models.build import build_model, model_max_tokens, resolve_spec
    from dnalm.runtime.callbacks import BestModel, Checkpoints, History, QuietProgress, TimeBudget, WeightAverage

    t0 = time.time()
    if cfg.model != "auto":
        resolve_spec(cfg.model)  # a mistyped model name or folder fails now, before any data is read
    if resume and cfg.self_pretrain:
        raise ValueError("--resume does not continue self-pretraining; run without --resume to start again")
    distributed.start()
    processes = distributed.world_size()
    if processes > 1 and cfg.self_pretrain:
        raise ValueError("self-pretraining runs in one process; run it without torchrun/accelerate launch")
    final = Path(output).absolute()
    output = _start_folder_once(final, overwrite=overwrite, resume=resume)
    set_seed(cfg.seed)
    task = get_task(cfg.problem_type)
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
    labels = LabelSpace.from_records(train, cfg.problem_type)
    log.info("%s; %d train, %d validation sequences", val_note, len(train), len(dev))
    recipe = None
    if cfg.self_pretrain:
        from dnalm.lm.pretrain import RECIPES, self_pretrain

        budget = cfg.self_pretrain_budget or (cfg.time_budget / 2 if cfg.time_budget else None)  # None: fixed steps
        settings = {}
        if cfg.model == "auto":  # the recipe's CNN fills in masked bases first, then fine-tunes as the recipe says
            cnn = RECIPES["pos-cnn-cpu"]
            epochs = choose_recipe(len(train), [len(r.sequence) for r in train], labels.num_labels).epochs
            settings = {
                "max_steps": math.ceil(epochs * len(train) / cnn["batch_size"]),  # as many passes as fine-tuning
                **{k: cnn[k] for k in ("batch_size", "learning_rate", "warmup_steps", "lr_scheduler", "weight_decay")},
            }
        log.info(
            "self-pretraining %s on the %d training sequences (never dev or test)%s",
            "the recipe's CNN" if cfg.model == "auto" else cfg.model,
            len(train),
            f" for up to {budget:.0f} s" if budget else "",
        )
        folder = self_pretrain(
            train,
            "pos-cnn" if cfg.model == "auto" else cfg.model,
            output / "self_pretrained",
            time_budget=budget,
            seed=cfg.seed,
            **settings,
        )
        cfg = dataclasses.replace(cfg, model=str(folder))
    recipe_checkpoint = cfg.model != "auto" and is_recipe_checkpoint(cfg.model)
    if cfg.model == "auto" or recipe_checkpoint:
        if task.per_base:
            raise ValueError(
                "the default recipe (model 'auto') classifies whole sequences; per-base labels need "
                "a k-mer or single-base BERT, e.g. --model tiny"
            )
        recipe = choose_recipe(
            len(train),
            [len(r.sequence) for r in train],
            labels.num_labels,
            cfg.problem_type,
            cfg.time_budget,  # recorded only: the plan is the data's, an explicit budget caps it below
            # the user's architecture values (e.g. channels) are not the pretrained checkpoint's
            from_scratch=cfg.from_scratch or bool(cfg.model_config),
        )
        if recipe_checkpoint:  # e.g. the CNN that `dnalm pretrain --model pos-cnn-cpu` wrote: its weights, our settings
            recipe = for_checkpoint(recipe, cfg.model)
        log.info(recipe.describe())
    spec = resolve_spec(recipe.model if recipe else cfg.model)
    cfg = resolve_settings(cfg, spec, recipe)
    if cfg.batch_size % processes:
        raise ValueError(
            f"the training batch ({cfg.batch_size}) is split over the {processes} processes and must be a multiple of "
            "their number; choose --batch-size accordingly"
        )
    cfg = dataclasses.replace(cfg, precision=resolve_precision(cfg.precision))  # "auto" -> what this machine uses
    log.info(
        "training precision: %s%s",
        cfg.precision,
        " (autocast; weights and optimizer state in fp32)" if cfg.precision != "fp32" else "",
    )
    identity = {"settings": json_ready(cfg.to_dict()), "data": _data_identity(data, classes)}
    checkpoint, saved_state, plan = _resume_point(output, identity) if resume else (None, None, None)
    if resume and checkpoint is None:  # nothing to continue: start afresh, without what the stopped run left
        output = _start_folder_once(final, overwrite=overwrite, resume=False)
    if recipe is not None and distributed.is_main():
        recipe.save(output / "recipe.json")
    model, tok, spec = build_model(
        cfg.model,
        num_labels=labels.num_labels,
        id2label=labels.id2label,
        problem_type=cfg.problem_type,
        train_sequences=[r.sequence for r in train],
        input_length=fixed_input_length([len(r.sequence) for r in train]),
        from_scratch=cfg.from_scratch,
        trust_remote_code=cfg.trust_remote_code,
        seed=cfg.seed,
        config_overrides={**(recipe.model_config if recipe else {}), **cfg.model_config} or None,
    )
    model_limit = tok.model_max_length = model_max_tokens(model, tok)
    longest_tokens = int(max(tok([r.sequence for r in train], return_length=True)["length"]))
    if cfg.max_length and cfg.max_length > model_limit:
        raise ValueError(
            f"max_length={cfg.max_length} tokens is more than {cfg.model} takes ({model_limit}); "
            "longer sequences are scored with sliding windows by predict/evaluate"
        )
    max_length = min(cfg.max_length or longest_tokens, model_limit)
    train_ds, train_trunc = to_dataset(train, tok, labels, max_length)
    dev_ds, dev_trunc = to_dataset(dev, tok, labels, max_length)
    for name, n in (("training", train_trunc), ("validation", dev_trunc)):
        if n:
            log.warning(
                "%d %s sequences are longer than max_length=%d tokens and were truncated for training; "
                "predict/evaluate score long sequences with sliding windows instead",
                n,
                name,
                max_length,
            )
    if cfg.lora:
        model = _with_lora(model, cfg)
    loss_func = task.weighted_loss(train_ds.labels, labels.num_labels) if cfg.class_weights else None
    if cfg.class_weights and loss_func is None:
        log.warning("class weights do not apply to %s; the loss is unweighted", task.name)
    steps_per_epoch = math.ceil(len(train_ds) / (cfg.batch_size * cfg.gradient_accumulation_steps))
    total_steps = max(1, round(cfg.epochs * steps_per_epoch))
    eval_steps = max(1, round(steps_per_epoch / cfg.evals_per_epoch))
    budget_note = expected_s = None
    deadline = None
    elapsed_before = saved_state["elapsed_s"] if saved_state else 0.0
    if plan:  # a resumed run keeps the plan it made (the schedule depends on it), and its budget counts the time spent
        total_steps, eval_steps, budget_note = plan["total_steps"], plan["eval_steps"], plan["note"]
        if cfg.time_budget:
            deadline = t0 + cfg.time_budget - elapsed_before - plan["finish_s"]
    elif cfg.time_budget:  # every process times its own steps; all follow the main process's plan
        total_steps, eval_steps, deadline, budget_note = distributed.broadcast(
            _fit_budget(cfg, model, train_ds, dev_ds, loss_func, t0, total_steps, eval_steps)
        )
    elif distributed.is_main():  # no budget: the plan stands; a short timing only says how long it should take
        expected_s = expected_duration(cfg, model, train_ds, dev_ds, loss_func, total_steps, eval_steps)
    if cfg.time_budget:
        cfg = dataclasses.replace(cfg, epochs=round(total_steps / steps_per_epoch, 4))
    if not plan:
        finish_s = deadline and (t0 + cfg.time_budget - deadline)
        plan = {"total_steps": total_steps, "eval_steps": eval_steps, "note": budget_note, "finish_s": finish_s}
        if distributed.is_main():
            write_json(output / _RUN_FILE, {**identity, "plan": plan})
    args = training_arguments(cfg, output, total_steps, eval_steps)
    greater = task.greater_is_better(cfg.metric_for_best_model)
    patience = (
        None
        if not cfg.early_stopping_patience
        else math.ceil(cfg.early_stopping_patience * steps_per_epoch / eval_steps)
    )
    best = BestModel(
        cfg.metric_for_best_model, greater, patience, anneal_steps=round(cfg.anneal_epochs * steps_per_epoch)
    )
    history = History(output / "history.csv")
    callbacks = [history, best]
    if deadline is not None:
        callbacks.append(TimeBudget(deadline))
    average = WeightAverage(model, cfg.ema_decay) if cfg.ema_decay else None
    if average is not None:
        callbacks.insert(0, average)  # update the average before validation reads it
    parts = {"best": best, "history": history} | ({"average": average} if average is not None else {})
    if saved_state:
        for name, part in parts.items():
            part.load_resume_state(saved_state[name])
    if cfg.checkpoint_interval is not None:
        callbacks.append(Checkpoints(parts, cfg.checkpoint_interval, started=t0, elapsed_before=elapsed_before))
    trainer = trainer_class()(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=dev_ds,
        data_collator=partial(collate_batch, tok),
        compute_metrics=compute_metrics_for(cfg.problem_type),
        compute_loss_func=loss_func,
        callbacks=callbacks,
    )
    trainer.weight_average = average
    from transformers import PrinterCallback, ProgressCallback

    for default in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(default)
    if not args.disable_tqdm:
        trainer.add_callback(QuietProgress())
    with frozen_gc():  # full collections would walk every object of torch and transformers, several times a run
        train_out = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    trainer.weight_average = None
    best.restore(trainer.model)
    val = trainer.evaluate()
    lora_note = None
    if cfg.lora:  # the adapters the peft way (adapter/), and the merged plain model in the folder itself
        trainable, total = trainer.model.get_nb_trainable_parameters()
        if distributed.is_main():
            trainer.model.save_pretrained(str(output / "adapter"))
        lora_note = {
            "trainable_parameters": int(trainable),
            "all_parameters": int(total),
            "adapter": "adapter/ (peft: PeftModel.from_pretrained(base, 'adapter'))",
        }
        log.info(
            "LoRA: %d of %d parameters trained (%.2f%%); adapters saved in %s",
            trainable,
            total,
            100 * trainable / total,
            output / "adapter",
        )
        trainer.model = trainer.model.merge_and_unload()
    trainer.model.config.dnalm_reverse_complement_average = bool(cfg.reverse_complement_average)
    trainer.model.config.dnalm_train_max_tokens = int(max_length)  # predict's default window: what it was trained on
    trainer.save_model(str(output))  # the Trainer writes from the main process only
    if cfg.self_pretrain:  # where the self-pretrained encoder will be once the folder is in place
        cfg = dataclasses.replace(cfg, model=str(final / Path(cfg.model).relative_to(output)))
        if recipe is not None and distributed.is_main():
            dataclasses.replace(recipe, model=cfg.model).save(output / "recipe.json")
    if distributed.is_main():
        tok.save_pretrained(output)
        cfg.save(output / "dnalm_config.yaml")
        shutil.rmtree(output / "checkpoints", ignore_errors=True)
    summary = {
        "model": cfg.model,
        "recipe": recipe is not None,
        "from_scratch": cfg.from_scratch or spec is not None,
        "validation": val_note,
        "n_train": len(train),
        "n_validation": len(dev),
        "labels": list(labels.names),
        "max_length": max_length,
        "n_truncated_train": train_trunc,
        "n_truncated_validation": dev_trunc,
        "learning_rate": cfg.learning_rate,
        "batch_size": cfg.batch_size,
        "seed": cfg.seed,
        "epochs_run": trainer.state.epoch,
        "steps_run": trainer.state.global_step,
        "steps_planned": total_steps,
        "time_budget_s": cfg.time_budget,
        "time_budget_note": budget_note,
        "time_budget_bound": budget_bound(budget_note, callbacks),
        "expected_training_s": expected_s,
        "best_checkpoint_metric": cfg.metric_for_best_model,
        "best_validation_metric": best.best,
        "best_step": best.best_step,
        "best_epoch": best.best_epoch,
        "annealed_from_step": best.anneal[0] if best.anneal else None,
        "validation_metrics": val,
        "train_loss": train_out.training_loss,
        "parameters": sum(p.numel() for p in trainer.model.parameters()),
        "reverse_complement_average": bool(cfg.reverse_complement_average),
        "ema_decay": cfg.ema_decay,
        "precision": cfg.precision,
        "lora": lora_note,
        "wall_time_s": round(time.time() - t0 + elapsed_before, 1),
        "resumed_from": checkpoint.name if checkpoint else None,
        "device": str(trainer.args.device),
        "processes": processes,
        "versions": _versions(),
    }
    if distributed.is_main():
        write_json(output / "training_summary.json", summary)
        finish_folder(output, final)
    distributed.barrier()  # every process returns once the model folder is in place
    return summary


def _start_folder_once(final: Path, *, overwrite: bool, resume: bool) -> Path:
    """``start_folder`` in the main process only; the others get its answer, or its error."""
    folder, error = None, None
    if distributed.is_main():
        try:
            folder = start_folder(final, owned_marker="dnalm_config.yaml", overwrite=overwrite, resume=resume)
        except ValueError as err:
            error = str(err)
    folder, error = distributed.broadcast((folder, error))
    if error:
        raise ValueError(error)
    return folder


_RUN_FILE = "resume.json"  # in OUTPUT.partial: the run's settings, data digest and plan, for --resume


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
            "--resume: %s holds no resumable checkpoint (one is written at an epoch's end every "
            "checkpoint_interval); starting from step 0",
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
            f"{output}: --resume would continue a run with other settings or data than it started with: "
            f"{'; '.join(diffs)}. Resume with the same data and settings, or run without --resume to start again"
        )
    log.info("resuming from %s (step %s)", checkpoint, checkpoint.name.split("-")[1])
    return checkpoint, read_resume_state(checkpoint), saved["plan"]


_RESUME_MAY_DIFFER = ("checkpoint_interval",)


def _fit_budget(cfg, model, train_ds, dev_ds, loss_func, t0: float, total_steps: int, eval_steps: int):
    """Time a few training steps and one validation pass of this model on this machine; train fewer
    steps when the planned ones would not fit in ``cfg.time_budget`` (the schedule is then planned for
    the shorter run, not cut off), and return a hard deadline as a safety net."""
    step_s, eval_s = measure_speed(
        model,
        train_ds,
        dev_ds,
        cfg.batch_size // distributed.world_size(),
        cfg.eval_batch_size,
        loss_func,
        precision=cfg.precision,
    )
    budget = cfg.time_budget
    spent = time.time() - t0
    finish_s = 2 * eval_s + 2.0  # final validation of the restored model, saving
    n_evals = total_steps / eval_steps
    needed = total_steps * step_s + n_evals * eval_s
    available = 0.95 * (budget - spent - finish_s)  # 5% slack: the measured steps run a little faster than real ones
    note = (
        f"planned {total_steps} steps ({step_s * 1000:.0f} ms each) and {n_evals:.0f} validations "
        f"({eval_s:.1f} s each): {needed:.0f} s of {available:.0f} s left in the {budget:.0f} s budget"
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


def _with_lora(model, cfg: FinetuneConfig):
    try:
        from peft import LoraConfig, TaskType, get_peft_model
    except ImportError:
        raise ImportError("LoRA needs peft: pip install 'dnalm[lora]'") from None
    per_base = get_task(cfg.problem_type).per_base
    lora = LoraConfig(
        task_type=TaskType.TOKEN_CLS if per_base else TaskType.SEQ_CLS,
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
    )
    return get_peft_model(model, lora)


def _has_tensorboard() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def _versions() -> dict:
    import torch
    import transformers

    import dnalm

    return {
        "dnalm": dnalm.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }
