"""What interpret cannot attribute is said with its number: ambiguity codes (rows of 0) and records --limit leaves out."""

from __future__ import annotations

import numpy as np

from dnalm.interpret.attributions import interpret_file


def test_ambiguity_codes_and_records_left_out_are_counted(tata_model, tmp_path, caplog):
    mixed = "CATCGCTTGGGCCACGTAGTCTAGAGCACARYSWKCTAAATGAGACATCTTAGAGGAGATA"
    (tmp_path / "in.fa").write_text(
        f">mixed\n{mixed}\n>allN\n{'N' * 60}\n>plain\n{'ACGT' * 15}\n>more\n{'GATC' * 15}\n"
    )
    with caplog.at_level("WARNING", logger="dnalm"):
        r = interpret_file(str(tata_model), tmp_path / "in.fa", tmp_path / "out", limit=2, logos=0)
    said = "\n".join(rec.getMessage() for rec in caplog.records)
    assert r["n_sequences"] == 2
    assert "interpreting the first 2 of 4 sequences" in said and "2 left out" in said
    assert "2 of 2 sequence(s) hold N or other ambiguity codes (65 bases)" in said and "no base to mutate from" in said
    assert "1 sequence(s) hold no A/C/G/T base (the first: 'allN')" in said
    data = np.load(tmp_path / "out" / "attributions.npz")
    assert not data["ism_0"][30:35].any() and not data["ism_1"].any()  # the rows said to be 0 are 0
