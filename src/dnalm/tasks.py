"""Problem types: one object per kind of label, owning everything that differs between them.

A task knows how text labels become targets, what head the model needs, the loss, how logits
become scores (softmax, sigmoid or the values themselves), the metrics (during training and in
``evaluate``), the default selection metric and its direction, whether validation is stratified,
and the columns of ``predictions.csv``. Training, evaluation and prediction ask the task; no other
module compares problem-type names, so a new problem type is one class here.

>>> task = get_task("regression")
>>> task.default_metric, task.greater_is_better("eval_mse"), task.per_base
('loss', False, False)
>>> get_task("regresion")
Traceback (most recent call last):
...
ValueError: problem_type (--problem-type) must be one of single_label_classification, multi_label_classification, regression, \
token_classification, token_regression; got 'regresion' (did you mean 'regression'?)
"""

from __future__ import annotations

import difflib
import logging
import math
from typing import ClassVar

import numpy as np

from dnalm.io import Record, canonical_label
from dnalm.settings import named

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_TASK", "IGNORE_INDEX", "TASKS", "Task", "get_task", "task_of"]

DEFAULT_TASK = "single_label_classification"
IGNORE_INDEX = -100  # target of a position that is not scored (padding), as in transformers
MULTI_LABEL_SEP = ";"


def _sort_key(label: str):
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def _per_base(label: str) -> list[str]:
    """Per-base labels: whitespace-separated values, or one character per base ("0011100")."""
    return label.split() if " " in label.strip() else list(label.strip())


def _where(record) -> str:
    """A record named in a message: its ``where`` (file, line and id) when given a Record, else its id."""
    return record.where if hasattr(record, "where") else f"record {record!r}"


def _unicode_twin(label: str, names) -> str:
    """Where ``label`` equals a training label once both are in one Unicode form (é as one character or as e and an
    accent), a clause saying so: the two look the same on screen, and the refusal read as nonsense."""
    import unicodedata

    twin = next((n for n in names if unicodedata.normalize("NFC", str(n)) == unicodedata.normalize("NFC", label)), None)
    return (
        f" ({label!r} and {twin!r} differ only in how their accents are encoded, composed or decomposed Unicode: "
        "write them one way in every file)"
        if twin is not None
        else ""
    )


def _shown(names) -> str:
    """A list of labels in a message: the first 10 and how many there are (a sequence column taken for the
    labels has thousands)."""
    names = list(names)
    return str(names) if len(names) <= 10 else f"{names[:10]} ... ({len(names):,} in all)"


def _class_index(names, label: str, record: str) -> int:
    index = {canonical_label(name): i for i, name in enumerate(names)}  # also "1.0" of older models
    key = canonical_label(label) if isinstance(label, str) else label
    if label is None:  # it said "label None is not among the training labels"
        raise ValueError(
            f"{_where(record)}: no label (the file has no label column, or this row none); labelled data is needed "
            f"here, with labels among {_shown(names)}"
        )
    if key not in index:
        raise ValueError(
            f"{_where(record)}: label {label!r} is not among the training labels {_shown(names)}{_unicode_twin(label, names)}"
        )
    return index[key]


#: The numbers each kind of task validates with (``dnalm.metrics``), besides the loss.
_CLASSIFICATION_METRICS = (
    "accuracy",
    "precision",
    "recall",
    "specificity",
    "f1",
    "f1_macro",
    "mcc",
    "auroc",
    "auprc",
    "n_predictions",
)
_COUNTS = ("n_predictions",)  # computed and reported, never a selection metric (constant across validations)
_REGRESSION_METRICS = ("mse", "mae", "r2", "pearson", "spearman", "n_predictions")


