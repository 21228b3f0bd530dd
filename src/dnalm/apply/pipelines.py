"""dnalm models in plain ``transformers.pipeline``: ``import dnalm.apply.pipelines`` registers them.

After the import, every dnalm model folder works in transformers' own API on raw DNA::

    import dnalm.apply.pipelines
    from transformers import pipeline

    clf = pipeline("dna-classification", model="models/tata")
    clf(["ACGTTATAAAGC...", "GGGCCC..."])   # [{'label': '1', 'score': 0.97}, ...]

- the ``dna-classification`` task: text classification whose input is DNA, tokenized by the
  model folder's dnalm tokenizer (overlapping k-mers cut exactly as DNABERT expects, which no
  ``tokenizers`` pipeline can do), checked and normalised like every dnalm input;
- dnalm's CNN/LSTM architectures in ``AutoConfig``/``AutoModelForSequenceClassification``.

- the stock ``text-classification`` task on a dnalm model folder (one with ``dnalm_tokenizer.json``):
  raw DNA scored by dnalm's own prediction engine (:func:`dnalm.apply.predict.predict_proba`, sliding
  windows over long sequences), so the scores are those of ``dnalm predict --no-rc``. Without this, an
  overlapping k-mer folder's ``tokenizer.json`` reads raw DNA as one unknown token and the scores are
  the model's prior. Other folders (DNABERT's own, any hub model) keep transformers' behaviour.

Importing ``dnalm`` itself stays cheap (no torch), so this registration is a separate import (run by
``import dnalm`` once transformers' pipelines are imported, see :mod:`dnalm.registration`).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from transformers import AutoModelForSequenceClassification
from transformers.pipelines import PIPELINE_REGISTRY, TextClassificationPipeline
from transformers.pipelines.text_classification import ClassificationFunction

from dnalm.io.sequence import normalize
from dnalm.models.build import model_max_tokens, register_baselines
from dnalm.tokenizers import DnaTokenizer
from dnalm.tokenizers.dna import DNALM_FILE, load_tokenizer

__all__ = ["DnaClassificationPipeline", "DnalmTextClassificationPipeline"]


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
        _check_classifier(model, path or "the model", "dna-classification")
        super().__init__(model=model, tokenizer=tokenizer, **kwargs)
        self._max_tokens = model_max_tokens(model, tokenizer)

    def __call__(self, inputs, *args, **kwargs):
        _check_inputs(inputs, "dna-classification")
        return super().__call__(inputs, *args, **kwargs)

    def preprocess(self, inputs, **tokenizer_kwargs):
        if not isinstance(inputs, str):
            raise ValueError(f"dna-classification takes DNA strings; got {type(inputs).__name__}")
        return self.tokenizer(_dna(inputs), return_tensors="pt", truncation=True, max_length=self._max_tokens)


class DnalmTextClassificationPipeline(TextClassificationPipeline):
    """The stock ``text-classification`` pipeline, except on a dnalm model folder: there each input is
    raw DNA (or DNABERT-style space-separated overlapping k-mers), scored as ``dnalm predict --no-rc``
    scores it (the folder's dnalm tokenizer, sliding windows over a long sequence, their mean)."""

    def __init__(self, model, tokenizer=None, **kwargs):
        path = getattr(model, "name_or_path", None) or ""
        self.dnalm_folder = bool(path) and (Path(path) / DNALM_FILE).is_file()
        if self.dnalm_folder:
            _check_classifier(model, path, "text-classification")
            tokenizer = load_tokenizer(path)
        super().__init__(model=model, tokenizer=tokenizer, **kwargs)

    def preprocess(self, inputs, **tokenizer_kwargs):
        if not self.dnalm_folder:
            return super().preprocess(inputs, **tokenizer_kwargs)
        if not isinstance(inputs, str):
            raise ValueError(f"text-classification on a dnalm model takes DNA strings; got {type(inputs).__name__}")
        return {"sequence": _dna(_joined_kmers(inputs.strip(), self.tokenizer))}

    def _forward(self, model_inputs):
        if not self.dnalm_folder:
            return super()._forward(model_inputs)
        import torch

        from dnalm.apply.predict import predict_proba

        scores, _ = predict_proba(self.model, self.tokenizer, [model_inputs["sequence"]], device=str(self.device))
        return {"logits": torch.from_numpy(scores)}

    def postprocess(self, model_outputs, function_to_apply=None, **kwargs):
        if self.dnalm_folder:  # the scores are already probabilities (or values), as predict writes them
            function_to_apply = ClassificationFunction.NONE
        return super().postprocess(model_outputs, function_to_apply=function_to_apply, **kwargs)


def _check_classifier(model, path, task: str) -> None:
    """A model saved without a trained classifier (a pretrained masked LM) would be scored by a random head, as
    ``predict`` and ``evaluate`` refuse to."""
    saved = getattr(model.config, "architectures", None) or []
    if not any("SequenceClassification" in a for a in saved):
        raise ValueError(
            f"{path} is not a classifier ({', '.join(saved or ['no architecture'])}): {task} would score with a random "
            "head; fine-tune it first (dnalm finetune)"
        )


def _dna(text: str, record: str | int = "input") -> str:
    """One input checked and normalised; an empty one is refused (as predict refuses it), not scored."""
    sequence = normalize(text.strip(), record=record)
    if not sequence:
        raise ValueError(f"{'input' if record == 'input' else f'input {record}'}: an empty sequence; give DNA to score")
    return sequence


def _check_inputs(inputs, task: str) -> None:
    """A list's items checked before any is scored, each named by its index in the list (a bad item said only
    "record 'input'")."""
    if isinstance(inputs, list | tuple):
        if not inputs:  # transformers' pipeline failed on it (IndexError in its batching)
            raise ValueError(f"{task} needs at least one sequence; got an empty {type(inputs).__name__}")
        for i, x in enumerate(inputs):
            if not isinstance(x, str):
                raise ValueError(f"{task} takes DNA strings; input {i} is {type(x).__name__}")
            _dna(x, record=i)


def _joined_kmers(text: str, tokenizer) -> str:
    """DNABERT-style input (overlapping k-mers separated by spaces) back to the sequence; other text as is.

    >>> from dnalm.tokenizers.dna import KmerTokenizer
    >>> _joined_kmers("ACGT CGTA GTAC", KmerTokenizer(k=4))
    'ACGTAC'
    """
    pieces = text.split()
    k = getattr(tokenizer, "overlap", 0) + 1
    if len(pieces) < 2 or k == 1 or any(len(p) != k for p in pieces):
        return text
    for i, (a, b) in enumerate(pairwise(pieces)):
        if a[1:] != b[:-1]:
            raise ValueError(f"input: k-mers {i + 1} ({a}) and {i + 2} ({b}) do not overlap by {k - 1} bases")
    return pieces[0] + "".join(p[-1] for p in pieces[1:])


def register() -> None:
    """Register the task and dnalm's architectures (idempotent; done on import)."""
    register_baselines()
    PIPELINE_REGISTRY.supported_tasks["text-classification"]["impl"] = DnalmTextClassificationPipeline
    if "dna-classification" not in PIPELINE_REGISTRY.get_supported_tasks():
        PIPELINE_REGISTRY.register_pipeline(
            "dna-classification",
            pipeline_class=DnaClassificationPipeline,
            pt_model=AutoModelForSequenceClassification,
            type="text",
        )


register()
