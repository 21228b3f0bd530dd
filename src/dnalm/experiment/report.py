"""``dnalm report RUNS``: one self-contained HTML page (plots embedded) and a Markdown twin.

Reads what ``dnalm benchmark``/``dnalm search`` wrote under RUNS — ``results.json``, each
run's ``run.json``, ``model/history.json`` and ``eval/predictions.csv``, ``search/**/trial.json``,
``audit/*.json`` — plus any pretraining run (a folder with ``pretrain_summary.json`` given
as a model in the benchmark config, or passed with ``pretrain=``). Every plot is also saved
as a PNG under ``report_files/`` next to the report. The files are read through the types of
:mod:`dnalm.experiment.results` and drawn by :mod:`dnalm.plots`; the report knows
nothing of the runner, so it reports a benchmark that is still running, or one from an earlier dnalm.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
from pathlib import Path

import numpy as np

from dnalm.experiment.config import RunKey
from dnalm.experiment.results import Results, RunRecord, SearchChoice, Trial, load_records, markdown_table
from dnalm.io.base import strip_gz
from dnalm.io.files import is_stream, write_text
from dnalm.io.outputs import Output, claims, read_marker
from dnalm.plots import (
    plot_comparison,
    plot_curves,
    plot_pretraining,
    plot_roc_pr,
    plot_search_curves,
)
from dnalm.settings import check_path

log = logging.getLogger(__name__)

__all__ = ["build_report"]


class _Page:
    """Collects sections as HTML and Markdown at once; figures go to ``files`` and are embedded."""

    def __init__(self, files: Path, md_base: Path):
        self.files, self.md_base = files, md_base
        self.html: list[str] = []
        self.md: list[str] = []
        self.embedded: list[str] = []  # the figures drawn and shown (a user's own file in the folder is not one)
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
        self.md += markdown_table(head, rows) + [""]

    def figure(self, name: str) -> Path:
        """Path to draw into; call :meth:`embed` after drawing."""
        return self.files / name

    def embed(self, name: str, caption: str, width: int | None = None) -> None:
        path = self.files / name
        if not path.is_file():
            return
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        self.embedded.append(name)
        style = f' style="max-width:{width}px"' if width else ""
        self.html.append(
            f'<figure><img alt="{html.escape(caption)}"{style} src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
        rel = path.relative_to(self.md_base) if path.is_relative_to(self.md_base) else path
        self.md += [f"![{caption}]({rel.as_posix()})", ""]


_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f0f0f0}td:first-child,td:nth-child(2){text-align:left}img{max-width:100%}
figure{margin:1em 0}figcaption{font-size:12px;color:#555}h1{font-size:1.6em}h2{border-bottom:1px solid #ddd}"""


def _results_section(page: _Page, results: Results) -> None:
    page.heading("Results")
    page.text(f"{results.split} metrics, mean ± std ({results.std}) over seeds; models selected on the dev split only.")
    page.table(*results.main_table())
    metric = next((m for m in ("mcc", "f1_macro", "mse") if any(m in r.metrics for r in results.rows)), None)
    if metric:
        refs = {d: ref[metric] for d, ref in results.references.items() if metric in ref}
        plot_comparison(
            {(r.dataset, r.model): r.get(metric).values or [] for r in results.rows},
            refs,
            page.figure("comparison.png"),
            metric,
        )
        page.embed(
            "comparison.png",
            f"test {metric.upper()} per model: one dot per seed, the bar at the mean, "
            "the dashed line the dataset's reference figure",
        )
    for note in results.notes():
        page.text(note)


