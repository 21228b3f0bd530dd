"""Moved to :mod:`dnalm.experiment` (config, results, runner); kept so older imports work."""

from dnalm.experiment.config import BenchmarkConfig, DatasetEntry, RunKey, check_name, data_digest
from dnalm.experiment.results import MAIN_METRICS, aggregate, format_mean_std, load_records
from dnalm.experiment.runner import run_benchmark, run_one

__all__ = [
    "MAIN_METRICS",
    "BenchmarkConfig",
    "DatasetEntry",
    "RunKey",
    "aggregate",
    "check_name",
    "data_digest",
    "format_mean_std",
    "load_records",
    "run_benchmark",
    "run_one",
]
