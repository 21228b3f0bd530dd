"""dnalm models in plain ``transformers.pipeline``: ``import dnalm.models.pipelines`` registers them.

After the import, every dnalm model folder works in transformers' own API on raw DNA::

    import dnalm.models.pipelines
    from transformers import pipeline

    clf = pipeline("dna-classification", model="models/tata")
    clf(["ACGTTATAAAGC...", "GGGCCC..."])   # [{'label': '1', 'score': 0.97}, ...]

- the ``dna-classification`` task: text classification whose input is DNA, tokenized by the
  model folder's dnalm tokenizer (overlapping k-mers cut exactly as DNABERT expects, which no
  ``tokenizers`` pipeline can do), checked and normalised like every dnalm input;
- dnalm's CNN/LSTM architectures in ``AutoConfig``/``AutoModelForSequenceClassification``.

Single-base and non-overlapping k-mer folders take raw DNA even in ``text-classification`` without
this import (their ``tokenizer.json`` cuts raw sequence); overlapping k-mer folders there read
space-separated k-mers, as DNABERT's own checkpoints do. Importing ``dnalm`` itself stays cheap
(no torch), so this registration is a separate import.
"""

from __future__ import annotations

from transformers import AutoModelForSequenceClassification
from transformers.pipelines import PIPELINE_REGISTRY, TextClassificationPipeline

from dnalm.io.sequence import normalize
from dnalm.models.build import model_max_tokens, register_baselines
from dnalm.tokenizers import DnaTokenizer
from dnalm.tokenizers.dna import load_tokenizer

__all__ = ["DnaClassificationPipeline"]


class DnaClassificationPipeline(TextClassificationPipeline):
    """``text-classification`` on raw DNA: the model folder's dnalm tokenizer, inputs checked
    (a character that is not a nucleotide code is an error naming it) and truncated to what the
    model takes (use ``dnalm predict`` for sliding windows over longer sequences)."""

    def __init__(self, model, tokenizer=None, **kwargs):
        path = getattr(model, "name_or_path", None)
        if tokenizer is None or not isinstance(tokenizer, DnaTokenizer):
            if not path:
                raise ValueError("dna-classification needs a model loaded from a folder (its tokenizer is read there)")
            tokenizer = load_tokenizer(path)
        super().__init__(model=model, tokenizer=tokenizer, **kwargs)
        self._max_tokens = model_max_tokens(model, tokenizer)

    def preprocess(self, inputs, **tokenizer_kwargs):
        if not isinstance(inputs, str):
            raise ValueError(f"dna-classification takes DNA strings; got {type(inputs).__name__}")
        return self.tokenizer(
            normalize(inputs.strip(), record="input"), return_tensors="pt", truncation=True, max_length=self._max_tokens
        )


def register() -> None:
    """Register the task and dnalm's architectures (idempotent; done on import)."""
    register_baselines()
    if "dna-classification" not in PIPELINE_REGISTRY.get_supported_tasks():
        PIPELINE_REGISTRY.register_pipeline(
            "dna-classification",
            pipeline_class=DnaClassificationPipeline,
            pt_model=AutoModelForSequenceClassification,
            type="text",
        )


register()
