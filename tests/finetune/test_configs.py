from __future__ import annotations

from pathlib import Path

import pytest

from dnalm.finetune.config import FinetuneConfig
from dnalm.models.build import resolve_spec

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_configs_are_valid(path, request):
    import yaml

    from dnalm.experiment.config import BenchmarkConfig

    if path.name.startswith("model-"):
        assert resolve_spec(str(path)) is not None
    elif path.name.startswith("pretrain-"):  # pretraining settings, and the model they build must resolve
        from dnalm.lm.pretrain import PretrainConfig

        cfg = PretrainConfig.from_dict(yaml.safe_load(path.read_text()))
        model = Path(__file__).resolve().parents[2] / cfg.model if cfg.model.endswith(".yaml") else cfg.model
        assert resolve_spec(str(model)) is not None
    elif "datasets" in yaml.safe_load(path.read_text()):  # benchmark configs: every model's settings checked too
        request.getfixturevalue("shared_data")  # their datasets are ../shared/data's: skipped, with why, without it
        assert BenchmarkConfig.load(path).runs()
    else:
        FinetuneConfig.load(path)


@pytest.mark.parametrize("ratio", [-0.1, 1.0, 5])
def test_warmup_ratio_is_a_fraction(ratio):
    with pytest.raises(ValueError, match="warmup_ratio must be in"):
        FinetuneConfig(warmup_ratio=ratio)


@pytest.mark.parametrize(
    "key, value, problem",
    [
        ("adam_beta2", 5, "at least 0 and below 1"),
        ("adam_beta1", float("nan"), "at least 0 and below 1"),
        ("adam_epsilon", 0, "a finite number above 0"),
        ("max_grad_norm", float("inf"), "a finite number of at least 0"),
    ],
)
def test_an_optimizer_number_torch_would_refuse_late_is_refused_naming_it(key, value, problem):
    from dnalm.finetune.config import FinetuneConfig

    with pytest.raises(ValueError, match=rf"trainer.{key} must be {problem}"):
        FinetuneConfig.from_dict({"model": "cnn", "trainer": {key: value}})


@pytest.mark.parametrize("saved", [False, True], ids=["preset", "saved-folder"])
def test_self_pretraining_a_model_without_a_masked_lm_form_is_refused_before_any_work(tmp_path, saved):
    """``--model cnn --self-pretrain`` read the data and began self-pretraining ("9 steps (1 passes)") before it was
    refused; a saved CNN classifier got pretraining's message, not self-pretraining's."""
    from dnalm.finetune.train import finetune
    from dnalm.models.baselines import DilatedCnnConfig, DilatedCnnForSequenceClassification

    model = "cnn"
    if saved:
        DilatedCnnForSequenceClassification(DilatedCnnConfig(num_labels=2)).save_pretrained(tmp_path / "c")
        model = str(tmp_path / "c")
    with pytest.raises(ValueError, match=r"^self-pretraining trains a masked language model: .* is a .*dilated-cnn"):
        finetune(FinetuneConfig(model=model, self_pretrain=True), tmp_path / "no-data-here", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_model_name_that_is_no_model_names_its_settings_file_and_the_closest_name(tmp_path):
    """`model: TINY` in a YAML file was refused without the file (every other key names it) and without the name
    meant."""
    (tmp_path / "run.yaml").write_text("model: TINY\nepochs: 1\n")
    with pytest.raises(ValueError, match=r"model 'TINY' is not a preset .*; did you mean 'tiny'\? \[.*run.yaml\]$"):
        FinetuneConfig.load(tmp_path / "run.yaml")
    assert FinetuneConfig.load(tmp_path / "run.yaml", model="tiny").model == "tiny"  # the option wins: no refusal
