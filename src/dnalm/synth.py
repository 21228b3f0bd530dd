"""Synthetic labelled DNA: the seed notebook's TATA-box set and general motif implants.

>>> recs = tata_dataset(n=10, length=30, seed=1)
>>> sorted(r.label for r in recs)
['0', '0', '0', '0', '0', '1', '1', '1', '1', '1']
>>> all(("TATAAA" in r.sequence) == (r.label == "1") for r in recs)
True
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnalm.io import Record
from dnalm.io.outputs import Output, claims
from dnalm.io.sequence import normalize, reverse_complement
from dnalm.settings import check_fields, check_keys, named, setting

log = logging.getLogger(__name__)

__all__ = [
    "BACKGROUNDS",
    "MotifSettings",
    "SynthSettings",
    "motif_dataset",
    "read_pwm",
    "synthesize",
    "tata_dataset",
    "write_splits",
]

_ALPHABET = np.frombuffer(b"ACGT", dtype=np.uint8)


#: ``uniform``: independent bases of a given GC content; ``genome``: an order-4 Markov chain of the five genomes
#: dnalm-cnn was pretrained on, both strands (``resources/genome_background.json``, made by
#: ``tools/genome_background.py``): their 5-mer composition (CpG depletion, A/T runs), so a motif stands in DNA-like
#: context.
BACKGROUNDS = ("uniform", "genome")


def _background(rng: np.random.Generator, n: int, length: int, gc: float, background: str = "uniform") -> np.ndarray:
    """``n`` x ``length`` base codes (0-3) of ``background``."""
    if background == "uniform":
        p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
        return rng.choice(4, size=(n, length), p=p).astype(np.uint8)
    order, start, cumulative = genome_chain()
    contexts = rng.choice(len(start), size=n, p=start)  # the first `order` bases, as often as the genomes hold them
    out = np.empty((n, max(length, order)), dtype=np.uint8)
    for j in range(order):
        out[:, j] = contexts // 4 ** (order - 1 - j) % 4
    draws = rng.random((n, max(length - order, 0)))
    for i in range(order, length):  # then each base from the `order` before it
        base = np.minimum((draws[:, i - order, None] > cumulative[contexts]).sum(axis=1), 3)
        out[:, i] = base
        contexts = (contexts * 4 + base) % len(start)
    return out[:, :length]


@functools.cache
def genome_chain() -> tuple[int, np.ndarray, np.ndarray]:
    """The genome background's (order, P(context) of its ``4**order`` contexts, cumulative P(next base | context))."""
    from importlib.resources import files

    data = json.loads(files("dnalm").joinpath("resources", "genome_background.json").read_text(encoding="utf-8"))
    counts = np.asarray(data["counts"], dtype=np.float64) + 0.5
    return int(data["order"]), counts.sum(axis=1) / counts.sum(), np.cumsum(counts / counts.sum(1, keepdims=True), 1)


def _to_str(codes: np.ndarray) -> str:
    return _ALPHABET[codes].tobytes().decode("ascii")


def read_pwm(path: str | Path) -> np.ndarray:
    """Read a position weight matrix: L rows of 4 numbers (A C G T, an optional header row),
    or JASPAR's 4 rows ``A [ ... ]``. Rows are normalised to probabilities."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"--pwm {path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"--pwm {path} is a folder; give a matrix file (L rows: A C G T)") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"--pwm {path}: not UTF-8 text ({err.reason} at byte {err.start + 1})") from None
    lines = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), start=1)]
    lines = [(n, ln) for n, ln in lines if ln and not ln.startswith((">", "#"))]
    if lines and lines[0][1].replace(" ", "").replace("\t", "").upper() == "ACGT":
        lines = lines[1:]
    if len(lines) == 4 and all(ln[0].upper() in "ACGT" for _, ln in lines):  # JASPAR: A [ ... ] a base a row
        matrix = _jaspar_rows(path, lines)
    else:
        matrix = np.array([_numbers(path, n, ln, 4) for n, ln in lines], dtype=float).reshape(-1, 4)
    return check_pwm(matrix, str(path))


def _numbers(path, lineno: int, text: str, expected: int | None) -> list[float]:
    """One line of a weight matrix as numbers; a word that is none, or (``expected``) another count, names the line."""
    values = []
    for word in text.replace("[", " ").replace("]", " ").split():
        try:
            values.append(float(word))
        except ValueError:
            raise ValueError(f"{path}:{lineno}: {word!r} is not a number (a PWM row: A C G T weights)") from None
    if expected is not None and len(values) != expected:
        raise ValueError(f"{path}:{lineno}: {len(values)} numbers; a PWM row holds {expected} (A C G T)")
    return values


def _jaspar_rows(path, lines: list[tuple[int, str]]) -> np.ndarray:
    """JASPAR's four rows (``A [ 3 0 ... ]``), each base once and all of one length, as L x 4."""
    rows: dict[str, tuple[int, list[float]]] = {}
    for lineno, text in lines:
        base = text[0].upper()
        if base in rows:
            raise ValueError(f"{path}:{lineno}: a second {base} row (line {rows[base][0]} is one); JASPAR has one each")
        rows[base] = (lineno, _numbers(path, lineno, text[1:], None))
    width = len(rows["A"][1])
    for base in "CGT":
        lineno, values = rows[base]
        if len(values) != width:
            raise ValueError(f"{path}:{lineno}: {len(values)} weights, where the A row holds {width}")
    return np.array([rows[b][1] for b in "ACGT"], dtype=float).T


