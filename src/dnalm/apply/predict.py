"""Prediction: a trained model's scores for sequences of any length, batched and streaming, with
reverse-complement averaging.

A sequence longer than the model takes (or than it was fine-tuned on) is scored in overlapping windows whose
outputs are averaged: nothing is truncated. The windows and the streaming engine are
:mod:`dnalm.models.windows`; what a score is (softmax, sigmoid, values) is the model's task (:mod:`dnalm.tasks`).
Results do not depend on the batch size beyond float rounding (about 1e-5: batches of other shapes sum in another
order; tested to 1e-5 for every model type).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Iterator

import numpy as np

from dnalm.models.windows import check_sequence_list, stream_windows
from dnalm.settings import check_keys, given
from dnalm.tasks import task_of

log = logging.getLogger(__name__)

__all__ = [
    "iter_scores",
    "max_class",
    "predict_per_base",
    "predict_proba",
    "shared_scores",
]


def _score_forward(task):
    def forward(model, enc, pieces):
        scores = task.activate(model(**enc).logits.float())
        return list(scores.cpu().numpy().astype(np.float64))

    return forward


def check_scoring_model(model, what: str) -> None:
    """A model whose outputs are scores (a classifier or regressor), not a masked LM: its per-token vocabulary
    came back as (sequences, tokens, vocabulary) 'probabilities' without a word."""
    head = getattr(model, "get_output_embeddings", None)
    if callable(head) and head() is not None:
        raise ValueError(
            f"{what} scores with a fine-tuned model (dnalm finetune); {type(model).__name__} is a masked language "
            "model: its outputs are tokens, not classes"
        )


def iter_scores(
    model,
    tokenizer,
    sequences: Iterable[str],
    *,
    batch_size: int = 64,
    reverse_complement_average: bool = False,
    stride: int | None = None,
    aggregate: str = "mean",
    device: str | None = None,
    max_tokens: int | None = None,
    max_windows: int | None = None,
    progress=None,
) -> Iterator[tuple[np.ndarray, int]]:
    """``(scores, n_windows)`` for each sequence of an iterable, in order, streamed (``progress(n)``: called as each
    batch of n windows is scored): class
    probabilities (softmax), label probabilities (sigmoid, multi-label) or values (regression),
    combined over a long sequence's windows by ``aggregate`` (``mean``, or ``max``: a two-class model's scores of
    the window most likely to be of its positive class, each other output's largest value) and over both strands
    by their mean."""
    if aggregate not in ("mean", "max"):
        raise ValueError(f"aggregate must be 'mean' or 'max'; got {aggregate!r}")
    check_sequence_list(sequences)
    check_scoring_model(model, "predict")
    task = task_of(model)
    if task.per_base:  # its token rows were averaged by position across windows and strands: not per base
        raise ValueError(
            f"this model scores each base ({task.name}); predict_proba and iter_scores give one score per sequence: "
            "use predict_per_base"
        )
    positive = max_class(model) if aggregate == "max" and task.exclusive else None
    for starts, outs in stream_windows(
        model,
        tokenizer,
        sequences,
        _score_forward(task),
        batch_size=batch_size,
        max_tokens=max_tokens,
        stride=stride,
        device=device,
        max_windows=max_windows,
        reverse_complement_average=reverse_complement_average,
        progress=progress,
        skip_unreadable=True,
    ):
        scores = np.stack(outs)
        if reverse_complement_average:  # the two strands averaged window by window: aggregate combines windows only
            scores = (scores[: len(starts)] + scores[len(starts) :]) / 2
        yield task.combine(scores, aggregate, positive), len(starts)


def max_class(model, say: bool = False) -> int:
    """The class whose most likely window ``--aggregate max`` keeps: a two-class model's positive class (the rule
    of :func:`dnalm.apply.target.target_class`); a model of more classes has no one class to take the max of."""
    from dnalm.apply.target import target_class

    if model.config.num_labels != 2:
        raise ValueError(
            f"{given('aggregate', 'max')} keeps the window most likely to be the positive class of a two-class model; "
            f"this model has {model.config.num_labels} classes: use {given('aggregate', 'mean')}"
        )
    index, label = target_class(model)
    if say:  # which class's window a long sequence's scores are of (it was not said)
        log.info("--aggregate max: each long sequence gets the scores of its window most likely %s", label)
    return index


SHARE_BLOCK = 4096  # sequences read before the processes of a multi-process run share them out


def shared_scores(
    model, tokenizer, sequences: Iterable[str], *, block: int = SHARE_BLOCK, **kwargs
) -> Iterator[tuple[np.ndarray, int]]:
    """:func:`iter_scores` with the work shared among the processes of a ``torchrun``/``accelerate
    launch`` run: every process reads the same ``sequences``, ``block`` at a time; process r scores
    sequences r, r + n, r + 2n, ... of each block on its own device; the main process gathers them and
    yields every result in order, the other processes yield nothing. Memory: one block per process.
    With one process it is :func:`iter_scores`."""
    from itertools import islice

    from dnalm.runtime import distributed

    processes, me = distributed.world_size(), distributed.rank()
    if processes == 1:
        yield from iter_scores(model, tokenizer, sequences, **kwargs)
        return
    kwargs.setdefault("device", distributed.device())
    it = iter(sequences)
    while chunk := list(islice(it, block)):  # every process reads the same input: all agree on the end
        mine = list(iter_scores(model, tokenizer, chunk[me::processes], **kwargs))
        parts = distributed.gather(mine)
        if parts is not None:
            for j in range(len(chunk)):
                yield parts[j % processes][j // processes]


def predict_proba(model, tokenizer, sequences: list[str], **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """:func:`iter_scores` for a list: ``(scores, n_windows)`` with one row per input sequence, in order."""
    options = [n for n in inspect.signature(iter_scores).parameters if n not in ("model", "tokenizer", "sequences")]
    check_keys(kwargs, options, "keyword argument", "predict_proba")  # a typo was named as iter_scores()'s
    rows = list(iter_scores(model, tokenizer, sequences, **kwargs))
    if not rows:
        raise ValueError("predict needs at least one sequence; got 0")
    return np.stack([r[0] for r in rows]), np.array([r[1] for r in rows])


def predict_per_base(
    model,
    tokenizer,
    sequences: list[str],
    *,
    batch_size: int = 64,
    stride: int | None = None,
    device: str | None = None,
    max_tokens: int | None = None,
) -> list[np.ndarray]:
    """Per-nucleotide scores ``(len(seq), num_labels)`` for each sequence: class probabilities, or
    values for per-base regression (the model's task says which).

    Long sequences are cut into overlapping windows; every base gets the mean over the
    windows that contain it.
    """
    check_sequence_list(sequences)
    check_scoring_model(model, "predict_per_base")
    task = task_of(model)
    if not task.per_base:
        raise ValueError(
            f"predict_per_base needs a per-base model (token_classification or token_regression); this one is "
            f"{task.name}, one score per sequence: use predict_proba"
        )

    def forward(model, enc, pieces):
        probs = task.activate(model(**enc).logits.float()).cpu().numpy()
        return [p[: len(piece)] for p, piece in zip(probs, pieces)]

    out = []
    n_labels = model.config.num_labels
    for seq_starts, outs in stream_windows(
        model, tokenizer, sequences, forward, batch_size=batch_size, max_tokens=max_tokens, stride=stride, device=device
    ):
        length = max(s + len(o) for s, o in zip(seq_starts, outs))
        total, counts = np.zeros((length, n_labels)), np.zeros(length)
        for s, o in zip(seq_starts, outs):
            total[s : s + len(o)] += o
            counts[s : s + len(o)] += 1
        out.append(total / np.maximum(counts, 1)[:, None])
    return out
