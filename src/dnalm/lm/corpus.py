"""Pretraining corpora from genomes: N runs dropped, random-length segments, validation by region.

Each record is cut into blocks of ``block_size`` bases; a seeded draw sends each block to
validation with probability ``val_fraction`` (at least one block when there are two or more),
so no validation base is also a training base. Within a block, every run of A/C/G/T between
N's is tiled by consecutive segments of random length in [min_length, max_length]; a tail
shorter than ``min_length`` is dropped and counted. Segments stream into an Arrow
``datasets.DatasetDict`` on disk (``train``/``validation``), memory-mapped when read back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnalm.io import read_sequences
from dnalm.io.base import check_each_once
from dnalm.io.files import write_json
from dnalm.io.outputs import Output, claims
from dnalm.io.sequence import reverse_complement
from dnalm.settings import check_fields, named, setting, settings_from

__all__ = ["CorpusSettings", "build_corpus", "corpus_splits", "describe", "load_corpus"]

log = logging.getLogger(__name__)

_ACGT_RUN = re.compile(r"[ACGT]+")


def _segments(seq: str, rng: np.random.Generator, min_length: int, max_length: int, stats: dict) -> Iterator[str]:
    stats["ambiguous_dropped"] += len(seq) - sum(len(m) for m in _ACGT_RUN.findall(seq))
    for match in _ACGT_RUN.finditer(seq):
        run, pos = match.group(), 0
        while len(run) - pos >= min_length:
            size = int(rng.integers(min_length, max_length + 1))
            piece = run[pos : pos + size]
            pos += len(piece)
            yield piece
        stats["short_tail_dropped"] += len(run) - pos


def _check_settings(fastas, min_length: int, max_length: int, val_fraction: float) -> None:
    if not 0 < min_length <= max_length:
        raise ValueError(f"need 0 < min_length <= max_length; got {min_length}, {max_length}")
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1); got {val_fraction}")
    if not fastas:
        raise ValueError("build_corpus needs at least one FASTA file")
    check_each_once(fastas, "FASTA file")  # its segments would be in train and validation both
    for path in fastas:  # checked here: inside the datasets generator an error would surface late and wrapped
        if not Path(path).exists() or Path(path).is_dir():  # a pipe is read
            raise FileNotFoundError(
                f"{path}: " + ("a folder, not a FASTA file" if Path(path).is_dir() else "no such FASTA file")
            )


def _rows(split: str, *, fastas, stats: dict, counts: dict, settings: dict, progress: bool) -> Iterator[dict]:
    """One streaming pass over the FASTA files; block assignment and segment lengths are
    seeded per record and block, so the train and validation passes agree. A record's blocks are assigned from its
    sequence (a hash of it), so one sequence given twice (a genome as .fa and .fa.gz, a renamed copy) has its blocks
    on the same side of the split: they were assigned by the record's place, and every validation block of a genome
    given twice was in train too."""
    from dnalm.runtime.progress import track

    seed, block_size, val_fraction = settings["seed"], settings["block_size"], settings["val_fraction"]
    index, seen = 0, {}
    for path in fastas:
        records = read_sequences(path)
        # a bar on a terminal only, none with --quiet (dnalm.runtime.progress)
        for rec in track(records, f"{Path(path).name} [{split}]", log_every=None) if progress else records:
            if split == "train":
                counts["records"] += 1
            key = int.from_bytes(hashlib.sha1(rec.sequence.encode()).digest()[:8], "little")
            if split == "train" and seen.setdefault(key, (path, rec.id)) != (path, rec.id):
                log.warning(
                    "%s: record %r is the same sequence as %r of %s: the corpus holds it twice (on one side of the "
                    "validation split)",
                    path,
                    rec.id,
                    seen[key][1],
                    seen[key][0],
                )
            starts = range(0, len(rec.sequence), block_size)
            is_val = np.random.default_rng([seed, key]).random(len(starts)) < val_fraction
            if val_fraction > 0 and len(starts) > 1 and not is_val.any():
                is_val[np.random.default_rng([seed, key, 1]).integers(len(starts))] = True
            for b, (start, val) in enumerate(zip(starts, is_val.tolist())):
                if val != (split == "validation"):
                    continue
                yield from _block_rows(
                    rec.sequence[start : start + block_size], [seed, index, b, 2], stats[split], settings
                )
            index += 1


def _block_rows(block: str, rng_seed: list, st: dict, settings: dict) -> Iterator[dict]:
    st["blocks"] += 1
    seg_rng = np.random.default_rng(rng_seed)
    for piece in _segments(block, seg_rng, settings["min_length"], settings["max_length"], st):
        for text in (piece, reverse_complement(piece)) if settings["add_reverse_complement"] else (piece,):
            st["segments"] += 1
            st["bases"] += len(text)
            st["gc"] += text.count("G") + text.count("C")
            yield {"sequence": text}


def _build_split(split: str, generate, cache: Path, stats: dict, counts: dict, settings: dict):
    """The split's ``Dataset``; an empty one is an error that says where the bases went."""
    from datasets import Dataset, Features, Value
    from datasets.exceptions import DatasetGenerationError

    part = None
    try:
        part = Dataset.from_generator(
            generate,
            gen_kwargs={"split": split},
            cache_dir=str(cache),
            features=Features({"sequence": Value("string")}),
        )
    except DatasetGenerationError as err:  # wraps what generate raised: show dnalm's own message
        if isinstance(err.__cause__, (ValueError, OSError)):
            raise err.__cause__ from None
        raise
    except ValueError:  # datasets refuses an empty split ("corresponds to no data"); generate ran to the end
        if stats[split]["segments"]:
            raise
    if part is None or len(part) == 0:
        st = stats[split]
        blocks = f"{st['blocks']:,}" + (f" of {st['blocks'] + stats['train']['blocks']:,}" if split != "train" else "")
        raise ValueError(
            f"the {split} part of the corpus is empty: {counts['records']:,} record(s), {blocks} "
            f"block(s) of {settings['block_size']:,} bases, {st['ambiguous_dropped']:,} N/IUPAC bases dropped, "
            f"{st['short_tail_dropped']:,} bases in A/C/G/T runs shorter than {named('min_length')} {settings['min_length']}"
            + (
                f" (too few blocks for validation: use a smaller {named('block_size')})"
                if split == "validation"
                else ""
            )
            + (  # an all-N record of one block counted 0 dropped: its block was validation's
                f" (every block went to validation: use a smaller {named('val_fraction')} or {named('block_size')})"
                if split == "train" and not st["blocks"] and counts["records"]
                else ""
            )
        )
    return part


