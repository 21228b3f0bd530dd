"""The settings of ``dnalm interpret``: a dataclass whose fields carry help text and bounds (:mod:`dnalm.settings`),
so the command line and :func:`~dnalm.interpret.attributions.interpret_file` refuse a bad value with one line.

>>> InterpretSettings(limit=-1)
Traceback (most recent call last):
...
ValueError: limit (--limit) must be in [1, 1000000000]; got -1
"""

from __future__ import annotations

from dataclasses import dataclass

from dnalm.settings import check_applies, check_fields, setting

__all__ = ["InterpretSettings"]

#: The attribution methods (their descriptions: :data:`dnalm.interpret.attributions.METHODS`).
METHODS = ("ism", "ig", "deepliftshap", "gradxinput")


@dataclass
class InterpretSettings:
    """Which attribution method, on how many sequences, and what is drawn."""

    method: str = setting(
        "ism",
        "ism: in-silico saturation mutagenesis; ig: integrated gradients; deepliftshap: DeepLIFT against "
        "dinucleotide-shuffled references, averaged; gradxinput: gradient × input (the gradient methods need captum).",
        choices=METHODS,
    )
    motifs: bool = setting(
        False,
        "Also cluster high-attribution seqlets into motifs and match them to JASPAR (needs pyjaspar): motifs.tsv, "
        "motifs.meme and motif logos.",
    )
    limit: int = setting(100, "Sequences interpreted (the first ones of INPUT).", ge=1, le=1_000_000_000)
    logos: int = setting(10, "Logo PNGs drawn (the first ones).", ge=0, le=1_000_000)
    n_steps: int = setting(50, "Integration steps of ig.", ge=1, le=10_000)
    n_shuffles: int = setting(
        20, "Dinucleotide-shuffled references per sequence of deepliftshap.", ge=1, le=10_000, flag="--shuffles"
    )
    seed: int = setting(0, "Seed of deepliftshap's shuffles.", ge=0, lt=2**32)
    batch_size: int = setting(256, "Sequences scored at a time.", ge=1, le=1_000_000)
    target: str | None = setting(
        None,
        "Class to score (a label of the model).",
        shown_default="the label named 1, true, positive, pos or yes, else the model's second label "
        "(labels promoter/random: random); more than two classes, or more than one multi-label label, need --target",
        label=True,
    )
    trust_remote_code: bool = setting(False, "Allow checkpoint code (DNABERT-2). Off by default.")
    sequence_column: str | None = setting(None, "Column of a table holding the sequence.")
    label_column: str | None = setting(None, "Not used: interpret reads no labels (refused when given).")

    def __post_init__(self):
        check_fields(self)
        check_applies(self, "label_column", False, "names a table's label column; interpret reads no labels")
        check_applies(self, "n_steps", self.method == "ig", "sets the integration steps of --method ig")
        check_applies(self, "n_shuffles", self.method == "deepliftshap", "sets the references of --method deepliftshap")
        check_applies(self, "seed", self.method == "deepliftshap", "seeds the shuffles of --method deepliftshap")
