"""The settings of ``dnalm embed`` (:mod:`dnalm.settings`): kept apart from :mod:`dnalm.lm.inference`, so the
command line is made without importing torch."""

from __future__ import annotations

from dataclasses import dataclass

from dnalm.settings import TRUST_HELP, check_fields, setting

__all__ = ["EmbedSettings"]


@dataclass
class EmbedSettings:
    """``dnalm embed``: how a sequence's token vectors become one, and how many are embedded at a time."""

    pooling: str = setting("mean", "Mean over the tokens, or the [CLS] token's vector.", choices=("mean", "cls"))
    batch_size: int = setting(64, "Sequences embedded at a time.", ge=1, le=1_000_000)
    trust_remote_code: bool = setting(False, TRUST_HELP)
    sequence_column: str | None = setting(None, "Column of a table holding the sequence.")

    def __post_init__(self):
        check_fields(self)
