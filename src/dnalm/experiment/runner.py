"""Benchmarks: datasets x models x seeds -> one table of test metrics (mean ± std over seeds).

Every run is a folder with its config, seed, metrics, wall time and parameter count
(``run.json``, a :class:`~dnalm.experiment.results.RunRecord`), and a key: a hash of everything
that determines it (the data files' bytes, the resolved finetune settings, seed, split, strand
averaging, dnalm's version). A run whose ``run.json`` holds the current key is not redone, so an
interrupted benchmark resumes where it stopped; a run whose key differs (the config or the data
changed) is done again. An optional search picks each model's setting on the validation split
first (:mod:`dnalm.experiment.search`). The results go to ``results.md``, ``results.csv`` and
``results.json`` (:class:`~dnalm.experiment.results.Results`), and the report to ``report.html``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from dnalm.experiment.budget import budget_fields
from dnalm.experiment.config import BenchmarkConfig, RunKey, benchmark_inputs
from dnalm.experiment.report import build_report
from dnalm.experiment.results import ResultRow, Results, RunRecord, aggregate
from dnalm.experiment.search import run_search
from dnalm.io.files import write_json
from dnalm.io.outputs import Output, claims, clear_run_folder, read_marker, remove_written

__all__ = ["run_benchmark", "run_one"]

log = logging.getLogger(__name__)


def run_one(cfg: BenchmarkConfig, key: RunKey, output: Path, overrides: dict | None = None) -> RunRecord:
    """Fine-tune, select on dev, evaluate once on ``cfg.split``; returns (and writes) ``run.json``."""
    from dnalm.apply.evaluate import evaluate
    from dnalm.finetune.train import PARTIAL_NAMES, finetune

    folder = cfg.output_path(output, "runs", key.folder)
    record_path = folder / "run.json"
    entry = cfg.datasets[key.dataset]
    ft = cfg.finetune_config(key.model, key.seed, overrides)
    run_key = cfg.run_key(key, ft)
    if record_path.is_file():
        old = RunRecord.load(record_path)
        if old.run_key == run_key["key"]:
            log.info("run %s: finished before with the same data and settings: kept", key.folder)
            return old
        log.warning("run %s: done again: %s", key.folder, _what_changed(old.run_key_parts, run_key["parts"]))
        # what dnalm wrote there; a note of the user's stays
        clear_run_folder(folder, ("run.json",), {"model": PARTIAL_NAMES})
    elif folder.exists():  # a run killed part-way: start it again
        log.info("%s: removing an unfinished run", folder)
        clear_run_folder(folder, ("run.json",), {"model": PARTIAL_NAMES})
    folder.mkdir(parents=True, exist_ok=True)
    log.info("run %s: finetune %s on %s (seed %d)", key.folder, ft.model, entry.path, key.seed)
    t0 = time.time()
    # a result folder still there after the clearing holds only the user's files: kept as theirs, beside the new
    summary = finetune(ft, entry.path, folder / "model", overwrite=(folder / "model").exists())
    t1 = time.time()
    metrics = evaluate(
        str(folder / "model"),
        entry.path,
        folder / "eval",
        split=cfg.split,
        batch_size=cfg.eval_batch_size,
        reverse_complement_average=cfg.reverse_complement_average,
        overwrite=(folder / "eval").exists(),
    )
    t2 = time.time()
    if not cfg.keep_models:
        for weights in (folder / "model").glob("*.safetensors"):
            weights.unlink()
    record = RunRecord(
        dataset=key.dataset,
        model=key.model,
        seed=key.seed,
        data=entry.path,
        split=cfg.split,
        finetune_config=ft.to_dict(),
        search_overrides=overrides or {},
        metrics={k: v for k, v in metrics.items() if k not in ("model", "data")},
        validation_metrics=summary["validation_metrics"],
        best_validation_metric=summary["best_validation_metric"],
        epochs_run=summary["epochs_run"],
        parameters=summary["parameters"],
        n_train=summary["n_train"],
        n_validation=summary["n_validation"],
        n_truncated_train=summary["n_truncated_train"],
        train_time_s=round(t1 - t0, 1),
        eval_time_s=round(t2 - t1, 1),
        wall_time_s=round(t2 - t0, 1),
        versions=summary["versions"],
        device=summary["device"],
        run_key=run_key["key"],
        run_key_parts=run_key["parts"],
        budget=budget_fields(summary),
    )
    record.save(record_path)  # written last: its presence means the run is complete
    shown = next((m for m in ("mcc", "f1_macro", "r2", "mse") if isinstance(metrics.get(m), int | float)), None)
    figure = f"{shown} = {metrics[shown]:.4f}" if shown else "no summary metric"  # mcc read nan for regression
    log.info("run %s: %s %s (%.0f s)", key.folder, cfg.split, figure, t2 - t0)
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
            changed.append(
                "the data files' content" if name == "data_digest" else f"{name} {old.get(name)!r} -> {value!r}"
            )
    return "changed since it ran: " + ", ".join(changed)


def _audit(cfg: BenchmarkConfig, output: Path) -> None:
    """A leakage audit of every dataset (``audit/<dataset>.json``), redone when its data changed."""
    from dnalm.audit import audit_dataset

    for name, entry in cfg.datasets.items():
        path = cfg.output_path(output, "audit", f"{name}.json")
        digest = cfg.data_digest(name)
        if not path.is_file() or json.loads(path.read_text()).get("data_digest") != digest:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json(path, {**audit_dataset(entry.path), "data_digest": digest})


def _params(chosen: dict, key: RunKey) -> dict | None:
    """The setting a search chose for a run's dataset and model (None: no search)."""
    c = chosen.get(f"{key.dataset}/{key.model}")
    return c.params if c else None