def check_pwm(matrix, where: str = "pwm") -> np.ndarray:
    """``matrix`` as L rows of A/C/G/T probabilities (each row scaled to sum to 1), or one line saying why not."""
    try:
        matrix = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected L rows of 4 numbers (A C G T)") from None
    if matrix.size == 0:
        raise ValueError(f"{where}: no rows of numbers; expected L rows of 4 non-negative numbers (A C G T)")
    if matrix.ndim != 2 or matrix.shape[1] != 4:
        shape = " x ".join(map(str, matrix.shape))
        raise ValueError(f"{where}: expected L rows of 4 non-negative numbers (A C G T); got {shape} numbers")
    if not np.isfinite(matrix).all():
        row = int(np.argwhere(~np.isfinite(matrix))[0][0]) + 1
        raise ValueError(f"{where}: position {row} of the weight matrix is not a finite number (nan or inf)")
    if (matrix < 0).any():
        raise ValueError(f"{where}: expected L rows of 4 non-negative numbers (A C G T); a weight is negative")
    sums = matrix.sum(axis=1, keepdims=True)
    if (sums == 0).any():
        raise ValueError(f"{where}: a PWM row sums to zero")
    if not np.allclose(sums, 1.0, atol=1e-3):  # counts (JASPAR's), or a slip: said, as every change is
        log.info(
            "%s: rows sum to %s, not 1: read as counts and scaled to probabilities",
            where,
            f"{sums.min():g}" if np.ptp(sums) == 0 else f"{sums.min():g} to {sums.max():g}",
        )
    probs = matrix / sums
    with np.errstate(divide="ignore", invalid="ignore"):
        bits = float((2 + np.where(probs > 0, probs * np.log2(probs), 0).sum(axis=1)).sum())
    if bits < 1.0:  # a uniform matrix: the sequences that hold the motif are those that do not
        log.warning(
            "%s: the motif carries %.2f bits of information over its %d position%s (less than one base's worth): "
            "sequences with it can hardly be told from sequences without",
            where,
            bits,
            len(probs),
            "s" * (len(probs) != 1),
        )
    return probs


_MAX_REDRAWS = 10_000  # draws of one negative before a motif that nearly every sequence holds is refused


