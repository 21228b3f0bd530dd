"""``evaluate`` (metrics, predictions, confusion matrix) and ``predict_file`` for saved models."""

from __future__ import annotations

import csv
import logging
import os
from collections import deque
from pathlib import Path

import numpy as np

from dnalm.apply.lengths import ShortInputs, require_labels
from dnalm.apply.predict import max_class, predict_per_base, shared_scores
from dnalm.finetune.data import LabelSpace, check_per_base_lengths, load_splits
from dnalm.io import read_labeled_fasta, read_sequences
from dnalm.io.base import RepeatedIds
from dnalm.io.datasets import SPLIT_ALIASES, check_no_columns, class_files
from dnalm.io.files import atomic_open, check_output_file, is_stream, write_json
from dnalm.io.outputs import Output, claims
from dnalm.io.regions import region_files
from dnalm.io.table import check_table_name, written_delimiter
from dnalm.models.ref import ModelRef
from dnalm.models.windows import informative_bases
from dnalm.plots import plot_confusion_matrix
from dnalm.runtime import distributed
from dnalm.runtime.hardware import keeps_random_state
from dnalm.runtime.progress import Progress
from dnalm.tasks import Task, task_of

__all__ = [
    "describe",
    "evaluate",
    "plot_confusion_matrix",
    "predict_file",
    "strand_average_default",
]

log = logging.getLogger(__name__)


@claims(
    "evaluate",
    lambda a: {
        "inputs": [a["model_path"], a["data"], *class_files(a["classes"])],
        "outputs": [Output(a["output"], "evaluation", atomic=True)],
        "overwrite": a["overwrite"],
    },
)
@keeps_random_state  # (untrained=True seeds torch to build the model)
def evaluate(
    model_path: str | ModelRef,
    data: str | Path | None,
    output: str | Path,
    *,
    split: str = "test",
    classes: dict[str, str] | None = None,
    batch_size: int = 64,
    reverse_complement_average: bool | None = None,
    untrained: bool = False,
    seed: int = 42,
    problem_type: str = "single_label_classification",
    trust_remote_code: bool = False,
    sequence_column: str | None = None,
    label_column: str | None = None,
    overwrite: bool = False,
) -> dict:
    """Score ``model_path`` on one split and write ``metrics.json``, ``predictions.csv`` and
    ``confusion_matrix.png`` to ``output``.

    ``reverse_complement_average=None`` averages both strands when the model folder says it was
    trained for it (``dnalm_reverse_complement_average`` in its config). With ``untrained=True`` the model is built with a freshly initialised head (labels taken
    from the data's training split): the "before fine-tuning" baseline. Unlabelled data is refused (naming
    the label column expected); sequences much shorter than the model was fine-tuned on are counted and warned about.
    """
    from dnalm.apply.settings import EvaluateSettings
    from dnalm.settings import checked

    s = checked(EvaluateSettings, **locals())  # the values as checked: 64.0 is 64, np.int64(8) is 8
    batch_size, seed = s.batch_size, s.seed
    if data is None and not classes:
        raise ValueError("give DATA (a labelled file or split folder) or --class LABEL=FASTA")
    ref = ModelRef.resolve(model_path, trust_remote_code)
    if untrained and ref.has_trained_classifier:  # its trained head would be loaded and reported as untrained
        raise ValueError(
            f"{ref}: --untrained scores a pretrained model through a fresh random head, as a baseline; this model "
            "already has a trained classifier: evaluate it without --untrained"
        )
    distributed.start()
    output = Path(output)
    if distributed.is_main():
        output.mkdir(parents=True, exist_ok=True)
    columns = {"sequence_column": sequence_column, "label_column": label_column}
    records, recorded_split = _records(data, split, classes, columns)
    require_labels(records, data, label_column)
    if distributed.is_main() and recorded_split is not None:
        _warn_leakage(data, recorded_split, records, columns)
    model, tok = _model(ref, data, classes, records, untrained, seed, columns, problem_type)
    task = task_of(model)
    reverse_complement_average = strand_average_default(model, reverse_complement_average)
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    space = LabelSpace(task.name, names)
    y = [space.encode(r.label, r) for r in records]
    _warn_classes_for_values(task, y, ref)
    info = _recorded(ref, data, classes, split=recorded_split, untrained=untrained)
    if task.per_base:
        if not distributed.is_main():  # per-base models are evaluated by the main process alone
            return {}
        return _evaluate_per_base(model, tok, task, records, y, names, output, batch_size, info)
    scored = list(
        shared_scores(
            model,
            tok,
            [r.sequence for r in records],
            batch_size=batch_size,
            reverse_complement_average=reverse_complement_average,
        )
    )
    if not distributed.is_main():  # this process scored its share; the main process reports and writes
        return {}
    if not scored:
        raise ValueError("evaluate needs at least one sequence; got 0")
    short = ShortInputs(model, tok)
    for r in records:
        short.add(len(r.sequence))
    short.warn()
    info["reverse_complement_average"] = reverse_complement_average
    return _report(records, scored, y, names, task, tok, output, info)


def _warn_classes_for_values(task: Task, y: list, ref: ModelRef) -> None:
    """A regression model evaluated on 0/1 labels: its metrics compare values with classes; said."""
    if task.name == "regression" and len(y) > 1 and set(y) <= {0.0, 1.0}:
        log.warning(
            "every label is 0 or 1, but %s is a regression model: the labels look like two classes, and its metrics "
            "(mse, r2) compare values with them; a classifier is evaluated on classes",
            ref,
        )


def _warn_leakage(data, split: str, records, columns: dict) -> None:
    """Say when the evaluated split is the training split, or holds the training split's sequences (exactly, or as
    reverse complements): the metrics then overstate what the model does on new data."""
    from dnalm.io import find_splits
    from dnalm.io.sequence import reverse_complement

    if split == "train":
        log.warning("evaluating the train split: a model fine-tuned on it is scored on what it learnt from")
        return
    if "train" not in find_splits(data):
        return
    train = {r.sequence for r in read_sequences(data, split="train", **columns)}
    exact = sum(r.sequence in train for r in records)
    rc = sum(r.sequence not in train and reverse_complement(r.sequence) in train for r in records)
    if exact or rc:
        log.warning(
            "%d of %d %s sequences are also in the train split (%d exactly, %d as reverse complements): a model "
            "fine-tuned on it is scored partly on what it learnt from; `dnalm audit %s` for the details, --dedup for "
            "a copy without them",
            exact + rc,
            len(records),
            split,
            exact,
            rc,
            data,
        )


def _records(data, split: str, classes, columns: dict) -> tuple[list, str | None]:
    """The records to evaluate, and the split of a folder they came from (None for a file or --class FASTAs); ids
    that repeat are said, as predict says them (each keeps its row in predictions.csv, in input order)."""
    canonical = None
    if classes:
        records = list(read_labeled_fasta(classes, data, **columns))
    elif data is not None and Path(data).is_dir():
        canonical = next((name for name, aliases in SPLIT_ALIASES.items() if split in aliases), split)  # valid: dev
        records = list(read_sequences(data, split=split, **columns))
    else:
        records = list(read_sequences(data, **columns))
    repeated = RepeatedIds()
    for rec in records:
        repeated.see(rec)
    repeated.say()
    return records, canonical


def _model(ref: ModelRef, data, classes, records, untrained: bool, seed: int, columns, problem_type: str):
    """The saved model, or with ``untrained`` one built with a fresh head for ``problem_type`` (labels from the
    training split)."""
    from dnalm.models.build import build_model, load_model

    if not untrained:
        return load_model(ref)
    folder = Path(str(data)).is_dir()
    train = load_splits(data, classes=classes, seed=seed, **columns)[0]["train"] if folder else records
    space = LabelSpace.from_records(train, problem_type)
    model, tok, _ = build_model(
        ref, num_labels=space.num_labels, id2label=space.id2label, problem_type=problem_type, seed=seed
    )
    return model, tok


def check_finite_outputs(scores: np.ndarray, records) -> None:
    """Refuse outputs that are not finite numbers (a model whose weights went NaN): metrics computed from them
    (AUROC ranks NaN arbitrarily) would look like a result."""
    bad = ~np.isfinite(np.asarray(scores, dtype=np.float64)).reshape(len(scores), -1).all(axis=1)
    if bad.any():
        first = records[int(np.flatnonzero(bad)[0])]
        raise ValueError(
            f"the model's outputs are not finite numbers for {int(bad.sum()):,} of {len(scores):,} sequences (the "
            f"first: {first.id!r} at {first.where}); its weights may have diverged in training (NaN): no metric "
            "computed from them would mean anything"
        )


def _positive_named(metrics: dict, names: list[str], task: Task) -> dict:
    """A two-class model's metrics say which class their precision, recall, F1, AUROC and AUPRC are of (the rule
    of :func:`~dnalm.metrics.positive_index`, the class ``scan`` scores by default)."""
    from dnalm.metrics import positive_index

    if task.exclusive and len(names) == 2:
        return {**metrics, "positive_label": names[positive_index(names)]}
    return metrics


def _report(records, scored, y, names, task: Task, tok, output: Path, info: dict) -> dict:
    """Metrics, confusion matrix and predictions of scored records, written to ``output``."""
    scores, n_windows = np.stack([r[0] for r in scored]), np.array([r[1] for r in scored])
    if len(scores) != len(records):  # a dropped batch would be a silent bias; never let it pass
        raise RuntimeError(f"{len(scores)} predictions for {len(records)} sequences")
    check_finite_outputs(scores, records)
    metrics = _positive_named(task.metrics(y, scores, names), names, task)
    if "confusion_matrix" in metrics:
        plot_confusion_matrix(
            np.asarray(metrics["confusion_matrix"]),
            names,
            output / "confusion_matrix.png",
            title=f"{Path(info['data'] or '').name or 'data'}" + (f" [{info['split']}]" if info["split"] else ""),
        )
        if metrics["constant_prediction"]:
            log.warning("the model predicts one class (%s) for every sequence", names[int(scores.argmax(1)[0])])
        if len(set(np.asarray(y).tolist())) == 1 and len(y) > 1:
            log.warning(
                "every sequence evaluated is of one class (%s): MCC is 0 and AUROC undefined on it whatever the model "
                "does; accuracy and recall are the figures that mean something here",
                names[int(np.asarray(y)[0])],
            )
    metrics.update({**info, "n_sequences": len(records), "n_windowed": int((n_windows > 1).sum()), "labels": names})
    _, empty = _write_predictions(
        output / "predictions.csv",
        zip(records, scores, n_windows),
        names,
        task,
        labelled=any(r.label is not None for r in records),
        described=any(r.description for r in records),
        tokenizer=tok,
    )
    metrics["n_uninformative"] = len(empty)
    write_json(output / "metrics.json", metrics)
    return metrics


def _evaluate_per_base(model, tok, task: Task, records, y, names, output: Path, batch_size: int, info: dict) -> dict:
    """Per-nucleotide metrics over every base of every record; predictions as per-base strings."""
    check_per_base_lengths(records, y, "this model labels each base: evaluate it on per-base labels")
    probs = predict_per_base(model, tok, [r.sequence for r in records], batch_size=batch_size)
    metrics = _positive_named(task.metrics(np.concatenate(y), np.concatenate(probs), names), names, task)
    if "confusion_matrix" in metrics:
        plot_confusion_matrix(
            np.asarray(metrics["confusion_matrix"]),
            names,
            output / "confusion_matrix.png",
            title="per-base" + (f" [{info['split']}]" if info["split"] else ""),
        )
    metrics.update({**info, "n_sequences": len(records), "n_bases": metrics["n_predictions"], "labels": names})
    _write_per_base(output / "predictions.csv", zip(records, probs), names, task, labelled=True, tokenizer=tok)
    write_json(output / "metrics.json", metrics)
    return metrics


#: beside a genome region's id (a BED name, or chr:start-end): where it lies, as BED writes it (0-based, end excluded)
_REGION_COLUMNS = ["chrom", "start", "end", "strand"]


def _head(rec, *, located: bool, described: bool, labelled: bool) -> list:
    """A row's first cells: id, then where a region lies, its description and its label, each where the input has
    them (a BED name alone could not be joined back to the region)."""
    where = [rec.region.contig, rec.region.start, rec.region.end, rec.region.strand] if located else []
    return [rec.id, *where] + ([rec.description or ""] if described else []) + ([rec.label or ""] if labelled else [])


def _first_columns(*, located: bool, described: bool, labelled: bool) -> list[str]:
    return (
        ["id"]
        + (_REGION_COLUMNS if located else [])
        + (["description"] if described else [])
        + (["label"] if labelled else [])
    )


