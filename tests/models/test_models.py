from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification

from dnalm.models.build import PRESETS, build_model, load_model, resolve_spec
from dnalm.testing import write_dnabert_checkpoint
from dnalm.tokenizers.dna import KmerTokenizer


def test_dnabert_layout_checkpoint_loads_with_kmer_tokenizer_and_its_weights(dnabert_checkpoint):
    model, tok, spec = build_model(str(dnabert_checkpoint), num_labels=2)
    assert spec is None and isinstance(tok, KmerTokenizer) and tok.k == 6
    assert tok.unk_token_id not in tok("ACGTACGTTTGACCA")["input_ids"]
    reference = AutoModelForSequenceClassification.from_pretrained(dnabert_checkpoint, num_labels=2)
    assert torch.equal(model.bert.embeddings.word_embeddings.weight, reference.bert.embeddings.word_embeddings.weight)


def test_pytorch_model_bin_checkpoint_loads(tmp_path):
    path = write_dnabert_checkpoint(tmp_path / "bin", weights="bin")
    model, tok, _ = build_model(str(path), num_labels=3)
    assert model.config.num_labels == 3 and isinstance(tok, KmerTokenizer)


def test_scratch_and_pretrained_build_the_same_architecture(dnabert_checkpoint):
    pre, tok_a, _ = build_model(str(dnabert_checkpoint), num_labels=2, seed=0)
    scratch, tok_b, _ = build_model(str(dnabert_checkpoint), num_labels=2, from_scratch=True, seed=0)
    assert type(pre) is type(scratch) and tok_a.get_vocab() == tok_b.get_vocab()
    shapes = lambda m: {n: p.shape for n, p in m.named_parameters()}  # noqa: E731
    assert shapes(pre) == shapes(scratch)
    emb = "bert.embeddings.word_embeddings.weight"
    assert not torch.equal(dict(pre.named_parameters())[emb], dict(scratch.named_parameters())[emb])


def test_dnabert6_preset_has_dnaberts_dimensions():
    spec = resolve_spec("dnabert-6")
    assert spec.config == {
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
    }
    assert spec.tokenizer == "kmer" and spec.k == 6 and spec.max_length == 512
    assert PRESETS["tinydnabert"].architecture == "roberta" and PRESETS["tinydnabert"].bpe_vocab_size == 1024


def test_yaml_model_spec_and_unknown_keys(tmp_path):
    good = tmp_path / "m.yaml"
    good.write_text("preset: tiny\nk: 4\nconfig:\n  num_hidden_layers: 1\n")
    spec = resolve_spec(str(good))
    assert spec.k == 4 and spec.config["num_hidden_layers"] == 1 and spec.config["hidden_size"] == 128
    bad = tmp_path / "b.yaml"
    bad.write_text("preset: tiny\nlayers: 3\n")
    with pytest.raises(ValueError, match=r"unknown key 'layers'"):
        resolve_spec(str(bad))
    with pytest.raises(ValueError, match="not a preset"):
        resolve_spec("no-such-model")


_ATTENTION = {"channels": 32, "attention_layers": 2, "attention_pool": 2, "attention_positions": 64}


@pytest.mark.parametrize(
    ("preset", "overrides"),
    [("pos-cnn", None), ("pos-cnn", _ATTENTION), ("cnn", None), ("cnn-gb", None), ("lstm", None), ("tiny", None)],
    ids=["pos-cnn", "pos-cnn-attention", "cnn", "cnn-gb", "lstm", "tiny"],
)
def test_models_save_and_reload_identically(tmp_path, preset, overrides):
    model, tok, _ = build_model(preset, num_labels=2, input_length=40, seed=0, config_overrides=overrides)
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    again, tok2 = load_model(tmp_path)
    assert type(again) is type(model)
    enc = tok2(["ACGTACGTNNACGTAGGCTA", "ACGTAC"], padding=True, return_tensors="pt")
    enc = {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask")}
    model.eval(), again.eval()
    with torch.inference_mode():
        assert torch.allclose(model(**enc).logits, again(**enc).logits, atol=1e-6)


def test_baselines_follow_the_transformers_contract():
    model, tok, _ = build_model("cnn", num_labels=3)
    enc = tok(["ACGTACGTAC", "ACG"], padding=True, return_tensors="pt")
    out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], labels=torch.tensor([0, 2]))
    assert out.logits.shape == (2, 3) and out.loss.ndim == 0
    out.loss.backward()


