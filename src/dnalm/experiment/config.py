"""Benchmark and search settings: datasets x models x seeds, and the hyperparameter space.

A benchmark config (YAML) names datasets (split folders), models (``finetune`` settings)
and seeds; an optional ``search`` section picks hyperparameters per dataset and model on the
validation split first. Dataset and model names become folders under the output and are
checked when the config loads, as is every model's finetune settings and the search space.

>>> cfg = BenchmarkConfig.from_dict({"datasets": {"toy": "data/toy"}, "models": {"cnn": {"model": "cnn"}},
...                                  "seeds": [0, 1]})
>>> [(r.dataset, r.model, r.seed) for r in cfg.runs()]
[('toy', 'cnn', 0), ('toy', 'cnn', 1)]
>>> s = SearchConfig.from_dict({"space": {"learning_rate": [1e-3, 5e-4], "batch_size": [32, 64]}})
>>> s.grid()
[{'learning_rate': 0.001, 'batch_size': 32}, {'learning_rate': 0.001, 'batch_size': 64}, \
{'learning_rate': 0.0005, 'batch_size': 32}, {'learning_rate': 0.0005, 'batch_size': 64}]
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import json
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dnalm.finetune.config import FinetuneConfig, check_for_model
from dnalm.finetune.data import data_digest
from dnalm.io.base import say_once
from dnalm.io.datasets import find_splits
from dnalm.models.ref import ModelRef, is_auto
from dnalm.settings import check_fields, check_keys, check_path, load_yaml, options_unnamed, setting
from dnalm.tasks import reported_metrics

log = logging.getLogger(__name__)

__all__ = ["BenchmarkConfig", "DatasetEntry", "RunKey", "SearchConfig", "check_name", "data_digest"]


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
        raise ValueError(
            f"{what} {name!r}: names become folders under the output; use letters, digits, '.', '_', "
            "'-', '+', '=', and '/' only between non-empty parts other than '.' and '..'"
        )
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
                raise ValueError(
                    f"{source}: the {what} folder {path!r} lies inside {seen[parts[:i]]!r}; rename a dataset or a model"
                )


def _inside(output: Path, path: Path) -> Path:
    """``path`` if it resolves under ``output``; a name or a symbolic link leading out of it is a ValueError."""
    root, real = output.resolve(), path.resolve()
    if not real.is_relative_to(root):
        raise ValueError(
            f"{path} resolves to {real}, outside the output folder {root} (a symbolic link leads out "
            "of it); nothing was written there"
        )
    return path


@dataclass
class DatasetEntry:
    """A dataset of the benchmark: a split folder and, optionally, a published reference figure."""

    path: str
    reference: dict = field(default_factory=dict)  # e.g. {"mcc": 0.6937}
    reference_source: str = ""  # where the reference figure comes from

    @classmethod
    def from_any(cls, name: str, value) -> DatasetEntry:
        if isinstance(value, str) and value.strip():
            return cls(path=value)
        if not isinstance(value, dict) or "path" not in value:
            raise ValueError(f"dataset {name!r}: give a path, or a mapping with 'path' (and optional 'reference')")
        if not isinstance(value["path"], str) or not value["path"].strip():
            raise ValueError(f"dataset {name!r}: path must be a folder's path (text); got {value['path']!r}")
        check_keys(value, [f.name for f in dataclasses.fields(cls)], "key", f"dataset {name!r}")
        reference = value.get("reference") or {}
        if not isinstance(reference, dict):
            raise ValueError(f"dataset {name!r}: reference must map metric names to numbers, e.g. {{mcc: 0.69}}")
        known = reported_metrics()
        for metric, figure in reference.items():  # printed with the table after every run has trained
            if metric not in known:
                close = difflib.get_close_matches(str(metric), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(
                    f"dataset {name!r}: reference {metric!r} is no metric dnalm reports{hint}; "
                    f"known: {', '.join(known)}"
                )
            if isinstance(figure, bool) or not isinstance(figure, int | float) or not math.isfinite(figure):
                raise ValueError(f"dataset {name!r}: reference {metric} must be a finite number; got {figure!r}")
        return cls(**value)


@dataclass(frozen=True)
class RunKey:
    """One run of a benchmark; it lives in ``RUNS/runs/<folder>``."""

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
    (both are :class:`~dnalm.finetune.config.FinetuneConfig` keys, checked up front). ``search``
    (optional) is a :class:`SearchConfig` mapping.
    """

    datasets: dict[str, DatasetEntry]
    models: dict[str, dict]
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    finetune: dict = setting(help="FinetuneConfig settings of every run.", default_factory=dict, cli=False)
    search: dict | None = setting(None, "A SearchConfig mapping.", cli=False)
    split: str = setting("test", "Evaluated once per run, after model selection on the dev split.", cli=False)
    reverse_complement_average: bool | None = setting(
        None, "None: as each model folder records (on for auto).", cli=False
    )
    eval_batch_size: int = setting(128, "Sequences scored at a time.", ge=1, le=1_000_000, cli=False)
    audit: bool = setting(True, "Leakage audit of every dataset, written to RUNS/audit/.", cli=False)
    keep_models: bool = setting(
        True, "False: delete each run's weights once it is evaluated (history and metrics stay).", cli=False
    )
    report: bool = setting(True, "Also write RUNS/report.html + report.md when every run is done.", cli=False)
    name: str = setting("benchmark", "The benchmark's name.", cli=False)
    source: str = ""  # the YAML file it came from

    @classmethod
    @options_unnamed()  # a benchmark's settings come from its file: dnalm benchmark has no --epochs
    def from_dict(cls, data: dict, source: str = "", base: Path | None = None) -> BenchmarkConfig:
        data = dict(data)
        check_keys(
            data,
            sorted({f.name for f in dataclasses.fields(cls)} - {"source"}),
            "benchmark key",
            source or "benchmark config",
        )
        for key in ("datasets", "models"):
            if not isinstance(data.get(key), dict) or not data[key]:
                raise ValueError(f"{source or 'benchmark config'}: '{key}' must be a non-empty mapping")
        where = source or "benchmark config"
        for kind in ("datasets", "models"):  # YAML 1.1 reads yes as true and 1e3 as a number: the folder would differ
            for name in data[kind]:
                if not isinstance(name, str):
                    raise ValueError(
                        f"{where}: {kind[:-1]} name {name!r} was read as {type(name).__name__}, not text; quote it "
                        f"(e.g. '{name}': ...)"
                    )
        try:
            datasets = {
                check_name(str(n), f"{where}: dataset"): DatasetEntry.from_any(str(n), v)
                for n, v in data.pop("datasets").items()
            }
        except ValueError as err:  # the file named, as the other sections' errors do
            raise ValueError(str(err) if str(err).startswith(where) else f"{where}: {err}") from None
        if base is not None:  # read from a file: its paths are relative to it and must exist now, not after other runs
            for entry in datasets.values():
                entry.path = _resolve_path(entry.path, base)
            _check_exist(where, datasets)
        models = {}
        for name, value in data.pop("models").items():
            if value is not None and not isinstance(value, str | dict):
                raise ValueError(
                    f"{where}: model {name!r}: give a model name or path, or a mapping of settings (model: ...); "
                    f"got {type(value).__name__} {value!r:.40}"
                )
            value = {"model": value} if isinstance(value, str) else dict(value or {})
            if base is not None and isinstance(value.get("model"), str):  # relative to the file, as datasets are
                value["model"] = _resolve_path(value["model"], base)
            models[check_name(str(name), f"{where}: model")] = value
        cfg = cls(datasets=datasets, models=models, source=source, **data)
        try:
            check_fields(cfg)  # a flag written 'no' is refused, not taken as true; counts are whole and in range
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        if not isinstance(cfg.seeds, list) or not all(
            isinstance(x, int) and not isinstance(x, bool) for x in cfg.seeds
        ):
            raise ValueError(f"{where}: seeds must be a list of whole numbers, e.g. [0, 1, 2]; got {cfg.seeds!r}")
        if not cfg.seeds or len(set(cfg.seeds)) != len(cfg.seeds):
            raise ValueError(f"{where}: seeds must be a non-empty list without repeats; got {cfg.seeds!r}")
        if bad := [
            s for s in cfg.seeds if not 0 <= s < 2**32
        ]:  # it was "model 'm': seed (--seed)": not what was written
            raise ValueError(f"{where}: seeds must each be in [0, 4294967296); got {bad[0]}")
        _check_no_nesting([k.folder for k in cfg.runs()], "runs", where)
        _check_no_nesting([f"{d}/{m}" for d in cfg.datasets for m in cfg.models], "searches", where)
        _check_no_nesting([f"{d}.json" for d in cfg.datasets], "audits", where)
        if cfg.split in ("train", "dev", "validation"):
            raise ValueError(
                f"{source or 'benchmark config'}: split {cfg.split!r} is used to train or to select "
                "models; a benchmark reports a split read once, after selection (test)"
            )
        cfg.check_datasets(exist=base is not None)
        for name, entry in [("finetune", cfg.finetune), *((f"models.{m}", v) for m, v in cfg.models.items())]:
            if isinstance(entry, dict) and "seed" in entry:  # each run's seed is one of seeds: this one was replaced
                raise ValueError(f"{where}: {name}.seed: each run's seed comes from seeds ({cfg.seeds}); remove it")
        cfg.check_models_and_search(where)
        return cfg

    def check_models_and_search(self, where: str) -> None:
        """Every model's settings, and every value the search may give them, checked before any run trains (a
        contradiction in the second model was found after the first had trained)."""
        refs = {}
        try:  # a key written in the shared finetune: section is named there, not in the first model's entry
            FinetuneConfig.from_dict({**self.finetune, "seed": self.seeds[0]})
        except (TypeError, ValueError) as err:
            if str(err).startswith("unknown"):
                raise ValueError(f"{where}: finetune: {err}") from None
        for name in self.models:  # fail now, not after hours of training
            ft = self.finetune_config(name, self.seeds[0])
            try:
                refs[name] = None if is_auto(ft.model) else ModelRef.resolve(ft.model, ft.trust_remote_code)
            except (FileNotFoundError, ValueError) as err:
                raise ValueError(f"{where}: model {name!r}: {err}") from None
            self.check_model(name, ft, refs[name])
            strands = (ft.reverse_complement_average, self.reverse_complement_average)
            if None not in strands and strands[0] != strands[1]:  # said: the selection and the report differ
                say_once(  # once per file, however often the settings are checked
                    log, logging.WARNING, self.source or None,
                    "%s: model %r: reverse_complement_average is %s in its settings (the model folder records it) and "
                    "%s for the %s split: its runs are reported on %s",
                    where, name, strands[0], strands[1], self.split, "both strands" if strands[1] else "one strand",
                )  # fmt: skip
        _say_twice(
            where, "models", {n: json.dumps(self.finetune_config(n, 0).to_dict(), default=str) for n in self.models}
        )
        search = self.search_config()
        for name in (search.models or self.models) if search is not None else ():  # each value a search may try
            overrides = {"metric_for_best_model": search.metric} if search.metric is not None else {}
            self.finetune_config(name, self.seeds[0], overrides, "search.metric")
            own = sorted(set(search.space) & set(self.models[name] if isinstance(self.models[name], dict) else {}))
            if own:  # the search's values replaced it without a word
                raise ValueError(
                    f"{where}: model {name!r} sets {own[0]}, which search.space varies (the search's values would "
                    "replace it): leave it out of one of them"
                )
            for key, values in search.space.items():  # a range's two ends (a value between lies within them)
                for value in [values["low"], values["high"]] if isinstance(values, dict) else values:
                    tried = self.finetune_config(name, self.seeds[0], {**overrides, key: value}, f"search.space.{key}")
                    self.check_model(name, tried, refs[name], f"search.space.{key} = {value!r}")

    def check_model(self, name: str, ft: FinetuneConfig, ref, where: str = "") -> None:
        """The settings of model ``name`` that depend on the model (:func:`check_for_model`), named in the file."""
        try:
            check_for_model(ft, ref)
        except ValueError as err:
            at = f", {where}" if where else ""
            raise ValueError(f"{self.source or 'benchmark config'}: model {name!r}{at}: {err}") from None

    def validated(self) -> BenchmarkConfig:
        """This config through every check :meth:`from_dict` makes, its datasets checked on disk: a config built in
        Python skipped them (``split="dev"`` reported the selection split; ``seeds=[]`` was an IndexError)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "source"}
        if isinstance(self.datasets, dict):
            data["datasets"] = {
                n: dataclasses.asdict(e) if isinstance(e, DatasetEntry) else e for n, e in self.datasets.items()
            }
        cfg = type(self).from_dict(data, source=self.source)
        cfg.check_datasets(exist=True)
        return cfg

    def check_datasets(self, exist: bool = True) -> None:
        """Each dataset a split folder with the reported split (``exist``: checked there now, as before any run
        trains; else only a dataset found to be one file is refused)."""
        where = self.source or "benchmark config"
        for name, entry in self.datasets.items():
            if os.path.isfile(entry.path):  # training took part of the file, and the test metrics read all of it
                raise ValueError(
                    f"{where}: dataset {name!r} is a file ({entry.path}); a benchmark trains on a split folder's "
                    f"train (and dev) and reports its {self.split} split: put the file's parts in train.csv, dev.csv "
                    "and test.csv (dnalm synth and the data guide show the layout)"
                )
        if exist:
            _check_exist(where, self.datasets)
        for name, entry in self.datasets.items() if exist else ():
            found = find_splits(entry.path)
            if self.split not in found:
                raise ValueError(
                    f"{where}: dataset {name!r} has no {self.split!r} split (it has {', '.join(sorted(found))})"
                )
        _say_twice(where, "datasets", {n: os.path.realpath(e.path) for n, e in self.datasets.items()} if exist else {})

    @classmethod
    def load(cls, path: str | Path) -> BenchmarkConfig:
        path = check_path(path, "path")
        return cls.from_dict(load_yaml(path), source=str(path), base=path.resolve().parent)

    @options_unnamed()
    def finetune_config(self, model: str, seed: int, overrides: dict | None = None, where: str = "") -> FinetuneConfig:
        """Model ``model``'s fine-tuning settings for one run; an error names the model and ``where`` in the file
        the offending value came from (``search.space.learning_rate``)."""
        settings = {**self.finetune, **self.models[model], **(overrides or {}), "seed": seed}
        settings.setdefault("model", model)
        try:
            return FinetuneConfig.from_dict(settings)
        except (TypeError, ValueError) as err:
            at = f", {where}" if where else ""
            raise ValueError(f"{self.source or 'benchmark config'}: model {model!r}{at}: {err}") from None

    def data_digest(self, dataset: str) -> str:
        """Digest of a dataset's split files (see :func:`data_digest`)."""
        return data_digest(self.datasets[dataset].path)

    def run_key(self, key: RunKey, ft: FinetuneConfig) -> dict:
        """Everything that determines a run's result, and its hash (``key``)."""
        from dnalm._version import __version__

        parts = {
            "data_digest": self.data_digest(key.dataset),
            "finetune_config": ft.to_dict(),
            **({"model_digest": digest} if (digest := model_digest(ft.model)) else {}),
            "seed": key.seed,
            "split": self.split,
            "reverse_complement_average": self.reverse_complement_average,
            "dnalm_version": __version__,
        }
        parts = json.loads(json.dumps(parts, sort_keys=True, default=str))
        return {"key": hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20], "parts": parts}

    def output_path(self, output: Path, *parts: str) -> Path:
        """``output/parts...``, refused (ValueError) if it resolves outside ``output`` (a symbolic link)."""
        return _inside(output, output.joinpath(*parts))

    @options_unnamed()
    def search_config(self) -> SearchConfig | None:
        """The ``search`` section, checked against this benchmark's models and datasets (None without one)."""
        if self.search is None:
            return None
        if not self.search:
            raise ValueError(
                f"{self.source or 'benchmark config'}: the search section is empty; give its method and space"
            )
        try:
            return SearchConfig.from_dict(self.search, models=list(self.models), datasets=list(self.datasets))
        except (TypeError, ValueError) as err:  # the file it came from, as the other sections' errors say
            raise ValueError(f"{self.source or 'benchmark config'}: {err}") from None

    def runs(self) -> list[RunKey]:
        return [RunKey(d, m, s) for d in self.datasets for m in self.models for s in self.seeds]

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["datasets"] = {n: dataclasses.asdict(e) for n, e in self.datasets.items()}
        return out


