"""Metrics biologists read.

Single-label classification, which every training run validates with several times, is computed here in NumPy
from the confusion matrix and one sort of the scores: importing scikit-learn's metrics costs about 1.2 s per
process on a 2-core CPU and each of its calls about 10 ms of argument checking, a noticeable share of a
30-second fine-tuning run. The numbers are scikit-learn's to 1e-12 (``tests/test_metrics.py`` compares them on
random and tied inputs); multi-label and regression metrics still call scikit-learn and SciPy.

>>> import numpy as np
>>> m = classification_metrics(np.array([0, 0, 1, 1]), np.array([[.9, .1], [.4, .6], [.2, .8], [.3, .7]]))
>>> m["accuracy"], m["recall"], m["specificity"], m["auroc"]
(0.75, 1.0, 0.5, 1.0)
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

__all__ = [
    "POSITIVE_NAMES",
    "binary_auroc",
    "binary_average_precision",
    "classification_metrics",
    "multilabel_metrics",
    "paired_bootstrap_se",
    "per_base_metrics",
    "positive_index",
    "regression_metrics",
    "softmax",
]


#: Label names taken for the positive class of a two-class model (any case): its precision, recall, F1, AUROC
#: and AUPRC here, and the class ``scan``, ``variants`` and ``interpret`` score by default
POSITIVE_NAMES = ("1", "true", "positive", "pos", "yes")


def positive_index(names) -> int:
    """The positive class of a two-class model's labels: the first named 1, true, positive, pos or yes (any case),
    else the second (``id2label[1]``; ``finetune`` numbers labels in sorted order). One rule for every command:
    ``evaluate`` took index 1 while ``scan`` took the label named 1, so labels 1/2 or Positive/negative gave
    metrics of the other class.

    >>> positive_index(["1", "2"]), positive_index(["Positive", "negative"]), positive_index(["promoter", "random"])
    (0, 0, 1)
    """
    return next((i for i, name in enumerate(names) if str(name).lower() in POSITIVE_NAMES), 1)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def paired_bootstrap_se(difference, n: int, *, resamples: int = 200, seed: int = 0) -> float:
    """The standard error of a difference between two models scored on the same ``n`` records: the standard
    deviation of ``difference(rows)`` (rows: an index array) over ``resamples`` bootstrap resamples of the records,
    drawn from ``seed``. A resample where the difference is undefined (None or NaN) is left out; 0 with fewer
    than two records.

    >>> a, b = np.zeros(400), np.r_[np.zeros(200), np.ones(200)]  # the standard error of a mean of 0/1: 0.025
    >>> se = paired_bootstrap_se(lambda rows: b[rows].mean() - a[rows].mean(), 400)
    >>> 0.02 < se < 0.03, se == paired_bootstrap_se(lambda rows: b[rows].mean() - a[rows].mean(), 400)
    (True, True)
    """
    if n < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    diffs = np.array([difference(rng.integers(0, n, n)) for _ in range(resamples)], dtype=float)
    diffs = diffs[np.isfinite(diffs)]
    return float(diffs.std(ddof=1)) if len(diffs) > 1 else 0.0


def _safe(fn, *args, **kwargs) -> float | None:
    """A metric that is undefined here (one class only, constant values) is None, never a crash, a fake number or
    a library warning at every validation."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. scipy's ConstantInputWarning: the None says it
            value = float(fn(*args, **kwargs))
    except ValueError:
        return None
    return None if np.isnan(value) else value


