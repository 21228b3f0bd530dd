"""Gradient attributions are taken whatever the caller's torch session holds (inside inference_mode or no_grad)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dnalm.interpret.attributions import interpret_file

pytest.importorskip("captum")


@pytest.mark.parametrize("mode", [torch.inference_mode, torch.no_grad])
def test_integrated_gradients_inside_a_callers_inference_block(tata_model, tmp_path, mode):
    (tmp_path / "a.fa").write_text(">a\nGCGCGCGCGCGCGCGCGCGCTATAAAGCGCGCGCGCGCGCGCGCGCGCGCGCGCGCGCGCGC\n")
    with mode():
        interpret_file(str(tata_model), tmp_path / "a.fa", tmp_path / "it", method="ig", logos=0)
        assert not torch.is_grad_enabled()  # the caller's block, as it was
    imp = np.load(tmp_path / "it" / "attributions.npz")["importance_0"]
    assert 20 <= int(np.argmax(imp)) < 26  # on the TATA box: gradients were taken
