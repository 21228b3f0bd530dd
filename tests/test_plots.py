"""The figures (dnalm.plots): drawn without library warnings, titles taken as text, and the caller's matplotlib
(its backend, pyplot's figures) left as it was."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from dnalm.plots import plot_confusion_matrix, plot_curves, plot_logo, plot_loss_curve


def test_an_empty_logo_draws_without_a_library_warning(tmp_path):
    """interpret on an all-N record let matplotlib's 'identical low and high ylims' warning through."""
    import warnings

    from dnalm.plots import plot_logo

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_logo(np.zeros((20, 4)), tmp_path / "logo.png", "all N")
    assert (tmp_path / "logo.png").stat().st_size > 1000


def test_a_dollar_folder_name_is_not_read_as_mathtext(tmp_path):
    from dnalm.apply.evaluate import plot_confusion_matrix

    plot_confusion_matrix([[3, 1], [0, 4]], ["0", "1"], tmp_path / "cm.png", title="run_$a^b^c$ [test]")
    assert (tmp_path / "cm.png").stat().st_size > 1000


@pytest.fixture
def callers_backend():
    before = matplotlib.get_backend()
    matplotlib.use("pdf")  # the caller's choice (a notebook's would be matplotlib_inline's)
    yield "pdf"
    matplotlib.use(before)


def test_figures_keep_the_callers_backend_and_open_no_pyplot_figure(callers_backend, tmp_path):
    import matplotlib.pyplot as plt

    open_before = plt.get_fignums()
    plot_confusion_matrix(np.array([[3, 1], [0, 4]]), ["a", "b"], tmp_path / "cm.png")
    plot_curves({"s0": [{"epoch": 1, "eval_loss": 0.5}, {"epoch": 2, "eval_loss": 0.4}]}, tmp_path / "c.svg")
    plot_loss_curve([{"step": 5, "loss": 1.0}, {"step": 5, "eval_loss": 0.9}], tmp_path / "l.pdf")
    plot_logo(np.eye(4)[[0, 1, 2, 3, 0]] * 0.5, tmp_path / "logo.png", "a logo")
    assert matplotlib.get_backend() == callers_backend and plt.get_fignums() == open_before
    assert (tmp_path / "cm.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "l.pdf").read_bytes()[:4] == b"%PDF"
    assert b"<svg" in (tmp_path / "c.svg").read_bytes()[:500] and (tmp_path / "logo.png").stat().st_size > 1000
