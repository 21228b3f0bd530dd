"""Per-base evaluation of a masked DNA language model beside count-based references.

A masked k-mer token says little on its own: with leak-free masking each masked base hides every
k-mer that covers it, and the model's answer for that base is the probability its predicted
k-mer distributions give to each base at that base's offset (averaged over the covering tokens,
as ``dnalm fill-mask`` does). So the language model is scored *per base*: masked-base accuracy
and bits per base (−log2 P(true base)), on held-out bases, next to the uniform model (2 bits), a
Markov chain and a two-sided count model scored on exactly the same bases
(``dnalm.lm.baselines``).

Masked bases are ``spacing`` apart (at least 2k, so no masked base is visible in the tokens of
another), with a phase that moves from sequence to sequence so every offset is sampled.
"""

from __future__ import annotations

import os

import numpy as np

from dnalm.lm.baselines import ContextCounts, MarkovChain, encode_bases, select_order
from dnalm.models.windows import check_masked_lm
from dnalm.settings import check_count, plain_number
from dnalm.tokenizers.capabilities import capabilities

__all__ = ["describe", "fit_references", "lm_metrics", "masked_base_probabilities", "masked_token_scores", "verdict"]


def _base_letters(tokenizer, k: int) -> np.ndarray:
    """(vocab, k) codes 0..3 of each k-mer token's bases; -1 for special or non-ACGT tokens."""
    vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    out = np.full((len(vocab), k), -1, dtype=np.int64)
    for i, t in enumerate(vocab):
        if len(t) == k and set(t) <= set("ACGT"):
            out[i] = ["ACGT".index(c) for c in t]
    return out