def test_reverse_complement_augmentation_keeps_specials_and_padding():
    model, tok, _ = build_model("cnn", num_labels=2)
    enc = tok(["AACGT", "ACG"], padding=True, return_tensors="pt")
    model.config.rc_augment = 1.0
    rc = model._reverse_complement(enc["input_ids"], enc["attention_mask"])
    assert tok.decode(rc[0]) == tok.decode(tok("ACGTT")["input_ids"])
    assert tok.decode(rc[1]) == tok.decode(tok(["CGT", "AAAAA"], padding=True)["input_ids"][0])


def test_trust_remote_code_is_off_by_default(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "model_type": "bert-dna2",
                "auto_map": {
                    "AutoConfig": "configuration_bert.BertConfig",
                    "AutoModelForSequenceClassification": "bert_layers.Cls",
                },
            }
        )
    )
    (tmp_path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "A", "C"]))
    with pytest.raises(ValueError, match="trust"):
        build_model(str(tmp_path), num_labels=2)


def test_hub_ids_resolve_dnabert_vocab_through_hf_hub_download(monkeypatch, dnabert_checkpoint):
    import huggingface_hub

    from dnalm.tokenizers.dna import load_tokenizer

    calls = []

    def fake_download(repo_id, filename, **kwargs):
        calls.append((repo_id, filename))
        path = dnabert_checkpoint / filename
        if not path.exists():
            from huggingface_hub.errors import EntryNotFoundError

            raise EntryNotFoundError(f"{filename} not in {repo_id}")
        return str(path)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    tok = load_tokenizer("zhihan1996/DNA_bert_6")
    assert isinstance(tok, KmerTokenizer) and tok.k == 6
    assert ("zhihan1996/DNA_bert_6", "vocab.txt") in calls


def test_token_limit_respects_position_embeddings(dnabert_checkpoint):
    from dnalm.models.build import model_max_tokens

    model, tok, _ = build_model(str(dnabert_checkpoint), num_labels=2)
    assert tok.model_max_length == 512 and model_max_tokens(model, tok) == 64
    roberta, bpe, _ = build_model("tinydnabert", num_labels=2, train_sequences=["ACGTTGCA" * 50] * 20)
    assert roberta.config.max_position_embeddings == 514 and model_max_tokens(roberta, bpe) == 512


def test_nucleotide_transformer_layout_uses_its_own_tokenizer(tmp_path):
    from dnalm.apply.predict import predict_proba
    from dnalm.testing import write_nucleotide_transformer_checkpoint

    path = write_nucleotide_transformer_checkpoint(tmp_path / "nt")
    model, tok, _ = build_model(str(path), num_labels=2, seed=0)
    assert type(model).__name__ == "EsmForSequenceClassification"
    assert tok.convert_ids_to_tokens(tok("ACGTACGTANNACGTAC")["input_ids"]) == [
        "<cls>",
        "ACGTAC",
        "G",
        "T",
        "A",
        "N",
        "N",
        "ACGTAC",
        "<eos>",
    ]
    lower, _ = predict_proba(model, tok, ["acgtacgtannacguac"])  # normalised before a stock tokenizer sees it
    upper, _ = predict_proba(model, tok, ["ACGTACGTANNACGTAC"])
    assert (lower == upper).all()


