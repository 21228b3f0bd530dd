from __future__ import annotations

import csv
import math
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from transformers import AutoModelForTokenClassification

from dnalm.apply.evaluate import evaluate, predict_file
from dnalm.apply.predict import predict_per_base
from dnalm.finetune.config import FinetuneConfig
from dnalm.finetune.data import LabelSpace, to_dataset
from dnalm.finetune.train import finetune
from dnalm.io import Record
from dnalm.models.build import build_model, load_model
from dnalm.models.token import BertForNucleotideClassification
from dnalm.tasks import IGNORE_INDEX, TASKS, get_task, task_of


def test_unknown_problem_type_lists_the_valid_ones():
    with pytest.raises(ValueError, match="token_regression; got 'token_regresion' .did you mean 'token_regression'"):
        get_task("token_regresion")
    with pytest.raises(ValueError, match=r"problem_type \(--problem-type\) must be one of single_label_classification"):
        FinetuneConfig(problem_type="classification")


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_owns_its_whole_contract(name):
    task = get_task(name)
    saved = SimpleNamespace(**task.config_kwargs(), kmer_k=6 if task.per_base else None)  # as build_model makes it
    assert task.name == name and task_of(saved) is task
    assert task.greater_is_better("eval_loss") is False
    assert task.greater_is_better(task.default_metric) is (task.default_metric != "loss")
    # one name for the prediction in every task's table (per-sequence regression wrote "prediction")
    assert task.prediction_columns(["a", "b"])[0] == "predicted"


