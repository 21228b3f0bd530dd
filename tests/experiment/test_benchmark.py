from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from dnalm.cli import app
from dnalm.experiment.config import BenchmarkConfig, SearchConfig
from dnalm.experiment.results import ResultRow, Results, RunRecord, Trial, load_records
from dnalm.experiment.runner import run_benchmark
from dnalm.experiment.search import run_search
from dnalm.io.outputs import read_marker
from tests.conftest import _dnalm, _kill_when, posix_only

FAST = {"epochs": 2, "early_stopping_patience": None, "logging_steps": 1000, "trainer": {"disable_tqdm": True}}


def _config(tmp_path: Path, data: Path, **extra) -> Path:
    cfg = {
        "name": "unit",
        "seeds": [0, 1],
        "datasets": {"tata": {"path": str(data), "reference": {"mcc": 0.5}, "reference_source": "a made-up figure"}},
        "finetune": FAST,
        "models": {"cnn-gb": {"model": "cnn-gb"}, "tiny": {"model": "tiny", "batch_size": 64}},
        **extra,
    }
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def bench_run(tata_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    config = _config(root, tata_dir)
    result = CliRunner().invoke(app, ["benchmark", str(config), "-o", str(root / "runs")])
    assert result.exit_code == 0, result.output
    return root / "runs", config


def test_benchmark_writes_the_table_with_mean_and_std_over_seeds(bench_run):
    runs, _ = bench_run
    records = load_records(runs)
    assert sorted((r.model, r.seed) for r in records) == [("cnn-gb", 0), ("cnn-gb", 1), ("tiny", 0), ("tiny", 1)]
    results = json.loads((runs / "results.json").read_text())
    for row in results["rows"]:  # the file's layout: flat keys
        mine = [r for r in records if r.model == row["model"]]
        mcc = np.array([r.metrics["mcc"] for r in mine])
        assert row["mcc_mean"] == pytest.approx(mcc.mean()) and row["mcc_std"] == pytest.approx(mcc.std(ddof=1))
        assert row["parameters"] == mine[0].parameters > 0 and row["wall_time_s_mean"] > 0
        for key in ("accuracy", "precision", "recall", "specificity", "f1", "auroc", "auprc"):  # every metric
            assert f"{key}_mean" in row and f"{key}_std" in row
    assert Results.load(runs).to_dict() == results  # the typed table reads and writes the same file
    for r in records:  # each run keeps its config, seed and metrics; all test rows were scored
        assert r.finetune_config["seed"] == r.seed and r.metrics["n_predictions"] == 75
        assert r.split == "test"
        assert RunRecord.load(runs / "runs" / "tata" / r.model / f"seed{r.seed}" / "run.json") == r
    with open(runs / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["model"] for r in rows} == {"cnn-gb", "tiny"} and "mcc_std" in rows[0]
    with open(runs / "runs.csv") as fh:  # tidy: one row per run
        tidy = list(csv.DictReader(fh))
    assert sorted((t["model"], t["seed"]) for t in tidy) == [
        ("cnn-gb", "0"),
        ("cnn-gb", "1"),
        ("tiny", "0"),
        ("tiny", "1"),
    ]
    assert all(
        float(t["mcc"]) == next(r.metrics["mcc"] for r in records if (r.model, str(r.seed)) == (t["model"], t["seed"]))
        for t in tidy
    )
    md = (runs / "results.md").read_text()
    assert "| tata | cnn-gb | 2 |" in md and "reference mcc" in md and "a made-up figure" in md
    audit = json.loads((runs / "audit" / "tata.json").read_text())
    assert "test-train" in audit["exact_duplicates"]
    assert (runs / "report.html").stat().st_size > 10_000 and (runs / "report.md").is_file()


def test_an_interrupted_benchmark_resumes_without_redoing_finished_runs(tata_dir, tmp_path, monkeypatch):
    import dnalm.finetune.train
    from dnalm.io.files import start_folder

    cfg = BenchmarkConfig.load(_config(tmp_path, tata_dir, models={"cnn-gb": {"model": "cnn-gb"}}, seeds=[0, 1, 2]))
    real, calls = dnalm.finetune.train.finetune, []

    def crashing(ft, data, output, **kw):
        calls.append(ft.seed)
        if len(calls) == 2:  # killed part-way through the second run: what finetune leaves
            staging = start_folder(output, owned_marker="dnalm_config.yaml")
            (staging / "history.csv").write_text("epoch\n")
            raise KeyboardInterrupt
        return real(ft, data, output, **kw)

    monkeypatch.setattr(dnalm.finetune.train, "finetune", crashing)
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(cfg, tmp_path / "runs")
    first = (tmp_path / "runs/runs/tata/cnn-gb/seed0/run.json").stat().st_mtime_ns
    assert not (tmp_path / "runs/results.json").exists()
    calls.clear()
    monkeypatch.setattr(dnalm.finetune.train, "finetune", lambda *a, **kw: (calls.append(a[0].seed), real(*a, **kw))[1])
    rows = run_benchmark(cfg, tmp_path / "runs")
    assert calls == [1, 2]  # seed 0 was finished, seed 1 restarted from scratch, seed 2 new
    assert (tmp_path / "runs/runs/tata/cnn-gb/seed0/run.json").stat().st_mtime_ns == first
    assert not (tmp_path / "runs/runs/tata/cnn-gb/seed1/model.partial").exists()
    assert rows[0].n_seeds == 3


def test_config_errors_are_caught_before_any_training(tata_dir, tmp_path):
    bad = _config(tmp_path, tata_dir, models={"x": {"model": "cnn", "epoch": 3}})
    with pytest.raises(ValueError, match="model 'x'.*did you mean 'epochs'"):
        BenchmarkConfig.load(bad)
    with pytest.raises(ValueError, match="unknown benchmark key 'seed'.*did you mean 'seeds'"):
        BenchmarkConfig.from_dict({"datasets": {"a": "x"}, "models": {"m": "cnn"}, "seed": [1]})
    with pytest.raises(ValueError, match=r"'seed' is not a searchable finetune setting \(the benchmark's seeds"):
        SearchConfig.from_dict({"space": {"seed": [1, 2]}})
    with pytest.raises(ValueError, match=r"'epoch' is not a searchable finetune setting \(did you mean 'epochs'\?\)"):
        SearchConfig.from_dict({"space": {"epoch": [1, 2]}})
    with pytest.raises(ValueError, match=r"search.space.learning_rate: 0.001 is given twice"):  # trained twice
        SearchConfig.from_dict({"space": {"learning_rate": [1e-3, 0.001]}})
    with pytest.raises(ValueError, match="the search section is empty"):  # it said "no 'search' section"
        BenchmarkConfig.from_dict({"datasets": {"a": "x"}, "models": {"m": "cnn"}, "search": {}}).search_config()
    with pytest.raises(ValueError, match="needs method: optuna"):
        SearchConfig.from_dict({"space": {"learning_rate": {"low": 1e-4, "high": 1e-2}}})
    with pytest.raises(ValueError, match="not in the benchmark's models"):
        SearchConfig.from_dict({"space": {"learning_rate": [1e-3]}, "models": ["nope"]}, models=["cnn"])
    for space, problem in (
        ({"low": 1e-2, "high": 1e-4}, r"low \(0.01\) must be below high \(0.0001\)"),
        ({"low": 0, "high": 1e-2, "log": True}, "a log range needs low > 0"),
        ({"low": "a", "high": 1e-2}, "low and high must be numbers"),
        ({"low": 1e-4, "high": 1e-2, "log": "yes"}, "log must be true or false"),
    ):
        with pytest.raises(ValueError, match=rf"search.space.learning_rate: {problem}"):
            SearchConfig.from_dict({"method": "optuna", "n_trials": 2, "space": {"learning_rate": space}})
    repeated = _config(tmp_path, tata_dir, seeds=[0, 1, 0])  # said as such, not as two runs sharing a folder
    with pytest.raises(
        ValueError, match=r"bench.yaml: seeds must be a non-empty list without repeats; got \[0, 1, 0\]"
    ):
        BenchmarkConfig.load(repeated)
    # a selection metric the task does not compute: refused as the file loads (it used to fail at the first training)
    unknown = _config(tmp_path, tata_dir, finetune={**FAST, "metric_for_best_model": "auc"})
    with pytest.raises(ValueError, match=r"bench.yaml: model 'cnn-gb': metric_for_best_model 'auc' is not a valid"):
        BenchmarkConfig.load(unknown)
    unknown = _config(tmp_path, tata_dir, search={"space": {"learning_rate": [1e-3]}, "metric": "pearson"})
    with pytest.raises(
        ValueError, match=r"bench.yaml: model 'cnn-gb', search.metric: metric_for_best_model 'pearson' is not"
    ):
        BenchmarkConfig.load(unknown)
    missing = _config(tmp_path, tmp_path / "no-such-folder")  # named by its key, before any run trains
    with pytest.raises(ValueError, match=r"bench.yaml: dataset 'tata': .*no-such-folder does not exist"):
        BenchmarkConfig.load(missing)
    two = {"datasets": {"a": "/nope/a", "b": "/nope/b"}, "models": {"m": "cnn"}}  # both named, not the first only
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(two))
    with pytest.raises(ValueError, match=r"two.yaml: 2 datasets do not exist: 'a': /nope/a; 'b': /nope/b$"):
        BenchmarkConfig.load(tmp_path / "two.yaml")
    with pytest.raises(ValueError, match=r"2 datasets do not exist: 'a': /nope/a; 'b': /nope/b$"):
        BenchmarkConfig.from_dict(two).check_datasets()


