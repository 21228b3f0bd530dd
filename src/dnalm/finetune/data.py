"""Records -> labelled, tokenized ``datasets.Dataset``; train/validation/test splits.

Validation is the data's ``dev`` split when it has one, else a seeded stratified part of
``train``. The ``test`` split is never read by training.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnalm.io import Record, find_splits, read_labeled_fasta, read_sequences
from dnalm.io.table import LABEL_COLUMNS, table_columns
from dnalm.tasks import DEFAULT_TASK, IGNORE_INDEX, Task, get_task

__all__ = ["LabelSpace", "TokenizedDataset", "data_digest", "load_splits", "stratified_split", "to_dataset"]

log = logging.getLogger(__name__)


@dataclass
class LabelSpace:
    """How text labels become model targets: the label names, and the task that encodes them.

    ``scale`` (numeric tasks trained with ``standardise``): the training labels' mean and standard deviation;
    targets are encoded as ``(value - mean) / sd``, so a model whose output starts near 0 +- 1 learns labels of
    any scale, and ``unscale`` turns outputs back into label units.

    >>> space = LabelSpace.from_records([Record("a", "A", "promoter"), Record("b", "C", "other")])
    >>> space.names, space.encode("promoter")
    (['other', 'promoter'], 1)
    >>> records = [Record("a", "A", "10"), Record("b", "C", "30")]
    >>> space = LabelSpace.from_records(records, "regression", standardise=True)
    >>> space.scale, space.encode("30"), float(space.unscale(np.array([1.0]))[0])
    ((20.0, 10.0), 1.0, 30.0)
    """

    problem_type: str = DEFAULT_TASK
    names: tuple[str, ...] | list[str] = ()
    scale: tuple[float, float] | None = None

    @classmethod
    def from_records(
        cls, records: list[Record], problem_type: str = DEFAULT_TASK, *, standardise: bool = False
    ) -> LabelSpace:
        check_labelled(records)
        task = get_task(problem_type)
        space = cls(problem_type, task.label_names(records))
        if standardise and task.standardises and records:
            values = np.concatenate([np.ravel(space.encode(r.label, r)) for r in records]).astype(np.float64)
            sd = float(values.std()) if len(values) else 0.0
            space.scale = (float(values.mean()) if len(values) else 0.0, sd if sd > 0 else 1.0)
            if sd == 0 and len(values) > 1:  # it trained without a word
                log.warning("every training target is %.6g: there is nothing to learn but that value", values[0])
            _say_far_targets(values, records)
        return space

    @property
    def task(self) -> Task:
        return get_task(self.problem_type)

    @property
    def num_labels(self) -> int:
        return len(self.names)

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))

    def encode(self, label: str, record="?"):  # record: a Record (named by file and line) or an id
        value = self.task.encode(self.names, label, record)
        if self.scale is None:
            return value
        mean, sd = self.scale
        return [(v - mean) / sd for v in value] if isinstance(value, list) else (value - mean) / sd

    def unscale(self, values: np.ndarray, *, keep: np.ndarray | None = None) -> np.ndarray:
        """Outputs (or targets) back in label units; ``keep``: where values are real (not padding)."""
        if self.scale is None:
            return values
        mean, sd = self.scale
        scaled = np.asarray(values, dtype=np.float64) * sd + mean
        return scaled if keep is None else np.where(keep, scaled, values)


def _say_far_targets(values: np.ndarray, records: list[Record]) -> None:
    """Say a training target far outside the rest (1e29 among values near 1: a unit or a typo): the targets are
    standardised by their mean and sd, so it alone sets the scale and the loss (mse 7.9e55, r2 0, exit 0)."""
    if len(values) < 3 or len(values) != len(records):  # (per-base signal is mostly background beside its peaks)
        return
    median = float(np.median(values))
    spread = 1.4826 * float(np.median(np.abs(values - median)))  # a robust sd: the far value does not set it
    if spread <= 0:
        return
    i = int(np.argmax(np.abs(values - median)))
    far = abs(values[i] - median) / spread
    if far > 1e5:  # (1 to 1e7 spread evenly on a log scale is 1e3 from it: not said)
        log.warning(
            "training target %.6g (%s) is %.3g robust standard deviations from the median %.6g: a unit or a typo "
            "(or values to log-transform)? it alone sets the scale of the standardised targets and dominates the loss",
            values[i],
            records[i].where,
            far,
            median,
        )


def load_splits(
    data: str | Path | None,
    *,
    classes: dict[str, str] | None = None,
    val_fraction: float = 0.1,
    seed: int = 42,
    sequence_column: str | None = None,
    label_column: str | None = None,
    want_test: bool = False,
    stratify: bool = True,
) -> tuple[dict[str, list[Record]], str]:
    """Read ``train`` and ``dev`` (and ``test`` if ``want_test``); returns the splits and a note on
    where validation came from. Without a dev split, validation is a seeded part of train,
    stratified by label when ``stratify`` (``Task.stratify``: single-label classification)."""
    kw = {"sequence_column": sequence_column, "label_column": label_column}
    if classes:
        records = list(read_labeled_fasta(classes, data, **kw))
        _say_shared_sequences(records)
        splits = {"train": records}
    elif data is not None and Path(data).is_dir():
        available = find_splits(data)
        if "train" not in available:
            raise ValueError(f"{data}: no train split (found {sorted(available)})")
        wanted = ["train", "dev"] + (["test"] if want_test else [])
        splits = {s: list(read_sequences(data, split=s, **kw)) for s in wanted if s in available}
    elif data is not None:
        splits = {"train": list(read_sequences(data, **kw))}
    else:
        raise ValueError("give a data file/folder or --class LABEL=FASTA pairs")
    if "dev" in splits:
        return splits, DEV_SPLIT_NOTE
    check_labelled(splits["train"])  # training data: named before a split of it is judged too small
    train, dev = stratified_split(splits["train"], val_fraction, seed=seed, stratify=stratify)
    splits["train"], splits["dev"] = train, dev
    how = "a stratified" if stratify else "a random"
    share = len(dev) / (len(train) + len(dev))
    held = (  # 50 classes of 6: 17% were held out under "10%", as each class keeps one record on either side
        f" ({len(dev):,} of {len(train) + len(dev):,}, {share:.0%}: each class keeps a record on both sides)"
        if abs(share - val_fraction) > 0.01
        else ""
    )
    return splits, f"validation = {how} {val_fraction:.0%} of train{held} (seed {seed}); no dev split in the data"


def _say_shared_sequences(records: list[Record]) -> None:
    """A sequence in the FASTA of two classes (a copied file, an overlap) is said with its count: it trained under
    both labels without a word, and validation carved out of them repeated training sequences."""
    first: dict[str, Record] = {}
    shared = []
    for r in records:
        other = first.setdefault(r.sequence, r)
        if other.label != r.label:
            shared.append((other, r))
    if shared:
        a, b = shared[0]
        log.warning(
            "%d sequence(s) are in the FASTA files of two classes (the first: %s of %s is %s of %s): they are "
            "trained under both labels; `dnalm audit` lists such conflicts",
            len(shared),
            a.id,
            a.label,
            b.id,
            b.label,
        )


#: What :func:`load_splits` says when the data's own dev split is the validation split.
DEV_SPLIT_NOTE = "validation = the data's dev split"


def check_labelled(records: list[Record]) -> None:
    """Refuse training data with a record that has no label, naming it and the columns its file has."""
    missing = next((r for r in records if r.label is None or r.label == ""), None)
    if missing is not None:
        columns = table_columns(missing.path) if missing.path else None
        found = f" ({missing.path} has the columns {columns})" if columns else ""
        raise ValueError(
            f"{missing.where} has no label; training data needs a label column ({', '.join(LABEL_COLUMNS)}, or "
            f"--label-column){found}, or --class"
        )


class TokenizedDataset:
    """Tokenized sequences held as one padded array: a batch is a slice, not a Python loop.

    ``__getitems__`` (used by ``torch.utils.data.DataLoader``) returns a whole batch already
    padded to its longest member, so the collator has nothing left to do; ``__getitem__``
    returns one example as lists, as a ``datasets.Dataset`` row would be.

    >>> from dnalm.tokenizers.dna import BaseTokenizer
    >>> ds, n_truncated = to_dataset([Record("a", "ACGT", "x"), Record("b", "AC", "y")], BaseTokenizer(),
    ...                              LabelSpace("single_label_classification", ["x", "y"]), max_length=16)
    >>> batch = ds.__getitems__([1])
    >>> batch["input_ids"].tolist(), batch["labels"].tolist()
    ([[2, 5, 6, 3]], [1])
    """

    def __init__(
        self,
        input_ids: np.ndarray,
        lengths: np.ndarray,
        labels: np.ndarray | None,
        pad_token_id: int,
        label_lengths: np.ndarray | None = None,
    ):
        self.input_ids, self.lengths, self.labels = input_ids, lengths, labels
        self.pad_token_id, self.label_lengths = pad_token_id, label_lengths

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def column_names(self) -> list[str]:
        return ["input_ids", "attention_mask"] + (["labels"] if self.labels is not None else [])

    def __getitem__(self, i: int) -> dict:
        n = int(self.lengths[i])
        row = {"input_ids": self.input_ids[i, :n].tolist(), "attention_mask": [1] * n}
        if self.labels is not None:
            y = self.labels[i]
            row["labels"] = y[: self.label_lengths[i]].tolist() if self.label_lengths is not None else y.tolist()
        return row

    def __getitems__(self, indices) -> dict:
        import torch

        idx = np.asarray(indices)
        width = int(self.lengths[idx].max())
        batch = {
            "input_ids": torch.from_numpy(self.input_ids[idx, :width]),
            "attention_mask": torch.from_numpy((np.arange(width)[None, :] < self.lengths[idx, None]).astype(np.int64)),
        }
        if self.labels is not None:
            y = self.labels[idx]
            if self.label_lengths is not None:
                y = y[:, : int(self.label_lengths[idx].max())]
            batch["labels"] = torch.from_numpy(y)
        return batch


def to_dataset(records: list[Record], tokenizer, labels: LabelSpace | None, max_length: int):
    """Tokenize (truncating at ``max_length``, counted) into a ``TokenizedDataset``.

    Returns ``(dataset, n_truncated)``.
    """
    seqs = [r.sequence for r in records]
    lengths = np.asarray(tokenizer(seqs, return_length=True)["length"])
    n_truncated = int((lengths > max_length).sum())
    enc = tokenizer(seqs, truncation=True, max_length=max_length, padding=True, return_tensors="np")
    ids = np.asarray(enc["input_ids"], dtype=np.int64)
    kept = np.asarray(enc["attention_mask"]).sum(axis=1).astype(np.int64)
    targets = label_lengths = None
    if labels is not None:
        task = labels.task
        encoded = [labels.encode(r.label, r) for r in records]
        if task.per_base:
            encoded = _per_base_targets(records, encoded, tokenizer, max_length)
            label_lengths = np.asarray([len(y) for y in encoded], dtype=np.int64)
            targets = np.full((len(encoded), max(label_lengths.max(), 1)), IGNORE_INDEX, dtype=task.target_dtype)
            for i, y in enumerate(encoded):
                targets[i, : len(y)] = y
        else:
            targets = np.asarray(encoded, dtype=task.target_dtype)
    return TokenizedDataset(ids, kept, targets, tokenizer.pad_token_id, label_lengths), n_truncated


def _per_base_targets(records: list[Record], targets: list[list], tokenizer, max_length: int) -> list:
    """Check one label per base and cut labels to the bases a truncated input still covers."""
    from dnalm.models.windows import window_bases

    keep = window_bases(tokenizer, max_length)
    check_per_base_lengths(records, targets, "leave out --problem-type for one label per sequence")
    return [y[:keep] for y in targets]


def check_per_base_lengths(records: list[Record], targets: list, instead: str) -> None:
    """One label per base of every record, else one line naming the first record that differs; where every record
    has a single label, it says these are labels of whole sequences, and what to do ``instead``."""
    for rec, y in zip(records, targets):
        if len(y) != len(rec.sequence):
            whole = all(len(t) == 1 for t in targets)
            raise ValueError(
                f"{rec.where}: {len(y)} per-base label{'s' * (len(y) != 1)} for a {len(rec.sequence)}-base sequence"
                + (
                    "; every record has a single label, as a whole sequence has, and a per-base task needs one "
                    f"label per base ({instead})"
                    if whole
                    else ""
                )
            )


def stratified_split(
    records: list[Record], fraction: float = 0.2, seed: int = 0, *, stratify: bool = True
) -> tuple[list[Record], list[Record]]:
    """Seeded split keeping the label proportions (``stratify=False``: a plain random split);
    returns (kept, held_out), each in input order.

    >>> from dnalm.synth import tata_dataset
    >>> recs = tata_dataset(n=100, length=20, seed=0)
    >>> train, dev = stratified_split(recs, 0.2, seed=0)
    >>> len(train), len(dev), sum(r.label == "1" for r in dev)
    (80, 20, 10)
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1); got {fraction}")
    rng = np.random.default_rng(seed)
    labels = np.array([(r.label or "") if stratify else "" for r in records])
    held: list[int] = []
    values = sorted(set(labels.tolist()))
    for value in values:
        idx = np.flatnonzero(labels == value)
        rng.shuffle(idx)
        n = int(np.floor(len(idx) * fraction + 0.5))
        if len(idx) >= 2:  # a class of two records or more is on both sides (3 of 300 had none to validate on)
            n = min(max(n, 1), len(idx) - 1)
        held.extend(idx[:n].tolist())
    if not held or len(held) == len(records):
        many = stratify and len(values) > len(records) / 2
        raise ValueError(
            f"a {fraction:.1%} validation split (val_fraction, a setting of a --config file) of {len(records)} records leaves one "
            "side empty"
            + (
                f": the labels hold {len(values)} distinct values, one record each or so; for a number per sequence use "
                "--problem-type regression"
                if many
                else "; give a dev split, or another fraction"
            )
        )
    held_set = set(held)
    kept = [r for i, r in enumerate(records) if i not in held_set]
    return kept, [records[i] for i in sorted(held_set)]


_DIGESTS: dict[tuple, str] = {}  # per process: (files, sizes, mtimes) -> digest of their bytes


def data_digest(path: str | Path) -> str:
    """SHA-256 of a dataset's split files (names and bytes), or of a single data file.

    Files other than the train/dev/test splits (a README) do not count. Computed once per process
    while the files' sizes and modification times stay the same.
    """
    path = Path(path)
    if path.is_dir():
        files = []
        for split, p in sorted(find_splits(path).items()):
            found = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
            files += [(f"{split}:{f.relative_to(path).as_posix()}", f) for f in found]
    else:
        files = [(path.name, path)]
    stamp = tuple((name, f.stat().st_size, f.stat().st_mtime_ns) for name, f in files)
    key = (str(path.resolve()), stamp)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        for name, f in files:
            h.update(f"{name}\0{f.stat().st_size}\0".encode())
            with open(f, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]