def masked_base_probabilities(
    model,
    tokenizer,
    sequences: list[str],
    *,
    spacing: int | None = None,
    batch_size: int = 32,
    device: str | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each sequence: (positions of the masked A/C/G/T bases, their (n, 4) predicted A/C/G/T
    probabilities). Works for overlapping k-mer and single-base tokenizers.

    The model's device and training mode are restored afterwards.
    """
    import torch

    _check_scoring_arguments(model, tokenizer, sequences, batch_size, "masked_base_probabilities")
    if not capabilities(tokenizer).per_base:
        raise ValueError(
            "per-base masked evaluation needs an overlapping k-mer or single-base tokenizer; "
            f"got {type(tokenizer).__name__} (masked_token_scores scores the others)"
        )
    k = tokenizer.overlap + 1
    spacing = max(2 * k, 8) if spacing is None else check_count(spacing, "spacing")  # 0 became the default
    letters = torch.as_tensor(_base_letters(tokenizer, k))
    onehot = torch.zeros(letters.shape[0], k, 4)
    valid = letters >= 0
    onehot[valid.nonzero(as_tuple=True) + (letters[valid],)] = 1.0
    was_training, old_device = model.training, next(model.parameters()).device
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device).eval()
    results: list[tuple[np.ndarray, np.ndarray]] = [None] * len(sequences)  # type: ignore[list-item]
    try:
        for start in range(0, len(sequences), batch_size):
            chunk = sequences[start : start + batch_size]
            enc = tokenizer(chunk, padding=True, return_tensors="pt")
            ids = enc["input_ids"].clone()
            plans = []
            for row, seq in enumerate(chunk):
                codes = encode_bases(seq)
                n_tokens = len(seq) - k + 1
                phase = (start + row) % spacing
                bases = [b for b in range(phase, len(seq), spacing) if codes[b] < 4 and n_tokens > 0]
                cover = [list(range(max(0, b - k + 1), min(b, n_tokens - 1) + 1)) for b in bases]
                for tokens in cover:
                    ids[row, [1 + j for j in tokens]] = tokenizer.mask_token_id
                plans.append((np.asarray(bases, dtype=np.int64), cover))
            with torch.inference_mode():
                logits = model(input_ids=ids.to(device), attention_mask=enc["attention_mask"].to(device)).logits
                probs = torch.softmax(logits.float(), dim=-1).cpu()
            for row, (bases, cover) in enumerate(plans):
                out = np.zeros((len(bases), 4))
                for n, (b, tokens) in enumerate(zip(bases, cover)):
                    p = probs[row, [1 + j for j in tokens]]  # (covering tokens, vocab)
                    offsets = torch.as_tensor([b - j for j in tokens])
                    per_base = torch.einsum("tv,tvc->tc", p, onehot[:, offsets].transpose(0, 1))
                    per_base = per_base / per_base.sum(-1, keepdim=True).clamp(min=1e-12)
                    out[n] = per_base.mean(0).numpy()
                results[start + row] = (bases, out)
    finally:
        model.to(old_device).train(was_training)
    return results


def fit_references(
    train_sequences: list[str], *, max_markov_order: int = 10, max_context: int = 5, alpha: float = 0.5
) -> tuple[MarkovChain, ContextCounts]:
    """The Markov chain and the two-sided count model, their context sizes chosen on the training
    sequences (fitted on the first 90%, scored on the rest), then refitted on all of them."""
    order, _ = select_order(MarkovChain, train_sequences, max_markov_order, alpha)
    k, _ = select_order(ContextCounts, train_sequences, max_context, alpha)
    return MarkovChain(order, alpha).fit(train_sequences), ContextCounts(k, alpha).fit(train_sequences)


def masked_token_scores(
    model, tokenizer, sequences: list[str], *, spacing: int = 4, batch_size: int = 32, device: str | None = None
) -> list[list[tuple[int, int, float, bool]]]:
    """For tokenizers whose tokens are not single bases or overlapping k-mers (BPE, non-overlapping
    k-mers): mask every ``spacing``-th token (its neighbours stay visible) and return, per sequence,
    ``(start, end, bits, hit)`` for each masked token: its bases ``seq[start:end]``, −log2 of the
    probability the model gives the true token, and whether the model's top token is the true one.
    The model's device and training mode are restored afterwards."""
    import torch

    _check_scoring_arguments(model, tokenizer, sequences, batch_size, "masked_token_scores")
    check_count(spacing, "spacing")
    if capabilities(tokenizer).per_base:  # its tokens overlap or are single bases: no token is a span of its own
        raise ValueError(
            f"masked_token_scores is for tokenizers whose tokens do not overlap (BPE, non-overlapping k-mers); "
            f"{type(tokenizer).__name__} is scored per base by masked_base_probabilities"
        )
    was_training, old_device = model.training, next(model.parameters()).device
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device).eval()
    special = set(tokenizer.all_special_ids)
    out: list[list[tuple[int, int, float, bool]]] = []
    try:
        for start in range(0, len(sequences), batch_size):
            chunk = sequences[start : start + batch_size]
            enc = tokenizer(chunk, padding=True, return_offsets_mapping=True, return_tensors="pt")
            ids, offsets = enc["input_ids"].clone(), enc["offset_mapping"]
            masked = torch.zeros_like(ids, dtype=torch.bool)
            for row in range(len(chunk)):
                real = [j for j in range(ids.shape[1]) if int(enc["input_ids"][row, j]) not in special]
                phase = (start + row) % spacing
                for j in real[phase::spacing]:
                    masked[row, j] = True
            truth = enc["input_ids"]
            ids[masked] = tokenizer.mask_token_id
            with torch.inference_mode():
                logits = model(input_ids=ids.to(device), attention_mask=enc["attention_mask"].to(device)).logits
                logp = torch.log_softmax(logits.float(), dim=-1).cpu()
            for row in range(len(chunk)):
                spans = []
                for j in masked[row].nonzero().flatten().tolist():
                    a, b = (int(x) for x in offsets[row, j])
                    true_id = int(truth[row, j])
                    spans.append(
                        (a, b, float(-logp[row, j, true_id] / np.log(2)), bool(logp[row, j].argmax() == true_id))
                    )
                out.append(spans)
    finally:
        model.to(old_device).train(was_training)
    return out


