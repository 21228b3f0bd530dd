"""``dnalm report RUNS``: one self-contained HTML page (plots embedded) and a Markdown twin.

Reads what ``dnalm benchmark``/``dnalm search`` wrote under RUNS — ``results.json``, each
run's ``run.json``, ``model/history.json`` and ``eval/predictions.csv``, ``search/**/trial.json``,
``audit/*.json`` — plus any pretraining run (a folder with ``pretrain_summary.json`` given
as a model in the benchmark config, or passed with ``pretrain=``). Every plot is also saved
as a PNG under ``report_files/`` next to the report.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import logging
from pathlib import Path

import numpy as np

__all__ = ["build_report", "plot_comparison", "plot_curves", "plot_roc_pr", "plot_search_curves"]

log = logging.getLogger(__name__)

def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


_PANELS = (("loss", ("eval_loss", "train_loss")), ("MCC", ("eval_mcc",)), ("F1 (macro)", ("eval_f1_macro",)),
           ("MSE", ("eval_mse",)), ("AUROC", ("eval_auroc",)))


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
                    ax.plot(*zip(*pts), style, marker="o" if style == "-" else None, markersize=3, color=color,
                            label=label if key == keys[0] else None)
        ax.set_title(name + (" (dashed: training)" if len(keys) > 1 else ""), fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=7)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.07 + 0.03 * (len(labels) // 6), 1, 0.95))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [name for name, _ in panels]


def plot_comparison(rows: list[dict], values: dict[tuple[str, str], list[float]], references: dict[str, float],
                    path: str | Path, metric: str = "mcc") -> None:
    """One panel per dataset: each model's per-seed test values (dots), their mean (bar) and the
    dataset's reference figure (dashed line), so models are compared at a glance."""
    plt = _plt()
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    fig, axes = plt.subplots(1, len(datasets), figsize=(max(3.2, 1.1 * len({r["model"] for r in rows}) + 1.6)
                                                        * len(datasets), 3.4), squeeze=False)
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    color_of = {m: cycle[i % len(cycle)] for i, m in enumerate(dict.fromkeys(r["model"] for r in rows))}
    for ax, dataset in zip(axes.flat, datasets):
        models = [r["model"] for r in rows if r["dataset"] == dataset]
        ax.set_xlim(-0.7, len(models) - 0.3)
        for i, model in enumerate(models):
            color = color_of[model]
            vals = values.get((dataset, model), [])
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
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_search_curves(trials: list[dict], path: str | Path, title: str = "") -> None:
    """Validation curves of a hyperparameter search, one line per setting."""
    series = {", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in t["params"].items()):
              t["history"] for t in trials}
    plot_curves(series, path, title=f"search: {title}")


def plot_roc_pr(curves: dict[str, list[tuple[np.ndarray, np.ndarray]]], path: str | Path, title: str = "") -> None:
    """ROC and precision-recall curves: one colour per model, one line per seed; the legends give
    each model's AUROC and average precision (mean over seeds), the PR panel the positive rate
    a classifier without skill would reach."""
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

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
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_pretraining(folder: Path, path: Path) -> dict | None:
    from dnalm.pretrain import plot_loss_curve

    history = folder / "history.json"
    if not history.is_file():
        return None
    plot_loss_curve(json.loads(history.read_text()), path)
    summary_path = folder / "pretrain_summary.json"
    return json.loads(summary_path.read_text()) if summary_path.is_file() else {}


def _binary_scores(predictions: Path) -> tuple[np.ndarray, np.ndarray] | None:
    with open(predictions, newline="") as fh:
        rows = list(csv.DictReader(fh))
    probs = [k for k in (rows[0] if rows else {}) if k.startswith("prob_")]
    if len(probs) != 2:
        return None
    positive = probs[1].removeprefix("prob_")
    y = np.array([r["label"] == positive for r in rows], dtype=int)
    return y, np.array([float(r[probs[1]]) for r in rows])


