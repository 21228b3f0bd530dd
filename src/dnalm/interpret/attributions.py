"""``dnalm interpret``: which bases a two-class classifier's score rests on.

Every method works for every model dnalm loads (transformers on any tokenizer, the CNN/LSTM
baselines) and explains the target class's log-odds, ``log P(target) - log P(other)`` (``target``;
default: :func:`dnalm.apply.target.target_class`):

- ``ism``, in-silico saturation mutagenesis: every base is changed to each of the three others
  and each mutant is scored through the streaming engine (strand averaging as the model folder
  records). ``ism[i, b]`` is the change in log-odds when position ``i`` becomes base ``b`` (0 for
  the base already there); a position's importance is minus the mean change of its three mutants.
- ``ig``, integrated gradients (captum), ``deepliftshap`` and ``gradxinput``, gradient × input, with respect to
  the vectors the model's token lookup returns. The lookup is found by watching one forward pass
  for the op that reads ``input_ids`` (``nn.Embedding``, or the baselines' one-hot table indexed
  by ids), so no model type is named. IG's baseline is the zero vector at every sequence token (no
  base at all: not the N token, which the baselines read as 0.25 on each channel; special tokens
  such as [CLS] keep their vectors, so all of the change is credited to bases). A token's
  attribution (summed over the vector) is shared equally among the bases it covers (k for
  overlapping k-mers, the token's offsets or length otherwise; special tokens dropped) and each
  base sums its shares: inside a sequence that is the mean of the k-mers covering it, and the bases
  add up to the tokens' total (IG: log-odds of the sequence minus log-odds of the baseline).
  ``deepliftshap`` is DeepLIFT (captum, Rescale rule; GELU and SiLU layers get it too) against
  ``n_shuffles`` references per window, each the token vectors of a dinucleotide shuffle of the
  window's bases (a BPE shuffle that tokenizes to another length permutes the window's tokens
  instead), the attributions averaged: the SHAP reading of DeepLIFT used for genomic CNNs
  (DeepLIFT's and tangermeme's ``deep_lift_shap``). Max-pooling passes the gradient of the max
  (DeepLIFT's rule for it) and operations that are not layers (attention's softmax, a max over
  positions written as ``amax``) pass plain gradients, so for models with them the bases add up to
  the log-odds change only approximately; with ReLU, linear, convolution, batch-norm and average
  pooling layers they add up exactly (tested).
  Sequences longer than the model takes are cut into half-overlapping windows (a base gets the
  mean over its windows) and, when the model folder asks for strand averaging, the reverse
  complement's attributions are mapped back and averaged in.

Written: ``attributions.npz`` (``ids``, ``sequences``, ``method``; per sequence ``importance_{i}``,
shape ``(len,)``, positive where a base supports the positive class, and ``{method}_{i}``, shape
``(len, 4)``: the ISM change matrix, or for gradients the attribution on the base present (× one-hot),
columns A, C, G, T); logos of the importance on the bases present (logomaker) for the first
sequences; with ``motifs=True`` also ``motifs.tsv`` and motif logos (:mod:`dnalm.interpret.motifs`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from dnalm.io.outputs import Output, claims
from dnalm.io.sequence import BASES, one_hot
from dnalm.models.ref import ModelRef
from dnalm.plots import plot_logo
from dnalm.runtime.hardware import needs_gradients
from dnalm.runtime.progress import track
from dnalm.settings import check_count, plain_number
from dnalm.tokenizers.capabilities import capabilities

__all__ = ["METHODS", "describe", "gradient_attributions", "interpret_file", "saturation_mutagenesis"]

log = logging.getLogger(__name__)
METHODS = {
    "ism": "in-silico saturation mutagenesis",
    "ig": "integrated gradients",
    "deepliftshap": "DeepLIFT-SHAP",
    "gradxinput": "gradient × input",
}
GRADIENT_METHODS = ("ig", "deepliftshap", "gradxinput")


def _log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def _scale(model):
    """What a score difference is taken on: the log-odds of a class probability, or a regression model's value."""
    from dnalm.tasks import task_of

    return (lambda v: v) if task_of(model).name == "regression" else _log_odds


def saturation_mutagenesis(
    model,
    tokenizer,
    sequences: list[str],
    *,
    positive: int | None = None,
    batch_size: int = 256,
    reverse_complement_average: bool = False,
) -> list[np.ndarray]:
    """``(len(seq), 4)`` arrays of log-odds changes, one per sequence (columns A, C, G, T); of a regression model,
    changes of its predicted value. ``positive``: the output explained (default: the rule of
    :func:`dnalm.apply.target.scored_target`).

    Positions holding N or another ambiguity code get 0 for every base (nothing to mutate from). A sequence
    longer than the model's window is scored as :func:`dnalm.apply.predict.iter_scores` scores it (the mean over
    half-overlapping windows); a mutant differs from it only in the windows that hold the mutated base, so
    only those are scored again (a 200-kb record: 3 x 2 windows per base, not 3 x 5,000).
    """
    from bisect import bisect_left, bisect_right

    from dnalm.apply.predict import iter_scores
    from dnalm.io.sequence import normalize
    from dnalm.models.windows import (
        check_model_and_tokenizer,
        check_sequence_list,
        default_stride,
        window_size,
        window_starts,
    )

    check_model_and_tokenizer(model, tokenizer)
    check_sequence_list(sequences)
    positive = _output_index(model, positive)

    seqs = [normalize(s, record=i) for i, s in enumerate(sequences)]
    _, size = window_size(model, tokenizer, None)
    stride = default_stride(size)  # iter_scores' default: the windows a sequence's score is the mean over
    starts = [window_starts(len(seq), size, stride, both_strands=reverse_complement_average is True) for seq in seqs]

    def holding(k: int, i: int) -> range:
        """The indexes of sequence ``k``'s windows that hold base ``i``."""
        return range(bisect_right(starts[k], i - size), bisect_left(starts[k], i + 1))

    def windows() -> Iterator[str]:
        for k, seq in enumerate(seqs):
            yield from (seq[s : s + size] for s in starts[k])
            for i, ref in enumerate(seq):
                if ref in BASES:
                    for b in BASES:
                        if b != ref:
                            mutant = seq[:i] + b + seq[i + 1 :]
                            yield from (mutant[starts[k][w] : starts[k][w] + size] for w in holding(k, i))

    scores = (
        s[0][positive]
        for s in iter_scores(
            model,
            tokenizer,
            _counted(windows(), seqs, starts, holding),
            batch_size=batch_size,
            reverse_complement_average=reverse_complement_average,
        )
    )
    out, scale = [], _scale(model)
    for k, seq in enumerate(seqs):
        ref_windows = np.array([next(scores) for _ in starts[k]])
        total = ref_windows.sum()
        base = scale(np.array(total / len(ref_windows)))
        ism = np.zeros((len(seq), 4))
        for i, ref in enumerate(seq):
            if ref in BASES:
                held = holding(k, i)
                for j, b in enumerate(BASES):
                    if b != ref:
                        changed = sum(next(scores) for _ in held)
                        p = (total - ref_windows[held.start : held.stop].sum()) + changed
                        ism[i, j] = scale(np.array(p / len(ref_windows))) - base
        out.append(ism)
    return out


def _output_index(model, positive: int | None) -> int:
    """The output explained: ``positive``, checked against the model's outputs, or the default rule of
    :func:`dnalm.apply.target.scored_target`."""
    from dnalm.apply.target import scored_target

    n = model.config.num_labels
    if positive is None:  # a message names this function's argument, not the command's --target
        return scored_target(model, choose=f"positive=INDEX (0 to {n - 1}, in id2label's order)").index
    if isinstance(positive, bool) or not isinstance(positive, int | np.integer) or not 0 <= positive < n:
        raise ValueError(
            f"positive must be the index of one of the model's {n} outputs (0 to {n - 1}); got {positive!r}"
        )
    return int(positive)


def _counted(windows: Iterator[str], seqs: list[str], starts: list[list[int]], holding) -> Iterator[str]:
    """``windows`` with a progress bar over all of them (a long record makes many)."""
    total = sum(
        len(st) + sum(3 * len(holding(k, i)) for i, ref in enumerate(seq) if ref in BASES)
        for k, (seq, st) in enumerate(zip(seqs, starts))
    )
    return track(windows, "mutants", total=total, unit="windows") if total > 10_000 else windows


def importance(ism: np.ndarray) -> np.ndarray:
    """Per position: minus the mean log-odds change of its three mutants (``ism``: one sequence's ``(len, 4)``
    array from :func:`saturation_mutagenesis`)."""
    ism = np.asarray(ism, dtype=float)
    if ism.ndim != 2 or ism.shape[1] != 4:
        raise ValueError(f"importance takes one sequence's (length, 4) mutagenesis array; got shape {ism.shape}")
    return -ism.sum(axis=1) / 3


def _lookup_mode(input_ids, replace=None):
    """A torch function mode that watches a forward pass for the op reading ``input_ids`` into
    vectors (``F.embedding(ids, weight)`` or ``table[ids]``) and records its output in ``.output``,
    or hands back ``replace`` in its place (the vectors gradients are taken with respect to): at every such read,
    so a model that reads the tokens more than once (an ensemble's members, each its own) takes the same vectors."""
    import torch
    from torch.overrides import TorchFunctionMode

    def same(t) -> bool:
        return (
            isinstance(t, torch.Tensor)
            and t.dtype == input_ids.dtype
            and t.shape == input_ids.shape
            and t.data_ptr() == input_ids.data_ptr()
        )

    class Lookup(TorchFunctionMode):
        output = None

        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            if (func is torch.nn.functional.embedding and same(args[0])) or (
                func is torch.Tensor.__getitem__ and len(args) > 1 and same(args[1])
            ):
                if replace is not None:
                    if replace.shape != out.shape:
                        raise ValueError(f"token vectors have shape {tuple(out.shape)}; got {tuple(replace.shape)}")
                    out = replace.to(out.dtype)
                if self.output is None:
                    self.output = out
            return out

    return Lookup()


def _token_spans(tokenizer, piece: str, ids: list[int]) -> list[tuple[int, int] | None]:
    """Bases ``[start, end)`` of ``piece`` each token of its encoding ``ids`` covers; None for special tokens."""
    special = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id}
    caps = capabilities(tokenizer)
    if caps.overlap:  # overlapping k-mers: token j covers [j, j + k)
        k, body = caps.bases_per_token, [t not in special for t in ids]
        starts = np.cumsum(body) - 1
        return [(int(s), int(s) + k) if b else None for s, b in zip(starts, body)]
    if getattr(tokenizer, "is_fast", False):
        enc = tokenizer(piece, return_offsets_mapping=True, truncation=True, max_length=len(ids))
        if list(enc["input_ids"]) != list(ids):
            raise ValueError(f"{type(tokenizer).__name__}: offsets do not match the encoding of {piece[:20]}...")
        return [(a, b) if b > a and t not in special else None for (a, b), t in zip(enc["offset_mapping"], ids)]
    spans, pos = [], 0  # other tokenizers: walk the token strings ([UNK] is one base)
    for t, text in zip(ids, tokenizer.convert_ids_to_tokens(ids)):
        width = 1 if t == tokenizer.unk_token_id else len(text)
        spans.append(None if t in special else (pos, pos + width))
        pos += 0 if t in special else width
    if pos != len(piece):
        raise ValueError(
            f"{type(tokenizer).__name__}: token lengths add up to {pos} bases, not {len(piece)}; "
            "cannot map token attributions back to bases"
        )
    return spans


def _check_gradient_arguments(model, tokenizer, sequences, method, batch_size, n_steps, n_shuffles) -> None:
    """:func:`gradient_attributions`' arguments, each named where wrong (captum's own assertion otherwise)."""
    from dnalm.models.windows import check_batch_size, check_model_and_tokenizer, check_sequence_list

    check_model_and_tokenizer(model, tokenizer)
    check_sequence_list(sequences)
    check_batch_size(batch_size)
    check_count(n_steps, "n_steps (--n-steps)")
    if method == "deepliftshap" and check_count(n_shuffles, "n_shuffles (--shuffles)", minimum=0) < 1:
        raise ValueError(f"deepliftshap needs at least one shuffled reference; got n_shuffles={n_shuffles}")


@needs_gradients
def gradient_attributions(
    model,
    tokenizer,
    sequences: list[str],
    *,
    method: str = "ig",
    positive: int | None = None,
    n_steps: int = 50,
    batch_size: int = 64,
    reverse_complement_average: bool = False,
    device: str | None = None,
    n_shuffles: int = 20,
    seed: int = 0,
) -> list[np.ndarray]:
    """Per-base attribution to the positive-class log-odds (a regression model's value), ``(len(seq),)`` per
    sequence; ``positive`` as in :func:`saturation_mutagenesis`.

    ``method`` is ``ig`` (integrated gradients from the zero vector, ``n_steps`` steps),
    ``deepliftshap`` (DeepLIFT against ``n_shuffles`` dinucleotide shuffles of each window, averaged;
    shuffles drawn with ``seed``) or ``gradxinput``. Needs captum.
    """
    import torch

    from dnalm.io.sequence import normalize, reverse_complement
    from dnalm.models.windows import default_stride, inference, window_size, window_starts
    from dnalm.tasks import task_of

    attr_cls = _captum(method)
    _check_gradient_arguments(model, tokenizer, sequences, method, batch_size, n_steps, n_shuffles)
    n_steps, n_shuffles = plain_number(n_steps), plain_number(n_shuffles)  # checked: np.int64(8) is 8
    positive = _output_index(model, positive)
    rng = np.random.default_rng(check_count(seed, "seed", minimum=0))  # 8.0 failed in numpy; True was taken as 1
    seqs = [normalize(s, record=i) for i, s in enumerate(sequences)]
    max_tokens, size = window_size(model, tokenizer, None)
    pieces = []  # (sequence, start, reversed?, bases)
    for i, seq in enumerate(seqs):
        for s in window_starts(len(seq), size, default_stride(size), both_strands=reverse_complement_average is True):
            pieces.append((i, s, False, seq[s : s + size]))
            if reverse_complement_average:
                pieces.append((i, s, True, reverse_complement(seq[s : s + size])))
    total = [np.zeros(len(s)) for s in seqs]
    count = [np.zeros(len(s)) for s in seqs]
    log.info(
        "attributions (%s) of %d windows of up to %d bases from %d sequence(s), %d at a time",
        method,
        len(pieces),
        size,
        len(seqs),
        batch_size,
    )
    with inference(model, device) as (run, dev), torch.enable_grad():
        explainer = attr_cls(_log_odds_module(run, positive, task_of(model).exclusive))
        settings = {"method": method, "n_steps": n_steps, "batch_size": batch_size, "n_shuffles": n_shuffles}
        batches = range(0, len(pieces), batch_size)
        for b in track(batches, "attributions", unit="batches") if len(batches) > 1 else batches:
            batch = pieces[b : b + batch_size]
            enc = tokenizer(
                [p[3] for p in batch], padding=True, truncation=True, max_length=max_tokens, return_tensors="pt"
            )
            spans, per_token = _batch_attributions(
                run, dev, explainer, tokenizer, [p[3] for p in batch], enc, max_tokens, rng, settings
            )
            for (i, start, rev, bases), row, scores in zip(batch, spans, per_token):
                per_base = _to_bases(row, scores, len(bases))
                if rev:
                    per_base = per_base[::-1]
                total[i][start : start + len(bases)] += per_base
                count[i][start : start + len(bases)] += 1
    return [t / np.maximum(c, 1) for t, c in zip(total, count)]


