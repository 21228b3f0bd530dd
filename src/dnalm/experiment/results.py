"""Typed results: a run (``run.json``), a search trial and choice (``trial.json``, ``chosen.json``), one
aggregated row per dataset x model, and a benchmark's table (``results.json``, ``results.csv``, ``results.md``).

The runner writes these types and the report reads them; neither imports the other. Each type reads
the JSON that dnalm has always written (``from_dict``) and writes the same layout back (``to_dict``);
keys a type does not know are kept in ``extra`` and written back too.

>>> runs = [RunRecord("tata", "cnn", s, metrics={"mcc": m}, parameters=1000) for s, m in ((0, 0.70), (1, 0.74))]
>>> (row,) = aggregate(runs)
>>> row.n_seeds, str(row.metrics["mcc"])
(2, '0.720 ± 0.028')
>>> ResultRow.from_dict(row.to_dict()).metrics == row.metrics  # results.json's flat rows read back
True
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from dnalm.experiment.budget import budget_cap, capped_cell, capped_note
from dnalm.io.files import atomic_open, write_json, write_text

__all__ = [
    "MAIN_METRICS",
    "RUN_STATS",
    "ResultRow",
    "Results",
    "RunRecord",
    "SearchChoice",
    "Summary",
    "Trial",
    "aggregate",
    "format_mean_std",
    "load_records",
    "markdown_table",
]

#: metrics shown in the main table (every scalar metric is in the CSV/JSON and the detailed table)
MAIN_METRICS = ("mcc", "accuracy", "f1", "auroc", "auprc")
#: The main table's columns for other tasks, each by a metric only that task has (mixed benchmarks get both).
_MAIN_BY_TASK = {
    "mcc": MAIN_METRICS,
    "subset_accuracy": ("subset_accuracy", "f1_macro", "auroc", "auprc"),  # multi-label
    "mse": ("r2", "pearson", "spearman", "mse", "mae"),  # regression
}
#: figures of each run summarised beside the metrics (mean and std, no per-seed values)
RUN_STATS = ("wall_time_s", "train_time_s", "epochs_run", "best_validation_metric")
_STD_NOTE = "sample standard deviation (ddof=1)"

_R = TypeVar("_R", bound="_Record")


class _Record:
    """JSON round trip of a record dataclass: known keys become fields, the others ``extra``."""

    extra: dict

    @classmethod
    def from_dict(cls: type[_R], data: dict, source: str = "") -> _R:
        fields = [f for f in dataclasses.fields(cls) if f.name != "extra"]
        no_default = dataclasses.MISSING
        required = [f.name for f in fields if f.default is no_default and f.default_factory is no_default]
        missing = [name for name in required if name not in data]
        if missing:
            raise ValueError(f"{source or cls.__name__}: missing {', '.join(missing)}")
        names = {f.name for f in fields}
        return cls(
            **{k: v for k, v in data.items() if k in names}, extra={k: v for k, v in data.items() if k not in names}
        )

    def to_dict(self) -> dict:
        fields = dataclasses.fields(self)
        return {**{f.name: getattr(self, f.name) for f in fields if f.name != "extra"}, **self.extra}

    @classmethod
    def load(cls: type[_R], path: str | Path) -> _R:
        return cls.from_dict(json.loads(Path(path).read_text()), source=str(path))

    def save(self, path: str | Path) -> None:
        """Atomically, non-finite numbers as ``null``."""
        write_json(path, self.to_dict())


@dataclass
class RunRecord(_Record):
    """One finished benchmark run (``run.json``): settings, test metrics, times, and the key that says
    whether it must be redone (see :meth:`dnalm.experiment.config.BenchmarkConfig.run_key`)."""

    dataset: str
    model: str
    seed: int
    data: str = ""
    split: str = "test"
    finetune_config: dict = field(default_factory=dict)
    search_overrides: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)  # evaluate()'s output: scalars, confusion matrix, labels
    validation_metrics: dict | None = None
    best_validation_metric: float | None = None
    epochs_run: float | None = None
    parameters: int | None = None
    n_train: int | None = None
    n_validation: int | None = None
    n_truncated_train: int | None = None
    train_time_s: float | None = None
    eval_time_s: float | None = None
    wall_time_s: float | None = None
    versions: dict = field(default_factory=dict)
    device: str | None = None
    run_key: str | None = None  # None: written by a dnalm older than run keys
    run_key_parts: dict | None = None
    budget: dict | None = None  # the time budget and the steps/epochs asked for, planned and run (budget_fields)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = super().to_dict()
        if out["budget"] is None:  # a run.json from before budgets were recorded is written back as it was
            del out["budget"]
        return out

    def budget_cap(self) -> dict | None:
        """How much the time budget cut this run short (:func:`dnalm.experiment.budget.budget_cap`)."""
        return budget_cap(self.budget, self.seed)

    def scalar_metrics(self) -> dict[str, float]:
        """The test metrics that are numbers (not the confusion matrix, labels or flags)."""
        return {k: float(v) for k, v in self.metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}

    def tidy(self) -> dict:
        """One row of ``runs.csv``: the run, every scalar metric and its times."""
        return {
            "dataset": self.dataset,
            "model": self.model,
            "seed": self.seed,
            **self.scalar_metrics(),
            **{k: getattr(self, k) for k in RUN_STATS},
        }


@dataclass
class Trial(_Record):
    """One setting of a hyperparameter search (``trial.json``), scored on the validation split."""

    dataset: str
    model: str
    params: dict
    metric: str = ""
    value: float | None = None  # best validation metric (None: it produced none)
    seed: int = 0
    epochs_run: float | None = None
    wall_time_s: float | None = None
    history: list[dict] = field(default_factory=list)  # validation rows per epoch (history.json)
    trial_key: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class SearchChoice(_Record):
    """The setting a search chose for one dataset x model (``chosen.json``) and a summary of its trials."""

    dataset: str
    model: str
    params: dict
    metric: str
    value: float
    method: str = "grid"
    seed: int = 0
    trials: list[dict] = field(default_factory=list)  # {"params", "value", "epochs_run"} per trial
    extra: dict = field(default_factory=dict)


def load_records(output: str | Path) -> list[RunRecord]:
    """Every finished run's ``run.json`` under ``output/runs`` (names may hold ``/``: any depth)."""
    paths = sorted(p for p in Path(output).glob("runs/**/run.json") if re.fullmatch(r"seed-?\d+", p.parent.name))
    return [RunRecord.load(p) for p in paths]


