"""The Trainer plumbing of fine-tuning: batches, metrics, ``TrainingArguments``, the Trainer class, LoRA. :mod:`dnalm.finetune.train` runs the steps that use them."""

from __future__ import annotations

import logging
import platform
from pathlib import Path

import numpy as np

from dnalm.finetune.config import FinetuneConfig
from dnalm.runtime import distributed
from dnalm.runtime.hardware import precision_flags
from dnalm.tasks import IGNORE_INDEX, Task

__all__ = [
    "averaged_outputs",
    "collate_batch",
    "compute_metrics_for",
    "fixed_input_length",
    "output_layers",
    "scale_output",
    "selection_noise",
    "trainer_class",
    "training_arguments",
    "validation_outputs",
    "validation_score",
    "versions",
    "with_lora",
]

log = logging.getLogger(__name__)


def compute_metrics_for(task: Task, labels=None):
    """A ``compute_metrics`` for Trainer: the task's metrics (a :class:`~dnalm.tasks.Task`), floats
    only (lists such as the confusion matrix are dropped). ``labels``: the run's
    :class:`~dnalm.finetune.data.LabelSpace`; standardised targets and outputs are scored in label units."""

    def compute(pred) -> dict:
        logits = pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
        y = pred.label_ids
        if labels is not None and labels.scale is not None:
            y, logits = labels.unscale(y, keep=y != IGNORE_INDEX if task.per_base else None), labels.unscale(logits)
        if not np.isfinite(logits).all():  # metrics of NaN outputs would look like a result
            raise ValueError(
                "training diverged: the model's outputs on the validation split are not finite numbers, so training "
                "stops here and nothing is saved; lower learning_rate or weight_decay, or look at the targets"
            )
        out = task.compute_metrics(y, logits, labels.names if labels is not None else ())
        return {k: float(v) for k, v in out.items() if isinstance(v, int | float) and not isinstance(v, bool)}

    return compute


def validation_outputs(trainer, dataset) -> tuple[np.ndarray, np.ndarray]:
    """The trained model's raw outputs (logits) on ``dataset`` and its label ids, record by record (the trainer of
    :func:`trainer_class` predicts in the records' order; a ``RuntimeError`` if the labels came back in another,
    as two strands' or candidates' outputs are averaged record by record)."""
    pred = trainer.predict(dataset)
    logits = pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
    labels = np.asarray(pred.label_ids)
    expected = getattr(dataset, "labels", None)
    if expected is not None and expected.ndim == 1 and not np.array_equal(labels, expected):
        raise RuntimeError(
            "the trainer returned validation outputs in another order than the records' (their labels differ), so "
            "they cannot be averaged or compared record by record; please report this with your transformers version"
        )
    return np.asarray(logits), labels