def _token_level_metrics(model, tokenizer, heldout_sequences, markov, batch_size: int) -> dict:
    """Per-base figures for a tokenizer scored per token: the masked token's bits spread over its bases;
    the Markov chain scores the same bases given its left context (−log2 of the chain's probability of
    the whole span, a fair joint prediction); a two-sided count model has no span version."""
    scored = masked_token_scores(model, tokenizer, heldout_sequences, batch_size=batch_size)
    bits = markov_bits = hit_bases = n_bases = skipped = 0
    for seq, spans in zip(heldout_sequences, scored):
        positions, log2p = markov.log2_probabilities(seq)
        per_base = np.full(len(seq), np.nan)
        per_base[positions] = -log2p
        for a, b, token_bits, hit in spans:
            span = per_base[a:b]
            if b <= a or np.isnan(span).any():  # an N in the token: the references cannot score it
                skipped += 1
                continue
            bits += token_bits
            markov_bits += float(span.sum())
            n_bases += b - a
            hit_bases += (b - a) * hit
    if not n_bases:
        raise ValueError("no held-out token of A/C/G/T bases was scored")
    return {
        "masked_base_accuracy": hit_bases / n_bases,
        "bits_per_base": bits / n_bases,
        "markov_bits_per_base": markov_bits / n_bases,
        "markov_order": markov.k,
        "context_count_bits_per_base": None,
        "context_count_k": None,
        "uniform_bits_per_base": 2.0,
        "n_bases": int(n_bases),
        "tokens_skipped": skipped,
        "scoring": "per masked token, its bits divided by its bases; accuracy: bases of tokens predicted exactly",
    }


def _sequence_list(value, name: str) -> None:
    if isinstance(value, str) or not isinstance(value, list | tuple) or not all(isinstance(s, str) for s in value):
        shown = "one string" if isinstance(value, str) else type(value).__name__
        raise TypeError(f"{name} must be a list of sequences (str); got {shown}")


def _check_scoring_arguments(model, tokenizer, sequences, batch_size, what: str, name: str = "sequences") -> None:
    """A masked LM with its own tokenizer, a list of sequences and a batch size, each named where wrong (a
    classifier failed in torch's einsum, batch size 0 in range(), one string was scored letter by letter)."""
    if isinstance(model, str | os.PathLike):  # a folder's path: load it first
        raise TypeError(f"model must be a loaded masked LM (dnalm.lm.inference.load_masked_lm(FOLDER)); got {model!r}")
    check_masked_lm(model, tokenizer, what)
    _sequence_list(sequences, name)
    check_count(batch_size, "batch_size")


def _check_lm_arguments(model, tokenizer, train_sequences, heldout_sequences, references, batch_size, alpha) -> None:
    """The Python API's arguments, each named where wrong (they failed deep inside numpy, torch or the baselines)."""
    _check_scoring_arguments(
        model, tokenizer, heldout_sequences, batch_size, "held-out bits per base", "heldout_sequences"
    )
    if references is None:
        if train_sequences is None:
            raise ValueError("train_sequences are needed to fit the references (or give references=)")
        _sequence_list(train_sequences, "train_sequences")
    alpha = plain_number(alpha)  # np.float32(0.5) was refused as no number
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < float("inf"):
        raise ValueError(f"alpha (the references' pseudo-count) must be a number > 0; got {alpha!r}")


def lm_metrics(
    model,
    tokenizer,
    train_sequences: list[str] | None,
    heldout_sequences: list[str],
    *,
    spacing: int | None = None,
    batch_size: int = 32,
    max_markov_order: int = 10,
    max_context: int = 5,
    alpha: float = 0.5,
    references: tuple[MarkovChain, ContextCounts] | None = None,
) -> dict:
    """Masked-base accuracy and bits per base of ``model`` on held-out sequences, with the uniform,
    Markov-chain and two-sided count references on the same bases (context sizes chosen on the
    training sequences; or ``references`` from :func:`fit_references`), and a verdict on which
    references the model beats."""
    _check_lm_arguments(model, tokenizer, train_sequences, heldout_sequences, references, batch_size, alpha)
    if references is None:
        references = fit_references(
            train_sequences, max_markov_order=max_markov_order, max_context=max_context, alpha=alpha
        )
    markov, context = references
    if not capabilities(tokenizer).per_base:
        out = _token_level_metrics(model, tokenizer, heldout_sequences, markov, batch_size)
        out["beats_markov"] = out["bits_per_base"] < out["markov_bits_per_base"]
        out["beats_context_count"] = None
        out["verdict"] = verdict(out)
        return out
    scored = masked_base_probabilities(model, tokenizer, heldout_sequences, spacing=spacing, batch_size=batch_size)
    bits, hits, markov_bits, context_bits = [], [], [], []
    for seq, (bases, probs) in zip(heldout_sequences, scored):
        if not len(bases):
            continue
        truth = encode_bases(seq)[bases]
        p_true = probs[np.arange(len(bases)), truth]
        bits.append(-np.log2(np.clip(p_true, 1e-12, 1.0)))
        hits.append(probs.argmax(1) == truth)
        for model_, sink in ((markov, markov_bits), (context, context_bits)):
            positions, log2p = model_.log2_probabilities(seq)
            sink.append(-log2p[np.searchsorted(positions, bases)])
    if not bits:
        raise ValueError("no held-out A/C/G/T base was scored")
    out = {
        "masked_base_accuracy": float(np.concatenate(hits).mean()),
        "bits_per_base": float(np.concatenate(bits).mean()),
        "markov_bits_per_base": float(np.concatenate(markov_bits).mean()),
        "markov_order": markov.k,
        "context_count_bits_per_base": float(np.concatenate(context_bits).mean()),
        "context_count_k": context.k,
        "uniform_bits_per_base": 2.0,
        "n_bases": int(sum(len(b) for b in bits)),
    }
    bits = np.concatenate(bits)
    out["beats_uniform"] = clearly_below(bits, np.full_like(bits, 2.0))
    out["beats_markov"] = clearly_below(bits, np.concatenate(markov_bits))
    out["beats_context_count"] = clearly_below(bits, np.concatenate(context_bits))
    out["verdict"] = verdict(out)
    return out


