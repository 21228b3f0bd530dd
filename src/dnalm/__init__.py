"""dnalm: DNA language models with DNABERT-exact tokenizers, fine-tuning, pretraining and honest evaluation.

Importing dnalm is cheap: torch and transformers load only when a model or trainer is used.
"""

from __future__ import annotations

from dnalm.io import DataFormatError, Record, read_sequences
from dnalm.masking import KmerMaskingCollator
from dnalm.sequence import SequenceError, normalize, reverse_complement
from dnalm.shipped import pretrained_path, shipped_models
from dnalm.tokenization import BaseTokenizer, KmerTokenizer, NonOverlappingKmerTokenizer, load_tokenizer

__version__ = "0.1.0"

__all__ = [
    "BaseTokenizer",
    "DataFormatError",
    "KmerMaskingCollator",
    "KmerTokenizer",
    "NonOverlappingKmerTokenizer",
    "Record",
    "SequenceError",
    "load_tokenizer",
    "normalize",
    "pretrained_path",
    "read_sequences",
    "reverse_complement",
    "shipped_models",
]