def test_position_bins_let_the_cnn_see_where_a_motif_sits():
    from dnalm.models import baselines

    early = "A" * 30 + "GGATCCTATAAA" + "A" * 60
    late = "A" * 60 + "GGATCCTATAAA" + "A" * 30
    for bins, moved in ((0, False), (8, True)):
        model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0, config_overrides={"position_bins": bins})
        assert isinstance(model, baselines.PosCnnForSequenceClassification)
        model.eval()
        with torch.inference_mode():
            a, b = (
                model(**{k: v for k, v in tok([s], return_tensors="pt").items() if k != "token_type_ids"}).logits
                for s in (early, late)
            )
        diff = float((a - b).abs().max())
        assert diff > 1e-3 if moved else diff < 1e-4  # max + mean pooling alone cannot tell (float rounding only)


def test_shift_augment_moves_bases_between_the_special_tokens():
    import torch

    from dnalm.models.baselines import PosCnnConfig, PosCnnForSequenceClassification

    model = PosCnnForSequenceClassification(PosCnnConfig(shift_augment=2))
    n_id = model.config.ambiguous_token_ids[0]
    ids = torch.tensor([[2, 5, 6, 7, 8, 5, 6, 3, 0, 0], [2, 5, 5, 5, 6, 6, 6, 7, 7, 3]])
    mask = (ids != 0).long()
    torch.manual_seed(0)
    seen = set()
    for _ in range(40):
        out = model._shift(ids, mask)
        for row, moved, m in zip(ids.tolist(), out.tolist(), mask.sum(1).tolist()):
            inner, got = row[1 : m - 1], moved[1 : m - 1]
            assert moved[0] == row[0] and moved[m - 1 :] == row[m - 1 :]  # [CLS], [SEP], padding stay
            offsets = [
                o
                for o in range(-2, 3)
                if got == ([n_id] * o + inner[: len(inner) - o] if o >= 0 else inner[-o:] + [n_id] * -o)
            ]
            assert offsets, (inner, got)
            seen.add(offsets[0])
    assert seen == {-2, -1, 0, 1, 2}


def test_one_long_outlier_does_not_grow_the_gb_cnn(tata_dir, tmp_path):
    import random

    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    data = tmp_path / "d"
    data.mkdir()
    rng = random.Random(0)
    outlier = "".join(rng.choice("ACGT") for _ in range(5000))
    (data / "train.csv").write_text((tata_dir / "train.csv").read_text() + f"{outlier},1\n")
    (data / "dev.csv").write_text((tata_dir / "dev.csv").read_text())
    summary = finetune(FinetuneConfig(model="cnn-gb", epochs=1, trainer={"disable_tqdm": True}), data, tmp_path / "m")
    assert summary["parameters"] < 100_000  # built for the 60-base sequences, not the 5,000-base one
    assert summary["n_truncated_train"] == 1  # and the outlier is counted as truncated


def test_byte_dropout_drops_at_its_rate_and_keeps_the_mean():
    from dnalm.models.baselines import ByteDropout

    drop = ByteDropout(0.2)
    x = torch.ones(64, 128, 70)
    torch.manual_seed(0)
    a = drop(x)
    torch.manual_seed(0)
    assert torch.equal(a, drop(x))  # torch's generator: seeded runs repeat
    assert drop.p == 51 / 256 and abs(float((a == 0).float().mean()) - drop.p) < 0.005
    assert abs(float(a.mean()) - 1.0) < 0.01 and torch.allclose(a.unique(), torch.tensor([0.0, 1 / (1 - drop.p)]))
    assert not torch.equal(drop(x), drop(x))  # a fresh mask per call
    assert torch.equal(drop.eval()(x), x) and torch.equal(ByteDropout(0.0)(x), x)
    assert torch.equal(ByteDropout(1.0)(x), torch.zeros_like(x))
    with pytest.raises(ValueError, match="dropout probability"):
        ByteDropout(1.5)


def _logits(model, tok, sequences):
    enc = tok(sequences, padding=True, return_tensors="pt")
    with torch.inference_mode():
        return model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits


