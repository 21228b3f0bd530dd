"""What a tokenizer can do, asked of the tokenizer instead of compared against its ``kind``.

dnalm's own tokenizers (:mod:`dnalm.tokenizers.dna`) state their capabilities as properties; any other
(BPE, a hub model's) is cut into tokens of varying length that no base offset can be read off.

>>> from dnalm.tokenizers.dna import BaseTokenizer, KmerTokenizer, NonOverlappingKmerTokenizer
>>> capabilities(KmerTokenizer(k=6))
Capabilities(per_base=True, bases_per_token=6, overlap=5, needs_span_masking=True)
>>> capabilities(BaseTokenizer()).per_base, capabilities(NonOverlappingKmerTokenizer(k=3)).per_base
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Capabilities", "capabilities"]


@dataclass(frozen=True)
class Capabilities:
    """What callers may rely on.

    Args:
        per_base: each base sits at a known offset of known tokens (per-base fill-mask, per-base labels,
            zero-shot variant scores, per-base masked evaluation).
        bases_per_token: bases an A/C/G/T token spans (k, or 1); None when tokens vary in length (BPE).
        overlap: bases neighbouring tokens share (k - 1 for overlapping k-mers).
        needs_span_masking: masking a token alone leaks it through its neighbours; mask spans.
    """

    per_base: bool
    bases_per_token: int | None
    overlap: int
    needs_span_masking: bool


def capabilities(tokenizer) -> Capabilities:
    """The capabilities of ``tokenizer``: a dnalm tokenizer's own properties; for any other tokenizer
    (BPE, Hugging Face) tokens of varying length, no overlap."""
    if hasattr(tokenizer, "per_base") and hasattr(tokenizer, "needs_span_masking"):
        return Capabilities(
            tokenizer.per_base, tokenizer.bases_per_token, tokenizer.overlap, tokenizer.needs_span_masking
        )
    return Capabilities(per_base=False, bases_per_token=None, overlap=0, needs_span_masking=False)
