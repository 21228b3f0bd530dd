"""DNA tokenizers that take raw sequence: overlapping k-mer (DNABERT-exact), non-overlapping k-mer,
single base (:mod:`~dnalm.tokenizers.dna`) and BPE trained on genomes (:mod:`~dnalm.tokenizers.bpe`)."""

from __future__ import annotations

from dnalm.tokenizers.capabilities import Capabilities, capabilities
from dnalm.tokenizers.dna import (
    BaseTokenizer,
    DnaTokenizer,
    KmerTokenizer,
    NonOverlappingKmerTokenizer,
    kmer_vocab,
    load_tokenizer,
    tokenizer_by_name,
    tokenizer_report,
)

__all__ = [
    "BaseTokenizer",
    "Capabilities",
    "DnaTokenizer",
    "KmerTokenizer",
    "NonOverlappingKmerTokenizer",
    "capabilities",
    "kmer_vocab",
    "load_tokenizer",
    "tokenizer_by_name",
    "tokenizer_report",
]
