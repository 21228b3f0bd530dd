"""Typed results read the files dnalm has always written, write them back unchanged, and the report
draws from them without the runner (the full round trip on a real benchmark is in test_benchmark.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dnalm.experiment.report import build_report
from dnalm.experiment.results import Results, RunRecord, SearchChoice, Trial, aggregate, load_records

RUN = {
    "dataset": "gue/tata",
    "model": "cnn",
    "seed": 0,
    "data": "data/tata",
    "split": "test",
    "finetune_config": {"model": "cnn", "seed": 0},
    "search_overrides": {},
    "metrics": {
        "mcc": 0.7,
        "accuracy": 0.85,
        "auprc": 0.8,
        "confusion_matrix": [[30, 5], [6, 34]],
        "labels": ["0", "1"],
        "constant_prediction": False,
    },
    "validation_metrics": {"eval_mcc": 0.65},
    "best_validation_metric": 0.65,
    "epochs_run": 3.0,
    "parameters": 1234,
    "n_train": 240,
    "n_validation": 60,
    "n_truncated_train": 0,
    "train_time_s": 4.1,
    "eval_time_s": 0.6,
    "wall_time_s": 4.7,
    "versions": {"dnalm": "0.1.0"},
    "device": "cpu",
    "run_key": "abc",
    "run_key_parts": {},
}
OLDER = {
    "dataset": "gue/tata",
    "model": "cnn",
    "seed": 1,
    "parameters": 1234,
    "wall_time_s": 5.0,
    "metrics": {"mcc": 0.74, "accuracy": 0.87, "confusion_matrix": [[31, 4], [5, 35]]},
    "written_by": "an older dnalm",
}  # no run key, fewer fields, a key dnalm no longer knows
TRIAL = {
    "dataset": "gue/tata",
    "model": "cnn",
    "params": {"learning_rate": 0.001},
    "metric": "mcc",
    "value": 0.61,
    "seed": 0,
    "epochs_run": 2,
    "wall_time_s": 3.0,
    "history": [{"epoch": 1, "eval_loss": 0.6, "eval_mcc": 0.5}, {"epoch": 2, "eval_loss": 0.5, "eval_mcc": 0.61}],
    "trial_key": "k",
}
CHOSEN = {
    "dataset": "gue/tata",
    "model": "cnn",
    "params": {"learning_rate": 0.001},
    "metric": "mcc",
    "value": 0.61,
    "method": "grid",
    "seed": 0,
    "trials": [{"params": {"learning_rate": 0.001}, "value": 0.61, "epochs_run": 2}],
}


@pytest.fixture()
def runs_dir(tmp_path) -> Path:
    """A benchmark folder in the layout dnalm writes, two runs (one from an older dnalm) and a search."""
    for record in (RUN, OLDER):
        folder = tmp_path / "runs" / "gue" / "tata" / "cnn" / f"seed{record['seed']}"
        (folder / "model").mkdir(parents=True)
        (folder / "run.json").write_text(json.dumps(record, indent=2))
        (folder / "model" / "history.json").write_text(json.dumps(TRIAL["history"]))
    search = tmp_path / "search" / "gue" / "tata" / "cnn"
    (search / "trial-000").mkdir(parents=True)
    (search / "trial-000" / "trial.json").write_text(json.dumps(TRIAL))
    (search / "chosen.json").write_text(json.dumps(CHOSEN))
    return tmp_path


def test_records_read_old_files_and_write_the_same_keys_back(runs_dir, tmp_path):
    records = load_records(runs_dir)
    assert [r.seed for r in records] == [0, 1] and records[1].run_key is None
    assert [r.to_dict() for r in records] == [RUN, {**RunRecord("gue/tata", "cnn", 1).to_dict(), **OLDER}]
    assert records[1].extra == {"written_by": "an older dnalm"}
    records[0].save(tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text()) == RUN
    assert Trial.from_dict(TRIAL).to_dict() == TRIAL and SearchChoice.from_dict(CHOSEN).to_dict() == CHOSEN
    with pytest.raises(ValueError, match="run.json: missing model, seed"):
        RunRecord.from_dict({"dataset": "d"}, source="run.json")


def test_results_files_round_trip_and_the_report_reads_them(runs_dir, tmp_path):
    records = load_records(runs_dir)
    config = {
        "name": "old",
        "datasets": {"gue/tata": {"path": "data/tata", "reference": {"mcc": 0.69}, "reference_source": "a paper"}},
        "models": {"cnn": {}},
    }
    results = Results(
        "old",
        config,
        rows=aggregate(records),
        search={"gue/tata/cnn": SearchChoice.from_dict(CHOSEN)},
        runs=["runs/gue/tata/cnn/seed0", "runs/gue/tata/cnn/seed1"],
    )
    results.write(runs_dir, records)
    on_disk = json.loads((runs_dir / "results.json").read_text())
    (row,) = on_disk["rows"]
    assert row["mcc_values"] == [0.7, 0.74] and row["mcc_mean"] == pytest.approx(0.72) and row["n_seeds"] == 2
    assert row["auprc_values"] == [0.8, None] and row["wall_time_s_mean"] == pytest.approx(4.85)  # one run had auprc
    assert Results.load(runs_dir).to_dict() == on_disk
    assert Results.load(runs_dir).markdown() == (runs_dir / "results.md").read_text()
    md = (runs_dir / "results.md").read_text()
    assert "| gue/tata | cnn | 2 | 0.720 ± 0.028 | 0.860 ± 0.014 | – | – | – | 0.690 | 5 | 1,234 |" in md
    assert "Reference figures: a paper." in md and '| gue/tata | cnn | {"learning_rate": 0.001} | mcc = 0.6100 |' in md
    with open(runs_dir / "results.csv") as fh:
        (flat,) = list(csv.DictReader(fh))
    assert "mcc_values" not in flat and "seeds" not in flat and float(flat["mcc_std"]) == pytest.approx(0.0283, 1e-2)
    with open(runs_dir / "runs.csv") as fh:
        assert [t["seed"] for t in csv.DictReader(fh)] == ["0", "1"]
    (tmp_path / "page" / "report_files").mkdir(parents=True)
    (tmp_path / "page" / "report_files" / "mine.png").write_bytes(b"not one of its figures")
    out = build_report(runs_dir, tmp_path / "page" / "report.html", overwrite=True)
    page = (tmp_path / "page" / "report.md").read_text()
    assert "| gue/tata | cnn | 2 | 0.720 ± 0.028 |" in page and "Hyperparameter search" in page
    assert out["n_figures"] >= 4  # comparison, confusion matrix, learning curves, search curves
    assert out["n_figures"] == page.count("](report_files/")  # the figures it shows: the user's file is not one


def test_runs_a_time_budget_capped_are_marked_in_the_table_json_and_html(runs_dir, tmp_path):
    """Seed 0 ran 120 of the 400 steps it was asked for (the budget planned fewer); seed 1 ran all of its."""
    capped = {"time_budget_s": 60.0, "steps_requested": 400, "steps_planned": 120, "steps_run": 120}
    budgets = {
        0: {**capped, "epochs_requested": 4.0, "epochs_run": 1.2},
        1: {**capped, "steps_planned": 400, "steps_run": 400, "epochs_requested": 4.0, "epochs_run": 4.0},
    }
    for seed, budget in budgets.items():
        path = runs_dir / "runs" / "gue" / "tata" / "cnn" / f"seed{seed}" / "run.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "budget": budget}))
    records = load_records(runs_dir)
    assert records[0].budget == budgets[0] and records[0].to_dict()["budget"] == budgets[0]
    Results("capped", {"name": "capped"}, rows=aggregate(records)).write(runs_dir, records)
    (row,) = json.loads((runs_dir / "results.json").read_text())["rows"]
    assert row["budget_capped"] == [
        {
            "seed": 0,
            "time_budget_s": 60.0,
            "steps_planned": 400,
            "steps_run": 120,
            "epochs_planned": 4.0,
            "epochs_run": 1.2,
            "fraction_run": 0.3,
        }
    ]
    md = (runs_dir / "results.md").read_text()
    assert "| time budget |" in md and "| 1 of 2 runs capped: 30% of planned steps |" in md
    note = (
        "Runs cut short by their time budget: gue/tata/cnn seed 0: 120 of 400 planned steps (1.20 of 4 epochs) in 60 s."
    )
    assert note in md
    with open(runs_dir / "results.csv") as fh:
        assert next(csv.DictReader(fh))["budget_capped_runs"] == "1"
    build_report(runs_dir, tmp_path / "page" / "report.html")
    html = (tmp_path / "page" / "report.html").read_text()
    assert "<th>time budget</th>" in html and "1 of 2 runs capped: 30% of planned steps" in html and note in html


def test_an_uncapped_benchmark_has_no_budget_column(runs_dir):
    records = load_records(runs_dir)
    for r in records:
        r.budget = {"time_budget_s": 60.0, "steps_requested": 10, "steps_planned": 10, "steps_run": 10}
    results = Results("fits", rows=aggregate(records))
    assert "time budget" not in results.main_table()[0] and results.budget_note() is None
    assert results.rows[0].to_dict()["budget_capped"] == []


def test_the_main_table_of_a_regression_shows_its_own_metrics():
    """Every cell of a regression's main table was '-': it showed MCC, accuracy, F1, AUROC and AUPRC only."""
    regression = {"mse": 0.5, "mae": 0.4, "r2": 0.3, "pearson": 0.6, "spearman": 0.55, "n_predictions": 10}
    records = [RunRecord.from_dict({**RUN, "dataset": "expr", "seed": s, "metrics": regression}) for s in (0, 1)] + [
        RunRecord.from_dict({**RUN, "seed": s}) for s in (0, 1)
    ]
    head, body = Results("mixed", rows=aggregate(records)).main_table()
    assert head[3:13] == ["MCC", "accuracy", "f1", "auroc", "auprc", "r2", "pearson", "spearman", "mse", "mae"]
    expr = next(row for row in body if row[0] == "expr")
    assert expr[8:13] == ["0.300 ± 0.000", "0.600 ± 0.000", "0.550 ± 0.000", "0.500 ± 0.000", "0.400 ± 0.000"]