@dataclass
class CorpusSettings:
    """``dnalm corpus``: segment lengths, the validation share and blocks, strands, the seed."""

    min_length: int = setting(256, "Shortest segment in bases.", ge=1, le=10**9)
    max_length: int = setting(1024, "Longest segment in bases.", ge=1, le=10**9)
    val_fraction: float = setting(0.05, "Fraction of blocks held out for validation (0: none).", ge=0, lt=1)
    block_size: int = setting(100_000, "Bases per block assigned to train or validation.", ge=1, le=10**12)
    add_reverse_complement: bool = setting(False, "Add reverse complements.", flag="--reverse-complement")
    seed: int = setting(0, "Seed of the blocks' assignment and the segment lengths.", ge=0, lt=2**32)

    def __post_init__(self):
        check_fields(self)
        if self.min_length > self.max_length:
            raise ValueError(
                f"min_length (--min-length, {self.min_length}) must be <= max_length (--max-length, {self.max_length})"
            )
        if self.block_size < self.min_length:  # a segment never crosses a block: every base would be dropped
            raise ValueError(
                f"block_size (--block-size, {self.block_size}) must be at least min_length (--min-length, "
                f"{self.min_length}): segments are cut within a block"
            )
        if self.block_size < self.max_length:  # segments were silently no longer than a block
            raise ValueError(
                f"max_length (--max-length, {self.max_length}) is more than block_size (--block-size, "
                f"{self.block_size}): segments are cut within a block, so none would be longer than {self.block_size}"
            )


def _fasta_list(fastas) -> list:
    """The FASTA files of a corpus, as a list (one path given bare was read letter by letter: 'g: no such file')."""
    if isinstance(fastas, str | os.PathLike):
        raise TypeError(f"give a list of FASTA files, e.g. [{str(fastas)!r}], not one path")
    return list(fastas)


