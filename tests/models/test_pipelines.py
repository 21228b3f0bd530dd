"""transformers' pipelines on dnalm model folders (after ``import dnalm``): the stock ``text-classification`` one
and dnalm's ``dna-classification`` on raw DNA."""

from __future__ import annotations

import pytest

SEQS = ["ACGTTATAAAGCGCGTACGATCGA", "ggcgcgcgatatatTTTACGNACGTACGATCGATTTAGC" * 3]


def _folder(path, preset):
    from dnalm.models.build import build_model

    model, tok, _ = build_model(preset, num_labels=2, seed=0, train_sequences=["ACGT" * 10])
    model.config.dnalm_train_max_tokens = 30  # the longer sequence takes several windows in predict
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _positive(results):
    return [next(x["score"] for x in r if x["label"] == "1") for r in results]


@pytest.mark.parametrize("preset", ["tiny", "pos-cnn"])
def test_text_classification_scores_raw_dna_as_predict_does(tmp_path, preset):
    """A 6-mer folder used to read raw DNA as one [UNK]; now every dnalm folder gives predict --no-rc's scores."""
    import numpy as np
    from transformers import pipeline

    import dnalm.apply.pipelines  # noqa: F401
    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import load_model

    folder = _folder(tmp_path, preset)
    model, tok = load_model(folder)
    expected = predict_proba(model, tok, SEQS, reverse_complement_average=False)[0][:, 1]
    got = _positive(pipeline("text-classification", model=str(folder), top_k=None)(SEQS))
    assert np.allclose(got, expected, atol=1e-5)
    if preset == "tiny":  # DNABERT-style space-separated k-mers are the same sequence
        kmers = " ".join(SEQS[0][i : i + 6] for i in range(len(SEQS[0]) - 5))
        spaced = pipeline("text-classification", model=str(folder), top_k=None)(kmers)
        assert _positive(spaced) == pytest.approx(expected[:1], abs=1e-5)


def test_text_classification_refuses_a_masked_lm_folder_and_bad_dna(tmp_path):
    from transformers import pipeline

    import dnalm.apply.pipelines  # noqa: F401
    from dnalm.models.shipped import pretrained_path

    with pytest.raises(ValueError, match="not a classifier.*dnalm finetune"):
        pipeline("text-classification", model=str(pretrained_path("dnalm-mini")))
    clf = pipeline("text-classification", model=str(_folder(tmp_path, "tiny")))
    with pytest.raises(ValueError, match="position 5: '!'"):
        clf("ACGT!ACGTACGT")


def test_dna_classification_refuses_a_masked_lm_folder_and_an_empty_input(tmp_path):
    """dna-classification scored an empty string, and a pretrained masked LM through a random head."""
    from transformers import pipeline

    import dnalm.apply.pipelines  # noqa: F401
    from dnalm.models.shipped import pretrained_path

    with pytest.raises(ValueError, match="not a classifier.*dnalm finetune"):
        pipeline("dna-classification", model=str(pretrained_path("dnalm-mini")))
    for task in ("dna-classification", "text-classification"):
        clf = pipeline(task, model=str(_folder(tmp_path / task, "tiny")))
        with pytest.raises(ValueError, match="an empty sequence"):
            clf(["  "])


def test_text_classification_keeps_dnabert_folders_as_they_were(dnabert_checkpoint, tmp_path):
    """A DNABERT folder (no dnalm marker) keeps transformers' own tokenizer: space-separated k-mers in."""
    from transformers import BertForSequenceClassification, pipeline

    import dnalm.apply.pipelines  # noqa: F401

    BertForSequenceClassification.from_pretrained(dnabert_checkpoint, num_labels=2).save_pretrained(tmp_path)
    for name in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        (tmp_path / name).write_bytes((dnabert_checkpoint / name).read_bytes())
    clf = pipeline("text-classification", model=str(tmp_path))
    assert not clf.dnalm_folder and not hasattr(clf.tokenizer, "kind")  # transformers' BertTokenizer, not dnalm's


@pytest.mark.parametrize("preset", ["tiny", "pos-cnn", "mini"])
def test_transformers_pipelines_take_raw_dna(tmp_path, preset):
    import numpy as np
    from transformers import pipeline

    import dnalm.apply.pipelines  # noqa: F401 - registers the dna-classification task and dnalm's architectures
    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model(preset, num_labels=2, seed=0, train_sequences=["ACGT" * 10])
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    seqs = ["ACGTTATAAAGCGCGTACGATCGA", "ggcgcgcgatatatTTTACGNACGT"]
    model, tok = load_model(tmp_path)
    expected = predict_proba(model, tok, seqs)[0][:, 1]

    def positive(results):
        return [next(x["score"] for x in r if x["label"] == "1") for r in results]

    assert np.allclose(
        positive(pipeline("dna-classification", model=str(tmp_path), top_k=None)(seqs)), expected, atol=1e-5
    )
    from dnalm.io.sequence import SequenceError

    with pytest.raises(SequenceError, match="record 2, position 3"):  # it said "record 'input'": which one?
        pipeline("dna-classification", model=str(tmp_path))([*seqs, "AC!GT"])
    if preset == "mini":  # single-base folders take raw DNA in the stock text-classification task too
        plain = pipeline("text-classification", model=str(tmp_path), top_k=None)(seqs)
        assert np.allclose(positive(plain), expected, atol=1e-5)