def test_attention_layers_follow_the_contract_and_give_each_sequence_its_own_answer():
    from dnalm.models.attention import FeatureAttention

    model, tok, _ = build_model("pos-cnn", num_labels=3, seed=0, config_overrides=_ATTENTION)
    assert isinstance(model.body.attention, FeatureAttention) and len(model.body.attention.layers) == 2
    enc = tok(["ACGTACGTACGTAAGG", "ACGTTTAC", "GGGCCCATATAAAAGGCT"], padding=True, return_tensors="pt")
    out = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], labels=torch.tensor([0, 2, 1]))
    assert out.logits.shape == (3, 3) and out.loss.ndim == 0
    out.loss.backward()
    assert model.body.attention.positions.weight.grad.abs().sum() > 0  # the positions learn
    model.eval()
    rng = torch.Generator().manual_seed(0)
    seqs = [
        "".join("ACGT"[i] for i in torch.randint(0, 4, (int(n),), generator=rng)) for n in torch.randint(5, 90, (9,))
    ]
    alone = torch.cat([_logits(model, tok, [s]) for s in seqs])
    for size in (2, 4, 9):  # padded batches of any size give each sequence the answer it gets alone
        batched = torch.cat([_logits(model, tok, seqs[i : i + size]) for i in range(0, len(seqs), size)])
        torch.testing.assert_close(batched, alone, atol=1e-5, rtol=1e-5)


def test_attention_layers_see_where_a_motif_sits_at_fine_resolution():
    early = "A" * 40 + "GGATCCTATAAA" + "A" * 44
    late = "A" * 44 + "GGATCCTATAAA" + "A" * 40  # 4 bases on: one pooled position, no position bins at all
    for layers, moved in ((0, False), (1, True)):
        overrides = {"position_bins": 0, "attention_layers": layers, "attention_pool": 4}
        model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0, config_overrides=overrides)
        model.eval()
        diff = float((_logits(model, tok, [early]) - _logits(model, tok, [late])).abs().max())
        assert diff > 1e-3 if moved else diff < 1e-4


def test_attention_layers_bound_the_input_length_and_old_configs_load_unchanged(tmp_path):
    from dnalm.models.baselines import PosCnnConfig
    from dnalm.models.build import model_max_tokens
    from dnalm.models.shipped import pretrained_path

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0, config_overrides=_ATTENTION)
    assert model_max_tokens(model, tok) == 64 * 2  # positions x pooling: predict() windows longer input
    with pytest.raises(ValueError, match="64 positions and this input needs 65"):
        _logits(model.eval(), tok, ["A" * 128])
    from dnalm.apply.predict import predict_proba

    probs, _ = predict_proba(model, tok, ["ACGTTGCA" * 40, "ACGT"])  # 320 bases: scored in windows of 128 tokens
    assert probs.shape == (2, 2) and np.isfinite(probs).all()
    old = json.loads((pretrained_path("dnalm-cnn") / "config.json").read_text())  # written before attention existed
    assert not any(k.startswith("attention") for k in old)
    config = PosCnnConfig.from_dict(old)
    assert config.attention_layers == 0 and not hasattr(config, "max_position_embeddings")
    plain, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    assert plain.body.attention is None and model_max_tokens(plain, tok) == tok.model_max_length
    assert not any("attention" in k for k in plain.state_dict())  # the same weights as before: old folders load


