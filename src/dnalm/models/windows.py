"""How a loaded model reads DNA of any length: the windows a sequence is cut into and the streaming engine that
scores them.

A sequence longer than the model takes (or than it was fine-tuned on) is cut into overlapping windows
(``stride`` bases apart, the last one flush with the end): nothing is truncated. :func:`stream_windows` serves
prediction, evaluation, embeddings, masked-base filling and per-base prediction alike; it takes an iterator, yields
results in order with bounded memory, and leaves the model's device and mode as it found them. Results do not
depend on the batch size. What the outputs mean (class scores, embeddings) is the caller's
(:mod:`dnalm.apply.predict`, :mod:`dnalm.lm.inference`).
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np

from dnalm.io.sequence import normalize, reverse_complement
from dnalm.settings import check_flag, named, plain_number

log = logging.getLogger(__name__)

_A_BASE = re.compile("[ACGTacgt]")

__all__ = [
    "check_batch_size",
    "check_model_and_tokenizer",
    "check_sequence_list",
    "check_window",
    "inference",
    "informative_bases",
    "stream_windows",
    "window_bases",
    "window_size",
    "window_starts",
]


def window_bases(tokenizer, max_tokens: int) -> int:
    """Longest stretch of bases guaranteed to fit in ``max_tokens`` tokens with [CLS]/[SEP]: the
    tokenizer's own ``max_bases``; a tokenizer from elsewhere (a hub BPE) is taken to spend at
    most one token per base."""
    if hasattr(tokenizer, "max_bases"):
        return tokenizer.max_bases(max_tokens)
    return max(max_tokens - 2, 1)


def informative_bases(sequences: list[str], tokenizer) -> np.ndarray:
    """Bases a model reads in each sequence: those inside a token of A/C/G/T only. N and other ambiguity
    codes carry nothing, an overlapping k-mer with one of them is an unknown token for all its k bases,
    and a sequence shorter than k has no k-mer at all (it becomes ``[CLS] [SEP]``). A score with 0 here
    is the model's prior, not evidence about the sequence.

    >>> from dnalm.tokenizers.dna import KmerTokenizer
    >>> informative_bases(["ACGTN", "NNNN", "ACG", "ACNNGTACGTA"], KmerTokenizer(k=4)).tolist()
    [4, 0, 0, 7]
    """
    k = getattr(tokenizer, "overlap", 0) + 1  # an overlapping token spans k bases
    counts = np.zeros(len(sequences), dtype=np.int64)
    acgt = np.frombuffer(b"ACGT", dtype=np.uint8)
    for i, s in enumerate(sequences):
        if len(s) < k:
            continue
        known = sum(map(s.upper().count, "ACGT"))
        if k == 1 or known == len(s):  # no ambiguity code to spoil a k-mer (the common case: no numpy)
            counts[i] = known
            continue
        good = np.isin(np.frombuffer(s.upper().encode("ascii"), dtype=np.uint8), acgt)
        bad_before = np.concatenate([[0], np.cumsum(~good)])
        clean = bad_before[k:] == bad_before[:-k]  # the k-mer starting here is all A/C/G/T
        counts[i] = int((np.convolve(clean, np.ones(k, dtype=np.int64)) > 0).sum())  # bases some clean k-mer covers
    return counts


def default_stride(size: int) -> int:
    """Bases between windows when none is given: half a window, so each base is read in two."""
    return max(size // 2, 1)


def window_starts(length: int, size: int, stride: int, both_strands: bool = False) -> list[int]:
    """Window starts ``stride`` apart, the last one flush with the end; ``both_strands``: with those of the reverse
    complement's reading too, so that a sequence and its reverse complement are read in the same windows (where
    the stride does not divide the length, they were not: 0, 50, 100, 137 against 0, 37, 87, 137)."""
    if length <= size:
        return [0]
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)
    if both_strands:
        starts = sorted(set(starts) | {length - size - s for s in starts})
    return starts


@contextmanager
def inference(model, device: str | None = None):
    """``model`` on ``device`` (default: a GPU if there is one) in eval mode for the block, then back
    on the device and in the mode it was in."""
    import torch

    was_training = model.training
    home = next(model.parameters()).device
    target = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    try:
        yield model.to(target).eval(), target
    finally:
        model.to(home).train(was_training)


def window_size(model, tokenizer, max_tokens: int | None) -> tuple[int, int]:
    """(max_tokens, window in bases): the model's limit, or the length it was fine-tuned on when
    dnalm recorded it; a ``max_tokens`` of more than the model takes is refused (it failed inside torch)."""
    from dnalm.models.build import model_max_tokens
    from dnalm.settings import check_count
    from dnalm.tokenizers.capabilities import capabilities

    largest = model_max_tokens(model, tokenizer)
    if max_tokens is None:
        max_tokens = largest
        trained = getattr(model.config, "dnalm_train_max_tokens", None)
        bases = getattr(model.config, "dnalm_train_max_bases", None)
        if bases and not capabilities(tokenizer).per_base:  # tokens vary in length: a window of the bases trained
            return largest, max(min(int(bases), window_bases(tokenizer, largest)), 1)  # on (it was one per token)
        if trained:
            max_tokens = min(max_tokens, int(trained))
    elif (max_tokens := check_count(max_tokens, "max_tokens", minimum=1)) > largest:  # np.int64(40) is 40
        raise ValueError(f"max_tokens {max_tokens} is more than the model takes ({largest} tokens)")
    return max_tokens, window_bases(tokenizer, max_tokens)


def check_window(window: int | None, tokenizer, largest: int, name: str) -> int:
    """The window in bases: ``window``, or ``largest`` when None; a ValueError when it is longer than the model
    takes or shorter than one overlapping k-mer (the model would read no DNA).

    >>> from dnalm.tokenizers.dna import KmerTokenizer
    >>> check_window(None, KmerTokenizer(k=6), 100, "m"), check_window(6, KmerTokenizer(k=6), 100, "m")
    (100, 6)
    >>> check_window(5, KmerTokenizer(k=6), 100, "m")
    Traceback (most recent call last):
    ...
    ValueError: window (--window) 5 bases is shorter than one 6-mer token of m: the model would read no DNA; give 6 or more
    """
    window = window or largest
    shortest = getattr(tokenizer, "overlap", 0) + 1  # an overlapping k-mer spans k bases
    if window < shortest:
        raise ValueError(
            f"{named('window')} {window} bases is shorter than one {shortest}-mer token of {name}: the model would "
            f"read no DNA; give {shortest} or more"
        )
    if window > largest:
        raise ValueError(
            f"{named('window')} {window} bases is longer than the model takes ({largest} bases for {name}); give "
            f"{largest} or less"
        )
    return window


def check_batch_size(batch_size: int) -> int:
    """``batch_size`` if it is a whole number of at least 1, else a ValueError saying so.

    >>> check_batch_size(0)
    Traceback (most recent call last):
    ...
    ValueError: batch size must be a whole number of at least 1; got 0
    """
    from dnalm.settings import check_count

    return check_count(batch_size, "batch size")


def stream_windows(
    model,
    tokenizer,
    sequences: Iterable[str],
    forward,
    *,
    batch_size: int = 64,
    max_tokens: int | None = None,
    stride: int | None = None,
    reverse_complement_average: bool = False,
    device: str | None = None,
    max_windows: int | None = None,
    what: str = "predict",
    progress=None,
    skip_unreadable: bool = False,
) -> Iterator[tuple[list[int], list]]:
    """The prediction engine: for each input sequence, in order, its window starts and the outputs ``forward(model,
    encoding, pieces)`` gave for its windows (forward strand first, then the reverse complements when
    ``reverse_complement_average``; the windows are then both strands' readings: a sequence and its reverse
    complement get the same scores). Takes any iterable (a reader's generator streams a file), batches windows
    across sequences (sorted by length within a chunk so padding is small), holds at most ``max_windows`` windows
    (default 32 batches) plus the sequences they come from, and leaves the model's device and mode as it found them.
    Results do not depend on ``batch_size`` or ``max_windows`` beyond float rounding (1e-5). ``what`` names the
    caller in the refusal of no sequences; ``progress(n)``: told each batch's n windows as they are scored.
    ``skip_unreadable``: see :func:`_windows`.
    """
    import torch

    check_sequence_list(sequences)
    progress = progress or (lambda n: None)  # told each batch's n windows
    max_tokens, size, stride, max_windows = _engine_plan(model, tokenizer, batch_size, max_tokens, stride, max_windows)
    reverse_complement_average = check_flag(reverse_complement_average, "reverse_complement_average")
    _check_device(device)
    pending: deque = deque()  # [starts, outputs, n_missing] per sequence not yet yielded
    queue: list[tuple[list, int, str]] = []

    def flush(run_model) -> None:
        order = sorted(range(len(queue)), key=lambda j: len(queue[j][2]))
        for b in range(0, len(order), batch_size):
            items = [queue[j] for j in order[b : b + batch_size]]
            enc = tokenizer(
                [p for _, _, p in items], padding=True, truncation=True, max_length=max_tokens, return_tensors="pt"
            )
            enc = {k: v.to(device_used) for k, v in enc.items() if k in ("input_ids", "attention_mask")}
            with torch.inference_mode():
                outs = forward(run_model, enc, [piece for _, _, piece in items])
            for (slot, pos, _), out in zip(items, outs):
                _check_finite(out, slot[3])  # NaN or inf weights: NaN outputs were written with exit 0
                slot[1][pos] = out
                slot[2] -= 1
            progress(len(items))
        queue.clear()

    n, unreadable = 0, [0, 0]  # windows left out, sequences they were in
    with inference(model, device) as (run_model, device_used):
        for i, raw in enumerate(sequences):
            seq = _bases(raw, i)
            n += 1
            starts, pieces = _windows(
                seq, size, stride, reverse_complement_average, unreadable if skip_unreadable else None
            )
            slot = [starts, [None] * len(pieces), len(pieces), i]
            pending.append(slot)
            for pos, piece in enumerate(pieces):
                queue.append((slot, pos, piece))
                if len(queue) >= max_windows:
                    flush(run_model)
                    while pending and pending[0][2] == 0:
                        done = pending.popleft()
                        yield done[0], done[1]
        flush(run_model)
        while pending:
            done = pending.popleft()
            yield done[0], done[1]
    if n == 0:
        raise ValueError(f"{what} needs at least one sequence; got 0")
    _say_unreadable(unreadable, what)


def _say_unreadable(unreadable: list[int], what: str) -> None:
    if unreadable[0]:
        log.warning(
            "%d window(s) of %d sequence(s) hold no A/C/G/T base (all N): left out of their sequence's %s (the "
            "other windows of each are read)",
            *unreadable,
            "embedding" if what == "embed" else "scores",
        )


def _windows(seq: str, size: int, stride: int, both_strands: bool, unreadable: list | None) -> tuple[list, list]:
    """A sequence's window starts and the pieces to read (the reverse complements after them with ``both_strands``);
    with ``unreadable`` (a count of windows and sequences), the windows with no A/C/G/T base are left out and counted
    where another window has one (a sequence all N keeps its windows: the callers say that of it): such a window is
    the model's prior, and 14 of them outvoted the one window with a TATA box in a sequence followed by 700 N."""
    starts = window_starts(len(seq), size, stride, both_strands=both_strands)
    if unreadable is not None and len(starts) > 1:
        readable = [s for s in starts if _A_BASE.search(seq, s, s + size)]
        if readable and len(readable) < len(starts):
            unreadable[0] += len(starts) - len(readable)
            unreadable[1] += 1
            starts = readable
    pieces = [seq[s : s + size] for s in starts]
    if both_strands:
        pieces += [reverse_complement(w) for w in pieces]
    return starts, pieces


def _check_finite(out, i: int) -> None:
    """Refuse one window's output (an array, or a tuple of arrays and flags) unless finite numbers only."""
    import numpy as np

    parts = out if isinstance(out, tuple) else (out,)
    if not all(np.isfinite(np.asarray(part, dtype=np.float64)).all() for part in parts):
        raise ValueError(
            f"the model's outputs are not finite numbers (NaN or inf, e.g. for input sequence {i + 1}): its weights "
            "are damaged or diverged in training, so nothing computed from them would mean anything"
        )


def _bases(raw, i: int) -> str:
    """Sequence ``i`` of an input as bases to score: text, not empty."""
    if not isinstance(raw, str):
        raise TypeError(f"sequence {i} is {type(raw).__name__}, not text (a string of bases)")
    seq = normalize(raw, record=i)
    if not seq:
        raise ValueError(f"sequence {i} is empty: there is nothing to score")
    return seq


def check_sequence_list(sequences) -> None:
    """A bare string would be scored letter by letter, one 'sequence' per base; a set in no fixed order."""
    if isinstance(sequences, str | bytes):
        raise TypeError(f"give a list of sequences, e.g. [{str(sequences)[:20]!r}], not one string")
    if sequences is None:
        raise TypeError("give a list of sequences; got None")
    if isinstance(sequences, set | frozenset | dict):
        raise TypeError(f"give the sequences in an order (a list); a {type(sequences).__name__} has none")
    if hasattr(sequences, "columns"):  # a table iterates its column names, which were read as sequences
        raise TypeError(
            f"give a list of sequences, e.g. table['sequence'].tolist(); a {type(sequences).__name__} iterates its "
            "column names"
        )


def check_model_and_tokenizer(model, tokenizer) -> None:
    """A loaded model and a loaded tokenizer that belong together (one row of the model's embedding for each of
    the tokenizer's tokens; exactly one for dnalm's tokenizers): a token id past the embedding failed deep in torch
    ('index out of range in self'), and a k-mer model read single-base ids as k-mers without a word."""
    from dnalm.tokenizers.dna import vocabulary_mismatch

    if not callable(model) or not hasattr(model, "config"):
        raise TypeError(
            f"model must be a loaded model, e.g. dnalm.models.build.load_model(folder)[0]; got {type(model).__name__}"
        )
    if not callable(tokenizer) or not hasattr(tokenizer, "model_max_length"):
        raise TypeError(
            "tokenizer must be a loaded tokenizer, e.g. dnalm.models.build.load_model(folder)[1]; "
            f"got {type(tokenizer).__name__}"
        )
    if problem := vocabulary_mismatch(tokenizer, getattr(model.config, "vocab_size", None)):
        raise ValueError(f"{problem}: give the model with its own tokenizer (dnalm.models.build.load_model(folder))")


def check_masked_lm(model, tokenizer, what: str) -> None:
    """A loaded masked LM (a model with its masked-LM head) and its own tokenizer, with a mask token: a classifier
    failed deep in torch (an einsum over its two class scores) or returned its class scores as tokens'."""
    if hasattr(model, "config"):  # a transformers model: its vocabulary is checked against the tokenizer's
        check_model_and_tokenizer(model, tokenizer)
    elif not callable(model) or hasattr(model, "model_max_length"):  # a path, or the tokenizer in its place
        raise TypeError(f"model must be a loaded masked LM (load_masked_lm(folder)[0]); got {type(model).__name__}")
    elif not callable(tokenizer) or not hasattr(tokenizer, "model_max_length"):
        raise TypeError(f"tokenizer must be a loaded tokenizer; got {type(tokenizer).__name__}")
    head = getattr(model, "get_output_embeddings", None)  # a plain torch module (a test's oracle) has none to ask
    if callable(head) and head() is None:
        raise ValueError(
            f"{what} needs a masked LM (a model with its masked-LM head, e.g. "
            f"dnalm.lm.inference.load_masked_lm(folder)); got a {type(model).__name__}"
        )
    if getattr(tokenizer, "mask_token_id", None) is None:
        raise ValueError(f"{what} needs a tokenizer with a mask token; {type(tokenizer).__name__} has none")


def _engine_plan(model, tokenizer, batch_size, max_tokens, stride, max_windows) -> tuple[int, int, int, int]:
    """The engine's arguments checked, one line naming each: ``(max_tokens, window, stride, max_windows)``."""
    check_model_and_tokenizer(model, tokenizer)
    check_batch_size(batch_size)
    max_tokens, size = window_size(model, tokenizer, max_tokens)
    stride = default_stride(size) if stride is None else plain_number(stride)  # np.int64(8) is 8
    max_windows = plain_number(max_windows)
    if isinstance(stride, bool) or not isinstance(stride, int) or not 1 <= stride <= size:
        raise ValueError(  # a stride longer than the window would leave bases between windows unscored
            f"stride (--stride) must be a whole number between 1 and the window ({size} bases), or bases between "
            f"windows go unscored; got {stride!r}"
        )
    if max_windows is not None and (
        isinstance(max_windows, bool) or not isinstance(max_windows, int) or max_windows < 1
    ):
        raise ValueError(f"max_windows must be a whole number of at least 1 (or None); got {max_windows!r}")
    return max_tokens, size, stride, max_windows or 32 * batch_size


def _check_device(device) -> None:
    """A device torch knows and this machine has, else one line (not torch's assertion)."""
    if device is None:
        return
    import torch

    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be a torch device such as 'cpu', 'cuda' or 'cuda:1'; got {device!r}") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: this machine (or this torch build) has no CUDA GPU; use 'cpu'")
