"""A pretraining's dnalm_pretrain.yaml, given back as --config, runs again: eval_steps is written as given."""

from __future__ import annotations

import numpy as np
import yaml

from dnalm.lm.corpus import build_corpus
from dnalm.lm.pretrain import pretrain, resolve_pretrain_config

TINY = "preset: tiny\nconfig:\n  hidden_size: 32\n  num_hidden_layers: 1\n  num_attention_heads: 2\n  intermediate_size: 64\n"


def test_the_written_settings_run_again_on_a_corpus_without_validation(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "g.fa").write_text(">chr1\n" + "".join(rng.choice(list("ACGT"), 6_000)) + "\n")
    build_corpus([tmp_path / "g.fa"], tmp_path / "c", min_length=100, max_length=300, val_fraction=0, progress=False)
    (tmp_path / "model.yaml").write_text(TINY)
    given = {"max_steps": 3, "batch_size": 8, "max_length": 32, "trainer": {"disable_tqdm": True}}
    pretrain(resolve_pretrain_config(str(tmp_path / "model.yaml"), None, **given), tmp_path / "c", tmp_path / "p1")
    written = yaml.safe_load((tmp_path / "p1" / "dnalm_pretrain.yaml").read_text())
    assert written["eval_steps"] is None and written["max_steps"] == 3  # as given, and the steps run
    again = resolve_pretrain_config(None, tmp_path / "p1" / "dnalm_pretrain.yaml")  # --config p1/dnalm_pretrain.yaml
    assert pretrain(again, tmp_path / "c", tmp_path / "p2")["steps"] == 3
    assert yaml.safe_load((tmp_path / "p2" / "dnalm_pretrain.yaml").read_text()) == written
