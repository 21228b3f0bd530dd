"""FinetuneConfig (dnalm.finetune.config): every setting checked as it is made, from a file, the Python
constructor or the command line, naming the setting, the option and the file."""

from __future__ import annotations

import numpy as np
import pytest

from dnalm.finetune.config import FinetuneConfig


@pytest.mark.parametrize("field", ["time_budget", "checkpoint_interval", "self_pretrain_budget"])
@pytest.mark.parametrize("value", [True, False, [1]])
def test_a_flag_or_a_list_is_no_duration(field, value):
    """YAML's yes/no: time_budget: yes was a 1-second budget, checkpoint_interval: no 'every epoch'."""
    with pytest.raises(ValueError, match=rf"{field}( \(--[a-z-]+\))? must be a duration such as 90s, 10m, 1h or 1h30m"):
        FinetuneConfig(**{field: value})
    assert FinetuneConfig(time_budget=np.int64(5)).time_budget == 5.0  # a numpy number is a number


def test_a_duration_refused_from_a_settings_file_names_the_file(tmp_path):
    for text in ("time_budget: yes\n", "time_budget: 10x\n", "time_budget: -5\n"):
        (tmp_path / "c.yaml").write_text(text)
        with pytest.raises(ValueError, match=r"time_budget .*\[.*c.yaml\]"):
            FinetuneConfig.load(tmp_path / "c.yaml")


def test_the_python_constructor_runs_the_checks_a_settings_file_gets(tmp_path):
    for values, message in (
        ({"trainer": {"output_dir": str(tmp_path / "elsewhere")}}, "trainer.output_dir is dnalm's to set"),
        ({"trainer": {"num_train_epochs": 50}}, "trainer.num_train_epochs is dnalm's to set: use epochs"),
        # dnalm's own settings, checked and recorded: trainer.learning_rate 5 ran unchecked, the summary said 0.001
        ({"trainer": {"learning_rate": 5}}, r"trainer.learning_rate is dnalm's to set: use learning_rate \(--learning"),
        ({"trainer": {"per_device_train_batch_size": 3}}, "trainer.per_device_train_batch_size is dnalm's to set"),
        ({"trainer": {"weight_decay": -3}}, "trainer.weight_decay is dnalm's to set: use weight_decay"),
        ({"trainer": {"seed": 1}}, r"trainer.seed is dnalm's to set: use seed \(--seed\)"),
        ({"trainer": {"bogus": 1}}, r"unknown trainer setting \(transformers.TrainingArguments\) 'bogus'"),
        ({"trainer": {"adam_beta1": "banana"}}, "trainer.adam_beta1 must be a number; got 'banana'"),
        ({"trainer": {"bf16": "no"}}, "trainer.bf16 must be true or false; got 'no'"),
        ({"lr_scheduler": "cosin"}, r"lr_scheduler must be one of linear, cosine, .*got 'cosin' \(did you mean"),
    ):
        with pytest.raises(ValueError, match=message):
            FinetuneConfig(**values)
    assert not (tmp_path / "elsewhere").exists()
    (tmp_path / "c.yaml").write_text("lr_scheduler: bogus\n")
    with pytest.raises(ValueError, match=r"lr_scheduler must be one of .* \[.*c.yaml\]"):
        FinetuneConfig.load(tmp_path / "c.yaml")


def test_an_option_over_a_settings_file_key_is_said(tmp_path, caplog):
    (tmp_path / "c.yaml").write_text("seed: 5\nepochs: 2\n")
    with caplog.at_level("INFO"):
        cfg = FinetuneConfig.load(tmp_path / "c.yaml", seed=3, epochs=2)
    assert cfg.seed == 3 and "seed 3 from the command line replaces 5 from" in caplog.text
    assert "epochs" not in caplog.text  # the same value: nothing to say