def averaged_outputs(task: Task, outputs: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    """Several :func:`validation_outputs` of the same records (two strands, or several models) as one: logits
    whose scores are the mean of theirs (:meth:`~dnalm.tasks.Task.average`), as ``evaluate`` and ``predict`` average
    the strands and an ensemble its members."""
    import torch

    if any(not np.array_equal(y, outputs[0][1]) for _, y in outputs):
        raise ValueError("outputs of different records cannot be averaged")
    return task.average([torch.from_numpy(z) for z, _ in outputs]).numpy(), outputs[0][1]


def validation_score(task: Task, labels, metric: str, outputs: tuple) -> float:
    """``metric`` (``loss`` or another validation metric, with or without ``eval_``) of :func:`validation_outputs`:
    ``loss`` is the task's loss (unweighted) averaged over the records, as validation computes it."""
    import torch
    from transformers import EvalPrediction

    metric = metric.removeprefix("eval_")
    z, y = outputs
    if metric == "loss":
        return float(task.loss(torch.from_numpy(z), torch.from_numpy(y), z.shape[-1]))
    return float(compute_metrics_for(task, labels)(EvalPrediction(z, y))[metric])


def selection_noise(task: Task, labels, metric: str, kept: tuple, new: tuple, seed: int) -> float:
    """One standard error of the difference in validation ``metric`` between two models scored on the same records
    (``kept``, ``new``: :func:`validation_outputs`), from a paired bootstrap of the records: a difference smaller
    than this is what another draw of the validation split could reverse. ``loss`` is each record's loss (the
    task's, unweighted) averaged; any other metric is the task's metric on the resampled records."""
    import torch
    from transformers import EvalPrediction

    from dnalm.metrics import paired_bootstrap_se

    metric = metric.removeprefix("eval_")
    if metric == "loss":
        losses = [
            np.array(
                [
                    float(task.loss(torch.from_numpy(z[i : i + 1]), torch.from_numpy(y[i : i + 1]), z.shape[-1]))
                    for i in range(len(y))
                ]
            )
            for z, y in (kept, new)
        ]

        def difference(rows):
            return losses[1][rows].mean() - losses[0][rows].mean()

    else:
        compute = compute_metrics_for(task, labels)

        def score(outputs, rows):
            return compute(EvalPrediction(outputs[0][rows], outputs[1][rows])).get(metric, np.nan)

        def difference(rows):
            return score(new, rows) - score(kept, rows)

    return paired_bootstrap_se(difference, len(kept[1]), seed=seed)


def output_layers(model, inputs: dict) -> tuple:
    """The ``nn.Linear`` layers whose outputs are the model's logits up to an affine map of each value, found by
    trying (so it holds for any head: a pooled classifier, a per-base map of k-mer outputs, a peft copy): each linear
    layer that runs in the forward pass with as many outputs as the model has labels, last first, is scaled and
    shifted and the logits compared; where no one layer passes, all of them together (a model whose output is the
    mean of two heads'). Empty when nothing passes (then outputs cannot be rescaled in place).
    """
    import torch

    called = []
    hooks = [
        m.register_forward_hook(lambda mod, i, o: called.append(mod))
        for m in model.modules()
        if isinstance(m, torch.nn.Linear) and m.out_features == model.config.num_labels and m.bias is not None
    ]
    training = model.training
    model.eval()
    try:
        with torch.no_grad():
            before = model(**inputs).logits.double()
            distinct = tuple(reversed(dict.fromkeys(called)))  # in the order they ran, last first
            for layers in (*((layer,) for layer in distinct), distinct if len(distinct) > 1 else ()):
                saved = [(layer.weight.clone(), layer.bias.clone()) for layer in layers]
                for layer in layers:
                    scale_output(layer, 2.0, 1.0)
                after = model(**inputs).logits.double()
                for layer, (weight, bias) in zip(layers, saved, strict=True):
                    layer.weight.copy_(weight), layer.bias.copy_(bias)
                if (
                    layers
                    and after.shape == before.shape
                    and torch.allclose(after, 2 * before + 1, rtol=1e-4, atol=1e-4)
                ):
                    return layers
    finally:
        for h in hooks:
            h.remove()
        model.train(training)
    return ()


def scale_output(layer, sd: float, mean: float) -> None:
    """Fold ``y * sd + mean`` into a linear layer, so it outputs label units."""
    import torch

    with torch.no_grad():
        layer.weight.mul_(sd)
        layer.bias.mul_(sd).add_(mean)


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


MAX_FIXED_INPUT = 4096  # tokens: the most a fixed-input model (the GB CNN) is built for


def fixed_input_length(lengths, *, say: bool = False) -> int:
    """Tokens a fixed-input model (the GB CNN, whose size grows with its input) is built for: the
    longest training sequence (+ [CLS]/[SEP]), unless that is an outlier more than twice the 99th
    percentile, and never more than ``MAX_FIXED_INPUT``. Longer sequences are truncated for training
    (counted) and scored by sliding windows at prediction; ``say``: a model of fixed input was built, so what
    was done is logged (other models take any length, and this length is not used).

    >>> fixed_input_length([100] * 500 + [120]), fixed_input_length([100] * 500 + [5000])
    (122, 102)
    """
    lengths = np.asarray(lengths)
    longest, typical = int(lengths.max()), int(np.ceil(np.percentile(lengths, 99)))
    chosen = typical if longest > 2 * typical else longest
    chosen = min(chosen, MAX_FIXED_INPUT - 2)
    if chosen < longest and say:
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
    """``transformers.Trainer`` whose validation reads the weight average when one is kept, and whose ``predict``
    returns outputs in the records' order."""
    from transformers import Trainer

    class DnalmTrainer(Trainer):
        """Trainer that validates the weight average (when there is one) instead of the live weights and predicts
        record by record."""

        weight_average = None
        _record_order = False

        def predict(self, *args, **kwargs):
            """Outputs record by record: with ``group_by_length`` transformers 5 batches validation by length too,
            in a shuffled order that depends on the lengths (a candidate trained on truncated sequences came back
            in another order than the others, and averaging them failed)."""
            self._record_order = True
            try:
                return super().predict(*args, **kwargs)
            finally:
                self._record_order = False

        def _get_eval_sampler(self, eval_dataset):
            if not self._record_order:
                return super()._get_eval_sampler(eval_dataset)
            if self.args.world_size > 1:  # no sampler: accelerate splits the records in order and gathers them so
                return None
            from torch.utils.data import SequentialSampler

            return SequentialSampler(eval_dataset)

        def evaluate(self, *args, **kwargs):
            if self.weight_average is None:
                return super().evaluate(*args, **kwargs)
            self.weight_average.swap(self.model)
            try:
                return super().evaluate(*args, **kwargs)
            finally:
                self.weight_average.swap(self.model)

    return DnalmTrainer


def with_lora(model, *, r: int, alpha: float, dropout: float, per_base: bool):
    """The model wrapped for LoRA (peft): low-rank adapters of rank ``r`` train, the rest stays frozen."""
    try:
        from peft import LoraConfig, TaskType, get_peft_model
    except ImportError:
        raise ImportError("LoRA needs peft: pip install 'dnalm[lora]'") from None
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as KNOWN

    kind = getattr(model.config, "model_type", "")
    if kind.startswith("dnalm-"):  # the CNNs and the LSTM: their only linear layer is the new head
        raise ValueError(
            f"--lora adapts a transformer's attention and feed-forward layers; {kind.removeprefix('dnalm-')} is not "
            "a transformer: fine-tune it without --lora"
        )
    lora = LoraConfig(
        task_type=TaskType.TOKEN_CLS if per_base else TaskType.SEQ_CLS,
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=None if kind in KNOWN else "all-linear",  # peft knows BERT's and RoBERTa's, not ModernBERT's
    )
    try:
        return get_peft_model(model, lora)
    except ValueError as err:  # e.g. a CNN or LSTM: no linear layers to adapt besides the head
        raise ValueError(
            f"--lora adapts a transformer's linear layers; this {kind or 'model'} has none LoRA can take "
            f"({' '.join(str(err).split())[:200]}): fine-tune it without --lora"
        ) from None


def _has_tensorboard() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def versions() -> dict:
    import torch
    import transformers

    from dnalm._version import __version__

    return {
        "dnalm": __version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }
