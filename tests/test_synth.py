from __future__ import annotations

import numpy as np
import pytest

from dnalm.finetune.data import stratified_split
from dnalm.io.sequence import reverse_complement
from dnalm.synth import motif_dataset, read_pwm, tata_dataset


def test_tata_set_is_balanced_and_negatives_lack_motif_on_both_strands():
    recs = tata_dataset(n=1000, length=100, seed=3)
    assert len(recs) == 1000 and {len(r.sequence) for r in recs} == {100}
    pos = [r for r in recs if r.label == "1"]
    neg = [r for r in recs if r.label == "0"]
    assert len(pos) == len(neg) == 500
    assert all("TATAAA" in r.sequence for r in pos)
    assert not any("TATAAA" in r.sequence or "TTTATA" in r.sequence for r in neg)


def test_seeded_and_different_seeds_differ():
    assert tata_dataset(50, 40, seed=1) == tata_dataset(50, 40, seed=1)
    assert tata_dataset(50, 40, seed=1) != tata_dataset(50, 40, seed=2)


def test_custom_motif_rate_and_strands():
    recs = motif_dataset(200, 50, motif="GGATCC", rate=0.25, seed=0)
    assert sum(r.label == "1" for r in recs) == 50
    rc = reverse_complement("GGATCC")
    assert not any(("GGATCC" in r.sequence or rc in r.sequence) for r in recs if r.label == "0")


def test_pwm_sampling_follows_matrix(tmp_path):
    path = tmp_path / "m.jaspar"
    path.write_text(">MA0001 test\nA [ 10 0 0 ]\nC [ 0 10 0 ]\nG [ 0 0 5 ]\nT [ 0 0 5 ]\n")
    pwm = read_pwm(path)
    assert pwm.shape == (3, 4) and np.allclose(pwm.sum(axis=1), 1)
    recs = motif_dataset(400, 20, pwm=pwm, rate=0.5, seed=0)
    pos = [r.sequence for r in recs if r.label == "1"]
    assert all(("ACG" in s) or ("ACT" in s) for s in pos)
    with pytest.raises(ValueError, match=r"bad\.txt:1: 3 numbers; a PWM row holds 4 \(A C G T\)"):
        (tmp_path / "bad.txt").write_text("0.1 0.2 0.7\n")
        read_pwm(tmp_path / "bad.txt")


def test_a_count_matrix_is_said_to_be_scaled_and_a_motif_without_information_is_warned_of(tmp_path, caplog):
    """Rows that did not sum to 1 were scaled without a word, and a uniform matrix (0.5 0.5 0.5 0.5) made label-1
    sequences that cannot be told from label-0 ones, unremarked."""
    (tmp_path / "counts.txt").write_text("10 0 0 0\n0 5 5 0\n")
    with caplog.at_level("INFO", logger="dnalm.synth"):
        assert np.allclose(read_pwm(tmp_path / "counts.txt"), [[1, 0, 0, 0], [0, 0.5, 0.5, 0]])
    assert "counts.txt: rows sum to 10, not 1: read as counts and scaled to probabilities" in caplog.text
    assert "bits of information" not in caplog.text  # 2 + 1 bits
    caplog.clear()
    (tmp_path / "flat.txt").write_text("0.5 0.5 0.5 0.5\n")
    with caplog.at_level("INFO", logger="dnalm.synth"):
        read_pwm(tmp_path / "flat.txt")
    assert "flat.txt: rows sum to 2, not 1" in caplog.text
    assert "flat.txt: the motif carries 0.00 bits of information over its 1 position (less" in caplog.text
    caplog.clear()
    (tmp_path / "probs.txt").write_text("0.7 0.1 0.1 0.1\n0.1 0.1 0.1 0.7\n")
    with caplog.at_level("INFO", logger="dnalm.synth"):
        read_pwm(tmp_path / "probs.txt")
    assert caplog.text == ""  # probabilities, 1.28 bits: nothing to say


@pytest.mark.parametrize(
    ("text", "message"),
    [  # a repeated JASPAR row was kept last-wins and its twin reported as a bare KeyError ('C'); no line anywhere
        (">m\nA [ 1 0 ]\nA [ 0 1 ]\nG [ 0 0 ]\nT [ 1 1 ]\n", r"p\.txt:3: a second A row \(line 2 is one\)"),
        ("A [ 1 0 ]\nC [ 0 1 ]\nG [ 0 0 1 ]\nT [ 1 1 ]\n", r"p\.txt:3: 3 weights, where the A row holds 2"),
        ("A C G T\n1 0 0 0\n0 1 x 0\n", r"p\.txt:3: 'x' is not a number"),
        ("1 0 0 0\n0 1 0 0 0\n", r"p\.txt:2: 5 numbers; a PWM row holds 4"),
    ],
)
def test_a_damaged_weight_matrix_names_its_line(tmp_path, text, message):
    (tmp_path / "p.txt").write_text(text)
    with pytest.raises(ValueError, match=message):
        read_pwm(tmp_path / "p.txt")