def test_a_checkpoint_takes_attention_layers_and_keeps_its_own_weights():
    from safetensors.torch import load_file

    from dnalm.models.shipped import pretrained_path

    shipped = load_file(pretrained_path("dnalm-cnn") / "model.safetensors")
    model, _, _ = build_model("dnalm-cnn", num_labels=2, seed=0, config_overrides={"attention_layers": 1})
    assert model.config.attention_layers == 1 and model.config.num_labels == 2
    state = model.state_dict()
    convolutions = [k for k in shipped if k.startswith("body.")]
    assert convolutions and all(torch.equal(state[k], shipped[k]) for k in convolutions)
    new = model.body.attention
    assert torch.isfinite(new.positions.weight).all() and 0.01 < float(new.positions.weight.detach().std()) < 0.03
    assert torch.equal(new.norm.weight, torch.ones_like(new.norm.weight))  # initialised, not left as loaded
    with pytest.raises(ValueError, match="'channels' would change this checkpoint's weights"):
        build_model("dnalm-cnn", num_labels=2, config_overrides={"channels": 64})


def test_position_bins_shape_a_new_head_only_so_a_masked_base_checkpoint_takes_them_and_a_classifier_does_not(
    tmp_path,
):
    """The masked-base checkpoint has no classifier head (it is always new), so another number of position bins
    changes nothing it has; a fine-tuned classifier's head was trained for its own bins, so they are refused."""
    from safetensors.torch import load_file

    from dnalm.models.shipped import pretrained_path

    shipped = load_file(pretrained_path("dnalm-cnn") / "model.safetensors")
    model, _, _ = build_model("dnalm-cnn", num_labels=2, seed=0, config_overrides={"position_bins": 32})
    assert model.config.position_bins == 32 and model.body.head.in_features == 2 * 128 + 32 * 32
    state = model.state_dict()
    body = [k for k in shipped if k.startswith("body.")]
    assert body and all(torch.equal(state[k], shipped[k]) for k in body)
    assert model(input_ids=torch.randint(5, 9, (2, 70))).logits.shape == (2, 2)
    model.save_pretrained(tmp_path / "classifier")
    with pytest.raises(ValueError, match="'position_bins' would change this checkpoint's weights"):
        build_model(str(tmp_path / "classifier"), num_labels=2, config_overrides={"position_bins": 8})


def test_a_second_positional_head_at_finer_bins_trains_on_its_own_loss_and_the_output_is_the_mean(tmp_path):
    """``fine_position_bins``: two heads on one body. In training the loss is the mean of each head's own loss (so
    neither leans on the other); the output, in training and in use, is the mean of their logits, and the loss
    reported in evaluation is that output's. The masked-base checkpoint takes the setting (its body, new heads)."""
    from transformers import AutoModelForSequenceClassification

    from dnalm.models.baselines import PosCnnConfig, sequence_classification_loss

    model, _, _ = build_model("dnalm-cnn", num_labels=2, seed=0, config_overrides={"fine_position_bins": 35})
    body = model.body
    assert body.head.in_features == 2 * 128 + 8 * 32 and body.fine_head.in_features == 2 * 128 + 35 * 32
    ids, labels = torch.randint(5, 9, (4, 72), generator=torch.Generator().manual_seed(1)), torch.tensor([0, 1, 1, 0])
    model.eval()
    with torch.no_grad():
        x = model._lookup(ids.device)[0][ids].transpose(1, 2)
        coarse, fine = body(x, torch.ones_like(ids))
        out = model(input_ids=ids, labels=labels)
    assert torch.allclose(out.logits, (coarse + fine) / 2, atol=1e-6)
    assert torch.allclose(out.loss, sequence_classification_loss(out.logits, labels, None, 2), atol=1e-6)
    model.train()
    model.config.rc_augment = model.config.shift_augment = 0  # the same input as the heads below see
    torch.manual_seed(0)
    out = model(input_ids=ids, labels=labels)
    torch.manual_seed(0)
    coarse, fine = body(x, torch.ones_like(ids))  # the same dropout draws
    each = [sequence_classification_loss(h, labels, None, 2) for h in (coarse, fine)]
    assert torch.allclose(out.loss, (each[0] + each[1]) / 2, atol=1e-5)
    assert not torch.allclose(out.loss, sequence_classification_loss(out.logits, labels, None, 2), atol=1e-5)
    model.eval().save_pretrained(tmp_path)
    again = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    with torch.no_grad():
        assert torch.equal(again(input_ids=ids).logits, model(input_ids=ids).logits)
    with pytest.raises(ValueError, match="fine_position_bins .* position_bins must be at least 1"):
        PosCnnConfig(position_bins=0, fine_position_bins=16)


