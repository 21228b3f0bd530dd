"""Masked-language-model collators; leak-free span masking for overlapping k-mers.

With overlapping k-mers every base sits in up to k tokens, so masking a token alone hides
nothing: its bases can be read off the neighbours. ``KmerMaskingCollator`` chooses masked
positions at the nucleotide level (spans of ``span_length`` bases) and masks every k-mer
that covers a masked base. The 80/10/10 mask/random/keep rule is drawn once per masked
region (spans that touch or overlap count as one region), and a random replacement always
differs from the token it replaces. So every replaced label token holds at least one base
that no unchanged token shows.

>>> from dnalm.tokenizers.dna import KmerTokenizer
>>> tok = KmerTokenizer(k=3)
>>> collate = KmerMaskingCollator(tok, mlm_probability=0.3, seed=0)
>>> batch = collate([tok("ACGTACGTTAGCATGCAAGT")])
>>> sorted(batch)
['attention_mask', 'input_ids', 'labels']
>>> (batch["labels"][0] != -100).sum().item() >= round(0.3 * 18)
True
"""

from __future__ import annotations

import itertools
import math
import reprlib
from collections.abc import Mapping

import numpy as np

from dnalm.settings import check_count
from dnalm.tokenizers.capabilities import capabilities

__all__ = ["BatchSeededMasking", "KmerMaskingCollator", "MaskingSchedule"]


def _token_rows(examples, tokenizer) -> list[tuple[list[int], int, int]]:
    """Each example's token ids without padding (where its ``attention_mask`` is 0), and where its k-mers start
    and end (after a leading [CLS], before a trailing [SEP]). Examples are dicts with ``input_ids`` (a
    ``datasets`` row, one ``tokenizer(seq)``), or one ``tokenizer(seqs)`` output (a dict of lists)."""
    if isinstance(examples, Mapping) and "input_ids" in examples:  # tokenizer(seqs): a dict of lists
        ids = examples["input_ids"]
        masks = examples.get("attention_mask", [None] * len(ids))
        examples = [{"input_ids": i, "attention_mask": m} for i, m in zip(ids, masks)]
    if isinstance(examples, str | bytes | Mapping) or not hasattr(examples, "__len__"):
        raise TypeError(
            "a masking batch is a list of tokenized examples (dicts with input_ids, as tokenizer(seq) gives); "
            f"got {type(examples).__name__}"
        )
    if len(examples) == 0:
        raise ValueError("a masking batch needs at least one tokenized example (a dict with input_ids); got none")
    special = set(tokenizer.all_special_ids)
    rows = []
    for n, e in enumerate(examples):
        if not isinstance(e, Mapping) or "input_ids" not in e or isinstance(e["input_ids"], str):
            raise TypeError(
                f"masking batch example {n}: a dict with input_ids (token ids, as tokenizer(seq) gives) was "
                f"expected; got {reprlib.repr(e)}"
            )
        ids = [int(i) for i in e["input_ids"]]
        mask = e.get("attention_mask")
        if mask is not None:  # padded already: its padding is neither masked nor attended
            if len(mask) != len(ids):
                raise ValueError(f"masking batch example {n}: {len(ids)} input_ids but {len(mask)} attention_mask")
            ids = [i for i, m in zip(ids, mask) if int(m) == 1]
        lo = 1 if ids and ids[0] == tokenizer.cls_token_id else 0
        hi = len(ids) - 1 if len(ids) > lo and ids[-1] == tokenizer.sep_token_id else len(ids)
        if inner := [i for i in ids[lo:hi] if i in special]:
            raise ValueError(
                f"masking batch example {n}: special token {tokenizer.convert_ids_to_tokens(inner[0])!r} among its "
                "k-mers; an example is one sequence's k-mers, with [CLS] and [SEP] at most at its ends"
            )
        rows.append((ids, lo, hi))
    return rows


