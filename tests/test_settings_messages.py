"""How a refused setting is named: in a benchmark's file without options it has not, a YAML word read as a
boolean with why, a duration in seconds and days."""

from __future__ import annotations

import pytest

from dnalm.experiment.config import BenchmarkConfig
from dnalm.finetune.config import FinetuneConfig
from dnalm.lm.pretrain import PretrainConfig


def test_a_benchmark_files_setting_is_named_without_an_option_the_command_has_not(tmp_path):
    base = {"seeds": [0], "datasets": {"s": str(tmp_path)}}
    with pytest.raises(ValueError) as err:
        BenchmarkConfig.from_dict({**base, "models": {"m": {"model": "tiny", "epochs": -1}}}, source="b.yaml")
    assert str(err.value) == "b.yaml: model 'm': epochs must be in (0, 100000]; got -1.0"
    search = {"method": "grid", "space": {"learning_rate": [5]}}
    with pytest.raises(ValueError, match=r"search.space.learning_rate: learning_rate must be in \(0, 1\]; got 5.0$"):
        BenchmarkConfig.from_dict({**base, "models": {"m": {"model": "tiny"}}, "search": search}, source="b.yaml")


def test_a_yaml_word_read_as_a_boolean_says_so_and_a_duration_is_in_seconds_and_days(tmp_path):
    (tmp_path / "c.yaml").write_text("model: tiny\nepochs: on\n")
    with pytest.raises(ValueError, match=r"epochs \(--epochs\) must be a number; got True \(YAML reads yes, no, on"):
        FinetuneConfig.load(tmp_path / "c.yaml")
    with pytest.raises(ValueError) as err:
        FinetuneConfig(model="tiny", time_budget=4e8)
    assert str(err.value) == (
        "time_budget (--time-budget) must be in (0, 31622400] seconds (at most 366 days); got 400000000 s (4,630 days)"
    )
    with pytest.raises(ValueError, match=r"^mlm_schedule must be a list; got 5$"):
        PretrainConfig.from_dict({"model": "tiny", "mlm_schedule": 5})
