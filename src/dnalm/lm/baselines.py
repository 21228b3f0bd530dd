"""Count-based reference models for DNA language modelling: the floor a masked LM must beat.

Scored per base, in bits (−log2 of the probability given to the true base), on the same held-out
bases as the language model:

- uniform: 2 bits per base;
- ``MarkovChain(order)``: P(base | the ``order`` bases before it), add-``alpha`` smoothing,
  backing off to shorter contexts at the start of a sequence;
- ``ContextCounts(k)``: P(base | k bases on each side) — what a masked model sees around a
  masked base, no more: a masked LM that does not beat it learned nothing beyond short context.

Bases other than A/C/G/T are never scored and never used as context (a context holding one is
skipped). ``select_order`` picks the order on the training sequences only (fit on the first 90%
of them, score the rest).

>>> chain = MarkovChain(1, alpha=0.0).fit(["ACACACAC"])
>>> round(chain.bits_per_base(["ACAC"]), 3)   # first base: order 0 (A, C equally likely) = 1 bit; then certain
0.25
>>> positions, log2p = ContextCounts(1, alpha=0.0).fit(["ACACACAC"]).log2_probabilities("CAC")
>>> abs(log2p).tolist()   # the ends back off to no context (A or C: 1 bit); the A between two Cs is certain
[1.0, 0.0, 1.0]
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["UNIFORM_BITS", "ContextCounts", "MarkovChain", "encode_bases", "reference_metrics", "select_order"]

UNIFORM_BITS = 2.0
_LUT = np.full(256, 255, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    _LUT[_b] = _i
    _LUT[_b + 32] = _i  # lower case


def encode_bases(sequence: str) -> np.ndarray:
    """A/C/G/T (either case) -> 0..3; anything else -> 255.

    >>> encode_bases("ACgTN").tolist()
    [0, 1, 2, 3, 255]
    """
    return _LUT[np.frombuffer(sequence.encode("ascii", "replace"), dtype=np.uint8)]


def _window_index(codes: np.ndarray, offsets: list[int], centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Base-4 index of the bases at ``centre + offsets`` and which centres have all of them valid."""
    idx = np.zeros(len(centre), dtype=np.int64)
    ok = np.ones(len(centre), dtype=bool)
    for off in offsets:
        pos = centre + off
        inside = (pos >= 0) & (pos < len(codes))
        c = np.where(inside, codes[np.clip(pos, 0, len(codes) - 1)], 255)
        ok &= c < 4
        idx = idx * 4 + np.where(c < 4, c, 0)
    return idx, ok


def _joined(sequences) -> np.ndarray:
    """All sequences' codes in one array, one invalid code (255) between consecutive sequences."""
    parts = []
    for seq in sequences:
        parts.append(encode_bases(seq))
        parts.append(_GAP)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)


_GAP = np.full(1, 255, dtype=np.uint8)