def test_grid_search_selects_on_validation_and_never_reads_test(tata_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(tata_dir, data)
    (data / "test.csv").write_text("sequence,label\nthis is not DNA!,1\n")  # reading it would fail
    search = {"space": {"learning_rate": [1e-5, 3e-3]}, "seed": 0}
    cfg = BenchmarkConfig.load(
        _config(tmp_path, data, models={"cnn-gb": {"model": "cnn-gb", "epochs": 3}}, search=search)
    )
    chosen = run_search(cfg, tmp_path / "runs")["tata/cnn-gb"]
    trials = chosen.trials
    assert [t["params"]["learning_rate"] for t in trials] == [1e-5, 3e-3]
    best = max(trials, key=lambda t: t["value"])
    assert chosen.params == best["params"] and chosen.metric == "mcc"
    folder = tmp_path / "runs" / "search" / "tata" / "cnn-gb"
    assert (folder / "search_curves.png").stat().st_size > 5000
    history = Trial.load(folder / "trial-000" / "trial.json").history
    assert len(history) == 3 and "eval_mcc" in history[0]  # one validation row per epoch
    assert not list(folder.glob("trial-*/model/*.safetensors"))


def test_a_search_on_a_loss_keeps_the_trial_with_the_lowest(tata_dir, tmp_path):
    """A regression's default selection metric is its validation loss (and the recipe's is too): the search keeps the
    trial with the lowest value, not the highest."""
    search = {"space": {"learning_rate": [1e-5, 3e-3]}, "seed": 0}
    model = {"cnn-gb": {"model": "cnn-gb", "epochs": 1, "problem_type": "regression"}}
    cfg = BenchmarkConfig.load(_config(tmp_path, tata_dir, models=model, search=search))
    chosen = run_search(cfg, tmp_path / "runs")["tata/cnn-gb"]
    values = [t["value"] for t in chosen.trials]
    assert chosen.metric == "loss" and values[0] != values[1] and chosen.value == min(values)


def test_benchmark_trains_the_chosen_setting_over_seeds(tata_dir, tmp_path):
    search = {"space": {"learning_rate": [1e-5, 3e-3]}, "seed": 0}
    cfg = BenchmarkConfig.load(_config(tmp_path, tata_dir, models={"cnn-gb": {"model": "cnn-gb"}}, search=search))
    rows = run_benchmark(cfg, tmp_path / "runs")
    chosen = json.loads((tmp_path / "runs/search/tata/cnn-gb/chosen.json").read_text())
    for r in load_records(tmp_path / "runs"):
        assert r.search_overrides == chosen["params"]
        assert r.finetune_config["learning_rate"] == chosen["params"]["learning_rate"]
    assert rows[0].n_seeds == 2
    assert "Hyperparameters chosen on validation" in (tmp_path / "runs/results.md").read_text()


def test_search_minimises_a_loss_metric(tata_dir, tmp_path, monkeypatch):
    import dnalm.experiment.search

    model = {"cnn-gb": {"model": "cnn-gb", "metric_for_best_model": "loss"}}
    cfg = BenchmarkConfig.load(
        _config(tmp_path, tata_dir, models=model, search={"space": {"learning_rate": [1e-3, 1e-2, 1e-4]}})
    )
    losses = {1e-3: 0.5, 1e-2: 0.3, 1e-4: 0.9}
    monkeypatch.setattr(
        dnalm.experiment.search,
        "_trial",
        lambda bench, d, m, scfg, params, folder: Trial(
            d, m, params, metric="loss", value=losses[params["learning_rate"]], epochs_run=1
        ),
    )
    monkeypatch.setattr(dnalm.experiment.search, "plot_search_curves", lambda *a, **kw: None)
    assert run_search(cfg, tmp_path / "runs")["tata/cnn-gb"].params == {"learning_rate": 1e-2}


def test_optuna_search_resumes_with_the_same_trials(tata_dir, tmp_path):
    pytest.importorskip("optuna")
    search = {
        "method": "optuna",
        "n_trials": 3,
        "seed": 5,
        "space": {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}, "batch_size": [32, 64]},
    }
    cfg = BenchmarkConfig.load(
        _config(tmp_path, tata_dir, models={"cnn-gb": {"model": "cnn-gb", "epochs": 1}}, search=search)
    )
    first = run_search(cfg, tmp_path / "runs")["tata/cnn-gb"].trials
    assert len({json.dumps(t["params"], sort_keys=True) for t in first}) == 3
    assert all(1e-4 <= t["params"]["learning_rate"] <= 1e-2 for t in first)
    shutil.rmtree(tmp_path / "runs" / "search" / "tata" / "cnn-gb" / "trial-002")  # killed before trial 3 finished
    again = run_search(cfg, tmp_path / "runs")["tata/cnn-gb"].trials
    assert [t["params"] for t in again] == [t["params"] for t in first]


