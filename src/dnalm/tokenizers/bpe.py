"""BPE vocabularies trained on DNA with the ``tokenizers`` library (TinyDNABERT style).

The saved ``tokenizer.json`` normalises case and U->T itself, so ``acgt`` and
``ACGT`` tokenize alike in plain ``transformers.AutoTokenizer``.

>>> tok = train_bpe(["ACGTACGTAAAT" * 20] * 50, vocab_size=40, min_frequency=2)
>>> tok("acgu").input_ids == tok("ACGT").input_ids
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import numpy as np

from dnalm.io import Record

__all__ = ["BPE_SPECIAL_TOKENS", "SMALLEST_VOCABULARY", "genome_segments", "train_bpe"]

BPE_SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
#: the smallest vocabulary that learns anything: the special tokens, the alphabet and one merge
SMALLEST_VOCABULARY = len(BPE_SPECIAL_TOKENS) + len("ACGTN") + 1


_ACGT_RUNS = re.compile(r"[ACGT]+")


def genome_segments(
    records: Iterable[Record],
    length: int = 1000,
    *,
    max_segments: int | None = None,
    seed: int = 0,
    counts: dict | None = None,
) -> Iterator[str]:
    """Cut sequences into pieces of at most ``length`` bases, splitting at runs of N and the other ambiguity codes
    (a merge learnt across them would be a token of bases no genome position has).

    With ``max_segments``, a uniform random sample of that many segments is kept
    (reservoir sampling, seeded), so a genome is never held as a list of all pieces.
    ``counts`` (a dict) receives ``bases`` read and ``n_left_out`` (the bases other than A/C/G/T).

    >>> list(genome_segments([Record("a", "ACGTRYACNNGT")], 3))
    ['ACG', 'T', 'AC', 'GT']
    """
    from dnalm.settings import check_count

    check_count(length, "length", minimum=1)
    if max_segments is not None:
        check_count(max_segments, "max_segments", minimum=1)
    if isinstance(records, str | Record):
        raise TypeError(f"records must be a list (or iterable) of Record; got one {type(records).__name__}")
    counts = {} if counts is None else counts
    counts.update(bases=0, n_left_out=0)

    def pieces() -> Iterator[str]:
        for rec in records:
            counts["bases"] += len(rec.sequence)
            runs = _ACGT_RUNS.findall(rec.sequence.upper())  # soft-masked (lower-case) bases are bases
            counts["n_left_out"] += len(rec.sequence) - sum(map(len, runs))
            for run in runs:
                for i in range(0, len(run), length):
                    yield run[i : i + length]

    if max_segments is None:
        yield from pieces()
        return
    rng = np.random.default_rng(seed)
    reservoir: list[str] = []
    for i, piece in enumerate(pieces()):
        if i < max_segments:
            reservoir.append(piece)
        else:
            j = int(rng.integers(0, i + 1))
            if j < max_segments:
                reservoir[j] = piece
    yield from reservoir


_NOT_DNA = re.compile(r"[^ACGTRYSWKMBDHVNUacgtryswkmbdhvnu\s]")  # whitespace separates pieces (the pre-tokenizer)


def _dna_normalizer():
    from tokenizers import normalizers

    replace = [normalizers.Replace(c, c.upper()) for c in "acgtnryswkmbdhv"]
    return normalizers.Sequence([*replace, normalizers.Replace("u", "T"), normalizers.Replace("U", "T")])


def train_bpe(
    sequences: Iterable[str],
    vocab_size: int = 1024,
    min_frequency: int = 4,
    model_max_length: int = 512,
    show_progress: bool = False,
):
    """Train a byte-pair-encoding vocabulary on DNA; returns a ``PreTrainedTokenizerFast``.

    Special tokens are RoBERTa's (``<s> <pad> </s> <unk> <mask>``); a sequence is
    encoded as ``<s> ... </s>``. Defaults are TinyDNABERT's (1,024 tokens, min frequency 4).
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    from dnalm.settings import check_count

    if isinstance(sequences, str | bytes):
        raise TypeError(f"give a list (or iterable) of sequences, e.g. [{str(sequences)[:20]!r}], not one string")
    check_count(vocab_size, "vocab_size", minimum=SMALLEST_VOCABULARY)
    check_count(min_frequency, "min_frequency")
    check_count(model_max_length, "model_max_length")
    seen = {"pieces": 0}

    def checked_pieces():
        for i, seq in enumerate(sequences):
            if not isinstance(seq, str):
                raise TypeError(f"sequence {i} is {type(seq).__name__}, not text (a string of bases)")
            if bad := _NOT_DNA.search(seq):  # it would become tokens of text that is no DNA
                raise ValueError(f"sequence {i}, position {bad.start() + 1}: {bad.group()!r} is not a nucleotide code")
            seen["pieces"] += 1
            yield seq

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = _dna_normalizer()
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=BPE_SPECIAL_TOKENS,
        initial_alphabet=list("ACGTN"),
        show_progress=show_progress,
    )
    tok.train_from_iterator(checked_pieces(), trainer=trainer)
    if not seen["pieces"]:
        raise ValueError("train_bpe needs at least one sequence to learn from; got none")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        cls_token="<s>",
        sep_token="</s>",
        model_max_length=model_max_length,
    )
