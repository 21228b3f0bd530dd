"""Every figure dnalm draws, each to a PNG with matplotlib's Agg backend (no display needed):
learning curves, model comparison, search curves, ROC/PR, the pretraining loss, the confusion
matrix, and sequence logos of attributions and motifs.

Every function takes plain numbers, histories and arrays, so training, evaluation, interpretation,
the experiment runner and the report all draw here without knowing each other; matplotlib (and
logomaker for logos) is imported only when a figure is drawn.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

__all__ = [
    "plot_comparison",
    "plot_confusion_matrix",
    "plot_curves",
    "plot_logo",
    "plot_loss_curve",
    "plot_pretraining",
    "plot_roc_pr",
    "plot_search_curves",
]


def _save(fig, path, dpi: int) -> None:
    """The figure at ``path`` in the format its suffix names (PNG without one; ``.pdf``, ``.svg``...), written whole or
    not at all, and closed."""
    from dnalm.io.files import atomic_open
    from dnalm.settings import check_path

    plt = _plt()
    try:
        path = check_path(path, "path")
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a folder; give the figure's file name")
        kind = path.suffix.lower().lstrip(".") or "png"
        formats = fig.canvas.get_supported_filetypes()
        if kind not in formats:  # a .txt or .csv held PNG bytes
            raise ValueError(f"{path}: a figure is written as {', '.join(sorted(formats))}; not {kind!r}")
        with atomic_open(path, "wb") as fh:
            fig.savefig(fh, dpi=dpi, format=kind)
    finally:
        plt.close(fig)


def _mapping(value, name: str, what: str) -> None:
    """A plot's data must be a mapping (None or a list was an AttributeError naming nothing)."""
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a mapping of {what}; got {type(value).__name__}")


class _Figures:
    """The few pyplot calls dnalm makes, on figures of its own (``matplotlib.figure.Figure``, which draws with Agg
    when saved): no backend is chosen and the caller's is left alone (``matplotlib.use("Agg")`` turned a notebook's
    inline figures off for the rest of its session), and no figure enters pyplot's list of open ones."""

    @property
    def rcParams(self):
        import matplotlib

        return matplotlib.rcParams

    @staticmethod
    def subplots(*args, figsize=None, **kwargs):
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize)
        return fig, fig.subplots(*args, **kwargs)

    @staticmethod
    def close(fig) -> None:
        fig.clear()  # not pyplot's: nothing holds it once the caller drops it


def _plt() -> _Figures:
    return _Figures()


_PANELS = (
    ("loss", ("eval_loss", "train_loss")),
    ("MCC", ("eval_mcc",)),
    ("F1 (macro)", ("eval_f1_macro",)),
    ("MSE", ("eval_mse",)),
    ("AUROC", ("eval_auroc",)),
)


def _panels(series: dict[str, list[dict]]) -> list[tuple[str, tuple[str, ...]]]:
    """The three panels worth reading: the loss (validation, and training where recorded), the
    selection metric of the problem (MCC, else macro F1, else MSE) and AUROC."""
    present = {k for rows in series.values() for r in rows for k, v in r.items() if isinstance(v, (int, float))}
    chosen = [p for p in _PANELS if p[1][0] in present]
    metric = [p for p in chosen if p[0] in ("MCC", "F1 (macro)", "MSE")][:1]
    return [p for p in chosen if p[0] == "loss"] + metric + [p for p in chosen if p[0] == "AUROC"]