def test_report_is_self_contained_html_and_markdown(bench_run, tmp_path):
    runs, _ = bench_run
    result = CliRunner().invoke(app, ["report", str(runs), "-o", str(tmp_path / "report.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 5 and "<table>" in page
    assert 'src="http' not in page and "<script" not in page  # nothing to fetch
    assert "Leakage audit" in page and "cnn-gb" in page
    md = (tmp_path / "report.md").read_text()
    pngs = [line.split("](")[1].rstrip(")") for line in md.splitlines() if line.startswith("![")]
    assert len(pngs) >= 5 and all((tmp_path / p).is_file() for p in pngs)
    for kind in ("cm_", "curves_", "rocpr_"):
        assert any(Path(p).name.startswith(kind) for p in pngs), kind
    from dnalm.experiment.report import build_report

    with pytest.raises(TypeError, match="title must be text"):  # it failed after the figures were drawn
        build_report(runs, tmp_path / "other.html", title=5)
    assert not (tmp_path / "other.html").exists()
    (tmp_path / "mine_files").mkdir()  # the user's folder, named as the report's figures folder would be
    (tmp_path / "mine_files" / "notes.txt").write_text("mine\n")
    result = CliRunner().invoke(app, ["report", str(runs), "-o", str(tmp_path / "mine.html")])
    assert result.exit_code == 2 and f"give {tmp_path / 'mine.html'} another name" in result.output, result.output
    assert "choose another folder" not in result.output  # (the user never named that folder)


def test_report_renders_in_headless_chromium(bench_run, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); the HTML is checked above")
    from dnalm.experiment.report import build_report

    runs, _ = bench_run
    build_report(runs, tmp_path / "report.html")
    shot = tmp_path / "screenshot.png"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    subprocess.run(
        [chromium, *flags, "--window-size=1200,2400", f"--screenshot={shot}", (tmp_path / "report.html").as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", (tmp_path / "report.html").as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
        text=True,
    ).stdout
    assert dom.count("<img") >= 5 and "<table>" in dom and "Leakage audit" in dom
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] >= 2000 and pixels.shape[1] >= 1100
    ink = (pixels[..., :3] < 0.5).any(axis=-1)  # dark pixels: text, tables and plots were drawn
    assert ink.mean() > 0.01 and ink[1200:].mean() > 0.005  # ...also far down the page (the figures)


def test_benchmark_accepts_the_default_recipe(tmp_path, tata_dir):
    cfg = BenchmarkConfig.load(
        _config(tmp_path, tata_dir, models={"auto": {"model": "auto"}}, seeds=[0], audit=False, report=False)
    )
    run_benchmark(cfg, tmp_path / "runs")
    (record,) = load_records(tmp_path / "runs")
    assert record.model == "auto" and record.finetune_config["model"] == "auto"
    assert record.metrics["reverse_complement_average"] is True  # as the recipe's model folder records
    assert (tmp_path / "runs" / "runs" / "tata" / "auto" / "seed0" / "model" / "recipe.json").is_file()


def test_a_benchmark_refuses_to_report_a_split_it_selects_on(tata_dir, tmp_path):
    with pytest.raises(ValueError, match="split 'dev' is used to train or to select models"):
        BenchmarkConfig.load(_config(tmp_path, tata_dir, split="dev"))


def test_one_seed_has_no_std():
    from dnalm.experiment.results import aggregate

    (row,) = aggregate([RunRecord("d", "m", 0, parameters=1, metrics={"mcc": 0.5})])
    assert row.metrics["mcc"].std is None and str(row.metrics["mcc"]) == "0.500 ± n/a"
    assert row.to_dict()["mcc_std"] is None and ResultRow.from_dict(row.to_dict()).metrics == row.metrics


def test_a_benchmark_redoes_the_runs_whose_config_or_data_changed(tata_dir, tmp_path, monkeypatch, caplog):
    import dnalm.finetune.train

    real, calls = dnalm.finetune.train.finetune, []
    monkeypatch.setattr(
        dnalm.finetune.train, "finetune", lambda *a, **kw: (calls.append(a[0].epochs), real(*a, **kw))[1]
    )
    out = tmp_path / "runs"

    def run(data, epochs):
        calls.clear()
        cfg = BenchmarkConfig.from_dict(
            {
                "datasets": {"gue/tata": str(data)},
                "models": {"cnn-gb": "cnn-gb"},
                "seeds": [0],
                "finetune": {**FAST, "epochs": epochs},
                "report": False,
            }
        )
        rows = run_benchmark(cfg, out)
        (record,) = load_records(out)  # a name with '/' is a nested folder, found at any depth
        assert record.dataset == "gue/tata" and record.finetune_config["epochs"] == epochs
        assert json.loads((out / "results.json").read_text())["config"]["finetune"]["epochs"] == epochs
        return rows

    run(tata_dir, 1)
    assert calls == [1]
    run(tata_dir, 1)
    assert calls == []  # nothing changed: the finished run is kept
    seed0 = out / "runs" / "gue" / "tata" / "cnn-gb" / "seed0"
    for mine in ("model/notes.txt", "eval/notes.txt"):  # kept through the run done again (it stopped, refused for
        (seed0 / mine).write_text("mine\n")  # a folder it had emptied of its own files, for good)
    with caplog.at_level("WARNING", logger="dnalm.experiment.runner"):
        rows = run(tata_dir, 2)
    assert calls == [2] and rows[0].run_stats["epochs_run"].mean == 2  # the table holds the new setting's run
    for folder in ("model", "eval"):
        assert (seed0 / folder / "notes.txt").read_text() == "mine\n"
        assert "notes.txt" not in read_marker(seed0 / folder)["files"]
    assert (seed0 / "model" / "config.json").is_file() and (seed0 / "eval" / "metrics.json").is_file()
    assert "run gue/tata/cnn-gb/seed0: done again: changed since it ran: finetune epochs 1.0 -> 2.0" in caplog.text
    changed = tmp_path / "changed"
    shutil.copytree(tata_dir, changed)
    lines = (changed / "train.csv").read_text().splitlines()
    (changed / "train.csv").write_text("\n".join(lines[:-20]) + "\n")  # same name, other content
    caplog.clear()
    with caplog.at_level("WARNING", logger="dnalm.experiment.runner"):
        run(changed, 2)
    assert calls == [2] and "the data files' content" in caplog.text
    assert load_records(out)[0].n_train == 220
    audit = json.loads((out / "audit" / "gue" / "tata.json").read_text())
    assert audit["data"] == str(changed)  # the audit follows the data too
    same = tmp_path / "same"
    shutil.copytree(changed, same)
    run(same, 2)
    assert calls == []  # moved, but the same bytes: the run stands


@pytest.mark.parametrize("name", ["../../escape", "/etc", "a/../../b", "a//b", "./a", "a/", "a b", "a\\b", ".."])
def test_names_that_would_leave_the_output_folder_are_refused_when_the_config_loads(name):
    with pytest.raises(ValueError, match="names become folders under the output"):
        BenchmarkConfig.from_dict({"datasets": {name: "data"}, "models": {"m": "cnn"}})
    with pytest.raises(ValueError, match="names become folders under the output"):
        BenchmarkConfig.from_dict({"datasets": {"d": "data"}, "models": {name: "cnn"}})


def test_names_with_parts_are_allowed_but_may_not_share_or_nest_folders():
    cfg = BenchmarkConfig.from_dict(
        {
            "datasets": {"prom/prom_core_tata": "x", "tf_0": "y"},
            "models": {"cnn-gb": "cnn-gb", "bert+lora=8": "tiny"},
            "seeds": [0],
        }
    )
    assert cfg.runs()[0].folder == "prom/prom_core_tata/cnn-gb/seed0"
    with pytest.raises(ValueError, match="share the folder 'a/b/c/seed0'"):
        BenchmarkConfig.from_dict(
            {"datasets": {"a": "x", "a/b": "y"}, "models": {"b/c": "cnn", "c": "cnn"}, "seeds": [0]}
        )
    with pytest.raises(ValueError, match="lies inside"):
        BenchmarkConfig.from_dict({"datasets": {"a": "x", "a/m/seed0": "y"}, "models": {"m": "cnn"}, "seeds": [0]})


def test_a_benchmark_refuses_to_write_through_a_symlink_that_leads_out(tata_dir, tmp_path, monkeypatch):
    import dnalm.finetune.train

    def never(*args, **kwargs):
        raise AssertionError("trained before the run folder was checked")

    monkeypatch.setattr(dnalm.finetune.train, "finetune", never)
    cfg = BenchmarkConfig.from_dict(
        {
            "datasets": {"tata": str(tata_dir)},
            "models": {"cnn-gb": "cnn-gb"},
            "seeds": [0],
            "audit": False,
            "report": False,
        }
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out" / "runs").mkdir(parents=True)
    (tmp_path / "out" / "runs" / "tata").symlink_to(elsewhere)
    (tmp_path / "out" / ".dnalm.json").write_text('{"kind": "benchmark", "files": ["runs"]}')  # a run's folder
    with pytest.raises(ValueError, match=r"holds a symbolic link, runs/tata -> .*elsewhere"):
        run_benchmark(cfg, tmp_path / "out")
    assert not any(elsewhere.iterdir())


def test_a_search_redoes_trials_whose_data_changed(tata_dir, tmp_path, monkeypatch):
    import dnalm.finetune.train

    real, calls = dnalm.finetune.train.finetune, []
    monkeypatch.setattr(dnalm.finetune.train, "finetune", lambda *a, **kw: (calls.append(str(a[1])), real(*a, **kw))[1])
    changed = tmp_path / "changed"
    shutil.copytree(tata_dir, changed)
    (changed / "dev.csv").write_text("\n".join((changed / "dev.csv").read_text().splitlines()[:-10]) + "\n")
    search = {"space": {"learning_rate": [3e-3]}}
    for data, expected in ((tata_dir, [str(tata_dir)]), (tata_dir, []), (changed, [str(changed)])):
        calls.clear()
        cfg = BenchmarkConfig.from_dict(
            {
                "datasets": {"tata": str(data)},
                "models": {"cnn-gb": "cnn-gb"},
                "finetune": {**FAST, "epochs": 1},
                "search": search,
            }
        )
        run_search(cfg, tmp_path / "runs")
        assert calls == expected


@pytest.mark.parametrize("command", [run_benchmark, run_search])
def test_a_model_folder_the_benchmark_starts_from_is_an_input_it_never_writes_over(tmp_path, command):
    """benchmark (or search) --overwrite -o MODEL, where the config fine-tunes from MODEL, trained from it and then
    deleted its 13 files as 'what an earlier dnalm run wrote': only datasets and the YAML were declared inputs."""
    from dnalm.io.outputs import OutputError
    from dnalm.testing import write_dnabert_checkpoint

    model = tmp_path / "mymodel"
    write_dnabert_checkpoint(model)
    before = sorted(p.name for p in model.iterdir())
    data = tmp_path / "d"
    data.mkdir()
    for split in ("train", "test"):
        (data / f"{split}.csv").write_text("sequence,label\n" + "ACGTACGTAC,0\nTTTTACGTAC,1\n" * 5)
    cfg = BenchmarkConfig.from_dict(
        {
            "name": "t",
            "seeds": [0],
            "datasets": {"d": str(data)},
            "models": {"m": {"model": str(model)}},
            "search": {"space": {"learning_rate": [1e-3]}},
        }
    )
    with pytest.raises(OutputError, match=r"output .*mymodel is the input .*mymodel"):
        command(cfg, model, overwrite=True)
    assert sorted(p.name for p in model.iterdir()) == before


def test_a_report_inside_the_benchmarks_audit_folder_and_other_json_there_are_not_read_as_audits(bench_run, tmp_path):
    """report R -o R/audit/x.html read its own figures folder's marker as an audit: KeyError 'exact_duplicates', and
    every later report of R failed the same way."""
    runs, _ = bench_run
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    (copy / "audit" / "notes.json").write_text('{"mine": 1}')
    for out in (copy / "audit" / "x.html", tmp_path / "elsewhere" / "r.html"):
        result = CliRunner().invoke(app, ["report", str(copy), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert "are not leakage audits and are left out: audit/notes.json" in result.output
        assert "Leakage audit" in out.read_text()
    (copy / "audit" / "tata.json").write_text("{")
    result = CliRunner().invoke(app, ["report", str(copy), "-o", str(tmp_path / "r2.html")])
    assert result.exit_code != 0 and "audit/tata.json: not a readable audit" in result.output


def test_a_dataset_that_is_one_file_is_refused_its_test_metrics_would_read_training_rows(tmp_path):
    """A dataset given as one CSV trained on 108 of its 120 rows and reported all 120 as the test split."""
    data = tmp_path / "all.csv"
    data.write_text("sequence,label\nACGTACGTAC,0\nTTTTACGTAC,1\n")
    with pytest.raises(ValueError, match=r"dataset 'd' is a file .*all.csv.*reports its test split: put the file"):
        BenchmarkConfig.from_dict({"seeds": [0], "datasets": {"d": str(data)}, "models": {"m": "cnn"}})


def test_a_benchmark_made_in_python_checks_its_datasets_before_any_run_trains(tata_dir, tmp_path):
    """run_benchmark of a config made with from_dict trained a whole model before 'no split nope', and a missing
    dataset was a bare errno message."""
    for datasets, message in (
        ({"t": str(tata_dir)}, r"dataset 't' has no 'nope' split"),
        ({"t": "/nope"}, "/nope does not exist"),
    ):
        cfg = BenchmarkConfig.from_dict(
            {"datasets": datasets, "models": {"m": "cnn"}, "seeds": [0], "split": "nope" if "no" in message else "test"}
        )
        with pytest.raises(ValueError, match=message):
            run_benchmark(cfg, tmp_path / "out")
        assert not (tmp_path / "out").exists()


def test_a_grid_search_refuses_n_trials_it_would_ignore():
    """n_trials: 1 with a 3-value grid ran all 3 trials without a word."""
    with pytest.raises(ValueError, match=r"search.n_trials: a grid tries every combination \(6 here\)"):
        SearchConfig.from_dict({"n_trials": 1, "space": {"learning_rate": [1e-2, 1e-3, 1e-4], "batch_size": [8, 16]}})


def test_a_report_shows_only_the_current_benchmarks_table_audits_and_searches(bench_run, tmp_path, monkeypatch):
    """A stopped re-run with another config left the old results.json, which the report showed as current; audits
    (and searches) of datasets no longer in the config were listed beside the current ones."""
    import dnalm.finetune.train

    runs, config = bench_run
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    bench = json.loads((copy / "benchmark.json").read_text())
    (copy / "benchmark.json").write_text(json.dumps({**bench, "datasets": {"other": "x"}}))
    result = CliRunner().invoke(app, ["report", str(copy), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0 and "Leakage audit" not in (tmp_path / "r.html").read_text()

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dnalm.finetune.train, "finetune", stopped)
    changed = yaml.safe_load(config.read_text())
    changed["finetune"] = {**changed["finetune"], "epochs": 3}  # another config: its runs are redone
    (copy / "search" / "tata" / "cnn-gb").mkdir(parents=True)  # a search an earlier config made
    (copy / "search" / "tata" / "cnn-gb" / "chosen.json").write_text(
        json.dumps(
            {"dataset": "tata", "model": "cnn-gb", "params": {"learning_rate": 0.01}, "metric": "mcc", "value": 0.5}
        )
    )
    kept = {n: (copy / n).read_bytes() for n in ("results.json", "report.html", "report.md")}
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(BenchmarkConfig.from_dict(changed), copy, overwrite=True)  # benchmark.json was edited above
    # the earlier table and its report stay as they were until this config's are written (they were removed when
    # the run started, so a stopped run left none)
    assert {n: (copy / n).read_bytes() for n in kept} == kept
    result = CliRunner().invoke(app, ["report", str(copy), "-o", str(tmp_path / "s.html")])
    page = (tmp_path / "s.md").read_text()
    assert result.exit_code == 0 and "finished run(s) of an earlier config are left out" in page
    assert "results.json is the table of an earlier config" in page  # not shown as the present config's
    assert "confusion matrix" not in page  # every finished run was of the earlier config
    assert "Hyperparameter search" not in page  # this benchmark has no search: an earlier one's is not shown


def test_report_pretrain_takes_pretraining_runs_once(bench_run, tmp_path):
    """--pretrain took a fine-tuned model folder as a pretraining run, and one run given twice drew it twice."""
    from dnalm.experiment.report import build_report

    runs, _ = bench_run
    model = tmp_path / "m"
    model.mkdir()
    (model / "training_summary.json").write_text("{}")
    (model / "history.json").write_text("[]")
    with pytest.raises(ValueError, match=r"--pretrain .*m: a fine-tuned model \(no pretrain_summary.json\)"):
        build_report(runs, tmp_path / "r.html", pretrain=[model])
    pre = tmp_path / "p"
    pre.mkdir()
    (pre / "pretrain_summary.json").write_text("{}")
    with pytest.raises(ValueError, match="is given twice"):
        build_report(runs, tmp_path / "r.html", pretrain=[pre, tmp_path / "." / "p"])
    with pytest.raises(ValueError, match=r"--pretrain .*m: a fine-tuned model"):  # one path, not a list of letters
        build_report(runs, tmp_path / "r.html", pretrain=str(model))
    with pytest.raises(ValueError, match="is a stream: give a file name"):  # it wrote './-.md' and './-_files/'
        build_report(runs, "-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "p"]  # no figures folder left by a refusal


@pytest.mark.parametrize("figure", ["abc", ".nan", "true", "[0.5]"])
def test_a_reference_figure_that_is_not_a_number_is_refused_when_the_config_loads(tmp_path, figure):
    """It trained every run, then ended in "Unknown format code 'f' for object of type 'str'" with no table."""
    from dnalm.experiment.config import BenchmarkConfig

    (tmp_path / "d").mkdir()
    (tmp_path / "b.yaml").write_text(
        f"seeds: [0]\ndatasets: {{tata: {{path: d, reference: {{mcc: {figure}}}}}}}\nmodels: {{c: {{model: cnn}}}}\n"
    )
    with pytest.raises(ValueError, match=r"b.yaml: dataset 'tata': reference mcc must be a finite number"):
        BenchmarkConfig.load(tmp_path / "b.yaml")


def test_a_reference_figure_for_no_metric_dnalm_reports_is_refused_when_the_config_loads(tmp_path):
    """A misspelt metric (mmc) trained every run and then printed its own empty-handed column."""
    from dnalm.experiment.config import BenchmarkConfig

    (tmp_path / "d").mkdir()
    (tmp_path / "b.yaml").write_text(
        "seeds: [0]\ndatasets: {tata: {path: d, reference: {mmc: 0.7}}}\nmodels: {c: {model: cnn}}\n"
    )
    with pytest.raises(ValueError, match=r"dataset 'tata': reference 'mmc' is no metric dnalm reports \(did you mean"):
        BenchmarkConfig.load(tmp_path / "b.yaml")


def test_wrong_types_and_unknown_models_in_a_benchmark_file_are_one_line_when_it_loads(tata_dir, tmp_path):
    def load(text):
        (tmp_path / "b.yaml").write_text(text)
        return BenchmarkConfig.load(tmp_path / "b.yaml")

    data = f"datasets: {{d: {tata_dir}}}\nseeds: [0]\n"
    for text, problem in (
        ("datasets: {d: {path: 5}}\nmodels: {m: cnn-gb}\n", r"dataset 'd': path must be a folder's path \(text\)"),
        (data + "models: {m: 5}\n", r"model 'm': give a model name or path, or a mapping of settings"),
        (data + "models: {m: [cnn-gb]}\n", r"model 'm': give a model name or path"),
        (data + "models: {m: nosuchmodel}\n", r"model 'm': model 'nosuchmodel' is not a preset"),  # not after training
        (data + "models: {yes: cnn-gb}\n", r"model name True was read as bool, not text; quote it"),
        (f"datasets: {{1e3: {tata_dir}}}\nmodels: {{m: cnn-gb}}\n", r"dataset name 1000.0 was read as float"),
    ):
        with pytest.raises(ValueError, match=r"b\.yaml: " + problem):
            load(text)
    (tmp_path / "arch.yaml").write_text("preset: cnn-gb\n")  # a model file beside the benchmark file is found there
    (tmp_path / "elsewhere").mkdir()
    import os

    cwd = os.getcwd()
    try:
        os.chdir(tmp_path / "elsewhere")
        assert load(data + "models: {m: arch.yaml}\n").models["m"]["model"] == str(tmp_path / "arch.yaml")
    finally:
        os.chdir(cwd)


def test_a_model_file_changed_since_a_run_makes_the_run_redone(tata_dir, tmp_path):
    from dnalm.experiment.config import RunKey

    (tmp_path / "arch.yaml").write_text("preset: cnn-gb\nconfig: {embedding_dim: 8}\n")
    (tmp_path / "b.yaml").write_text(f"datasets: {{d: {tata_dir}}}\nseeds: [0]\nmodels: {{m: arch.yaml}}\n")
    cfg = BenchmarkConfig.load(tmp_path / "b.yaml")
    key = RunKey("d", "m", 0)
    before = cfg.run_key(key, cfg.finetune_config("m", 0))
    (tmp_path / "arch.yaml").write_text("preset: cnn-gb\nconfig: {embedding_dim: 64}\n")
    after = cfg.run_key(key, cfg.finetune_config("m", 0))
    assert before["key"] != after["key"] and before["parts"]["model_digest"] != after["parts"]["model_digest"]
    preset = BenchmarkConfig.from_dict({"datasets": {"d": str(tata_dir)}, "models": {"m": "cnn-gb"}, "seeds": [0]})
    assert "model_digest" not in preset.run_key(key, preset.finetune_config("m", 0))["parts"]  # a name: none


def test_a_search_refuses_an_empty_list_of_models_and_fractional_ends_for_a_whole_number():
    with pytest.raises(ValueError, match=r"search.models: give a non-empty list .* or leave it out to search all"):
        SearchConfig.from_dict({"space": {"learning_rate": [1e-3]}, "models": []}, models=["cnn"])
    with pytest.raises(ValueError, match=r"search.space.batch_size: a whole-number setting takes a range of whole"):
        SearchConfig.from_dict(
            {"method": "optuna", "n_trials": 2, "space": {"batch_size": {"low": 16.0, "high": 64.0}}}
        )
    SearchConfig.from_dict({"method": "optuna", "n_trials": 2, "space": {"batch_size": {"low": 16, "high": 64}}})


def test_a_report_may_replace_the_one_the_benchmark_wrote_with_overwrite(bench_run, tmp_path):
    runs, _ = bench_run
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    before = (copy / "results.json").read_bytes()
    refused = CliRunner().invoke(app, ["report", str(copy), "-o", str(copy / "report.html")])
    assert refused.exit_code == 2 and "--overwrite" in refused.output
    result = CliRunner().invoke(app, ["report", str(copy), "-o", str(copy / "report.html"), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert (copy / "results.json").read_bytes() == before
    result = CliRunner().invoke(app, ["report", str(copy), "-o", str(copy / "results.html"), "--overwrite"])
    assert result.exit_code == 2 and "is the input" in result.output  # its .md is results.md: never over what it reads
    result = CliRunner().invoke(app, ["report", str(copy), "-o", str(copy / "report.txt")])
    assert result.exit_code == 2 and "report writes an HTML file" in result.output  # it wrote HTML as report.txt
    result = CliRunner().invoke(app, ["report", str(copy), "-o", str(tmp_path / "r.html.gz")])
    assert result.exit_code == 2 and result.output.rstrip().endswith("e.g. r.html")  # it said "e.g. r.html.html"


@pytest.mark.parametrize(
    ("extra", "problem"),
    [  # each was found when its run started, after the runs before it had trained (or said nothing)
        ({"models": {"a": {"model": "cnn"}, "b": {"model": "cnn", "lora": True}}}, r"model 'b': lora adapts"),
        ({"models": {"a": {"model": "cnn", "from_scratch": True}}}, r"model 'a': from_scratch .* is a preset"),
        ({"models": {"a": {"model": "cnn", "candidates": "all"}}}, r"model 'a': candidates all"),
        (
            {"models": {"a": {"model": "cnn"}}, "search": {"space": {"lora": [True]}, "models": ["a"]}},
            r"model 'a', search.space.lora = True: lora",
        ),
        (
            {
                "models": {"a": {"model": "cnn", "learning_rate": 0.005}},
                "search": {"space": {"learning_rate": [0.001]}},
            },
            r"model 'a' sets learning_rate, which search.space varies",
        ),
        ({"search": {"space": {"learning_rate": [0.001]}, "seed": -1}}, r"search.seed must be a whole number in"),
        ({"search": {"space": {"learning_rate": [0.001]}, "metric": "bogus"}}, r"model 'cnn', search.metric: "),
        ({"search": {"space": {"learning_rate": [0.001, -1]}}}, r"model 'cnn', search.space.learning_rate: "),
        ({"seeds": [-1]}, r"seeds must each be in \[0, 4294967296\); got -1"),
    ],
)
def test_a_contradiction_anywhere_in_a_benchmark_file_is_found_before_any_run_naming_where(
    tata_dir, tmp_path, extra, problem
):
    extra = {"models": {"cnn": {"model": "cnn"}}, **extra}
    with pytest.raises(ValueError, match=problem):
        BenchmarkConfig.load(_config(tmp_path, tata_dir, **extra)).validated()


def test_strand_settings_that_differ_between_selection_and_report_are_said_once(tata_dir, tmp_path, caplog):
    import logging

    extra = {
        "models": {"cnn": {"model": "cnn", "reverse_complement_average": True}},
        "reverse_complement_average": False,
    }
    path = _config(tmp_path, tata_dir, **extra)
    with caplog.at_level(logging.WARNING, logger="dnalm"):
        BenchmarkConfig.load(path).validated().validated()
    said = [r for r in caplog.records if "reverse_complement_average is True in its settings" in r.getMessage()]
    assert len(said) == 1 and "its runs are reported on one strand" in said[0].getMessage()


def test_config_errors_name_the_section_and_key_they_are_in(tata_dir, tmp_path):
    """A typo in the shared finetune: section was blamed on the first model ("model 'cnn-gb': unknown setting");
    a search without a space printed "SearchConfig.__init__() missing 1 required positional argument"; an optuna
    range with a misspelled or missing end said "needs method: optuna" under method: optuna."""
    for finetune, said in (
        ({**FAST, "learning_rat": 0.1}, r"bench.yaml: finetune: unknown setting 'learning_rat' \(did you mean"),
        (
            {**FAST, "trainer": {"disable_tqmd": True}},
            r"bench.yaml: finetune: unknown trainer setting .*'disable_tqmd'",
        ),
    ):
        with pytest.raises(ValueError, match=said):
            BenchmarkConfig.load(_config(tmp_path, tata_dir, finetune=finetune))
    with pytest.raises(ValueError, match=r"^search.space is required: it maps finetune settings to lists of values"):
        SearchConfig.from_dict({"method": "grid"})
    for space, said in (
        ({"low": 1e-4, "hgh": 1e-2}, r"'hgh' is not a key of a range \{low, high, log\} \(did you mean 'high'\?\)"),
        ({"low": 1e-4}, r"search.space.learning_rate: a range \{low, high, log\} needs high$"),
    ):
        with pytest.raises(ValueError, match=said):
            SearchConfig.from_dict({"method": "optuna", "space": {"learning_rate": space}})


def test_two_names_for_one_dataset_or_one_models_settings_are_said(tata_dir, tmp_path, caplog):
    """Two datasets with one path, or one model under two names, were trained twice without a word."""
    import logging

    path = _config(
        tmp_path,
        tata_dir,
        models={"a": {"model": "cnn-gb"}, "b": {"model": "cnn-gb"}, "c": "cnn-gb", "d": {"model": "tiny"}},
    )
    cfg = yaml.safe_load(path.read_text())
    cfg["datasets"]["again"] = str(tata_dir) + "/."
    path.write_text(yaml.safe_dump(cfg))
    with caplog.at_level(logging.WARNING, logger="dnalm"):
        BenchmarkConfig.load(path).check_datasets()
    said = [r.getMessage() for r in caplog.records]
    assert any(
        "models 'a', 'b' and 'c' have the same settings: each is run, so the same runs are done 3 times" in m
        for m in said
    )
    assert any("datasets 'again' and 'tata' are one folder" in m for m in said)  # (the config's order: by name)
    assert not any("'d'" in m for m in said)


def _bench(tmp_path, data, **extra) -> str:
    cfg = {"datasets": {"toy": str(data)}, "models": {"g": {"model": "cnn-gb", "epochs": 1}}, "seeds": [0], **extra}
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(cfg))
    return tmp_path / "b.yaml"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"audit": "false"}, r"audit must be true or false; got 'false'"),  # taken as true
        ({"keep_models": "no"}, r"keep_models must be true or false; got 'no'"),
        (
            {"eval_batch_size": 0},
            r"eval_batch_size must be in \[1, 1000000\]; got 0",
        ),  # refused after training, as --batch-size
        ({"split": "bogus"}, r"dataset 'toy' has no 'bogus' split \(it has dev, test, train\)"),  # after training
        ({"finetune": [1]}, r"finetune must be a mapping; got \[1\]"),  # a raw TypeError
        (
            {"search": {"method": "optuna", "n_trials": 2, "space": {"warmup_ratio": {"low": 0.5, "high": 5}}}},
            r"model 'g', search.space.warmup_ratio: warmup_ratio must be in \[0, 1\); got 5",  # failed only if a trial drew a value above 1
        ),
    ],
)
def test_benchmark_settings_are_checked_as_the_file_loads(tmp_path, tata_dir, extra, message):
    from dnalm.experiment.config import BenchmarkConfig

    with pytest.raises(ValueError, match=rf"b.yaml: .*{message}"):
        BenchmarkConfig.load(_bench(tmp_path, tata_dir, **extra))


def test_a_benchmark_given_as_a_file_name_says_how_to_load_it(tmp_path):
    from dnalm.experiment.runner import run_benchmark
    from dnalm.experiment.search import run_search

    for run in (run_benchmark, run_search):
        with pytest.raises(TypeError, match=r"give a BenchmarkConfig, e.g. BenchmarkConfig.load\('benchmark.yaml'\)"):
            run("cfg.yaml", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_benchmark_config_built_in_python_gets_the_checks_a_file_gets(tata_dir, tmp_path):
    """Built directly, BenchmarkConfig skipped from_dict's checks: split='dev' (the selection split) trained and
    was reported, seeds=[] was an IndexError and a dataset given as a string an AttributeError."""
    from dnalm.experiment.config import BenchmarkConfig, DatasetEntry
    from dnalm.experiment.runner import run_benchmark

    def config(**kw):
        base = {"datasets": {"toy": DatasetEntry(str(tata_dir))}, "models": {"cnn": {"model": "cnn"}}, "seeds": [0]}
        return BenchmarkConfig(**{**base, "finetune": {"epochs": 1}, "audit": False, "report": False, **kw})

    for kw, said in [
        ({"split": "dev"}, "split 'dev' is used to train or to select"),
        ({"seeds": []}, "seeds must be a non-empty list"),
        ({"models": {"cnn": {"model": "no-such-model"}}}, "model 'cnn'"),
    ]:
        with pytest.raises(ValueError, match=said):
            run_benchmark(config(**kw), tmp_path / "b")
    assert not (tmp_path / "b").exists()
    assert config(datasets={"toy": str(tata_dir)}).validated().datasets["toy"].path == str(tata_dir)


def test_benchmark_seeds_and_search_trials_must_be_whole_numbers():
    from dnalm.experiment.config import BenchmarkConfig, SearchConfig

    for seeds in ([1.5], 3):
        with pytest.raises(ValueError, match="seeds must be a list of whole numbers"):
            BenchmarkConfig.from_dict({"datasets": {"d": "x"}, "models": {"m": "cnn"}, "seeds": seeds})
    with pytest.raises(ValueError, match=r"search.n_trials must be a whole number >= 1; got 0"):
        SearchConfig.from_dict({"method": "optuna", "n_trials": 0, "space": {"learning_rate": [1e-3]}})


@posix_only
def test_benchmark_killed_between_runs_reuses_the_finished_ones_and_completes(tata_dir, tmp_path):
    import json

    import yaml

    config = {
        "name": "killed",
        "seeds": [0, 1],
        "datasets": {"tata": {"path": str(tata_dir)}},
        "finetune": {"epochs": 10, "early_stopping_patience": None, "trainer": {"disable_tqdm": True}},
        "models": {"pos-cnn": {"model": "pos-cnn"}},
        "audit": False,
        "report": False,
    }
    (tmp_path / "bench.yaml").write_text(yaml.safe_dump(config))
    runs = tmp_path / "runs"
    args = ("benchmark", tmp_path / "bench.yaml", "-o", runs)
    _kill_when(_dnalm(*args), lambda: len(list(runs.rglob("run.json"))) == 1)  # mid-way through the second run
    first = next(runs.rglob("run.json"))
    kept = first.read_bytes()
    assert not (runs / "results.json").exists()  # no table from a stopped benchmark
    done = subprocess.run(_dnalm(*args), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert first.read_bytes() == kept  # the finished run was reused, not redone
    results = json.loads((runs / "results.json").read_text())
    assert len(list(runs.rglob("run.json"))) == 2 and results["rows"][0]["n_seeds"] == 2
    assert not list(runs.rglob("*.partial")) and not list(runs.rglob(".*.partial-*"))  # nothing half-written


def test_a_benchmark_run_key_changes_with_the_dnalm_version(tmp_path, monkeypatch):
    """Item 3: the run key holds the dnalm version, so an upgrade redoes the runs rather than mixing them."""
    import dnalm._version
    from dnalm.experiment.config import BenchmarkConfig, RunKey
    from dnalm.finetune.config import FinetuneConfig

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "test.csv").write_text("sequence,label\nACGT,1\nGGCA,0\n")
    bench = BenchmarkConfig.from_dict({"datasets": {"d": str(tmp_path / "d")}, "models": {"m": "tiny"}})
    run, ft = RunKey("d", "m", 0), FinetuneConfig(model="tiny")
    before = bench.run_key(run, ft)
    assert bench.run_key(run, ft) == before
    monkeypatch.setattr(dnalm._version, "__version__", "9.9.9")
    after = bench.run_key(run, ft)
    assert after["key"] != before["key"] and after["parts"]["dnalm_version"] == "9.9.9"
