"""Fine-tuning around ``transformers.Trainer``: one path for every model.

Selection is on validation only: early stopping watches the validation metric and the
best checkpoint is restored at the end; the test split is never loaded here.
"""

from __future__ import annotations

import csv
import json
import logging
import platform
import shutil
import time
from functools import partial
from pathlib import Path

import numpy as np

from dnalm.config import FinetuneConfig
from dnalm.data import LabelSpace, load_splits, to_dataset
from dnalm.metrics import classification_metrics, multilabel_metrics, per_base_metrics, regression_metrics, softmax

__all__ = ["finetune", "compute_metrics_for"]

log = logging.getLogger(__name__)


def compute_metrics_for(problem_type: str):
    """A ``compute_metrics`` for Trainer: floats only (lists such as the confusion matrix are dropped)."""

    def compute(pred) -> dict:
        logits = pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
        if problem_type == "token_classification":
            out = per_base_metrics(pred.label_ids, logits)
        elif problem_type == "regression":
            out = regression_metrics(pred.label_ids, logits)
        elif problem_type == "multi_label_classification":
            out = multilabel_metrics(pred.label_ids, 1 / (1 + np.exp(-logits)))
        else:
            out = classification_metrics(pred.label_ids, softmax(logits))
        return {k: float(v) for k, v in out.items() if isinstance(v, int | float) and not isinstance(v, bool)}

    return compute


def _collate(tokenizer, features):
    """Pad inputs with the tokenizer; pad per-base label lists of unequal length with -100."""
    import torch

    labels = [f["labels"] for f in features] if "labels" in features[0] else None
    ragged = labels is not None and isinstance(labels[0], list) and len({len(y) for y in labels}) > 1
    if ragged:
        features = [{k: v for k, v in f.items() if k != "labels"} for f in features]
    batch = tokenizer.pad(features, padding=True, return_tensors="pt")
    if ragged:
        out = torch.full((len(labels), max(map(len, labels))), -100, dtype=torch.long)
        for i, y in enumerate(labels):
            out[i, : len(y)] = torch.tensor(y)
        batch["labels"] = out
    return batch


def _weighted_loss(weights):
    import torch

    def loss(outputs, labels, num_items_in_batch=None):
        logits = outputs["logits"]
        return torch.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1),
                                                 weight=weights.to(logits.device))

    return loss


