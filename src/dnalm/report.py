"""Moved to :mod:`dnalm.experiment.report` (figures: :mod:`dnalm.experiment.plots`); kept so older imports work."""

from dnalm.experiment.plots import plot_comparison, plot_curves, plot_roc_pr, plot_search_curves
from dnalm.experiment.report import build_report

__all__ = ["build_report", "plot_comparison", "plot_curves", "plot_roc_pr", "plot_search_curves"]