def test_a_masked_base_model_with_attention_layers_reads_the_whole_window_and_hands_its_layers_on(tmp_path):
    """The attention layers are pretrained with the convolutions: a masked base's prediction then depends on bases
    beyond the convolutions' 39-base reach, and a classifier built from the folder starts from those layers."""
    from transformers import AutoModelForMaskedLM, AutoModelForSequenceClassification

    from dnalm.models.baselines import PosCnnConfig, PosCnnForMaskedLM

    config = PosCnnConfig(channels=32, attention_layers=1, attention_pool=4, attention_positions=64, vocab_size=10)
    lm = PosCnnForMaskedLM(config).eval()
    ids = torch.randint(5, 9, (1, 200), generator=torch.Generator().manual_seed(0))
    far = ids.clone()
    far[0, 150] = 5 if int(ids[0, 150]) != 5 else 6  # 130 bases from position 20
    near = lm(input_ids=ids).logits[0, 20]
    assert not torch.allclose(near, lm(input_ids=far).logits[0, 20])
    plain = PosCnnForMaskedLM(PosCnnConfig(channels=32, vocab_size=10)).eval()
    assert torch.allclose(plain(input_ids=ids).logits[0, 20], plain(input_ids=far).logits[0, 20])  # 39 bases only
    lm.save_pretrained(tmp_path)
    assert isinstance(AutoModelForMaskedLM.from_pretrained(tmp_path), PosCnnForMaskedLM)
    classifier = AutoModelForSequenceClassification.from_pretrained(tmp_path, num_labels=2)
    for name, tensor in lm.body.attention.state_dict().items():
        torch.testing.assert_close(classifier.body.attention.state_dict()[name], tensor)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_labels": 0}, r"num_labels must be a whole number >= 1; got 0"),
        ({"num_labels": "2"}, r"num_labels must be a whole number >= 1; got '2'"),
        ({"num_labels": 3, "id2label": {0: "x", 1: "y"}}, r"id2label must name labels 0..2 \(num_labels=3\)"),
    ],
)
def test_build_model_refuses_a_head_it_cannot_build_as_asked(kwargs, message):
    """num_labels=0 built an empty head that predicted (1, 0) arrays; an id2label of another length was replaced by
    LABEL_0..; num_labels='2' was a TypeError naming no argument."""
    from dnalm.models.build import build_model

    with pytest.raises(ValueError, match=message):
        build_model("cnn", **kwargs)


@pytest.mark.parametrize(
    "saved, given, kept",
    [
        (("promoter", "random"), ("0", "1"), False),  # other labels: the output layer starts afresh
        (("0", "1"), ("0", "1"), True),  # the same labels: fine-tuning goes on from the trained head
        (("LABEL_0", "LABEL_1"), ("0", "1"), True),  # not named (a hub classifier): taken in order, said
    ],
)
def test_a_classifier_for_other_labels_starts_its_output_layer_afresh(tmp_path, caplog, saved, given, kept):
    """Fine-tuning from a promoter/random classifier on 0/1 data kept its head, classes matched by position:
    it began inverted (MCC -0.47 after an epoch), without a word."""
    import logging

    import torch

    m, tok, _ = build_model("pos-cnn", num_labels=2, id2label=dict(enumerate(saved)), seed=0)
    m.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    with caplog.at_level(logging.INFO, logger="dnalm"):
        again, _, _ = build_model(str(tmp_path / "m"), num_labels=2, id2label=dict(enumerate(given)), seed=1)
    last = [n for n, p in m.named_parameters() if p.shape[0] == 2][-1]
    same = torch.equal(dict(m.named_parameters())[last], dict(again.named_parameters())[last])
    assert same is kept
    body = [n for n, p in m.named_parameters() if n != last and not n.startswith(last.rsplit(".", 1)[0])]
    assert all(torch.equal(dict(m.named_parameters())[n], dict(again.named_parameters())[n]) for n in body)
    assert ("starts afresh" in caplog.text) is (not kept)


