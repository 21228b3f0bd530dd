"""DNA sequence normalisation, validation, reverse complement and k-mers.

dnalm reads DNA as upper-case IUPAC text. ``normalize`` upper-cases (soft-masked
lower-case bases are ordinary bases), turns RNA ``U`` into ``T`` and keeps ``N`` and
the IUPAC ambiguity codes as *unknown* bases: they are never silently replaced by
A/C/G/T. Anything else is an error that names the record and the 1-based position.

>>> normalize("acgUNry")
'ACGTNRY'
>>> reverse_complement("AACGTN")
'NACGTT'
>>> kmers("ACGTA", 3)
['ACG', 'CGT', 'GTA']
"""

from __future__ import annotations

import re

import numpy as np

__all__ = [
    "BASES",
    "CODE_LUT",
    "IUPAC",
    "SequenceError",
    "base_codes",
    "dinucleotide_shuffle",
    "gc_content",
    "kmers",
    "kmers_to_sequence",
    "normalize",
    "one_hot",
    "reverse_complement",
]

BASES = "ACGT"
#: Upper-case IUPAC nucleotide codes dnalm accepts (U is read as T).
IUPAC = "ACGTRYSWKMBDHVN"

# Checked on the text as written: upper() maps some non-ASCII letters to bases ("ſ" -> "S", "ﬆ" -> "ST").
_INVALID = re.compile(f"[^{IUPAC}{IUPAC.lower()}Uu]")
_COMPLEMENT = str.maketrans("ACGTRYSWKMBDHVN", "TGCAYRSWMKVHDBN")
_NO_COMPLEMENT = re.compile("[^ACGTRYSWKMBDHVN]")

# Byte -> base code lookup used by every vectorised hot path: A,C,G,T (either case,
# U/u read as T) map to 0..3; every other byte to 4 ("unknown").
CODE_LUT = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(BASES):
    CODE_LUT[ord(_b)] = CODE_LUT[ord(_b.lower())] = _i
CODE_LUT[ord("U")] = CODE_LUT[ord("u")] = 3
# Bytes that are acceptable in raw input: IUPAC in either case plus U/u.
_VALID_LUT = np.zeros(256, dtype=bool)
for _b in IUPAC + "U":
    _VALID_LUT[ord(_b)] = _VALID_LUT[ord(_b.lower())] = True


class SequenceError(ValueError):
    """A sequence holds a character that is not an IUPAC nucleotide code.

    Attributes:
        record: the record id (or index) the sequence came from, if known.
        position: 1-based position of the first bad character in the sequence.
        char: the offending character.
    """

    def __init__(
        self, message: str, *, record: str | int | None = None, position: int | None = None, char: str | None = None
    ):
        super().__init__(message)
        self.record = record
        self.position = position
        self.char = char


def _raise_invalid(seq: str, index: int, record: str | int | None) -> None:
    char = seq[index]
    where = f"record {record!r}, " if record is not None else ""
    raise SequenceError(
        f"{where}position {index + 1}: {char!r} is not a nucleotide code (allowed: {IUPAC}, U, lower case)",
        record=record,
        position=index + 1,
        char=char,
    )


def normalize(seq: str, *, record: str | int | None = None) -> str:
    """Return ``seq`` upper-cased with U->T, after checking every character as written (ASCII only).

    Args:
        seq: raw DNA/RNA text (no whitespace).
        record: id used in the error message.

    Raises:
        SequenceError: naming ``record`` and the 1-based position of the first
            character that is not an IUPAC nucleotide code.

    >>> normalize("ac-gt", record="r1")
    Traceback (most recent call last):
    ...
    dnalm.io.sequence.SequenceError: record 'r1', position 3: '-' is not a nucleotide code (allowed: ACGTRYSWKMBDHVN, U, lower case)
    """
    if not isinstance(seq, str):
        raise TypeError(
            f"a sequence is text (a string of bases){f' (record {record!r})' if record is not None else ''}; got {type(seq).__name__}"
        )
    bad = _INVALID.search(seq)
    if bad is not None:
        _raise_invalid(seq, bad.start(), record)
    return seq.upper().replace("U", "T")


