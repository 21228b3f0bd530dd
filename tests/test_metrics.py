"""dnalm.metrics computes single-label classification metrics itself (for speed); scikit-learn is the reference."""

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from dnalm.metrics import binary_auroc, binary_average_precision, classification_metrics


def _sklearn(y_true, probs):
    n = probs.shape[1]
    labels = list(range(n))
    y_pred = probs.argmax(1)
    avg = "binary" if n == 2 else "macro"
    ref = {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "precision": skm.precision_score(y_true, y_pred, average=avg, labels=labels, zero_division=0),
        "recall": skm.recall_score(y_true, y_pred, average=avg, labels=labels, zero_division=0),
        "f1": skm.f1_score(y_true, y_pred, average=avg, labels=labels, zero_division=0),
        "f1_macro": skm.f1_score(y_true, y_pred, average="macro", labels=labels, zero_division=0),
        "mcc": skm.matthews_corrcoef(y_true, y_pred),
        "confusion_matrix": skm.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    if len(np.unique(y_true)) == n:  # AUROC and AUPRC are defined
        if n == 2:
            ref["auroc"] = skm.roc_auc_score(y_true, probs[:, 1])
            ref["auprc"] = skm.average_precision_score(y_true, probs[:, 1])
        else:
            ref["auroc"] = skm.roc_auc_score(y_true, probs, multi_class="ovr", average="macro", labels=labels)
            ref["auprc"] = skm.average_precision_score(np.eye(n)[y_true], probs, average="macro")
    return ref


def _cases():
    rng = np.random.default_rng(0)
    for i in range(60):
        n_classes = 2 if i % 3 else int(rng.integers(3, 6))
        size = int(rng.integers(2, 300))
        y = rng.integers(0, n_classes, size)
        logits = rng.normal(size=(size, n_classes)) + 1.5 * np.eye(n_classes)[y] * (i % 4 != 0)
        if i % 5 == 0:  # heavy ties: scores on a coarse grid
            logits = np.round(logits, 0)
        probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        yield y, probs


@pytest.mark.parametrize("case", list(range(60)))
def test_classification_metrics_equal_scikit_learn(case):
    y, probs = list(_cases())[case]
    ours = classification_metrics(y, probs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _sklearn(y, probs)
    for key, value in ref.items():
        if key == "confusion_matrix":
            assert ours[key] == value
        else:
            assert ours[key] == pytest.approx(value, abs=1e-12), key
    if "auroc" not in ref:
        assert ours["auroc"] is None and ours["auprc"] is None


def test_undefined_ranking_metrics_are_none():
    y = np.array([0, 0, 0])
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    m = classification_metrics(y, probs)
    assert m["auroc"] is None and m["auprc"] is None
    assert m["accuracy"] == pytest.approx(2 / 3) and m["mcc"] == 0.0
    assert binary_auroc(np.array([1, 1]), np.array([0.2, 0.3])) is None
    assert binary_average_precision(np.array([0, 0]), np.array([0.2, 0.3])) is None


def test_ties_count_one_half():
    # one positive and one negative with the same score: the ROC is the diagonal
    assert binary_auroc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5
    # all tied: precision is the positive rate at the only threshold
    assert binary_average_precision(np.array([0, 1, 1, 0]), np.zeros(4)) == 0.5


def test_constant_prediction_is_flagged():
    m = classification_metrics(np.array([0, 1, 1]), np.array([[0.9, 0.1]] * 3))
    assert m["constant_prediction"] and m["mcc"] == 0.0 and m["recall"] == 0.0


def test_an_undefined_correlation_is_none_without_a_warning():
    import warnings

    from dnalm.metrics import regression_metrics

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's ConstantInputWarning came at every validation
        m = regression_metrics(np.ones(10), np.linspace(0, 1, 10))
    assert m["pearson"] is None and m["spearman"] is None


@pytest.mark.parametrize("n_classes", [2, 3, 4])
def test_averages_are_scikit_learns_when_a_class_is_absent(n_classes):
    """A class neither in the split nor predicted counted as a 0 in macro precision, recall and F1 (a dev split
    without one class of five read 0.41 for F1 where scikit-learn says 0.54)."""
    import warnings

    from sklearn import metrics as skm

    rng = np.random.default_rng(n_classes)
    average = "binary" if n_classes == 2 else "macro"
    for trial in range(100):
        y = rng.integers(0, n_classes - 1 if trial % 2 else n_classes, int(rng.integers(5, 40)))
        probs = rng.dirichlet(np.ones(n_classes), len(y))
        got, predicted = classification_metrics(y, probs), probs.argmax(1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, score in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
                assert got[name] == pytest.approx(score(y, predicted, average=average, zero_division=0), abs=1e-9)
            assert got["f1_macro"] == pytest.approx(skm.f1_score(y, predicted, average="macro", zero_division=0))
            assert got["mcc"] == pytest.approx(skm.matthews_corrcoef(y, predicted), abs=1e-9)
        if n_classes > 2 and len(set(y)) > 1:  # one-vs-rest over the classes the split holds
            present = sorted(set(y))
            expected = np.mean([skm.roc_auc_score(y == c, probs[:, c]) for c in present])
            assert got["auroc"] == pytest.approx(expected, abs=1e-9)


def test_a_confusion_matrix_plot_needs_one_name_per_class(tmp_path):
    """A 2 x 2 matrix with one name drew its counts under the wrong labels, with no error."""
    from dnalm.plots import plot_confusion_matrix

    with pytest.raises(ValueError, match=r"of 1 classes is 1 x 1; got shape \(2, 2\)"):
        plot_confusion_matrix([[1, 2], [3, 4]], ["a"], tmp_path / "cm.png")
    with pytest.raises(ValueError, match=r"of 0 classes"):  # an empty one was a numpy error
        plot_confusion_matrix(np.zeros((0, 0), dtype=int), [], tmp_path / "cm.png")
    assert not (tmp_path / "cm.png").exists()


def test_plot_data_of_the_wrong_kind_is_named(tmp_path):
    """plot_curves(None) and plot_roc_pr(None) were AttributeErrors naming no argument."""
    from dnalm.plots import plot_curves, plot_roc_pr

    with pytest.raises(TypeError, match="series must be a mapping of name -> .*; got NoneType"):
        plot_curves(None, tmp_path / "c.png")
    with pytest.raises(TypeError, match="curves must be a mapping of model -> .*; got list"):
        plot_roc_pr([], tmp_path / "r.png")


def test_metrics_refuse_inputs_that_would_give_a_wrong_number():
    """A label -1 was left out of the confusion matrix while n_predictions counted it; NaN probabilities gave
    normal-looking metrics; no rows gave accuracy 0; mismatched lengths were a raw IndexError."""
    from dnalm.metrics import classification_metrics, regression_metrics

    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    for y, p, said in [
        ([0, 1, -1, 0], probs, r"outside 0..1 \(the first: -1 at row 2\)"),
        ([0, 1, 2, 0], probs, "outside 0..1"),
        ([0, 1, 1, 0], np.where(probs > 0.85, np.nan, probs), "not finite"),
        ([], np.zeros((0, 2)), "at least one prediction"),
        ([0, 1], probs, "one class index per row"),
        ([0, 1, 1, 0], probs[:, 1], "matrix"),
        ([0.5, 1, 1, 0], probs, "whole numbers"),
    ]:
        with pytest.raises(ValueError, match=said):
            classification_metrics(np.array(y), p)
    assert classification_metrics(np.array([0.0, 1.0, 1.0, 0.0]), probs)["n_predictions"] == 4
    for y, p in [([1.0, np.nan], [1.0, 2.0]), ([1.0], [1.0, 2.0]), ([], [])]:
        with pytest.raises(ValueError, match="regression metrics need"):
            regression_metrics(np.array(y), np.array(p))


def test_synth_refuses_a_kind_it_does_not_make(tmp_path):
    from dnalm.synth import synthesize

    for kind in ("bogus", None):
        with pytest.raises(ValueError, match="kind must be 'tata' or 'motif'"):
            synthesize(kind, tmp_path / "out", n=10)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", [1, 2, 4, 5])
def test_binary_metrics_of_either_class_equal_scikit_learns(case):
    y, probs = list(_cases())[case]
    ours = classification_metrics(y, probs, positive=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours["precision"] == pytest.approx(skm.precision_score(y, probs.argmax(1), pos_label=0, zero_division=0))
        assert ours["recall"] == pytest.approx(skm.recall_score(y, probs.argmax(1), pos_label=0, zero_division=0))
        assert ours["specificity"] == pytest.approx(skm.recall_score(y, probs.argmax(1), pos_label=1, zero_division=0))
        assert ours["auroc"] == pytest.approx(skm.roc_auc_score(y == 0, probs[:, 0]))
        assert ours["auprc"] == pytest.approx(skm.average_precision_score(y == 0, probs[:, 0]))


@pytest.mark.parametrize("labels", [("1", "2"), ("Positive", "negative"), ("promoter", "random")])
def test_evaluate_and_scan_call_one_class_positive(tmp_path, labels):
    """evaluate's precision, recall, AUROC were of class index 1 while scan scored the label named 1: with labels
    1/2 or Positive/negative, metrics.json described the other class, and said nothing of which."""
    import csv

    from dnalm.apply.evaluate import evaluate
    from dnalm.apply.target import target_class
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, id2label=dict(enumerate(labels)), seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    rng = np.random.default_rng(0)
    rows = [("".join(rng.choice(list("ACGT"), 60)), labels[i % 2]) for i in range(40)]
    (tmp_path / "test.csv").write_text("sequence,label\n" + "".join(f"{s},{lab}\n" for s, lab in rows))
    m = evaluate(str(tmp_path / "m"), tmp_path / "test.csv", tmp_path / "e")
    index, name = target_class(model)
    assert m["positive_label"] == name == labels[index]
    predicted = list(csv.DictReader(open(tmp_path / "e" / "predictions.csv")))
    y = np.array([r["label"] == name for r in predicted])
    p = np.array([float(r[f"prob_{name}"]) for r in predicted])
    assert m["auroc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert m["recall"] == pytest.approx(skm.recall_score(y, [r["predicted"] == name for r in predicted]))


def test_multilabel_auroc_and_auprc_average_the_labels_where_they_are_defined(caplog):
    """A label without positives in the split counted as AUPRC 0 (halving it) and made the AUROC of the others None;
    an all-empty split printed auprc 0.0000 without a word."""
    from sklearn import metrics as skm

    from dnalm.metrics import multilabel_metrics

    rng = np.random.default_rng(0)
    probs = rng.random((60, 2))
    both = rng.integers(0, 2, (60, 2))
    ours = multilabel_metrics(both, probs, ["tata", "gc"])  # every label defined: sklearn's macro average
    assert ours["auroc"] == pytest.approx(skm.roc_auc_score(both, probs, average="macro"))
    assert ours["auprc"] == pytest.approx(skm.average_precision_score(both, probs, average="macro"))
    no_gc = np.c_[both[:, 0], np.zeros(60, int)]
    ours = multilabel_metrics(no_gc, probs, ["tata", "gc"])
    assert ours["auroc"] == pytest.approx(skm.roc_auc_score(no_gc[:, 0], probs[:, 0]))
    assert ours["auprc"] == pytest.approx(skm.average_precision_score(no_gc[:, 0], probs[:, 0]))
    assert "1 of 2 labels (gc) are on every sequence evaluated or on none" in caplog.text
    none = multilabel_metrics(np.zeros((5, 2), int), probs[:5], ["tata", "gc"])
    assert none["auroc"] is None and none["auprc"] is None


def test_r2_of_constant_values_is_undefined_not_zero():
    """evaluate printed r2 0.0000 of a split whose values were all 5 (mse 3042): sklearn's stand-in for undefined."""
    from dnalm.metrics import regression_metrics

    constant = regression_metrics(np.full(80, 5.0), np.linspace(40, 60, 80))
    assert constant["r2"] is None and constant["pearson"] is None and constant["mse"] > 1000
    assert regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))["r2"] == 1.0
