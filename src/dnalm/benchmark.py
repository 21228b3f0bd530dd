"""Benchmarks: datasets x models x seeds -> one table of test metrics (mean ± std over seeds).

A benchmark config (YAML) names datasets (split folders), models (``finetune`` settings)
and seeds; an optional ``search`` section picks hyperparameters per dataset and model on the
validation split first. Every run is a folder with its config, seed, metrics, wall time and
parameter count (``run.json``), and a key: a hash of everything that determines it (the data
files' bytes, the resolved finetune settings, seed, split, strand averaging, dnalm's version).
A run whose ``run.json`` holds the current key is not redone, so an interrupted benchmark resumes
where it stopped; a run whose key differs (the config or the data changed) is done again. Dataset
and model names become folders under the output and are checked when the config loads. The
results go to ``results.md``, ``results.csv`` and ``results.json``.

>>> cfg = BenchmarkConfig.from_dict({"datasets": {"toy": "data/toy"}, "models": {"cnn": {"model": "cnn"}},
...                                  "seeds": [0, 1]})
>>> [(r.dataset, r.model, r.seed) for r in cfg.runs()]
[('toy', 'cnn', 0), ('toy', 'cnn', 1)]
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import math
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dnalm.config import FinetuneConfig, check_keys, load_yaml
from dnalm.files import atomic_open, write_json, write_text

__all__ = ["BenchmarkConfig", "DatasetEntry", "RunKey", "aggregate", "check_name", "data_digest", "run_benchmark",
           "write_results"]

log = logging.getLogger(__name__)

#: metrics shown in results.md's main table (every scalar metric is in the CSV/JSON and the detailed table)
MAIN_METRICS = ("mcc", "accuracy", "f1", "auroc", "auprc")


_NAME_PART = re.compile(r"[A-Za-z0-9._+=-]+")


def check_name(name: str, what: str = "name") -> str:
    """A dataset or model name, which becomes folders under the output: letters, digits and ``. _ - + =``,
    with ``/`` only between non-empty parts that are not ``.`` or ``..``.

    >>> check_name("prom/prom_core_tata", "dataset")
    'prom/prom_core_tata'
    >>> check_name("../../escape", "dataset")
    Traceback (most recent call last):
    ...
    ValueError: dataset '../../escape': names become folders under the output; use letters, digits, '.', '_', \