def test_bad_arguments():
    with pytest.raises(ValueError, match="exactly one"):
        motif_dataset(10, 10)
    with pytest.raises(ValueError, match="longer than"):
        motif_dataset(10, 4, motif="TATAAA")
    with pytest.raises(ValueError, match="A/C/G/T"):
        motif_dataset(10, 40, motif="TATANA")


def test_stratified_split_is_disjoint_and_complete():
    recs = tata_dataset(1000, 30, seed=0)
    train, dev = stratified_split(recs, 0.2, seed=5)
    assert len(train) == 800 and len(dev) == 200
    assert sum(r.label == "1" for r in dev) == 100
    assert {r.id for r in train}.isdisjoint(r.id for r in dev)
    assert stratified_split(recs, 0.2, seed=5) == (train, dev)


def test_unstratified_split_and_empty_sides():
    recs = motif_dataset(10, 20, motif="TATA", rate=0.5, seed=0)
    train, dev = stratified_split(recs, 0.3, seed=0, stratify=False)
    assert len(dev) == 3 and len(train) == 7
    with pytest.raises(ValueError, match="leaves one side empty"):
        stratified_split(recs[:1], 0.2)


def test_a_motif_no_negative_can_avoid_is_refused_not_drawn_forever():
    with pytest.raises(ValueError, match="the motif is empty"):
        motif_dataset(20, 50, motif="")
    with pytest.raises(ValueError, match="'A' occurs in nearly every random 100-base sequence"):
        motif_dataset(20, 100, motif="A")
    assert len(motif_dataset(20, 100, motif="ACGTAC")) == 20


@pytest.mark.parametrize("row", ["nan nan nan nan", "inf 0 0 1", "1 0 -inf 0"])
def test_a_weight_matrix_with_nan_or_inf_is_refused_naming_the_position(tmp_path, row):
    """nan rows sampled data silently; inf only gave numpy's RuntimeWarning."""
    (tmp_path / "p.txt").write_text("1 0 0 0\n" + row + "\n")
    with pytest.raises(ValueError, match=r"p.txt: (position 2 of the weight matrix is not a finite|expected L rows)"):
        read_pwm(tmp_path / "p.txt")


def test_too_few_sequences_for_three_splits_names_synths_own_options(tmp_path):
    from dnalm.synth import write_splits

    with pytest.raises(ValueError, match=r"3 sequences are too few for train, dev and test splits .*larger --n"):
        write_splits(tata_dataset(3, 30, seed=0), tmp_path / "d")


def test_a_class_missing_from_dev_or_test_is_refused_and_the_positives_are_counted(tmp_path):
    """``synth motif --n 7 --rate 0.1`` wrote one positive (0.7 rounded) into train alone, with exit 0: dev and test
    held one class, which the same command refuses for --n 3."""
    from dnalm.synth import synthesize

    with pytest.raises(ValueError, match=r"class '1' has 1 of the 7 sequences, none for dev or test"):
        synthesize("motif", tmp_path / "few", n=7, rate=0.1, motif="TATA")
    assert not (tmp_path / "few").exists()
    line = synthesize("motif", tmp_path / "ok", n=40, rate=0.26, motif="TATA")  # 10.4 with the motif: 10
    assert "(10 with the motif, label 1)" in line
    with pytest.raises(ValueError, match=r"unknown synth tata setting 'lenght' \(did you mean 'length'\?\)"):
        synthesize("tata", tmp_path / "typo", lenght=50)


def test_a_seed_gives_the_uniform_sets_it_gave_before():
    """The genome background changed how negatives are redrawn; the uniform background's sets (the README's and
    the docs' examples) stay what each seed gave before (a digest taken from the code before it)."""
    import hashlib

    sets = tata_dataset(3000, 60, seed=3) + motif_dataset(500, 20, motif="ACG", seed=1)
    digest = hashlib.md5("".join(r.sequence + r.label for r in sets).encode()).hexdigest()
    assert digest == "bddfbbf9b066a550bfef48ef3ea9f069"


