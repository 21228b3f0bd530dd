"""predict and evaluate: inputs much shorter than the training length are counted and said; unlabelled
data given to evaluate is named as such."""

from __future__ import annotations

import random

import pytest

from dnalm.apply.evaluate import evaluate, predict_file


def _seqs(lengths, seed=0):
    rng = random.Random(seed)
    return ["".join(rng.choice("ACGT") for _ in range(n)) for n in lengths]


def test_predict_warns_about_inputs_much_shorter_than_the_training_length(model, tmp_path, caplog):
    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(_seqs([20] * 12 + [60] * 28))))
    with caplog.at_level("WARNING"):
        assert predict_file(str(model), fasta, tmp_path / "out.tsv") == 40
    assert "12 of 40 sequences are shorter than 30 bp (the model was fine-tuned on 60 bp)" in caplog.text


def test_evaluate_warns_too_and_is_quiet_on_full_length_input(model, tmp_path, caplog):
    data = tmp_path / "x.csv"
    seqs = _seqs([10, 60, 59, 29, 61])
    data.write_text("sequence,label\n" + "".join(f"{s},{i % 2}\n" for i, s in enumerate(seqs)))
    with caplog.at_level("WARNING"):
        evaluate(str(model), data, tmp_path / "e")
    assert "2 of 5 sequences are shorter than 30 bp" in caplog.text
    caplog.clear()
    data.write_text("sequence,label\n" + "".join(f"{s},{i % 2}\n" for i, s in enumerate(_seqs([60, 45]))))
    with caplog.at_level("WARNING"):
        evaluate(str(model), data, tmp_path / "e2")
    assert "shorter than" not in caplog.text


def test_interpret_warns_about_short_inputs_too(model, tmp_path, caplog):
    from dnalm.interpret.attributions import interpret_file

    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(_seqs([12, 60, 60]))))
    with caplog.at_level("WARNING"):
        interpret_file(str(model), fasta, tmp_path / "i", limit=3, logos=0)
    assert "1 of 3 sequences are shorter than 30 bp (the model was fine-tuned on 60 bp)" in caplog.text


def test_the_method_names_are_one_list():
    from dnalm.interpret.attributions import METHODS
    from dnalm.interpret.settings import METHODS as CHOICES

    assert tuple(METHODS) == CHOICES


def test_evaluate_on_unlabelled_data_says_so_and_names_the_column(model, tmp_path):
    data = tmp_path / "x.csv"
    data.write_text("sequence,note\nACGTACGT,a\nACGTTTTT,b\n")
    with pytest.raises(
        ValueError, match=r"x\.csv:2: record '0': the data has no labels \(expected a label column: one"
    ):
        evaluate(str(model), data, tmp_path / "e")
    fasta = tmp_path / "x.fa"
    fasta.write_text(">a\nACGTACGT\n")
    with pytest.raises(ValueError, match=r"x\.fa: FASTA records carry no labels"):
        evaluate(str(model), fasta, tmp_path / "e")


def test_evaluate_takes_named_sequence_and_label_columns(model, tmp_path):
    data = tmp_path / "x.csv"
    data.write_text("dna_seq,y\n" + "".join(f"{s},{i % 2}\n" for i, s in enumerate(_seqs([60] * 4))))
    m = evaluate(str(model), data, tmp_path / "e", sequence_column="dna_seq", label_column="y")
    assert m["n_sequences"] == 4


def test_predict_and_evaluate_commands_take_the_column_options(model, tmp_path):
    from typer.testing import CliRunner

    from dnalm.cli import app

    data = tmp_path / "x.tsv"
    data.write_text("dna_seq\ty\n" + "".join(f"{s}\t{i % 2}\n" for i, s in enumerate(_seqs([60] * 4))))
    common = ["--sequence-column", "dna_seq", "--label-column", "y"]
    out = CliRunner().invoke(app, ["predict", str(model), str(data), "-o", str(tmp_path / "p.tsv"), *common])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "p.tsv").read_text().splitlines()[0].startswith("id\tlabel\t")
    out = CliRunner().invoke(app, ["evaluate", str(model), str(data), "-o", str(tmp_path / "e"), *common])
    assert out.exit_code == 0, out.output


def test_predict_says_when_a_windowing_option_changed_nothing(model, tmp_path, caplog):
    fasta = tmp_path / "in.fa"
    fasta.write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(_seqs([60, 45]))))
    with caplog.at_level("WARNING"):
        predict_file(str(model), fasta, tmp_path / "a.tsv", stride=7, aggregate="max")
    assert (
        "--stride and --aggregate changed nothing: no sequence is longer than one window (60 bases; the longest is 60)"
        in caplog.text
    )
    caplog.clear()
    fasta.write_text(">long\n" + _seqs([150])[0] + "\n")
    with caplog.at_level("WARNING"):
        predict_file(str(model), fasta, tmp_path / "b.tsv", stride=7)
        predict_file(str(model), fasta, tmp_path / "c.tsv")
    assert "changed nothing" not in caplog.text


def test_scan_and_variants_warn_about_a_window_much_shorter_than_the_training_length(model, tmp_path, caplog):
    """`scan --window 5` on a model fine-tuned on 60 bp scored 5-base windows without a word (predict warns of
    such short inputs); `variants --window` too."""
    from dnalm.apply.scan import scan_genome
    from dnalm.apply.variants import score_variants

    (genome := tmp_path / "g.fa").write_text(">chr1\n" + _seqs([300])[0] + "\n")
    with caplog.at_level("WARNING"):
        scan_genome(str(model), genome, tmp_path / "s.bg", window=20)
    assert "window (--window) 20 bases is shorter than 30, half the 60 bp the model was fine-tuned on" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        scan_genome(str(model), genome, tmp_path / "s2.bg", window=40)
    assert "shorter than 30" not in caplog.text
    base = genome.read_text().splitlines()[1][99]
    vcf = tmp_path / "v.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"chr1\t100\tv\t{base}\t{'A' if base != 'A' else 'C'}\t.\t.\t.\n"
    )
    caplog.clear()
    with caplog.at_level("WARNING"):
        score_variants(str(model), vcf, genome, tmp_path / "v.tsv", window=10)
    assert "window (--window) 10 bases is shorter than 30" in caplog.text