def _batch_attributions(run, dev, explainer, tokenizer, texts, enc, max_tokens, rng, settings: dict):
    """One batch of windows ``texts`` (tokenized: ``enc``) -> the token spans of each and the attribution
    summed over each token's vector, ``(batch, tokens)``."""
    import torch

    method, n_shuffles = settings["method"], settings["n_shuffles"]
    ids, mask = enc["input_ids"].to(dev), enc["attention_mask"].to(dev)
    with torch.no_grad(), _lookup_mode(ids) as look:
        run(input_ids=ids, attention_mask=mask)
    if look.output is None:
        raise ValueError(
            f"{type(run).__name__}: no token lookup seen in the forward pass (an embedding "
            "of input_ids); gradient methods need one; use --method ism"
        )
    vectors = look.output.detach().float().requires_grad_()
    rows = [r[:m] for r, m in zip(enc["input_ids"].tolist(), mask.sum(1).tolist())]
    spans = [_token_spans(tokenizer, text, r) for text, r in zip(texts, rows)]
    keep = torch.ones(vectors.shape[:2], device=dev)  # special tokens and padding keep their vectors
    for j, row in enumerate(spans):
        keep[j, [t for t, span in enumerate(row) if span is not None]] = 0
    if method == "deepliftshap":  # the mean of DeepLIFT against each shuffled reference
        attr = 0
        with _rescale_rules(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*(hooks|non-linear|nonlinear).*")
            for _ in range(n_shuffles):
                ref_ids = _shuffled_ids(tokenizer, texts, ids, spans, rng, max_tokens)
                with torch.no_grad(), _lookup_mode(ref_ids) as ref:
                    run(input_ids=ref_ids, attention_mask=mask)
                attr = attr + explainer.attribute(
                    vectors, baselines=ref.output.detach().float(), additional_forward_args=(ids, mask)
                )
        attr = attr / n_shuffles
    else:
        kwargs = (
            {
                "baselines": vectors.detach() * keep.view(*keep.shape, *[1] * (vectors.dim() - 2)),
                "n_steps": settings["n_steps"],
                "internal_batch_size": settings["batch_size"],
            }
            if method == "ig"
            else {}
        )
        attr = explainer.attribute(vectors, additional_forward_args=(ids, mask), **kwargs)
    return spans, attr.sum(dim=tuple(range(2, attr.dim()))).detach().cpu().numpy().astype(np.float64)


def _to_bases(spans: list[tuple[int, int] | None], scores: np.ndarray, length: int) -> np.ndarray:
    """Token scores shared equally among the bases each token covers; special tokens dropped."""
    out = np.zeros(length)
    for span, value in zip(spans, scores):
        if span is not None:
            a, e = span[0], min(span[1], length)
            out[a:e] += value / max(e - a, 1)
    return out


def _captum(method: str):
    if method not in GRADIENT_METHODS:
        raise ValueError(f"gradient method must be one of {', '.join(GRADIENT_METHODS)}; got {method!r}")
    try:
        from captum.attr import DeepLift, InputXGradient, IntegratedGradients
    except ImportError as err:
        raise ImportError(f"--method {method} needs captum: pip install captum (or dnalm[interpret])") from err
    return {"ig": IntegratedGradients, "deepliftshap": DeepLift, "gradxinput": InputXGradient}[method]


def _log_odds_module(run, positive: int, exclusive: bool = True):
    """The positive class's log-odds from token vectors put in place of the model's lookup, as a module
    (DeepLIFT hooks the non-linear layers of the module it explains); ``exclusive=False`` (multi-label: a sigmoid
    per label; regression: the value): the output itself."""
    import torch

    class LogOdds(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.run = run

        def forward(self, vectors, input_ids, attention_mask):
            with _lookup_mode(input_ids, replace=vectors):
                logits = self.run(input_ids=input_ids, attention_mask=attention_mask).logits.float()
            if not exclusive:
                return logits[:, positive]
            others = torch.cat([logits[:, :positive], logits[:, positive + 1 :]], dim=1)
            return logits[:, positive] - torch.logsumexp(others, dim=1)  # two classes: the other's logit, exactly

    return LogOdds()


@contextmanager
def _rescale_rules():
    """DeepLIFT's Rescale rule (captum's, for element-wise non-linearities) also for GELU and SiLU layers
    (transformers' and torch's), which captum would otherwise pass through as plain gradients; undone after."""
    import torch
    from captum.attr._core import deep_lift

    extra = [torch.nn.GELU, torch.nn.SiLU]
    try:
        from transformers.activations import GELUActivation, SiLUActivation

        extra += [GELUActivation, SiLUActivation]
    except ImportError:
        pass
    added = [m for m in extra if m not in deep_lift.SUPPORTED_NON_LINEAR]
    deep_lift.SUPPORTED_NON_LINEAR.update(dict.fromkeys(added, deep_lift.nonlinear))
    try:
        yield
    finally:
        for m in added:
            deep_lift.SUPPORTED_NON_LINEAR.pop(m, None)


def _shuffled_ids(tokenizer, pieces: list[str], ids, spans, rng: np.random.Generator, max_tokens: int):
    """Token ids of one dinucleotide shuffle of each piece, shaped as ``ids`` (special tokens and padding
    where the piece has them). Where the shuffle tokenizes to another number of tokens (BPE), the piece's
    own sequence tokens are permuted instead, so the reference always lines up with the input."""
    import torch

    from dnalm.io.sequence import dinucleotide_shuffle

    out = ids.clone()
    for j, (piece, row) in enumerate(zip(pieces, spans)):
        body = [t for t, span in enumerate(row) if span is not None]
        enc = tokenizer(dinucleotide_shuffle(piece, rng), truncation=True, max_length=max_tokens)["input_ids"]
        if len(enc) == len(row):
            out[j, : len(enc)] = torch.tensor(enc, dtype=ids.dtype)
        elif body:
            out[j, body] = ids[j, body][torch.from_numpy(rng.permutation(len(body)))]
    return out


@claims(
    "interpret",
    lambda a: {
        "inputs": [a["model_path"], a["input_path"]],
        "outputs": [Output(a["output"], "interpretation", atomic=True)],
        "overwrite": a["overwrite"],
    },
)
@needs_gradients
def interpret_file(
    model_path: str | ModelRef,
    input_path: str | Path,
    output: str | Path,
    *,
    method: str = "ism",
    motifs: bool = False,
    limit: int = 100,
    logos: int = 10,
    batch_size: int = 256,
    n_steps: int = 50,
    n_shuffles: int = 20,
    seed: int = 0,
    trust_remote_code: bool = False,
    target: str | None = None,
    sequence_column: str | None = None,
    label_column: str | None = None,
    overwrite: bool = False,
) -> dict:
    """Attributions for the first ``limit`` sequences of a FASTA/CSV/TSV file into the folder ``output``;
    with ``motifs``, seqlets clustered into motifs and matched to JASPAR (:func:`dnalm.interpret.motifs.find_motifs`).
    What is explained is the log-odds of ``target`` (default: :func:`dnalm.apply.target.target_class`), or a
    regression model's value; the class is written into ``attributions.npz`` (``target``), the logos' titles and
    ``motifs.tsv``."""
    from dnalm.apply.evaluate import strand_average_default
    from dnalm.apply.lengths import ShortInputs
    from dnalm.apply.target import scored_target
    from dnalm.interpret.settings import InterpretSettings
    from dnalm.models.build import load_model
    from dnalm.settings import checked

    s = checked(InterpretSettings, **locals())  # the values as checked: 8.0 is 8
    limit, logos, n_steps, n_shuffles, seed, batch_size, target = (
        s.limit,
        s.logos,
        s.n_steps,
        s.n_shuffles,
        s.seed,
        s.batch_size,
        s.target,
    )
    columns = {"sequence_column": sequence_column, "label_column": label_column}
    ref = ModelRef.resolve(model_path, trust_remote_code)
    if method != "ism":
        _captum(method)  # fail before loading anything
    if motifs:
        from dnalm.interpret.motifs import require_pyjaspar

        require_pyjaspar()
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise ValueError(f"output {output} is a file; give a folder")
    records = _first_records(input_path, limit, columns)
    model, tok = load_model(ref)
    try:
        scored = scored_target(model, target)
    except ValueError as err:
        raise ValueError(f"{ref}: interpret explains one class or value: {err}") from None
    positive, label = scored.index, scored.label
    output.mkdir(parents=True, exist_ok=True)
    seqs = [r.sequence for r in records]
    short = ShortInputs(model, tok)
    for s in seqs:
        short.add(len(s))
    short.warn()
    _say_unknown_bases(records, method)
    settings = {"n_steps": n_steps, "n_shuffles": n_shuffles, "seed": seed, "batch_size": batch_size}
    imp, per_method = _attribute(model, tok, seqs, method, positive, strand_average_default(model, None), settings)
    result = _write_attributions(records, imp, per_method, method, scored, output, logos)
    if motifs:
        from dnalm.interpret.motifs import find_motifs

        contribs = [a[:, None] * one_hot(s) for a, s in zip(imp, seqs)]
        result["motifs"] = find_motifs(seqs, contribs, output, target=scored.name)
    return result


def _first_records(input_path, limit: int, columns: dict | None = None) -> list:
    """The first ``limit`` records of a sequence file (the cut is logged; repeated ids are said)."""
    from dnalm.io import read_sequences
    from dnalm.io.base import RepeatedIds

    records, ids = [], RepeatedIds()
    reader = read_sequences(input_path, **(columns or {}))
    for rec in reader:
        if len(records) == limit:  # the rest is read to be counted: what is left out is said with its number
            rest = 1 + sum(1 for _ in reader)
            log.warning(
                "interpreting the first %d of %d sequences of %s (--limit): %d left out",
                limit,
                limit + rest,
                input_path,
                rest,
            )
            break
        records.append(rec)
        ids.see(rec)
    ids.say()
    if not records:
        raise ValueError(f"{input_path}: no sequence to interpret")
    return records


def _say_unknown_bases(records, method: str) -> None:
    """Bases that are N or another ambiguity code have no base to mutate from (ISM) nor a one-hot (the gradient
    methods' per-base matrices): their rows are 0, which reads as "no effect". Said with their number, and a record
    with no A/C/G/T base at all is named."""
    from dnalm.io.sequence import NOT_ACGT

    unknown = [len(r.sequence.translate(NOT_ACGT)) for r in records]
    if not any(unknown):
        return
    log.warning(
        "%s of %s sequence(s) hold N or other ambiguity codes (%s bases): their rows in the %s matrices are 0 "
        "(%s), which is not a measured effect",
        f"{sum(map(bool, unknown)):,}",
        f"{len(records):,}",
        f"{sum(unknown):,}",
        method,
        "no base to mutate from" if method == "ism" else "no one-hot base to share an attribution with",
    )
    if blank := [r.id for r, n in zip(records, unknown) if n == len(r.sequence)]:
        log.warning(
            "%d sequence(s) hold no A/C/G/T base (the first: %r): their attributions are all 0", len(blank), blank[0]
        )


def _attribute(model, tok, seqs, method: str, positive: int, strands: bool, settings: dict):
    """Per-base importance and the per-method ``(len, 4)`` matrices of ``seqs``."""
    if method == "ism":
        per_method = saturation_mutagenesis(
            model, tok, seqs, positive=positive, batch_size=settings["batch_size"], reverse_complement_average=strands
        )
        return [importance(a) for a in per_method], per_method
    imp = gradient_attributions(
        model, tok, seqs, method=method, positive=positive, reverse_complement_average=strands, **settings
    )
    return imp, [a[:, None] * one_hot(s) for a, s in zip(imp, seqs)]


def _write_attributions(records, imp, per_method, method: str, scored, output: Path, logos: int) -> dict:
    """``attributions.npz`` (with the explained class as ``target``) and the first ``logos`` logos."""
    label = scored.label
    from dnalm.io.files import atomic_open

    seqs = [r.sequence for r in records]
    with atomic_open(output / "attributions.npz", "wb") as fh:
        np.savez_compressed(
            fh,
            ids=np.array([r.id for r in records]),
            sequences=np.array(seqs),
            method=np.array(method),
            target=np.array(label),
            **{f"{method}_{i}": a for i, a in enumerate(per_method)},
            **{f"importance_{i}": a for i, a in enumerate(imp)},
        )
    drawn = [
        plot_logo(
            a[:, None] * one_hot(rec.sequence),
            output / f"logo_{i}.png",
            f"{rec.id}: {METHODS[method]}: importance for {scored.name}"
            + (" (log-odds)" if scored.probability else ""),
        )
        for i, (rec, a) in enumerate(zip(records[:logos], imp[:logos]))
    ]
    return {
        "n_sequences": len(records),
        "method": method,
        "positive_label": label,
        "target": label,
        "score": scored.difference,
        "logos": drawn,
        "attributions": str(output / "attributions.npz"),
    }


def describe(r: dict, output: str | Path) -> str:
    """What ``dnalm interpret`` prints: what was explained, the files, and each motif's best JASPAR match."""
    text = (
        f"interpreted {r['n_sequences']} sequence(s) by {r['method']} for {r.get('score') or 'P(' + r['target'] + ')'}: "
        f"{r['attributions']} and "
        f"{len(r['logos'])} logo(s) in {output}"
    )
    if "motifs" in r:
        text += f"\n{len(r['motifs'])} motif(s) in {output}/motifs.tsv" + "".join(
            f"\n  {m['motif']}: {m['consensus']} ({m['n_seqlets']} seqlets), best JASPAR match "
            f"{m['best_match_id']} {m['best_match_name']} (q={m['qvalue']})"
            for m in r["motifs"]
        )
    return text