def motif_dataset(
    n: int = 1000,
    length: int = 100,
    *,
    motif: str | None = None,
    pwm: np.ndarray | None = None,
    rate: float = 0.5,
    gc: float | None = None,
    seed: int = 0,
    background: str = "uniform",
) -> list[Record]:
    """Random sequences, a fraction ``rate`` with a motif implanted at a random position (label "1").

    ``background`` (:data:`BACKGROUNDS`): ``uniform``, independent bases of GC content ``gc`` (0.5 if None), or
    ``genome``, an order-4 Markov chain of five genomes (their own GC content; ``gc`` is then refused).

    With a consensus ``motif``, negatives (label "0") are guaranteed to contain it on
    neither strand (they are redrawn until they do not). With a ``pwm``, each positive
    gets a fresh sample of the matrix and negatives are plain background (a PWM has no
    exact absence to guarantee).
    """
    from dnalm.settings import check_count

    check_count(n, "n (--n)")
    check_count(length, "length (--length)")
    check_count(seed, "seed (--seed)", minimum=0)
    if (motif is None) == (pwm is None):
        raise ValueError("give exactly one of motif (--motif) or pwm (--pwm)")
    if pwm is not None:
        pwm = check_pwm(pwm)
    if background not in BACKGROUNDS:
        raise ValueError(f"background (--background) must be one of {', '.join(BACKGROUNDS)}; got {background!r}")
    if background == "genome" and gc is not None:
        raise ValueError(
            f"gc (--gc) {gc} sets the uniform background's GC content; the genome background has its genomes' own "
            f"(leave {named('gc')} out, or give {named('background')} uniform)"
        )
    gc = 0.5 if gc is None else gc
    if not 0 <= rate <= 1 or not 0 < gc < 1:
        raise ValueError(f"rate must be in [0, 1] and gc in (0, 1); got rate={rate}, gc={gc}")
    width = len(motif) if motif is not None else pwm.shape[0]
    if width < 1:
        raise ValueError("the motif is empty: give at least one base")
    if motif is not None:
        motif = normalize(motif, record="motif")
        if set(motif) - set("ACGT"):
            raise ValueError(
                f"motif {motif!r} must be A/C/G/T only (give a PWM file, {named('pwm')}, for a degenerate motif)"
            )
    if width > length:
        raise ValueError(f"motif width {width} is longer than the sequences (length, --length: {length})")
    rng = np.random.default_rng(seed)
    n_pos = int(round(n * rate))
    seqs = _background(rng, n, length, gc, background)
    starts = rng.integers(0, length - width + 1, size=n_pos)
    if motif is not None:
        seqs[np.arange(n_pos)[:, None], starts[:, None] + np.arange(width)] = np.frombuffer(
            motif.translate(str.maketrans("ACGT", "\0\1\2\3")).encode(), dtype=np.uint8
        )
    else:
        cum = pwm.cumsum(axis=1)
        draws = (rng.random((n_pos, width, 1)) > cum[None, :, :]).sum(axis=2).astype(np.uint8)
        seqs[np.arange(n_pos)[:, None], starts[:, None] + np.arange(width)] = np.minimum(draws, 3)
    texts = [_to_str(row) for row in seqs]
    if motif is not None:  # redraw negatives until neither strand holds the motif
        _redraw_negatives(
            texts, range(n_pos, n), motif, lambda k: _background(rng, k, length, gc, background), background
        )
    order = rng.permutation(n)
    return [Record(f"synth_{j}", texts[i], "1" if i < n_pos else "0") for j, i in enumerate(order)]


def _redraw_negatives(texts: list[str], negatives, motif: str, draw, background: str) -> None:
    """Redraw (``draw(k)``: k fresh backgrounds) each of ``texts[negatives]`` that holds ``motif`` on either strand
    until none does, at most ``_MAX_REDRAWS`` tries each. The uniform background one record at a time, as ever (a
    seed gives the sets it gave before); the genome background's chain is drawn base by base, so all at once."""
    rc = reverse_complement(motif)
    todo = [i for i in negatives if motif in texts[i] or rc in texts[i]]
    groups = [[i] for i in todo] if background == "uniform" else [todo]
    for group in groups:
        for _ in range(_MAX_REDRAWS):
            if not group:
                break
            for i, row in zip(group, draw(len(group))):
                texts[i] = _to_str(row)
            group = [i for i in group if motif in texts[i] or rc in texts[i]]
        else:
            raise ValueError(
                f"motif {motif!r} occurs in nearly every random {len(texts[0])}-base sequence, so negatives without "
                f"it cannot be drawn ({_MAX_REDRAWS:,} tries for one); give a longer motif or shorter sequences"
            )


def tata_dataset(n: int = 1000, length: int = 100, seed: int = 0, background: str = "uniform") -> list[Record]:
    """The seed notebook's set: half with ``TATAAA`` (label 1), half with it on neither strand (``background``: see
    :func:`motif_dataset`)."""
    return motif_dataset(n, length, motif="TATAAA", rate=0.5, seed=seed, background=background)


@claims("synth", lambda a: {"outputs": [Output(a["output"], "synth", atomic=True)], "overwrite": a["overwrite"]})
def write_splits(
    records: list[Record],
    output: str | Path,
    *,
    dev_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    overwrite: bool = False,
) -> dict[str, int]:
    """Stratified ``train.csv``, ``dev.csv`` and ``test.csv`` in the folder ``output`` (each replacing a file of
    that name, so no split of an earlier data set is left behind); returns the counts."""
    from dnalm.finetune.data import stratified_split
    from dnalm.io import write_table

    records = [records] if isinstance(records, str | bytes) else list(records)
    if not all(isinstance(r, Record) for r in records):
        bad = next(r for r in records if not isinstance(r, Record))
        raise TypeError(  # a string failed on its missing .label
            f"records must be a list of labelled Records (dnalm.io.Record(id, sequence, label=...)); got "
            f"{type(bad).__name__}"
        )
    if not (dev_fraction > 0 and test_fraction > 0 and dev_fraction + test_fraction < 1):
        raise ValueError(
            f"--dev-fraction {dev_fraction} and --test-fraction {test_fraction} must be > 0 and "
            "leave some training data (sum < 1)"
        )
    try:
        rest, test = stratified_split(records, test_fraction, seed=seed)
        train, dev = stratified_split(rest, dev_fraction / (1 - test_fraction), seed=seed)
    except ValueError:  # its message names fine-tuning's option (--val-fraction), which synth does not have
        raise ValueError(
            f"{len(records)} sequences are too few for train, dev and test splits with --dev-fraction {dev_fraction} "
            f"and --test-fraction {test_fraction} (each class needs a record on every side); give a larger --n"
        ) from None
    sides = {"train": train, "dev": dev, "test": test}
    for label in sorted({r.label for r in records}, key=str):  # a class of one record was in train alone
        if missing := [name for name, part in sides.items() if not any(r.label == label for r in part)]:
            count = sum(r.label == label for r in records)
            raise ValueError(
                f"class {label!r} has {count} of the {len(records)} sequences, none for {' or '.join(missing)}: each "
                "class needs a record in train, dev and test; give a larger --n (or, for synth motif, a --rate "
                "nearer 0.5)"
            )
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    return {
        name: write_table(part, output / f"{name}.csv")
        for name, part in (("train", train), ("dev", dev), ("test", test))
    }


