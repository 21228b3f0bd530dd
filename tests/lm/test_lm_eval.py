"""Per-base masked-LM evaluation: offsets, marginalisation and the references on the same bases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers.modeling_outputs import MaskedLMOutput

from dnalm.lm.evaluate import lm_metrics, masked_base_probabilities
from dnalm.tokenizers.dna import BaseTokenizer, KmerTokenizer


class Oracle(torch.nn.Module):
    """Puts all its mass on the true token at every position: it knows the unmasked input."""

    def __init__(self, tokenizer, sequences):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.truth = tokenizer(sequences, padding=True, return_tensors="pt")["input_ids"]
        self.vocab = len(tokenizer)

    def forward(self, input_ids, attention_mask=None):
        width = input_ids.shape[1]
        agree = (input_ids[:, None, :] == self.truth[None, :, :width]).sum(-1)  # which sequence is each row
        truth = self.truth[agree.argmax(1), :width]
        assert (input_ids != truth).any()  # something is masked
        return MaskedLMOutput(logits=torch.nn.functional.one_hot(truth, self.vocab).float() * 50)


def _random_sequences(n, length, seed=0):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]


@pytest.mark.parametrize("tokenizer", [KmerTokenizer(k=3), KmerTokenizer(k=6), BaseTokenizer()])
def test_an_oracle_scores_every_masked_base_right(tokenizer):
    seqs = _random_sequences(5, 60)
    model = Oracle(tokenizer, seqs).train()
    out = masked_base_probabilities(model, tokenizer, seqs, batch_size=2)
    assert model.training  # mode restored
    k = getattr(tokenizer, "k", 1)
    spacing = max(2 * k, 8)
    for i, (seq, (bases, probs)) in enumerate(zip(seqs, out)):
        assert bases.tolist() == list(range(i % spacing, 60, spacing))  # the phase moves per sequence
        np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
        assert "".join("ACGT"[j] for j in probs.argmax(1)) == "".join(seq[b] for b in bases)
        assert probs.max(1).min() > 0.99


def test_lm_metrics_reports_references_on_the_same_bases():
    from transformers import BertConfig, BertForMaskedLM

    tok = KmerTokenizer(k=3)
    torch.manual_seed(0)
    model = BertForMaskedLM(
        BertConfig(
            vocab_size=len(tok),
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=128,
        )
    )
    train = ["ACGTTGCA" * 12] * 20  # a periodic genome: the Markov chain predicts it almost perfectly
    heldout = ["ACGTTGCA" * 8] * 3
    m = lm_metrics(model, tok, train, heldout, max_markov_order=4, max_context=2)
    assert m["n_bases"] == sum(len(range(i % 8, 64, 8)) for i in range(3))
    assert m["markov_bits_per_base"] < 0.2 and m["uniform_bits_per_base"] == 2.0
    assert 1.5 < m["bits_per_base"] < 2.5 and not m["beats_markov"]  # an untrained model learned nothing
    assert "does not beat the Markov chain" in m["verdict"]


class Uniform(torch.nn.Module):
    """The same logits for every token: log2(vocab) bits per masked token, top token never the truth."""

    def __init__(self, vocab):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.vocab = vocab

    def forward(self, input_ids, attention_mask=None):
        logits = torch.zeros(*input_ids.shape, self.vocab)
        logits[..., 0] = 1e-3  # argmax: token 0, a special token
        return MaskedLMOutput(logits=logits)


def test_bpe_tokens_are_scored_per_base_beside_the_markov_chain():
    from dnalm.lm.evaluate import masked_token_scores
    from dnalm.tokenizers.bpe import train_bpe

    train = _random_sequences(40, 200, seed=1)
    tok = train_bpe(train, vocab_size=64)
    held = _random_sequences(6, 80, seed=2)
    model = Uniform(len(tok))
    spans = masked_token_scores(model, tok, held)  # every 4th token, as lm_metrics does
    for seq, rows in zip(held, spans):
        assert rows and all(0 <= a < b <= len(seq) for a, b, _, _ in rows)
        for a, b, bits, hit in rows:
            assert abs(bits - np.log2(len(tok))) < 0.01 and not hit
    m = lm_metrics(model, tok, train, held, max_markov_order=2, max_context=1)
    n_tokens = sum(len(r) for r in spans)
    assert m["n_bases"] == sum(b - a for r in spans for a, b, _, _ in r)
    assert abs(m["bits_per_base"] - n_tokens * np.log2(len(tok)) / m["n_bases"]) < 0.01
    assert m["masked_base_accuracy"] == 0 and m["context_count_bits_per_base"] is None
    assert 1.9 < m["markov_bits_per_base"] < 2.1 and m["beats_markov"] == (
        m["bits_per_base"] < m["markov_bits_per_base"]
    )


def test_lm_metrics_names_each_wrong_argument():
    """None training sequences, one string of held-out sequences, batch_size 0, alpha -1 and a model path failed
    deep inside the baselines, torch or numpy, or (alpha) went through."""
    tok = KmerTokenizer(k=3)
    model = Uniform(len(tok))
    seqs = _random_sequences(3, 40)
    for kwargs, match in (
        ({"train_sequences": None}, "train_sequences are needed"),
        ({"heldout_sequences": "ACGTACGT"}, "heldout_sequences must be a list of sequences"),
        ({"batch_size": 0}, "batch_size must be a whole number of at least 1"),
        ({"alpha": -1}, "alpha .* must be a number > 0"),
        ({"model": "some/folder"}, "model must be a loaded masked LM"),
    ):
        args = {"model": model, "tokenizer": tok, "train_sequences": seqs, "heldout_sequences": seqs} | kwargs
        with pytest.raises((TypeError, ValueError), match=match):
            lm_metrics(**args)


def test_a_model_level_with_the_references_within_noise_is_not_said_to_beat_them():
    """1.9992 bits against the count model's 1.9998 on 161 bases was called 'uses more than short context'."""
    from dnalm.lm.evaluate import clearly_below, verdict

    rng = np.random.default_rng(1)
    model = rng.choice([1.0, 2.0, 3.0], 161)
    assert not clearly_below(model, model + 0.0006 + rng.normal(0, 0.3, 161))
    lm = {"bits_per_base": 1.9992, "uniform_bits_per_base": 2.0, "beats_uniform": False}
    assert verdict({**lm, "beats_markov": True, "beats_context_count": True}).startswith(
        "is no better than the uniform"
    )


