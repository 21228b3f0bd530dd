"""A mistyped keyword of a function that takes its settings as keywords is named with the closest setting."""

from __future__ import annotations

import pytest

from dnalm.audit import run_audit
from dnalm.lm.corpus import build_corpus
from dnalm.tokenizers.build import save_tokenizer


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda p: build_corpus([p / "a.fa"], p / "c", min_lenght=1), "unknown build_corpus setting 'min_lenght' "),
        (lambda p: save_tokenizer("kmer", p / "t", kk=3), "unknown save_tokenizer setting 'kk' (did you mean 'k'?)"),
        (lambda p: run_audit(p / "a.fa", p / "a.json", min_sharde=3), "(did you mean 'min_shared'?)"),
    ],
)
def test_a_mistyped_setting_keyword_is_named_with_the_closest_one(tmp_path, call, said):
    (tmp_path / "a.fa").write_text(">a\nACGTACGTAC\n")
    with pytest.raises(ValueError) as err:  # it was a TypeError naming a private dataclass's __init__
        call(tmp_path)
    assert said in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.fa"]
