"""The default recipe: the model and training settings ``dnalm finetune`` chooses from the data.

The same rules for every data set, no per-task table: the choices depend only on the number
of training sequences, their lengths and the number of classes, never on a timing or the machine, so one
seed trains one model whether the machine is idle or busy. Every choice is written down with its reason
(``recipe.json`` in the model folder). A wall-clock cap is the user's to set (``--time-budget``; default
none): ``finetune`` then plans fewer steps if the recipe's would not fit, and says so.

The model starts from the shipped ``dnalm-cnn`` (the recipe's CNN pretrained to fill in masked bases of
five genomes) unless told to start from random weights (``from_scratch``, ``--from-scratch``), given
architecture settings of its own (``model_config``), or given sequences too short for the positional
head the checkpoint was built with.

>>> r = choose_recipe(n_train=6478, lengths=[101] * 6478, num_labels=2)
>>> r.model, r.batch_size, r.epochs, r.lr_scheduler
('dnalm-cnn', 128, 8.0, 'cosine')
>>> choose_recipe(n_train=6478, lengths=[101] * 6478, num_labels=2) == r   # deterministic
True
>>> choose_recipe(n_train=6478, lengths=[101] * 6478, num_labels=2, from_scratch=True).model
'pos-cnn'
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dnalm.finetune.config import CANDIDATE_CHOICES
from dnalm.io.files import write_json
from dnalm.models.ref import ModelRef
from dnalm.settings import named
from dnalm.tasks import DEFAULT_TASK

__all__ = [
    "PRETRAINED_START",
    "Recipe",
    "attention_max_bases",
    "choose_recipe",
    "fine_bins",
    "for_checkpoint",
    "is_recipe_checkpoint",
    "starts_pretrained",
]

#: The checkpoint the recipe starts from: its CNN, pretrained by ``tools/ship_dnalm_mini.py --name dnalm-cnn``.
#: On GUE (validation loss, seeds 0-2; README) it beat random weights in most paired runs.
PRETRAINED_START = "dnalm-cnn"
_START_BINS = 8  # the position bins PRETRAINED_START was built with (its head is new; the data's bins must match)
_SAMPLES = 30_000  # sequences seen (with repeats) that the epoch rule aims for
# 8 rather than 6: on GUE prom_core_tata and mouse/0 (seeds 0-2, bf16) 8 passes gave a lower validation loss than
# 6 in 6 runs of 6; 10 passes lowered it further in 4 of 6, by less, for 25% more time (see the README's results)
_MIN_EPOCHS, _MAX_EPOCHS = 8, 30
_EVALS = 10  # validations per run at least
#: Data this small train more than one candidate architecture, and validation keeps one (see :func:`choose_recipe`).
CANDIDATES_MAX_TRAIN = 10_000
#: The candidates: the recipe's CNN as it is (8 position bins); with fine position bins (``"fine"``:
#: :func:`fine_bins` of the data's median length), its head seeing where each feature fires at a few bases'
#: resolution for no extra compute (GUE prom_300_tata: validation loss 0.29 with 64 bins against 0.49 with 8 and the
#: attention layers' 0.39; on mouse/2 finer bins overfit, 0.22 against 0.18); and with two attention layers over its
#: feature map, which relate every position to every other (on TSS-aligned promoters they won every paired
#: validation run; on unaligned TF sets they lost). See docs/results/position-screen.md.
#: A candidate is a change to the recipe's ``model_config``, and may name a ``model`` (a checkpoint) to start from:
#: the two attention layers pretrained with the CNN to fill in masked bases lost on validation (docs/results).
CANDIDATES = ({}, {"position_bins": "fine"}, {"attention_layers": 2})
_SPECIAL_TOKENS = 2  # [CLS] and [SEP] around the bases (the CNN reads one token per base)
_FINE_BINS = 16, 64  # fine bins: one per 2 bases of the median sequence, at least 16, at most 64 (the head's size)


def fine_bins(median_length: int) -> int:
    """Position bins of the fine candidate for sequences of ``median_length`` bases: one per two bases, 16 to 64.

    On GUE (validation, seed 0) 32 and 64 bins did equally well on 70-bp promoters (loss 0.286 both, 8 bins 0.304)
    and 64 beat 32 and 16 on 300-bp ones (0.288, 0.348, 0.449); more would grow the head with little left to resolve.

    >>> fine_bins(70), fine_bins(101), fine_bins(300), fine_bins(20)
    (35, 50, 64, 16)
    """
    return min(_FINE_BINS[1], max(_FINE_BINS[0], median_length // 2))


@dataclass(frozen=True)
class Recipe:
    """Everything the default recipe decided, with the reason for each choice."""

    model: str
    model_config: dict
    learning_rate: float
    batch_size: int
    epochs: float
    warmup_ratio: float
    lr_scheduler: str
    max_grad_norm: float
    weight_decay: float
    ema_decay: float
    evals_per_epoch: float
    metric_for_best_model: str
    early_stopping_patience: int | None
    anneal_epochs: float
    reverse_complement_average: bool
    time_budget_s: float | None
    data: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)
    candidates: list = field(default_factory=list)  # model_config variants (or models) trained in turn (or none)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.data["n_train"] / self.batch_size)

    @property
    def total_steps(self) -> int:
        return max(1, round(self.epochs * self.steps_per_epoch))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def save(self, path: str | Path) -> None:
        write_json(path, self.to_dict())

    def describe(self) -> str:
        """One line per choice: the value and why."""
        lines = [
            f"default recipe for {self.data['n_train']:,} training sequences of "
            f"{self.data['median_length']} bp (median), {self.data['num_labels']} labels:"
        ]
        for key, why in self.reasons.items():
            lines.append(f"  {key} = {getattr(self, key)!r}: {why}")
        return "\n".join(lines)


def _check_recipe_options(problem_type, time_budget_s, from_scratch, epochs, batch_size) -> None:
    """:func:`choose_recipe`'s options, each named where wrong (epochs=0 was a ZeroDivisionError, NaN a
    conversion error, from_scratch="no" taken as true)."""
    import math

    from dnalm.settings import check_count, check_flag
    from dnalm.tasks import TASKS

    if problem_type not in TASKS:
        raise ValueError(f"{named('problem_type')} must be one of {sorted(TASKS)}; got {problem_type!r}")
    check_flag(from_scratch, "from_scratch")
    for name, value in (("epochs", epochs), ("time_budget_s", time_budget_s)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0
        ):
            raise ValueError(f"{name} must be a number above 0 (or None); got {value!r}")
    if batch_size is not None:
        check_count(batch_size, "batch_size")


def choose_recipe(
    n_train: int,
    lengths,
    num_labels: int,
    problem_type: str = DEFAULT_TASK,
    time_budget_s: float | None = None,
    from_scratch: bool = False,
    candidates: str | bool = "auto",
    *,
    epochs: float | None = None,
    batch_size: int | None = None,
    model_config: dict | None = None,
) -> Recipe:
    """Choose the model and training settings from the data alone (deterministic: no timing, no RNG).

    The steps, epochs and evaluations follow from the data, so the same data and seed train the same
    model on any machine, idle or busy. ``time_budget_s`` is only recorded: it is the user's explicit
    cap (``--time-budget``; default none), which ``finetune`` applies by timing this model here and
    training fewer steps if the planned ones would not fit (and says so).
    ``from_scratch``: random weights instead of :data:`PRETRAINED_START` (``finetune`` also asks for
    them when the user sets architecture values, which the checkpoint's weights do not have).

    ``candidates``: ``"auto"`` (or True): with at most :data:`CANDIDATES_MAX_TRAIN` training sequences,
    ``finetune`` trains each architecture of :data:`CANDIDATES` with these settings and keeps the one with the best
    validation metric (selection on validation only; all are recorded in ``recipe.json``, with the standard error of
    each difference); ``"all"``: every
    candidate whatever the data's size (about four times the time of one on large data); ``"one"`` (or False):
    the recipe's CNN alone. Where one model trains on more than :data:`CANDIDATES_MAX_TRAIN` sequences and the user
    set no ``model_config``, it has a second positional head with :func:`fine_bins` bins (``fine_position_bins``:
    each head trained on its own loss, the output their mean), so it reads positions at two resolutions without
    the time of a second candidate. ``finetune`` passes ``"one"`` when the user chose the architecture (``model_config``)
    or a time budget. ``epochs`` and ``batch_size``: the user's, when given; the steps and what follows from them
    (the weight average's half-life, validations per epoch) are planned from them. ``model_config``: the user's
    architecture settings, merged over the recipe's (settings that change the pretrained checkpoint's weights, such
    as ``channels``, start from random weights, and the reason says so).
    """
    for name, value in (("n_train", n_train), ("num_labels", num_labels)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be a whole number; got {value!r}")
    if n_train < 1:
        raise ValueError("the default recipe needs at least one training sequence")
    if num_labels < 1:
        raise ValueError(f"the default recipe needs at least one output (num_labels >= 1); got {num_labels}")
    lengths = np.asarray(lengths)
    if lengths.shape != (n_train,) or not np.issubdtype(lengths.dtype, np.integer) or (lengths < 1).any():
        raise ValueError(
            f"the default recipe needs one length (a whole number ≥ 1) per training sequence: {n_train:,} sequences, "
            f"lengths of shape {lengths.shape} ({lengths.dtype})"
        )
    _check_recipe_options(problem_type, time_budget_s, from_scratch, epochs, batch_size)
    median = int(np.median(lengths))
    reasons = {}
    yours = dict(model_config or {})
    model, config = _choose_model(median, from_scratch, reasons, changed=sorted(set(yours) - _extension_settings()))
    if yours:  # recorded as trained: recipe.json and the log said {'position_bins': 8} for channels: 192
        config = {**config, **yours}
        reasons["model_config"] += f"; yours: {', '.join(f'{k}={v!r}' for k, v in yours.items())}"
    chosen = _choose_candidates(candidates, n_train, median, int(lengths.max()), config, reasons)
    if not chosen and not yours and n_train > CANDIDATES_MAX_TRAIN:
        config = _with_two_heads(config, median, reasons)
    return Recipe(
        candidates=chosen,
        model=model,
        model_config=config,
        **_choose_steps(n_train, reasons, epochs, batch_size),
        **_choose_optimizer_and_selection(reasons),
        time_budget_s=time_budget_s,
        data={
            "n_train": int(n_train),
            "median_length": median,
            "max_length": int(lengths.max()),
            "num_labels": int(num_labels),
            "problem_type": problem_type,
        },
        reasons=reasons,
    )


def attention_max_bases() -> int:
    """The longest sequence, in bases, that the attention candidate takes whole: its learned positions (after
    max-pooling) cover this many tokens, two of them [CLS] and [SEP].

    >>> attention_max_bases()
    2046
    """
    from dnalm.models.baselines import PosCnnConfig

    return PosCnnConfig(attention_layers=2).max_position_embeddings - _SPECIAL_TOKENS


def _choose_candidates(
    candidates: str | bool, n_train: int, median: int, longest: int, config: dict, reasons: dict
) -> list[dict]:
    """The architectures trained in turn (validation keeps one), and why: on small data (``auto``) or when asked
    (``all``), where the recipe's CNN has position bins to start from. The attention candidate only where every
    training sequence (``longest`` bases) fits its positions: trained on cut sequences it would also cut the
    window of the candidates' average, which then scores long sequences in pieces (and attention's cost grows with
    the square of the length)."""
    candidates = {True: "auto", False: "one"}.get(candidates, candidates)
    if candidates not in CANDIDATE_CHOICES:
        raise ValueError(f"candidates must be one of {', '.join(CANDIDATE_CHOICES)}; got {candidates!r}")
    small = n_train <= CANDIDATES_MAX_TRAIN
    if not ((candidates == "all" or (candidates == "auto" and small)) and config.get("position_bins", _START_BINS)):
        return []
    why = (
        f"{n_train:,} training sequences (at most {CANDIDATES_MAX_TRAIN:,})"
        if candidates == "auto"
        else "candidates 'all' asked for"
    )
    reasons["candidates"] = (
        f"{why}: each architecture is trained and the best validation metric chooses (finer position bins "
        "or attention layers pay where the data are aligned on a site)"
    )
    chosen = [{k: fine_bins(median) if v == "fine" else v for k, v in c.items()} for c in CANDIDATES]
    if longest > (most := attention_max_bases()):
        chosen = [c for c in chosen if not c.get("attention_layers")]
        reasons["candidates"] += (
            f"; not the attention layers: they take sequences of up to {most:,} bases whole and the longest "
            f"training sequence has {longest:,} (cut, it would also cut the window of the candidates' average)"
        )
    return chosen


def _with_two_heads(config: dict, median: int, reasons: dict) -> dict:
    """The one model trained on large data: the recipe's CNN with a second positional head at fine bins, where it
    has position bins at all."""
    if not config.get("position_bins", _START_BINS):
        return config
    reasons["model_config"] += (
        f", and a second positional head with {fine_bins(median)} bins (one model on large data: each head "
        "learns on its own loss, the output is their mean; it validated better than the 8-bin CNN on four of "
        "the five large GUE sets, where fine bins alone lost on the TF sets)"
    )
    return {**config, "fine_position_bins": fine_bins(median)}


def _extension_settings() -> set[str]:
    """Architecture settings that only add modules to the pretrained CNN or shape its new head (its weights still
    start the rest)."""
    from dnalm.models.baselines import PosCnnConfig

    return set(PosCnnConfig.extension_settings) | set(PosCnnConfig.head_settings)  # its head is new


def _choose_model(median: int, from_scratch: bool, reasons: dict, changed: list[str] = ()) -> tuple[str, dict]:
    """The model and its architecture settings (with their reasons) for sequences of ``median`` bp; ``changed``:
    the user's architecture settings that the pretrained checkpoint's weights do not have (random weights)."""
    bins = _START_BINS if median >= 32 else 0
    cnn = (
        "a residual CNN on one-hot bases (motifs) with a positional head (where they sit): "
        "fast on a CPU and strong on small genomic data"
    )
    if from_scratch or changed or bins != _START_BINS:
        why = (
            "random weights, as asked"
            if from_scratch
            else f"random weights: model_config sets {', '.join(changed)}, which {PRETRAINED_START}'s weights do not have"
            if changed
            else f"random weights: {PRETRAINED_START}'s head needs ≥ 32 bp"
        )
        reasons["model"] = f"{cnn}; {why}"
        reasons["model_config"] = (
            f"{bins} position bins" if bins else f"no position bins: sequences of {median} bp are too short to split"
        )
        return "pos-cnn", {"position_bins": bins}
    reasons["model"] = (
        f"{cnn}; its body pretrained to fill in masked bases of five genomes (shipped {PRETRAINED_START}; "
        "--from-scratch for random weights), a new head"
    )
    reasons["model_config"] = f"the checkpoint's architecture ({_START_BINS} position bins)"
    return PRETRAINED_START, {}


def _choose_steps(n_train: int, reasons: dict, epochs: float | None = None, batch: int | None = None) -> dict:
    """Batch size, epochs, weight average and evaluations: what the number of training sequences decides (the
    user's epochs and batch size where given, and what follows from them)."""
    if batch is None:
        batch = 128 if n_train >= 4 * 1024 else 64 if n_train >= 1024 else 32
        reasons["batch_size"] = f"enough optimizer steps per epoch for {n_train:,} sequences"
    else:
        reasons["batch_size"] = "set for this run (--batch-size)"
    steps_per_epoch = math.ceil(n_train / batch)
    if epochs is None:
        epochs = float(min(max(round(_SAMPLES / n_train), _MIN_EPOCHS), _MAX_EPOCHS))
        reasons["epochs"] = (
            f"about {_SAMPLES:,} sequences seen, at least {_MIN_EPOCHS} and at most "
            f"{_MAX_EPOCHS} passes, on any machine (only an explicit --time-budget caps it)"
        )
    else:
        epochs = float(epochs)
        reasons["epochs"] = "set for this run (--epochs)"
    total = max(1, round(epochs * steps_per_epoch))
    half_life = max(1.0, 0.05 * total)
    ema = round(0.5 ** (1 / half_life), 6)
    reasons["ema_decay"] = (
        f"an exponential moving average of the weights with a half-life of 5% of "
        f"the {total} steps; validation, selection and the saved model use it"
    )
    evals = round(max(1.0, _EVALS / epochs), 3)
    reasons["evals_per_epoch"] = (
        f"at least once per epoch and {_EVALS} times in all, so selection has points to choose from"
    )
    return {"batch_size": batch, "epochs": epochs, "ema_decay": ema, "evals_per_epoch": evals}


def _choose_optimizer_and_selection(reasons: dict) -> dict:
    """The optimizer, schedule, selection and strand settings: the same for every data set."""
    reasons["learning_rate"] = "peak of AdamW, safe with batch norm and warmup"
    reasons["warmup_ratio"] = "linear warmup over 6% of the steps, so early large gradients do not blow up"
    reasons["lr_scheduler"] = "cosine decay to zero: the last steps average out the gradient noise"
    reasons["max_grad_norm"] = (
        "clipping only guards against rare spikes; at 1.0 it would slow every step of a batch-normalised CNN"
    )
    reasons["weight_decay"] = "AdamW's usual 0.01"
    reasons["metric_for_best_model"] = (
        "validation loss: smoother than the MCC of a small dev split, which jumps with a handful of sequences"
    )
    reasons["early_stopping_patience"] = (
        "epochs without a better validation loss before stopping (finetune's "
        "default); the cosine schedule usually ends training first"
    )
    reasons["anneal_epochs"] = (
        "none: on a plateau training stops at once (an anneal to zero left GUE tf/0's validation loss where it was)"
    )
    reasons["reverse_complement_average"] = (
        "trained with random reverse complements; evaluate and predict average both strands by default"
    )
    return {
        "learning_rate": 2e-3,
        "warmup_ratio": 0.06,
        "lr_scheduler": "cosine",
        "max_grad_norm": 5.0,
        "weight_decay": 0.01,
        "metric_for_best_model": "loss",  # every problem type has one
        "early_stopping_patience": 3,
        "anneal_epochs": 0.0,
        "reverse_complement_average": True,
    }


def starts_pretrained(model_config: dict, from_scratch: bool = False) -> bool:
    """Whether the recipe starts from :data:`PRETRAINED_START` given the user's architecture settings: yes
    when they only add modules after its convolutions (``attention_layers``: new layers, its weights for the
    rest), no when asked for random weights or when a setting changes weights it has (``channels``).

    >>> starts_pretrained({}), starts_pretrained({"attention_layers": 2}), starts_pretrained({"channels": 64})
    (True, True, False)
    """
    return not from_scratch and set(model_config) <= _extension_settings()


def is_recipe_checkpoint(model: str | Path | ModelRef) -> bool:
    """True for a local checkpoint folder of the recipe's own architecture (``pos-cnn``): one that
    ``dnalm pretrain --model pos-cnn-cpu`` or a default ``dnalm finetune`` wrote."""
    from dnalm.models.baselines import PosCnnConfig

    ref = ModelRef.resolve(model)
    return ref.kind in ("shipped", "folder") and ref.architecture == PosCnnConfig.model_type


def for_checkpoint(recipe: Recipe, checkpoint: str | Path, *, from_scratch: bool = False) -> Recipe:
    """The recipe's training settings for a checkpoint of its architecture: the checkpoint's weights (random ones
    ``from_scratch``) and architecture instead of a new model, everything else as the data decided."""
    reasons = dict(recipe.reasons)
    weights = "random weights (--from-scratch)" if from_scratch else "its weights"
    reasons["model"] = f"a checkpoint of the recipe's CNN (pretrained or fine-tuned): {weights}, the recipe's settings"
    reasons["model_config"] = "the checkpoint's own architecture"
    reasons.pop("candidates", None)
    return dataclasses.replace(recipe, model=str(checkpoint), model_config={}, reasons=reasons, candidates=[])
