"""Loading a model folder (dnalm.models.loading): damaged weights, a config.json that does not fit them, a
tokenizer of another model, all refused in one line naming the file."""

from __future__ import annotations

import pytest


def test_unreadable_weights_are_one_error_naming_the_file(tmp_path):
    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(ValueError, match=r"model.safetensors: the weights cannot be read \(.*\); is the file complete"):
        load_model(tmp_path)


def test_a_config_json_with_a_count_that_is_no_whole_number_names_the_file(tmp_path):
    import json

    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    for key, value in (("num_labels", "x"), ("hidden_size", 1.5), ("num_labels", -1)):
        (tmp_path / "config.json").write_text(json.dumps({**config, key: value}))
        with pytest.raises(ValueError, match=rf"config.json: {key} must be a whole number; got {value!r}"):
            load_model(tmp_path)
    (tmp_path / "config.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"config.json: not a model configuration \(a JSON object\); got list"):
        load_model(tmp_path)


def test_a_whole_tokenizer_of_another_model_in_a_model_folder_is_refused(tmp_path):
    from dnalm.models.build import build_model, load_model
    from dnalm.tokenizers.dna import KmerTokenizer

    model, _, _ = build_model("tiny", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    KmerTokenizer(k=3).save_pretrained(tmp_path / "m")  # a complete 3-mer tokenizer over a 6-mer model's files
    with pytest.raises(ValueError, match=r"m: the tokenizer has 69 tokens and the model 4101 \(vocab_size in config"):
        load_model(tmp_path / "m")


@pytest.mark.parametrize("left", ["hf-files-only", "single-base-tokenizer-json"])
def test_a_model_folder_whose_tokenizer_reads_dna_as_unknown_or_as_other_ids_is_refused(tmp_path, left):
    """A 6-mer model folder that lost dnalm_tokenizer.json and vocab.txt loaded a stock BertTokenizer that read every
    sequence as one [UNK], and a single-base tokenizer.json copied in read bases as k-mer ids: predict, scan,
    variants and finetune all ran and gave meaningless results with exit 0."""
    import shutil

    from dnalm.models.build import build_model, load_model
    from dnalm.tokenizers.dna import load_tokenizer

    model, tok, _ = build_model("tiny", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    (tmp_path / "m" / "dnalm_tokenizer.json").unlink()
    (tmp_path / "m" / "vocab.txt").unlink()
    if left == "single-base-tokenizer-json":
        _, base_tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
        base_tok.save_pretrained(tmp_path / "b")
        shutil.copy(tmp_path / "b" / "tokenizer.json", tmp_path / "m" / "tokenizer.json")
    refused = r"m: (its tokenizer \(\w+\) reads DNA as unknown tokens only|the tokenizer has)"
    with pytest.raises(ValueError, match=refused):
        load_model(tmp_path / "m")
    with pytest.raises(ValueError, match=r"m: "):
        load_tokenizer(tmp_path / "m")


def test_a_model_folder_without_tokenizer_or_with_an_unknown_model_type_is_named(tmp_path):
    """transformers said 'Couldn't instantiate the backend tokenizer ... sentencepiece' and, for a model_type it
    does not know, to upgrade transformers, naming neither the folder nor the file."""
    import json

    from dnalm.models.build import build_model, load_model
    from dnalm.tokenizers.dna import load_tokenizer

    model, tok, _ = build_model("tiny", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    with pytest.raises(FileNotFoundError, match=r"m: no tokenizer files \(vocab.txt, tokenizer.json"):
        load_tokenizer(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "model_type": "nonsense"}))
    with pytest.raises(ValueError, match=r"m/config.json: unknown model_type 'nonsense' \(neither transformers"):
        load_model(tmp_path / "m")


def test_weights_or_outputs_that_are_not_finite_are_refused_not_written(tmp_path):
    """NaN weights gave NaN predictions, bedGraph values and embeddings with exit 0 (evaluate alone refused), and
    fine-tuning from them said "training diverged" and left OUTPUT.partial behind, which refused the next run."""
    import torch

    from dnalm.apply.predict import predict_proba
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune
    from dnalm.models.build import build_model, load_model
    from dnalm.models.loading import IncompleteCheckpointError

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    with torch.no_grad():
        next(p for p in model.parameters() if p.dim() > 1)[0, 0] = float("nan")
    model.save_pretrained(tmp_path / "nan")
    tok.save_pretrained(tmp_path / "nan")
    with pytest.raises(IncompleteCheckpointError, match=r"nan: 1 weight tensor\(s\) hold values that are not finite"):
        load_model(tmp_path / "nan")
    (tmp_path / "data.csv").write_text("sequence,label\n" + "".join(f"{'ACGT' * 10},{i % 2}\n" for i in range(20)))
    with pytest.raises(IncompleteCheckpointError, match="not finite"):
        finetune(FinetuneConfig(model=str(tmp_path / "nan"), epochs=1), tmp_path / "data.csv", tmp_path / "out")
    assert not list(tmp_path.glob("out*"))  # nothing to resume: no OUTPUT.partial refusing the next run

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(1e30)  # finite weights, outputs that overflow
    with pytest.raises(ValueError, match=r"outputs are not finite numbers \(NaN or inf, e.g. for input sequence \d"):
        predict_proba(model, tok, ["ACGT" * 25, "TTGACA" * 10])


@pytest.mark.parametrize(
    ("preset", "edit", "message"),
    [
        ("tiny", {"num_hidden_layers": 100_000}, r"num_hidden_layers 100000 \(the weights hold 2 layers\) does not"),
        ("cnn", {"channels": 1_000_000_000}, r"channels 1000000000 does not fit the weights in model.safetensors"),
        ("tiny", {"hidden_size": 256, "num_hidden_layers": 3}, r"hidden_size 256, num_hidden_layers 3 .* do not fit"),
        ("pos-cnn", {"label2id": {"x": 0, "y": 1}}, r"id2label .* and label2id .* name the classes differently"),
    ],
)
def test_a_config_json_whose_sizes_are_not_the_weights_is_refused_before_the_model_is_built(
    tmp_path, preset, edit, message
):
    """num_hidden_layers: 100000 built for minutes before the weights were compared; channels: 1e9 overflowed in
    torch with a RuntimeError naming no file."""
    import json
    import time

    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model(preset, num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, **edit}))
    import transformers

    verbosity = transformers.logging.get_verbosity()
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"m/config.json: " + message):
        load_model(tmp_path / "m")
    assert time.perf_counter() - t0 < 10
    assert transformers.logging.get_verbosity() == verbosity  # (a refusal left transformers' warnings off)


def test_weights_stored_as_whole_numbers_are_refused(tmp_path):
    """Every float tensor rewritten as int8 was cast back to float without a word: every prediction 0.5."""
    import torch
    from safetensors.torch import load_file, save_file

    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    weights = load_file(tmp_path / "m" / "model.safetensors")
    save_file(
        {k: v.to(torch.int8) if v.is_floating_point() else v for k, v in weights.items()},
        tmp_path / "m" / "model.safetensors",
        metadata={"format": "pt"},
    )
    with pytest.raises(ValueError, match=r"model.safetensors: \d+ weight tensor\(s\) are stored as whole numbers"):
        load_model(tmp_path / "m")