class _CountModel:
    """Counts of (context, base) with add-alpha smoothing and back-off to smaller contexts."""

    #: the longest context counted: a table of 4 ** (12 + 1) counts is 0.5 GB (one base more, 2 GB, then 8 GB)
    MAX_CONTEXT_BASES = 12

    def __init__(self, k: int, alpha: float):
        from dnalm.settings import check_count

        k = check_count(k, "context size", minimum=0)
        if (bases := len(self._offsets(k))) > self.MAX_CONTEXT_BASES:
            most = max(j for j in range(k) if len(self._offsets(j)) <= self.MAX_CONTEXT_BASES)
            raise ValueError(
                f"context size {k} ({type(self).__name__}) counts contexts of {bases} bases, a table of "
                f"{4 ** (bases + 1) * 8 / 1e9:,.0f} GB; at most {most}"
            )
        self.k, self.alpha = k, alpha
        self.tables: list[np.ndarray] = []

    def _offsets(self, k: int) -> list[int]:
        raise NotImplementedError

    def fit(self, sequences) -> _CountModel:
        """Count every (context, base) of ``sequences``; a context never reaches across two sequences."""
        codes = _joined(sequences)
        centre = np.flatnonzero(codes < 4)
        self.tables = []
        for j in range(self.k + 1):
            size = 4 ** len(self._offsets(j))
            ctx, ok = _window_index(codes, self._offsets(j), centre)
            flat = np.bincount(ctx[ok] * 4 + codes[centre[ok]], minlength=4 * size)
            self.tables.append(flat.reshape(size, 4).astype(np.int64))
        return self

    def truncated(self, k: int) -> _CountModel:
        """The same model with context size ``k`` <= self.k (its tables are the first k + 1)."""
        if not 0 <= k <= self.k:
            raise ValueError(f"context size {k} is not in 0..{self.k}")
        out = type(self)(k, self.alpha)
        out.tables = self.tables[: k + 1]
        return out

    def _probabilities(self, codes: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """P(true base) for each centre, from the largest context that is fully valid there."""
        if not self.tables:
            raise ValueError("fit() the model before scoring")
        prob = np.full(len(centre), np.nan)
        for j in range(self.k, -1, -1):
            todo = np.isnan(prob)
            if not todo.any():
                break
            ctx, ok = _window_index(codes, self._offsets(j), centre[todo])
            rows = self.tables[j][ctx]
            p = (rows[np.arange(len(ctx)), codes[centre[todo]]] + self.alpha) / (rows.sum(1) + 4 * self.alpha)
            seen = ok & (rows.sum(1) + 4 * self.alpha > 0)
            sub = np.flatnonzero(todo)[seen]
            prob[sub] = p[seen]
        return prob

    def log2_probabilities(self, sequence: str) -> tuple[np.ndarray, np.ndarray]:
        """(positions of scored bases, log2 P(base)) for one sequence."""
        codes = encode_bases(sequence)
        centre = np.flatnonzero(codes < 4)
        with np.errstate(divide="ignore"):
            return centre, np.log2(self._probabilities(codes, centre))

    def bits_per_base(self, sequences) -> float:
        """Mean −log2 P(base) over every A/C/G/T base of ``sequences``."""
        codes = _joined(sequences)
        centre = np.flatnonzero(codes < 4)
        if len(centre) == 0:
            raise ValueError("no A/C/G/T bases to score")
        return float(-np.log2(self._probabilities(codes, centre)).mean())


class MarkovChain(_CountModel):
    """Order-``order`` Markov chain: P(base | the ``order`` preceding bases)."""

    def __init__(self, order: int, alpha: float = 0.5):
        super().__init__(order, alpha)

    def _offsets(self, k: int) -> list[int]:
        return list(range(-k, 0))


class ContextCounts(_CountModel):
    """P(base | ``k`` bases on each side): the two-sided context a masked model sees."""

    def __init__(self, k: int, alpha: float = 0.5):
        super().__init__(k, alpha)

    def _offsets(self, k: int) -> list[int]:
        return list(range(-k, 0)) + list(range(1, k + 1))


def select_order(
    model_class, train_sequences: list[str], max_k: int, alpha: float = 0.5, holdout: float = 0.1
) -> tuple[int, dict[int, float]]:
    """Choose the context size on training data only: fit on a seeded random ``1 - holdout`` of the
    sequences, score the rest; returns (best k, {k: held-out bits per base}). Random, not the last
    sequences: a corpus lists its genomes one after another, and holding out the last genome would
    choose the context size that transfers across species, not the one that fits these genomes.

    >>> seqs = ["ACGT" * 50] * 20
    >>> select_order(MarkovChain, seqs, max_k=3)[0] >= 1
    True
    """
    if isinstance(train_sequences, str) or not all(isinstance(s, str) for s in train_sequences):
        raise TypeError("train_sequences must be a list of sequences (str), not one string")
    if len(train_sequences) < 2:
        raise ValueError("choosing a context size needs at least two training sequences")
    n = len(train_sequences)
    n_held = n - max(1, min(n - 1, math.floor(n * (1 - holdout))))
    is_held = np.zeros(n, dtype=bool)
    is_held[np.random.default_rng(0).choice(n, n_held, replace=False)] = True
    fit = [s for s, h in zip(train_sequences, is_held) if not h]
    held = [s for s, h in zip(train_sequences, is_held) if h]
    full = model_class(max_k, alpha).fit(fit)  # the tables of every smaller context size are in it
    scores = {k: full.truncated(k).bits_per_base(held) for k in range(max_k + 1)}
    return min(scores, key=scores.get), scores


def reference_metrics(
    train_sequences: list[str],
    heldout_sequences: list[str],
    *,
    max_markov_order: int = 10,
    max_context: int = 5,
    alpha: float = 0.5,
) -> dict:
    """The references a language model is reported beside, on the same held-out bases: uniform,
    the Markov chain and the two-sided count model, each with its context size chosen on the
    training sequences only.

    >>> m = reference_metrics(["ACGT" * 40] * 10, ["ACGT" * 10], max_markov_order=2, max_context=1)
    >>> m["uniform_bits_per_base"], m["markov_bits_per_base"] < 0.2, m["n_bases"]
    (2.0, True, 40)
    """
    order, order_scores = select_order(MarkovChain, train_sequences, max_markov_order, alpha)
    k, context_scores = select_order(ContextCounts, train_sequences, max_context, alpha)
    markov = MarkovChain(order, alpha).fit(train_sequences)
    context = ContextCounts(k, alpha).fit(train_sequences)
    n_bases = sum(int((encode_bases(s) < 4).sum()) for s in heldout_sequences)
    return {
        "uniform_bits_per_base": UNIFORM_BITS,
        "markov_bits_per_base": markov.bits_per_base(heldout_sequences),
        "markov_order": order,
        "context_count_bits_per_base": context.bits_per_base(heldout_sequences),
        "context_count_k": k,
        "n_bases": n_bases,
        "selection_bits_per_base": {"markov": order_scores, "context_count": context_scores},
    }