@dataclass
class SynthSettings:
    """``dnalm synth tata``: how many sequences, how long, and how they are split."""

    n: int = setting(1000, "Sequences in all.", ge=3, le=100_000_000)
    length: int = setting(100, "Bases per sequence.", ge=1, le=100_000_000)
    seed: int = setting(0, "Seed of the sequences and the split.", ge=0, lt=2**32)
    background: str = setting(
        "uniform",
        "uniform (independent bases) or genome (an order-4 Markov chain of five genomes: DNA-like 5-mer composition).",
        choices=BACKGROUNDS,
    )
    dev_fraction: float = setting(0.15, "Stratified fraction of all sequences written to dev.csv.", gt=0, lt=1)
    test_fraction: float = setting(
        0.15, "Stratified fraction of all sequences written to test.csv (read once, at the end).", gt=0, lt=1
    )

    def __post_init__(self):
        check_fields(self)
        if self.n * self.length > 1_000_000_000:  # it is held in memory: 1e9 n x length raised a bare MemoryError
            raise ValueError(
                f"n (--n) x length (--length) is {self.n * self.length:,} bases; synth writes at most 1,000,000,000"
            )


@dataclass
class MotifSettings(SynthSettings):
    """``dnalm synth motif``: a consensus motif or a PWM implanted into random background."""

    motif: str | None = setting(None, "Consensus motif (A/C/G/T).")
    pwm: Path | None = setting(None, "Position weight matrix file (L rows: A C G T).")
    rate: float = setting(0.5, "Fraction of sequences with the motif (label 1).", ge=0, le=1)
    gc: float | None = setting(None, "GC content of the uniform background.", gt=0, lt=1, shown_default="0.5")


@claims(
    "synth",
    lambda a: {
        "inputs": [a["settings"].get("pwm")],
        "outputs": [Output(a["output"], "synth", atomic=True)],
        "overwrite": a["overwrite"],
    },
)
def synthesize(kind: str, output: str | Path, *, overwrite: bool = False, **settings) -> str:
    """Write a ``tata`` or ``motif`` data set as train/dev/test CSV into ``output``; returns what is printed."""
    if kind not in ("tata", "motif"):  # any other word wrote the TATA set
        raise ValueError(f"kind must be 'tata' or 'motif'; got {kind!r}")
    cls = MotifSettings if kind == "motif" else SynthSettings
    check_keys(settings, [f.name for f in dataclasses.fields(cls)], f"synth {kind} setting")
    s = cls(**settings)
    if kind == "motif":
        pwm = read_pwm(s.pwm) if s.pwm else None
        records = motif_dataset(
            s.n, s.length, motif=s.motif, pwm=pwm, rate=s.rate, gc=s.gc, seed=s.seed, background=s.background
        )
        if len({r.label for r in records}) < 2:  # a "labelled" set of one class trains nothing
            raise ValueError(
                f"rate (--rate) {s.rate} gives {len(records)} sequences of one class only; choose a rate that leaves "
                "both classes (0 < n x rate < n)"
            )
    else:
        records = tata_dataset(s.n, s.length, seed=s.seed, background=s.background)
    n = write_splits(records, output, dev_fraction=s.dev_fraction, test_fraction=s.test_fraction, seed=s.seed)
    positives = sum(r.label == "1" for r in records)  # n x rate, rounded: said, as it is no longer the rate asked
    return (
        f"wrote {n['train']} train + {n['dev']} dev + {n['test']} test sequences ({positives} with the motif, label 1) "
        f"to {output}/train.csv, dev.csv, test.csv"
    )
