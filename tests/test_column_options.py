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
    res = _run("tokenizer", "check", model, data, *cols)
    assert res.exit_code == 0 and "train" in res.output, res.output
    res = _run("audit", data, "--tokenizer", "none", *cols)
    assert res.exit_code == 0, res.output
    res = _run("interpret", model, data / "test.tsv", "-o", tmp_path / "i", "--limit", "2", "--logos", "0", *cols)
    assert res.exit_code == 0, res.output
    res = _run("audit", data, "--tokenizer", "none")  # without them: the error names the option, which exists
    assert res.exit_code == 2 and "--sequence-column" in res.output


def test_embed_takes_the_sequence_column(tmp_path, data):
    res = _run("embed", "--help")
    assert "--sequence-column" in res.output