def _write_per_base(
    path: Path, rows, names: list[str], task: Task, *, labelled: bool, tokenizer, located: bool = False
) -> None:
    """One row per ``(record, per-base scores)``: id, (label,) the task's per-base prediction, and how many of its
    bases the model reads (a sequence shorter than a k-mer reads none: its values are the model's prior, said)."""
    empty: list[str] = []
    n = 0
    with atomic_open(path, newline="") as fh:
        w = csv.writer(fh, delimiter=written_delimiter(path), lineterminator="\n")
        first = _first_columns(located=located, described=False, labelled=labelled)
        w.writerow(first + task.prediction_columns(names) + ["n_informative_bases"])
        for n, (rec, p) in enumerate(rows, 1):
            informative = int(informative_bases([rec.sequence], tokenizer)[0])
            if not informative:
                empty.append(rec.id)
            head = _head(rec, located=located, described=False, labelled=labelled)
            w.writerow(head + task.prediction_cells(names, p) + [informative])
    _warn_uninformative(empty, n)


def _warn_uninformative(empty: list[str], total: int) -> None:
    if empty:
        shown = ", ".join(repr(i) for i in empty[:5]) + (" ..." if len(empty) > 5 else "")
        log.warning(
            "%d of %d sequences hold no base the model can read (all N, or shorter than a k-mer): %s; "
            "their scores are the model's prior, not evidence (column n_informative_bases = 0)",
            len(empty),
            total,
            shown,
        )