class Task:
    """What one problem type does; subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    per_base: ClassVar[bool] = False  # one output per nucleotide (token head) rather than per sequence
    exclusive: ClassVar[bool] = False  # classes exclude each other (softmax): one is predicted
    stratify: ClassVar[bool] = False  # validation carved out of train keeps the label proportions
    default_metric: ClassVar[str] = "loss"  # validation metric that picks the checkpoint
    metric_names: ClassVar[tuple[str, ...]] = ()  # the numbers compute_metrics gives (validation adds the loss)
    lower_is_better: ClassVar[tuple[str, ...]] = ("loss",)
    target_dtype: ClassVar[type] = np.float32
    standardises: ClassVar[bool] = False  # numeric targets trained as (value - mean) / sd of train
    weighted: ClassVar[bool] = False  # --class-weights applies (weighted_loss gives a loss)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def label_names(self, records: list[Record]) -> list[str]:
        """The label names (``id2label``) the training records hold."""
        return ["value"]

    def encode(self, names, label: str, record="?"):  # record: a Record (named by file and line) or an id
        """One record's target from its text label; a bad label is a ``ValueError`` naming ``record``."""
        raise NotImplementedError

    def config_kwargs(self) -> dict:
        """Model config entries for this head (transformers' ``problem_type``, ...)."""
        return {"problem_type": self.name}

    def loss(self, logits, labels, num_labels: int):
        raise NotImplementedError

    def activate(self, logits):
        """Scores from logits (torch): probabilities, or the values themselves."""
        return logits

    def average(self, outputs: list):
        """Logits whose scores (:meth:`activate`) are the mean of ``outputs``' scores: several models' logits
        averaged where it means something (an ensemble, :mod:`dnalm.models.ensemble`); here, the values."""
        import torch

        return torch.stack([z.float() for z in outputs]).mean(0)

    def compute_metrics(self, labels: np.ndarray, logits: np.ndarray, names=()) -> dict:
        """Metrics on raw validation logits (Trainer's ``compute_metrics``)."""
        raise NotImplementedError

    def metrics(self, y, scores: np.ndarray, names=()) -> dict:
        """Metrics on activated scores (``evaluate``); per-base tasks get every base concatenated."""
        raise NotImplementedError

    def greater_is_better(self, metric: str) -> bool:
        return metric.removeprefix("eval_") not in self.lower_is_better and not metric.endswith("loss")

    def check_metric(self, metric: str | None) -> None:
        """Refuse a selection metric (``metric_for_best_model``, with or without ``eval_``) that validation does
        not compute for this task; checked with the settings, before any data is read."""
        names = ("loss", *(m for m in self.metric_names if m not in _COUNTS))
        if isinstance(metric, str) and metric.removeprefix("eval_") in _COUNTS:
            raise ValueError(
                f"metric_for_best_model {metric!r} counts the validation sequences, the same at every validation: it "
                f"cannot choose a checkpoint; choose one of {', '.join(names)}"
            )
        if metric is not None and (not isinstance(metric, str) or metric.removeprefix("eval_") not in names):
            close = difflib.get_close_matches(str(metric).removeprefix("eval_"), names, n=1)
            raise ValueError(
                f"metric_for_best_model {metric!r} is not a validation metric of {self.name}"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; it computes {', '.join(names)}"
            )

    def combine(self, scores: np.ndarray, aggregate: str, positive: int | None = None) -> np.ndarray:
        """One sequence's score from its windows' (rows of ``scores``): their mean, or each output's largest value
        (``max``: each label of a multi-label model is its own yes/no, a value its own number)."""
        return scores.mean(axis=0) if aggregate == "mean" else scores.max(axis=0)

    def weighted_loss(self, targets: np.ndarray, num_labels: int):
        """A loss weighted by inverse class frequency, or None where weights do not apply."""
        return None

    def prediction_columns(self, names: list[str]) -> list[str]:
        return ["predicted"]

    def prediction_cells(self, names: list[str], scores: np.ndarray) -> list:
        raise NotImplementedError


