"""Progress of long loops: a live tqdm bar on a terminal, plain log lines elsewhere, nothing with ``--quiet``.

Bars go to stderr, and only when stderr is a terminal (in a log file their carriage returns are noise)
and ``TQDM_DISABLE`` is not set (``dnalm --quiet`` sets it, and it turns off transformers' and the
hub's bars too). Otherwise a log line every ``log_every`` seconds says how far the loop has got.

>>> sum(track(range(5), "counting", unit="numbers"))  # no terminal here: no bar, no line in 5 steps
10
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["Progress", "bars_enabled", "track"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def bars_enabled() -> bool:
    """Progress bars only on a terminal, and not when ``TQDM_DISABLE`` is set (``--quiet``, CI)."""
    quiet = os.environ.get("TQDM_DISABLE", "") not in ("", "0")
    return sys.stderr.isatty() and not quiet and os.environ.get("RANK", "0") == "0"  # torchrun: the main process


def _terminal_size() -> int:
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError):
        return 0
    return min(size.columns, size.lines)


class Progress:
    """A counter shown as a tqdm bar on a terminal, else logged every ``log_every`` seconds (None: never;
    for loops that log their own progress). ``unit="bp"`` counts with SI prefixes (kbp, Mbp)."""

    def __init__(self, desc: str, *, total: int | None = None, unit: str = "records", log_every: float | None = 30.0):
        self.desc, self.total, self.unit, self.log_every = desc, total, unit, log_every
        self.n = 0
        self._t0 = self._last = time.time()
        self._bar = None
        if bars_enabled():
            from tqdm.auto import tqdm

            sized = _terminal_size() > 0

            self._bar = tqdm(
                total=total,
                desc=desc,
                unit=unit if unit == "bp" else f" {unit}",
                unit_scale=unit == "bp",
                file=sys.stderr,
                dynamic_ncols=sized,
                # a terminal that reports no size (0 x 0, e.g. a fresh pseudo-terminal) would get no bar at all
                ncols=None if sized else 80,
                nrows=None if sized else 24,
            )

    def update(self, n: int = 1) -> None:
        self.n += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.log_every is not None and (now := time.time()) - self._last >= self.log_every:
            self._last = now
            rate = self.n / max(now - self._t0, 1e-9)
            of = f" of {self.total:,}" if self.total else ""
            log.info("%s: %s%s %s, %.3g per s", self.desc, f"{self.n:,}", of, self.unit, rate)

    def update_to(self, n: int) -> None:
        """Set the count to ``n`` (a running total kept by the caller)."""
        self.update(n - self.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def track(
    items: Iterable[_T], desc: str, *, total: int | None = None, unit: str = "records", log_every: float | None = 30.0
) -> Iterator[_T]:
    """Yield ``items`` one by one, counting each in a :class:`Progress` (``total``: ``len(items)`` if it has one)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)
    with Progress(desc, total=total, unit=unit, log_every=log_every) as progress:
        for item in items:
            yield item
            progress.update()
