"""DNA tokenizers that take raw sequence: overlapping k-mer (DNABERT-exact), single base,
non-overlapping k-mer (Nucleotide Transformer style).

They are called like a transformers tokenizer and return a ``BatchEncoding``. The hot
path is numpy: a whole batch is encoded as one byte buffer, never by a Python loop
over k-mers.

>>> tok = KmerTokenizer(k=3)
>>> enc = tok(["ACGTN", "acgt"], padding=True)
>>> enc["input_ids"]
[[2, 16, 50, 1, 3], [2, 16, 50, 3, 0]]
>>> tok.convert_ids_to_tokens(enc["input_ids"][0])
['[CLS]', 'ACG', 'CGT', '[UNK]', '[SEP]']
>>> enc["attention_mask"][1]
[1, 1, 1, 1, 0]

``save_pretrained`` writes DNABERT's ``vocab.txt`` plus a ``tokenizer.json`` so the
directory also loads in plain ``transformers.AutoTokenizer`` (which, like DNABERT,
expects the tokens space-separated).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import numbers
import os
import re
from pathlib import Path
from typing import ClassVar

import numpy as np

from dnalm.io.sequence import CODE_LUT, check_bytes
from dnalm.settings import check_flag, check_path, named, plain_number, say_local_twin

log = logging.getLogger(__name__)

__all__ = [
    "BaseTokenizer",
    "DnaTokenizer",
    "KmerTokenizer",
    "NonOverlappingKmerTokenizer",
    "kmer_vocab",
    "load_tokenizer",
    "tokenizer_by_name",
    "tokenizer_report",
]

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
DNALM_FILE = "dnalm_tokenizer.json"
_DNABERT_ORDER = "ATCG"  # order of the k-mers in DNABERT's released vocab_{k}.txt


def kmer_vocab(k: int, alphabet: str = _DNABERT_ORDER) -> list[str]:
    """DNABERT's vocabulary: the five special tokens, then all k-mers in ``A,T,C,G`` order.

    >>> kmer_vocab(1)
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'A', 'T', 'C', 'G']
    """
    return SPECIAL_TOKENS + ["".join(p) for p in itertools.product(alphabet, repeat=k)]


class DnaTokenizer:
    """Base class: vocabulary, special tokens, truncation, padding, save/load.

    Subclasses implement ``_encode(buf, lengths) -> (tokens, counts)``: a 2-D array whose
    row i holds sequence i's token ids in its first ``counts[i]`` columns (the rest is
    ignored), so a batch is assembled by slicing, never by per-token scatter.
    """

    kind = "base"
    padding_side = "right"
    truncation_side = "right"
    model_input_names: ClassVar[list[str]] = ["input_ids", "token_type_ids", "attention_mask"]

    @property
    def overlap(self) -> int:
        """Bases two neighbouring tokens share: k - 1 for overlapping k-mers, else 0. Windows cut
        for a model overlap by this many bases so that no token is lost at a seam."""
        return 0

    @property
    def bases_per_token(self) -> int:
        """Bases one A/C/G/T token spans (k for k-mers, 1 for single bases)."""
        return getattr(self, "k", 1)

    @property
    def per_base(self) -> bool:
        """Each base sits at a fixed offset of known tokens (overlapping k-mers, single bases), so
        per-base masks, probabilities and labels can be read off the tokens."""
        return self.bases_per_token == 1 or self.overlap == self.bases_per_token - 1

    @property
    def needs_span_masking(self) -> bool:
        """Masking one token leaks it through its neighbours (overlapping k-mers): mask whole spans."""
        return self.overlap > 0

    def max_bases(self, max_tokens: int) -> int:
        """Longest stretch of bases guaranteed to fit in ``max_tokens`` tokens with [CLS]/[SEP]
        (every DNA tokenizer here spends at most one token per base, less the overlap).

        >>> KmerTokenizer(k=6).max_bases(512), BaseTokenizer().max_bases(512)
        (515, 510)
        """
        return max(max_tokens - 2 + self.overlap, 1)

    def __init__(self, vocab: list[str], model_max_length: int = 512):
        missing = [t for t in SPECIAL_TOKENS if t not in vocab]
        if missing:
            raise ValueError(f"vocabulary lacks special tokens {missing}")
        if len(set(vocab)) != len(vocab):
            raise ValueError("vocabulary has repeated tokens")
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.ids_to_tokens = list(vocab)
        if isinstance(model_max_length, float) and model_max_length > 1e20:  # transformers' "no limit" sentinel
            model_max_length = int(model_max_length)
        from dnalm.settings import check_count

        # -5 and "512" were kept and 10.5 an IndexError later; 0 a message naming max_length
        self.model_max_length = check_count(model_max_length, "model_max_length", minimum=3)
        self.pad_token, self.unk_token, self.cls_token, self.sep_token, self.mask_token = SPECIAL_TOKENS
        self.pad_token_id, self.unk_token_id, self.cls_token_id, self.sep_token_id, self.mask_token_id = (
            self.vocab[t] for t in SPECIAL_TOKENS
        )
        self.all_special_ids = [self.vocab[t] for t in SPECIAL_TOKENS]

    # -- vocabulary -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids_to_tokens)

    @property
    def vocab_size(self) -> int:
        return len(self.ids_to_tokens)

    def get_vocab(self) -> dict[str, int]:
        return dict(self.vocab)

    def convert_ids_to_tokens(self, ids):
        """The token of each id; an id that is not a whole number of the vocabulary is refused, as :meth:`decode`
        refuses it (-1 read the last token, 2.7 token 2)."""
        one = isinstance(ids, int | np.integer | bool) or (hasattr(ids, "ndim") and ids.ndim == 0)
        values = [ids] if one else (ids.tolist() if hasattr(ids, "tolist") else list(ids))
        for i in values:
            i = i.item() if hasattr(i, "item") and not isinstance(i, bool) else i
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self):
                raise ValueError(f"token ids are whole numbers from 0 to {len(self) - 1}; got {i!r}")
        tokens = [self.ids_to_tokens[int(i)] for i in values]
        return tokens[0] if one else tokens

    def convert_tokens_to_ids(self, tokens):
        if isinstance(tokens, str):
            return self.vocab.get(tokens, self.unk_token_id)
        return [self.vocab.get(t, self.unk_token_id) for t in tokens]

    def get_special_tokens_mask(self, token_ids, already_has_special_tokens: bool = True) -> list[int]:
        """1 for special tokens, 0 for sequence tokens (what MLM collators must not mask)."""
        special = set(self.all_special_ids)
        return [1 if int(i) in special else 0 for i in token_ids]

    def decode(self, ids, skip_special_tokens: bool = False) -> str:
        """Space-separated tokens (the form DNABERT's own tools read); an id that is not a whole number of the
        vocabulary is refused (-1 read the last token; 2.7 read token 2)."""
        ids = ids.tolist() if hasattr(ids, "tolist") else [i.item() if hasattr(i, "item") else i for i in ids]
        bad = next((i for i in ids if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self)), None)
        if bad is not None or any(isinstance(i, list) for i in ids):
            raise ValueError(
                f"decode takes one sequence of token ids, whole numbers from 0 to {len(self) - 1}; got {bad!r}"
            )
        toks = [self.ids_to_tokens[i] for i in ids if not (skip_special_tokens and i in self.all_special_ids)]
        return " ".join(toks)

    # -- encoding -------------------------------------------------------------------
    def _encode(self, buf: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    @staticmethod
    def _as_buffer(sequences: list[str]) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
        try:
            buf = np.frombuffer("".join(sequences).encode("ascii"), dtype=np.uint8)
            bad = check_bytes(buf)
        except UnicodeEncodeError as err:
            bad = err.start
        if bad >= 0:
            ends = np.cumsum(lengths)
            i = int(np.searchsorted(ends, bad, side="right"))
            pos = bad - (int(ends[i - 1]) if i else 0)
            raise ValueError(f"sequence {i}, position {pos + 1}: {sequences[i][pos]!r} is not a nucleotide code")
        return buf, lengths

    def __call__(
        self,
        sequences: str | list[str],
        padding: bool | str = False,
        truncation: bool | str = False,
        max_length: int | None = None,
        return_tensors: str | None = None,
        add_special_tokens: bool = True,
        return_attention_mask: bool = True,
        return_token_type_ids: bool = True,
        pad_to_multiple_of: int | None = None,
        return_length: bool = False,
        **unused,
    ):
        """Tokenize raw DNA (case-insensitive, U read as T) like a transformers tokenizer."""
        from transformers import BatchEncoding

        if unused:
            raise TypeError(f"{type(self).__name__}() got unsupported arguments {sorted(unused)}")
        single = isinstance(sequences, str)
        seqs = _check_call(sequences, padding, truncation, max_length, pad_to_multiple_of)
        buf, lengths = self._as_buffer(seqs)
        tokens, counts = self._encode(buf, lengths)
        n_special = 2 if add_special_tokens else 0
        if truncation and truncation != "do_not_truncate":
            limit = (max_length if max_length is not None else self.model_max_length) - n_special
            if limit < 0:
                raise ValueError(f"{named('max_length')} {max_length} leaves no room for the special tokens")
            counts = np.minimum(counts, limit)
        sizes = counts + n_special
        longest = int(sizes.max(initial=0))
        pad_mode = "longest" if padding is True else (padding or "do_not_pad")
        width = longest
        if pad_mode == "max_length":
            width = max(max_length if max_length is not None else self.model_max_length, longest)
        if pad_mode in ("longest", "max_length") and pad_to_multiple_of:
            width = -(-width // pad_to_multiple_of) * pad_to_multiple_of
        offset = 1 if add_special_tokens else 0
        body = min(tokens.shape[1], longest - n_special)
        ids = np.empty((len(seqs), width), dtype=np.int64)
        ids[:, offset : offset + body] = tokens[:, :body]
        if add_special_tokens:
            ids[:, 0] = self.cls_token_id
        cols = np.arange(width)[None, :]
        ids[cols >= (counts + offset)[:, None]] = self.pad_token_id
        if add_special_tokens:
            ids[np.arange(len(seqs)), sizes - 1] = self.sep_token_id
        mask = (cols < sizes[:, None]).astype(np.int64)
        data: dict = {"input_ids": ids}
        if return_token_type_ids:
            data["token_type_ids"] = np.zeros_like(ids)
        if return_attention_mask:
            data["attention_mask"] = mask
        if return_length:
            data["length"] = sizes
        padded = pad_mode != "do_not_pad"
        if not padded and len(set(sizes.tolist())) > 1 and return_tensors is not None:
            raise ValueError("sequences give different numbers of tokens; use padding=True to return tensors")
        if return_tensors is None:
            data = {key: _unpad(v, sizes, padded) for key, v in data.items()}
            if single:
                data = {key: v[0] for key, v in data.items()}
        elif return_tensors == "pt":
            import torch

            data = {key: torch.from_numpy(np.ascontiguousarray(v)) for key, v in data.items()}
        elif return_tensors != "np":
            raise ValueError(f"return_tensors must be None, 'np' or 'pt'; got {return_tensors!r}")
        return BatchEncoding(data)

    def pad(
        self,
        features: list[dict],
        padding: bool | str = True,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        return_tensors: str | None = "pt",
        **_,
    ):
        """Pad already tokenized examples (the collator interface of transformers); every example has the same
        keys (a key of a later example only was dropped)."""
        import torch

        if not features:
            raise ValueError("pad needs at least one tokenized example; got none")
        keys = [sorted(f) for f in features]
        if any(k != keys[0] for k in keys):
            odd = next(i for i, k in enumerate(keys) if k != keys[0])
            raise ValueError(
                f"pad: example {odd} has the keys {keys[odd]}, example 0 {keys[0]}; give every one the same"
            )
        sizes = [len(f["input_ids"]) for f in features]
        width = max_length if padding == "max_length" and max_length else max(sizes)
        if pad_to_multiple_of:
            width = -(-width // pad_to_multiple_of) * pad_to_multiple_of
        out: dict = {}
        for key in features[0]:
            values = [f[key] for f in features]
            if key in ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask"):
                fill = {"input_ids": self.pad_token_id, "special_tokens_mask": 1}.get(key, 0)
                arr = np.full((len(values), width), fill, dtype=np.int64)
                for i, v in enumerate(values):
                    arr[i, : len(v)] = v
                out[key] = torch.from_numpy(arr)
            else:
                out[key] = torch.tensor(np.asarray(values))
        return out

    # -- save / load ----------------------------------------------------------------
    def _config(self) -> dict:
        return {"type": self.kind, "model_max_length": self.model_max_length}

    _raw_pattern: str | None = None  # regex cutting raw DNA into this tokenizer's tokens, where one exists

    def to_transformers(self):
        """The equivalent plain transformers tokenizer.

        Overlapping k-mers cannot be cut by a ``tokenizers`` pipeline (its pieces never overlap), so
        k-mer folders hold a ``BertTokenizer`` that reads space-separated k-mers, as DNABERT's do.
        Single-base and non-overlapping k-mer tokenizers become a fast tokenizer that takes raw DNA
        (either case, U as T) as well as space-separated tokens, with the same ids as this one.
        """
        from transformers import BertTokenizer

        bert = BertTokenizer(
            vocab=self.get_vocab(),
            do_lower_case=False,
            model_max_length=self.model_max_length,
            tokenize_chinese_chars=False,
            strip_accents=False,
        )
        if self._raw_pattern is None:
            return bert
        from tokenizers import Regex, normalizers, pre_tokenizers
        from transformers import PreTrainedTokenizerFast

        backend = bert.backend_tokenizer
        backend.normalizer = normalizers.Sequence(
            [normalizers.Replace(c, c.upper()) for c in "acgtnryswkmbdhv"]
            + [normalizers.Replace("U", "T"), normalizers.Replace("u", "T")]
        )
        backend.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex(self._raw_pattern), "isolated")]
        )
        return PreTrainedTokenizerFast(
            tokenizer_object=backend,
            model_max_length=self.model_max_length,
            **{f"{name}_token": f"[{name.upper()}]" for name in ("unk", "pad", "cls", "sep", "mask")},
        )

    def save_pretrained(self, save_directory: str | os.PathLike, **_) -> tuple[str, ...]:
        """Write ``vocab.txt`` (DNABERT layout), ``tokenizer.json``/``tokenizer_config.json``
        (plain transformers) and ``dnalm_tokenizer.json`` (how dnalm reads raw sequence)."""
        out = Path(save_directory)
        out.mkdir(parents=True, exist_ok=True)
        files = self.to_transformers().save_pretrained(out)
        (out / "vocab.txt").write_text("\n".join(self.ids_to_tokens) + "\n", encoding="utf-8")
        (out / DNALM_FILE).write_text(json.dumps(self._config(), indent=2) + "\n", encoding="utf-8")
        return (*files, str(out / "vocab.txt"), str(out / DNALM_FILE))

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **overrides) -> DnaTokenizer:
        """Load a dnalm tokenizer directory, or a DNABERT checkpoint directory holding only
        ``vocab.txt`` (k is read off the vocabulary; DNABERT's ``do_lower_case`` is ignored)."""
        return load_dna_tokenizer(path, **overrides)

    def __repr__(self) -> str:
        extra = ", ".join(f"{k}={v!r}" for k, v in self._config().items() if k != "type")
        return f"{type(self).__name__}({extra}, vocab_size={len(self)})"


def _rows(buf: np.ndarray, lengths: np.ndarray, fill: int) -> np.ndarray:
    """The concatenated bytes ``buf`` as one row per sequence, right-filled with ``fill``."""
    n = len(lengths)
    width = int(lengths.max(initial=0))
    if n and (lengths == width).all():
        return buf.reshape(n, width)
    out = np.full((n, width), fill, dtype=buf.dtype)
    out[np.arange(width)[None, :] < lengths[:, None]] = buf
    return out


def _unpad(arr: np.ndarray, sizes: np.ndarray, padded: bool):
    if arr.ndim == 1:
        return arr.tolist()
    if padded:
        return arr.tolist()
    return [row[:s].tolist() for row, s in zip(arr, sizes)]


class KmerTokenizer(DnaTokenizer):
    """Overlapping k-mers exactly as DNABERT's released checkpoints expect.

    ``[CLS]`` k-mer_1 ... k-mer_(L-k+1) ``[SEP]``; a k-mer holding N or any other
    unknown base is ``[UNK]``. Ids follow ``vocab`` (DNABERT's ``vocab_{k}.txt`` order by
    default), so a checkpoint's own vocab file is honoured whatever its order.

    >>> KmerTokenizer(k=6)("ACGTACG")["input_ids"]
    [2, 727, 2896, 3]
    """

    kind = "kmer"

    @property
    def overlap(self) -> int:
        return self.k - 1

    def __init__(self, k: int = 6, vocab: list[str] | None = None, model_max_length: int = 512):
        k = plain_number(k)  # np.int64(6) is a whole number
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 12:
            raise ValueError(f"k must be a whole number between 1 and 12; got {k!r}")
        super().__init__(kmer_vocab(k) if vocab is None else vocab, model_max_length)
        self.k = k
        # kmer value (base-4 number, A=0 C=1 G=2 T=3) -> token id; UNK where a k-mer is absent.
        self._lut = np.full(4**k, self.unk_token_id, dtype=np.int64)
        for token, idx in self.vocab.items():
            if len(token) == k and set(token) <= set("ACGT"):
                self._lut[int(token.translate(str.maketrans("ACGT", "0123")), 4)] = idx
        _check_holds(int((self._lut != self.unk_token_id).sum()), 4**k, f"{k}-mers")

    def _config(self) -> dict:
        return {**super()._config(), "k": self.k}

    def _encode(self, buf, lengths):
        k = self.k
        codes = _rows(CODE_LUT[buf], lengths, 4)
        n_win = max(codes.shape[1] - k + 1, 0)
        value = np.zeros((codes.shape[0], n_win), dtype=np.int32)
        unknown = np.zeros(value.shape, dtype=bool)
        for j in range(k):  # k shifted, in-place passes over the whole batch
            c = codes[:, j : j + n_win]
            value <<= 2
            value |= c & 3
            unknown |= c == 4
        ids = self._lut[value]
        ids[unknown] = self.unk_token_id
        return ids, np.maximum(lengths - k + 1, 0)


class BaseTokenizer(DnaTokenizer):
    """One token per nucleotide: A, C, G, T, N; other IUPAC codes are ``[UNK]``.

    >>> BaseTokenizer()("ACGTNR")["input_ids"]
    [2, 5, 6, 7, 8, 9, 1, 3]
    """

    kind = "base"
    _raw_pattern = "."

    def __init__(self, vocab: list[str] | None = None, model_max_length: int = 512):
        super().__init__(SPECIAL_TOKENS + list("ACGTN") if vocab is None else vocab, model_max_length)
        self._lut = np.full(256, self.unk_token_id, dtype=np.int64)
        for b in "ACGTN":
            if b in self.vocab:
                self._lut[ord(b)] = self._lut[ord(b.lower())] = self.vocab[b]
        _check_holds(sum(b in self.vocab for b in "ACGT"), 4, "bases A, C, G, T")
        self._lut[ord("U")] = self._lut[ord("u")] = self.vocab["T"]

    def _encode(self, buf, lengths):
        return self._lut[_rows(buf, lengths, 0)], lengths.copy()


class NonOverlappingKmerTokenizer(DnaTokenizer):
    """Non-overlapping k-mers (Nucleotide Transformer style): each run of A/C/G/T is cut
    into k-mers from its left end; leftover bases and N are single-base tokens, other
    IUPAC codes ``[UNK]``.

    >>> tok = NonOverlappingKmerTokenizer(k=3)
    >>> tok.convert_ids_to_tokens(tok("ACGTTGCANACGTA")["input_ids"])
    ['[CLS]', 'ACG', 'TTG', 'C', 'A', 'N', 'ACG', 'T', 'A', '[SEP]']
    """

    kind = "nonoverlap"
    _run = re.compile(r"[ACGT]+|[^ACGT]")

    def __init__(self, k: int = 6, vocab: list[str] | None = None, model_max_length: int = 512):
        k = plain_number(k)
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 12:
            raise ValueError(f"k must be a whole number between 1 and 12; got {k!r}")
        singles = [b for b in "ACGTN" if k > 1 or b == "N"]  # with k = 1 the bases are the k-mers themselves
        super().__init__(kmer_vocab(k, "ACGT") + singles if vocab is None else vocab, model_max_length)
        held = sum(len(t) == k and set(t) <= set("ACGT") for t in self.vocab)
        _check_holds(held, 4**k, f"{k}-mers")
        self.k = k
        self._raw_pattern = f"[ACGT]{{{k}}}|."

    def _config(self) -> dict:
        return {**super()._config(), "k": self.k}

    def _encode(self, buf, lengths):
        text = buf.tobytes().decode("ascii").upper().replace("U", "T")
        k, vocab, unk = self.k, self.vocab, self.unk_token_id
        flat: list[int] = []
        counts = np.zeros(len(lengths), dtype=np.int64)
        start = 0
        for i, n in enumerate(lengths.tolist()):
            before = len(flat)
            for m in self._run.finditer(text, start, start + n):
                run = m.group()
                cut = len(run) - len(run) % k
                flat.extend(vocab.get(run[j : j + k], unk) for j in range(0, cut, k))
                flat.extend(vocab.get(b, unk) for b in run[cut:])
            counts[i] = len(flat) - before
            start += n
        return _rows(np.asarray(flat, dtype=np.int64), counts, self.pad_token_id), counts


def _check_holds(held: int, needed: int, what: str) -> None:
    """Refuse a vocabulary without every token the scheme produces: the missing ones would all be read as
    ``[UNK]``, and a model would score every sequence alike without a word (a vocab.txt of another model)."""
    if held < needed:
        raise ValueError(f"the vocabulary holds {held} of the {needed} {what}: it belongs to another tokenizer")


_KINDS = {c.kind: c for c in (KmerTokenizer, BaseTokenizer, NonOverlappingKmerTokenizer)}


def _infer_kmer_k(vocab: list[str]) -> int | None:
    """k if every non-special token is an A/C/G/T k-mer of one length (a DNABERT vocab)."""
    plain = [t for t in vocab if t not in SPECIAL_TOKENS]
    lengths = {len(t) for t in plain}
    if len(lengths) == 1 and all(set(t) <= set("ACGT") for t in plain) and len(plain) == 4 ** next(iter(lengths)):
        return lengths.pop()
    return None


def _check_call(sequences, padding, truncation, max_length, pad_to_multiple_of) -> list[str]:
    """The sequences of a tokenizer call as a list, and its arguments, each named when wrong (bytes, None and
    numbers gave bare TypeErrors, ``max_length=2.5`` an IndexError, ``padding="bogus"`` was ignored)."""
    if isinstance(sequences, str):
        seqs = [sequences]
    elif sequences is None or isinstance(sequences, bytes | int | float) or not hasattr(sequences, "__iter__"):
        raise TypeError(f"give a sequence (str) or a list of them; got {type(sequences).__name__}")
    elif isinstance(sequences, dict | set | frozenset):  # a dict's keys were tokenized, a set in no fixed order
        raise TypeError(f"give a sequence (str) or a list of them, in an order; got a {type(sequences).__name__}")
    else:
        seqs = list(sequences)
        bad = next(((i, x) for i, x in enumerate(seqs) if not isinstance(x, str)), None)
        if bad is not None:
            raise TypeError(f"sequence {bad[0]} is {type(bad[1]).__name__}, not text (a string of bases)")
        if not seqs:
            raise ValueError("give at least one sequence to tokenize; got none")
    for name, value in (("max_length", max_length), ("pad_to_multiple_of", pad_to_multiple_of)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1):
            raise ValueError(f"{name} must be a whole number >= 1 (or None); got {value!r}")
    if padding not in (True, False, "longest", "max_length", "do_not_pad"):
        raise ValueError(f"padding must be True, False, 'longest', 'max_length' or 'do_not_pad'; got {padding!r}")
    if truncation not in (True, False, "longest_first", "only_first", "do_not_truncate"):
        raise ValueError(f"truncation must be True, False, 'longest_first' or 'do_not_truncate'; got {truncation!r}")
    return seqs


def _check_same_ids(vocab_file: Path, vocab: list[str], tokenizer_file: Path) -> None:
    """Refuse a ``vocab.txt`` whose tokens have other ids than the ``tokenizer.json`` beside it holds them under (a
    reordered vocabulary: the model read every base as another, and predicted with exit 0)."""
    try:
        saved = json.loads(tokenizer_file.read_text(encoding="utf-8"))["model"]["vocab"]
    except (OSError, ValueError, KeyError, TypeError):
        return  # none, or not a vocabulary of tokens to ids: nothing to compare
    if not isinstance(saved, dict) or set(saved) != set(vocab):  # other tokens: the vocabulary checks say which
        return
    for i, token in enumerate(vocab):
        there = saved.get(token)
        if isinstance(there, int) and there != i:
            raise ValueError(
                f"{vocab_file}: token ids differ from {tokenizer_file.name} beside it ({token!r} is {i} here, {there} "
                "there): the two files belong to different tokenizers; copy the model folder whole"
            )


def load_dna_tokenizer(path: str | os.PathLike, **overrides) -> DnaTokenizer:
    """Load a dnalm tokenizer, or build the k-mer tokenizer of a DNABERT checkpoint folder."""
    path = Path(path)
    vocab_file = path / "vocab.txt"
    if not vocab_file.is_file():
        raise FileNotFoundError(f"{path}: no vocab.txt (not a dnalm or DNABERT tokenizer folder)")
    vocab = _read_vocab(vocab_file)
    _check_same_ids(vocab_file, vocab, path / "tokenizer.json")
    meta_file = path / DNALM_FILE
    if meta_file.is_file():
        try:
            saved = json.loads(meta_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"{meta_file}: not valid JSON ({err})") from None
        if not isinstance(saved, dict) or "type" not in saved:
            raise ValueError(f"{meta_file}: not a dnalm tokenizer description (a JSON object with its 'type')")
        meta = {**saved, **overrides}
        kind = meta.pop("type")
        if kind not in _KINDS:
            raise ValueError(f"{meta_file}: unknown tokenizer type {kind!r}; known: {sorted(_KINDS)}")
        try:
            return _KINDS[kind](vocab=vocab, **meta)
        except TypeError as err:  # a key the tokenizer does not take
            raise ValueError(f"{meta_file}: {err}") from None
        except ValueError as err:
            raise ValueError(f"{vocab_file} ({meta_file.name}: {kind}{meta.get('k', '')}): {err}") from None
    k = _infer_kmer_k(vocab)
    if k is None:
        raise ValueError(f"{vocab_file}: not a DNABERT k-mer vocabulary and no {DNALM_FILE} beside it")
    max_len = overrides.pop("model_max_length", None)
    config_file = path / "tokenizer_config.json"
    if max_len is None and config_file.is_file():
        max_len = json.loads(config_file.read_text(encoding="utf-8")).get("model_max_length")
    if not isinstance(max_len, int) or max_len > 100_000:
        max_len = 512  # DNABERT's position embeddings
    return KmerTokenizer(k=k, vocab=vocab, model_max_length=max_len, **overrides)


def load_tokenizer(name_or_path: str | os.PathLike, *, trust_remote_code: bool = False, **kwargs):
    """The tokenizer a checkpoint needs, taking raw DNA where dnalm knows the scheme.

    - a dnalm tokenizer folder, or a folder/hub repo whose ``vocab.txt`` is a DNABERT k-mer
      vocabulary -> :class:`KmerTokenizer` (DNABERT's ``do_lower_case: true``, which turns
      every k-mer into ``[UNK]`` in a stock tokenizer, is ignored);
    - anything else (BPE ``tokenizer.json``, Nucleotide Transformer...) ->
      ``transformers.AutoTokenizer``.
    """
    trust_remote_code = check_flag(trust_remote_code, "trust_remote_code")
    path = check_path(name_or_path, "name_or_path")
    if path.is_dir():
        if (path / DNALM_FILE).is_file() or (
            (path / "vocab.txt").is_file() and _infer_kmer_k(_read_vocab(path / "vocab.txt")) is not None
        ):
            return _fits_model(path, load_dna_tokenizer(path, **kwargs))
    elif path.exists():
        raise ValueError(f"{path} is a file; give the model or tokenizer folder (its config.json and vocabulary)")
    else:
        text = str(name_or_path)
        if (
            path.is_absolute()
            or text.startswith((".", "~"))
            or text.count("/") != 1  # a hub id is owner/name (a preset's tokenizer is made by build_model)
            or text.endswith("/")
        ):
            raise FileNotFoundError(f"{text}: no such tokenizer folder (nor a hub id such as owner/name)")
        local = _hub_tokenizer_files(text)
        if local is not None:
            return load_dna_tokenizer(local, **kwargs)
    from transformers import AutoTokenizer

    if path.is_dir() and not any((path / name).exists() for name in _TOKENIZER_FILES):
        raise FileNotFoundError(f"{path}: no tokenizer files ({', '.join(_TOKENIZER_FILES[:3])}, ...)")
    try:
        tok = AutoTokenizer.from_pretrained(str(name_or_path), trust_remote_code=trust_remote_code, **kwargs)
    except (OSError, ValueError) as err:  # transformers' "Couldn't instantiate the backend tokenizer ... install
        if not path.is_dir():  # sentencepiece" named no folder and no file that is missing
            raise
        first = " ".join(str(err).split())[:160]
        raise ValueError(
            f"{path}: its tokenizer cannot be loaded ({first}); a folder dnalm saved holds {DNALM_FILE} or "
            "tokenizer.json beside vocab.txt: copy the model folder whole"
        ) from None
    if not path.is_dir():
        _check_reads_dna(name_or_path, tok)
        return tok
    return _fits_model(path, tok)


#: The files a tokenizer folder holds one of (dnalm's, DNABERT's, the tokenizers library's, sentencepiece's, GPT-2's)
_TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json")


def _check_reads_dna(where, tok) -> None:
    if not reads_dna(tok):
        raise ValueError(
            f"{where}: its tokenizer ({type(tok).__name__}) reads DNA as unknown tokens only; the tokenizer files "
            f"belong to another model, or {DNALM_FILE} and vocab.txt are missing: copy the model folder whole"
        )


def _fits_model(folder: Path, tok):
    """``tok``, if the model saved beside it (``config.json``) has an embedding for each of its tokens: a
    tokenizer of another size was copied in from another model. dnalm's own tokenizers must match exactly
    (models are built with one row per token); others may have fewer tokens than rows (padded vocabularies)."""
    _check_reads_dna(folder, tok)
    config_file = folder / "config.json"
    try:
        rows = json.loads(config_file.read_text(encoding="utf-8")).get("vocab_size")
    except (OSError, ValueError, AttributeError):
        return tok  # no model here, or a config.json that loading the model reports on
    if problem := vocabulary_mismatch(tok, rows):
        raise ValueError(
            f"{folder}: {problem} (vocab_size in config.json): the tokenizer files belong to another model"
        )
    return tok


def vocabulary_mismatch(tok, rows) -> str | None:
    """Why a tokenizer does not fit a model with ``rows`` embedding rows (None: it fits, or ``rows`` is unknown):
    dnalm's own tokenizers match exactly (models are built with one row per token); others may have fewer tokens
    than rows (padded vocabularies), never more."""
    known = isinstance(rows, int) and not isinstance(rows, bool)
    # padding adds a few rows, never more than the tokens themselves (a 10-token single-base tokenizer copied into
    # a 4,101-row 6-mer model read every base as a k-mer id)
    if known and (len(tok) > rows or 2 * len(tok) < rows or (isinstance(tok, DnaTokenizer) and len(tok) != rows)):
        return f"the tokenizer has {len(tok)} tokens and the model {rows}"
    return None


#: what a tokenizer is asked to read to show that it reads DNA (every base, both cases' worth of k-mers)
_DNA_PROBE = "ACGTTGCATGCAAGCTTAGGCCTAATCGATCGGATCCAAGGTTCCGGAATTCCTTAAGG"


def reads_dna(tok) -> bool:
    """Whether ``tok`` turns DNA into something other than unknown tokens: a k-mer model's folder that lost
    ``dnalm_tokenizer.json`` and ``vocab.txt`` loads a stock BERT tokenizer that reads any sequence as one [UNK]."""
    try:
        ids = tok(_DNA_PROBE, add_special_tokens=False)["input_ids"]
    except Exception:
        return True
    unknown = getattr(tok, "unk_token_id", None)
    return unknown is None or any(i != unknown for i in ids)


def _read_vocab(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[:-1] if lines and lines[-1] == "" else lines


def _hub_tokenizer_files(repo_id: str) -> Path | None:
    """Download vocab.txt (+ configs) of a hub repo; its folder if it is a k-mer vocabulary."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        vocab = Path(hf_hub_download(repo_id, "vocab.txt"))
    except EntryNotFoundError:
        return None
    for name in (DNALM_FILE, "tokenizer_config.json"):
        with contextlib.suppress(EntryNotFoundError):  # optional files
            hf_hub_download(repo_id, name)
    return vocab.parent if _infer_kmer_k(_read_vocab(vocab)) is not None else None


def tokenizer_report(tokenizer, sequences, max_length: int | None = None, batch_size: int = 1024) -> dict:
    """Unknown-token rate and truncation count of ``tokenizer`` on ``sequences`` (streamed).

    >>> r = tokenizer_report(KmerTokenizer(k=3), ["ACGTA", "ACNNA"], max_length=4)
    >>> r["unk_tokens"], r["n_truncated"], r["max_tokens"]
    (3, 2, 5)
    """
    from dnalm.settings import check_count

    if isinstance(sequences, str | bytes):  # counted as one-base sequences
        raise TypeError(f"give a list (or iterable) of sequences, e.g. [{str(sequences)[:20]!r}], not one string")
    max_length = tokenizer.model_max_length if max_length is None else check_count(max_length, "max_length")
    batch_size = check_count(batch_size, "batch_size")
    stats = {"n_sequences": 0, "n_tokens": 0, "unk_tokens": 0, "n_truncated": 0, "max_tokens": 0}
    unk = tokenizer.unk_token_id

    def flush(batch: list[str]) -> None:
        for ids in tokenizer(batch, add_special_tokens=True)["input_ids"]:
            stats["n_sequences"] += 1
            stats["n_tokens"] += len(ids)
            stats["unk_tokens"] += sum(1 for i in ids if i == unk)
            stats["n_truncated"] += len(ids) > max_length
            stats["max_tokens"] = max(stats["max_tokens"], len(ids))

    batch: list[str] = []
    for seq in sequences:
        batch.append(seq)
        if len(batch) == batch_size:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    stats["unk_rate"] = stats["unk_tokens"] / stats["n_tokens"] if stats["n_tokens"] else 0.0
    stats["max_length"] = max_length
    return stats


def tokenizer_by_name(name: str):
    """``kmerK`` (DNABERT's overlapping k-mers, K = 1-12), ``base``, or a tokenizer/model folder or hub id.

    >>> tokenizer_by_name("kmer3").k, tokenizer_by_name("base").kind
    (3, 'base')
    >>> tokenizer_by_name("kmer99")
    Traceback (most recent call last):
    ...
    ValueError: tokenizer kmer99: k must be a whole number between 1 and 12; got 99
    """
    if not isinstance(name, str | os.PathLike):
        raise TypeError(f"a tokenizer name is kmerK, base, or a folder or hub id (text); got {name!r}")
    name = str(name)
    if re.fullmatch(r"kmer\d+|base", name):  # dnalm's, as --model's names are
        say_local_twin(name, "tokenizer")
    if re.fullmatch(r"kmer\d+", name):  # never a hub id: a k out of range is an error
        try:
            return KmerTokenizer(k=int(name[4:]))
        except ValueError as err:
            raise ValueError(f"tokenizer {name}: {err}") from None
    return BaseTokenizer() if name == "base" else load_tokenizer(name)