def _binary_scores(predictions: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """Labels (1: the positive class, :func:`~dnalm.metrics.positive_index`, whose AUROC and AUPRC evaluate
    reports) and its probability from a binary run's ``predictions.csv`` (it took the second class's, so with
    labels 1/2 the curves were of class 2 beside metrics of class 1)."""
    import csv

    from dnalm.metrics import positive_index

    with open(predictions, newline="") as fh:
        rows = list(csv.DictReader(fh))
    probs = [k for k in (rows[0] if rows else {}) if k.startswith("prob_")]
    if len(probs) != 2:
        return None
    names = [p.removeprefix("prob_") for p in probs]
    if any(";" in (r.get("label") or "") and r.get("label") not in names for r in rows):  # multi-label: no one curve
        return None  # (its rows of 'tata;gc' were counted as negatives of 'tata': a curve of neither label)
    column = probs[positive_index(names)]
    y = np.array([r["label"] == column.removeprefix("prob_") for r in rows], dtype=int)
    try:
        return y, np.array([float(r[column]) for r in rows])
    except (TypeError, ValueError):  # a header row again, a cut line: "could not convert string to float: 'prob_1'"
        line, value = next((i + 2, r[column]) for i, r in enumerate(rows) if not _is_number(r[column]))
        raise ValueError(f"{predictions}:{line}: {column} is {value!r}, not a probability") from None


def _is_number(text) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _runs_sections(page: _Page, runs_dir: Path, order: list[str], planned: list[str] | None) -> None:
    """Per dataset: confusion matrices, learning curves and ROC/PR of the runs in the current plan
    (``results.json``'s ``runs``; every finished run when there is no results.json yet)."""
    from dnalm.apply.evaluate import plot_confusion_matrix

    if planned is not None:
        records = [RunRecord.load(runs_dir / f / "run.json") for f in planned if (runs_dir / f / "run.json").is_file()]
    else:
        records = _current_records(page, runs_dir)
    by_dataset: dict[str, dict[str, list[RunRecord]]] = {}
    for r in records:
        by_dataset.setdefault(r.dataset, {}).setdefault(r.model, []).append(r)
    rank = {name: i for i, name in enumerate(order)}
    for dataset, models in sorted(by_dataset.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])):
        page.heading(f"{dataset}", 2)
        curves = {}
        for model, runs in models.items():
            cms = [np.asarray(r.metrics["confusion_matrix"]) for r in runs if "confusion_matrix" in r.metrics]
            if cms:
                name = f"cm_{dataset}_{model}.png".replace("/", "_")
                labels = runs[0].metrics.get("labels", [str(i) for i in range(len(cms[0]))])
                plot_confusion_matrix(
                    sum(cms), labels, page.figure(name), title=f"{dataset} / {model}: {len(cms)} seeds summed"
                )
                page.embed(name, f"{dataset} / {model}: test confusion matrix, summed over {len(cms)} seeds", 640)
            histories = {}
            for r in sorted(runs, key=lambda r: r.seed):
                folder = runs_dir / "runs" / RunKey(r.dataset, r.model, r.seed).folder
                if (folder / "model" / "history.json").is_file():
                    histories[f"seed {r.seed}"] = json.loads((folder / "model" / "history.json").read_text())
                pred = folder / "eval" / "predictions.csv"
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


