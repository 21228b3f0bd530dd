"""What ``dnalm tokenizer`` builds: a tokenizer folder from settings (its ``check`` report is :mod:`dnalm.audit`'s).

>>> KmerSettings(k=0)
Traceback (most recent call last):
...
ValueError: k (--k) must be in [1, 12]; got 0
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from dnalm.io.base import check_each_once
from dnalm.io.outputs import Output, claims
from dnalm.settings import check_fields, setting, settings_from
from dnalm.tokenizers.bpe import SMALLEST_VOCABULARY

log = logging.getLogger(__name__)

__all__ = [
    "BpeSettings",
    "KmerSettings",
    "learns_vocabulary",
    "new_tokenizer",
    "save_tokenizer",
    "train_bpe_folder",
]


@dataclass
class KmerSettings:
    """A k-mer or single-base tokenizer (``dnalm tokenizer kmer|nonoverlap|base``)."""

    k: int = setting(6, "k-mer length (DNABERT: 3-6).", ge=1, le=12)
    max_length: int = setting(512, "model_max_length in tokens (with [CLS] and [SEP]).", ge=3, le=10_000_000)

    def __post_init__(self):
        check_fields(self)


@dataclass
class BpeSettings:
    """A BPE vocabulary trained on DNA (``dnalm tokenizer bpe``; TinyDNABERT's defaults)."""

    vocab_size: int = setting(1024, "Vocabulary size, special tokens included.", ge=SMALLEST_VOCABULARY, le=1_000_000)
    min_frequency: int = setting(4, "Times a merge must be seen.", ge=1, le=1_000_000_000)
    segment_length: int = setting(
        1000, "Cut long records into pieces of this length (2 at least: a merge joins two).", ge=2, le=1_000_000_000
    )
    max_segments: int = setting(100_000, "Train on a random sample of this many pieces.", ge=1, le=1_000_000_000)
    max_length: int = setting(512, "model_max_length in tokens (with [CLS] and [SEP]).", ge=3, le=10_000_000)
    seed: int = setting(0, "Seed of the sample.", ge=0, lt=2**32)
    sequence_column: str | None = setting(None, "Column of a table holding the sequence.")

    def __post_init__(self):
        check_fields(self)


@claims(
    "tokenizer", lambda a: {"outputs": [Output(a["output"], "tokenizer", atomic=True)], "overwrite": a["overwrite"]}
)
def save_tokenizer(kind: str, output: str | Path, *, overwrite: bool = False, **settings) -> str:
    """Write a ``kmer``, ``nonoverlap`` or ``base`` tokenizer folder; returns what the command prints.
    ``overwrite``: write into a folder that holds other files (see :mod:`dnalm.io.outputs`)."""
    from dnalm.tokenizers.dna import BaseTokenizer, KmerTokenizer, NonOverlappingKmerTokenizer

    s = settings_from(KmerSettings, settings, "save_tokenizer")
    if kind == "base":
        tok = BaseTokenizer(model_max_length=s.max_length)
    else:
        cls = {"kmer": KmerTokenizer, "nonoverlap": NonOverlappingKmerTokenizer}[kind]
        if 4**s.k > LARGE_VOCABULARY:  # said before the minutes and the disk it takes (k 12: 16.8 M tokens, 0.7 GB)
            log.warning(
                "--k %d makes a vocabulary of %s tokens: the folder takes about %.0f MB and a model on it holds an "
                "embedding row per token (DNABERT uses k 3-6)",
                s.k,
                f"{4**s.k + 5:,}",
                4**s.k * _BYTES_PER_KMER / 1e6,
            )
        tok = cls(k=s.k, model_max_length=s.max_length)
    return _save(tok, output)


#: a k-mer vocabulary larger than this is said before it is written (k 10 and above: 1,048,581 tokens and more)
LARGE_VOCABULARY = 1_000_000
_BYTES_PER_KMER = 40  # vocab.txt and tokenizer.json together, measured: 39 MB at k 10, 710 MB at k 12


@claims(
    "tokenizer bpe",
    lambda a: {
        "inputs": a["inputs"],
        "outputs": [Output(a["output"], "tokenizer", atomic=True)],
        "overwrite": a["overwrite"],
    },
)
def train_bpe_folder(inputs: list[str | Path], output: str | Path, *, overwrite: bool = False, **settings) -> str:
    """Train a BPE vocabulary on the sequences of ``inputs`` and write its folder; returns what is printed."""
    import itertools

    from dnalm.io import find_splits, read_sequences
    from dnalm.tokenizers.bpe import genome_segments, train_bpe

    s = settings_from(BpeSettings, settings, "train_bpe_folder")
    for p in inputs:  # a split folder: which files is the user's choice (a tokenizer trained on test sees test)
        if Path(p).is_dir():
            files = sorted(str(f) for f in find_splits(p).values())
            raise ValueError(
                f"{p} is a folder: give the files to train on, e.g. {files[0] if files else f'{p}/train.csv'}"
            )
    check_each_once(inputs)  # its sequences would count twice
    records = itertools.chain.from_iterable(read_sequences(p, sequence_column=s.sequence_column) for p in inputs)
    counts: dict = {}
    pieces = list(genome_segments(records, s.segment_length, max_segments=s.max_segments, seed=s.seed, counts=counts))
    if counts["n_left_out"]:
        log.info(
            "left out %d of %d bases: N and the other ambiguity codes (no base to learn merges from)",
            counts["n_left_out"],
            counts["bases"],
        )
    if not pieces:
        raise ValueError(
            f"{', '.join(map(str, inputs))}: no run of A/C/G/T to train on (N and other codes are left out)"
        )
    if s.seed != 0 and len(pieces) <= s.max_segments:  # a seed that samples nothing (as lm-eval says of its own)
        log.warning(
            "--seed %d changes nothing: it samples segments when there are more than --max-segments (%d); all %d "
            "are used",
            s.seed,
            s.max_segments,
            len(pieces),
        )
    tok = train_bpe(pieces, vocab_size=s.vocab_size, min_frequency=s.min_frequency, model_max_length=s.max_length)
    if len(tok) < s.vocab_size:
        log.warning(
            "the vocabulary has %d tokens, fewer than the %d asked (--vocab-size): %s bases hold no more merges",
            len(tok),
            s.vocab_size,
            f"{sum(map(len, pieces)):,}",
        )
    return f"trained BPE on {len(pieces):,} segments ({sum(map(len, pieces)):,} bases)\n" + _save(
        tok, output, "BPE tokenizer"
    )


def new_tokenizer(kind: str, *, k: int, max_length: int, vocab_size: int, sequences=None):
    """A new tokenizer of ``kind`` (a model preset's ``tokenizer``): ``kmer``, ``nonoverlap``, ``base``, or ``bpe``
    trained on ``sequences``."""
    from dnalm.tokenizers.dna import BaseTokenizer, KmerTokenizer, NonOverlappingKmerTokenizer

    if kind == "kmer":
        return KmerTokenizer(k=k, model_max_length=max_length)
    if kind == "nonoverlap":
        return NonOverlappingKmerTokenizer(k=k, model_max_length=max_length)
    if kind == "base":
        return BaseTokenizer(model_max_length=max_length)
    if sequences is None:
        raise ValueError("a BPE model from scratch needs training sequences to learn its vocabulary")
    from dnalm.tokenizers.bpe import train_bpe

    return train_bpe(sequences, vocab_size=vocab_size, model_max_length=max_length)


def learns_vocabulary(kind: str) -> bool:
    """Whether a new tokenizer of ``kind`` learns its vocabulary from sequences (BPE) rather than having it fixed."""
    return kind == "bpe"


def _save(tok, output, name: str | None = None) -> str:
    tok.save_pretrained(output)
    size = sum(f.stat().st_size for f in Path(output).iterdir() if f.is_file())
    on_disk = f", {size / 1e6:,.0f} MB" if size > 10e6 else ""  # a large vocabulary says what it took
    return f"saved {name or type(tok).__name__} (vocabulary {len(tok):,}{on_disk}) to {output}"