def test_a_model_of_the_wrong_kind_given_as_an_object_is_named_not_failed_on_inside(tata_model, tmp_path):
    """A classifier given where a masked LM is needed failed in torch's einsum (masked_base_probabilities), an
    IndexError (fill_mask) or 'no attribute last_hidden_state' (embed of a CNN); a masked LM given to predict_proba
    returned its per-token vocabulary as class scores; swapped arguments, batch size 0 and one string failed
    inside; a table of sequences was read as its column names."""
    import pandas as pd
    from transformers import pipeline

    from dnalm.apply.predict import predict_proba
    from dnalm.lm.evaluate import lm_metrics, masked_base_probabilities, masked_token_scores
    from dnalm.lm.inference import embed, fill_mask, load_masked_lm
    from dnalm.models.build import build_model, load_model

    seq = "ACGTTATAAAGCGCGTACGA" * 3
    classifier, tok = load_model(tata_model)
    lm, lm_tok = load_masked_lm("dnalm-mini")
    for call in (
        lambda: masked_base_probabilities(classifier, tok, [seq]),
        lambda: lm_metrics(classifier, tok, [seq], [seq]),
        lambda: fill_mask(None, "ACG<mask>T", model=classifier, tokenizer=tok),
    ):
        with pytest.raises(ValueError, match=r"needs a masked LM \(a model with its masked-LM head"):
            call()
    with pytest.raises(ValueError, match="ModernBertForMaskedLM is a masked language model"):
        predict_proba(lm, lm_tok, [seq])
    with pytest.raises(TypeError, match="model must be a loaded masked LM"):
        lm_metrics(lm_tok, lm, [seq], [seq])  # the arguments swapped
    with pytest.raises(ValueError, match="the tokenizer has 4,?101 tokens and the model"):
        lm_metrics(lm, tok, [seq], [seq])  # another model's tokenizer: 'index out of range in self' in torch
    with pytest.raises(TypeError, match="sequences must be a list of sequences"):
        masked_base_probabilities(lm, lm_tok, "ACGT")  # scored as four one-base sequences
    with pytest.raises(ValueError, match="batch_size must be a whole number"):
        masked_base_probabilities(lm, lm_tok, [seq], batch_size=0)  # range() arg 3 must not be zero
    with pytest.raises(ValueError, match="spacing must be a whole number"):
        masked_token_scores(lm, lm_tok, [seq], spacing=0)
    with pytest.raises(ValueError, match="masked_token_scores is for tokenizers whose tokens do not overlap"):
        masked_token_scores(lm, lm_tok, [seq])  # return_offsets_mapping is no argument of dnalm's tokenizers
    with pytest.raises(TypeError, match=r"table\['sequence'\].tolist\(\); a DataFrame iterates its column names"):
        predict_proba(classifier, tok, pd.DataFrame({"sequence": [seq]}))
    with pytest.raises(ValueError, match="^embed needs at least one sequence"):  # it said "predict needs"
        embed(None, [], model=classifier, tokenizer=tok)
    assert embed(None, [seq], model=classifier, tokenizer=tok).shape == (1, classifier.config.hidden_size)
    cnn, cnn_tok, _ = build_model("pos-cnn", seed=0)
    with pytest.raises(ValueError, match="embed needs a transformer's encoder; PosCnnForSequenceClassification"):
        embed(None, [seq], model=cnn, tokenizer=cnn_tok)
    with pytest.raises(ValueError, match="needs at least one sequence; got an empty list"):  # IndexError inside
        pipeline("dna-classification", model=str(tata_model))([])
    for bad, problem in (({"seed": -1}, r"seed must be a whole number in \[0, "), ({"input_length": 0}, "input_len")):
        with pytest.raises(ValueError, match=problem):
            build_model("pos-cnn", **bad)