'-', '+', '=', and '/' only between non-empty parts other than '.' and '..'
    """
    if not all(_NAME_PART.fullmatch(part) and part not in (".", "..") for part in name.split("/")):
        raise ValueError(f"{what} {name!r}: names become folders under the output; use letters, digits, '.', '_', "
                         "'-', '+', '=', and '/' only between non-empty parts other than '.' and '..'")
    return name


def _check_no_nesting(paths: list[str], what: str, source: str) -> None:
    """Refuse two names that give one folder, or a folder inside another (``a`` + ``b/c`` and ``a/b`` + ``c``)."""
    seen: dict[tuple[str, ...], str] = {}
    for path in paths:
        parts = tuple(path.split("/"))
        if parts in seen:
            raise ValueError(f"{source}: two {what} share the folder {path!r}; rename a dataset or a model")
        seen[parts] = path
    for parts, path in seen.items():
        for i in range(1, len(parts)):
            if parts[:i] in seen:
                raise ValueError(f"{source}: the {what} folder {path!r} lies inside {seen[parts[:i]]!r}; "
                                 "rename a dataset or a model")


def _inside(output: Path, path: Path) -> Path:
    """``path`` if it resolves under ``output``; a name or a symbolic link leading out of it is a ValueError."""
    root, real = output.resolve(), path.resolve()
    if not real.is_relative_to(root):
        raise ValueError(f"{path} resolves to {real}, outside the output folder {root} (a symbolic link leads out "
                         "of it); nothing was written there")
    return path


_DIGESTS: dict[tuple, str] = {}  # per process: (files, sizes, mtimes) -> digest of their bytes


def data_digest(path: str | Path) -> str:
    """SHA-256 of a dataset's split files (names and bytes), or of a single data file.

    Files other than the train/dev/test splits (a README) do not count. Computed once per process
    while the files' sizes and modification times stay the same.
    """
    from dnalm.io import find_splits

    path = Path(path)
    if path.is_dir():
        files = []
        for split, p in sorted(find_splits(path).items()):
            found = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
            files += [(f"{split}:{f.relative_to(path).as_posix()}", f) for f in found]
    else:
        files = [(path.name, path)]
    stamp = tuple((name, f.stat().st_size, f.stat().st_mtime_ns) for name, f in files)
    key = (str(path.resolve()), stamp)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        for name, f in files:
            h.update(f"{name}\0{f.stat().st_size}\0".encode())
            with open(f, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


@dataclass
class DatasetEntry:
    """A dataset of the benchmark: a split folder and, optionally, a published reference figure."""

    path: str
    reference: dict = field(default_factory=dict)  # e.g. {"mcc": 0.6937}
    reference_source: str = ""  # where the reference figure comes from

    @classmethod
    def from_any(cls, name: str, value) -> DatasetEntry:
        if isinstance(value, str):
            return cls(path=value)
        if not isinstance(value, dict) or "path" not in value:
            raise ValueError(f"dataset {name!r}: give a path, or a mapping with 'path' (and optional 'reference')")
        check_keys(value, [f.name for f in dataclasses.fields(cls)], "key", f"dataset {name!r}")
        return cls(**value)


@dataclass(frozen=True)
class RunKey:
    dataset: str
    model: str
    seed: int

    @property
    def folder(self) -> str:
        return f"{self.dataset}/{self.model}/seed{self.seed}"


@dataclass
class BenchmarkConfig:
    """Datasets x models x seeds; see ``configs/benchmark-smoke.yaml`` for an annotated example.

    ``finetune`` holds settings applied to every run; each model's mapping overrides them
    (both are :class:`~dnalm.config.FinetuneConfig` keys, checked up front). ``search``
    (optional) is a :class:`~dnalm.search.SearchConfig` mapping.
    """

    datasets: dict[str, DatasetEntry]
    models: dict[str, dict]
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    finetune: dict = field(default_factory=dict)
    search: dict | None = None
    split: str = "test"  # evaluated once per run, after model selection on the dev split
    reverse_complement_average: bool | None = None  # None: as each model folder records (on for "auto")
    eval_batch_size: int = 128
    audit: bool = True  # leakage audit of every dataset, written to RUNS/audit/
    keep_models: bool = True  # False: delete each run's weights once it is evaluated (history and metrics stay)
    report: bool = True  # also write RUNS/report.html + report.md (dnalm report) when every run is done
    name: str = "benchmark"
    source: str = ""  # the YAML file it came from

    @classmethod
    def from_dict(cls, data: dict, source: str = "", base: Path | None = None) -> BenchmarkConfig:
        data = dict(data)
        check_keys(data, sorted({f.name for f in dataclasses.fields(cls)} - {"source"}), "benchmark key",
                   source or "benchmark config")
        for key in ("datasets", "models"):
            if not isinstance(data.get(key), dict) or not data[key]:
                raise ValueError(f"{source or 'benchmark config'}: '{key}' must be a non-empty mapping")
        where = source or "benchmark config"
        datasets = {check_name(str(n), f"{where}: dataset"): DatasetEntry.from_any(str(n), v)
                    for n, v in data.pop("datasets").items()}
        if base is not None:
            for entry in datasets.values():
                entry.path = _resolve_path(entry.path, base)
        models = {}
        for name, value in data.pop("models").items():
            value = {"model": value} if isinstance(value, str) else dict(value or {})
            models[check_name(str(name), f"{where}: model")] = value
        cfg = cls(datasets=datasets, models=models, source=source, **data)
        _check_no_nesting([k.folder for k in cfg.runs()], "runs", where)
        _check_no_nesting([f"{d}/{m}" for d in cfg.datasets for m in cfg.models], "searches", where)
        _check_no_nesting([f"{d}.json" for d in cfg.datasets], "audits", where)
        if cfg.split in ("train", "dev", "validation"):
            raise ValueError(f"{source or 'benchmark config'}: split {cfg.split!r} is used to train or to select "
                             "models; a benchmark reports a split read once, after selection (test)")
        if not cfg.seeds or len(set(cfg.seeds)) != len(cfg.seeds):
            raise ValueError(f"{source or 'benchmark config'}: seeds must be a non-empty list without repeats")
        for name in cfg.models:  # fail now, not after hours of training
            cfg.finetune_config(name, cfg.seeds[0])
        if cfg.search:
            from dnalm.search import SearchConfig

            SearchConfig.from_dict(cfg.search, models=list(cfg.models), datasets=list(cfg.datasets))
        return cfg

    @classmethod
    def load(cls, path: str | Path) -> BenchmarkConfig:
        path = Path(path)
        return cls.from_dict(load_yaml(path), source=str(path), base=path.resolve().parent)

    def finetune_config(self, model: str, seed: int, overrides: dict | None = None) -> FinetuneConfig:
        settings = {**self.finetune, **self.models[model], **(overrides or {}), "seed": seed}
        settings.setdefault("model", model)
        try:
            return FinetuneConfig.from_dict(settings)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{self.source or 'benchmark config'}: model {model!r}: {err}") from None

    def data_digest(self, dataset: str) -> str:
        """Digest of a dataset's split files (see :func:`data_digest`)."""
        return data_digest(self.datasets[dataset].path)

    def run_key(self, key: RunKey, ft: FinetuneConfig) -> dict:
        """Everything that determines a run's result, and its hash (``key``)."""
        from dnalm import __version__

        parts = {"data_digest": self.data_digest(key.dataset), "finetune_config": ft.to_dict(), "seed": key.seed,
                 "split": self.split, "reverse_complement_average": self.reverse_complement_average,
                 "dnalm_version": __version__}
        parts = json.loads(json.dumps(parts, sort_keys=True, default=str))
        return {"key": hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20], "parts": parts}

    def output_path(self, output: Path, *parts: str) -> Path:
        """``output/parts...``, refused (ValueError) if it resolves outside ``output`` (a symbolic link)."""
        return _inside(output, output.joinpath(*parts))

    def runs(self) -> list[RunKey]:
        return [RunKey(d, m, s) for d in self.datasets for m in self.models for s in self.seeds]

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["datasets"] = {n: dataclasses.asdict(e) for n, e in self.datasets.items()}
        return out


