"""Models behind one transformers contract: presets, shipped checkpoints, baselines, loading.

- :mod:`~dnalm.models.build`: presets, ``build_model``, ``load_model``
- :mod:`~dnalm.models.baselines`: the CNN/LSTM baselines as ``PreTrainedModel``
- :mod:`~dnalm.models.shipped`: checkpoints inside the package; :mod:`~dnalm.models.loading`: whole loads
- :mod:`~dnalm.models.ref`: the model argument resolved once; :mod:`~dnalm.models.windows`: how a model reads
  sequences of any length

Importing this package loads neither torch nor transformers: the names below load
:mod:`~dnalm.models.build` when first used.
"""

from __future__ import annotations

__all__ = [
    "PRESETS",
    "ModelSpec",
    "build_model",
    "load_model",
    "make_tokenizer",
    "model_max_tokens",
    "register_baselines",
    "resolve_spec",
    "scratch_config",
]


def __getattr__(name: str):
    if name in __all__:
        from dnalm.models import build

        return getattr(build, name)
    raise AttributeError(f"module 'dnalm.models' has no attribute {name!r}")
