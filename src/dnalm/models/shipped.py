"""Pretrained checkpoints that ship inside the dnalm package (no network needed).

Each lives in ``dnalm/checkpoints/<name>/``: a Hugging Face model folder (``from_pretrained``
loads it) with its tokenizer, the command that made it (``PROVENANCE.md``), its held-out
per-base metrics (``lm_metrics.json``) and the fine-tuning defaults dnalm uses for it
(``dnalm_finetune_defaults.json``). Wherever dnalm takes a model (``--model``, ``fill-mask``,
``embed``) the name stands for the folder (:class:`dnalm.models.ref.ModelRef` resolves it).

>>> "dnalm-mini" in shipped_models()
True
>>> pretrained_path("dnalm-mini").name
'dnalm-mini'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["pretrained_path", "shipped_models"]

CHECKPOINTS = Path(__file__).parent.parent / "checkpoints"


def shipped_models() -> list[str]:
    """Names of the checkpoints in this installation."""
    if not CHECKPOINTS.is_dir():
        return []
    return sorted(p.name for p in CHECKPOINTS.iterdir() if (p / "config.json").is_file())


def pretrained_path(name: str = "dnalm-mini") -> Path:
    """The folder of a shipped checkpoint, e.g. ``pretrained_path("dnalm-mini")``."""
    if not isinstance(name, str) or name not in shipped_models():  # a name, not a path ("../x", "/etc", None)
        raise ValueError(f"no shipped checkpoint {name!r}; this installation has {shipped_models() or 'none'}")
    return CHECKPOINTS / name