def _average_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing the mean of their ranks (as ``scipy.stats.rankdata``)."""
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(scores)]  # each tie group is [start, end)
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return ranks


def binary_auroc(positive: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (ties count one half), None when one of the two classes is absent.

    >>> binary_auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    positive = np.asarray(positive, bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = _average_ranks(np.asarray(scores, float))
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def binary_average_precision(positive: np.ndarray, scores: np.ndarray) -> float | None:
    """Average precision (area under the precision-recall steps, as scikit-learn), None without positives.

    >>> binary_average_precision(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.8333333333333333
    """
    positive = np.asarray(positive, bool)
    n_pos = int(positive.sum())
    if n_pos == 0:
        return None
    order = np.argsort(-np.asarray(scores, float), kind="mergesort")
    sorted_scores, hits = np.asarray(scores, float)[order], positive[order]
    last = np.r_[np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]), len(hits) - 1]  # end of each tie group
    tps = np.cumsum(hits)[last]
    precision = tps / (last + 1)
    recall_gain = np.diff(np.r_[0, tps]) / n_pos
    return float(np.sum(recall_gain * precision))


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    known = (y_true >= 0) & (y_true < n_classes)
    cells = y_true[known] * n_classes + y_pred[known]
    return np.bincount(cells, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _mcc(cm: np.ndarray) -> float:
    """Matthews correlation of a confusion matrix (Gorodkin's multi-class form; 0 when undefined)."""
    t, p = cm.sum(axis=1).astype(float), cm.sum(axis=0).astype(float)
    c, s = float(np.trace(cm)), float(cm.sum())
    cov_tp = c * s - t @ p
    denom = np.sqrt((s * s - p @ p) * (s * s - t @ t))
    return 0.0 if denom == 0 else float(cov_tp / denom)


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, positive: int = 1) -> dict:
    """Binary metrics for class ``positive`` (:func:`positive_index` of the labels; plus macro F1); macro averages
    for more classes, over the classes the split holds or the model predicts (AUROC and AUPRC: those the split
    holds), as scikit-learn averages.

    Keys: accuracy, precision, recall, specificity, f1, f1_macro, mcc, auroc, auprc,
    n_predictions, confusion_matrix, constant_prediction (the model predicts one class
    for everything). A metric that is undefined here (AUROC with one class in ``y_true``,
    AUPRC without positives) is None, never a crash or a made-up number.
    """
    y_true, probs = _checked_classes(y_true, probs)
    n_classes = probs.shape[1]
    y_pred = probs.argmax(axis=1)
    cm = _confusion(y_true, y_pred, n_classes)
    tp = np.diag(cm).astype(float)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = cm.sum() - tp - fp - fn
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        spec = np.where(tn + fp > 0, tn / (tn + fp), np.nan)
    binary = n_classes == 2
    # macro averages over the classes the split holds or the model predicts (scikit-learn's labels=None): a class
    # absent from both would count as a 0 in precision, recall and F1, and as a 1 in specificity
    seen = np.union1d(y_true, y_pred).astype(int) if len(y_pred) else np.arange(n_classes)
    pick = (lambda v: v[positive]) if binary else (lambda v: float(np.mean(v[seen])))
    out = {
        "accuracy": float(np.mean(y_true == y_pred)) if len(y_pred) else 0.0,
        "precision": float(pick(precision)),
        "recall": float(pick(recall)),
        "specificity": float(spec[positive] if binary else np.nanmean(spec[seen])),
        "f1": float(pick(f1)),
        "f1_macro": float(np.mean(f1[seen])),
        "mcc": _mcc(cm),
    }
    if binary:
        out["auroc"] = binary_auroc(y_true == positive, probs[:, positive])
        out["auprc"] = binary_average_precision(y_true == positive, probs[:, positive])
    else:  # one-vs-rest macro averages over the classes the split holds (a class it lacks has no positives)
        per_class = [(y_true == c, probs[:, c]) for c in range(n_classes) if (y_true == c).any()]
        aurocs = [a for a in (binary_auroc(*pc) for pc in per_class) if a is not None]
        aps = [a for a in (binary_average_precision(*pc) for pc in per_class) if a is not None]
        out["auroc"] = float(np.mean(aurocs)) if aurocs else None
        out["auprc"] = float(np.mean(aps)) if aps else None
    out["n_predictions"] = len(y_pred)
    out["confusion_matrix"] = cm.tolist()
    out["constant_prediction"] = bool(len(np.unique(y_pred)) == 1 and len(y_pred) > 1)
    return out


def _checked_classes(y_true, probs) -> tuple[np.ndarray, np.ndarray]:
    """Class indices ``0 .. n_classes - 1`` and a finite ``(n, n_classes)`` probability matrix of as many rows:
    a label outside the classes was left out of the confusion matrix while counted in ``n_predictions``, NaN
    probabilities gave normal-looking metrics, and no rows an accuracy of 0."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(f"probs must be an (n, n_classes) matrix with at least two classes; got shape {probs.shape}")
    raw = np.asarray(y_true)
    if raw.ndim != 1 or len(raw) != len(probs):
        raise ValueError(f"y_true must hold one class index per row of probs ({len(probs)}); got shape {raw.shape}")
    if len(raw) == 0:
        raise ValueError("metrics need at least one prediction; got none")
    if raw.dtype.kind not in "iub" and not (
        raw.dtype.kind == "f" and np.all(np.isfinite(raw) & (raw == np.round(raw)))
    ):
        raise ValueError(f"y_true must hold class indices (whole numbers); got {raw.dtype} values such as {raw[0]!r}")
    y_true = raw.astype(np.int64)
    if (bad := (y_true < 0) | (y_true >= probs.shape[1])).any():
        raise ValueError(
            f"y_true holds {int(bad.sum())} class index(es) outside 0..{probs.shape[1] - 1} (the first: "
            f"{int(y_true[bad][0])} at row {int(np.flatnonzero(bad)[0])})"
        )
    if not np.isfinite(probs).all():
        raise ValueError(
            f"probs holds {int((~np.isfinite(probs)).any(axis=1).sum())} row(s) that are not finite numbers (the "
            "outputs of a model whose weights diverged)"
        )
    return y_true, probs


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    from scipy import stats
    from sklearn import metrics as skm

    y_true, y_pred = np.asarray(y_true, float).ravel(), np.asarray(y_pred, float).ravel()
    if len(y_true) != len(y_pred) or len(y_true) == 0:
        raise ValueError(
            f"regression metrics need as many predictions as values, at least one; got {len(y_pred)} and {len(y_true)}"
        )
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise ValueError("regression metrics need finite numbers; y_true or y_pred holds NaN or infinity")
    return {
        "mse": float(skm.mean_squared_error(y_true, y_pred)),
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        # constant values: R² is undefined (sklearn says 0.0, "as good as the mean", of predictions far off)
        "r2": _safe(skm.r2_score, y_true, y_pred, force_finite=False) if np.ptp(y_true) > 0 else None,
        "pearson": _safe(lambda: stats.pearsonr(y_true, y_pred)[0]),
        "spearman": _safe(lambda: stats.spearmanr(y_true, y_pred)[0]),
        "n_predictions": len(y_pred),
    }


log = logging.getLogger(__name__)
_SAID_UNDEFINED: set[tuple[str, ...]] = set()


def multilabel_metrics(y_true: np.ndarray, probs: np.ndarray, names=()) -> dict:
    """Subset accuracy, macro F1, and AUROC and AUPRC averaged over the labels where each is defined (the split holds
    sequences with and without the label); a label without either is left out of them and said, and with none left
    they are None (a label without positives counted as AUPRC 0, halving it, and one such label lost the AUROC of the
    others). ``names``: the labels, for the warning."""
    from sklearn import metrics as skm

    y_true = np.asarray(y_true).astype(int)
    probs = np.asarray(probs)
    y_pred = (probs >= 0.5).astype(int)
    positives = y_true.sum(axis=0)
    defined = [j for j in range(y_true.shape[1]) if 0 < positives[j] < len(y_true)]
    left = [str(names[j]) if j < len(names) else str(j) for j in range(y_true.shape[1]) if j not in defined]
    if left and tuple(left) not in _SAID_UNDEFINED:  # once a process: a dev split lacking one said it every epoch
        _SAID_UNDEFINED.add(tuple(left))
        log.warning(
            "%d of %d labels (%s) are on every sequence evaluated or on none: AUROC and AUPRC average the other %d",
            len(left), y_true.shape[1], ", ".join(left[:5]) + (" ..." if len(left) > 5 else ""), len(defined),
        )  # fmt: skip

    def mean_over_defined(metric):
        values = [_safe(metric, y_true[:, j], probs[:, j]) for j in defined]
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None

    return {
        "subset_accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "f1_macro": float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "auroc": mean_over_defined(skm.roc_auc_score),
        "auprc": mean_over_defined(skm.average_precision_score),
        "n_predictions": len(y_pred),
    }


def per_base_metrics(labels: np.ndarray, logits: np.ndarray, positive: int = 1) -> dict:
    """Classification metrics over every scored base (label != -100) of per-nucleotide output."""
    width = min(labels.shape[1], logits.shape[1])
    y = labels[:, :width].reshape(-1)
    scores = logits[:, :width].reshape(-1, logits.shape[-1])
    keep = y != -100
    return classification_metrics(y[keep], softmax(scores[keep]), positive)
