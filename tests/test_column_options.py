"""--sequence-column/--label-column on every command that reads tables (the table error suggests them)."""

from __future__ import annotations

import random

import pytest
from typer.testing import CliRunner

from dnalm.cli import app


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from dnalm.models.build import build_model

    out = tmp_path_factory.mktemp("m")
    m, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    m.save_pretrained(out)
    tok.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = random.Random(0)
    root = tmp_path_factory.mktemp("d")
    for split in ("train", "test"):
        rows = "".join(f"{''.join(rng.choice('ACGT') for _ in range(40))}\t{i % 2}\n" for i in range(6))
        (root / f"{split}.tsv").write_text("dna_seq\ty\n" + rows)
    return root


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_tokenizer_check_audit_and_interpret_take_the_column_options(model, data, tmp_path):
    cols = ["--sequence-column", "dna_seq", "--label-column", "y"]
    res = _run("tokenizer", "check", model, data, *cols[:2])
    assert res.exit_code == 0 and "train" in res.output, res.output
    res = _run("audit", data, "--tokenizer", "none", *cols)
    assert res.exit_code == 0, res.output
    interpret = ["interpret", model, data / "test.tsv", "-o", tmp_path / "i", "--limit", "2", "--logos", "0"]
    res = _run(*interpret, *cols[:2])
    assert res.exit_code == 0, res.output
    for command in (interpret, ["tokenizer", "check", model, data]):  # they read no labels: it did nothing but fail
        res = _run(*command, *cols)
        assert res.exit_code == 2 and "label_column (--label-column) names a table's label column" in res.output
    res = _run("audit", data, "--tokenizer", "none")  # without them: the error names the option, which exists
    assert res.exit_code == 2 and "--sequence-column" in res.output


def test_embed_takes_the_sequence_column(tmp_path, data):
    res = _run("embed", "--help")
    assert "--sequence-column" in res.output


@pytest.mark.parametrize(
    "command",
    [
        ["finetune", "--model", "cnn", "--epochs", "1", "-o", "OUT"],
        ["evaluate", "MODEL", "-o", "OUT"],
        ["tokenizer", "check", "kmer3"],
    ],
)
def test_column_options_beside_class_fastas_are_refused_not_ignored(command, model, tmp_path):
    """--class reads one FASTA per class: a column option did nothing (finetune recorded it as a setting)."""
    rng = random.Random(1)
    for label in ("a", "b"):
        (tmp_path / f"{label}.fa").write_text(
            "".join(f">{label}{i}\n{''.join(rng.choice('ACGT') for _ in range(40))}\n" for i in range(6))
        )
    args = [str(model) if a == "MODEL" else str(tmp_path / "o") if a == "OUT" else a for a in command]
    res = _run(
        *args, "--class", f"a={tmp_path / 'a.fa'}", "--class", f"b={tmp_path / 'b.fa'}", "--sequence-column", "s"
    )
    assert res.exit_code != 0
    assert "--class: sequence_column (--sequence-column) names a column of a CSV/TSV table" in res.output
    assert not (tmp_path / "o").exists()


def test_column_options_with_regions_are_refused(model, tmp_path):
    (tmp_path / "g.fa").write_text(">chr1\n" + "ACGT" * 100 + "\n")
    res = _run(
        "predict", model, tmp_path / "g.fa", "--regions", "chr1:1-200", "-o", tmp_path / "p.tsv", "--label-column", "y"
    )
    assert res.exit_code != 0
    assert (
        "label_column (--label-column) names a column of a CSV/TSV table; this is a genome read by --regions"
        in res.output
    )
    assert not (tmp_path / "p.tsv").exists()
