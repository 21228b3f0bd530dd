"""Hyperparameter search on the validation split: grid or Optuna, one line per setting.

Each trial fine-tunes with the search's own seed and is scored by its best validation metric
(the checkpoint-selection metric, so the two never disagree). The test split is never read
here: the chosen setting is then trained over the benchmark's seeds and evaluated once.
Trials are folders with ``trial.json``; a finished trial is not redone while its key (a hash of
the data files, the trial's finetune settings, dnalm's version and, for Optuna, the space) is
unchanged; a trial whose key differs is done again. Optuna trials are
drawn from a sampler seeded by (seed, trial number) given all earlier trials, so a resumed
search asks for the same settings an uninterrupted one would.

>>> s = SearchConfig.from_dict({"space": {"learning_rate": [1e-3, 5e-4], "batch_size": [32, 64]}})
>>> s.grid()
[{'learning_rate': 0.001, 'batch_size': 32}, {'learning_rate': 0.001, 'batch_size': 64}, \
{'learning_rate': 0.0005, 'batch_size': 32}, {'learning_rate': 0.0005, 'batch_size': 64}]
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from dnalm.config import FinetuneConfig, check_keys

__all__ = ["SearchConfig", "run_search"]

log = logging.getLogger(__name__)

_NOT_SEARCHABLE = {"model", "seed", "trainer", "problem_type", "sequence_column", "label_column", "from_scratch"}


@dataclass
class SearchConfig:
    """``space`` maps FinetuneConfig settings to a list of values (grid, or categorical for
    Optuna) or, for Optuna, a range ``{low, high, log}`` (integers when both ends are)."""

    space: dict
    method: str = "grid"  # grid | optuna
    n_trials: int | None = None  # Optuna: number of trials (required); grid: every combination
    seed: int = 0  # every trial trains with this seed; Optuna's sampler is seeded from it too
    metric: str | None = None  # validation metric to maximise (minimise if it ends in "loss"); None: mcc
    models: list[str] | None = None  # search only these benchmark models (None: all)
    datasets: list[str] | None = None  # ... on these datasets (None: all)

    @classmethod
    def from_dict(cls, data: dict, models: list[str] | None = None,
                  datasets: list[str] | None = None) -> SearchConfig:
        check_keys(data, sorted(f.name for f in dataclasses.fields(cls)), "key", "search")
        cfg = cls(**data)
        if cfg.method not in ("grid", "optuna"):
            raise ValueError(f"search.method must be 'grid' or 'optuna'; got {cfg.method!r}")
        if not isinstance(cfg.space, dict) or not cfg.space:
            raise ValueError("search.space must map settings to values")
        settings = {f.name for f in dataclasses.fields(FinetuneConfig)} - _NOT_SEARCHABLE
        for name, values in cfg.space.items():
            if name not in settings:
                raise ValueError(f"search.space: {name!r} is not a searchable finetune setting; "
                                 f"choose from {sorted(settings)}")
            if isinstance(values, dict):
                if cfg.method == "grid" or set(values) - {"low", "high", "log"} or not {"low", "high"} <= set(values):
                    raise ValueError(f"search.space.{name}: a range {{low, high, log}} needs method: optuna; "
                                     "a grid takes a list of values")
            elif not isinstance(values, list) or not values:
                raise ValueError(f"search.space.{name}: give a non-empty list of values")
        if cfg.method == "optuna" and not cfg.n_trials:
            raise ValueError("search.n_trials is required with method: optuna")
        for what, names, known in (("models", cfg.models, models), ("datasets", cfg.datasets, datasets)):
            missing = sorted(set(names or []) - set(known or names or []))
            if missing:
                raise ValueError(f"search.{what}: {missing} are not in the benchmark's {what}")
        return cfg

    def grid(self) -> list[dict]:
        names = list(self.space)
        return [dict(zip(names, combo)) for combo in itertools.product(*(self.space[n] for n in names))]

    def maximize(self, bench, model: str) -> bool:
        """Direction of the selection metric: this search's, else the model's checkpoint-selection metric."""
        metric = self.metric or bench.finetune_config(model, self.seed).metric_for_best_model or "mcc"
        return not metric.endswith("loss")


def _distributions(space: dict) -> dict:
    import optuna.distributions as d

    out = {}
    for name, values in space.items():
        if isinstance(values, list):
            out[name] = d.CategoricalDistribution(values)
        elif isinstance(values["low"], int) and isinstance(values["high"], int):
            out[name] = d.IntDistribution(values["low"], values["high"], log=bool(values.get("log", False)))
        else:
            out[name] = d.FloatDistribution(float(values["low"]), float(values["high"]),
                                            log=bool(values.get("log", False)))
    return out


def _optuna_params(scfg: SearchConfig, done: list[dict], number: int, maximize: bool) -> dict:
    try:
        import optuna
    except ImportError:
        raise ImportError("method: optuna needs optuna: pip install 'dnalm[search]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = _distributions(scfg.space)
    sampler = optuna.samplers.TPESampler(seed=scfg.seed * 100_003 + number)
    study = optuna.create_study(direction="maximize" if maximize else "minimize", sampler=sampler)
    for t in done:
        study.add_trial(optuna.trial.create_trial(params=t["params"], distributions=dists, value=t["value"]))
    return study.ask(dists).params


def _trial_config(bench, model: str, scfg: SearchConfig, params: dict):
    overrides = dict(params)
    if scfg.metric:
        overrides["metric_for_best_model"] = scfg.metric
    return bench.finetune_config(model, scfg.seed, overrides)


def _trial_key(bench, dataset: str, model: str, scfg: SearchConfig, params: dict) -> str:
    """Hash of what determines a trial: the data files, its finetune settings, dnalm's version and,
    for Optuna (whose later trials depend on the space), the space."""
    from dnalm import __version__

    parts = {"data_digest": bench.data_digest(dataset), "dnalm_version": __version__,
             "finetune_config": _trial_config(bench, model, scfg, params).to_dict(),
             "space": scfg.space if scfg.method == "optuna" else None}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _finished_trial(path: Path, key: str) -> dict | None:
    """The trial in ``path`` if it finished with this key."""
    if not path.is_file():
        return None
    trial = json.loads(path.read_text())
    if trial.get("trial_key") == key:
        return trial
    log.warning("search %s: done again: its data, settings or dnalm's version changed since it ran", path.parent)
    return None


def _trial(bench, dataset: str, model: str, scfg: SearchConfig, params: dict, folder: Path) -> dict:
    from dnalm.train import finetune

    path = folder / "trial.json"
    key = _trial_key(bench, dataset, model, scfg, params)
    done = _finished_trial(path, key)
    if done is not None:
        return done
    if folder.exists():
        shutil.rmtree(folder)
    ft = _trial_config(bench, model, scfg, params)
    summary = finetune(ft, bench.datasets[dataset].path, folder / "model")
    for weights in (folder / "model").glob("*.safetensors"):  # search models are never used again
        weights.unlink()
    history = json.loads((folder / "model" / "history.json").read_text())
    value = summary["best_validation_metric"]
    trial = {"dataset": dataset, "model": model, "params": params, "metric": summary["best_checkpoint_metric"],
             "value": value, "seed": scfg.seed, "epochs_run": summary["epochs_run"],
             "wall_time_s": summary["wall_time_s"], "history": history, "trial_key": key}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(trial, indent=2, default=str) + "\n")
    tmp.replace(path)
    log.info("search %s/%s %s: validation %s = %.4f", dataset, model, json.dumps(params), trial["metric"], value)
    return trial


def search_one(bench, dataset: str, model: str, scfg: SearchConfig, output: Path) -> dict:
    """All trials for one dataset x model; returns (and writes) ``chosen.json``."""
    folder = bench.output_path(output, "search", dataset, model)
    maximize = scfg.maximize(bench, model)
    trials: list[dict] = []
    if scfg.method == "grid":
        for i, params in enumerate(scfg.grid()):
            trials.append(_trial(bench, dataset, model, scfg, params, folder / f"trial-{i:03d}"))
    else:
        for i in range(scfg.n_trials):
            done_path = folder / f"trial-{i:03d}" / "trial.json"
            stored = json.loads(done_path.read_text()) if done_path.is_file() else {}
            current = "params" in stored and stored.get("trial_key") == _trial_key(bench, dataset, model, scfg,
                                                                                    stored["params"])
            params = stored["params"] if current else _optuna_params(scfg, trials, i, maximize)
            trials.append(_trial(bench, dataset, model, scfg, params, folder / f"trial-{i:03d}"))
    ok = [t for t in trials if t["value"] is not None]
    if not ok:
        raise RuntimeError(f"search {dataset}/{model}: no trial produced a validation metric")
    best = (max if maximize else min)(ok, key=lambda t: t["value"])
    chosen = {"dataset": dataset, "model": model, "params": best["params"], "metric": best["metric"],
              "value": best["value"], "method": scfg.method, "seed": scfg.seed,
              "trials": [{"params": t["params"], "value": t["value"], "epochs_run": t["epochs_run"]} for t in trials]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chosen.json").write_text(json.dumps(chosen, indent=2, default=str) + "\n")
    from dnalm.report import plot_search_curves

    plot_search_curves(trials, folder / "search_curves.png", title=f"{dataset} / {model}")
    return chosen


def run_search(bench, output: str | Path) -> dict[str, dict]:
    """Search every (dataset, model) in scope of ``bench.search``; keys are ``"dataset/model"``."""
    output = Path(output)
    scfg = SearchConfig.from_dict(bench.search, models=list(bench.models), datasets=list(bench.datasets))
    chosen = {}
    for dataset in scfg.datasets or list(bench.datasets):
        for model in scfg.models or list(bench.models):
            chosen[f"{dataset}/{model}"] = search_one(bench, dataset, model, scfg, output)
    return chosen

