"""The settings of the commands that apply a trained model: each a dataclass whose fields carry their help text
and bounds (:mod:`dnalm.settings`), so ``dnalm predict --stride 0`` and ``predict_file(..., stride=0)`` are
refused by the same line.

>>> PredictSettings(stride=0)
Traceback (most recent call last):
...
ValueError: stride (--stride) must be >= 1; got 0
"""

from __future__ import annotations

from dataclasses import dataclass

from dnalm.settings import check_fields, setting

__all__ = ["EvaluateSettings", "PredictSettings", "ScanSettings", "VariantSettings"]

STRANDS = ("both", "plus", "minus")


@dataclass
class _Scoring:
    """What every command that scores sequences with a trained model shares."""

    batch_size: int = setting(64, "Sequences scored at a time.", ge=1)
    trust_remote_code: bool = setting(False, "Allow checkpoint code (DNABERT-2). Off by default.")

    def __post_init__(self):
        check_fields(self)


@dataclass
class PredictSettings(_Scoring):
    """``dnalm predict``: long sequences by sliding windows of the trained length, never truncated."""

    rc: bool | None = setting(
        None, "Average with the reverse complement.", flag="--rc/--no-rc", shown_default="as the model was trained"
    )
    stride: int | None = setting(
        None,
        "Bases between windows of a sequence longer than the model was trained on (at most a window).",
        ge=1,
        shown_default="half a window",
    )
    aggregate: str = setting("mean", "Combine a long sequence's window scores.", choices=("mean", "max"))


@dataclass
class EvaluateSettings(_Scoring):
    """``dnalm evaluate``: metrics on one split."""

    rc: bool | None = setting(
        None, "Average with the reverse complement.", flag="--rc/--no-rc", shown_default="as the model was trained"
    )
    split: str = setting("test", "Split of a folder.")
    untrained: bool = setting(False, "Fresh head: the before-fine-tuning baseline.")
    seed: int = setting(42, "Seed of the fresh head with --untrained.", ge=0, lt=2**32)


@dataclass
class ScanSettings(_Scoring):
    """``dnalm scan``: windows along whole genomes."""

    batch_size: int = setting(256, "Windows scored at a time.", ge=1)
    window: int | None = setting(None, "Window in bases.", ge=1, shown_default="the length the model was trained on")
    stride: int | None = setting(None, "Bases between window starts (at most a window).", ge=1, shown_default="half")
    strand: str = setting("both", "both (strand-averaged), plus or minus.", choices=STRANDS)
    threshold: float = setting(0.5, "Score a window needs to be part of a peak.", ge=0, le=1)


@dataclass
class VariantSettings(_Scoring):
    """``dnalm variants``: each variant's effect on the score."""

    batch_size: int = setting(256, "Windows scored at a time.", ge=1)
    window: int | None = setting(None, "Window in bases.", ge=1, shown_default="the trained length")
    strand: str = setting("both", "both (strand-averaged), plus or minus.", choices=STRANDS)