def _write_predictions(
    path: Path,
    rows,
    names: list[str],
    task: Task,
    *,
    labelled: bool,
    described: bool,
    tokenizer,
    located: bool = False,
) -> tuple[int, list[str]]:
    """Write one row per ``(record, scores, n_windows)`` of ``rows`` (any iterable: it is streamed),
    atomically; ``description`` and ``label`` columns only when the input has them. Returns the
    number of rows and the ids of records without an informative base (counted and warned about)."""
    delimiter = written_delimiter(path)
    empty: list[str] = []
    n = 0
    with atomic_open(path, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        first = _first_columns(located=located, described=described, labelled=labelled)
        w.writerow(first + task.prediction_columns(names) + ["n_windows", "n_informative_bases"])
        for rec, row, nw in rows:
            n += 1
            informative = int(informative_bases([rec.sequence], tokenizer)[0])
            if not informative:
                empty.append(rec.id)
            head = _head(rec, located=located, described=described, labelled=labelled)
            w.writerow(head + task.prediction_cells(names, row) + [int(nw), informative])
    _warn_uninformative(empty, n)
    return n, empty


def strand_average_default(model, requested: bool | None) -> bool:
    """The caller's choice, else what the model folder records (off for models that do not say)."""
    if requested is not None:
        return bool(requested)
    return bool(getattr(model.config, "dnalm_reverse_complement_average", False))


def _first_pass(records, short, windows) -> tuple[int, int, bool, bool]:
    """How many records and windows (``windows(length)``: a sequence's), whether any has a label or a description;
    short inputs and repeated ids are warned about (a repeated id still gets its own row, in input order: joining on
    the id would mix them up)."""
    n = n_windows = 0
    labelled = described = False
    repeated = RepeatedIds()
    for n, rec in enumerate(records, 1):
        labelled, described = labelled or rec.label is not None, described or bool(rec.description)
        short.add(len(rec.sequence))
        n_windows += windows(len(rec.sequence))
        repeated.see(rec)
    short.warn()
    repeated.say()
    return n, n_windows, labelled, described


def _window_counter(model, tok, stride: int | None, strands: bool):
    """A sequence's number of windows as the engine reads it (both strands' when ``strands``)."""
    from dnalm.models.windows import default_stride, window_size, window_starts

    size = window_size(model, tok, None)[1]
    step = stride or default_stride(size)
    return lambda length: len(window_starts(length, size, step, both_strands=strands)) * (2 if strands else 1)


@claims(
    "predict",
    lambda a: {
        "inputs": [a["model_path"], a["input_path"], *region_files(a["regions"])],
        "outputs": [Output(a["output"])],
    },
)
def predict_file(
    model_path: str | ModelRef,
    input_path: str | Path,
    output: str | Path,
    *,
    batch_size: int = 64,
    reverse_complement_average: bool | None = None,
    stride: int | None = None,
    aggregate: str = "mean",
    trust_remote_code: bool = False,
    sequence_column: str | None = None,
    label_column: str | None = None,
    regions: list[str] | None = None,
    overwrite: bool = False,
) -> int:
    """Predict every sequence of a FASTA/CSV/TSV file; writes TSV/CSV with one row per input.

    Sequences longer than the model was fine-tuned on are scored in windows of that length,
    ``stride`` bases apart (default: half a window), their scores combined by ``aggregate``
    (``mean`` or ``max``); ``n_windows`` says how many each got. With ``regions`` (BED files and
    ``chr:start-end``) ``input_path`` is an indexed genome and each region is one row, named by the BED
    name column or ``chr:start-end``."""
    from dnalm.apply.settings import PredictSettings
    from dnalm.settings import checked

    batch_size, stride = (s := checked(PredictSettings, **locals())).batch_size, s.stride  # 20.0 is 20 from here on
    from dnalm.models.build import load_model

    ref = ModelRef.resolve(model_path, trust_remote_code)
    columns = {"sequence_column": sequence_column, "label_column": label_column}
    if regions:  # a genome's regions: no table, no columns (they did nothing)
        check_no_columns(input_path, "a genome read by --regions", **columns)
    source = _region_source(input_path, regions) if regions else lambda: read_sequences(input_path, **columns)
    located = bool(regions)  # each row says where its region lies
    output = check_output_file(output)  # before any work: a bad path is not found out after the computation
    if not is_stream(output):
        check_table_name(output, "predictions")
    distributed.start()
    model, tok = load_model(ref)
    names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    task = task_of(model)
    if aggregate == "max" and task.exclusive and not task.per_base:
        max_class(model, say=True)  # refused now, before a line is written (to a stream, nothing can be taken back)
    strands = strand_average_default(model, reverse_complement_average)
    settings = {
        "batch_size": batch_size,
        "stride": stride,
        "aggregate": aggregate,
        "reverse_complement_average": strands,
    }
    if not distributed.is_main():  # this process scores its share (per-base models: none); the main one writes
        if not task.per_base:
            for _ in shared_scores(model, tok, (r.sequence for r in source()), **settings):
                pass
        return 0
    if distributed.world_size() > 1:
        log.info("predict: %d processes share the scoring", distributed.world_size())
    if task.per_base:
        _per_base_options(aggregate, reverse_complement_average)
        records = list(source())
        probs = predict_per_base(model, tok, [r.sequence for r in records], batch_size=batch_size, stride=stride)
        labelled = any(r.label is not None for r in records)  # kept beside the prediction, as for other models
        _write_per_base(output, zip(records, probs), names, task, labelled=labelled, tokenizer=tok, located=located)
        return len(records)
    return _predict_streamed(source, model, tok, settings, output, names, task, located, input_path)


def _predict_streamed(source, model, tok, settings: dict, output, names, task, located: bool, input_path) -> int:
    """A whole-sequence model's predictions of every record of ``source()``, streamed: a first pass reads which
    columns the file has and how many windows it makes (nothing is kept), the second scores it."""
    stride, strands = settings["stride"], settings["reverse_complement_average"]
    lengths = ShortInputs(model, tok)
    n_records, n_windows, labelled, described = _first_pass(
        source(), lengths, _window_counter(model, tok, stride, strands)
    )
    _warn_unwindowed(lengths.longest, model, tok, stride=stride, aggregate=settings["aggregate"])
    waiting: deque = deque()  # records handed to the engine whose scores have not come back yet

    def sequences():
        for rec in source():
            waiting.append(rec)
            yield rec.sequence

    # counted in windows as they are scored: a bar counting records stood still through a 5 Mb sequence
    with Progress("predict", total=n_windows if distributed.world_size() == 1 else None, unit="windows") as bar:
        scored = shared_scores(model, tok, sequences(), **settings, progress=bar.update)
        rows = _as_counted(((waiting.popleft(), score, nw) for score, nw in scored), n_records, input_path)
        kept = {"labelled": labelled, "described": described, "located": located}  # the columns the rows have
        return _write_predictions(output, rows, names, task, tokenizer=tok, **kept)[0]


def _as_counted(rows, expected: int, source):
    """``rows``, refused at their end (before the output is put in place) unless there were as many as the first
    pass counted: a file cut short or written to while it was read lost records with exit 0."""
    n = 0
    for row in rows:
        n += 1
        yield row
    if n != expected:
        raise ValueError(
            f"{source} changed while it was read: {expected:,} records when it was first read, {n:,} when scored; "
            "run again on a file that is not being written"
        )


def _warn_unwindowed(longest: int, model, tokenizer, *, stride: int | None, aggregate: str) -> None:
    """Say so when a windowing option was given but no sequence is longer than one window: it changed nothing."""
    from dnalm.models.windows import window_size

    window = window_size(model, tokenizer, None)[1]
    if stride is not None and not 1 <= stride <= window:  # refused next, in one line: "changed nothing" contradicted it
        return
    given = [name for name, used in (("--stride", stride is not None), ("--aggregate", aggregate != "mean")) if used]
    if given and longest <= window:
        log.warning(
            "%s changed nothing: no sequence is longer than one window (%d bases; the longest is %d), so each was "
            "scored whole in one window",
            " and ".join(given),
            window,
            longest,
        )


def _region_source(genome: str | Path, regions: list[str]):
    """A function that yields one record per region of the indexed ``genome`` (checked first); a region on the
    ``-`` strand (a BED file's sixth column) is read on that strand, as the reverse complement."""
    from dnalm.io.base import Record
    from dnalm.io.regions import IndexedGenome, parse_regions
    from dnalm.io.sequence import reverse_complement

    indexed = IndexedGenome(genome)
    chosen = parse_regions(regions)
    indexed.check(chosen)

    def read(r):
        seq = indexed.fetch(r)
        return reverse_complement(seq) if r.strand == "-" else seq

    return lambda: (Record(r.name, read(r), path=r.source, line=r.line, region=r) for r in chosen)


def _per_base_options(aggregate: str, reverse_complement_average: bool | None) -> None:
    """Options a per-base model cannot follow are refused, not ignored (its output was the same with or without)."""
    if aggregate != "mean":
        raise ValueError(
            f"--aggregate {aggregate} combines a sequence's window scores into one; a per-base model averages the "
            "windows over each base"
        )
    if reverse_complement_average:
        raise ValueError(
            "--rc averages whole-sequence scores of both strands; per-base scores are of the forward strand"
        )


_SHOWN = ("accuracy", "precision", "recall", "specificity", "f1", "f1_macro", "mcc", "auroc", "auprc", "mse", "r2")


def describe(metrics: dict, output: str | Path) -> str:
    """What ``dnalm evaluate`` prints: the metrics biologists read, the count, a constant-prediction warning and
    the files written."""
    keys = [k for k in (*_SHOWN, "subset_accuracy") if metrics.get(k) is not None]
    lines = ["  ".join(f"{k} {metrics[k]:.4f}" for k in keys) + f"  n {metrics['n_predictions']:,}"]
    if metrics.get("positive_label") is not None:  # precision, recall, F1, AUROC and AUPRC are of this class
        lines[0] += f"  (positive class: {metrics['positive_label']})"
    if metrics.get("constant_prediction"):
        unit = "base" if "n_bases" in metrics else "sequence"  # a per-base model's predictions are of bases
        lines.append(f"warning: the model predicts a single class for every {unit}")
    figure = ", confusion_matrix.png" if "confusion_matrix" in metrics else ""
    return "\n".join([*lines, f"wrote {output}/metrics.json, predictions.csv{figure}"])


def _recorded(ref: ModelRef, data, classes: dict | None, **more) -> dict:
    """What ``metrics.json`` says was evaluated: the model and data where they are (a relative path was recorded as
    given, relative to a folder metrics.json does not name), the class files of ``--class LABEL=FASTA`` (data was
    recorded as the string "None"), and ``more``."""
    info = {"model": _where(ref.path) if ref.kind in ("folder", "yaml") else ref.name, "data": _where(data), **more}
    if classes:
        info["classes"] = {label: _where(path) for label, path in classes.items()}
    return info


def _where(path) -> str | None:
    """A local path as an absolute one (what a result file records); a name (preset, shipped, hub id) as it is."""
    if path is None:
        return None
    return os.path.abspath(path) if isinstance(path, str | os.PathLike) and os.path.lexists(path) else str(path)
