"""fill-mask says what reading changed in its sequence, as the commands that read files say it."""

from __future__ import annotations

from dnalm.lm.inference import fill_mask
from dnalm.models.shipped import pretrained_path


def test_fill_mask_says_lower_case_u_and_ambiguity_codes_it_read(caplog):
    with caplog.at_level("INFO", logger="dnalm"):
        fill_mask(pretrained_path("dnalm-mini"), "acgua<mask>RYgu")
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("the sequence:")]
    assert said == [
        "the sequence: 1 of 1 sequence(s) held lower-case bases (read as upper case); 1 held U (read as T); "
        "1 held N or other ambiguity codes (2 bases, read as unknown)"
    ]
    caplog.clear()
    with caplog.at_level("INFO", logger="dnalm"):
        fill_mask(pretrained_path("dnalm-mini"), "ACGTA<mask>GT")
    assert not [r for r in caplog.records if r.getMessage().startswith("the sequence:")]