class SingleLabelClassification(Task):
    """One class per sequence (softmax, cross-entropy)."""

    name = "single_label_classification"
    weighted = True
    exclusive = stratify = True
    default_metric = "mcc"
    metric_names = _CLASSIFICATION_METRICS
    target_dtype = np.int64

    def label_names(self, records):
        _check_not_per_base(records, self.name)
        names = {canonical_label(r.label) for r in records}
        if len(names) < 2:
            raise ValueError(f"training data holds a single class {sorted(names)}; a classifier needs two or more")
        folded, numbers = {}, {}
        for name in names:
            folded.setdefault(name.casefold(), []).append(name)
            if name.isascii() and name.isdigit():  # '01' stays as written (per-base labels look alike): '1' too?
                numbers.setdefault(int(name), []).append(name)
        for same in (sorted(v) for v in folded.values() if len(v) > 1):  # 'Pos' and 'pos': two classes, said
            log.warning("labels %s differ only in case: they are %d classes", " and ".join(map(repr, same)), len(same))
        for same in (sorted(v) for v in numbers.values() if len(v) > 1):  # '01' and '1'
            log.warning(
                "labels %s are one number written differently: they are %d classes (write them alike to merge them)",
                " and ".join(map(repr, same)),
                len(same),
            )
        _other_task_hint(names)
        return sorted(names, key=_sort_key)

    def encode(self, names, label, record="?"):
        return _class_index(names, label, record)

    def loss(self, logits, labels, num_labels):
        import torch

        return torch.nn.functional.cross_entropy(logits.view(-1, num_labels), labels.view(-1))

    def activate(self, logits):
        import torch

        return torch.softmax(logits, dim=-1)

    def average(self, outputs):
        """The log of the mean class probabilities (softmax of it is their mean)."""
        import math

        import torch

        log_p = torch.stack([torch.log_softmax(z.float(), dim=-1) for z in outputs])
        return torch.logsumexp(log_p, dim=0) - math.log(len(outputs))

    def compute_metrics(self, labels, logits, names=()):
        from dnalm.metrics import classification_metrics, positive_index, softmax

        return classification_metrics(labels, softmax(logits), positive_index(names))

    def metrics(self, y, scores, names=()):
        from dnalm.metrics import classification_metrics, positive_index

        return classification_metrics(np.asarray(y), scores, positive_index(names))

    def combine(self, scores, aggregate, positive=None):
        """``max``: the scores of the window most likely to be of class ``positive`` (one window's probabilities,
        never below the mean; a separate max over each class, renormalised, could be below every window's)."""
        if aggregate == "mean":
            return scores.mean(axis=0)
        if positive is None:
            raise ValueError("--aggregate max keeps the window most likely to be one class: name the class")
        return scores[int(np.argmax(scores[:, positive]))]

    def weighted_loss(self, targets, num_labels):
        import torch

        counts = np.bincount(targets, minlength=num_labels).astype(float)
        weights = torch.tensor(counts.sum() / (num_labels * np.maximum(counts, 1)), dtype=torch.float32)

        def loss(outputs, labels, num_items_in_batch=None):
            logits = outputs["logits"]
            return torch.nn.functional.cross_entropy(
                logits.view(-1, logits.shape[-1]), labels.view(-1), weight=weights.to(logits.device)
            )

        return loss

    def prediction_columns(self, names):
        return ["predicted"] + [f"prob_{n}" for n in names]

    def prediction_cells(self, names, scores):
        return [names[int(scores.argmax())]] + [f"{p:.9f}" for p in scores]


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _check_not_per_base(records, task: str) -> None:
    """Refuse labels that are one digit per base of their sequence (per-base labels given without their problem
    type: they were 311 classes and 45 warnings, or 'beyond what dnalm trains' as one number each)."""
    labelled = [r for r in records if r.label]
    per_base = [r for r in labelled if len(r.sequence) > 1 and _one_per_base(r.label, len(r.sequence))]
    if labelled and len(per_base) * 2 > len(labelled):
        raise ValueError(
            f"{per_base[0].where}: the labels are one digit or value per base of their sequences ({len(per_base)} of "
            f"{len(labelled)} records), per-base labels read as {task}: give --problem-type token_classification "
            "(or token_regression)"
        )