def _callbacks(path_csv: Path):
    """Per-epoch validation history (``history.csv``, ``history.json``, one log line) and a quiet progress bar."""
    from transformers import ProgressCallback, TrainerCallback

    class History(TrainerCallback):
        def __init__(self):
            self.rows: list[dict] = []
            self.done = False

        def on_train_end(self, args, state, control, **kwargs):
            self.done = True  # the final evaluate() of the restored best model is not an epoch

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            if self.done:
                return
            row = {"epoch": state.epoch, "step": state.global_step, **(metrics or {})}
            self.rows.append(row)
            keys = list(dict.fromkeys(k for r in self.rows for k in r))
            with open(path_csv, "w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=keys)
                w.writeheader()
                w.writerows(self.rows)
            path_csv.with_suffix(".json").write_text(json.dumps(self.rows, indent=2) + "\n")
            shown = ("eval_loss", "eval_accuracy", "eval_mcc", "eval_auroc", "eval_mse", "eval_f1_macro")
            log.info("epoch %.0f validation: %s", state.epoch,
                     ", ".join(f"{k[5:]} {row[k]:.4f}" for k in shown if row.get(k) is not None))

    class QuietProgress(ProgressCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            pass  # History logs one line per epoch instead of raw dicts

    return [History(), QuietProgress()]


def _precision_flags() -> dict:
    import torch

    if not torch.cuda.is_available():
        return {"use_cpu": True}
    return {"bf16": True} if torch.cuda.is_bf16_supported() else {"fp16": True}


def finetune(cfg: FinetuneConfig, data: str | Path | None, output: str | Path, *,
             classes: dict[str, str] | None = None) -> dict:
    """Fine-tune ``cfg.model`` on DATA and save a model folder that ``from_pretrained`` loads.

    Returns a summary dict (also written to ``OUTPUT/training_summary.json``).
    """
    import torch
    from transformers import EarlyStoppingCallback, Trainer, TrainingArguments, set_seed

    from dnalm.models import build_model, model_max_tokens

    t0 = time.time()
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    set_seed(cfg.seed)
    splits, val_note = load_splits(data, classes=classes, val_fraction=cfg.val_fraction, seed=cfg.seed,
                                   sequence_column=cfg.sequence_column, label_column=cfg.label_column,
                                   stratify=cfg.problem_type == "single_label_classification")
    train, dev = splits["train"], splits["dev"]
    labels = LabelSpace.from_records(train, cfg.problem_type)
    log.info("%s; %d train, %d validation sequences", val_note, len(train), len(dev))
    longest = max(len(r.sequence) for r in train)
    model, tok, spec = build_model(
        cfg.model, num_labels=labels.num_labels, id2label=labels.id2label, problem_type=cfg.problem_type,
        train_sequences=[r.sequence for r in train], input_length=longest + 2, from_scratch=cfg.from_scratch,
        trust_remote_code=cfg.trust_remote_code, seed=cfg.seed)
    model_limit = tok.model_max_length = model_max_tokens(model, tok)
    longest_tokens = int(max(tok([r.sequence for r in train], return_length=True)["length"]))
    if cfg.max_length and cfg.max_length > model_limit:
        raise ValueError(f"max_length={cfg.max_length} tokens is more than {cfg.model} takes ({model_limit}); "
                         "longer sequences are scored with sliding windows by predict/evaluate")
    max_length = min(cfg.max_length or longest_tokens, model_limit)
    train_ds, train_trunc = to_dataset(train, tok, labels, max_length)
    dev_ds, dev_trunc = to_dataset(dev, tok, labels, max_length)
    for name, n in (("training", train_trunc), ("validation", dev_trunc)):
        if n:
            log.warning("%d %s sequences are longer than max_length=%d tokens and were truncated for training; "
                        "predict/evaluate score long sequences with sliding windows instead", n, name, max_length)
    if cfg.lora:
        model = _with_lora(model, cfg)
    lr = cfg.learning_rate or (spec.learning_rate if spec is not None else 5e-5)
    batch_size = cfg.batch_size or (spec.batch_size if spec is not None else 32)
    loss_func = None
    if cfg.class_weights and cfg.problem_type == "single_label_classification":
        counts = np.bincount(train_ds["labels"], minlength=labels.num_labels).astype(float)
        loss_func = _weighted_loss(torch.tensor(counts.sum() / (labels.num_labels * np.maximum(counts, 1)),
                                                dtype=torch.float32))
    best_metric = cfg.metric_for_best_model or {"regression": "loss", "multi_label_classification": "f1_macro"}.get(
        cfg.problem_type, "mcc")
    report_to = "tensorboard" if _has_tensorboard() else "none"
    args = TrainingArguments(
        output_dir=str(output / "checkpoints"), num_train_epochs=cfg.epochs, learning_rate=lr,
        per_device_train_batch_size=batch_size, per_device_eval_batch_size=cfg.eval_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps, weight_decay=cfg.weight_decay,
        warmup_steps=cfg.warmup_ratio, lr_scheduler_type="linear", eval_strategy="epoch", save_strategy="epoch",
        logging_strategy="steps", logging_steps=cfg.logging_steps, load_best_model_at_end=True,
        metric_for_best_model=best_metric, greater_is_better=not best_metric.endswith("loss"),
        save_total_limit=2, save_only_model=True, seed=cfg.seed, data_seed=cfg.seed, report_to=report_to,
        train_sampling_strategy="group_by_length" if cfg.group_by_length else "random",
        dataloader_drop_last=False, **_precision_flags(), **cfg.trainer)
    history, progress = _callbacks(output / "history.csv")
    callbacks = [history]
    if cfg.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.early_stopping_patience))
    trainer = Trainer(model=model, args=args, train_dataset=train_ds, eval_dataset=dev_ds,
                      data_collator=partial(_collate, tok), compute_metrics=compute_metrics_for(cfg.problem_type),
                      compute_loss_func=loss_func, callbacks=callbacks)
    from transformers import PrinterCallback, ProgressCallback

    for default in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(default)
    if not args.disable_tqdm:
        trainer.add_callback(progress)
    train_out = trainer.train()
    val = trainer.evaluate()
    if cfg.lora:
        trainer.model = trainer.model.merge_and_unload()
    trainer.save_model(str(output))
    tok.save_pretrained(output)
    cfg.save(output / "dnalm_config.yaml")
    shutil.rmtree(output / "checkpoints", ignore_errors=True)
    summary = {
        "model": cfg.model, "from_scratch": cfg.from_scratch or spec is not None, "validation": val_note,
        "n_train": len(train), "n_validation": len(dev), "labels": list(labels.names), "max_length": max_length,
        "n_truncated_train": train_trunc, "n_truncated_validation": dev_trunc, "learning_rate": lr, "batch_size": batch_size,
        "seed": cfg.seed, "epochs_run": trainer.state.epoch, "best_checkpoint_metric": best_metric,
        "best_validation_metric": trainer.state.best_metric, "validation_metrics": val,
        "train_loss": train_out.training_loss, "parameters": sum(p.numel() for p in trainer.model.parameters()),
        "wall_time_s": round(time.time() - t0, 1), "device": str(trainer.args.device),
        "versions": _versions(),
    }
    (output / "training_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary


def _with_lora(model, cfg: FinetuneConfig):
    try:
        from peft import LoraConfig, TaskType, get_peft_model
    except ImportError:
        raise ImportError("LoRA needs peft: pip install 'dnalm[lora]'") from None
    task = TaskType.TOKEN_CLS if cfg.problem_type == "token_classification" else TaskType.SEQ_CLS
    lora = LoraConfig(task_type=task, r=cfg.lora_r, lora_alpha=cfg.lora_alpha,
                      lora_dropout=cfg.lora_dropout)
    return get_peft_model(model, lora)


def _has_tensorboard() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def _versions() -> dict:
    import torch
    import transformers

    import dnalm

    return {"dnalm": dnalm.__version__, "torch": torch.__version__, "transformers": transformers.__version__,
            "python": platform.python_version()}