def plot_curves(series: dict[str, list[dict]], path: str | Path, title: str = "") -> list[str]:
    """Validation curves (and the training loss, dashed) over epochs: loss, the selection metric and
    AUROC, one line per series (seed or setting). Returns the panels drawn."""
    from matplotlib.ticker import MaxNLocator

    _mapping(series, "series", "name -> a run's validation history (a list of rows)")

    plt = _plt()
    panels = _panels(series)
    if not panels:
        return []
    fig, axes = plt.subplots(1, len(panels), figsize=(3.9 * len(panels), 3.0), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"] * 8
    for ax, (name, keys) in zip(axes.flat, panels):
        for color, (label, hist) in zip(colors, series.items()):
            for key, style in zip(keys, ("-", "--")):
                pts = [(r["epoch"], r[key]) for r in hist if isinstance(r.get(key), (int, float))]
                if pts:
                    ax.plot(
                        *zip(*pts),
                        style,
                        marker="o" if style == "-" else None,
                        markersize=3,
                        color=color,
                        label=label if key == keys[0] else None,
                    )
        ax.set_title(name + (" (dashed: training)" if len(keys) > 1 else ""), fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=7)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.07 + 0.03 * (len(labels) // 6), 1, 0.95))
    _save(fig, path, dpi=100)
    return [name for name, _ in panels]


def plot_comparison(
    values: dict[tuple[str, str], list[float]], references: dict[str, float], path: str | Path, metric: str = "mcc"
) -> None:
    """One panel per dataset: each model's per-seed test values (dots), their mean (bar) and the
    dataset's reference figure (dashed line), so models are compared at a glance. ``values`` maps
    (dataset, model) to the per-seed values, in the order the panels and bars are drawn."""
    plt = _plt()
    datasets = list(dict.fromkeys(d for d, _ in values))
    all_models = list(dict.fromkeys(m for _, m in values))
    fig, axes = plt.subplots(
        1, len(datasets), figsize=(max(3.2, 1.1 * len(all_models) + 1.6) * len(datasets), 3.4), squeeze=False
    )
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    color_of = {m: cycle[i % len(cycle)] for i, m in enumerate(all_models)}
    for ax, dataset in zip(axes.flat, datasets):
        models = [m for d, m in values if d == dataset]
        ax.set_xlim(-0.7, len(models) - 0.3)
        for i, model in enumerate(models):
            color = color_of[model]
            vals = [v for v in values.get((dataset, model), []) if v is not None]  # null: a NaN on disk
            if vals:
                ax.bar(i, float(np.mean(vals)), width=0.6, color=color, alpha=0.35)
                ax.plot([i] * len(vals), vals, "o", color=color, markersize=5)
        if dataset in references:
            ax.axhline(references[dataset], ls="--", color="black", lw=1, label=f"reference {references[dataset]:.3f}")
            ax.legend(fontsize=7, loc="lower right")
        ax.set_xticks(range(len(models)), models, rotation=30, ha="right", fontsize=8)
        ax.set_title(dataset, fontsize=9)
        ax.set_ylabel(f"test {metric.upper()}" if ax is axes.flat[0] else "", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    _save(fig, path, dpi=100)


def plot_search_curves(trials: list[tuple[dict, list[dict]]], path: str | Path, title: str = "") -> None:
    """Validation curves of a hyperparameter search, one line per setting: ``trials`` are (the settings tried,
    their validation history), e.g. ``[(t.params, t.history) for t in search_trials]``."""
    series = {
        ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()): history
        for params, history in trials
    }
    plot_curves(series, path, title=f"search: {title}")


def plot_roc_pr(curves: dict[str, list[tuple[np.ndarray, np.ndarray]]], path: str | Path, title: str = "") -> None:
    """ROC and precision-recall curves: one colour per model, one line per seed; the legends give
    each model's AUROC and average precision (mean over seeds), the PR panel the positive rate
    a classifier without skill would reach."""
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    _mapping(curves, "curves", "model -> a list of (labels, scores) per seed")

    plt = _plt()
    fig, (roc, pr) = plt.subplots(1, 2, figsize=(10, 4.2))
    prevalence = []
    for color, (label, runs) in zip(plt.rcParams["axes.prop_cycle"].by_key()["color"] * 4, curves.items()):
        auc = np.mean([roc_auc_score(y, score) for y, score in runs])
        ap = np.mean([average_precision_score(y, score) for y, score in runs])
        for i, (y, score) in enumerate(runs):
            fpr, tpr, _ = roc_curve(y, score)
            prec, rec, _ = precision_recall_curve(y, score)
            kw = {"color": color, "alpha": 0.8, "linewidth": 1}
            roc.plot(fpr, tpr, label=f"{label} (AUROC {auc:.3f})" if i == 0 else None, **kw)
            pr.plot(rec, prec, label=f"{label} (AP {ap:.3f})" if i == 0 else None, **kw)
            prevalence.append(float(np.mean(y)))
    roc.plot([0, 1], [0, 1], ":", color="grey")
    if prevalence:
        pr.axhline(float(np.mean(prevalence)), ls=":", color="grey", label=f"no skill ({np.mean(prevalence):.2f})")
    roc.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC")
    pr.set(xlabel="recall", ylabel="precision", title="precision-recall", ylim=(0, 1.02))
    roc.legend(fontsize=8, loc="lower right")
    pr.legend(fontsize=8, loc="lower left")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path, dpi=100)


def plot_loss_curve(log_history: list[dict], path: str | Path) -> None:
    """A pretraining run's loss curve (the Trainer's log history, or ``history.json``): training and
    validation MLM loss per step."""
    plt = _plt()
    train = [(r["step"], r["loss"]) for r in log_history if "loss" in r]
    val = [(r["step"], r["eval_loss"]) for r in log_history if "eval_loss" in r]
    fig, ax = plt.subplots(figsize=(6, 4))
    if train:
        ax.plot(*zip(*train), label="training MLM loss")
    if val:
        ax.plot(*zip(*val), "o-", label="validation MLM loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend()
    fig.tight_layout()
    _save(fig, path, dpi=120)


plot_pretraining = plot_loss_curve  # the report's name for it


def plot_confusion_matrix(cm: np.ndarray, names: list[str], path: str | Path, title: str = "") -> None:
    """Counts beside the row-normalised view (the fraction of each true class predicted as each label);
    each cell's text is white on dark cells and black on light ones, as scikit-learn's display draws it
    (drawn here: importing scikit-learn's plotting costs ``dnalm evaluate`` about a second)."""
    cm = np.asarray(cm)
    if (
        not names or cm.ndim != 2 or cm.shape != (len(names), len(names))
    ):  # (an empty one was a numpy error)  # a mismatch drew counts under the wrong class names
        raise ValueError(
            f"a confusion matrix of {len(names)} classes is {len(names)} x {len(names)}; got shape {cm.shape}"
        )
    plt = _plt()
    rows = cm.sum(axis=1, keepdims=True)
    normalised = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=float), where=rows > 0)
    side = 1.1 * len(names) + 2.5
    ticks = np.arange(len(names))
    fig, axes = plt.subplots(1, 2, figsize=(2 * side, side))
    for ax, values, fmt, what in (
        (axes[0], cm, ",d", "counts"),
        (axes[1], normalised, ".2f", "fraction of true class"),
    ):
        image = ax.imshow(values, cmap="Blues", interpolation="nearest")
        middle = (float(values.max()) + float(values.min())) / 2
        for i, j in np.ndindex(values.shape):
            dark = values[i, j] > middle
            colour = image.cmap(0.0) if dark else image.cmap(1.0)
            ax.text(j, i, format(values[i, j], fmt), ha="center", va="center", color=colour)
        ax.set_xticks(ticks, names, rotation=45, ha="right", rotation_mode="anchor")
        ax.set_yticks(ticks, names)
        ax.set_xlabel("Predicted label")
        ax.set_ylabel("True label")
        ax.set_title(what)
    fig.suptitle(title.replace("$", r"\$"))  # a "$" in a folder name is not mathtext
    fig.tight_layout()
    _save(fig, path, dpi=120)