def _one_per_base(label: str, length: int) -> bool:
    """``0011100`` or ``0.1 0.8 2.5 ...``: a digit or a number for each of ``length`` bases."""
    if len(label) == length and label.isascii() and label.isdigit():
        return True
    parts = label.split()
    return len(parts) == length and all(_is_number(p) for p in parts)


def _other_task_hint(names: set[str]) -> None:
    """Say when classes look like another task's labels (they were trained as classes without a word)."""
    if any(MULTI_LABEL_SEP in n for n in names):
        log.warning(
            "labels such as %r hold %r: they are classes of their own here; for several labels per sequence use "
            "--problem-type multi_label_classification",
            next(n for n in sorted(names) if MULTI_LABEL_SEP in n),
            MULTI_LABEL_SEP,
        )
    elif all(_is_number(n) for n in names) and (
        len(names) > 20 or any(not float(n).is_integer() for n in names)  # 2.1, 0.3: values, not class ids
    ):
        fractions = sorted((n for n in names if not float(n).is_integer()), key=float)[:3]
        log.warning(
            "%d classes, every one a number%s: for a value per sequence use --problem-type regression",
            len(names),
            f" and some with a fraction ({', '.join(fractions)})" if fractions else "",
        )
    for meaning in _YES_NO:  # 'True' and 'yes' in one file: two classes that mean one thing
        if len(same := sorted(n for n in names if n.casefold() in meaning)) > 1 and len({*map(str.casefold, same)}) > 1:
            log.warning(
                "labels %s mean the same but are %d classes here (write them alike to merge them)",
                " and ".join(map(repr, same)),
                len(same),
            )


#: spellings of yes and of no that one file may mix (1 and 0 beside them are refused: numbers and names)
_YES_NO = ({"true", "yes", "y", "t", "positive", "pos"}, {"false", "no", "n", "f", "negative", "neg"})


class MultiLabelClassification(Task):
    """Any number of labels per sequence, ``;``-separated (sigmoid, binary cross-entropy); ``;`` alone is a
    sequence with none of them (an empty cell is a missing label). Predictions are written the same way."""

    name = "multi_label_classification"
    default_metric = "f1_macro"
    metric_names = ("subset_accuracy", "f1_macro", "auroc", "auprc", "n_predictions")

    def label_names(self, records):
        names = {canonical_label(x.strip()) for r in records for x in r.label.split(MULTI_LABEL_SEP) if x.strip()}
        if records and not names:
            raise ValueError(f"every training label is the empty set {MULTI_LABEL_SEP!r}: there is no label to learn")
        return sorted(names, key=_sort_key)

    def encode(self, names, label, record="?"):
        vec = [0.0] * len(names)
        index = {canonical_label(name): i for i, name in enumerate(names)}
        for x in (label or "").split(MULTI_LABEL_SEP):
            x = canonical_label(x.strip())  # ' a ; b': the spaces around each label go, as around a whole one
            if x:
                if x not in index:
                    raise ValueError(
                        f"{_where(record)}: label {x!r} is not among the training labels {_shown(names)}"
                        + _unicode_twin(x, names)
                    )
                vec[index[x]] = 1.0
        return vec

    def loss(self, logits, labels, num_labels):
        import torch

        return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.float())

    def activate(self, logits):
        import torch

        return torch.sigmoid(logits)

    def average(self, outputs):
        """The log-odds of each label's mean probability (sigmoid of it is their mean)."""
        import torch

        # log(sum p) - log(sum (1 - p)), each from log-sigmoids (no 0 or 1 to take the log of); the 1/n cancels
        pos = torch.logsumexp(torch.stack([torch.nn.functional.logsigmoid(z.float()) for z in outputs]), dim=0)
        neg = torch.logsumexp(torch.stack([torch.nn.functional.logsigmoid(-z.float()) for z in outputs]), dim=0)
        return pos - neg

    def compute_metrics(self, labels, logits, names=()):
        from dnalm.metrics import multilabel_metrics

        return multilabel_metrics(labels, 1 / (1 + np.exp(-logits)), names)

    def metrics(self, y, scores, names=()):
        from dnalm.metrics import multilabel_metrics

        return multilabel_metrics(np.asarray(y), scores, names)

    def prediction_columns(self, names):
        return ["predicted"] + [f"prob_{n}" for n in names]

    def prediction_cells(self, names, scores):
        return [MULTI_LABEL_SEP.join(n for n, p in zip(names, scores) if p >= 0.5) or MULTI_LABEL_SEP] + [
            f"{p:.9f}" for p in scores
        ]