@claims(
    "corpus",
    lambda a: {
        "inputs": _fasta_list(a["fastas"]),
        "outputs": [Output(a["output"], "corpus", atomic=True)],
        "overwrite": a["overwrite"],
    },
)
def build_corpus(
    fastas: list[str | Path], output: str | Path, *, progress: bool = True, overwrite: bool = False, **settings
) -> dict:
    """Build ``output/`` (a ``DatasetDict`` with ``train`` and ``validation``) and ``output/summary.json``;
    ``settings`` are :class:`CorpusSettings`'."""
    from functools import partial

    from datasets import DatasetDict

    s = settings_from(CorpusSettings, settings, "build_corpus")
    _check_settings(fastas, s.min_length, s.max_length, s.val_fraction)
    output = Path(output)
    stats = {
        split: {"segments": 0, "bases": 0, "gc": 0, "ambiguous_dropped": 0, "short_tail_dropped": 0, "blocks": 0}
        for split in ("train", "validation")
    }
    counts = {"records": 0}
    settings = {**dataclasses.asdict(s), "reverse_complement": s.add_reverse_complement}
    val_fraction = s.val_fraction
    generate = partial(_rows, fastas=fastas, stats=stats, counts=counts, settings=settings, progress=progress)
    cache = output / ".cache"
    shutil.rmtree(cache, ignore_errors=True)  # a stale cache would be reused without running generate (no stats)
    try:
        splits = ("train", "validation") if val_fraction > 0 else ("train",)
        parts = {split: _build_split(split, generate, cache, stats, counts, settings) for split in splits}
        DatasetDict(parts).save_to_disk(str(output))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    for st in stats.values():
        st["gc_content"] = st.pop("gc") / st["bases"] if st["bases"] else 0.0
    settings.pop("add_reverse_complement")
    summary = {"fastas": [str(p) for p in fastas], "records": counts["records"], **settings, **stats}
    write_json(output / "summary.json", summary)
    return summary


@contextlib.contextmanager
def caches_apart():
    """Inside this, ``datasets`` writes what ``map`` and ``shuffle`` make to temporary files, not beside the
    corpus's own files (``cache-*.arrow`` in its split folders): a corpus is an input, and stays as it was."""
    import datasets

    was = datasets.is_caching_enabled()
    datasets.disable_caching()
    try:
        yield
    finally:
        if was:
            datasets.enable_caching()


def corpus_splits(corpus) -> list[str]:
    """The splits of a corpus (a folder from :func:`build_corpus`, or a ``DatasetDict``) that hold segments, read
    without loading it (a folder's ``dataset_dict.json``); [] where it is not a corpus folder (loading says why)."""
    if not isinstance(corpus, str | Path):
        return [name for name in corpus if len(corpus[name])]
    try:
        return list(json.loads((Path(corpus) / "dataset_dict.json").read_text(encoding="utf-8"))["splits"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def load_corpus(path: str | Path):
    """The ``DatasetDict`` written by :func:`build_corpus` (memory-mapped)."""
    from datasets import load_from_disk

    path = Path(path)
    if not (path / "dataset_dict.json").is_file():
        raise FileNotFoundError(f"{path}: not a corpus folder (no dataset_dict.json); build one with dnalm corpus")
    try:
        corpus = load_from_disk(str(path))
    except Exception as err:  # pyarrow's "Tried reading schema message, was null", json's "Expecting property name"
        raise ValueError(
            f"{_damaged_part(path)}: the corpus cannot be read ({' '.join(str(err).split())[:200]}); is "
            "it complete? build it again with dnalm corpus"
        ) from None
    if "train" not in corpus or not len(corpus["train"]):
        raise ValueError(f"{path}: the corpus has no training segments; build it again from more sequence")
    if "validation" in corpus and not len(corpus["validation"]):  # --val-fraction 0: nothing held out
        log.warning(
            "%s: the corpus holds out no validation segments (built with --val-fraction 0): nothing is scored", path
        )
        del corpus["validation"]
    return corpus


def _damaged_part(path: Path) -> Path:
    """The file or split folder of a corpus that cannot be read (the corpus folder where none can be named)."""
    import json

    from datasets import Dataset

    try:
        splits = json.loads((path / "dataset_dict.json").read_text(encoding="utf-8"))["splits"]
    except (OSError, ValueError, KeyError, TypeError):
        return path / "dataset_dict.json"
    for split in splits if isinstance(splits, list) else []:
        try:
            Dataset.load_from_disk(str(path / str(split)))
        except Exception:
            return path / str(split)
    return path


def describe(summary: dict, output: str | Path) -> str:
    """What ``dnalm corpus`` prints: each split's segments, bases, GC and what was dropped."""
    lines = [
        f"{split:<11}{st['segments']:>9,} segments {st['bases']:>13,} bases  GC {st['gc_content']:.3f}  "
        f"N/IUPAC dropped {st['ambiguous_dropped']:,}  short tails dropped {st['short_tail_dropped']:,}"
        for split, st in ((split, summary[split]) for split in ("train", "validation"))
    ]
    return "\n".join([*lines, f"wrote {output} (datasets on disk) and {output}/summary.json"])