def _resolve_path(path: str, base: Path) -> str:
    """A relative dataset path is read from the working directory, else next to the config file."""
    p = Path(os.path.expanduser(path))
    if p.is_absolute() or p.exists() or not (base / p).exists():
        return str(p)
    return str(base / p)


def _scalars(metrics: dict) -> dict:
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v is not None}


def run_one(cfg: BenchmarkConfig, key: RunKey, output: Path, overrides: dict | None = None) -> dict:
    """Fine-tune, select on dev, evaluate once on ``cfg.split``; returns (and writes) ``run.json``."""
    from dnalm.evaluation import evaluate
    from dnalm.train import finetune

    folder = cfg.output_path(output, "runs", key.folder)
    record_path = folder / "run.json"
    entry = cfg.datasets[key.dataset]
    ft = cfg.finetune_config(key.model, key.seed, overrides)
    run_key = cfg.run_key(key, ft)
    if record_path.is_file():
        old = json.loads(record_path.read_text())
        if old.get("run_key") == run_key["key"]:
            return old
        log.warning("run %s: done again: %s", key.folder, _what_changed(old.get("run_key_parts"), run_key["parts"]))
        shutil.rmtree(folder)
    elif folder.exists():  # a run killed part-way: start it again
        log.info("%s: removing an unfinished run", folder)
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    log.info("run %s: finetune %s on %s (seed %d)", key.folder, ft.model, entry.path, key.seed)
    t0 = time.time()
    summary = finetune(ft, entry.path, folder / "model")
    t1 = time.time()
    metrics = evaluate(str(folder / "model"), entry.path, folder / "eval", split=cfg.split,
                       batch_size=cfg.eval_batch_size, reverse_complement_average=cfg.reverse_complement_average,
                       seed=key.seed)
    t2 = time.time()
    if not cfg.keep_models:
        for weights in (folder / "model").glob("*.safetensors"):
            weights.unlink()
    record = {
        "dataset": key.dataset, "model": key.model, "seed": key.seed, "data": entry.path, "split": cfg.split,
        "finetune_config": ft.to_dict(), "search_overrides": overrides or {},
        "metrics": {k: v for k, v in metrics.items() if k not in ("model", "data")},
        "validation_metrics": summary["validation_metrics"], "best_validation_metric": summary["best_validation_metric"],
        "epochs_run": summary["epochs_run"], "parameters": summary["parameters"], "n_train": summary["n_train"],
        "n_validation": summary["n_validation"], "n_truncated_train": summary["n_truncated_train"],
        "train_time_s": round(t1 - t0, 1), "eval_time_s": round(t2 - t1, 1), "wall_time_s": round(t2 - t0, 1),
        "versions": summary["versions"], "device": summary["device"],
        "run_key": run_key["key"], "run_key_parts": run_key["parts"],
    }
    write_json(record_path, record)  # written last: its presence means the run is complete
    log.info("run %s: %s %s = %.4f (%.0f s)", key.folder, cfg.split, "mcc", metrics.get("mcc", float("nan")),
             t2 - t0)
    return record