def _number(text: str, record: str, what: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{_where(record)}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{_where(record)}: {what} {text!r} is not a finite number")
    _in_range(value, text, record, what)
    return value


#: The largest target magnitude dnalm trains and scores: outputs are float32 (at most 3.4e38), and squared errors
#: and standard deviations of larger values overflow.
MAX_TARGET = 1e30


def _in_range(value: float, text, record, what: str) -> None:
    if abs(value) > MAX_TARGET:
        raise ValueError(
            f"{_where(record)}: {what} {text!r} is beyond what dnalm trains and scores (|value| <= {MAX_TARGET:g}: "
            "models compute in float32); rescale the targets (e.g. their log)"
        )


class Regression(Task):
    """One number per sequence (identity output, mean squared error)."""

    name = "regression"
    standardises = True
    lower_is_better = ("loss", "mse", "mae")
    metric_names = _REGRESSION_METRICS

    def label_names(self, records):
        """``["value"]``; every label is read here, so a bad one is named before any work."""
        _check_not_per_base(records, self.name)
        for r in records:
            self.encode(["value"], r.label, r)
        return ["value"]

    def encode(self, names, label, record="?"):
        try:
            value = float(label)
        except (TypeError, ValueError):
            raise ValueError(f"{_where(record)}: label {label!r} is not a number (regression)") from None
        if not math.isfinite(value):  # '1e400' reads as inf: the loss would be too
            raise ValueError(f"{_where(record)}: label {label!r} is not a finite number (regression)")
        _in_range(value, label, record, "label")  # 1e40 trained to a model that predicts nan
        return value

    def loss(self, logits, labels, num_labels):
        import torch

        mse = torch.nn.functional.mse_loss
        return mse(logits.squeeze(-1), labels.float().view(-1)) if num_labels == 1 else mse(logits, labels.float())

    def compute_metrics(self, labels, logits, names=()):
        from dnalm.metrics import regression_metrics

        return regression_metrics(labels, logits)

    def metrics(self, y, scores, names=()):
        from dnalm.metrics import regression_metrics

        return regression_metrics(np.asarray(y), scores[:, 0])

    def prediction_columns(self, names):
        return ["predicted"]  # the column every task writes (per-sequence regression wrote "prediction")

    def prediction_cells(self, names, scores):
        return [f"{scores[0]:.9g}"]


class TokenClassification(Task):
    """One class per nucleotide (per-base labels such as ``0011100``; softmax, cross-entropy)."""

    name = "token_classification"
    per_base = exclusive = True
    default_metric = "mcc"
    metric_names = _CLASSIFICATION_METRICS
    target_dtype = np.int64

    def label_names(self, records):
        return sorted({x for r in records for x in _per_base(r.label)}, key=_sort_key)

    def encode(self, names, label, record="?"):
        index = {name: i for i, name in enumerate(names)}
        values = _per_base(label or "")
        unknown = next((x for x in values if x not in index), None)
        if unknown is not None:
            raise ValueError(
                f"{_where(record)}: per-base label {unknown!r} is not among the training labels {_shown(names)}"
            )
        return [index[x] for x in values]

    def config_kwargs(self):
        return {"problem_type": None}  # transformers validates problem_type; the head class says it all

    def loss(self, logits, labels, num_labels):
        import torch

        return torch.nn.functional.cross_entropy(
            logits.reshape(-1, num_labels), labels.reshape(-1), ignore_index=IGNORE_INDEX
        )

    def activate(self, logits):
        import torch

        return torch.softmax(logits, dim=-1)

    average = SingleLabelClassification.average  # each base's class probabilities

    def compute_metrics(self, labels, logits, names=()):
        from dnalm.metrics import per_base_metrics, positive_index

        return per_base_metrics(labels, logits, positive_index(names))

    def metrics(self, y, scores, names=()):
        from dnalm.metrics import classification_metrics, positive_index

        return classification_metrics(np.asarray(y), scores, positive_index(names))

    def prediction_cells(self, names, scores):
        sep = "" if all(len(n) == 1 for n in names) else " "
        return [sep.join(names[i] for i in scores.argmax(axis=1))]


class TokenRegression(Task):
    """One number per nucleotide: whitespace-separated values (``0.1 0.8 2.5``) or one digit per
    base (``0011200``); identity output, mean squared error over the scored bases.

    >>> TokenRegression().encode(["value"], "0.5 -1 2e-1", "r1")
    [0.5, -1.0, 0.2]
    """

    name = "token_regression"
    per_base = True
    standardises = True
    lower_is_better = ("loss", "mse", "mae")
    metric_names = _REGRESSION_METRICS

    def encode(self, names, label, record="?"):
        text = (label or "").strip()
        parts = text.split() if any(c.isspace() for c in text) else (list(text) if text.isdigit() else [text])
        values = [_number(x, record, "per-base value") for x in parts if x]
        if IGNORE_INDEX in values:
            raise ValueError(f"{_where(record)}: per-base value {IGNORE_INDEX} is reserved for unscored positions")
        return values

    def config_kwargs(self):
        return {"problem_type": None, "dnalm_task": self.name}  # kmer_k alone would say token_classification

    def loss(self, logits, labels, num_labels):
        import torch

        keep = labels != IGNORE_INDEX
        if not keep.any():
            return logits.sum() * 0.0
        return torch.nn.functional.mse_loss(logits[..., 0][keep], labels[keep].to(logits.dtype))

    def compute_metrics(self, labels, logits, names=()):
        from dnalm.metrics import regression_metrics

        width = min(labels.shape[1], logits.shape[1])
        y, values = labels[:, :width].reshape(-1), logits[:, :width, 0].reshape(-1)
        keep = y != IGNORE_INDEX
        return regression_metrics(y[keep], values[keep])

    def metrics(self, y, scores, names=()):
        from dnalm.metrics import regression_metrics

        return regression_metrics(np.asarray(y), scores[:, 0])

    def prediction_cells(self, names, scores):
        return [" ".join(f"{v:.9g}" for v in scores[:, 0])]


TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        SingleLabelClassification(),
        MultiLabelClassification(),
        Regression(),
        TokenClassification(),
        TokenRegression(),
    )
}


def reported_metrics() -> list[str]:
    """Every metric name some task reports on validation and test (``loss`` first), in a stable order."""
    names = ["loss", *(m for t in TASKS.values() for m in t.metric_names if m not in _COUNTS)]
    return list(dict.fromkeys(names))


def get_task(name: str) -> Task:
    """The task of a problem type name; an unknown name is a ``ValueError`` listing the valid ones."""
    if not isinstance(name, str) or name not in TASKS:
        close = difflib.get_close_matches(str(name), list(TASKS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{named('problem_type')} must be one of {', '.join(TASKS)}; got {name!r}{hint}")
    return TASKS[name]


def task_of(model_or_config) -> Task:
    """The task a model (or its config) was built for: ``dnalm_task`` when recorded, else a per-base
    k-mer model (``kmer_k``) classifies bases, else transformers' ``problem_type`` (default single-label)."""
    config = getattr(model_or_config, "config", model_or_config)
    name = getattr(config, "dnalm_task", None)
    if name is None and getattr(config, "kmer_k", None):
        name = "token_classification"
    return get_task(name or getattr(config, "problem_type", None) or DEFAULT_TASK)
