"""An input given as something other than a path is one line naming the argument and what it was."""

from __future__ import annotations

import pandas as pd
import pytest

from dnalm.apply.evaluate import evaluate
from dnalm.finetune.config import FinetuneConfig
from dnalm.finetune.train import finetune


def test_a_table_given_as_data_is_named_with_its_argument_and_how_to_write_it(tmp_path):
    table = pd.DataFrame({"sequence": ["ACGTACGT"] * 4, "label": [0, 1] * 2})
    with pytest.raises(TypeError) as err:
        finetune(FinetuneConfig(model="cnn-gb"), table, tmp_path / "m")
    assert str(err.value) == (
        "finetune(): data: an input must be a path (str or pathlib.Path); got DataFrame (write it with "
        ".to_csv(PATH, index=False) and give PATH)"
    )
    with pytest.raises(TypeError, match=r"^evaluate\(\): model_path: an input must be a path .*; got \['m'\]$"):
        evaluate(["m"], tmp_path / "x.fa", tmp_path / "e")
    assert not list(tmp_path.iterdir())