def test_a_reference_figure_its_runs_report_no_counterpart_for_is_said_under_the_table():
    """An r2 given for a classification stood in the table beside MCC and accuracy without a word."""
    records = [RunRecord.from_dict({**RUN, "seed": s}) for s in (0, 1)]
    config = {"datasets": {"gue/tata": {"path": "d", "reference": {"mcc": 0.74, "r2": 0.3}}}}
    results = Results("refs", config, rows=aggregate(records))
    note = "Reference figures with no measured counterpart (the runs report no such metric): gue/tata: r2"
    assert results.notes() == [note]
    assert note in results.markdown()
    matched = {"datasets": {"gue/tata": {"path": "d", "reference": {"mcc": 0.74}}}}
    assert Results("refs", matched, rows=aggregate(records)).notes() == []


def test_the_table_says_which_class_each_datasets_binary_metrics_are_of(tmp_path):
    """f1, AUROC and AUPRC were of class "Positive" on one dataset and of "10" on another, and neither results.md
    nor results.json said so."""
    one = {**RUN["metrics"], "labels": ["Positive", "negative"], "positive_label": "Positive"}
    two = {**RUN["metrics"], "labels": ["10", "2"], "positive_label": "2"}
    records = [RunRecord.from_dict({**RUN, "dataset": "a", "seed": s, "metrics": one}) for s in (0, 1)] + [
        RunRecord.from_dict({**RUN, "dataset": "b", "seed": s, "metrics": two}) for s in (0, 1)
    ]
    results = Results("classes", rows=aggregate(records))
    note = "Precision, recall, F1, AUROC and AUPRC are of each dataset's positive class: a: Positive, b: 2."
    assert note in results.markdown()
    results.write(tmp_path, records)
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    assert [r["positive_label"] for r in rows] == ["Positive", "2"]
    assert [r.positive_label for r in Results.load(tmp_path).rows] == ["Positive", "2"]
