"""finetune trains whatever the caller's torch session holds (gradients off, float64 as the default dtype) and
gives that session back as it was."""

from __future__ import annotations

import torch
from safetensors import safe_open

from dnalm.finetune.config import FinetuneConfig
from dnalm.finetune.train import finetune
from dnalm.runtime.hardware import resolve_precision


def test_finetune_trains_with_gradients_off_and_a_float64_default_and_gives_both_back(tata_dir, tmp_path):
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with torch.no_grad():
            result = finetune(FinetuneConfig(model="cnn-gb", epochs=0.2, seed=0), tata_dir, tmp_path / "m")
            assert not torch.is_grad_enabled()  # the caller's block, as it was
        assert torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(dtype)
    # the machine's training precision (bf16 autocast where the CPU has it), never the caller's float64 default
    assert result["precision"] == resolve_precision("auto")
    with safe_open(str(tmp_path / "m" / "model.safetensors"), "pt") as f:  # what the summary says it is
        floats = {f.get_tensor(k).dtype for k in f.keys() if f.get_tensor(k).is_floating_point()}  # noqa: SIM118
    assert floats == {torch.float32}
    with torch.inference_mode():
        finetune(FinetuneConfig(model="cnn-gb", epochs=0.2, seed=0), tata_dir, tmp_path / "m2")
    assert (tmp_path / "m2" / "model.safetensors").is_file()
