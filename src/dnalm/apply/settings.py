"""The settings of the commands that apply a trained model: each a dataclass whose fields carry their help text
and bounds (:mod:`dnalm.settings`). The command line is made from them, and the library functions check their
arguments with the same dataclass (:func:`dnalm.settings.checked`), so ``dnalm predict --stride 0`` and
``predict_file(..., stride=0)`` are refused by the same line.

>>> PredictSettings(stride=0)
Traceback (most recent call last):
...
ValueError: stride (--stride) must be in [1, 10000000]; got 0
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dnalm.settings import TRUST_HELP, check_applies, check_fields, checked, setting
from dnalm.tasks import DEFAULT_TASK, TASKS

__all__ = ["EvaluateSettings", "PredictSettings", "ScanSettings", "VariantSettings", "checked"]

STRANDS = ("both", "plus", "minus")
_TARGET_DEFAULT = (
    "the label named 1, true, positive, pos or yes, else the model's second label (labels promoter/random: random); "
    "a model of more than two classes, or a multi-label model of more than one label, needs --target; a regression "
    "model's value is scored as it is"
)
_TARGET_HELP = "Class to score (a label of the model); printed and written into the output."
_AS_TRAINED = "as the model was trained"
_REGIONS = (
    "BED file (0-based, end excluded) or chr:start-end (1-based, end included, as samtools writes it: chr1:101-200 is "
    "BED chr1 100 200); repeatable: read from the indexed genome (pyfaidx)."
)


@dataclass
class _Checked:
    def __post_init__(self):
        check_fields(self)


@dataclass
class PredictSettings(_Checked):
    """``dnalm predict``: long sequences by sliding windows of the trained length, never truncated."""

    batch_size: int = setting(64, "Sequences scored at a time.", ge=1, le=1_000_000)
    reverse_complement_average: bool | None = setting(
        None, "Average with the reverse complement.", flag="--rc/--no-rc", shown_default=_AS_TRAINED
    )
    stride: int | None = setting(
        None,
        "Bases between windows of a sequence longer than the model was trained on (at most a window).",
        ge=1,
        le=10_000_000,
        shown_default="half a window",
    )
    aggregate: str = setting(
        "mean",
        "Combine a long sequence's window scores: mean, or max (two classes: the window most likely positive).",
        choices=("mean", "max"),
    )
    trust_remote_code: bool = setting(False, TRUST_HELP)
    sequence_column: str | None = setting(None, "Column of a table holding the sequence.")
    label_column: str | None = setting(None, "Column of a table holding the label.")
    regions: list[str] | None = setting(None, _REGIONS + " INPUT is then a genome; one row per region.")


@dataclass
class EvaluateSettings(_Checked):
    """``dnalm evaluate``: metrics on one split."""

    split: str = setting("test", "Split of a folder.")
    batch_size: int = setting(64, "Sequences scored at a time.", ge=1, le=1_000_000)
    reverse_complement_average: bool | None = setting(
        None, "Average with the reverse complement.", flag="--rc/--no-rc", shown_default=_AS_TRAINED
    )
    untrained: bool = setting(False, "Fresh head: the before-fine-tuning baseline.")
    seed: int = setting(42, "Seed of the fresh head with --untrained.", ge=0, lt=2**32)
    problem_type: str = setting(
        DEFAULT_TASK,
        "The fresh head's task with --untrained (a saved model knows its own).",
        choices=tuple(TASKS),
    )
    trust_remote_code: bool = setting(False, TRUST_HELP)
    sequence_column: str | None = setting(None, "Column of a table holding the sequence.")
    label_column: str | None = setting(None, "Column of a table holding the label.")
    data: object = None  # what the choices above apply to (not options of their own)
    classes: object = None

    def __post_init__(self):
        super().__post_init__()
        check_applies(self, "seed", self.untrained, "seeds the fresh head of --untrained only")
        check_applies(self, "problem_type", self.untrained, "is the fresh head's task with --untrained only")
        folder = self.data is not None and Path(str(self.data)).is_dir()
        check_applies(self, "split", folder, "chooses a split of a data folder; the data given is a file or --class")
        check_applies(self, "label_column", not self.classes, "does not apply to --class files (the class is given)")


@dataclass
class ScanSettings(_Checked):
    """``dnalm scan``: windows along whole genomes."""

    window: int | None = setting(
        None, "Window in bases.", ge=1, le=10_000_000, shown_default="the length the model was trained on"
    )
    stride: int | None = setting(
        None, "Bases between window starts (at most a window).", ge=1, le=10_000_000, shown_default="half a window"
    )
    strand: str = setting("both", "both (strand-averaged), plus or minus.", choices=STRANDS)
    threshold: float | None = setting(
        None,
        "Score a window needs to be part of a peak (a probability: 0 to 1; a regression model's value: its units).",
        shown_default="0.5 for a probability; none for a value",
    )
    batch_size: int = setting(256, "Windows scored at a time.", ge=1, le=1_000_000)
    trust_remote_code: bool = setting(False, TRUST_HELP)
    target: str | None = setting(None, _TARGET_HELP, shown_default=_TARGET_DEFAULT, label=True)
    regions: list[str] | None = setting(None, _REGIONS + " Only these are scanned.")
    peaks: object = None  # the peaks file --threshold makes (an output, not an option of its own)

    def __post_init__(self):
        super().__post_init__()
        check_applies(self, "threshold", self.peaks is not None, "makes peaks: it needs --peaks")


@dataclass
class VariantSettings(_Checked):
    """``dnalm variants``: each variant's effect on the score."""

    window: int | None = setting(None, "Window in bases.", ge=1, le=10_000_000, shown_default="the trained length")
    strand: str | None = setting(
        None,
        "both (strand-averaged), plus or minus (a classifier's); a masked LM scores the plus strand.",
        choices=STRANDS,
        shown_default="both (a masked LM: plus)",
    )
    batch_size: int = setting(256, "Windows scored at a time.", ge=1, le=1_000_000)
    trust_remote_code: bool = setting(False, TRUST_HELP)
    target: str | None = setting(None, _TARGET_HELP, shown_default=_TARGET_DEFAULT, label=True)
