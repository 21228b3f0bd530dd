"""Model presets: an architecture, a tokenizer and settings to build from scratch (``tiny``, ``cnn``, ...).

>>> PRESETS["tiny"].architecture, PRESETS["tiny"].tokenizer, PRESETS["tiny"].k
('bert', 'kmer', 6)
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ARCHITECTURES", "PRESETS", "TOKENIZERS", "ModelSpec"]

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