def plot_logo(
    matrix: np.ndarray,
    path: str | Path,
    title: str,
    *,
    ylabel: str | None = None,
    highlight: tuple[int, int] | None = None,
    width_per_base: float = 0.12,
) -> str:
    """A sequence logo (logomaker) of a (length, 4) matrix over A, C, G, T: attributions of one
    sequence, or a motif's contribution weights with its core ``highlight`` = (start, end) shaded.
    Returns the path written."""
    import logomaker
    import pandas as pd

    plt = _plt()
    fig, ax = plt.subplots(figsize=(min(24, width_per_base * len(matrix) + 1.5), 2.2))
    with warnings.catch_warnings():  # a record with no readable base (all N) has nothing to draw: an empty logo
        warnings.filterwarnings("ignore", "Attempting to set identical low and high ylims", UserWarning)
        logomaker.Logo(pd.DataFrame(np.asarray(matrix), columns=list("ACGT")), ax=ax, color_scheme="classic")
    if not np.any(np.asarray(matrix)):
        ax.set_ylim(-1, 1)
    if highlight is not None:
        ax.axvspan(highlight[0] - 0.5, highlight[1] - 0.5, color="0.9", zorder=-1)
    ax.set_title(title, fontsize=8 if highlight is not None else 9)
    ax.set_xlabel("position")
    if ylabel:
        ax.set_ylabel(ylabel)
    fig.tight_layout()
    _save(fig, path, dpi=110)
    return str(path)