def _current_results(runs_dir: Path) -> Results | None:
    """``results.json``, where it is the table of the config in ``benchmark.json`` (a benchmark continued with other
    settings and stopped leaves the earlier table until it writes its own: its rows are not of the present runs)."""
    if not (runs_dir / "results.json").is_file():
        return None
    results = Results.load(runs_dir)
    try:
        plan = json.loads((runs_dir / "benchmark.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return results  # a search's folder, or a results.json copied on its own
    if not isinstance(plan, dict) or {k: v for k, v in plan.items() if k != "run_keys"} == results.config:
        return results
    return None


def _current_records(page: _Page, runs_dir: Path) -> list[RunRecord]:
    """The finished runs of a benchmark that has not finished: those whose key is the current config's (its
    ``benchmark.json``), so that runs of an earlier config are never shown beside them; the others are counted."""
    records = load_records(runs_dir)
    try:
        keys = json.loads((runs_dir / "benchmark.json").read_text(encoding="utf-8"))["run_keys"]
    except (OSError, ValueError, KeyError, TypeError):
        return records  # a benchmark stopped before its plan was written: the runs found, as they are
    current = [r for r in records if keys.get(f"runs/{RunKey(r.dataset, r.model, r.seed).folder}") == r.run_key]
    if len(current) < len(records):
        stale = sorted(f"{r.dataset}/{r.model}/seed{r.seed}" for r in records if r not in current)
        page.text(
            f"{len(stale)} finished run(s) of an earlier config are left out ({', '.join(stale[:5])}"
            f"{' ...' if len(stale) > 5 else ''}): the benchmark redoes them with the current one."
        )
    return current


def _plan(runs_dir: Path) -> tuple[set, set, dict | None] | None:
    """The datasets, models and search section of the benchmark that last ran in the folder (``benchmark.json``);
    None: unknown."""
    try:
        config = json.loads((runs_dir / "benchmark.json").read_text(encoding="utf-8"))
        return set(config["datasets"]), set(config["models"]), config.get("search") or None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _searched(plan: tuple, choice) -> bool:
    """Whether the current benchmark (``plan``: its datasets, models and search section) searched that choice's
    dataset and model."""
    datasets, models, search = plan
    if not isinstance(search, dict):
        return False
    return choice.dataset in (search.get("datasets") or datasets) and choice.model in (search.get("models") or models)


def _search_section(page: _Page, runs_dir: Path) -> None:
    plan = _plan(runs_dir)
    chosen = [
        (path, c)
        for path in sorted(runs_dir.glob("search/**/chosen.json"))
        for c in [SearchChoice.load(path)]
        if plan is None or _searched(plan, c)  # not an earlier config's search
    ]
    if not chosen:
        return
    page.heading("Hyperparameter search (validation split only)")
    rows = []
    for path, c in chosen:
        trials = [Trial.load(p) for p in sorted(path.parent.glob("trial-*/trial.json"))]
        trials = trials[: len(c.trials)] if c.trials else trials  # a smaller search since: its own trials only
        for t in trials:
            rows.append(
                [
                    c.dataset,
                    c.model,
                    json.dumps(t.params),
                    "–" if t.value is None else f"{t.value:.4f}",
                    "chosen" if t.params == c.params else "",
                ]
            )
        name = f"search_{c.dataset}_{c.model}.png".replace("/", "_")
        plot_search_curves([(t.params, t.history) for t in trials], page.figure(name), title=f"{c.dataset} / {c.model}")
        page.embed(name, f"{c.dataset} / {c.model}: validation curves per epoch, one line per setting")
    page.table(["dataset", "model", "setting", "best validation metric", ""], rows)


def _pretraining_folders(pretrain: str | Path | list[str | Path] | None) -> list[Path]:
    """The ``pretrain=`` folders (one path, or a list), each a pretraining run (``pretrain_summary.json``) given
    once."""
    folders: list[Path] = []
    for given in [pretrain] if isinstance(pretrain, str | os.PathLike) else pretrain or []:
        given = check_path(given, "pretrain")
        folder = Path(given)
        if not (folder / "pretrain_summary.json").is_file():
            what = (
                "a fine-tuned model" if (folder / "training_summary.json").is_file() else "not a finished pretraining"
            )
            raise ValueError(f"--pretrain {given}: {what} (no pretrain_summary.json); give a dnalm pretrain output")
        if any(os.path.realpath(folder) == os.path.realpath(f) for f in folders):
            raise ValueError(f"--pretrain {given} is given twice; give each pretraining run once")
        folders.append(folder)
    return folders


def _pretraining_section(page: _Page, i: int, folder: Path) -> None:
    """A pretraining run (``history.json``, ``pretrain_summary.json``): its loss curve and final validation."""
    if not (folder / "history.json").is_file():
        raise FileNotFoundError(f"{folder}: no history.json of a pretraining run")
    plot_pretraining(json.loads((folder / "history.json").read_text()), page.figure(f"pretrain_{i}.png"))
    summary_path = folder / "pretrain_summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    page.heading(f"Pretraining: {folder}")
    val = summary.get("validation") or {}
    if val:
        page.text(
            f"{summary.get('steps')} steps; validation MLM loss {val.get('eval_loss', float('nan')):.3f}, "
            f"masked-token accuracy {val.get('eval_masked_accuracy', float('nan')):.3f}."
        )
    page.embed(f"pretrain_{i}.png", f"pretraining loss curve ({folder})")


def _audits(runs_dir: Path) -> list[tuple[Path, dict]]:
    """The benchmark's audits (``audit/<dataset>.json``); other JSON there (a report's own figures folder, the
    user's files) is said and left out, and a damaged audit is one line naming it."""
    audits, other, plan = [], [], _plan(runs_dir)
    for path in sorted(runs_dir.glob("audit/**/*.json")):
        if any(part.startswith(".") for part in path.relative_to(runs_dir).parts):  # dnalm's markers
            continue
        try:
            a = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            raise ValueError(f"{path}: not a readable audit ({err})") from None
        keys = ("exact_duplicates", "reverse_complement_duplicates", "near_duplicates", "conflicting_labels")
        if isinstance(a, dict) and all(isinstance(a.get(k), dict) for k in keys):
            if plan is None or path.relative_to(runs_dir / "audit").with_suffix("").as_posix() in plan[0]:
                audits.append((path, a))  # (not a dataset of an earlier config)
        else:
            other.append(path)
    if other:
        log.warning(
            "%d JSON file(s) under %s are not leakage audits and are left out: %s",
            len(other),
            runs_dir / "audit",
            ", ".join(str(p.relative_to(runs_dir)) for p in other[:3]),
        )
    return audits


def _audit_section(page: _Page, runs_dir: Path) -> None:
    audits = _audits(runs_dir)
    if not audits:
        return
    page.heading("Leakage audit")
    page.text(
        "Rows of the first split whose sequence also occurs in the second (exact, reverse-complement only, "
        "and near: sharing a long stretch on either strand without being an exact or RC duplicate); "
        "within a split, rows repeating an earlier row."
    )
    rows = []
    for path, a in audits:
        for key, n in a["exact_duplicates"].items():
            rows.append(
                [
                    path.relative_to(runs_dir / "audit").with_suffix("").as_posix(),
                    key,
                    n,
                    a["reverse_complement_duplicates"][key],
                    a["near_duplicates"].get(key, "–"),
                    a["conflicting_labels"][key],
                ]
            )
    page.table(
        [
            "dataset",
            "pair",
            "exact",
            "reverse complement",
            f"near (≥ {a.get('min_shared_bp', '?')} bp)",
            "conflicting labels",
        ],
        rows,
    )


_READS = ("results.json", "results.md", "results.csv", "benchmark.json", "runs", "search", "audit")


def _report_claim(runs_dir, output, pretrain) -> dict:
    """What ``report`` reads and writes: the HTML, the Markdown beside it, and its figures folder."""
    output = check_path(output, "output")
    if is_stream(output):  # the Markdown and the figures folder would be named after it ('-.md', '-_files/')
        raise ValueError(
            f"report writes an HTML file, a Markdown file beside it and a figures folder; {output} is a stream: "
            "give a file name, e.g. -o report.html"
        )
    if output.suffix.lower() not in (".html", ".htm"):  # the HTML was written under any name (report.txt)
        stem = Path(strip_gz(output)).stem  # r.html.gz: "e.g. r.html.html"
        raise ValueError(f"report writes an HTML file (and Markdown beside it); name it .html, e.g. {stem}.html")
    runs_dir = check_path(runs_dir, "runs_dir")
    # what it reads there, not the folder itself: a report may replace the one the benchmark wrote beside them
    read = [runs_dir / n for n in _READS if (runs_dir / n).exists()] if runs_dir.is_dir() else []
    return {
        "inputs": [*(read or [runs_dir]), *_pretraining_folders(pretrain)],
        "outputs": [
            Output(output),
            Output(output.with_suffix(".md")),
            Output(output.parent / f"{output.stem}_files", "report-figures", named_after=output),
        ],
    }


@claims("report", lambda a: _report_claim(a["runs_dir"], a["output"], a["pretrain"]))
def build_report(
    runs_dir: str | Path,
    output: str | Path,
    *,
    pretrain: str | Path | list[str | Path] | None = None,
    title: str | None = None,
    overwrite: bool = False,
) -> dict:
    """Write ``output`` (HTML, plots embedded) and ``output`` with ``.md`` (Markdown, PNGs in
    ``report_files/``). Returns the paths written."""
    runs_dir, output = Path(runs_dir), Path(output)
    if title is not None and not isinstance(title, str):  # html.escape(5) failed after the figures were drawn
        raise TypeError(f"title must be text; got {type(title).__name__} {title!r}")
    folders = _pretraining_folders(pretrain)  # checked before anything is written
    if not runs_dir.is_dir():
        raise FileNotFoundError(f"{runs_dir}: no such run folder")
    if (read_marker(runs_dir) or {}).get("kind") != "benchmark" and not (runs_dir / "results.json").is_file():
        raise ValueError(f"{runs_dir}: not a folder that `dnalm benchmark` or `dnalm search` wrote; nothing to report")
    output.parent.mkdir(parents=True, exist_ok=True)
    files = output.parent / f"{output.stem}_files"
    page = _Page(files, output.parent)
    results = _current_results(runs_dir)
    name = title or (results.name if results else "") or runs_dir.name
    page.heading(f"dnalm report: {name}", 1)
    if results:
        _results_section(page, results)
    elif (runs_dir / "results.json").is_file():
        page.text(
            f"{runs_dir}/results.json is the table of an earlier config (benchmark.json's was run since and has not "
            "finished); showing the runs of the present config found."
        )
    else:
        page.text(f"{runs_dir} holds no results.json (the benchmark has not finished); showing the runs found.")
    _runs_sections(
        page,
        runs_dir,
        list(dict.fromkeys(r.dataset for r in results.rows)) if results else [],
        results.runs if results else None,
    )
    _search_section(page, runs_dir)
    for m in ((results.config if results else {}).get("models") or {}).values():
        model = Path(str(m.get("model", "")))
        if (model / "pretrain_summary.json").is_file() and model not in folders:
            folders.append(model)
    for i, folder in enumerate(folders):
        _pretraining_section(page, i, folder)
    _audit_section(page, runs_dir)
    body = "\n".join(page.html)
    write_text(
        output,
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(name)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n",
    )
    md = output.with_suffix(".md")
    write_text(md, "\n".join(page.md))
    return {
        "html": str(output),
        "markdown": str(md),
        "figures": str(files),
        "n_figures": len(page.embedded),
    }
