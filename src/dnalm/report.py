"""Moved to :mod:`dnalm.experiment.report` (figures: :mod:`dnalm.plots`); kept so older imports work."""

from dnalm.experiment.report import build_report
from dnalm.plots import plot_comparison, plot_curves, plot_roc_pr, plot_search_curves

__all__ = ["build_report", "plot_comparison", "plot_curves", "plot_roc_pr", "plot_search_curves"]