def test_settings_that_would_do_nothing_are_refused_where_they_are_set():
    """Each was accepted, recorded in the saved settings, and never read (probe round 7c)."""
    from dnalm.lm.pretrain import PretrainConfig, resolve_pretrain_config

    for field, value in (("lora_r", 4), ("lora_alpha", 4.0), ("lora_dropout", 0.2)):
        with pytest.raises(ValueError, match=rf"{field} .*needs lora \(--lora\)"):
            FinetuneConfig(**{field: value})
    with pytest.raises(
        ValueError,
        match=r"self_pretrain_budget \(--self-pretrain-budget\) caps self-pretraining: it needs self_pretrain",
    ):
        FinetuneConfig(self_pretrain_budget=30)
    with pytest.raises(ValueError, match=r"mlm_probability \(--mlm-probability\) is not used with an mlm_schedule"):
        PretrainConfig(mlm_probability=0.3, mlm_schedule=[[0, 0.15], [0.5, 0.2]])
    cfg = resolve_pretrain_config("dnabert-cpu", None, mlm_probability=0.3)  # the option asked for wins, and is said
    assert cfg.mlm_probability == 0.3 and cfg.mlm_schedule is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: FinetuneConfig(anneal_epochs=2, early_stopping_patience=0), r"anneal_epochs starts at the plateau"),
        (lambda: FinetuneConfig(sequence_column=""), r"sequence_column \(--sequence-column\) is empty"),
        (lambda: FinetuneConfig(label_column=" "), r"label_column \(--label-column\) is empty"),
        (lambda: FinetuneConfig(time_budget="1h30"), r"'1h30': give the unit of its last number"),
        (lambda: __import__("dnalm.lm.pretrain").lm.pretrain.PretrainConfig(warmup_steps=1.5), r"got 1.5"),
        (
            lambda: __import__("dnalm.lm.pretrain").lm.pretrain.PretrainConfig(warmup_steps=5, max_steps=2),
            r"warmup_steps \(5\) is not below max_steps \(2\)",
        ),
    ],
)
def test_settings_that_would_be_ignored_cut_or_misread_are_refused(make, message):
    """Each was accepted: an anneal that early stopping 0 never starts, a column named '' looked up in the data
    later, 1h30 read as 1 h 30 s, 1.5 warmup steps cut to 1, a run that is all warmup."""
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"seed": 1.5}, r"seed \(--seed\) must be a whole number; got 1.5"),
        ({"max_length": 50.9}, r"max_length \(--max-length\) must be a whole number"),
        ({"lora": "no"}, r"lora \(--lora\) must be true or false; got 'no'"),
        ({"model": None}, r"model \(--model\) must be set; got None"),
        ({"trainer": None}, r"trainer must be set; got None"),
        ({"time_budget": "99999999h"}, r"time_budget \(--time-budget\) must be in \(0, "),
        ({"checkpoint_interval": "5x"}, r"checkpoint_interval '5x' is not a duration"),
        ({"trainer": {"num_train_epochs": 50}}, r"trainer.num_train_epochs is dnalm's to set: use epochs"),
        ({"trainer": {"output_dir": "/tmp/x"}}, r"trainer.output_dir is dnalm's to set"),
    ],
)
def test_settings_of_the_wrong_type_or_owned_by_dnalm_are_one_line(values, message):
    with pytest.raises(ValueError, match=message):
        FinetuneConfig.from_dict(values)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"class_weights": True, "problem_type": "regression"},
            r"class_weights \(--class-weights\) weight the classes",
        ),
        ({"class_weights": True, "problem_type": "token_classification"}, "token_classification has none to weight"),
        ({"batch_size": 10**9}, r"batch_size \(--batch-size\) must be"),
        ({"early_stopping_patience": 10**9}, r"early_stopping_patience \(--patience\) must be"),
        ({"evals_per_epoch": 1e9}, "evals_per_epoch must be"),
        ({"model": " "}, r"model \(--model\) is empty"),
    ],
)
def test_finetune_settings_without_effect_or_beyond_reason_are_refused(settings, message):
    """--class-weights with regression was a warning (and recorded as used); 1e9 batches or patience were taken."""
    from dnalm.finetune.config import FinetuneConfig

    with pytest.raises(ValueError, match=message):
        FinetuneConfig(**settings)


@pytest.mark.parametrize("trainer", [{"report_to": "none", "adam_beta2": 0.99}, {"learning_rat": 1e-3}])
def test_trainer_pass_through_is_checked_when_the_config_loads(trainer):
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import resolve_settings
    from dnalm.finetune.trainer import training_arguments
    from dnalm.lm.pretrain import PretrainConfig

    if "learning_rat" in trainer:
        for cls in (FinetuneConfig, PretrainConfig):
            with pytest.raises(
                ValueError, match="unknown trainer setting .*'learning_rat'.*did you mean 'learning_rate'"
            ):
                cls.from_dict({"trainer": trainer})
        return
    cfg = FinetuneConfig.from_dict({"model": "pos-cnn", "trainer": trainer})
    cfg = resolve_settings(cfg, "pos-cnn", None)
    args = training_arguments(cfg, __import__("pathlib").Path("/tmp/x"), 10, 5)  # merged over dnalm's
    assert args.adam_beta2 == 0.99 and args.report_to in ("none", [], ["none"])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"trainer": {"dataloader_num_workers": -1}}, r"trainer.dataloader_num_workers must be a whole number of at"),
        ({"trainer": {"dataloader_num_workers": 2.5}}, r"trainer.dataloader_num_workers must be a whole number; got"),
        ({"trainer": {"gradient_checkpointing": "maybe"}}, r"trainer.gradient_checkpointing must be true or false"),
        ({"trainer": {"report_to": "surely-not-installed"}}, r"trainer.report_to: surely-not-installed is not"),
        ({"trainer": {"lr_scheduler_kwargs": {"num_cycles": 2}}}, r"lr_scheduler_kwargs needs lr_scheduler"),
        (
            {"lr_scheduler": "cosine_with_restarts", "trainer": {"lr_scheduler_kwargs": {"num_cycles": -3}}},
            r"lr_scheduler_kwargs.num_cycles must be a finite number above 0",
        ),
        (
            {"lr_scheduler": "cosine", "trainer": {"lr_scheduler_kwargs": {"num_cycle": 3}}},
            r"unknown trainer.lr_scheduler_kwargs key .*'num_cycle'.*did you mean 'num_cycles'",
        ),
    ],
)
def test_trainer_values_are_checked_when_the_config_loads_naming_the_key_and_file(settings, message):
    """Unchecked pass-through values failed after the data was read (a TypeError, wandb's RuntimeError, exit 1), or
    ran: 'maybe' read as true, -3 cosine cycles."""
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.lm.pretrain import PretrainConfig

    for cls in (FinetuneConfig, PretrainConfig):
        if cls is PretrainConfig and "lr_scheduler_kwargs" in str(settings) and "lr_scheduler" not in settings:
            continue  # pretraining's schedule is linear unless set
        with pytest.raises(ValueError, match=message) as err:
            cls.from_dict(settings, "run.yaml")
        assert "[run.yaml]" in str(err.value)
        with pytest.raises(ValueError, match=message):
            cls(**settings)