NOT_ACGT = str.maketrans("", "", "ACGT")  # str.translate with it leaves the codes other than A/C/G/T


class ReadChanges:
    """What reading changed in a file's sequences, counted per record and said once, at the end of the file: bases
    in lower case (soft-masked: read as upper case), U (read as T), N and other ambiguity codes (read as unknown).

    >>> c = ReadChanges()
    >>> c.see("acgU", normalize("acgU")); c.end_record(); c.see("ACNN", "ACNN"); c.end_record()
    >>> c.text()
    '1 of 2 sequence(s) held lower-case bases (read as upper case); 1 held U (read as T); 1 held N or other ambiguity codes (2 bases, read as unknown)'
    """

    def __init__(self):
        self.records = 0
        self.counts = {"lower": 0, "u": 0, "ambiguous": 0}
        self.ambiguous_bases = 0
        self._flags: set[str] = set()

    def see(self, raw: str, seq: str) -> None:
        """One line (FASTA) or one sequence (table) as written, and as read."""
        if raw != seq:
            self.changed(raw)
        if unknown := len(seq.translate(NOT_ACGT)):
            self.unknown(unknown)

    def changed(self, raw: str) -> None:
        """A line read otherwise than written: lower case, U (every character is a letter)."""
        if not raw.isupper():
            self._flags.add("lower")
        if "U" in raw or "u" in raw:
            self._flags.add("u")

    def unknown(self, n: int) -> None:
        """``n`` bases read as unknown (N and the other ambiguity codes)."""
        self._flags.add("ambiguous")
        self.ambiguous_bases += n

    def end_record(self) -> None:
        self.records += 1
        for flag in self._flags:
            self.counts[flag] += 1
        self._flags = set()

    def text(self) -> str | None:
        """One line of what was changed, or None."""
        said = [
            (n, what)
            for n, what in [
                (self.counts["lower"], "held lower-case bases (read as upper case)"),
                (self.counts["u"], "held U (read as T)"),
                (
                    self.counts["ambiguous"],
                    f"held N or other ambiguity codes ({self.ambiguous_bases:,} bases, read as unknown)",
                ),
            ]
            if n
        ]
        if not said:
            return None
        (n, what), *rest = said
        return f"{n:,} of {self.records:,} sequence(s) {what}" + "".join(f"; {m:,} {w}" for m, w in rest)

    def say(self, path) -> None:
        if (line := self.text()) is not None:
            import logging

            from dnalm.io.base import say_once

            say_once(logging.getLogger("dnalm.io"), logging.INFO, path, "%s: %s", path, line)


def reverse_complement(seq: str) -> str:
    """Reverse complement of an upper-case IUPAC sequence (``R``<->``Y``, ``K``<->``M``...).

    >>> reverse_complement("ACCGTR")
    'YACGGT'

    Anything else (lower case, X, a gap) has no complement here: an error naming it and its position (it was
    passed through unchanged); :func:`normalize` first for raw text.
    """
    if not isinstance(seq, str):
        raise TypeError(f"reverse_complement takes a sequence (str); got {type(seq).__name__}")
    if bad := _NO_COMPLEMENT.search(seq):
        raise SequenceError(
            f"position {bad.start() + 1}: {bad.group()!r} has no complement (upper-case IUPAC codes only; normalize "
            "raw text first)",
            position=bad.start() + 1,
            char=bad.group(),
        )
    return seq.translate(_COMPLEMENT)[::-1]


def kmers(seq: str, k: int, stride: int = 1) -> list[str]:
    """Overlapping (``stride=1``) or strided k-mers of ``seq``, left to right.

    >>> kmers("ACGTAC", 4, stride=2)
    ['ACGT', 'GTAC']
    """
    if k < 1 or stride < 1:
        raise ValueError(f"k and stride must be >= 1; got k={k}, stride={stride}")
    return [seq[i : i + k] for i in range(0, len(seq) - k + 1, stride)]


