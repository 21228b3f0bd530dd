"""Building a classifier on a shipped checkpoint logs none of transformers' load chatter in the Python API."""

from __future__ import annotations

from dnalm.models.build import build_model


def test_building_on_dnalm_cnn_logs_no_not_sharded_line(caplog):
    with caplog.at_level("WARNING"):
        build_model("dnalm-cnn", num_labels=2, seed=0)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "not sharded" not in said and "TP rules" not in said
