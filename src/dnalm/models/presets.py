"""Model presets: an architecture, a tokenizer and settings to build from scratch (``tiny``, ``cnn``, ...).

>>> PRESETS["tiny"].architecture, PRESETS["tiny"].tokenizer, PRESETS["tiny"].k
('bert', 'kmer', 6)
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

__all__ = ["ARCHITECTURES", "PRESETS", "TOKENIZERS", "ModelSpec", "check_architecture_config", "check_known_settings"]

#: Transformer architectures (transformers' model types) and dnalm's baselines (dnalm.models.baselines).
TRANSFORMER_ARCHITECTURES = ("bert", "roberta", "modernbert")
MASKED_LM_ARCHITECTURES = (*TRANSFORMER_ARCHITECTURES, "pos-cnn")  # those with a masked-LM form to pretrain
ARCHITECTURES = (*TRANSFORMER_ARCHITECTURES, "pos-cnn", "dilated-cnn", "gb-cnn", "lstm")
TOKENIZERS = ("kmer", "nonoverlap", "base", "bpe")


@dataclass
class ModelSpec:
    """A model to build from scratch: architecture, tokenizer and architecture settings.

    Args:
        architecture: ``bert``, ``roberta``, ``modernbert``, ``pos-cnn``, ``dilated-cnn``, ``gb-cnn`` or ``lstm``.
        tokenizer: ``kmer``, ``nonoverlap``, ``base`` or ``bpe`` (BPE is trained on the training split).
        k: k-mer length for ``kmer``/``nonoverlap``.
        bpe_vocab_size: vocabulary size for ``bpe``.
        max_length: the model's maximum number of tokens.
        learning_rate: default learning rate for fine-tuning this model.
        batch_size: default training batch size for this model.
        config: keyword arguments of the architecture's config class (hidden_size, num_hidden_layers, ...).
    """

    architecture: str
    tokenizer: str = "kmer"
    k: int = 6
    bpe_vocab_size: int = 1024
    max_length: int = 512
    learning_rate: float = 5e-5
    batch_size: int = 32
    config: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.architecture!r}; choose from {sorted(ARCHITECTURES)}")
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(f"unknown tokenizer {self.tokenizer!r}; choose kmer, nonoverlap, base or bpe")


def _bert(hidden: int, layers: int, heads: int, intermediate: int) -> dict:
    return {
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": intermediate,
    }


PRESETS: dict[str, ModelSpec] = {
    "tiny": ModelSpec("bert", "kmer", 6, max_length=512, learning_rate=5e-4, config=_bert(128, 2, 4, 512)),
    "dnabert-6": ModelSpec("bert", "kmer", 6, max_length=512, learning_rate=5e-5, config=_bert(768, 12, 12, 3072)),
    "tinydnabert": ModelSpec(
        "roberta", "bpe", bpe_vocab_size=1024, max_length=512, learning_rate=1e-4, config=_bert(512, 6, 8, 2048)
    ),
    "tiny-bpe": ModelSpec(
        "roberta", "bpe", bpe_vocab_size=1024, max_length=512, learning_rate=5e-4, config=_bert(128, 2, 4, 512)
    ),
    "mini": ModelSpec(
        "modernbert",
        "base",
        max_length=1024,
        learning_rate=5e-4,
        config={**_bert(128, 3, 4, 256), "local_attention": 128},
    ),
    "pos-cnn": ModelSpec("pos-cnn", "base", max_length=100_000, learning_rate=2e-3, batch_size=128),
    "cnn": ModelSpec("dilated-cnn", "base", max_length=100_000, learning_rate=1e-3, batch_size=128),
    "cnn-gb": ModelSpec("gb-cnn", "base", max_length=100_000, learning_rate=1e-3, batch_size=64),
    "lstm": ModelSpec("lstm", "base", max_length=100_000, learning_rate=1e-3, batch_size=64),
}


_BASELINE_CONFIG_NAMES = {
    "pos-cnn": "PosCnnConfig",
    "dilated-cnn": "DilatedCnnConfig",
    "gb-cnn": "GbCnnConfig",
    "lstm": "LstmConfig",
}


def check_architecture_config(architecture: str, settings: dict, where: str) -> None:
    """Refuse architecture settings (a model YAML's ``config``, ``model_config``) that ``architecture``'s config class
    does not have, or whose value no model can be built or trained with, in one line naming ``where`` and the
    setting, before any work: a mistyped name rode along unused, ``hidden_dropout_prob: 1.5`` failed in torch
    ("dropout probability has to be between 0 and 1") once the data was read, naming neither."""
    if architecture not in ARCHITECTURES or not isinstance(settings, dict) or not settings:
        return
    if architecture in _BASELINE_CONFIG_NAMES:
        from dnalm.models import baselines

        config_class = getattr(baselines, _BASELINE_CONFIG_NAMES[architecture])
        defaults = config_class().to_dict()
    else:
        from transformers import AutoConfig

        config_class = type(AutoConfig.for_model(architecture))
        defaults = config_class().to_dict()
    check_known_settings(where, settings, defaults, config_class.__name__)
    try:
        if architecture in _BASELINE_CONFIG_NAMES:
            config_class(**settings)  # its own check_settings: counts, odd widths, dropout
        else:
            for name, value in settings.items():
                _check_transformer_value(name, value, defaults[name])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {err}") from None


def check_known_settings(where: str, settings: dict, known: dict, class_name: str) -> None:
    """Refuse settings a config class does not have (``known``: its defaults), with the closest name: a mistyped one
    rode along in config.json unused."""
    unknown = sorted(set(settings or {}) - set(known), key=str)
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), list(known), n=1)
        raise ValueError(
            f"{where}: unknown architecture setting(s) {', '.join(map(repr, unknown))} for {class_name}"
            + (f" (did you mean {close[0]!r}?)" if close else "")
            + f"; known: {', '.join(sorted(k for k in known if not k.startswith('_')))}"
        )


def _check_transformer_value(name: str, value, default) -> None:
    """One setting of a transformer's config, by its default's type: a flag is true or false, a count a whole
    number (at least 1 where the default is), a rate or probability a finite number (dropout 0 to 1)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, bool):
        ok, want = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        least = 1 if default >= 1 else 0 if default >= 0 else None  # (an ignore index of -100 may be negative)
        ok = number and isinstance(value, int) and (least is None or value >= least)
        want = "a whole number" + (f" of at least {least}" if least is not None else "")
    elif isinstance(default, float) and ("dropout" in name or name.endswith("_prob")):
        ok, want = number and 0 <= value <= 1, "a number from 0 to 1"
    elif isinstance(default, float):
        ok, want = number and math.isfinite(value) and value >= 0, "a finite number of at least 0"
    elif name == "hidden_act":
        from transformers.activations import ACT2FN

        ok, want = isinstance(value, str) and value in ACT2FN, f"one of {', '.join(sorted(ACT2FN))}"
    elif isinstance(default, str):
        ok, want = isinstance(value, str) and bool(value.strip()), "text"
    elif default is None and "dropout" in name:  # classifier_dropout: None is the hidden layers' dropout
        ok, want = value is None or (number and 0 <= value <= 1), "a number from 0 to 1 (or null)"
    else:
        return
    if not ok:
        raise ValueError(f"architecture setting {name} must be {want}; got {value!r}")
