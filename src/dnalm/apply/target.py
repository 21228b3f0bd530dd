"""Which class of a classifier ``scan``, ``variants`` and ``interpret`` score (``--target``), and how
their outputs name it."""

from __future__ import annotations

import logging

__all__ = ["POSITIVE_NAMES", "positive_class", "target_class", "track_line"]

log = logging.getLogger(__name__)

#: Label names the default rule of :func:`target_class` takes for the scored class (any case).
POSITIVE_NAMES = ("1", "true", "positive", "pos", "yes")


def target_class(model, target: str | None = None) -> tuple[int, str]:
    """The class of a classifier that ``scan``, ``variants`` and ``interpret`` score: ``(index, label)``.
    They score its probability, and its log-odds against the other classes together.

    ``target`` names it (a label of the model, e.g. ``promoter``); a model of more than two classes needs it, and
    so does a multi-label model of more than one label (each label is scored by its own sigmoid: its log-odds is
    its logit).
    Without it, a two-class model's default rule: the label called 1, true, positive, pos or yes (any case),
    else the model's second label (``id2label[1]``; ``finetune`` numbers names in sorted order, so of
    ``promoter``/``random`` the default is ``random``), and a warning says so. An unknown ``target`` is an
    error listing the labels.
    """
    from dnalm.finetune.tasks import task_of

    names = [str(model.config.id2label[i]) for i in range(model.config.num_labels)]
    task = task_of(model)
    multi_label = task.name == "multi_label_classification"  # each label its own yes/no: its sigmoid, its logit
    if task.per_base or not (task.exclusive or multi_label) or len(names) < (1 if multi_label else 2):
        raise ValueError(
            f"scan, variants and interpret score one class of a classifier of whole sequences; this model has "
            f"{len(names)} label{'s' * (len(names) != 1)} ({task.name})"
        )
    if target is not None:
        if str(target) not in names:
            raise ValueError(f"--target {target!r} is not a class of this model; its labels: {', '.join(names)}")
        return names.index(str(target)), str(target)
    if multi_label and len(names) == 1:
        return 0, names[0]
    if multi_label:
        raise ValueError(
            f"this multi-label model has {len(names)} labels ({', '.join(names)}): choose the one to score with "
            "--target (its probability, and its log-odds)"
        )
    if len(names) > 2:
        raise ValueError(
            f"this model has {len(names)} classes ({', '.join(names)}): choose the one to score with --target "
            "(its probability, and its log-odds against the others together)"
        )
    for i, name in enumerate(names):
        if name.lower() in POSITIVE_NAMES:
            return i, name
    log.warning(
        "scoring P(%s): no label is named %s, so the default is the model's second label (of %s); "
        "choose the class with --target",
        names[1],
        "/".join(POSITIVE_NAMES),
        ", ".join(names),
    )
    return 1, names[1]


def positive_class(model) -> tuple[int, str]:
    """:func:`target_class` by its default rule."""
    return target_class(model)


def track_line(kind: str, label: str, description: str) -> str:
    """A UCSC ``track`` line naming the scored class, e.g. for a bedGraph:

    >>> track_line("bedGraph", "promoter", "dnalm scan m")
    'track type=bedGraph name="P(promoter)" description="dnalm scan m: P(promoter)"\\n'
    """
    label = label.replace('"', "'")
    kind = f"type={kind} " if kind else ""
    return f'track {kind}name="P({label})" description="{description.replace(chr(34), chr(39))}: P({label})"\n'
