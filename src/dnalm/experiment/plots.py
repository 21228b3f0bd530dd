"""Moved to :mod:`dnalm.plots` (every figure in one module); kept so older imports work."""

from dnalm.plots import plot_comparison, plot_curves, plot_pretraining, plot_roc_pr, plot_search_curves

__all__ = ["plot_comparison", "plot_curves", "plot_pretraining", "plot_roc_pr", "plot_search_curves"]