@pytest.mark.parametrize("name", list(TASKS))
@pytest.mark.parametrize("num_labels", [2, 3])
def test_the_metric_names_a_task_declares_are_those_it_computes(name, num_labels):
    """metric_for_best_model is checked against ``metric_names`` with the settings: the list must be what
    validation gives (numbers only; the confusion matrix and flags are not metrics to select on)."""
    task, rng = get_task(name), np.random.default_rng(0)
    width = 1 if name in ("regression", "token_regression") else num_labels
    if name in ("regression", "token_regression"):
        labels = rng.normal(size=(6, 5) if task.per_base else (6, 1))
        logits = rng.normal(size=(6, 5, 1) if task.per_base else (6, 1))
    elif task.per_base:
        labels, logits = rng.integers(0, width, (6, 5)), rng.normal(size=(6, 5, width))
    elif name == "multi_label_classification":
        labels, logits = rng.integers(0, 2, (6, width)), rng.normal(size=(6, width))
    else:
        labels, logits = np.arange(6) % width, rng.normal(size=(6, width))
    computed = task.compute_metrics(labels, logits)
    numbers = {k for k, v in computed.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    assert numbers == set(task.metric_names)
    task.check_metric(f"eval_{task.metric_names[0]}")
    task.check_metric("loss")
    with pytest.raises(ValueError, match=rf"'confusion_matrix' is not a validation metric of {name}; it computes loss"):
        task.check_metric("confusion_matrix")


def test_error_metrics_are_minimised_for_regression():
    for name in ("regression", "token_regression"):
        assert not get_task(name).greater_is_better("mse") and get_task(name).greater_is_better("pearson")
    assert get_task("single_label_classification").greater_is_better("mcc")


def test_per_base_values_are_floats_and_bad_ones_name_the_record():
    task = get_task("token_regression")
    assert task.encode(["value"], "0012", "r") == [0.0, 0.0, 1.0, 2.0]
    assert task.encode(["value"], " 0.5\t-1 3e2 ", "r") == [0.5, -1.0, 300.0]
    with pytest.raises(ValueError, match="record 'r7': per-base value 'x' is not a number"):
        task.encode(["value"], "0.1 x 2", "r7")
    with pytest.raises(ValueError, match="record 'r8': per-base value 'nan' is not a finite number"):
        task.encode(["value"], "1 nan", "r8")
    with pytest.raises(ValueError, match="record 'r9'.*reserved"):
        task.encode(["value"], "1 -100", "r9")


def test_per_base_regression_targets_pad_with_the_ignore_index():
    from dnalm.tokenizers.dna import KmerTokenizer

    recs = [Record("a", "ACGTACGT", "0 1 2 3 4 5 6 7.5"), Record("b", "ACGTA", "1 1 1 1 1")]
    space = LabelSpace.from_records(recs, "token_regression")
    ds, _ = to_dataset(recs, KmerTokenizer(k=3), space, max_length=64)
    assert space.names == ["value"] and ds.labels.dtype == np.float32
    assert ds.labels[0, -1] == 7.5 and (ds.labels[1, 5:] == IGNORE_INDEX).all()


def test_per_base_regression_loss_skips_padding():
    task = get_task("token_regression")
    logits = torch.tensor([[[1.0], [2.0], [50.0]]])
    labels = torch.tensor([[1.0, 0.0, IGNORE_INDEX]])
    assert task.loss(logits, labels, 1).item() == pytest.approx(2.0)  # (0 + 4) / 2: the padded base is not scored


def _gc_site_data(path, n: int, length: int, seed: int) -> None:
    """A value per base: 1.0 on G and C, 0.0 on A and T, written as whitespace-separated numbers."""
    rng = random.Random(seed)
    with open(path, "w") as fh:
        fh.write("id,sequence,label\n")
        for i in range(n):
            seq = "".join(rng.choice("ACGT") for _ in range(length))
            fh.write(f"s{i},{seq},{' '.join('1.0' if b in 'GC' else '0.0' for b in seq)}\n")


@pytest.fixture(scope="module")
def value_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("values")
    _gc_site_data(root / "train.csv", 48, 24, seed=0)
    _gc_site_data(root / "dev.csv", 16, 24, seed=1)
    _gc_site_data(root / "test.csv", 12, 40, seed=2)
    return root


def test_per_base_regression_trains_evaluates_and_predicts(value_dir, tmp_path):
    cfg = FinetuneConfig(
        model="tiny",
        problem_type="token_regression",
        epochs=3,
        seed=0,
        batch_size=16,
        learning_rate=2e-3,
        early_stopping_patience=None,
        trainer={"disable_tqdm": True},
    )
    summary = finetune(cfg, value_dir, tmp_path / "m")
    assert summary["labels"] == ["value"] and summary["best_checkpoint_metric"] == "loss"
    val = summary["validation_metrics"]
    assert all(math.isfinite(val[f"eval_{k}"]) for k in ("loss", "mse", "pearson", "spearman"))
    rows = list(csv.DictReader(open(tmp_path / "m" / "history.csv")))
    assert len(rows) == 3 and float(rows[-1]["eval_loss"]) < float(rows[0]["eval_loss"])

    model, tok = load_model(tmp_path / "m")
    assert isinstance(model, BertForNucleotideClassification) and task_of(model).name == "token_regression"
    values = predict_per_base(model, tok, ["ACGTGGCCAATT"])[0]
    assert values.shape == (12, 1)  # values, not probabilities: nothing forces them to sum to one
    plain = AutoModelForTokenClassification.from_pretrained(tmp_path / "m")  # same weights, k-mer level output
    assert plain.config.num_labels == 1 and torch.equal(plain.classifier.weight, model.classifier.weight)

    m = evaluate(str(tmp_path / "m"), value_dir, tmp_path / "e")
    assert m["n_sequences"] == 12 and m["n_bases"] == 12 * 40 and m["labels"] == ["value"]
    assert all(math.isfinite(m[k]) for k in ("mse", "mae", "pearson", "spearman"))
    assert not (tmp_path / "e" / "confusion_matrix.png").exists()
    rows = list(csv.DictReader(open(tmp_path / "e" / "predictions.csv")))
    assert list(rows[0]) == ["id", "label", "predicted", "n_informative_bases"] and rows[0]["id"] == "s0"
    assert len(rows) == 12 and all(len(r["predicted"].split()) == 40 for r in rows)
    assert all(math.isfinite(float(v)) for r in rows for v in r["predicted"].split())

    assert predict_file(str(tmp_path / "m"), value_dir / "test.csv", tmp_path / "p.tsv") == 12
    rows = list(csv.DictReader(open(tmp_path / "p.tsv"), delimiter="\t"))
    assert list(rows[0]) == ["id", "label", "predicted", "n_informative_bases"]
    assert all(len(r["predicted"].split()) == 40 for r in rows)


def test_per_base_regression_bad_labels_name_the_record(tmp_path):
    (tmp_path / "train.csv").write_text("id,sequence,label\nok,ACGTAC,0 1 0 1 0 1\nbad,ACGTAC,0 1 high 1 0 1\n")
    cfg = FinetuneConfig(model="tiny", problem_type="token_regression", epochs=1, val_fraction=0.5)
    with pytest.raises(ValueError, match="record 'bad': label '0 1 high 1 0 1' is not a number"):  # the reader's
        finetune(cfg, tmp_path / "train.csv", tmp_path / "m")
    (tmp_path / "train.csv").write_text("id,sequence,label\na,ACGTAC,0 1 lo 1 0 1\nb,ACGTAC,0 1 hi 1 0 1\n")
    with pytest.raises(ValueError, match="record '[ab]': per-base value '(lo|hi)' is not a number"):  # the task's
        finetune(cfg, tmp_path / "train.csv", tmp_path / "m")
    (tmp_path / "train.csv").write_text("id,sequence,label\nok,ACGTAC,0 1 0 1 0 1\nshort,ACGTAC,0 1 0\n")
    with pytest.raises(ValueError, match="record 'short': 3 per-base labels for a 6-base sequence$"):
        finetune(cfg, tmp_path / "train.csv", tmp_path / "m")
    # one value a record, as for whole sequences: said so (it read "1 per-base labels for a 6-base sequence")
    (tmp_path / "train.csv").write_text("id,sequence,label\na,ACGTAC,0\nb,ACGTAC,1\nc,ACGTAA,1\nd,ACGTAT,0\n")
    with pytest.raises(ValueError, match=r"1 per-base label for a 6-base sequence; every record has a single label"):
        finetune(cfg, tmp_path / "train.csv", tmp_path / "m")


def test_per_base_regression_needs_a_per_base_bert():
    with pytest.raises(ValueError, match="per-nucleotide .* needs a BERT model"):
        build_model("cnn", num_labels=1, problem_type="token_regression")


def test_labels_that_are_one_number_written_differently_are_said(caplog):
    """'01' and '1' (and '00' and '0') became four classes without a word; '1.0' and '1' are merged, with one."""
    from dnalm.io import Record
    from dnalm.tasks import get_task

    names = get_task("single_label_classification").label_names(
        [Record(str(i), "ACGT", label) for i, label in enumerate(["0", "1", "01", "00", "1"])]
    )
    assert names == ["0", "00", "01", "1"]
    assert "labels '0' and '00' are one number written differently: they are 2 classes" in caplog.text
    assert "labels '01' and '1' are one number written differently" in caplog.text


def test_classes_that_look_like_another_tasks_labels_are_said(caplog):
    """Labels a;b and 30 distinct numbers were trained as classes without a hint of --problem-type."""
    from dnalm.io import Record
    from dnalm.tasks import get_task

    task = get_task("single_label_classification")
    task.label_names([Record(str(i), "ACGT", lab) for i, lab in enumerate(["a;b", "a", "b"])])
    assert "use --problem-type multi_label_classification" in caplog.text
    task.label_names([Record(str(i), "ACGT", str(i * 10)) for i in range(30)])
    assert "30 classes, every one a number: for a value per sequence use --problem-type regression" in caplog.text
    caplog.clear()  # a few values with fractions are values too (14 classes 0, 0.1, ... 2.6 trained silently)
    task.label_names([Record(str(i), "ACGT", lab) for i, lab in enumerate(["0", "0.1", "2.6", "1"])])
    assert "4 classes, every one a number and some with a fraction (0.1, 2.6): for a value per" in caplog.text
    caplog.clear()  # True/False beside yes/no: four classes without a word
    task.label_names([Record(str(i), "ACGT", lab) for i, lab in enumerate(["True", "False", "yes", "no"])])
    assert "labels 'True' and 'yes' mean the same but are 2 classes here" in caplog.text
    assert "labels 'False' and 'no' mean the same" in caplog.text


def test_spaces_around_each_multi_label_part_are_dropped_and_a_constant_target_is_said(caplog):
    """' a ; b' was read as labels 'a ' and ' b' (then 'a ' was not among the training labels); a regression set
    whose targets are all one value trained without a word."""
    from dnalm.finetune.data import LabelSpace
    from dnalm.io import Record

    space = LabelSpace.from_records(
        [Record("1", "ACGT", " a ; b"), Record("2", "ACGT", "a")], "multi_label_classification"
    )
    assert space.names == ["a", "b"] and space.encode(" a ; b") == [1.0, 1.0]
    LabelSpace.from_records([Record(str(i), "ACGT", "3.5") for i in range(5)], "regression", standardise=True)
    assert "every training target is 3.5: there is nothing to learn but that value" in caplog.text
    caplog.clear()  # one target far from the rest (1e29 among values near 1) trained to mse 7.9e55, r2 0, exit 0
    records = [Record(str(i), "ACGT", str(1 + i % 7 / 10), path="train.csv", line=i + 2) for i in range(40)]
    records[3] = Record("3", "ACGT", "1e29", path="train.csv", line=5)
    LabelSpace.from_records(records, "regression", standardise=True)
    assert (
        "training target 1e+29 (train.csv:5: record '3') is" in caplog.text
        and "a unit or a typo (or values to log-transform)?" in caplog.text
    )
    caplog.clear()  # a wide but smooth spread is no typo
    LabelSpace.from_records([Record(str(i), "ACGT", str(10**i)) for i in range(8)], "regression", standardise=True)
    assert "a unit or a typo" not in caplog.text


@pytest.mark.parametrize("label", ["1e40", "-1e300", "2e31"])
def test_a_regression_target_beyond_float32_is_refused_naming_the_record(label):
    """1e40 trained (exit 0) to a model that predicts nan; 1e300 ended in 'Input contains NaN.' naming nothing."""
    from dnalm.io import Record

    rec = Record("r9", "ACGT", label, path="train.csv", line=11)
    with pytest.raises(ValueError, match=rf"train.csv:11: record 'r9': label '{label}' is beyond what dnalm trains"):
        get_task("regression").encode(["value"], label, rec)
    with pytest.raises(ValueError, match="beyond what dnalm trains"):
        get_task("token_regression").encode([], f"0.5 {label}", rec)
    assert get_task("regression").encode(["value"], "1e29", rec) == 1e29


def test_a_count_is_not_a_selection_metric():
    """metric_for_best_model n_predictions was taken: constant, so the first validation's checkpoint was kept."""
    with pytest.raises(ValueError, match="counts the validation sequences, the same at every validation"):
        FinetuneConfig(metric_for_best_model="n_predictions")
    with pytest.raises(ValueError, match="it computes loss, ") as err:
        FinetuneConfig(metric_for_best_model="nope")
    assert "n_predictions" not in str(err.value)


@pytest.mark.parametrize("task", ["single_label_classification", "regression"])
def test_per_base_labels_without_their_problem_type_are_refused_naming_it(task):
    """Per-base labels under the default task trained 311 classes after 45 'one number written differently'
    warnings and a hint at regression; as regression each was 'beyond what dnalm trains' (rescale it)."""
    from dnalm.io import Record

    records = [Record(str(i), "ACGT" * 10, ("0" * 10 + "1" * (i % 5) + "0" * 30)[:40]) for i in range(20)]
    said = r"one digit or value per base of their sequences \(20 of 20 records\).*token_class"
    with pytest.raises(ValueError, match=said):
        get_task(task).label_names(records)
    values = [Record(str(i), "ACGT" * 10, " ".join(f"{(i + j) % 7 / 10}" for j in range(40))) for i in range(20)]
    with pytest.raises(ValueError, match=said):  # per-base values written with spaces
        get_task(task).label_names(values)


def test_a_label_in_another_unicode_form_is_said_to_be_one():
    """test.csv wrote café decomposed (e + combining accent), train.csv composed: "label 'café' is not among the
    training labels ['café', 'négatif']", two names that look the same on screen."""
    task = get_task("single_label_classification")
    with pytest.raises(ValueError, match="differ only in how their accents are encoded"):
        task.encode(["caf\u00e9", "n\u00e9gatif"], "cafe\u0301", "r1")


def test_small_oddities_of_labels_and_names_are_said(tmp_path, caplog):
    from dnalm.io import Record
    from dnalm.models.ref import ModelRef
    from dnalm.tasks import _class_index, get_task

    with pytest.raises(ValueError, match="model is empty"):  # it was read as the current folder
        ModelRef.resolve("")
    records = [Record(str(i), "ACGT", label) for i, label in enumerate(["Pos", "pos", "neg"])]
    assert get_task("single_label_classification").label_names(records) == ["Pos", "neg", "pos"]
    assert "labels 'Pos' and 'pos' differ only in case: they are 2 classes" in caplog.text
    with pytest.raises(ValueError, match=r"not among the training labels \['s0', .*\] \.\.\. \(84 in all\)$"):
        _class_index([f"s{i}" for i in range(84)], "other", "r1")  # a sequence column taken for the labels
    with pytest.raises(ValueError, match=r"epochs \(--epochs\) must be in \(0, 100000\]; got 1e\+300"):
        FinetuneConfig(epochs=1e300)


def test_regression_labels_that_are_infinite_are_refused_and_any_scale_is_standardised(caplog):
    from dnalm.finetune.data import LabelSpace
    from dnalm.io import Record
    from dnalm.tasks import get_task

    task = get_task("regression")
    with pytest.raises(ValueError, match=r"record 'r1': label '1e400' is not a finite number \(regression\)"):
        task.encode(["value"], "1e400", "r1")  # training ran on an infinite target
    records = [Record(str(i), "ACGT", str(10_000 + 500 * i)) for i in range(20)]
    space = LabelSpace.from_records(records, "regression", standardise=True)
    assert space.scale == pytest.approx((14_750, 500 * np.std(np.arange(20))))
    assert space.encode("14750") == 0 and space.unscale(np.array([1.0]))[0] == pytest.approx(14_750 + space.scale[1])
    same = LabelSpace.from_records([Record("a", "ACGT", "3"), Record("b", "ACGT", "3")], "regression", standardise=True)
    assert same.scale == (3.0, 1.0)  # one value: shifted, not divided by 0
    assert LabelSpace.from_records(records, "regression").scale is None  # evaluation reads label units
