"""Hyperparameter search on the validation split: grid or Optuna, one trial per setting.

Each trial fine-tunes with the search's own seed and is scored by its best validation metric
(the checkpoint-selection metric, so the two never disagree). The test split is never read
here: the chosen setting is then trained over the benchmark's seeds and evaluated once.
Trials are folders with ``trial.json``; a finished trial is not redone while its key (a hash of
the data files, the trial's finetune settings, dnalm's version and, for Optuna, the space) is
unchanged; a trial whose key differs is done again. Optuna trials are
drawn from a sampler seeded by (seed, trial number) given all earlier trials, so a resumed
search asks for the same settings an uninterrupted one would. The space itself is a
:class:`~dnalm.experiment.config.SearchConfig`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from dnalm.experiment.config import BenchmarkConfig, SearchConfig, benchmark_inputs, model_digest
from dnalm.experiment.results import SearchChoice, Trial
from dnalm.finetune.config import FinetuneConfig
from dnalm.io.outputs import Output, claims, clear_run_folder
from dnalm.plots import plot_search_curves
from dnalm.tasks import get_task

__all__ = ["run_search", "search_one"]

log = logging.getLogger(__name__)


def _distributions(space: dict) -> dict:
    import optuna.distributions as d

    out = {}
    for name, values in space.items():
        if isinstance(values, list):
            out[name] = d.CategoricalDistribution(values)
        elif isinstance(values["low"], int) and isinstance(values["high"], int):
            out[name] = d.IntDistribution(values["low"], values["high"], log=bool(values.get("log", False)))
        else:
            out[name] = d.FloatDistribution(
                float(values["low"]), float(values["high"]), log=bool(values.get("log", False))
            )
    return out


def _optuna_params(scfg: SearchConfig, done: list[Trial], number: int, maximize: bool) -> dict:
    try:
        import optuna
    except ImportError:
        raise ImportError("method: optuna needs optuna: pip install 'dnalm[search]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = _distributions(scfg.space)
    sampler = optuna.samplers.TPESampler(seed=scfg.seed * 100_003 + number)
    study = optuna.create_study(direction="maximize" if maximize else "minimize", sampler=sampler)
    for t in done:
        study.add_trial(optuna.trial.create_trial(params=t.params, distributions=dists, value=t.value))
    return study.ask(dists).params


def _trial_config(bench: BenchmarkConfig, model: str, scfg: SearchConfig, params: dict) -> FinetuneConfig:
    overrides = dict(params)
    if scfg.metric:
        overrides["metric_for_best_model"] = scfg.metric
    return bench.finetune_config(model, scfg.seed, overrides)


def _trial_key(bench: BenchmarkConfig, dataset: str, model: str, scfg: SearchConfig, params: dict) -> str:
    """Hash of what determines a trial: the data files, its finetune settings, dnalm's version and,
    for Optuna (whose later trials depend on the space), the space."""
    from dnalm._version import __version__

    ft = _trial_config(bench, model, scfg, params)
    parts = {
        "data_digest": bench.data_digest(dataset),
        "dnalm_version": __version__,
        "finetune_config": ft.to_dict(),
        "space": scfg.space if scfg.method == "optuna" else None,
        **({"model_digest": digest} if (digest := model_digest(ft.model)) else {}),  # a model file edited since
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _finished_trial(path: Path, key: str) -> Trial | None:
    """The trial in ``path`` if it finished with this key."""
    if not path.is_file():
        return None
    trial = Trial.load(path)
    if trial.trial_key == key:
        log.info("search %s: finished before with the same data and settings: kept", path.parent)
        return trial
    log.warning("search %s: done again: its data, settings or dnalm's version changed since it ran", path.parent)
    return None


def _trial(bench: BenchmarkConfig, dataset: str, model: str, scfg: SearchConfig, params: dict, folder: Path) -> Trial:
    from dnalm.finetune.train import PARTIAL_NAMES, finetune

    path = folder / "trial.json"
    key = _trial_key(bench, dataset, model, scfg, params)
    done = _finished_trial(path, key)
    if done is not None:
        return done
    if folder.exists():
        # what dnalm wrote there; a note of the user's stays
        clear_run_folder(folder, ("trial.json",), {"model": PARTIAL_NAMES})
    ft = _trial_config(bench, model, scfg, params)
    # (a model folder still there holds only the user's files, kept as theirs: see run_one)
    summary = finetune(ft, bench.datasets[dataset].path, folder / "model", overwrite=(folder / "model").exists())
    for weights in (folder / "model").glob("*.safetensors"):  # search models are never used again
        weights.unlink()
    history = json.loads((folder / "model" / "history.json").read_text())
    trial = Trial(
        dataset,
        model,
        params,
        metric=summary["best_checkpoint_metric"],
        value=summary["best_validation_metric"],
        seed=scfg.seed,
        epochs_run=summary["epochs_run"],
        wall_time_s=summary["wall_time_s"],
        history=history,
        trial_key=key,
    )
    trial.save(path)  # written whole or not at all: its presence means the trial finished
    log.info(
        "search %s/%s %s: validation %s = %.4f",
        dataset,
        model,
        json.dumps(params),
        trial.metric,
        float("nan") if trial.value is None else trial.value,
    )
    return trial


def _stored_params(bench: BenchmarkConfig, dataset: str, model: str, scfg: SearchConfig, path: Path) -> dict | None:
    """The setting of a finished Optuna trial, if it is still current (resuming asks for the same settings)."""
    if not path.is_file():
        return None
    stored = json.loads(path.read_text())
    if "params" in stored and stored.get("trial_key") == _trial_key(bench, dataset, model, scfg, stored["params"]):
        return stored["params"]
    return None


def search_one(bench: BenchmarkConfig, dataset: str, model: str, scfg: SearchConfig, output: Path) -> SearchChoice:
    """All trials for one dataset x model; returns (and writes) ``chosen.json``."""
    folder = bench.output_path(output, "search", dataset, model)
    task = get_task(_trial_config(bench, model, scfg, {}).problem_type)  # which way a trial's metric is better
    trials: list[Trial] = []
    planned = len(scfg.grid()) if scfg.method == "grid" else scfg.n_trials
    log.info("search %s/%s: %s, %d trials", dataset, model, scfg.method, planned)  # a grid's size said up front
    if scfg.method == "grid":
        for i, params in enumerate(scfg.grid()):
            trials.append(_trial(bench, dataset, model, scfg, params, folder / f"trial-{i:03d}"))
    else:
        for i in range(scfg.n_trials):
            params = _stored_params(bench, dataset, model, scfg, folder / f"trial-{i:03d}" / "trial.json")
            if params is None:
                params = _optuna_params(scfg, trials, i, not trials or task.greater_is_better(trials[0].metric))
            trials.append(_trial(bench, dataset, model, scfg, params, folder / f"trial-{i:03d}"))
    ok = [t for t in trials if t.value is not None]
    if not ok:
        raise RuntimeError(f"search {dataset}/{model}: no trial produced a validation metric")
    # the metric each trial selected its checkpoint on (the recipe's validation loss for model auto): loss, mse and
    # mae are minimised
    best = (max if task.greater_is_better(ok[0].metric) else min)(ok, key=lambda t: t.value)
    chosen = SearchChoice(
        dataset,
        model,
        best.params,
        best.metric,
        best.value,
        method=scfg.method,
        seed=scfg.seed,
        trials=[{"params": t.params, "value": t.value, "epochs_run": t.epochs_run} for t in trials],
    )
    folder.mkdir(parents=True, exist_ok=True)
    chosen.save(folder / "chosen.json")
    plot_search_curves(
        [(t.params, t.history) for t in trials], folder / "search_curves.png", title=f"{dataset} / {model}"
    )
    return chosen


@claims(
    "search",
    lambda a: {
        "inputs": benchmark_inputs(a["bench"]),
        "outputs": [Output(a["output"], "benchmark", rerun="continue")],
        "overwrite": a["overwrite"],
    },
)
def run_search(bench: BenchmarkConfig, output: str | Path, *, overwrite: bool = False) -> dict[str, SearchChoice]:
    """Search every (dataset, model) in scope of ``bench.search``; keys are ``"dataset/model"``."""
    if not isinstance(bench, BenchmarkConfig):
        raise TypeError(f"give a BenchmarkConfig, e.g. BenchmarkConfig.load('benchmark.yaml'); got {bench!r}")
    bench = bench.validated()  # a config built in Python skipped from_dict's checks
    output = Path(output)
    scfg = bench.search_config()
    if scfg is None:
        raise ValueError(f"{bench.source or 'benchmark config'}: no 'search' section")
    chosen = {}
    for dataset in scfg.datasets or list(bench.datasets):
        for model in scfg.models or list(bench.models):
            chosen[f"{dataset}/{model}"] = search_one(bench, dataset, model, scfg, output)
    return chosen


def describe(chosen: dict[str, SearchChoice]) -> str:
    """What ``dnalm search`` prints: each dataset and model's chosen settings and their validation figure."""
    return "\n".join(
        f"{c.dataset} / {c.model}: {json.dumps(c.params)} (validation {c.metric} {c.value:.4f} of {len(c.trials)} trials)"
        for c in chosen.values()
    )
