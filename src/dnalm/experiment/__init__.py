"""Experiments: benchmarks (datasets x models x seeds), hyperparameter search, results and the report.

- :mod:`~dnalm.experiment.config`: ``BenchmarkConfig``, ``SearchConfig`` (typed, checked when loaded)
- :mod:`~dnalm.experiment.results`: typed records (``run.json``, ``trial.json``, ``results.json``) and tables
- :mod:`~dnalm.experiment.runner`: ``run_benchmark``; :mod:`~dnalm.experiment.search`: ``run_search``
- :mod:`~dnalm.experiment.report`: ``build_report`` (its figures are drawn by :mod:`dnalm.plots`)

The runner writes results, the report reads them; neither imports the other's internals. Nothing is
imported here, so ``import dnalm.experiment.report`` does not load the runner.
"""
