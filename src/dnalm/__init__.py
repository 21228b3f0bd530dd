"""dnalm: DNA language models with DNABERT-exact tokenizers, fine-tuning, pretraining and honest evaluation.

Importing dnalm is cheap: torch and transformers load only when a model or trainer is used. When
transformers loads, dnalm's architectures and the ``dna-classification`` pipeline are registered with
it (:mod:`dnalm.registration`).
"""

from __future__ import annotations

from dnalm._version import __version__ as __version__
from dnalm.io import DataFormatError, Record, read_sequences
from dnalm.io.sequence import SequenceError, normalize, reverse_complement
from dnalm.lm.masking import KmerMaskingCollator
from dnalm.models.shipped import pretrained_path, shipped_models
from dnalm.registration import install as _install_registration
from dnalm.tokenizers.dna import BaseTokenizer, KmerTokenizer, NonOverlappingKmerTokenizer, load_tokenizer

_install_registration()

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