def test_the_genome_background_has_the_genomes_composition_and_no_motif_in_negatives():
    """background="genome" draws from an order-4 Markov chain of five genomes: plain background follows the chain
    (P(next base | 4 before) of the commonest contexts within 0.03) and is A/T-rich as they are; a motif set's
    negatives still hold the motif on neither strand."""
    from dnalm.lm.baselines import MarkovChain
    from dnalm.synth import genome_chain

    recs = tata_dataset(3000, 150, seed=0, background="genome")
    assert recs == tata_dataset(3000, 150, seed=0, background="genome") != tata_dataset(3000, 150, seed=0)
    assert not any("TATAAA" in r.sequence or "TTTATA" in r.sequence for r in recs if r.label == "0")
    assert all("TATAAA" in r.sequence for r in recs if r.label == "1")
    plain = [r.sequence for r in motif_dataset(2000, 150, pwm=np.full((1, 4), 0.25), rate=0, background="genome")]
    at = sum(s.count("A") + s.count("T") for s in plain) / sum(map(len, plain))
    order, start, cumulative = genome_chain()
    assert order == 4 and 0.53 < at < 0.58  # the genomes' A/T share (a uniform background: 0.50)
    made = MarkovChain(4).fit(plain).tables[4]
    common = np.argsort(start)[-20:]
    made_p = made[common] / made[common].sum(1, keepdims=True)
    chain_p = np.diff(cumulative[common], prepend=0, axis=1)
    assert np.abs(made_p - chain_p).max() < 0.03


def test_the_genome_background_takes_no_gc_and_an_unknown_background_is_named():
    with pytest.raises(ValueError, match=r"gc \(--gc\) 0.4 sets the uniform background's GC content"):
        motif_dataset(20, 30, motif="ACGTAC", gc=0.4, background="genome")
    with pytest.raises(ValueError, match=r"background \(--background\) must be one of uniform, genome; got 'genomic'"):
        tata_dataset(20, 30, background="genomic")
    assert len(tata_dataset(20, 3 + 6, background="genome")[0].sequence) == 9  # shorter than the chain's context too


def test_generators_and_list_arguments_refuse_what_they_would_misread(tmp_path):
    """tata_dataset(n=-1) was numpy's 'negative dimensions', a PWM as a list an AttributeError and a negative PWM
    made sequences; one string where a list goes was read letter by letter; an empty output path was the working
    folder ('output folder  is not empty')."""
    from dnalm.io.datasets import parse_class_files
    from dnalm.io.regions import parse_regions
    from dnalm.lm.corpus import build_corpus
    from dnalm.synth import motif_dataset, synthesize, tata_dataset

    for kw, said in [({"n": -1}, "n .* at least 1"), ({"seed": -1}, "seed .* at least 0"), ({"n": True}, "n ")]:
        with pytest.raises(ValueError, match=said):
            tata_dataset(**kw)
    assert len(motif_dataset(10, 20, pwm=[[1, 0, 0, 0], [0, 1, 0, 0]])) == 10  # a list is a matrix too
    for pwm, said in [
        ([[1, 0, 0]], "got 1 x 3 numbers"),
        ([], "no rows of numbers"),
        ([[-1, 1, 1, 1]], "negative"),
        ([[np.nan, 1, 1, 1]], "finite"),
    ]:
        with pytest.raises(ValueError, match=said):
            motif_dataset(10, 20, pwm=pwm)
    for call in (
        lambda: build_corpus("g.fa", tmp_path / "c"),
        lambda: parse_regions("chr1:1-10"),
        lambda: parse_class_files("a=b.fa"),
    ):
        with pytest.raises(TypeError, match="not one"):
            call()
    with pytest.raises(ValueError, match="an output path is empty"):
        synthesize("tata", "")


def test_synth_refuses_more_bases_than_it_can_hold():
    """synth tata --n 1000000000 died of a MemoryError naming no option."""
    from dnalm.synth import SynthSettings

    with pytest.raises(ValueError, match=r"n \(--n\) must be in \[3, 100000000\]; got 1000000000"):
        SynthSettings(n=10**9, length=100)
    with pytest.raises(ValueError, match=r"n \(--n\) x length \(--length\) is 10,000,000,000 bases"):
        SynthSettings(n=10**8, length=100)


def test_a_missing_pwm_file_and_a_named_tokenizer_for_check_are_clear(tmp_path):
    """synth --pwm nope.txt said a bare '[Errno 2]'; tokenizer check refused kmer6, which audit --tokenizer takes."""
    from dnalm.audit import check_tokenizer
    from dnalm.io import Record
    from dnalm.synth import read_pwm

    with pytest.raises(FileNotFoundError, match=r"--pwm .*nope.txt: no such file"):
        read_pwm(tmp_path / "nope.txt")
    report = check_tokenizer("kmer6", lambda split: [Record("a", "ACGTACGTAC")], [None])
    assert report["all"]["n_tokens"] == 7 and report["all"]["unk_tokens"] == 0