def format_mean_std(mean: float | None, std: float | None, digits: int = 3) -> str:
    """``0.712 ± 0.013``; ``0.712 ± n/a`` for one seed; ``–`` when there is no value.

    >>> format_mean_std(0.7123, 0.0131), format_mean_std(0.5, None), format_mean_std(None, None)
    ('0.712 ± 0.013', '0.500 ± n/a', '–')
    """
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return f"{mean:.{digits}f} ± n/a"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


@dataclass
class Summary:
    """Mean and sample standard deviation (ddof=1) over seeds; the std of one value is None, not 0."""

    mean: float | None
    std: float | None = None
    values: list[float] | None = None  # per seed, in seed order (test metrics only)

    @classmethod
    def of(cls, values: list[float], keep_values: bool = True) -> Summary:
        arr = np.asarray(values, dtype=float)
        return cls(
            float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else None, list(values) if keep_values else None
        )

    def format(self, digits: int = 3) -> str:
        return format_mean_std(self.mean, self.std, digits)

    def __str__(self) -> str:
        return self.format()


@dataclass
class ResultRow:
    """One dataset x model of the table: every scalar test metric and the run figures, over seeds.

    On disk (``results.json``'s ``rows``) it is flat: ``mcc_mean``, ``mcc_std``, ``mcc_values``, ...
    """

    dataset: str
    model: str
    n_seeds: int
    seeds: list[int]
    parameters: int | None
    metrics: dict[str, Summary] = field(default_factory=dict)  # every scalar test metric
    run_stats: dict[str, Summary] = field(default_factory=dict)  # RUN_STATS
    constant_prediction_runs: int = 0  # runs that predicted one class for every test sequence
    budget_capped: list[dict] = field(default_factory=list)  # RunRecord.budget_cap() of each run cut short
    positive_label: str | None = None  # a two-class dataset's class that precision, recall, F1, AUROC, AUPRC are of

    def get(self, name: str) -> Summary:
        """A metric's or run figure's summary; an empty one (``–``) if this row has none."""
        return self.metrics.get(name) or self.run_stats.get(name) or Summary(None)

    def to_dict(self) -> dict:
        out = {
            "dataset": self.dataset,
            "model": self.model,
            "n_seeds": self.n_seeds,
            "seeds": self.seeds,
            "parameters": self.parameters,
        }
        for name, s in self.metrics.items():
            out.update({f"{name}_mean": s.mean, f"{name}_std": s.std, f"{name}_values": s.values})
        for name, s in self.run_stats.items():
            out.update({f"{name}_mean": s.mean, f"{name}_std": s.std})
        return {
            **out,
            "constant_prediction_runs": self.constant_prediction_runs,
            "budget_capped": self.budget_capped,
            "positive_label": self.positive_label,
        }

    def budget_cell(self) -> str:
        return capped_cell(self.budget_capped, self.n_seeds)

    @classmethod
    def from_dict(cls, data: dict) -> ResultRow:
        metrics, stats = {}, {}
        for name in (k[: -len("_mean")] for k in data if k.endswith("_mean")):
            s = Summary(data[f"{name}_mean"], data.get(f"{name}_std"), data.get(f"{name}_values"))
            (stats if name in RUN_STATS and s.values is None else metrics)[name] = s
        seeds = list(data.get("seeds") or [])
        return cls(
            data["dataset"],
            data["model"],
            int(data.get("n_seeds", len(seeds))),
            seeds,
            data.get("parameters"),
            metrics,
            stats,
            int(data.get("constant_prediction_runs") or 0),
            list(data.get("budget_capped") or []),
            data.get("positive_label"),
        )

    def csv_dict(self) -> dict:
        """A row of ``results.csv``: everything but the per-seed lists."""
        out = {
            k: v for k, v in self.to_dict().items() if not k.endswith("_values") and k not in ("seeds", "budget_capped")
        }
        return {**out, "budget_capped_runs": len(self.budget_capped)}


