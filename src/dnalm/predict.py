"""Batched prediction with sliding windows for long sequences and reverse-complement averaging.

A sequence longer than the model takes is cut into overlapping windows (``stride`` bases
apart, the last one flush with the end) whose outputs are averaged: nothing is truncated.
Results do not depend on the batch size.
"""

from __future__ import annotations

import numpy as np

from dnalm.sequence import normalize, reverse_complement

__all__ = ["predict_proba", "predict_per_base", "window_bases", "informative_bases"]


def window_bases(tokenizer, max_tokens: int) -> int:
    """Longest stretch of bases guaranteed to fit in ``max_tokens`` tokens with [CLS]/[SEP].

    Overlapping k-mers fit ``max_tokens - 2 + k - 1`` bases; any other DNA tokenizer
    spends at most one token per base.
    """
    k = getattr(tokenizer, "k", 1) if getattr(tokenizer, "kind", None) == "kmer" else 1
    return max(max_tokens - 2 + k - 1, 1)


def informative_bases(sequences: list[str], tokenizer) -> np.ndarray:
    """A/C/G/T bases a model reads in each sequence: N and other ambiguity codes carry nothing, and
    a k-mer tokenizer reads nothing in a sequence shorter than k (it becomes ``[CLS] [SEP]``).
    A score with 0 here is the model's prior, not evidence about the sequence.

    >>> from dnalm.tokenization import KmerTokenizer
    >>> informative_bases(["ACGTN", "NNNN", "ACG"], KmerTokenizer(k=4)).tolist()
    [4, 0, 0]
    """
    k = getattr(tokenizer, "k", 1) if getattr(tokenizer, "kind", None) == "kmer" else 1
    counts = np.array([sum(map(s.upper().count, "ACGT")) for s in sequences], dtype=np.int64)
    counts[np.array([len(s) < k for s in sequences], dtype=bool)] = 0
    return counts


def _window_starts(length: int, size: int, stride: int) -> list[int]:
    """Window starts ``stride`` apart, the last one flush with the end."""
    if length <= size:
        return [0]
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)
    return starts


def _prepare(model, tokenizer, sequences, device, max_tokens, stride):
    """Check and normalise the input, move the model to its device in eval mode, size the windows."""
    import torch

    if not sequences:
        raise ValueError("predict needs at least one sequence; got 0")
    sequences = [normalize(s, record=i) for i, s in enumerate(sequences)]
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if max_tokens is None:  # the model's limit, or the length it was fine-tuned on when dnalm recorded it
        from dnalm.models import model_max_tokens

        max_tokens = model_max_tokens(model, tokenizer)
        trained = getattr(model.config, "dnalm_train_max_tokens", None)
        if trained:
            max_tokens = min(max_tokens, int(trained))
    size = window_bases(tokenizer, max_tokens)
    return sequences, model.to(device).eval(), device, max_tokens, size, stride or max(size // 2, 1)


def predict_proba(model, tokenizer, sequences: list[str], *, batch_size: int = 64, reverse_complement_average:
                  bool = False, stride: int | None = None, aggregate: str = "mean", device: str | None = None,
                  max_tokens: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Scores of ``model`` for each sequence: class probabilities (softmax), label probabilities
    (sigmoid, multi-label) or values (regression).

    Returns ``(scores, n_windows)`` with one row per input sequence, in input order.
    """
    import torch

    if aggregate not in ("mean", "max"):
        raise ValueError(f"aggregate must be 'mean' or 'max'; got {aggregate!r}")
    sequences, model, device, max_tokens, size, stride = _prepare(model, tokenizer, sequences, device, max_tokens,
                                                                  stride)
    owner: list[int] = []
    pieces: list[str] = []
    for i, seq in enumerate(sequences):
        wins = [seq[s : s + size] for s in _window_starts(len(seq), size, stride)]
        if reverse_complement_average:
            wins = wins + [reverse_complement(w) for w in wins]
        pieces.extend(wins)
        owner.extend([i] * len(wins))
    order = np.argsort([len(p) for p in pieces], kind="stable")  # similar lengths share a batch
    problem = getattr(model.config, "problem_type", None) or "single_label_classification"
    out = None
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = tokenizer([pieces[j] for j in idx], padding=True, truncation=True, max_length=max_tokens,
                            return_tensors="pt")
            enc = {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}
            logits = model(**enc).logits.float()
            if problem == "regression":
                scores = logits
            elif problem == "multi_label_classification":
                scores = torch.sigmoid(logits)
            else:
                scores = torch.softmax(logits, dim=-1)
            scores = scores.cpu().numpy()
            if out is None:
                out = np.zeros((len(pieces), scores.shape[1]), dtype=np.float64)
            out[idx] = scores
    owner_arr = np.asarray(owner)
    counts = np.bincount(owner_arr, minlength=len(sequences))
    result = np.zeros((len(sequences), out.shape[1]))
    if aggregate == "mean":
        np.add.at(result, owner_arr, out)
        result /= counts[:, None]
    else:
        result[:] = -np.inf
        np.maximum.at(result, owner_arr, out)
        if problem == "single_label_classification":
            result /= result.sum(axis=1, keepdims=True)
    n_windows = counts // (2 if reverse_complement_average else 1)
    return result, n_windows


def predict_per_base(model, tokenizer, sequences: list[str], *, batch_size: int = 64, stride: int | None = None,
                     device: str | None = None, max_tokens: int | None = None) -> list[np.ndarray]:
    """Per-nucleotide class probabilities ``(len(seq), num_labels)`` for each sequence.

    Long sequences are cut into overlapping windows; every base gets the mean over the
    windows that contain it.
    """
    import torch

    sequences, model, device, max_tokens, size, stride = _prepare(model, tokenizer, sequences, device, max_tokens,
                                                                  stride)
    pieces: list[tuple[int, int, str]] = []
    for i, seq in enumerate(sequences):
        pieces.extend((i, s, seq[s : s + size]) for s in _window_starts(len(seq), size, stride))
    n_labels = model.config.num_labels
    sums = [np.zeros((len(s), n_labels)) for s in sequences]
    counts = [np.zeros(len(s)) for s in sequences]
    with torch.inference_mode():
        for start in range(0, len(pieces), batch_size):
            chunk = pieces[start : start + batch_size]
            enc = tokenizer([p[2] for p in chunk], padding=True, return_tensors="pt")
            enc = {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}
            probs = torch.softmax(model(**enc).logits.float(), dim=-1).cpu().numpy()
            for (i, s, piece), p in zip(chunk, probs):
                sums[i][s : s + len(piece)] += p[: len(piece)]
                counts[i][s : s + len(piece)] += 1
    return [total / np.maximum(c, 1)[:, None] for total, c in zip(sums, counts)]