def model_digest(model: str) -> str | None:
    """SHA-256 of a model given as a local YAML file or checkpoint folder (None for a name: a preset, a shipped
    checkpoint or a hub id), so that a run is redone when the file or folder it names changed since: the bytes of
    files up to 1 MB (configs, tokenizer), the size and modification time of larger ones (weights)."""
    path = Path(os.path.expanduser(str(model)))
    if path.is_file():
        files = [(path.name, path)]
    elif path.is_dir():
        files = sorted((f.relative_to(path).as_posix(), f) for f in path.rglob("*") if f.is_file())
    else:
        return None
    h = hashlib.sha256()
    for name, f in files:
        st = f.stat()
        h.update(f"{name}\0{st.st_size}\0".encode())
        h.update(f.read_bytes() if st.st_size <= 1 << 20 else f"{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _resolve_path(path: str, base: Path) -> str:
    """A relative dataset path is read from the working directory, else next to the config file."""
    p = Path(os.path.expanduser(path))
    if p.is_absolute() or p.exists() or not (base / p).exists():
        return str(p)
    return str(base / p)


_NOT_SEARCHABLE = {"model", "seed", "trainer", "problem_type", "sequence_column", "label_column", "from_scratch"}
#: where a setting that is no search dimension is given instead
_SEARCHED_ELSEWHERE = {
    "model": "the benchmark's models: section lists the models, each a mapping of its settings",
    "seed": "the benchmark's seeds: list sets them; search.seed is the one every trial trains with",
    "from_scratch": "give each start its own entry under models:",
}


def _check_range(name: str, values: dict) -> None:
    """An Optuna range: two finite numbers, low < high, and low > 0 on a log scale."""
    low, high = values["low"], values["high"]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (low, high)):
        raise ValueError(f"search.space.{name}: low and high must be numbers; got low={low!r}, high={high!r}")
    if low >= high:
        raise ValueError(f"search.space.{name}: low ({low}) must be below high ({high})")
    if not isinstance(values.get("log", False), bool):
        raise ValueError(f"search.space.{name}: log must be true or false; got {values['log']!r}")
    if values.get("log") and low <= 0:
        raise ValueError(f"search.space.{name}: a log range needs low > 0; got {low}")