class _Page:
    """Collects sections as HTML and Markdown at once; figures go to ``files`` and are embedded."""

    def __init__(self, files: Path, md_base: Path):
        self.files, self.md_base = files, md_base
        self.html: list[str] = []
        self.md: list[str] = []
        files.mkdir(parents=True, exist_ok=True)

    def heading(self, text: str, level: int = 2) -> None:
        self.html.append(f"<h{level}>{html.escape(text)}</h{level}>")
        self.md += ["#" * level + " " + text, ""]

    def text(self, text: str) -> None:
        self.html.append(f"<p>{html.escape(text)}</p>")
        self.md += [text, ""]

    def table(self, head: list[str], rows: list[list]) -> None:
        cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
        self.html.append(f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>")
        self.md += ["| " + " | ".join(map(str, head)) + " |", "|" + "---|" * len(head)]
        self.md += ["| " + " | ".join(map(str, r)) + " |" for r in rows] + [""]

    def figure(self, name: str) -> Path:
        """Path to draw into; call :meth:`embed` after drawing."""
        return self.files / name

    def embed(self, name: str, caption: str, width: int | None = None) -> None:
        path = self.files / name
        if not path.is_file():
            return
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        style = f' style="max-width:{width}px"' if width else ""
        self.html.append(f'<figure><img alt="{html.escape(caption)}"{style} src="data:image/png;base64,{data}">'
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        rel = path.relative_to(self.md_base) if path.is_relative_to(self.md_base) else path
        self.md += [f"![{caption}]({rel.as_posix()})", ""]


_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f0f0f0}td:first-child,td:nth-child(2){text-align:left}img{max-width:100%}
figure{margin:1em 0}figcaption{font-size:12px;color:#555}h1{font-size:1.6em}h2{border-bottom:1px solid #ddd}"""


def _results_section(page: _Page, results: dict) -> None:
    from dnalm.benchmark import MAIN_METRICS, format_mean_std

    rows = results.get("rows", [])
    page.heading("Results")
    page.text(f"{results.get('split', 'test')} metrics, mean ± std ({results.get('std', 'sample std')}) over seeds; "
              "models selected on the dev split only.")
    refs = results.get("config", {}).get("datasets", {})
    ref_keys = sorted({k for e in refs.values() for k in (e.get("reference") or {})})
    head = ["dataset", "model", "seeds", *MAIN_METRICS, *[f"reference {k}" for k in ref_keys], "wall time / run (s)",
            "parameters"]
    table = []
    for r in rows:
        ref = (refs.get(r["dataset"]) or {}).get("reference") or {}
        table.append([r["dataset"], r["model"], r["n_seeds"],
                      *[format_mean_std(r.get(m + "_mean"), r.get(m + "_std")) for m in MAIN_METRICS],
                      *[f"{ref[k]:.3f}" if k in ref else "–" for k in ref_keys],
                      f"{r['wall_time_s_mean']:.0f}", f"{r['parameters']:,}"])
    page.table(head, table)
    metric = next((m for m in ("mcc", "f1_macro", "mse") if any(f"{m}_values" in r for r in rows)), None)
    if metric:
        refs_metric = {d: e["reference"][metric] for d, e in refs.items() if metric in (e.get("reference") or {})}
        plot_comparison(rows, {(r["dataset"], r["model"]): r.get(f"{metric}_values", []) for r in rows}, refs_metric,
                        page.figure("comparison.png"), metric)
        page.embed("comparison.png", f"test {metric.upper()} per model: one dot per seed, the bar at the mean, "
                   "the dashed line the dataset's reference figure")
    flagged = [f"{r['dataset']}/{r['model']} ({r['constant_prediction_runs']} of {r['n_seeds']})"
               for r in rows if r.get("constant_prediction_runs")]
    if flagged:
        page.text("Runs that predict one class for every test sequence: " + ", ".join(flagged))


def _runs_sections(page: _Page, runs_dir: Path, order: list[str], planned: list[str] | None) -> None:
    """Per dataset: confusion matrices, learning curves and ROC/PR of the runs in the current plan
    (``results.json``'s ``runs``; every finished run when there is no results.json yet)."""
    from dnalm.benchmark import load_records
    from dnalm.evaluation import plot_confusion_matrix

    if planned is not None:
        records = [json.loads((runs_dir / f / "run.json").read_text()) for f in planned
                   if (runs_dir / f / "run.json").is_file()]
    else:
        records = load_records(runs_dir)
    by_dataset: dict[str, dict[str, list[dict]]] = {}
    for r in records:
        by_dataset.setdefault(r["dataset"], {}).setdefault(r["model"], []).append(r)
    rank = {name: i for i, name in enumerate(order)}
    for dataset, models in sorted(by_dataset.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])):
        page.heading(f"{dataset}", 2)
        curves = {}
        for model, runs in models.items():
            folder = runs_dir / "runs" / dataset / model
            cms = [np.asarray(r["metrics"]["confusion_matrix"]) for r in runs if "confusion_matrix" in r["metrics"]]
            if cms:
                name = f"cm_{dataset}_{model}.png".replace("/", "_")
                plot_confusion_matrix(sum(cms), runs[0]["metrics"].get("labels", [str(i) for i in range(len(cms[0]))]),
                                      page.figure(name), title=f"{dataset} / {model}: {len(cms)} seeds summed")
                page.embed(name, f"{dataset} / {model}: test confusion matrix, summed over {len(cms)} seeds", 640)
            histories = {}
            for r in sorted(runs, key=lambda r: r["seed"]):
                hist = folder / f"seed{r['seed']}" / "model" / "history.json"
                if hist.is_file():
                    histories[f"seed {r['seed']}"] = json.loads(hist.read_text())
                pred = folder / f"seed{r['seed']}" / "eval" / "predictions.csv"
                scores = _binary_scores(pred) if pred.is_file() else None
                if scores is not None:
                    curves.setdefault(model, []).append(scores)
            if histories:
                name = f"curves_{dataset}_{model}.png".replace("/", "_")
                plot_curves(histories, page.figure(name), title=f"{dataset} / {model}: validation per epoch")
                page.embed(name, f"{dataset} / {model}: learning curves on the validation split, one line per seed")
        if curves:
            name = f"rocpr_{dataset}.png".replace("/", "_")
            plot_roc_pr(curves, page.figure(name), title=f"{dataset}: test split")
            page.embed(name, f"{dataset}: ROC and precision-recall curves on the test split, one line per seed")