class KmerMaskingCollator:
    """Pad tokenized k-mer examples and mask them for MLM without leaking masked bases.

    Args:
        tokenizer: a :class:`~dnalm.tokenizers.dna.KmerTokenizer` (``k`` is read from it).
        mlm_probability: fraction of k-mer tokens to predict (labels != -100), per sequence.
        span_length: contiguous bases hidden per span (DNABERT hides 1 base = k tokens).
        mask_fraction, random_fraction: the 80/10/10 rule, drawn per masked region.
        seed: seed of the collator's own generator (``self.generator``). None: numpy's
            global generator. For runs that must resume exactly, wrap the collator in
            :class:`BatchSeededMasking`.

    Returns batches with ``input_ids``, ``attention_mask`` and ``labels`` (-100 where not
    predicted), like ``transformers.DataCollatorForLanguageModeling``.
    """

    def __init__(
        self,
        tokenizer,
        mlm_probability: float = 0.15,
        span_length: int = 1,
        mask_fraction: float = 0.8,
        random_fraction: float = 0.1,
        seed: int | None = None,
    ):
        k = getattr(tokenizer, "k", None)
        if not capabilities(tokenizer).needs_span_masking or not k:
            raise ValueError(
                "KmerMaskingCollator needs an overlapping k-mer tokenizer (KmerTokenizer); use "
                "transformers.DataCollatorForLanguageModeling for BPE or single-base tokens"
            )

        def number(x) -> bool:
            return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)

        if not number(mlm_probability) or not 0 < mlm_probability < 1:
            raise ValueError(f"mlm_probability must be a number in (0, 1); got {mlm_probability!r}")
        span_length = check_count(span_length, "span_length")
        fractions = (mask_fraction, random_fraction)
        if not all(number(f) and 0 <= f <= 1 for f in fractions) or mask_fraction + random_fraction > 1:
            raise ValueError(
                f"mask_fraction and random_fraction must lie in [0, 1] and add up to at most 1; got {fractions}"
            )
        self.tokenizer, self.k = tokenizer, k
        self.mlm_probability, self.span_length = mlm_probability, span_length
        self.mask_fraction, self.random_fraction = mask_fraction, random_fraction
        self.generator = np.random.default_rng(check_count(seed, "seed", minimum=0)) if seed is not None else None
        special = set(tokenizer.all_special_ids)
        self._kmer_ids = np.array([i for i in range(len(tokenizer)) if i not in special], dtype=np.int64)

    def __call__(self, examples: list[dict]) -> dict:
        import torch

        rows = _token_rows(examples, self.tokenizer)
        features = [{"input_ids": row, "attention_mask": [1] * len(row)} for row, _, _ in rows]
        batch = self.tokenizer.pad(features, padding=True, return_tensors="pt")
        ids = batch["input_ids"].numpy().copy()
        labels = np.full_like(ids, -100)
        left = getattr(self.tokenizer, "padding_side", "right") == "left"
        for row, (tokens, lo, hi) in enumerate(rows):
            if hi - lo < 1:
                continue
            at = ids.shape[1] - len(tokens) if left else 0  # where the example starts in the padded row
            chosen = self._choose_tokens(hi - lo)
            kmers = ids[row, at + lo : at + hi]
            labels[row, at + lo : at + hi][chosen] = kmers[chosen]
            self._corrupt(kmers, chosen)
        batch["input_ids"] = torch.from_numpy(ids)
        batch["labels"] = torch.from_numpy(labels)
        return batch

    def _random(self) -> float:
        return self.generator.random() if self.generator is not None else np.random.random()

    def _integers(self, low: int, high: int, size: int) -> np.ndarray:
        if self.generator is not None:
            return self.generator.integers(low, high, size=size)
        return np.random.randint(low, high, size=size)

    def _choose_tokens(self, n_tokens: int) -> np.ndarray:
        """Boolean mask of k-mer tokens to predict: whole coverage of random base spans."""
        k, span = self.k, self.span_length
        n_bases = n_tokens + k - 1
        target = max(1, int(round(self.mlm_probability * n_tokens)))
        chosen = np.zeros(n_tokens, dtype=bool)
        count = 0
        while count < target:
            # draw a batch of span starts; each covers tokens [start-k+1, start+span-1]
            starts = self._integers(0, max(n_bases - span + 1, 1), size=max(4, target // k + 1))
            for s in starts.tolist():
                lo, hi = max(s - k + 1, 0), min(s + span - 1, n_tokens - 1)
                before = chosen[lo : hi + 1].sum()
                chosen[lo : hi + 1] = True
                count += (hi - lo + 1) - int(before)
                if count >= target:
                    break
        return chosen

    def _corrupt(self, tokens: np.ndarray, chosen: np.ndarray) -> None:
        """80/10/10 per maximal run of chosen tokens; random ids differ from the originals."""
        edges = np.flatnonzero(np.diff(np.concatenate([[0], chosen.astype(np.int8), [0]])))
        for start, end in zip(edges[::2].tolist(), edges[1::2].tolist()):
            draw = self._random()
            if draw < self.mask_fraction:
                tokens[start:end] = self.tokenizer.mask_token_id
            elif draw < self.mask_fraction + self.random_fraction:
                original = tokens[start:end].copy()
                picks = self._kmer_ids[self._integers(0, len(self._kmer_ids), size=end - start)]
                clash = picks == original
                while clash.any():  # redraw any replacement equal to the token it replaces
                    picks[clash] = self._kmer_ids[self._integers(0, len(self._kmer_ids), size=int(clash.sum()))]
                    clash = picks == original
                tokens[start:end] = picks


def check_schedule(schedule, name: str = "mlm_schedule") -> list[tuple[float, float]]:
    """``[[fraction_of_training, probability], ...]`` as pairs of numbers: fractions in [0, 1], rising from 0,
    probabilities in (0, 1) (a probability of 1 or more would mask a sequence over and over, for ever)."""
    want = f"{name} must be [[fraction_of_training, probability], ...] starting at 0, e.g. [[0, 0.15], [0.9, 0.2]]"

    def number(x) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)

    if not isinstance(schedule, list | tuple) or not schedule:
        raise ValueError(f"{want}; got {schedule!r}")
    for pair in schedule:
        if not isinstance(pair, list | tuple) or len(pair) != 2 or not all(number(x) for x in pair):
            raise ValueError(f"{want}; got {pair!r} in it")
        if not 0 <= pair[0] <= 1 or not 0 < pair[1] < 1:
            raise ValueError(
                f"{name}: fractions of training go from 0 to 1 and probabilities lie in (0, 1); got {pair!r}"
            )
    pairs = [(float(f), float(p)) for f, p in schedule]
    if pairs[0][0] != 0 or any(a[0] >= b[0] for a, b in itertools.pairwise(pairs)):
        raise ValueError(f"{want} (fractions rising); got {schedule!r}")
    return pairs


class MaskingSchedule:
    """A ``TrainerCallback``-compatible schedule for a collator's ``mlm_probability``.

    ``MaskingSchedule(collator, [(0.0, 0.15), (0.9, 0.20)])`` masks 15% of tokens until 90%
    of the training steps, then 20% (DNABERT's recipe).
    """

    def __init__(self, collator, schedule: list[tuple[float, float]]):
        self.collator, self.schedule = collator, check_schedule(schedule)

    def probability_at(self, fraction: float) -> float:
        return [p for f, p in self.schedule if f <= fraction][-1]

    def __call__(self, step: int, max_steps: int) -> float:
        self.collator.mlm_probability = self.probability_at(step / max(max_steps, 1))
        return self.collator.mlm_probability


class BatchSeededMasking:
    """Mask every batch from a generator seeded by ``seed`` and the batch's own token ids.

    The masks then depend on nothing but the data, so a run resumed from a checkpoint masks
    each batch exactly as the uninterrupted run did. A collator drawing from a global RNG
    cannot promise that under ``transformers.Trainer``: on resume it restores the saved RNG
    state only after the dataloader has already collated (and prefetched) the next batches.

    Wraps :class:`KmerMaskingCollator` (numpy generator) or
    ``transformers.DataCollatorForLanguageModeling`` (torch generator); both draw every random
    number from their ``generator`` attribute, which is replaced before each batch. Attribute
    reads and writes other than ``collator``/``seed`` (e.g. ``mlm_probability``) go to the
    wrapped collator.

    >>> from dnalm.tokenizers.dna import KmerTokenizer
    >>> tok = KmerTokenizer(k=3)
    >>> collate = BatchSeededMasking(KmerMaskingCollator(tok, mlm_probability=0.3), seed=1)
    >>> a, b = collate([tok("ACGTACGTTAGCATGCAAGT")]), collate([tok("ACGTACGTTAGCATGCAAGT")])
    >>> bool((a["labels"] == b["labels"]).all() and (a["input_ids"] == b["input_ids"]).all())
    True
    """

    def __init__(self, collator, seed: int):
        object.__setattr__(self, "collator", collator)
        object.__setattr__(self, "seed", int(seed))

    def key(self, examples: list[dict]) -> int:
        """64-bit digest of the batch's token ids (order and example boundaries included)."""
        import hashlib

        digest = hashlib.blake2b(digest_size=8, key=self.seed.to_bytes(8, "little", signed=True))
        for example in examples:
            ids = np.asarray(example["input_ids"], dtype=np.int64)
            digest.update(len(ids).to_bytes(8, "little"))
            digest.update(ids.tobytes())
        return int.from_bytes(digest.digest(), "little")

    def __call__(self, examples: list[dict]) -> dict:
        if not examples:
            raise ValueError("a masking batch needs at least one tokenized example (a dict with input_ids); got none")
        key = self.key(examples)
        if isinstance(self.collator, KmerMaskingCollator):
            self.collator.generator = np.random.default_rng(key)
        else:
            import torch

            self.collator.generator = torch.Generator().manual_seed(key)
        return self.collator(examples)

    def __getattr__(self, name):
        return getattr(self.collator, name)

    def __setattr__(self, name, value):
        setattr(self.collator, name, value)
