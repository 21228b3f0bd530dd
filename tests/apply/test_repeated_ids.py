"""Ids that repeat are said by every command that writes a row per record (each keeps its row, in input order)."""

from __future__ import annotations

import csv

from dnalm.apply.evaluate import evaluate


def test_evaluate_says_ids_that_repeat_as_predict_does(model, tmp_path, caplog):
    data = tmp_path / "d.csv"
    data.write_text("id,sequence,label\na,ACGTACGTAGCTAGCTAGCATCGATCG,1\na,TTTTACGTAGCTAGGGGGCATCGATCG,0\nb,ACGTAC,0\n")
    with caplog.at_level("WARNING", logger="dnalm"):
        evaluate(str(model), data, tmp_path / "e")
    said = [r.getMessage() for r in caplog.records if "repeat an earlier record's id" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("1 record(s)") and "'a'" in said[0]
    rows = list(csv.DictReader(open(tmp_path / "e" / "predictions.csv")))
    assert [r["id"] for r in rows] == ["a", "a", "b"]  # each keeps its row, in input order