def clearly_below(bits: np.ndarray, reference: np.ndarray) -> bool:
    """The model's bits on these bases are below the reference's on the same bases by more than twice the standard
    error of the per-base difference (a paired comparison): 1.9992 against 1.9998 bits on 161 bases is no win.

    >>> rng = np.random.default_rng(0)
    >>> ref = rng.uniform(1.5, 2.5, 10_000)
    >>> clearly_below(ref - 0.05, ref), clearly_below(ref - 0.0001 + rng.normal(0, 0.5, 10_000), ref)
    (True, False)
    """
    diff = np.asarray(bits, dtype=np.float64) - np.asarray(reference, dtype=np.float64)
    if len(diff) < 2:
        return False
    return bool(diff.mean() < -2 * diff.std(ddof=1) / np.sqrt(len(diff)))


def verdict(lm: dict) -> str:
    """Which references the model beats (by more than the noise of the comparison, :func:`clearly_below`), in
    words; a model worse than the uniform baseline (more than 2 bits per base) is called so whatever the other
    references score, and one no better than it has learned nothing.

    >>> verdict({"bits_per_base": 2.3, "markov_bits_per_base": 2.5, "beats_markov": True,
    ...          "beats_context_count": True, "uniform_bits_per_base": 2.0})
    'is worse than the uniform baseline (2.3000 > 2 bits per base): it has learned nothing useful'
    """
    if lm["bits_per_base"] > lm.get("uniform_bits_per_base", 2.0):
        return (
            f"is worse than the uniform baseline ({lm['bits_per_base']:.4f} > 2 bits per base)"
            + ("" if lm["beats_markov"] else " and does not beat the Markov chain")
            + ": it has learned nothing useful"
        )
    if lm.get("beats_uniform") is False:
        return "is no better than the uniform baseline (2 bits per base): it has learned nothing useful"
    if not lm["beats_markov"]:
        return "does not beat the Markov chain: it has learned nothing useful"
    if lm.get("beats_context_count") is None:
        return "beats the Markov chain (no two-sided count reference exists for whole tokens)"
    if lm["beats_context_count"]:
        return "beats the two-sided count model: it uses more than short context"
    return "beats the Markov chain but not the two-sided count model: no more than short context"


def describe(lm: dict) -> str:
    """One line for people: the model's per-base figures beside the references, then the verdict."""
    context = (
        f", two-sided counts (k={lm['context_count_k']}) {lm['context_count_bits_per_base']:.4f}"
        if lm.get("context_count_bits_per_base") is not None
        else ""
    )
    return (
        f"held-out, per base ({lm['n_bases']:,} masked bases): accuracy {lm['masked_base_accuracy']:.4f}; "
        f"bits per base {lm['bits_per_base']:.4f} vs Markov chain (order {lm['markov_order']}) "
        f"{lm['markov_bits_per_base']:.4f}{context}, uniform 2.0000 -> the model {lm['verdict']}"
    )