def _say_twice(where: str, what: str, identity: dict[str, str]) -> None:
    """Warn (once a file) of two names for one dataset folder or one model's settings: each is run, the same runs
    twice (the table then holds them as two rows, as asked); it was said of neither."""
    by: dict[str, list[str]] = {}
    for name, key in identity.items():
        by.setdefault(key, []).append(name)
    for names in (n for n in by.values() if len(n) > 1):
        say_once(
            log, logging.WARNING, where,
            "%s: %s %s and %r %s: each is run, so the same runs are done %d times",
            where, what, ", ".join(map(repr, names[:-1])), names[-1],
            "are one folder" if what == "datasets" else "have the same settings", len(names),
        )  # fmt: skip


@dataclass
class SearchConfig:
    """``space`` maps FinetuneConfig settings to a list of values (grid, or categorical for
    Optuna) or, for Optuna, a range ``{low, high, log}`` (integers when both ends are)."""

    space: dict
    method: str = "grid"  # grid | optuna
    n_trials: int | None = None  # Optuna: number of trials (required); grid: every combination
    seed: int = 0  # every trial trains with this seed; Optuna's sampler is seeded from it too
    metric: str | None = None  # validation metric selecting the trial (its task says which way); None: each run's own
    models: list[str] | None = None  # search only these benchmark models (None: all)
    datasets: list[str] | None = None  # ... on these datasets (None: all)

    @classmethod
    def from_dict(cls, data: dict, models: list[str] | None = None, datasets: list[str] | None = None) -> SearchConfig:
        check_keys(data, sorted(f.name for f in dataclasses.fields(cls)), "key", "search")
        if "space" not in data:  # it was "SearchConfig.__init__() missing 1 required positional argument"
            raise ValueError(
                "search.space is required: it maps finetune settings to lists of values (or, with method: optuna, to "
                "ranges {low, high, log})"
            )
        cfg = cls(**data)
        if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int) or not 0 <= cfg.seed < 2**32:
            raise ValueError(f"search.seed must be a whole number in [0, 4294967296); got {cfg.seed!r}")
        if cfg.method not in ("grid", "optuna"):
            raise ValueError(f"search.method must be 'grid' or 'optuna'; got {cfg.method!r}")
        if not isinstance(cfg.space, dict) or not cfg.space:
            raise ValueError("search.space must map settings to values")
        settings = {f.name for f in dataclasses.fields(FinetuneConfig)} - _NOT_SEARCHABLE
        for name, values in cfg.space.items():
            if name not in settings:
                close = difflib.get_close_matches(str(name), sorted(settings), n=1)
                why = _SEARCHED_ELSEWHERE.get(name) or (f"did you mean {close[0]!r}?" if close else "")
                raise ValueError(
                    f"search.space: {name!r} is not a searchable finetune setting"
                    + (f" ({why})" if why else "")
                    + f"; choose from {', '.join(sorted(settings))}"
                )
            if isinstance(values, dict):
                if cfg.method == "grid":
                    raise ValueError(
                        f"search.space.{name}: a range {{low, high, log}} needs method: optuna; "
                        "a grid takes a list of values"
                    )
                if unknown := sorted(set(values) - {"low", "high", "log"}, key=str):  # it said "needs method: optuna"
                    close = difflib.get_close_matches(str(unknown[0]), ["low", "high", "log"], n=1)
                    raise ValueError(
                        f"search.space.{name}: {unknown[0]!r} is not a key of a range {{low, high, log}}"
                        + (f" (did you mean {close[0]!r}?)" if close else "")
                    )
                if missing := [end for end in ("low", "high") if end not in values]:
                    raise ValueError(f"search.space.{name}: a range {{low, high, log}} needs {' and '.join(missing)}")
                _check_range(name, values)
                whole = str(FinetuneConfig.__dataclass_fields__[name].type).startswith("int")
                if whole and not all(isinstance(values[end], int) for end in ("low", "high")):
                    raise ValueError(
                        f"search.space.{name}: a whole-number setting takes a range of whole numbers (a float end "
                        f"samples fractions); got low={values['low']!r}, high={values['high']!r}"
                    )
            elif not isinstance(values, list) or not values:
                raise ValueError(f"search.space.{name}: give a non-empty list of values")
            else:
                repeated = [v for i, v in enumerate(values) if v in values[:i]]
                if repeated:  # it trained the same setting twice and counted it as two trials
                    raise ValueError(f"search.space.{name}: {repeated[0]!r} is given twice (each value is one trial)")
        if cfg.n_trials is not None and (
            not isinstance(cfg.n_trials, int) or isinstance(cfg.n_trials, bool) or cfg.n_trials < 1
        ):
            raise ValueError(f"search.n_trials must be a whole number >= 1; got {cfg.n_trials!r}")
        if cfg.method == "optuna" and cfg.n_trials is None:
            raise ValueError("search.n_trials is required with method: optuna")
        if cfg.method == "grid" and cfg.n_trials is not None:  # it was ignored: the grid ran every combination
            n = math.prod(len(v) for v in cfg.space.values())
            raise ValueError(
                f"search.n_trials: a grid tries every combination ({n} here); leave n_trials out, or sample "
                f"{cfg.n_trials} with method: optuna"
            )
        for what, names, known in (("models", cfg.models, models), ("datasets", cfg.datasets, datasets)):
            if names is not None and (not isinstance(names, list) or not names):
                raise ValueError(
                    f"search.{what}: give a non-empty list of the benchmark's {what}, or leave it out to search all; "
                    f"got {names!r}"
                )
            missing = sorted(set(names or []) - set(known or names or []))
            if missing:
                raise ValueError(f"search.{what}: {missing} are not in the benchmark's {what}")
        return cfg

    def grid(self) -> list[dict]:
        names = list(self.space)
        return [dict(zip(names, combo)) for combo in itertools.product(*(self.space[n] for n in names))]


def benchmark_inputs(cfg) -> list:
    """The files a benchmark reads (its datasets, its YAML file, and the models it starts from that are folders or
    YAML files here); anything but a :class:`BenchmarkConfig` is one line saying how to make one."""
    from dnalm.io.outputs import local

    if not isinstance(cfg, BenchmarkConfig):
        raise TypeError(f"give a BenchmarkConfig, e.g. BenchmarkConfig.load('benchmark.yaml'); got {cfg!r}")
    cfg = cfg.validated()  # before any run trains (a config made in Python was not checked when it loaded)
    models = local(*(cfg.finetune_config(name, cfg.seeds[0]).model for name in cfg.models))
    return [d.path for d in cfg.datasets.values()] + ([cfg.source] if cfg.source else []) + models


def _check_exist(where: str, datasets: dict) -> None:
    """Every dataset's path is there; those that are not are named together (the first only was named, and the
    next run stopped at the second)."""
    missing = [f"{name!r}: {entry.path}" for name, entry in datasets.items() if not os.path.exists(entry.path)]
    if len(missing) == 1:
        raise ValueError(f"{where}: dataset {missing[0]} does not exist")
    if missing:
        raise ValueError(f"{where}: {len(missing)} datasets do not exist: {'; '.join(missing)}")
