"""Which output of a model ``scan``, ``variants`` and ``interpret`` score (``--target``), and how
their outputs name it: a classifier's class (its probability, and its log-odds), or a regression model's
predicted value."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from dnalm.metrics import POSITIVE_NAMES, positive_index
from dnalm.settings import given, option_named

__all__ = ["POSITIVE_NAMES", "Target", "positive_class", "scored_target", "target_class", "track_line"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """The output scored: its index, its label, and whether it is a class probability (scored as log-odds where a
    difference is taken) or a regression model's value (scored as it is).

    >>> Target(1, "promoter").name, round(float(Target(1, "promoter").log_odds(0.5)), 6)
    ('P(promoter)', 0.0)
    >>> Target(0, "value", probability=False).name, float(Target(0, "value", probability=False).log_odds(2.5))
    ('predicted value', 2.5)
    """

    index: int
    label: str
    probability: bool = True

    @property
    def name(self) -> str:
        """How outputs name the score: ``P(label)`` or ``predicted label``."""
        return f"P({self.label})" if self.probability else f"predicted {self.label}"

    @property
    def difference(self) -> str:
        """What a difference of two scores is taken on: ``log-odds of P(label)``, or the predicted value."""
        return f"log-odds of {self.name}" if self.probability else self.name

    def log_odds(self, score):
        """A probability's log-odds (clipped away from 0 and 1); a regression value as it is."""
        if not self.probability:
            return np.asarray(score, dtype=np.float64)
        p = np.clip(np.asarray(score, dtype=np.float64), 1e-7, 1 - 1e-7)
        return np.log(p) - np.log1p(-p)


def scored_target(model, target: str | None = None, choose: str | None = None) -> Target:
    """The output that ``scan``, ``variants`` and ``interpret`` score: a classifier's class (:func:`target_class`),
    or a regression model's value (``target``, where given, must be its label, ``value`` for models dnalm trained)."""
    from dnalm.tasks import task_of

    if task_of(model).name == "regression":
        names = [str(model.config.id2label[i]) for i in range(model.config.num_labels)]
        if len(names) != 1:
            raise ValueError(
                f"scan, variants and interpret score one value of a regression model; this one predicts {len(names)}"
            )
        if target is not None and str(target) != names[0]:
            raise ValueError(
                f"{given('target', target)} is not an output of this regression model; its output: {names[0]}"
            )
        return Target(0, names[0], probability=False)
    return Target(*target_class(model, target, choose))


def target_class(model, target: str | None = None, choose: str | None = None) -> tuple[int, str]:
    """The class of a classifier that ``scan``, ``variants`` and ``interpret`` score: ``(index, label)``.
    They score its probability, and its log-odds against the other classes together (a regression model's value:
    :func:`scored_target`).

    ``target`` names it (a label of the model, e.g. ``promoter``); a model of more than two classes needs it, and
    so does a multi-label model of more than one label (each label is scored by its own sigmoid: its log-odds is
    its logit).
    Without it, a two-class model's default rule: the label called 1, true, positive, pos or yes (any case),
    else the model's second label (``id2label[1]``; ``finetune`` numbers names in sorted order, so of
    ``promoter``/``random`` the default is ``random``), and a warning says so. An unknown ``target`` is an
    error listing the labels. ``choose``: how a message tells the caller to choose the class (default ``--target``
    on the command line, ``target=`` in Python; a function may name its own argument).
    """
    choose = choose or option_named("target")
    from dnalm.tasks import task_of

    names = [str(model.config.id2label[i]) for i in range(model.config.num_labels)]
    task = task_of(model)
    multi_label = task.name == "multi_label_classification"  # each label its own yes/no: its sigmoid, its logit
    if task.per_base or not (task.exclusive or multi_label) or len(names) < (1 if multi_label else 2):
        raise ValueError(
            f"scan, variants and interpret score one class of a classifier of whole sequences, or a regression "
            f"model's value; this model has {len(names)} label{'s' * (len(names) != 1)} ({task.name})"
        )
    if target is not None and str(target) not in names and isinstance(target, str):
        import unicodedata

        from dnalm.io.table import canonical_label

        if canonical_label(target.strip()) in names:  # --target 1.0: training wrote the label 1.0 as 1
            target = canonical_label(target.strip())
        same = [n for n in names if unicodedata.normalize("NFC", n) == unicodedata.normalize("NFC", target)]
        if len(same) == 1:  # 'ü' typed as u + combining diaeresis (macOS): refused beside a label that looked the same
            target = same[0]
    if target is not None:
        if str(target) not in names:
            raise ValueError(f"{given('target', target)} is not a class of this model; its labels: {', '.join(names)}")
        return names.index(str(target)), str(target)
    if multi_label and len(names) == 1:
        return 0, names[0]
    if multi_label:
        raise ValueError(
            f"this multi-label model has {len(names)} labels ({', '.join(names)}): choose the one to score with "
            f"{choose} (its probability, and its log-odds)"
        )
    if len(names) > 2:
        raise ValueError(
            f"this model has {len(names)} classes ({', '.join(names)}): choose the one to score with {choose} "
            "(its probability, and its log-odds against the others together)"
        )
    i = positive_index(names)  # evaluate's positive class too
    if names[i].lower() in POSITIVE_NAMES:
        return i, names[i]
    log.warning(
        "scoring P(%s): no label is named %s, so the default is the model's second label (of %s); "
        "choose the class with %s",
        names[1],
        "/".join(POSITIVE_NAMES),
        ", ".join(names),
        choose,
    )
    return 1, names[1]


def positive_class(model) -> tuple[int, str]:
    """:func:`target_class` by its default rule."""
    return target_class(model)


def track_line(kind: str, score: str, description: str) -> str:
    """A UCSC ``track`` line naming the score (:attr:`Target.name`), e.g. for a bedGraph:

    >>> track_line("bedGraph", "P(promoter)", "dnalm scan m")
    'track type=bedGraph name="P(promoter)" description="dnalm scan m: P(promoter)"\\n'
    """
    score = score.replace('"', "'")
    kind = f"type={kind} " if kind else ""
    return f'track {kind}name="{score}" description="{description.replace(chr(34), chr(39))}: {score}"\n'
