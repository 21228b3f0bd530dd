"""The pretraining corpus (dnalm.lm.corpus) and the language-model side's settings: bounds, damaged folders, where
the bases went."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import _run


def test_lm_side_arguments_in_range(tmp_path, caplog):
    from dnalm.lm.corpus import CorpusSettings
    from dnalm.lm.inference import embed
    from dnalm.lm.pretrain import PretrainConfig
    from dnalm.models.build import build_model
    from dnalm.tokenizers.build import KmerSettings

    with pytest.raises(
        ValueError, match=r"max_length must be in \[8, 10000000\]; got 2"
    ):  # range() arg 3 must not be zero
        PretrainConfig(max_length=2)
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) must be in \[1, 1000000000\]"):  # numpy's int64
        CorpusSettings(max_length=10**20)
    with pytest.raises(ValueError, match=r"block_size \(--block-size, 10\) must be at least min_length"):
        CorpusSettings(block_size=10)  # every base was dropped, then "the train part of the corpus is empty"
    with pytest.raises(
        ValueError, match=r"max_length \(--max-length, 1000\) is more than block_size \(--block-size, 500"
    ):
        CorpusSettings(block_size=500, min_length=100, max_length=1000)  # segments were silently at most 500
    with pytest.raises(ValueError, match=r"max_length \(--max-length\) must be in \[3, 10000000\]; got 1"):
        KmerSettings(max_length=1)
    model, tok, _ = build_model("tiny", num_labels=2, seed=0)
    encoder = model.base_model
    with pytest.raises(TypeError, match="give a list of sequences"):  # one vector per base came back
        embed(None, "ACGTACGTACGT", model=encoder, tokenizer=tok)
    vectors = embed(None, ["ACG", "ACGTACGTACGT"], model=encoder, tokenizer=tok)  # the first is shorter than k
    assert vectors.shape[0] == 2 and "1 window(s) of 1 sequence(s) hold no token of sequence" in caplog.text
    assert "(the first: sequence 0, 0-based" in caplog.text


def test_a_damaged_corpus_or_model_folder_names_the_part_that_cannot_be_read(genome, tmp_path):
    """pyarrow's "Tried reading schema message, was null or length 0" and json's "Expecting property name" named no
    file; a model folder without its tokenizer files ended in transformers' advice to install sentencepiece."""
    import shutil

    root, _ = genome
    corpus = tmp_path / "co"
    assert (
        _run(
            "corpus", root / "g.fa", "-o", corpus, "--block-size", 300, "--min-length", 50, "--max-length", 300
        ).exit_code
        == 0
    )
    arrow = next((corpus / "validation").glob("*.arrow"))
    arrow.write_bytes(b"")
    res = _run("lm-eval", "dnalm-mini", corpus, "-o", tmp_path / "l.json")
    assert res.exit_code == 2 and f"{corpus / 'validation'}: the corpus cannot be read (" in res.output, res.output
    (corpus / "dataset_dict.json").write_text("{bad")
    res = _run("lm-eval", "dnalm-mini", corpus, "-o", tmp_path / "l.json")
    assert f"{corpus / 'dataset_dict.json'}: the corpus cannot be read" in res.output, res.output
    model = tmp_path / "m"
    shutil.copytree(root / "m", model)
    for name in ("tokenizer.json", "dnalm_tokenizer.json"):
        (model / name).unlink(missing_ok=True)
    (tmp_path / "a.fa").write_text(">a\n" + "ACGT" * 20 + "\n")
    res = _run("predict", model, tmp_path / "a.fa", "-o", tmp_path / "p.tsv")
    assert res.exit_code == 2 and f"{model}: its tokenizer cannot be loaded (" in res.output, res.output
    assert "copy the model folder whole" in res.output


def test_corpus_and_class_files_say_where_the_bases_went(tmp_path, caplog):
    """An all-N genome of one block said '0 N/IUPAC bases dropped' (its block had gone to validation); a FASTA copied
    under a second --class label trained every sequence under both labels without a word."""
    from dnalm.finetune.data import load_splits

    rng = np.random.default_rng(9)
    text = "".join(f">p{i}\n{''.join(rng.choice(list('ACGT'), 60))}\n" for i in range(20))
    (tmp_path / "p.fa").write_text(text)
    (tmp_path / "q.fa").write_text(text)
    load_splits(None, classes={"pos": str(tmp_path / "p.fa"), "neg": str(tmp_path / "q.fa")})
    assert "20 sequence(s) are in the FASTA files of two classes (the first: p0 of pos is p0 of neg)" in caplog.text
    (tmp_path / "nul.fa").write_bytes(b">a\x00b\nACGTACGTAC\n")  # the NUL went into the output's ids
    res = _run("corpus", tmp_path / "nul.fa", "-o", tmp_path / "cn")
    assert res.exit_code == 2 and "nul.fa:1: column 3: the header holds a control character '\\x00'" in res.output
    (tmp_path / "n.fa").write_text(">a\n" + "N" * 100 + "\n")
    res = _run("corpus", tmp_path / "n.fa", "-o", tmp_path / "cn")
    assert (
        res.exit_code == 2
        and "(every block went to validation: use a smaller val_fraction (--val-fraction) or block_size (--block-size))"
        in res.output
    )
