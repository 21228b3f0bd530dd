"""The tracks a scan writes as it goes: non-overlapping bedGraph intervals, merged BED peaks, a bigWig."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["BigWigWriter", "PeakWriter", "intervals"]


def intervals(
    lo: np.ndarray, width: int, scores: np.ndarray, after: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-overlapping ``[lo, hi)`` intervals: each starts where the one before (or ``after``) ended at the latest.

    >>> [x.tolist() for x in intervals(np.array([0, 10, 14]), 10, np.array([.1, .2, .3]))]
    [[0, 10, 20], [10, 20, 24], [0.1, 0.2, 0.3]]
    >>> [x.tolist() for x in intervals(np.array([14]), 10, np.array([.3]), after=20)]
    [[20], [24], [0.3]]
    """
    hi = lo + width
    lo = lo.copy()
    if len(lo):
        lo[1:] = np.maximum(lo[1:], hi[:-1])
        lo[0] = max(lo[0], after)
    keep = lo < hi
    return lo[keep], hi[keep], scores[keep]


class PeakWriter:
    """Touching intervals at or above ``threshold`` merged, with their best score, written as BED as
    they close (a peak may run across blocks): BED's score column is the best probability x 1000 (0 for a
    regression model's value, which has no 0-1000 scale), the last column the best score itself."""

    def __init__(self, fh, threshold: float, probability: bool = True):
        self.fh, self.threshold, self.open, self.n = fh, threshold, None, 0
        self.probability = probability  # BED's score column is 0-1000: a probability x 1000, a value has none (0)

    def add(self, chrom: str, lo: np.ndarray, hi: np.ndarray, scores: np.ndarray) -> None:
        if self.fh is None:
            return
        for a, b, score in zip(lo.tolist(), hi.tolist(), scores.tolist()):
            if score < self.threshold:
                continue
            if self.open and self.open[0] == chrom and self.open[2] >= a:
                self.open = (chrom, self.open[1], b, max(self.open[3], score))
            else:
                self._flush()
                self.open = (chrom, a, b, score)

    def _flush(self) -> None:
        if self.open:
            self.n += 1
            chrom, start, end, best = self.open
            score = min(1000, max(0, round(1000 * best))) if self.probability else 0
            self.fh.write(f"{chrom}\t{start}\t{end}\tpeak{self.n}\t{score}\t.\t{best:.5g}\n")
            self.open = None

    def close(self) -> int:
        """Write the last peak; the number of peaks."""
        if self.fh is not None:
            self._flush()
        return self.n


class BigWigWriter:
    """A bigWig written at ``path.partial`` (header: every contig's size) and moved into place on success."""

    def __init__(self, path: Path, sizes: list[tuple[str, int]]):
        self.path, self.sizes = path, sizes
        self.tmp = path.with_name(f".{path.name}.partial")

    def __enter__(self):
        import pyBigWig

        self.bw = pyBigWig.open(str(self.tmp), "w")
        self.bw.addHeader(self.sizes)
        return self.bw

    def __exit__(self, kind, *_):
        self.bw.close()
        if kind is None:
            self.tmp.replace(self.path)
        else:
            self.tmp.unlink(missing_ok=True)
