"""Fixtures of the apply tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """An untrained two-class pos-cnn folder that says it was fine-tuned on 60-base sequences."""
    from dnalm.models.build import build_model

    out = tmp_path_factory.mktemp("m")
    m, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    m.config.dnalm_train_max_tokens = 62  # as if fine-tuned on 60-base sequences
    m.save_pretrained(out)
    tok.save_pretrained(out)
    return out
