"""Moved to :mod:`dnalm.experiment.search` (the space: :mod:`dnalm.experiment.config`); kept so older imports work."""

from dnalm.experiment.config import SearchConfig
from dnalm.experiment.search import run_search, search_one

__all__ = ["SearchConfig", "run_search", "search_one"]
