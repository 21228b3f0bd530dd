"""Inputs much shorter than a model was fine-tuned on: counted and said, not scored without a word."""

from __future__ import annotations

import logging

__all__ = ["ShortInputs", "require_labels"]

log = logging.getLogger(__name__)


class ShortInputs:
    """Counts the sequences shorter than ``fraction`` of the length ``model`` was fine-tuned on (when dnalm
    recorded it) and warns with the counts.

    >>> short = ShortInputs(None, None, trained=70)
    >>> for n in (20, 70, 34, 100): short.add(n)
    >>> short.message()
    '2 of 4 sequences are shorter than 35 bp (the model was fine-tuned on 70 bp)'
    """

    def __init__(self, model, tokenizer, *, fraction: float = 0.5, trained: int | None = None):
        if trained is None and model is not None:
            tokens = getattr(model.config, "dnalm_train_max_tokens", None)
            if tokens:
                from dnalm.models.windows import window_size

                trained = window_size(model, tokenizer, None)[1]
        self.trained = trained
        self.limit = int(trained * fraction) if trained else 0
        self.n = self.short = self.longest = 0

    def add(self, length: int) -> None:
        self.n += 1
        self.short += length < self.limit
        self.longest = max(self.longest, length)

    def message(self) -> str | None:
        if not self.short:
            return None
        return (
            f"{self.short} of {self.n} sequences are shorter than {self.limit} bp "
            f"(the model was fine-tuned on {self.trained} bp)"
        )

    def warn(self) -> None:
        if self.message():
            log.warning("%s; their scores rest on little sequence", self.message())

    def warn_window(self, window: int) -> None:
        """A window (``--window``) much shorter than the model was fine-tuned on: every score rests on little
        sequence (``predict`` said so of short sequences; ``scan`` and ``variants`` scored such windows without a
        word)."""
        if window < self.limit:
            from dnalm.settings import named

            log.warning(
                "%s %d bases is shorter than %d, half the %d bp the model was fine-tuned on; every score rests on "
                "little sequence",
                named("window"),
                window,
                self.limit,
                self.trained,
            )


def require_labels(records, data, label_column: str | None = None) -> None:
    """A ValueError when ``records`` (to be evaluated) carry no labels, saying which column was expected."""
    from pathlib import Path

    from dnalm.io.base import strip_gz
    from dnalm.io.datasets import FASTA_SUFFIXES
    from dnalm.io.table import LABEL_COLUMNS

    first = next((r for r in records if r.label is None), None)
    if first is None:
        return
    source = first.path or str(data)
    if strip_gz(Path(source)).endswith(FASTA_SUFFIXES):
        raise ValueError(f"{source}: FASTA records carry no labels; evaluate needs them (--class LABEL=FASTA)")
    wanted = repr(label_column) if label_column else "one of " + ", ".join(LABEL_COLUMNS)
    raise ValueError(
        f"{first.where}: the data has no labels (expected a label column: {wanted}; name it with "
        "--label-column); evaluate needs labelled data, predict does not"
    )
