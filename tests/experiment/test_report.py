"""The report's plots, on made-up inputs (the page itself is tested on a benchmark run in test_benchmark.py), and
its refusal of a folder that holds no benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from dnalm.plots import plot_comparison, plot_curves, plot_roc_pr
from tests.conftest import _refused


def test_learning_curves_are_three_panels_with_integer_epochs(tmp_path):
    history = [
        {
            "epoch": e,
            "step": 10 * e,
            "train_loss": 1 / e,
            "eval_loss": 1.2 / e,
            "eval_mcc": 0.1 * e,
            "eval_auroc": 0.5 + 0.05 * e,
            "eval_accuracy": 0.5,
            "eval_precision": 0.5,
            "eval_recall": 0.4,
            "eval_specificity": 0.6,
            "eval_f1": 0.4,
            "eval_auprc": 0.5,
            "eval_runtime": 0.1,
        }
        for e in (1, 2, 3)
    ]
    panels = plot_curves({"seed 0": history, "seed 1": history}, tmp_path / "c.png")
    assert panels == ["loss", "MCC", "AUROC"] and (tmp_path / "c.png").stat().st_size > 5_000


def test_roc_pr_and_comparison_plots(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    runs = [(y, y * 0.6 + rng.random(200) * 0.5) for _ in range(2)]
    plot_roc_pr({"pos-cnn": runs, "tiny": [(y, rng.random(200))]}, tmp_path / "r.png", title="tata")
    plot_comparison(
        {("tata", "pos-cnn"): [0.74, 0.75, 0.73], ("tata", "tiny"): [0.4, 0.45, 0.42], ("mouse/0", "pos-cnn"): [0.57]},
        {"tata": 0.742},
        tmp_path / "m.png",
    )
    assert (tmp_path / "r.png").stat().st_size > 5_000 and (tmp_path / "m.png").stat().st_size > 5_000


def _drawn(monkeypatch):
    """The figures the plot functions draw, kept open for inspection instead of being saved."""
    import dnalm.plots

    figures = []
    monkeypatch.setattr(dnalm.plots, "_save", lambda fig, path, dpi: figures.append(fig))
    return figures


def test_the_plots_say_what_they_show(monkeypatch):
    """What the report's reader needs, checked on the figure objects: AUC/AP in the legends and the no-skill
    rate on the PR panel; whole-number epoch ticks; per-seed points, means and the reference line per panel;
    confusion cells whose text contrasts with the cell (no white on white) and a row-normalised panel."""
    from matplotlib.colors import to_rgb

    from dnalm.plots import plot_confusion_matrix

    figures = _drawn(monkeypatch)
    rng = np.random.default_rng(0)
    y = np.array([0] * 150 + [1] * 50)
    plot_roc_pr({"cnn": [(y, y + rng.random(200))], "bert": [(y, rng.random(200))]}, "r.png")
    roc, pr = figures[-1].axes
    assert [t.get_text().split(" (AUROC")[0] for t in roc.get_legend().get_texts()] == ["cnn", "bert"]
    assert all(" (AUROC 0." in t.get_text() or "AUROC 1.000" in t.get_text() for t in roc.get_legend().get_texts())
    assert any("(AP " in t.get_text() for t in pr.get_legend().get_texts())
    (no_skill,) = [line for line in pr.get_lines() if line.get_label().startswith("no skill")]
    assert no_skill.get_label() == "no skill (0.25)" and set(no_skill.get_ydata()) == {0.25}

    history = [{"epoch": e, "eval_loss": 1 / e, "train_loss": 1.1 / e, "eval_mcc": 0.1 * e} for e in (1, 2, 3, 4, 5)]
    plot_curves({"seed 0": history}, "c.png")
    figures[-1].canvas.draw()
    for ax in figures[-1].axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)

    plot_comparison({("tata", "cnn"): [0.7, 0.74, 0.72], ("tata", "bert"): [0.5, 0.52]}, {"tata": 0.742}, "m.png")
    (ax,) = figures[-1].axes
    points = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [len(line.get_xdata()) for line in points] == [3, 2]  # every seed's value
    assert [round(p.get_height(), 3) for p in ax.patches] == [0.72, 0.51]  # the means
    assert any(line.get_label() == "reference 0.742" for line in ax.get_lines())

    plot_confusion_matrix(np.array([[90, 10], [5, 45]]), ["0", "1"], "cm.png", title="run $x$")
    counts, fractions = figures[-1].axes
    assert [t.get_text() for t in fractions.texts] == ["0.90", "0.10", "0.10", "0.90"]
    for ax in (counts, fractions):
        image = ax.get_images()[0]
        for text in ax.texts:
            value = float(text.get_text().replace(",", ""))
            cell = np.array(to_rgb(image.cmap(image.norm(value))))
            ink = np.array(to_rgb(text.get_color()))
            assert np.abs(cell - ink).sum() > 1.0, (text.get_text(), cell, ink)  # readable on its cell


def test_a_figure_is_written_in_the_format_its_name_says(tmp_path):
    """x.pdf held PNG bytes; a folder or None as the path failed inside the temporary-file machinery."""
    import pytest

    from dnalm.plots import plot_confusion_matrix

    cm = np.array([[3, 1], [2, 4]])
    plot_confusion_matrix(cm, ["a", "b"], tmp_path / "x.pdf")
    plot_confusion_matrix(cm, ["a", "b"], tmp_path / "x.svg")
    assert (tmp_path / "x.pdf").read_bytes()[:5] == b"%PDF-" and b"<svg" in (tmp_path / "x.svg").read_bytes()[:400]
    with pytest.raises(ValueError, match=r"x.txt: a figure is written as .*not 'txt'"):
        plot_confusion_matrix(cm, ["a", "b"], tmp_path / "x.txt")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        plot_confusion_matrix(cm, ["a", "b"], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.pdf", "x.svg"]


def test_the_reports_roc_curves_are_of_the_class_evaluate_calls_positive(tmp_path):
    """With labels 1/2 the report drew the curves of class 2 (the second column) beside metrics of class 1."""
    from sklearn.metrics import roc_auc_score

    from dnalm.experiment.report import _binary_scores

    rows = [("a", "1", 0.9, 0.1), ("b", "2", 0.2, 0.8), ("c", "1", 0.4, 0.6), ("d", "2", 0.3, 0.7)]
    (tmp_path / "p.csv").write_text(
        "id,label,predicted,prob_1,prob_2\n" + "".join(f"{i},{y},{y},{p},{q}\n" for i, y, p, q in rows)
    )
    y, p = _binary_scores(tmp_path / "p.csv")
    assert list(y) == [1, 0, 1, 0] and list(p) == [0.9, 0.2, 0.4, 0.3]  # class "1", as evaluate's metrics
    assert roc_auc_score(y, p) == 1.0


def test_a_multi_label_runs_predictions_draw_no_binary_curve(tmp_path):
    """Two labels of a multi-label run were drawn as a binary classifier's ROC curve: rows labelled 'tata;gc' were
    negatives of 'tata', a curve (AUROC 0.659) of neither label beside a table that said 0.663."""
    from dnalm.experiment.report import _binary_scores

    (tmp_path / "p.csv").write_text(
        "id,label,predicted,prob_tata,prob_gc\na,tata;gc,tata;gc,0.9,0.8\nb,,,0.1,0.2\nc,tata,tata,0.7,0.1\n"
    )
    assert _binary_scores(tmp_path / "p.csv") is None


def test_a_predictions_file_with_a_row_that_is_no_number_is_named_with_its_line(tmp_path):
    """A header row again in a run's predictions.csv: the report failed with "could not convert string to float:
    'prob_1'", naming no file."""
    from dnalm.experiment.report import _binary_scores

    path = tmp_path / "predictions.csv"
    path.write_text("id,label,prob_0,prob_1\na,1,0.2,0.8\nid,label,prob_0,prob_1\nb,0,0.9,0.1\n")
    with pytest.raises(ValueError, match=r"predictions\.csv:3: prob_1 is 'prob_1', not a probability"):
        _binary_scores(path)
    path.write_text("id,label,prob_0,prob_1\na,1,0.2,0.8\nb,0,0.9,0.1\n")
    y, p = _binary_scores(path)
    assert y.tolist() == [1, 0] and p.tolist() == [0.8, 0.1]


def test_report_refuses_a_folder_that_holds_no_benchmark(tata_dir, work):
    _refused(work, ["report", tata_dir, "-o", "r.html"], "not a folder that `dnalm benchmark`")
    _refused(work, ["report", "sub", "-o", "r.html"], "not a folder that `dnalm benchmark`")
