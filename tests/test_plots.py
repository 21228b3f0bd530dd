"""The figures (dnalm.plots): drawn without library warnings, titles taken as text."""

from __future__ import annotations

import numpy as np


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