def base_codes(data: bytes | np.ndarray) -> np.ndarray:
    """Map raw bytes to base codes A=0, C=1, G=2, T/U=3, anything else 4 (vectorised).

    >>> base_codes(b"ACgtN").tolist()
    [0, 1, 2, 3, 4]
    """
    buf = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes | bytearray) else data
    return CODE_LUT[buf]


def check_bytes(buf: np.ndarray) -> int:
    """Index of the first byte of ``buf`` that is not a nucleotide code, or -1."""
    bad = np.flatnonzero(~_VALID_LUT[buf])
    return int(bad[0]) if bad.size else -1


def kmers_to_sequence(tokens: list[str]) -> str:
    """Rebuild a sequence from overlapping k-mers; ValueError if they do not overlap.

    >>> kmers_to_sequence(["ACG", "CGT", "GTT"])
    'ACGTT'
    """
    if isinstance(tokens, str) or not tokens:
        raise ValueError(f"kmers_to_sequence takes a non-empty list of k-mers; got {tokens!r:.40}")
    k = len(tokens[0])
    for i in range(1, len(tokens)):
        prev, cur = tokens[i - 1], tokens[i]
        if len(cur) != k:
            raise ValueError(f"k-mer {i + 1} ({cur!r}) has length {len(cur)}, expected k={k}")
        if prev[1:] != cur[:-1]:
            raise ValueError(f"k-mers {i} and {i + 1} ({prev!r}, {cur!r}) do not overlap by k-1={k - 1} bases")
    return tokens[0] + "".join(t[-1] for t in tokens[1:])


def one_hot(seq: str) -> np.ndarray:
    """``(len, 4)`` one-hot of A, C, G, T (lower case and U read as :func:`normalize` reads them); N and the other
    ambiguity codes are all zero; anything else is refused (:class:`SequenceError`).

    >>> one_hot("AcN").tolist()
    [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    """
    codes = np.frombuffer(normalize(seq).encode("ascii"), dtype=np.uint8)
    return (codes[:, None] == np.frombuffer(BASES.encode(), dtype=np.uint8)[None, :]).astype(np.float64)


def gc_content(seq: str) -> float:
    """Fraction of G+C among the A/C/G/T bases of ``seq`` (N and other ambiguity codes ignored; a character that is
    no nucleotide code is refused, as :func:`normalize` refuses it).

    >>> gc_content("GGCCAATTNN")
    0.5
    """
    codes = base_codes(normalize(seq).encode("ascii"))
    known = codes < 4
    n = int(known.sum())
    return float(((codes == 1) | (codes == 2)).sum() / n) if n else 0.0


def dinucleotide_shuffle(seq: str, rng: np.random.Generator) -> str:
    """A random sequence with ``seq``'s first and last base and exactly its dinucleotide counts
    (Altschul & Erickson's Eulerian-walk shuffle: each base's outgoing steps are permuted, the
    last one kept, so the walk always finishes; as in DeepLIFT's reference shuffles).

    >>> from collections import Counter
    >>> s = "ACGTTGCAATTGCCGATNNACG"
    >>> t = dinucleotide_shuffle(s, np.random.default_rng(0))
    >>> pairs = lambda x: Counter(x[i : i + 2] for i in range(len(x) - 1))
    >>> t != s and pairs(t) == pairs(s) and (t[0], t[-1]) == (s[0], s[-1])
    True
    """
    codes = np.frombuffer(seq.encode("ascii"), dtype=np.uint8)
    if len(codes) < 3:
        return seq
    following = {int(c): np.flatnonzero(codes[:-1] == c) + 1 for c in np.unique(codes[:-1])}
    order = {}
    for c, nxt in following.items():
        perm = np.arange(len(nxt))
        perm[:-1] = rng.permutation(len(nxt) - 1)
        order[c] = nxt[perm]
    used = dict.fromkeys(order, 0)
    out = np.empty_like(codes)
    at = 0
    out[0] = codes[0]
    for j in range(1, len(codes)):
        c = int(codes[at])
        at = order[c][used[c]]
        used[c] += 1
        out[j] = codes[at]
    return out.tobytes().decode("ascii")
