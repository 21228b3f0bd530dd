"""Embeddings and fill-mask (dnalm.lm.inference): the models they take, the ids and files they write."""

from __future__ import annotations

import numpy as np
import pytest

from dnalm.lm.inference import IncompleteCheckpointError, embed, fill_mask
from tests.conftest import _ok


def test_embedding_ids_stay_one_a_line(tmp_path, caplog):
    """A quoted CSV id holding a line break gave 4 id lines for 3 vectors: every later id on the wrong row."""
    from dnalm.lm.inference import write_embeddings

    write_embeddings(np.zeros((3, 2)), ["a", "b\nc", "d"], tmp_path / "e.npy")
    assert (tmp_path / "e.ids.txt").read_text().splitlines() == ["a", "b\\nc", "d"]
    assert "1 ids hold a line break" in caplog.text


def test_an_embeddings_name_in_upper_case_is_its_format(tmp_path):
    """embed -o E.NPY was refused ("written as .npy or .parquet") while predict -o X.TSV was taken."""
    from dnalm.lm.inference import write_embeddings

    write_embeddings(np.ones((2, 3), dtype=np.float32), ["a", "b"], tmp_path / "E.NPY")
    assert np.load(tmp_path / "E.NPY").shape == (2, 3) and (tmp_path / "E.ids.txt").read_text() == "a\nb\n"


def test_fill_mask_on_a_cnn_classifier_says_it_needs_another_kind_of_model(tmp_path):
    """It printed transformers' list of every masked-LM configuration class it knows."""
    from dnalm.lm.inference import fill_mask
    from dnalm.models.build import build_model

    model, tok, _ = build_model("cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    with pytest.raises(ValueError, match=r"m: fill-mask needs another kind of model than this one \(DilatedCnnConfig"):
        fill_mask(tmp_path / "m", "ACGT<mask>ACGT")


def test_embed_names_its_ids_file_and_counts_repeated_ids(work):
    (work / "dup.fa").write_text(">s1 first one\n" + "ACGT" * 10 + "\n>s1\n" + "GGCC" * 10 + "\n")
    out = _ok(["embed", "dnalm-mini", "dup.fa", "-o", "e.npy"])
    assert "e.ids.txt" in out and "1 rows repeat an earlier record's id" in out
    assert "1 record(s) repeat an earlier record's id (the first repeat: 's1' at dup.fa:3" in out  # as predict says
    _ok(["embed", "dnalm-mini", "dup.fa", "-o", "e.parquet"])
    import pyarrow.parquet as pq

    table = pq.read_table(work / "e.parquet").to_pydict()  # the headers' descriptions, as predict keeps them
    assert table["id"] == ["s1", "s1"] and table["description"] == ["first one", None]


@pytest.fixture(scope="module")
def classifier_checkpoint(dnabert_checkpoint, tmp_path_factory):
    """A fine-tuned classifier: the pretrained encoder plus a classification head, no masked-LM head."""
    import shutil

    from transformers import AutoModelForSequenceClassification

    out = tmp_path_factory.mktemp("classifier")
    AutoModelForSequenceClassification.from_pretrained(str(dnabert_checkpoint), num_labels=2).save_pretrained(out)
    for f in dnabert_checkpoint.iterdir():  # the tokenizer files
        if not (out / f.name).exists():
            shutil.copy(f, out / f.name)
    return out


def test_fill_mask_refuses_a_classifier_instead_of_reading_a_random_head(classifier_checkpoint):
    with pytest.raises(IncompleteCheckpointError, match="fill-mask needs a pretrained model"):
        fill_mask(classifier_checkpoint, "ACGTAGCTAGCT<mask>GCTAGCTAGCATCGA")


def test_embed_of_a_classifier_reads_its_encoder(classifier_checkpoint, dnabert_checkpoint):
    # the classifier's encoder is the pretrained one: the same vectors, no random weights
    seqs = ["ACGTACGTAGCTAGCTTTGA", "GGCA" * 20]
    vectors = embed(classifier_checkpoint, seqs)
    assert vectors == pytest.approx(embed(dnabert_checkpoint, seqs), abs=1e-5)
    assert vectors.dtype == "float32"  # was float64: twice the file for no information


def test_fill_mask_cli_refuses_a_classifier_in_one_line(classifier_checkpoint):
    from typer.testing import CliRunner

    from dnalm.cli import app

    result = CliRunner().invoke(app, ["fill-mask", str(classifier_checkpoint), "ACGTAGCT<mask>GCTAGCTAGC"])
    assert result.exit_code != 0
    assert "fine-tuned classifier" in result.output and "Traceback" not in result.output
