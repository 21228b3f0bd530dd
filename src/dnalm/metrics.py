"""Metrics biologists read, with scikit-learn underneath.

>>> import numpy as np
>>> m = classification_metrics(np.array([0, 0, 1, 1]), np.array([[.9, .1], [.4, .6], [.2, .8], [.3, .7]]))
>>> m["accuracy"], m["recall"], m["specificity"], m["auroc"]
(0.75, 1.0, 0.5, 1.0)
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

__all__ = ["classification_metrics", "multilabel_metrics", "per_base_metrics", "regression_metrics", "softmax"]


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _safe(fn, *args, **kwargs) -> float | None:
    """A metric that is undefined here (one class only) is None, never a crash or a fake number."""
    try:
        value = float(fn(*args, **kwargs))
    except ValueError:
        return None
    return None if np.isnan(value) else value


def classification_metrics(y_true: np.ndarray, probs: np.ndarray) -> dict:
    """Binary metrics for class 1 as positive (plus macro F1); macro averages for more classes.

    Keys: accuracy, precision, recall, specificity, f1, f1_macro, mcc, auroc, auprc,
    n_predictions, confusion_matrix, constant_prediction (the model predicts one class
    for everything).
    """
    y_true = np.asarray(y_true)
    probs = np.asarray(probs, dtype=float)
    n_classes = probs.shape[1]
    y_pred = probs.argmax(axis=1)
    labels = list(range(n_classes))
    cm = skm.confusion_matrix(y_true, y_pred, labels=labels)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = cm.sum() - tp - fp - fn
    with np.errstate(divide="ignore", invalid="ignore"):
        spec = np.where(tn + fp > 0, tn / (tn + fp), np.nan)
    binary = n_classes == 2
    avg = "binary" if binary else "macro"
    out = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "precision": float(skm.precision_score(y_true, y_pred, average=avg, labels=labels, zero_division=0)),
        "recall": float(skm.recall_score(y_true, y_pred, average=avg, labels=labels, zero_division=0)),
        "specificity": float(spec[1] if binary else np.nanmean(spec)),
        "f1": float(skm.f1_score(y_true, y_pred, average=avg, labels=labels, zero_division=0)),
        "f1_macro": float(skm.f1_score(y_true, y_pred, average="macro", labels=labels, zero_division=0)),
        "mcc": float(skm.matthews_corrcoef(y_true, y_pred)),
    }
    if binary:
        out["auroc"] = _safe(skm.roc_auc_score, y_true, probs[:, 1])
        out["auprc"] = _safe(skm.average_precision_score, y_true, probs[:, 1])
    else:
        onehot = np.eye(n_classes)[y_true]
        out["auroc"] = _safe(skm.roc_auc_score, y_true, probs, multi_class="ovr", average="macro", labels=labels)
        out["auprc"] = _safe(skm.average_precision_score, onehot, probs, average="macro")
    out["n_predictions"] = len(y_pred)
    out["confusion_matrix"] = cm.tolist()
    out["constant_prediction"] = bool(len(np.unique(y_pred)) == 1 and len(y_pred) > 1)
    return out


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    from scipy import stats

    y_true, y_pred = np.asarray(y_true, float).ravel(), np.asarray(y_pred, float).ravel()
    return {
        "mse": float(skm.mean_squared_error(y_true, y_pred)),
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "r2": _safe(skm.r2_score, y_true, y_pred),
        "pearson": _safe(lambda: stats.pearsonr(y_true, y_pred)[0]),
        "spearman": _safe(lambda: stats.spearmanr(y_true, y_pred)[0]),
        "n_predictions": len(y_pred),
    }


def multilabel_metrics(y_true: np.ndarray, probs: np.ndarray) -> dict:
    y_true = np.asarray(y_true).astype(int)
    y_pred = (np.asarray(probs) >= 0.5).astype(int)
    return {
        "subset_accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "f1_macro": float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "auroc": _safe(skm.roc_auc_score, y_true, probs, average="macro"),
        "auprc": _safe(skm.average_precision_score, y_true, probs, average="macro"),
        "n_predictions": len(y_pred),
    }


def per_base_metrics(labels: np.ndarray, logits: np.ndarray) -> dict:
    """Classification metrics over every scored base (label != -100) of per-nucleotide output."""
    width = min(labels.shape[1], logits.shape[1])
    y = labels[:, :width].reshape(-1)
    scores = logits[:, :width].reshape(-1, logits.shape[-1])
    keep = y != -100
    return classification_metrics(y[keep], softmax(scores[keep]))