def _what_changed(old: dict | None, new: dict) -> str:
    """``finetune epochs 1 -> 2, data content`` (one line for the log)."""
    if not old:
        return "it was recorded without a run key (an older dnalm), so its settings cannot be checked"
    changed = []
    for name, value in new.items():
        if name == "finetune_config":
            before = old.get(name) or {}
            changed += [f"finetune {k} {before.get(k)!r} -> {v!r}" for k, v in value.items() if before.get(k) != v]
        elif old.get(name) != value:
            changed.append("the data files' content" if name == "data_digest" else
                           f"{name} {old.get(name)!r} -> {value!r}")
    return "changed since it ran: " + ", ".join(changed)


def _mean_std(values: list[float]) -> tuple[float, float | None]:
    """Mean and sample std; the std of a single value is undefined (None), not 0."""
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else None


def aggregate(records: list[dict]) -> list[dict]:
    """One row per (dataset, model): every scalar test metric as mean, std (ddof=1) and per-seed values."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        groups.setdefault((r["dataset"], r["model"]), []).append(r)
    rows = []
    for (dataset, model), runs in groups.items():
        runs = sorted(runs, key=lambda r: r["seed"])
        row = {"dataset": dataset, "model": model, "n_seeds": len(runs), "seeds": [r["seed"] for r in runs],
               "parameters": runs[0]["parameters"]}
        names = list(dict.fromkeys(k for r in runs for k in _scalars(r["metrics"])))
        for name in names:
            values = [_scalars(r["metrics"]).get(name, math.nan) for r in runs]
            row[f"{name}_mean"], row[f"{name}_std"] = _mean_std(values)
            row[f"{name}_values"] = values
        for name in ("wall_time_s", "train_time_s", "epochs_run", "best_validation_metric"):
            values = [float(r[name]) if r.get(name) is not None else math.nan for r in runs]
            row[f"{name}_mean"], row[f"{name}_std"] = _mean_std(values)
        row["constant_prediction_runs"] = sum(bool(r["metrics"].get("constant_prediction")) for r in runs)
        rows.append(row)
    return rows


def format_mean_std(mean: float | None, std: float | None, digits: int = 3) -> str:
    """``0.712 ± 0.013``; ``0.712 ± n/a`` for one seed; ``–`` when there is no value."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return f"{mean:.{digits}f} ± n/a"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def write_results(cfg: BenchmarkConfig, rows: list[dict], output: Path, chosen: dict | None = None,
                  records: list[dict] | None = None) -> None:
    """``results.json`` (everything), ``results.csv`` (one row per dataset x model), ``results.md``, and
    ``runs.csv`` (tidy: one row per run, every scalar metric and its time, for your own statistics)."""
    output.mkdir(parents=True, exist_ok=True)
    if records:
        tidy = [{"dataset": r["dataset"], "model": r["model"], "seed": r["seed"], **_scalars(r["metrics"]),
                 **{k: r.get(k) for k in ("wall_time_s", "train_time_s", "epochs_run", "best_validation_metric")}}
                for r in records]
        with atomic_open(output / "runs.csv", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(k for t in tidy for k in t)))
            writer.writeheader()
            writer.writerows(tidy)
    write_json(output / "results.json", {
        "name": cfg.name, "config": cfg.to_dict(), "split": cfg.split, "std": "sample standard deviation (ddof=1)",
        "rows": rows, "search": chosen or {}, "runs": [f"runs/{k.folder}" for k in cfg.runs()]})
    flat = [{k: v for k, v in r.items() if not k.endswith("_values") and k != "seeds"} for r in rows]
    keys = list(dict.fromkeys(k for r in flat for k in r))
    with atomic_open(output / "results.csv", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(flat)
    write_text(output / "results.md", results_markdown(cfg, rows, chosen))


def results_markdown(cfg: BenchmarkConfig, rows: list[dict], chosen: dict | None = None) -> str:
    refs = sorted({k for e in cfg.datasets.values() for k in e.reference})
    lines = [f"# {cfg.name}: {cfg.split} metrics, mean ± std over seeds", "",
             f"Model selection on each dataset's dev split; {cfg.split} read once per run. "
             "std is the sample standard deviation (ddof=1).", ""]
    head = ["dataset", "model", "seeds"] + [m.upper() if m in ("mcc",) else m for m in MAIN_METRICS]
    head += [f"reference {r}" for r in refs] + ["wall time / run (s)", "parameters"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        entry = cfg.datasets.get(r["dataset"])
        cells = [r["dataset"], r["model"], str(r["n_seeds"])]
        cells += [format_mean_std(r.get(f"{m}_mean"), r.get(f"{m}_std")) for m in MAIN_METRICS]
        cells += [f"{entry.reference[x]:.3f}" if entry and x in entry.reference else "–" for x in refs]
        cells += [f"{r['wall_time_s_mean']:.0f}", f"{r['parameters']:,}"]
        lines.append("| " + " | ".join(cells) + " |")
    flagged = [r for r in rows if r["constant_prediction_runs"]]
    if flagged:
        lines += ["", "Runs that predict one class for every test sequence: " + ", ".join(
            f"{r['dataset']}/{r['model']} ({r['constant_prediction_runs']} of {r['n_seeds']})" for r in flagged)]
    sources = {e.reference_source for e in cfg.datasets.values() if e.reference and e.reference_source}
    if sources:
        lines += ["", "Reference figures: " + "; ".join(sorted(sources)) + "."]
    if chosen:
        lines += ["", "## Hyperparameters chosen on validation", "",
                  "| dataset | model | setting | validation metric |", "|---|---|---|---|"]
        for _, c in sorted(chosen.items()):
            lines.append(f"| {c['dataset']} | {c['model']} | {json.dumps(c['params'])} | {c['metric']} = {c['value']:.4f} |")
    names = [k[:-5] for k in rows[0] if k.endswith("_mean")] if rows else []
    lines += ["", "## Every metric", "", "| dataset | model | " + " | ".join(names) + " |",
              "|---|---|" + "---|" * len(names)]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['model']} | " + " | ".join(
            format_mean_std(r[f"{n}_mean"], r[f"{n}_std"], 1 if n.endswith("time_s") else 4) for n in names) + " |")
    return "\n".join(lines) + "\n"