@pytest.mark.parametrize("preset", ["tiny", "mini"])
def test_a_transformer_of_impossible_size_is_refused_in_one_line(preset):
    """num_hidden_layers -1 built (and pretrained) a model; a width of 2.5 reached transformers' strict checks."""
    from dnalm.models.build import build_model

    for overrides, message in (
        ({"num_hidden_layers": -1}, "num_hidden_layers must be a whole number >= 1; got -1"),
        ({"hidden_size": 2.5}, "hidden_size must be a whole number >= 1; got 2.5"),
        ({"num_attention_heads": 3}, r"num_attention_heads \(3\) must divide hidden_size \(128\)"),
    ):
        with pytest.raises(ValueError, match=f"architecture setting {message}"):
            build_model(preset, num_labels=2, seed=0, config_overrides=overrides, train_sequences=["ACGT" * 10])


def test_model_arguments_that_failed_deep_inside_are_one_line(tata_model):
    """build_model(a loaded model) was 'File name too long'; max_tokens above the model's limit a tensor-size
    RuntimeError; two classes of one name a label2id that lost one."""
    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import build_model, load_model

    model, tok = load_model(tata_model)
    with pytest.raises(TypeError, match="model must be a name or a path .* got BertForSequenceClassification"):
        build_model(model)
    with pytest.raises(ValueError, match=r"max_tokens 5000 is more than the model takes \(\d+ tokens\)"):
        predict_proba(model, tok, ["ACGT" * 500], max_tokens=5000)
    with pytest.raises(ValueError, match="max_tokens must be a whole number"):
        predict_proba(model, tok, ["ACGT" * 50], max_tokens=0)
    with pytest.raises(ValueError, match="two classes one name"):
        build_model("cnn", num_labels=2, id2label={0: "a", 1: "a"})


@pytest.mark.parametrize(
    "model, setting, match",
    [
        ("cnn", {"channels": -3}, "channels must be a whole number of at least 1; got -3"),
        ("cnn", {"kernel_size": 0}, "kernel_size must be a whole number of at least 1; got 0"),
        ("cnn", {"kernel_size": 4}, "kernel_size must be odd, .*; got 4"),
        ("cnn", {"dilations": "x"}, "dilations must be a list of whole numbers; got 'x'"),
        ("cnn", {"dropout": 2}, "dropout must be a number from 0 to 1; got 2"),
        ("lstm", {"num_layers": 0}, "num_layers must be a whole number of at least 1; got 0"),
        ("pos-cnn", {"stem_kernel": 8}, "stem_kernel must be odd"),
        ("pos-cnn", {"attention_layers": 1, "attention_heads": 5}, r"attention_heads \(5\) must divide channels"),
        ("pos-cnn", {"attention_pool": "x"}, "attention_pool must be a whole number of at least 1; got 'x'"),
    ],
)
def test_architecture_settings_no_model_can_have_are_one_sentence(tmp_path, model, setting, match):
    """They reached torch: 'Trying to create tensor with negative dimension', a tensor size mismatch (exit 1)."""
    import json

    from dnalm.models.build import build_model, load_model

    with pytest.raises(ValueError, match=f"architecture setting {match}"):
        build_model(model, num_labels=2, seed=0, config_overrides=setting)
    built, tok, _ = build_model(model, num_labels=2, seed=0)  # the same value in a saved model's config.json
    built.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, **setting}))
    with pytest.raises(ValueError, match=f"m/config.json: architecture setting {match}"):
        load_model(tmp_path / "m")