def _search_section(page: _Page, runs_dir: Path) -> None:
    chosen = sorted(runs_dir.glob("search/**/chosen.json"))
    if not chosen:
        return
    page.heading("Hyperparameter search (validation split only)")
    rows = []
    for path in chosen:
        c = json.loads(path.read_text())
        trials = [json.loads(p.read_text()) for p in sorted(path.parent.glob("trial-*/trial.json"))]
        for t in trials:
            rows.append([c["dataset"], c["model"], json.dumps(t["params"]), f"{t['value']:.4f}",
                         "chosen" if t["params"] == c["params"] else ""])
        name = f"search_{c['dataset']}_{c['model']}.png".replace("/", "_")
        plot_search_curves(trials, page.figure(name), title=f"{c['dataset']} / {c['model']}")
        page.embed(name, f"{c['dataset']} / {c['model']}: validation curves per epoch, one line per setting")
    page.table(["dataset", "model", "setting", "best validation metric", ""], rows)


def _audit_section(page: _Page, runs_dir: Path) -> None:
    audits = sorted(runs_dir.glob("audit/**/*.json"))
    if not audits:
        return
    page.heading("Leakage audit")
    page.text("Rows of the first split whose sequence also occurs in the second (exact, reverse-complement only, "
              "and near: sharing a long stretch on either strand without being an exact or RC duplicate); "
              "within a split, rows repeating an earlier row.")
    rows = []
    for path in audits:
        a = json.loads(path.read_text())
        for key, n in a["exact_duplicates"].items():
            rows.append([path.relative_to(runs_dir / "audit").with_suffix("").as_posix(), key, n, a["reverse_complement_duplicates"][key],
                         a["near_duplicates"].get(key, "–"), a["conflicting_labels"][key]])
    page.table(["dataset", "pair", "exact", "reverse complement", f"near (≥ {a['min_shared_bp']} bp)",
                "conflicting labels"], rows)


def build_report(runs_dir: str | Path, output: str | Path, *, pretrain: list[str | Path] | None = None,
                 title: str | None = None) -> dict:
    """Write ``output`` (HTML, plots embedded) and ``output`` with ``.md`` (Markdown, PNGs in
    ``report_files/``). Returns the paths written."""
    runs_dir, output = Path(runs_dir), Path(output)
    if not runs_dir.is_dir():
        raise FileNotFoundError(f"{runs_dir}: no such run folder")
    output.parent.mkdir(parents=True, exist_ok=True)
    files = output.parent / f"{output.stem}_files"
    page = _Page(files, output.parent)
    results_path = runs_dir / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {}
    name = title or results.get("name") or runs_dir.name
    page.heading(f"dnalm report: {name}", 1)
    if results:
        _results_section(page, results)
    else:
        page.text(f"{runs_dir} holds no results.json (the benchmark has not finished); showing the runs found.")
    _runs_sections(page, runs_dir, list(dict.fromkeys(r["dataset"] for r in results.get("rows", []))),
                   results.get("runs"))
    _search_section(page, runs_dir)
    folders = [Path(p) for p in pretrain or []]
    for m in (results.get("config", {}).get("models") or {}).values():
        model = Path(str(m.get("model", "")))
        if (model / "pretrain_summary.json").is_file() and model not in folders:
            folders.append(model)
    for i, folder in enumerate(folders):
        summary = _plot_pretraining(folder, page.figure(f"pretrain_{i}.png"))
        if summary is None:
            raise FileNotFoundError(f"{folder}: no history.json of a pretraining run")
        page.heading(f"Pretraining: {folder}")
        val = summary.get("validation") or {}
        if val:
            page.text(f"{summary.get('steps')} steps; validation MLM loss {val.get('eval_loss', float('nan')):.3f}, "
                      f"masked-token accuracy {val.get('eval_masked_accuracy', float('nan')):.3f}.")
        page.embed(f"pretrain_{i}.png", f"pretraining loss curve ({folder})")
    _audit_section(page, runs_dir)
    body = "\n".join(page.html)
    output.write_text(f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      f"<title>{html.escape(name)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n",
                      encoding="utf-8")
    md = output.with_suffix(".md")
    md.write_text("\n".join(page.md), encoding="utf-8")
    return {"html": str(output), "markdown": str(md), "figures": str(files),
            "n_figures": len(list(files.glob("*.png")))}