def run_benchmark(cfg: BenchmarkConfig, output: str | Path) -> list[dict]:
    """Run (or resume) every run of ``cfg`` and write the results table; returns its rows."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    write_json(output / "benchmark.json", cfg.to_dict())
    if cfg.audit:
        from dnalm.audit import audit_dataset

        for name, entry in cfg.datasets.items():
            path = cfg.output_path(output, "audit", f"{name}.json")
            digest = cfg.data_digest(name)
            if not path.is_file() or json.loads(path.read_text()).get("data_digest") != digest:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_json(path, {**audit_dataset(entry.path), "data_digest": digest})
    chosen = {}
    if cfg.search:
        from dnalm.search import run_search

        chosen = run_search(cfg, output)
    records, todo = [], cfg.runs()
    for i, key in enumerate(todo, 1):
        log.info("benchmark run %d of %d: %s", i, len(todo), key.folder)
        c = chosen.get(f"{key.dataset}/{key.model}")
        records.append(run_one(cfg, key, output, c["params"] if c else None))
    rows = aggregate(records)
    write_results(cfg, rows, output, chosen, records)
    if cfg.report:
        from dnalm.report import build_report

        build_report(output, output / "report.html")
    return rows


def load_records(output: str | Path) -> list[dict]:
    """Every finished run's ``run.json`` under ``output/runs`` (names may hold ``/``: any depth)."""
    paths = sorted(p for p in Path(output).glob("runs/**/run.json") if re.fullmatch(r"seed-?\d+", p.parent.name))
    return [json.loads(p.read_text()) for p in paths]