def aggregate(records: list[RunRecord]) -> list[ResultRow]:
    """One row per (dataset, model): every scalar test metric as mean, std (ddof=1) and per-seed values."""
    groups: dict[tuple[str, str], list[RunRecord]] = {}
    for r in records:
        groups.setdefault((r.dataset, r.model), []).append(r)
    rows = []
    for (dataset, model), runs in groups.items():
        runs = sorted(runs, key=lambda r: r.seed)
        scalars = [r.scalar_metrics() for r in runs]
        names = list(dict.fromkeys(k for s in scalars for k in s))
        metrics = {name: Summary.of([s.get(name, math.nan) for s in scalars]) for name in names}
        stats = {
            name: Summary.of(
                [math.nan if getattr(r, name) is None else float(getattr(r, name)) for r in runs], keep_values=False
            )
            for name in RUN_STATS
        }
        flagged = sum(bool(r.metrics.get("constant_prediction")) for r in runs)
        capped = [c for c in (r.budget_cap() for r in runs) if c is not None]
        positive = runs[0].metrics.get("positive_label")  # (evaluate's metrics.json: one per dataset)
        rows.append(
            ResultRow(
                dataset,
                model,
                len(runs),
                [r.seed for r in runs],
                runs[0].parameters,
                metrics,
                stats,
                flagged,
                capped,
                None if positive is None else str(positive),
            )
        )
    return rows