@claims(
    "benchmark",
    lambda a: {
        "inputs": benchmark_inputs(a["cfg"]),
        "outputs": [Output(a["output"], "benchmark", rerun="continue")],
        "overwrite": a["overwrite"],
    },
)
def run_benchmark(cfg: BenchmarkConfig, output: str | Path, *, overwrite: bool = False) -> list[ResultRow]:
    """Run (or resume) every run of ``cfg`` and write the results table; returns its rows."""
    cfg = cfg.validated()  # checked as the claim read it: a config built in Python skipped from_dict's checks
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    ours = set((read_marker(output) or {}).get("files") or [])  # an earlier report of this folder shows its table
    # an earlier table and report stay until this run writes its own (a stopped run leaves them as they were; a
    # report of a stopped run sees that the table is of another config than benchmark.json's and leaves it out)
    write_json(output / "benchmark.json", cfg.to_dict())
    if cfg.audit:
        _audit(cfg, output)
    chosen = run_search(cfg, output) if cfg.search else {}
    records, todo = [], cfg.runs()
    keys = {  # what each run's run.json must hold to be this config's: a report of a stopped run shows only those
        f"runs/{k.folder}": cfg.run_key(k, cfg.finetune_config(k.model, k.seed, _params(chosen, k)))["key"]
        for k in todo
    }
    write_json(output / "benchmark.json", {**cfg.to_dict(), "run_keys": keys})
    for i, key in enumerate(todo, 1):
        log.info("benchmark run %d of %d: %s", i, len(todo), key.folder)
        records.append(run_one(cfg, key, output, _params(chosen, key)))
    results = Results(
        name=cfg.name,
        config=cfg.to_dict(),
        split=cfg.split,
        rows=aggregate(records),
        search=chosen,
        runs=[f"runs/{k.folder}" for k in cfg.runs()],
    )
    results.write(output, records)
    if cfg.report:
        build_report.__wrapped__(output, output / "report.html")  # inside the benchmark's own claim
    else:  # an earlier report shows the table just replaced: dnalm's (an edit since was refused on claiming)
        for name in sorted(ours & {"report.html", "report.md"}):
            (output / name).unlink(missing_ok=True)
        remove_written(output, sorted(ours & {"report_files"}))  # its figures, but a file the user added there
    return results.rows


def describe(rows: list[ResultRow], output: str | Path) -> str:
    """What ``dnalm benchmark`` prints: the results table and the files written."""
    output = Path(output)
    table = (output / "results.md").read_text().split("\n## ")[0]
    report = ", report.html, report.md" if (output / "report.html").is_file() else ""
    return f"{table}\n{len(rows)} rows; wrote {output}/results.md, results.csv, results.json{report}"
