from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnalm.io.sequence import IUPAC, SequenceError, base_codes, gc_content, kmers, normalize, reverse_complement


def test_normalize_keeps_ambiguity_codes_and_reads_rna():
    assert normalize("acgu nRYswkmbdhv".replace(" ", "")) == "ACGTNRYSWKMBDHV"


@pytest.mark.parametrize(("seq", "pos", "char"), [("ACGX", 4, "X"), ("-A", 1, "-"), ("AC GT", 3, " "), ("ACé", 3, "é")])
def test_normalize_names_record_and_position(seq, pos, char):
    with pytest.raises(SequenceError) as info:
        normalize(seq, record="chr7")
    assert (info.value.record, info.value.position, info.value.char) == ("chr7", pos, char)
    assert f"position {pos}" in str(info.value) and "chr7" in str(info.value)


@given(st.text(alphabet=IUPAC, max_size=200))
def test_reverse_complement_twice_is_identity(seq):
    assert reverse_complement(reverse_complement(seq)) == seq


@given(st.text(alphabet="ACGT", min_size=1, max_size=100))
def test_reverse_complement_reverses_and_pairs(seq):
    rc = reverse_complement(seq)
    pairs = {"A": "T", "C": "G", "G": "C", "T": "A"}
    assert all(pairs[a] == b for a, b in zip(seq, reversed(rc)))


def test_iupac_complements():
    assert reverse_complement("RYKMSWBDHVN") == "NBDHVWSKMRY"


def test_kmers_and_codes():
    assert kmers("ACGTA", 2) == ["AC", "CG", "GT", "TA"]
    assert kmers("AC", 3) == []
    with pytest.raises(ValueError):
        kmers("ACGT", 0)
    assert base_codes(b"ACGTUNR").tolist() == [0, 1, 2, 3, 3, 4, 4]
    assert gc_content("NNNN") == 0.0


def test_reverse_complement_refuses_what_has_no_complement():
    """'ACXT' came back as 'AXGT' and lower case passed through unchanged; a number was an AttributeError."""
    from dnalm.io.sequence import SequenceError, reverse_complement

    assert reverse_complement("ACGTN") == "NACGT"
    with pytest.raises(SequenceError, match="position 3: 'X' has no complement"):
        reverse_complement("ACXT")
    with pytest.raises(TypeError, match="takes a sequence"):
        reverse_complement(123)