def markdown_table(head: list, body: list[list]) -> list[str]:
    """Lines of a Markdown table.

    >>> markdown_table(["dataset", "MCC"], [["tata", "0.712 ± 0.013"]])
    ['| dataset | MCC |', '|---|---|', '| tata | 0.712 ± 0.013 |']
    """
    return ["| " + " | ".join(map(str, head)) + " |", "|" + "---|" * len(head)] + [
        "| " + " | ".join(map(str, row)) + " |" for row in body
    ]


def _write_csv(path: Path, rows: list[dict]) -> None:
    with atomic_open(path, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows(rows)


def _number(value, spec: str) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


@dataclass
class Results:
    """A benchmark's table (``results.json``): the rows, the config that ran (``BenchmarkConfig.to_dict()``),
    the search's choices by ``"dataset/model"`` and the run folders of the plan (``runs/<dataset>/<model>/seedN``;
    None in a file that does not list them). The runner writes it, the report reads it."""

    name: str
    config: dict = field(default_factory=dict)
    split: str = "test"
    std: str = _STD_NOTE
    rows: list[ResultRow] = field(default_factory=list)
    search: dict[str, SearchChoice] = field(default_factory=dict)
    runs: list[str] | None = None

    @property
    def references(self) -> dict[str, dict[str, float]]:
        """Published figures per dataset (``{"tata": {"mcc": 0.69}}``), from the config."""
        return {name: dict(entry.get("reference") or {}) for name, entry in (self.config.get("datasets") or {}).items()}

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "config": self.config,
            "split": self.split,
            "std": self.std,
            "rows": [r.to_dict() for r in self.rows],
            "search": {k: c.to_dict() for k, c in self.search.items()},
            "runs": self.runs,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Results:
        return cls(
            name=data.get("name", ""),
            config=data.get("config") or {},
            split=data.get("split", "test"),
            std=data.get("std", _STD_NOTE),
            rows=[ResultRow.from_dict(r) for r in data.get("rows", [])],
            search={k: SearchChoice.from_dict(c, f"search {k}") for k, c in (data.get("search") or {}).items()},
            runs=data.get("runs"),
        )

    @classmethod
    def load(cls, path: str | Path) -> Results:
        """From ``results.json``, or from the folder that holds it."""
        path = Path(path)
        return cls.from_dict(json.loads((path / "results.json" if path.is_dir() else path).read_text()))

    def write(self, output: str | Path, records: list[RunRecord] | None = None) -> None:
        """``results.json`` (everything), ``results.csv`` (one row per dataset x model), ``results.md``, and,
        given the records, ``runs.csv`` (tidy: one row per run, every scalar metric and its time)."""
        output = Path(output)
        output.mkdir(parents=True, exist_ok=True)
        if records:
            _write_csv(output / "runs.csv", [r.tidy() for r in records])
        write_json(output / "results.json", self.to_dict())
        _write_csv(output / "results.csv", [r.csv_dict() for r in self.rows])
        write_text(output / "results.md", self.markdown())

    def main_table(self) -> tuple[list[str], list[list[str]]]:
        """Head and cells of the main table: MAIN_METRICS (a regression's or multi-label task's own where the runs
        hold those) as mean ± std, references, time and size."""
        refs = self.references
        keys = sorted({k for ref in refs.values() for k in ref})
        held = {m for r in self.rows for m in r.metrics}
        main = list(dict.fromkeys(m for key, ms in _MAIN_BY_TASK.items() if key in held for m in ms)) or MAIN_METRICS
        capped = any(r.budget_capped for r in self.rows)  # a column only when a time budget cut some run short
        head = [
            "dataset",
            "model",
            "seeds",
            *[m.upper() if m == "mcc" else m for m in main],
            *[f"reference {k}" for k in keys],
            "wall time / run (s)",
            "parameters",
            *(["time budget"] if capped else []),
        ]
        body = [
            [
                r.dataset,
                r.model,
                str(r.n_seeds),
                *[str(r.get(m)) for m in main],
                *[_number(refs.get(r.dataset, {}).get(k), ".3f") for k in keys],
                _number(r.get("wall_time_s").mean, ".0f"),
                _number(r.parameters, ","),
                *([r.budget_cell()] if capped else []),
            ]
            for r in self.rows
        ]
        return head, body

    def metrics_table(self) -> tuple[list[str], list[list[str]]]:
        """Every metric and run figure of the first row's, mean ± std (4 digits; times 1)."""
        names = [*self.rows[0].metrics, *self.rows[0].run_stats] if self.rows else []
        body = [
            [r.dataset, r.model, *[r.get(n).format(1 if n.endswith("time_s") else 4) for n in names]] for r in self.rows
        ]
        return ["dataset", "model", *names], body

    def search_table(self) -> tuple[list[str], list[list[str]]]:
        body = [
            [c.dataset, c.model, json.dumps(c.params), f"{c.metric} = {c.value:.4f}"]
            for _, c in sorted(self.search.items())
        ]
        return ["dataset", "model", "setting", "validation metric"], body

    def constant_prediction_note(self) -> str | None:
        flagged = [
            f"{r.dataset}/{r.model} ({r.constant_prediction_runs} of {r.n_seeds})"
            for r in self.rows
            if r.constant_prediction_runs
        ]
        return "Runs that predict one class for every test sequence: " + ", ".join(flagged) if flagged else None

    def reference_note(self) -> str | None:
        """The reference figures that no run of their dataset can stand beside: its runs report no such metric
        (an r2 given for a classification, say); the table shows them in their column all the same."""
        held: dict[str, set[str]] = {}
        for r in self.rows:
            held.setdefault(r.dataset, set()).update(r.metrics)
        unmatched = [
            f"{name}: {metric}"
            for name, ref in self.references.items()
            for metric in ref
            if name in held and metric not in held[name]
        ]
        if not unmatched:
            return None
        return "Reference figures with no measured counterpart (the runs report no such metric): " + ", ".join(
            unmatched
        )

    def budget_note(self) -> str | None:
        """Every run its time budget cut short, by how much (None: no run was)."""
        return capped_note({f"{r.dataset}/{r.model}": r.budget_capped for r in self.rows})

    def notes(self) -> list[str]:
        """What the main table cannot say itself: one-class runs, cut budgets, unmatched references."""
        notes = (self.constant_prediction_note(), self.budget_note(), self.reference_note(), self.positive_note())
        return [n for n in notes if n]

    def positive_note(self) -> str | None:
        """Which class each two-class dataset's precision, recall, F1, AUROC and AUPRC are of (the table could
        hold a dataset's first label beside another's second, and did not say)."""
        held = {r.dataset: r.positive_label for r in self.rows if r.positive_label is not None}
        shown = ", ".join(f"{d}: {label}" for d, label in held.items())
        return (
            f"Precision, recall, F1, AUROC and AUPRC are of each dataset's positive class: {shown}." if held else None
        )

    def markdown(self) -> str:
        """``results.md``: the main table, notes, the search's choices and every metric."""
        lines = [
            f"# {self.name}: {self.split} metrics, mean ± std over seeds",
            "",
            f"Model selection on each dataset's dev split; {self.split} read once per run. "
            "std is the sample standard deviation (ddof=1).",
            "",
        ]
        lines += markdown_table(*self.main_table())
        for note in self.notes():
            lines += ["", note]
        datasets = (self.config.get("datasets") or {}).values()
        sources = {e.get("reference_source") for e in datasets if e.get("reference") and e.get("reference_source")}
        if sources:
            lines += ["", "Reference figures: " + "; ".join(sorted(sources)) + "."]
        if self.search:
            lines += ["", "## Hyperparameters chosen on validation", "", *markdown_table(*self.search_table())]
        lines += ["", "## Every metric", "", *markdown_table(*self.metrics_table())]
        return "\n".join(lines) + "\n"
