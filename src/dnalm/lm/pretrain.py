"""Masked-language-model pretraining on a corpus from ``dnalm corpus``, around ``transformers.Trainer``.

k-mer models get leak-free span masking (:class:`~dnalm.lm.masking.KmerMaskingCollator`);
BPE and single-base models the standard ``DataCollatorForLanguageModeling``. A killed run
resumes with ``resume=True``: the Trainer restores model, optimizer, learning-rate
schedule, data position and random states (the k-mer collator draws from numpy's global
generator, which the Trainer checkpoints), so the run continues as if never stopped. A resume
with other settings or another corpus than the run started with is refused: it would mix two
runs in one model.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnalm.io.files import write_json
from dnalm.io.outputs import (
    Output,
    claims,
    local,
    read_marker,
    remove_stopped_run,
    remove_written,
)
from dnalm.io.sequence import normalize
from dnalm.lm.masking import check_schedule
from dnalm.models.card import write_pretrain_card
from dnalm.models.ref import ModelRef, recipe_named
from dnalm.models.windows import check_sequence_list
from dnalm.plots import plot_loss_curve
from dnalm.runtime import distributed
from dnalm.runtime.hardware import keeps_random_state, needs_gradients
from dnalm.runtime.training import (
    CHECKPOINT_FILES,
    SHARED_OWNED,
    TOKENIZER_FILES,
    check_finite_weights,
    check_scheduler,
    check_trainer_settings,
)
from dnalm.settings import (
    TRUST_HELP,
    YEAR_S,
    check_applies,
    check_fields,
    check_keys,
    flag,
    load_yaml,
    naming_the_file,
    setting,
    settings_from,
)
from dnalm.tokenizers.build import learns_vocabulary
from dnalm.tokenizers.capabilities import capabilities

__all__ = [
    "RECIPES",
    "LmEvalSettings",
    "PretrainConfig",
    "describe",
    "pretrain",
    "score_language_model",
    "self_pretrain",
]

log = logging.getLogger(__name__)
#: Architectures with a masked-LM form: the transformers, and the default recipe's CNN (filling in masked bases).


@dataclass
class PretrainConfig:
    """Settings of ``dnalm pretrain`` (saved as ``dnalm_pretrain.yaml``); ``trainer`` passes through. Each field is
    written once: its help and bounds are the CLI option's and are checked for the CLI, YAML and Python alike."""

    model: str = setting(
        "tiny",
        "Recipe (tinydnabert, dnabert, tinydnabert-cpu, dnabert-cpu, mini-cpu, pos-cnn-cpu: the default recipe's "
        "CNN, pos-cnn-attn-cpu: it with two attention layers), model preset or YAML (built from scratch), or a "
        "checkpoint to continue.",
    )
    model_config: dict = setting(
        help="Architecture settings merged over the preset's (a checkpoint takes only settings that add modules, "
        "e.g. attention_layers).",
        default_factory=dict,
        cli=False,
    )
    max_steps: int | None = setting(
        None,
        "Optimizer steps.",
        ge=1,
        le=1_000_000_000,
        shown_default="what fits in --time-budget, or 1000 without one",
    )
    time_budget: float | None = setting(
        None,
        "Wall-clock limit, e.g. 5m, 30m, 1h: the steps that fit, planned from the measured speed.",
        gt=0,
        le=YEAR_S,
        cli_type=str,
    )
    batch_size: int = setting(32, "Training batch (all processes together).", ge=1, le=1_000_000)
    learning_rate: float = setting(5e-4, "Peak AdamW learning rate.", gt=0, le=1)
    warmup_steps: float = setting(
        0.1, "Warmup: a fraction of max_steps if < 1, else steps.", ge=0, le=1_000_000_000, cli=False
    )
    lr_scheduler: str = setting("linear", "Any transformers scheduler: linear, cosine, ...", cli=False)
    weight_decay: float = setting(0.01, "AdamW weight decay.", ge=0, le=1000, cli=False)
    gradient_accumulation_steps: int = setting(1, "Batches per optimizer step.", ge=1, le=1_000_000, cli=False)
    max_length: int | None = setting(
        None, "Tokens per example (None: the model's limit).", ge=8, le=10_000_000, cli=False
    )
    mlm_probability: float = setting(0.15, "Fraction of bases (tokens) masked.", gt=0, lt=1)
    mlm_schedule: list | None = setting(
        None, "[[fraction_of_steps, probability], ...], e.g. [[0, .15], [.83, .2]].", cli=False
    )
    span_length: int = setting(1, "Bases per masked span (k-mer models).", ge=1, le=1000)
    bpe_sample: int = setting(
        20_000, "Corpus segments a BPE vocabulary is trained on.", ge=1, le=1_000_000_000, cli=False
    )
    max_eval_examples: int | None = setting(
        128, "Validation windows scored at each evaluation (a fixed, seeded sample).", ge=1, le=1_000_000_000, cli=False
    )
    lm_eval_examples: int = setting(
        1000, "Held-out windows scored per base at the end.", ge=0, le=1_000_000_000, cli=False
    )
    save_steps: int = setting(500, "Steps between checkpoints.", ge=1, le=1_000_000_000)
    eval_steps: int | None = setting(
        None, "Steps between evaluations.", ge=1, le=1_000_000_000, shown_default="20 over the run"
    )
    logging_steps: int = setting(50, "Steps between log lines.", ge=1, le=1_000_000_000, cli=False)
    save_total_limit: int = setting(3, "Checkpoints kept.", ge=1, le=1_000_000, cli=False)
    seed: int = setting(42, "Seed of initialisation, masking and shuffling.", ge=0, lt=2**32)
    trainer: dict = setting(
        help="transformers.TrainingArguments settings, passed through.", default_factory=dict, cli=False
    )
    trust_remote_code: bool = setting(False, "Allow a checkpoint that ships its own code (auto_map) to continue.")

    source_file = None  # the YAML file resolve_pretrain_config read (an input of the run); not a setting

    def __post_init__(self):
        from dnalm.settings import parse_duration

        self.time_budget = parse_duration(self.time_budget)
        check_fields(self)
        if self.mlm_schedule is not None:
            self.mlm_schedule = [list(pair) for pair in check_schedule(self.mlm_schedule)]
        check_applies(
            self,
            "mlm_probability",
            self.mlm_schedule is None,
            "is not used with an mlm_schedule, which sets it at every step",
        )
        if self.warmup_steps >= 1 and not float(self.warmup_steps).is_integer():  # 1.5 was cut to 1 step
            raise ValueError(
                f"warmup_steps must be a fraction of the run below 1 or a whole number of steps; got {self.warmup_steps}"
            )
        if self.max_steps is not None and self.warmup_steps >= max(self.max_steps, 1):
            raise ValueError(
                f"warmup_steps ({self.warmup_steps:g}) is not below max_steps ({self.max_steps}): the whole run would "
                "be warmup; give fewer steps, or a fraction (e.g. 0.1)"
            )
        check_trainer_settings(self.trainer, owned=_OWNED)
        check_scheduler(self.lr_scheduler, self.trainer)

    @classmethod
    def from_dict(cls, data: dict, source: str = "config") -> PretrainConfig:
        check_keys(data, [f.name for f in dataclasses.fields(cls)], "pretrain setting", source)
        check_trainer_settings(data.get("trainer") or {}, source, owned=_OWNED)
        check_scheduler(data.get("lr_scheduler", cls.lr_scheduler), data.get("trainer"), source)
        return cls(**data)


#: TrainingArguments that pretrain derives from its own settings, and the setting to use instead.
_OWNED = {
    **SHARED_OWNED,
    "num_train_epochs": "max_steps",
    "max_steps": "max_steps",
    "warmup_steps": "warmup_steps",
    "save_steps": "save_steps",
    "eval_steps": "eval_steps",
    "logging_steps": "logging_steps",
    "save_total_limit": "save_total_limit",
}


#: The seeds' recipes, and scaled-down versions that finish on a 2-core CPU.
RECIPES: dict[str, dict] = {
    "tinydnabert": {
        "model": "tinydnabert",
        "batch_size": 128,
        "max_length": 512,
        "learning_rate": 1e-4,
        "warmup_steps": 20_000,
        "max_steps": 200_000,
        "weight_decay": 1e-5,
    },
    "dnabert": {
        "model": "dnabert-6",
        "batch_size": 2000,
        "max_length": 512,
        "learning_rate": 4e-4,
        "warmup_steps": 10_000,
        "max_steps": 120_000,
        "weight_decay": 0.01,
        "mlm_schedule": [[0.0, 0.15], [100_000 / 120_000, 0.20]],
    },
    "mini-cpu": {
        "model": "mini",
        "batch_size": 32,
        "max_length": 256,
        "learning_rate": 2e-3,
        "warmup_steps": 0.05,
        "lr_scheduler": "cosine",
        "weight_decay": 0.01,
        "time_budget": 1800,
        "trainer": {"adam_beta2": 0.98},
    },
    "tinydnabert-cpu": {
        "model": "tiny-bpe",
        "batch_size": 32,
        "max_length": 128,
        "learning_rate": 5e-4,
        "warmup_steps": 0.1,
        "max_steps": 2000,
        "weight_decay": 1e-5,
    },
    "pos-cnn-cpu": {  # the default recipe's CNN filling in masked bases; fine-tune its folder as --model
        "model": "pos-cnn",
        "batch_size": 64,
        "max_length": 256,
        "learning_rate": 2e-3,
        "warmup_steps": 0.05,
        "lr_scheduler": "cosine",
        "weight_decay": 0.01,
        "time_budget": 600,
    },
    "pos-cnn-attn-cpu": {  # the default recipe's CNN with two attention layers, continued from dnalm-cnn
        "model": "dnalm-cnn",
        "model_config": {"attention_layers": 2},
        "batch_size": 32,
        "max_length": 512,
        "learning_rate": 1e-3,
        "warmup_steps": 0.05,
        "lr_scheduler": "cosine",
        "weight_decay": 0.01,
        "time_budget": 6600,
    },
    "dnabert-cpu": {
        "model": "tiny",
        "batch_size": 32,
        "max_length": 128,
        "learning_rate": 5e-4,
        "warmup_steps": 0.1,
        "max_steps": 2000,
        "weight_decay": 0.01,
        "mlm_schedule": [[0.0, 0.15], [5 / 6, 0.20]],
    },
}


def resolve_pretrain_config(model_or_recipe: str | None, config: str | Path | None, **overrides) -> PretrainConfig:
    """Recipe name, or model spec, plus an optional YAML file and non-None overrides.

    Layers, lowest first: the recipe's settings (a recipe named by ``model_or_recipe``, else by the file's
    ``model``), the file's settings, the options given. The model named on the command line wins over the file's
    ``model``, and every setting an option replaces is logged."""
    from_file = load_yaml(config) if config is not None else {}
    given = {k: v for k, v in overrides.items() if v is not None}
    if model_or_recipe is not None:
        given = {"model": model_or_recipe, **given}
    for key in sorted(set(given) & set(from_file)):  # the options win, as --help says: and the log says so
        if given[key] != from_file[key]:
            log.info("%s %r from the command line replaces %r from %s", key, given[key], from_file[key], config)
    name = given.get("model", from_file.get("model"))
    recipe = RECIPES[name] if recipe_named(name, RECIPES, "pretraining recipe") else None
    asked = {**from_file, **given}
    if recipe and "mlm_schedule" in recipe and "mlm_probability" in asked and "mlm_schedule" not in asked:
        log.info("mlm_probability %s replaces the %s recipe's mlm_schedule", asked["mlm_probability"], name)
        recipe = {k: v for k, v in recipe.items() if k != "mlm_schedule"}
    data = {**(recipe or {}), **from_file, **given}
    if recipe is not None:
        data["model"] = recipe["model"]
    if name in _SHORT_BUDGET:
        from dnalm.settings import parse_duration

        rule = _SHORT_BUDGET[name]
        explicit = (set(given) | set(from_file)) - {"model"}
        if (parse_duration(data.get("time_budget")) or float("inf")) < rule["below_s"]:
            changed = {k: v for k, v in rule["settings"].items() if k not in explicit}
            log.info(
                "%s with a budget under %.0f min: %s (more tokens per second for a short run)",
                name,
                rule["below_s"] / 60,
                changed,
            )
            data.update(changed)
    with naming_the_file(config, from_file, given):
        cfg = PretrainConfig.from_dict(data)
    cfg.source_file = str(config) if config is not None else None
    return cfg


#: Recipes scale down for short budgets: a shallower model on shorter windows sees more bases per second,
#: which matters more than depth in a few minutes (measured: E. coli, 5 min, README).
_SHORT_BUDGET = {
    "mini-cpu": {
        "below_s": 900,
        "settings": {"model_config": {"num_hidden_layers": 2}, "max_length": 128, "batch_size": 64},
    }
}


def _build(cfg: PretrainConfig, corpus, output: Path):
    """Model and tokenizer; a tokenizer saved by an earlier start of this run is reused."""
    from transformers import AutoModelForMaskedLM

    from dnalm.models.build import check_architecture_settings, make_tokenizer, model_max_tokens, scratch_config
    from dnalm.models.loading import check_finite_weights as check_saved_weights
    from dnalm.models.loading import extended_config, readable_weights
    from dnalm.tokenizers.dna import load_tokenizer

    ref = ModelRef.resolve(cfg.model, cfg.trust_remote_code)
    spec = ref.spec
    if spec is None:  # continue pretraining a checkpoint (or a shipped one, by name)
        ref.check_trust()
        path, trust = ref.path, ref.trust_remote_code
        # model_config may only add modules (e.g. attention layers over a CNN); the rest starts from the checkpoint
        extended = (
            {"config": extended_config(path, cfg.model_config, {}, trust_remote_code=trust)} if cfg.model_config else {}
        )
        with readable_weights(path):  # a truncated model.safetensors: one line naming it, not safetensors' error
            model = AutoModelForMaskedLM.from_pretrained(path, trust_remote_code=trust, **extended)
        check_saved_weights(path, model)  # NaN in the file trained on, then "diverged: lower the learning rate"
        tok = load_tokenizer(path, trust_remote_code=trust)
        tok.model_max_length = model_max_tokens(model, tok)  # a hub tokenizer's "unset" limit overflowed an int
        _check_tokenizer_settings(cfg, tok)
        return model, tok
    spec.config.update(cfg.model_config)
    saved = (output / "tokenizer" / "tokenizer_config.json").is_file()
    distributed.barrier()  # every process has looked before the main one writes
    if saved:
        tok = load_tokenizer(output / "tokenizer")
    elif learns_vocabulary(spec.tokenizer):  # the same in every process (seeded sample); written once
        sample = corpus["train"].shuffle(seed=cfg.seed).select(range(min(cfg.bpe_sample, len(corpus["train"]))))
        tok = make_tokenizer(spec, sample["sequence"])
    else:  # a fixed vocabulary: no sample of the corpus to shuffle
        tok = make_tokenizer(spec, None)
    config = scratch_config(spec, tok, None, {})
    check_architecture_settings(cfg.model, config, cfg.model_config)
    model = AutoModelForMaskedLM.from_config(config)
    tok.model_max_length = model_max_tokens(model, tok)
    _check_tokenizer_settings(cfg, tok)
    if not saved and distributed.is_main():  # once the run is known to start: a refused one leaves nothing
        tok.save_pretrained(output / "tokenizer")
    return model, tok


def _check_tokenizer_settings(cfg: PretrainConfig, tok) -> None:
    """``max_length`` fits the model (not cut silently, nor recorded), and ``span_length`` applies: spans are of
    overlapping k-mers (it was ignored for every other tokenizer, and recorded as if used)."""
    if cfg.max_length is not None and cfg.max_length > tok.model_max_length:
        raise ValueError(f"max_length is {cfg.max_length} tokens; {cfg.model} takes at most {tok.model_max_length}")
    if cfg.span_length != 1 and not capabilities(tok).needs_span_masking:
        raise ValueError(
            f"span_length (--span-length) masks runs of overlapping k-mers; {cfg.model}'s tokens do not overlap and "
            "are masked one at a time: leave it out"
        )


def _tokenize(corpus, tok, max_length: int):
    """Cut segments into windows of exactly ``max_length`` tokens (packed: no padding unless a
    segment is shorter than one window), then tokenize.

    For overlapping k-mers consecutive windows share k-1 bases, so every k-mer of a segment is in
    at least one window and no base or k-mer is dropped at a window boundary; a segment's last
    window ends at its last base and overlaps the window before it.
    """
    from dnalm.models.windows import window_bases, window_starts

    size = window_bases(tok, max_length)
    step = size - getattr(tok, "overlap", 0)

    def encode(batch):
        pieces = [s[i : i + size] for s in batch["sequence"] for i in window_starts(len(s), size, step)]
        enc = tok(pieces, truncation=True, max_length=max_length)
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    return corpus.map(encode, batched=True, remove_columns=["sequence"], desc="tokenizing")


def _window_lengths(dataset) -> np.ndarray:
    return np.fromiter((len(ids) for ids in dataset["input_ids"]), dtype=np.int64, count=len(dataset))


def _padding_fraction(lengths: np.ndarray, max_length: int) -> float:
    """Share of padding if every example were padded to the longest one (at most ``max_length``): an
    upper bound on what batches pad."""
    return float(1 - lengths.sum() / (min(max_length, lengths.max()) * len(lengths))) if len(lengths) else 0.0


def _collator(cfg: PretrainConfig, tok):
    """Leak-free span masking for overlapping k-mers; token masking for every other tokenizer.

    Masks are seeded per batch from ``cfg.seed`` and the batch's tokens, so ``--resume`` masks
    every batch as the uninterrupted run did.
    """
    from dnalm.lm.masking import BatchSeededMasking

    if capabilities(tok).needs_span_masking:
        from dnalm.lm.masking import KmerMaskingCollator

        inner = KmerMaskingCollator(tok, mlm_probability=cfg.mlm_probability, span_length=cfg.span_length)
    else:
        from transformers import DataCollatorForLanguageModeling

        inner = DataCollatorForLanguageModeling(tok, mlm_probability=cfg.mlm_probability)
    return BatchSeededMasking(inner, cfg.seed)


def _masked_accuracy(pred) -> dict:
    preds, labels = pred.predictions, pred.label_ids
    keep = labels != -100
    return {"masked_accuracy": float((preds[keep] == labels[keep]).mean()) if keep.any() else 0.0}


def _callbacks(cfg: PretrainConfig, collator, output: Path):
    from transformers import TrainerCallback

    from dnalm.lm.masking import MaskingSchedule

    schedule = MaskingSchedule(collator, [tuple(x) for x in cfg.mlm_schedule]) if cfg.mlm_schedule else None

    class Pretraining(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            if schedule is not None:  # a resumed run starts at the loaded step's probability
                schedule(state.global_step, state.max_steps)

        def on_step_begin(self, args, state, control, **kwargs):
            if schedule is not None:
                schedule(state.global_step, state.max_steps)

        def on_step_end(self, args, state, control, **kwargs):
            # no checkpoint of the last step: the model is saved whole after it, and a run killed while saving
            # that resumed from such a checkpoint trained one step past max_steps (the Trainer checks after a step)
            if state.global_step >= state.max_steps:
                control.should_save = False

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:  # a line of dnalm's log, not the Trainer's raw dict on standard output
                log.info(
                    "step %d: training loss %.4f, learning rate %.3g",
                    state.global_step,
                    logs["loss"],
                    logs.get("learning_rate", float("nan")),
                )

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            if metrics and "eval_loss" in metrics:
                metrics["eval_perplexity"] = math.exp(min(metrics["eval_loss"], 50))
                log.info(
                    "step %d validation: loss %.4f, perplexity %.2f, masked accuracy %.4f",
                    state.global_step,
                    metrics["eval_loss"],
                    metrics["eval_perplexity"],
                    metrics.get("eval_masked_accuracy", 0),
                )

    return [Pretraining()]


def _claim_output(output: Path, resume: bool, overwrite: bool, last) -> None:
    """Clear an earlier pretraining run in ``output`` when this run starts afresh.

    Which folders are written at all is :mod:`dnalm.io.outputs`' rule (a folder dnalm did not write is
    refused unless ``overwrite``, with ``--resume`` too). A pretraining folder is continued with
    ``resume``; without it a finished run (``pretrain_summary.json``) or one with checkpoints is refused
    unless ``overwrite``, which removes what dnalm wrote there first (the user's other files stay), and
    what a run killed before its first checkpoint left is removed, so no folder mixes two runs.
    """
    marker = read_marker(output) if output.is_dir() else None
    if resume or marker is None or marker["kind"] != "pretrain":
        return
    finished = (output / "pretrain_summary.json").is_file()
    if (finished or last is not None) and not overwrite:
        what = "a finished pretraining" if finished else "checkpoints of a run"
        raise ValueError(
            f"{output} already holds {what}; "
            + ("" if finished else f"pass {flag('resume')} to continue it, ")  # a finished one has nothing to resume
            + f"pass {flag('overwrite')} to replace it (your own files in it stay), or choose another output folder"
        )
    if distributed.is_main():
        ours = [p.name for p in output.iterdir() if marker.get("legacy") or p.name in marker["files"]]
        # what a killed run wrote would stay beside the new run's, in a folder then marked finished (the user's
        # files put there since stay: only what a pretraining writes is removed)
        ours += remove_stopped_run(output, marker, WRITTEN)
        if ours:  # (a new folder holds only this run's own marker: nothing to say)
            was = marker.get("replaces")  # another command's result (a fine-tuned model) replaced with --overwrite
            log.warning(
                "removing %s in %s (%s; your own files in it stay)",
                f"the earlier result of dnalm {was['command']}" if was else "the earlier pretraining run",
                output,
                "--overwrite" if overwrite else "unfinished",
            )
        remove_written(output, ours)  # the user's files in its folders (added or changed since) stay
    distributed.barrier()


#: What a pretraining writes in its output folder (``fnmatch`` patterns): what a run killed part-way may have left
#: there. Anything else put in the folder since that run started is the user's, and ``--overwrite`` keeps it.
WRITTEN = (
    "checkpoints",
    "checkpoints/checkpoint-*",
    *(f"checkpoints/checkpoint-*/{name}" for name in CHECKPOINT_FILES),
    "tokenizer",
    "dnalm_*",
    "config.json",
    "generation_config.json",
    "model*.safetensors*",
    "pytorch_model*.bin*",
    "training_args.bin",
    *TOKENIZER_FILES,
    "history.json",
    "loss_curve.png",
    "lm_metrics.json",
    "pretrain_summary.json",
    "README.md",
)


def _replaces_a_run(a: dict) -> bool:
    """``--overwrite`` over a finished pretraining (or one with checkpoints): the new run is written beside it
    (``OUTPUT.partial``) and put in place only when it finishes, so a run killed part-way leaves the earlier
    result whole (it was removed when the new run started). Such a run starts afresh if killed (no --resume)."""
    out = Path(a["output"]) if isinstance(a["output"], str | Path) else None
    done = out is not None and ((out / "pretrain_summary.json").is_file() or (out / "checkpoints").is_dir())
    return bool(done and a["overwrite"] is True and not a["resume"])


def _settings(cfg, corpus) -> PretrainConfig:
    """The Python API's two main arguments, checked before the output is claimed (a mapping failed on
    'dict' object has no attribute 'model'; a list of sequences on 'list indices must be integers')."""
    if not isinstance(cfg, PretrainConfig):
        raise TypeError(
            f"pretrain takes its settings as a PretrainConfig, e.g. PretrainConfig(model='mini'); got {cfg!r}"
        )
    if not isinstance(corpus, str | os.PathLike) and not hasattr(corpus, "keys"):
        raise TypeError(
            "corpus_path must be a corpus folder (dnalm corpus) or a DatasetDict with a 'sequence' column; got "
            f"{type(corpus).__name__} (self_pretrain takes a list of sequences)"
        )
    return cfg


@claims(
    "pretrain",
    lambda a: {
        "inputs": ([a["corpus_path"]] if isinstance(a["corpus_path"], str | Path) else [])
        + [*local(_settings(a["cfg"], a["corpus_path"]).model), a["cfg"].source_file],
        "outputs": [
            Output(a["output"], "pretrain", rerun="continue", atomic=_replaces_a_run(a), partial_names=WRITTEN)
        ],
        "overwrite": a["overwrite"],
        "resume": a["resume"],
    },
)
@keeps_random_state
@needs_gradients
def pretrain(
    cfg: PretrainConfig, corpus_path, output: str | Path, *, resume: bool = False, overwrite: bool = False
) -> dict:
    """Pretrain ``cfg.model`` by masked language modelling on a corpus folder from ``dnalm corpus`` (or
    a ``DatasetDict`` with a ``sequence`` column); writes the model to ``output`` (see :func:`_claim_output`
    for which folders it writes into).

    With ``cfg.time_budget`` the number of steps is planned from the measured speed of this model
    on this machine (the learning-rate schedule is planned for that many steps, not cut off). At
    the end the model is scored per base on held-out windows beside a Markov chain and a two-sided
    count model fitted on the training segments (``lm_metrics.json``).
    """
    import yaml
    from transformers import set_seed

    from dnalm.lm.corpus import caches_apart, load_corpus
    from dnalm.runtime.hardware import frozen_gc

    t0 = time.time()
    processes = _check_run(cfg, corpus_path)
    output = Path(output)
    checkpoints = output / "checkpoints"
    last = _prepare_output(cfg, corpus_path, output, resume, overwrite)
    set_seed(cfg.seed)
    with caches_apart():  # the corpus folder is an input: nothing is written into it
        corpus = load_corpus(corpus_path) if isinstance(corpus_path, str | Path) else corpus_path
        model, tok = _build(cfg, corpus, output)
        max_length = cfg.max_length or tok.model_max_length
        data, lengths, padding = _training_windows(cfg, corpus, tok, max_length)
        heldout = _heldout_windows(corpus, tok, max_length, cfg)
        references = _fit_references(corpus, tok) if heldout else None
    collator = _collator(cfg, tok)
    steps, eval_steps, deadline, budget_note = distributed.broadcast(  # every process follows the main one's plan
        _plan(cfg, model, data, collator, last if resume else None, t0, len(heldout))
    )
    if distributed.is_main():
        # the steps run, and eval_steps as given: a value derived from the steps (or written where the corpus holds
        # no validation) was refused, or kept against a new --max-steps, when the file came back as --config
        (output / "dnalm_pretrain.yaml").write_text(
            yaml.safe_dump({**dataclasses.asdict(cfg), "max_steps": steps}, sort_keys=False)
        )
        write_json(output / _CORPUS_FILE, corpus_digest(corpus_path))
    _say_beyond_the_run(cfg, steps, eval_steps)
    args = _training_args(cfg, checkpoints, steps, eval_steps, has_validation="validation" in data)
    trainer = _trainer(cfg, model, args, data, collator, output, deadline)
    t_train = time.time()
    with frozen_gc():  # full collections would walk every object of torch and transformers, several times a run
        trainer.train(resume_from_checkpoint=str(last) if resume and last is not None else None)
    train_s = time.time() - t_train
    check_finite_weights(
        trainer.model, trainer.state.log_history[-1].get("train_loss") if trainer.state.log_history else None
    )
    final = _final_evaluation(trainer) if "validation" in data else {}
    trainer.save_model(str(output))  # the Trainer writes from the main process only
    history = trainer.state.log_history
    lm = None
    if distributed.is_main():  # files and the per-base scoring once
        tok.save_pretrained(output)
        write_json(output / "history.json", history)
        plot_loss_curve(history, output / "loss_curve.png")
        lm = _score(model, tok, heldout, references, cfg.batch_size, output / "lm_metrics.json") if heldout else None
    summary = _summary(cfg, trainer, corpus, data, resume=resume, last=last, steps=steps, budget_note=budget_note)
    summary.update(
        padding_fraction=round(padding, 4),
        max_length=max_length,
        validation=final,
        lm_metrics=lm,
        parameters=sum(p.numel() for p in model.parameters()),
        train_time_s=round(train_s, 1),
        tokens_per_s=round(_tokens_seen(cfg, trainer, lengths) / max(train_s, 1e-9), 1),
        wall_time_s=round(time.time() - t0, 1),
        processes=processes,
    )
    if distributed.is_main():
        write_json(output / "pretrain_summary.json", summary)
        write_pretrain_card(output, summary, corpus_path)
    distributed.barrier()
    return summary


def check_self_pretrainable(ref: ModelRef) -> None:
    """Self-pretraining needs a model with a masked-LM form; checked by ``finetune`` before any work."""
    if not ref.has_masked_lm_form:
        raise ValueError(
            f"self-pretraining trains a masked language model: {ref.name!r} is a {ref.architecture}; choose a "
            "transformer (the presets mini or tiny, or a checkpoint such as dnalm-mini) or the default recipe "
            "(model auto), whose CNN also pretrains"
        )


def _check_masked_lm(ref: ModelRef, cfg: PretrainConfig) -> None:
    """The model has a masked-LM form (a fine-tuned CNN classifier has none: transformers' refusal listed dozens of
    config classes), and ``bpe_sample`` is refused unless the model's new tokenizer learns a BPE vocabulary."""
    if not ref.has_masked_lm_form:
        raise ValueError(
            f"{cfg.model}: masked-LM pretraining needs a transformer (bert/roberta/modernbert) or the default "
            f"recipe's CNN (pos-cnn), not {ref.architecture}"
        )
    ref.check_architecture_settings(cfg.model_config)  # hidden_dropout_prob: 1.5 failed in torch, after the corpus
    learns = ref.spec is not None and learns_vocabulary(ref.spec.tokenizer)  # recorded as used, and never read
    check_applies(
        cfg, "bpe_sample", learns, f"sets the segments a BPE vocabulary learns from; {cfg.model}'s learns none"
    )


def _check_run(cfg: PretrainConfig, corpus_path) -> int:
    """What can be checked before any work: the model (a mistyped one, untrusted code), the batch against the
    processes, ``eval_steps`` against the corpus's splits; starts the processes' group and returns their number."""
    from dnalm.lm.corpus import corpus_splits

    try:
        ref = ModelRef.resolve(cfg.model, cfg.trust_remote_code)
    except ValueError as err:  # it listed what finetune takes, not pretrain's own recipes
        if not str(err).startswith(f"model {cfg.model!r} is not a preset"):
            raise
        raise ValueError(f"{err} (pretrain also takes its recipes: {', '.join(RECIPES)})") from None
    _check_masked_lm(ref, cfg)
    distributed.start()
    processes = distributed.world_size()
    if cfg.batch_size % processes:
        raise ValueError(
            f"the batch ({cfg.batch_size}) is split over the {processes} processes and must be a multiple of their number"
        )
    splits = corpus_splits(corpus_path)  # [] for what is not a corpus: loading it says why
    if cfg.eval_steps and splits and "validation" not in splits:  # it would be silently ignored
        raise ValueError(
            "eval_steps (--eval-steps) sets how often the validation split is scored; the corpus has none "
            "(built with --val-fraction 0): leave it out"
        )
    for name in ("max_eval_examples", "lm_eval_examples"):  # recorded as used, and nothing scored
        why = "scores the corpus's validation split; it has none (built with --val-fraction 0)"
        check_applies(cfg, name, not splits or "validation" in splits or getattr(cfg, name) == 0, why)  # 0: none
    return processes


def _prepare_output(cfg: PretrainConfig, corpus_path, output: Path, resume: bool, overwrite: bool):
    """The checkpoint a resumed run continues from (None: from step 0), after clearing what must go."""
    from dnalm.runtime.callbacks import last_checkpoint

    if resume and (output / "pretrain_summary.json").is_file():  # it trained one step more at each --resume
        raise ValueError(
            f"{output} holds a finished pretraining: there is nothing to resume ({flag('overwrite')} starts it again; "
            "a longer run needs a new output folder)"
        )
    checkpoints = output / "checkpoints"
    last = last_checkpoint(checkpoints, complete_marker="trainer_state.json")
    _claim_output(output, resume, overwrite, last)
    if resume and last is None:
        log.warning("%s: no checkpoint in %s, starting from step 0", flag("resume"), checkpoints)
    elif resume:
        _check_resume(cfg, corpus_path, output)
        log.info("resuming from %s (step %s)", last, last.name.split("-")[-1])
    output.mkdir(parents=True, exist_ok=True)
    return last if resume else None


def _training_windows(cfg: PretrainConfig, corpus, tok, max_length: int):
    """The tokenized corpus (validation sampled to ``cfg.max_eval_examples``), window lengths, padding fraction."""
    data = _tokenize(corpus, tok, max_length)
    lengths = _window_lengths(data["train"])
    padding = _padding_fraction(lengths, max_length)
    log.info(
        "%d training windows of %d tokens; %.1f%% of the token slots are padding",
        len(data["train"]),
        max_length,
        100 * padding,
    )
    if "validation" in data and cfg.max_eval_examples and len(data["validation"]) > cfg.max_eval_examples:
        log.info(
            "scoring a fixed, seeded sample of %d of %d validation windows at each evaluation",
            cfg.max_eval_examples,
            len(data["validation"]),
        )
        data["validation"] = data["validation"].shuffle(seed=cfg.seed).select(range(cfg.max_eval_examples))
    return data, lengths, padding


def _say_beyond_the_run(cfg: PretrainConfig, steps: int, eval_steps: int) -> None:
    """A validation or checkpoint interval longer than the run (save_steps 7, max_steps 2) is said: the settings file
    records it as given, and none falls inside the run (the last step is still scored, and the model saved)."""
    defaults = {f.name: f.default for f in dataclasses.fields(PretrainConfig)}
    for name, value, what in (("eval_steps", eval_steps, "validation"), ("save_steps", cfg.save_steps, "checkpoint")):
        if value > steps:  # a warning where the user set it: it is recorded, and changed nothing
            level = logging.INFO if getattr(cfg, name) == defaults[name] else logging.WARNING
            log.log(level, "%s %d is more than the run's %d steps: no %s falls inside it", name, value, steps, what)


def _training_args(cfg: PretrainConfig, checkpoints: Path, steps: int, eval_steps: int, *, has_validation: bool):
    """dnalm's ``TrainingArguments`` for pretraining; ``cfg.trainer`` passes through and wins."""
    import torch
    from transformers import TrainingArguments

    from dnalm.runtime.callbacks import progress_bars
    from dnalm.runtime.hardware import precision_flags, resolve_precision

    processes = distributed.world_size()
    ours = dict(
        output_dir=str(checkpoints),
        max_steps=steps,
        per_device_train_batch_size=cfg.batch_size // processes,  # batch_size: all processes' batch
        per_device_eval_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        learning_rate=cfg.learning_rate,
        warmup_steps=cfg.warmup_steps,
        weight_decay=cfg.weight_decay,
        lr_scheduler_type=cfg.lr_scheduler,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        eval_strategy="steps" if has_validation else "no",
        eval_steps=eval_steps,
        logging_steps=min(cfg.logging_steps, eval_steps, max(1, steps // 20)),  # a curve, even for short runs
        save_total_limit=cfg.save_total_limit,
        seed=cfg.seed,
        data_seed=cfg.seed,
        report_to="none",
        dataloader_drop_last=False,
        disable_tqdm=not progress_bars(),
        # mixed precision on a GPU; on a CPU fp32 (bf16 autocast is measured for fine-tuning, not yet here)
        **precision_flags(resolve_precision("auto") if torch.cuda.is_available() else "fp32"),
    )
    return TrainingArguments(**{**ours, **cfg.trainer})


def _trainer(cfg: PretrainConfig, model, args, data, collator, output: Path, deadline):
    from transformers import PrinterCallback, ProgressCallback, Trainer

    from dnalm.runtime.callbacks import QuietProgress, own_rotation

    callbacks = [*_callbacks(cfg, collator, output), *filter(None, [own_rotation(args)])]
    if deadline is not None:
        from dnalm.runtime.callbacks import TimeBudget

        callbacks.append(TimeBudget(deadline))
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=data["train"],
        eval_dataset=data.get("validation"),
        data_collator=collator,
        compute_metrics=_masked_accuracy,
        preprocess_logits_for_metrics=lambda logits, labels: logits.argmax(dim=-1),
        callbacks=callbacks,
    )
    for default in (PrinterCallback, ProgressCallback):  # their raw dicts: the log has the lines (not with --quiet)
        trainer.remove_callback(default)
    if not args.disable_tqdm:
        trainer.add_callback(QuietProgress())
    return trainer


def _tokens_seen(cfg: PretrainConfig, trainer, lengths) -> float:
    return trainer.state.global_step * cfg.batch_size * cfg.gradient_accumulation_steps * lengths.mean()


def _summary(cfg: PretrainConfig, trainer, corpus, data, *, resume: bool, last, steps: int, budget_note) -> dict:
    return {
        "model": cfg.model,
        "steps": trainer.state.global_step,
        "steps_planned": steps,
        "resumed_from": str(last) if resume else None,
        "time_budget_s": cfg.time_budget,
        "time_budget_note": budget_note,
        "train_segments": len(corpus["train"]),
        "train_examples": len(data["train"]),
        "validation_examples": len(data["validation"]) if "validation" in data else 0,
    }


def _final_evaluation(trainer) -> dict:
    """The validation metrics at the last step: the scheduled evaluation when one ran there (not run twice)."""
    last = next((r for r in reversed(trainer.state.log_history) if "eval_loss" in r), None)
    if last is not None and last.get("step") == trainer.state.global_step:
        final = {k: v for k, v in last.items() if k.startswith("eval_")}
        final.setdefault("eval_perplexity", math.exp(min(final["eval_loss"], 50)))
        return final
    return trainer.evaluate()


#: Settings a resumed run may differ in: the plan, which a resumed run takes from its checkpoint.
_PLAN_SETTINGS = ("max_steps", "time_budget", "eval_steps")
_CORPUS_FILE = "dnalm_pretrain_corpus.json"


def corpus_digest(corpus) -> dict:
    """What identifies a corpus: a folder's ``summary.json`` (FASTA files by name) and its data files'
    names and sizes; for an in-memory ``DatasetDict``, each split's rows and fingerprint."""
    if not isinstance(corpus, str | Path):
        return {split: {"rows": len(d), "fingerprint": getattr(d, "_fingerprint", None)} for split, d in corpus.items()}
    path = Path(corpus)
    summary = json.loads((path / "summary.json").read_text()) if (path / "summary.json").is_file() else None
    if summary is not None:
        summary["fastas"] = [Path(f).name for f in summary.get("fastas", [])]
    files = {
        p.relative_to(path).as_posix(): p.stat().st_size
        for p in sorted(path.rglob("*.arrow"))
        if not any(part.startswith(".") for part in p.relative_to(path).parts)
    }
    return json.loads(json.dumps({"summary": summary, "files": _data_files(files)}))


def _data_files(files: dict | None) -> dict | None:
    """The corpus's own data files: not the ``cache-*.arrow`` files that ``datasets`` writes beside them
    when any run tokenizes the corpus (another pretraining on it would otherwise block a resume)."""
    if files is None:
        return None
    return {name: size for name, size in files.items() if not Path(name).name.startswith("cache-")}


def resume_differences(saved: dict, cfg: PretrainConfig, saved_corpus: dict | None, corpus: dict) -> list[str]:
    """What differs between a run's saved settings and corpus and the ones it is resumed with (the plan,
    ``max_steps``/``time_budget``/``eval_steps``, aside: a resumed run keeps its own); empty when it may resume."""
    now = json.loads(json.dumps(dataclasses.asdict(cfg), default=str))
    diffs = [
        f"{k} was {saved.get(k)!r}, now {now.get(k)!r}"
        for k in sorted(set(now) | set(saved))
        if k not in _PLAN_SETTINGS and saved.get(k) != now.get(k)
    ]
    if saved_corpus is not None:  # older digests listed the cache files too
        saved_corpus = {**saved_corpus, "files": _data_files(saved_corpus.get("files"))}
    if saved_corpus is not None and saved_corpus != corpus:
        parts = [
            f"summary.json {k}"
            for k in sorted(set(saved_corpus.get("summary") or {}) | set(corpus.get("summary") or {}))
            if (saved_corpus.get("summary") or {}).get(k) != (corpus.get("summary") or {}).get(k)
        ]
        if saved_corpus.get("files") != corpus.get("files") or not parts:
            parts.append("data files")
        diffs.append("the corpus differs (" + ", ".join(parts) + ")")
    return diffs


def _check_resume(cfg: PretrainConfig, corpus_path, output: Path) -> None:
    """Refuse to resume a run with other settings or another corpus than it started with."""
    import yaml

    saved_path = output / "dnalm_pretrain.yaml"
    if isinstance(corpus_path, str | Path) and not (Path(corpus_path) / "dataset_dict.json").is_file():
        return  # not a corpus folder: load_corpus says so
    if not saved_path.is_file():
        log.warning("--resume: %s has no dnalm_pretrain.yaml; its settings cannot be checked", output)
        return
    saved = yaml.safe_load(saved_path.read_text()) or {}
    corpus_file = output / _CORPUS_FILE
    saved_corpus = json.loads(corpus_file.read_text()) if corpus_file.is_file() else None
    if saved_corpus is None:
        log.warning("--resume: %s records no corpus digest (an older dnalm); the corpus cannot be checked", output)
    diffs = resume_differences(saved, cfg, saved_corpus, corpus_digest(corpus_path))
    now = dataclasses.asdict(cfg)
    for key in ("max_steps", "eval_steps"):  # the plan it made stays (its schedule was planned on it): said
        if now.get(key) is not None and saved.get(key) is not None and now[key] != saved[key]:
            log.warning(
                "--resume: %s %s is not used: a resumed run keeps the plan it made (%s %s); a longer run needs a "
                "new output folder",
                key,
                now[key],
                key,
                saved[key],
            )
    if diffs:
        raise ValueError(
            f"{output}: {flag('resume')} would continue a run with other settings or data than it started "
            f"with: {'; '.join(diffs)}. Resume with the same settings and corpus, or choose another "
            "output folder"
        )


def _score(model, tok, heldout: list[str], references, batch_size: int, output: Path) -> dict:
    from dnalm.lm.evaluate import describe, lm_metrics

    lm = lm_metrics(model, tok, None, heldout, batch_size=batch_size, references=references)
    lm["heldout_windows"] = len(heldout)
    write_json(output, lm)
    log.info(describe(lm))
    return lm


@dataclass
class LmEvalSettings:
    """``dnalm lm-eval``: how many held-out windows, how long, the seed of their draw."""

    examples: int = setting(1000, "Held-out windows scored.", ge=1, le=1_000_000_000)
    max_length: int | None = setting(None, "Tokens per window.", ge=8, le=10_000_000, shown_default="as pretrained")
    seed: int = setting(42, "Seed of the windows' draw.", ge=0, lt=2**32)
    batch_size: int = setting(32, "Windows scored at a time.", ge=1, le=1_000_000)
    trust_remote_code: bool = setting(False, TRUST_HELP)

    def __post_init__(self):
        check_fields(self)


@claims("lm-eval", lambda a: {"inputs": [a["model_dir"], a["corpus_path"]], "outputs": [Output(a["output"])]})
def score_language_model(
    model_dir: str | Path | ModelRef,
    corpus_path: str | Path,
    output: str | Path,
    *,
    overwrite: bool = False,
    **settings,
) -> dict:
    """Per-base held-out metrics of a saved masked LM on a corpus's validation windows, beside the
    references fitted on its training segments: what ``dnalm pretrain`` writes at its end
    (``lm_metrics.json``), for any model folder; written to ``output``. ``settings``: :class:`LmEvalSettings`."""
    s = settings_from(LmEvalSettings, settings, "score_language_model")
    from dnalm.io.files import is_stream
    from dnalm.io.table import check_named_format

    if not is_stream(output):  # lm-eval -o l.csv wrote JSON
        check_named_format(output, "language-model metrics", "JSON (.json)", (".json",))
    max_length, examples, seed, batch_size, trust_remote_code = (
        s.max_length,
        s.examples,
        s.seed,
        s.batch_size,
        s.trust_remote_code,
    )
    from dnalm.lm.corpus import caches_apart, load_corpus
    from dnalm.lm.inference import load_masked_lm

    ref = ModelRef.resolve(model_dir, trust_remote_code)
    path = Path(ref.checkpoint("lm-eval"))
    model, tok = load_masked_lm(ref, what="lm-eval")  # RoBERTa's 514 positions take 512 tokens: index 514 failed
    saved = path / "dnalm_pretrain.yaml"
    if max_length is not None and max_length > tok.model_max_length:
        raise ValueError(
            f"max_length (--max-length) is {max_length} tokens; {model_dir} takes at most {tok.model_max_length}"
        )
    if max_length is None and saved.is_file():  # score windows as long as the ones it was pretrained on
        max_length = load_yaml(saved).get("max_length")
    max_length = min(max_length or tok.model_max_length, tok.model_max_length)
    corpus = load_corpus(corpus_path)
    cfg = PretrainConfig(lm_eval_examples=examples, seed=seed)
    with caches_apart():
        heldout = _heldout_windows(corpus, tok, max_length, cfg)
        references = _fit_references(corpus, tok) if heldout else None
    if not heldout:
        raise ValueError(f"{corpus_path}: no validation split to score (build the corpus with --val-fraction > 0)")
    if len(heldout) < examples:
        log.warning(
            "%s holds %d held-out windows of %d tokens, fewer than the %d asked: all are scored",
            corpus_path,
            len(heldout),
            max_length,
            examples,
        )
    return _score(model, tok, heldout, references, batch_size, Path(output))


def _heldout_windows(corpus, tok, max_length: int, cfg: PretrainConfig) -> list[str]:
    """A seeded sample of ``cfg.lm_eval_examples`` held-out windows for the per-base metrics (none
    without a validation split)."""
    from dnalm.models.windows import window_bases

    if "validation" not in corpus or not cfg.lm_eval_examples:
        return []
    size = window_bases(tok, max_length)
    windows = [s[i : i + size] for s in corpus["validation"]["sequence"] for i in range(0, len(s) - size + 1, size)]
    windows = windows or list(corpus["validation"]["sequence"])
    rng = np.random.default_rng(cfg.seed)
    pick = np.sort(rng.choice(len(windows), min(cfg.lm_eval_examples, len(windows)), replace=False))
    return [windows[i] for i in pick]


def _fit_references(corpus, tok):
    from dnalm.lm.evaluate import fit_references

    t = time.time()
    refs = fit_references(list(corpus["train"]["sequence"]))
    log.info(
        "references fitted on the training segments in %.0f s: Markov chain of order %d, two-sided counts with k=%d",
        time.time() - t,
        refs[0].k,
        refs[1].k,
    )
    return refs


def _plan(cfg: PretrainConfig, model, data, collator, checkpoint: Path | None, t0: float, n_heldout: int):
    """Steps, evaluation interval, deadline and a note: a resumed run keeps its checkpoint's plan; with
    a time budget the steps are what fits after timing this model here; otherwise ``max_steps`` (1000)."""
    if checkpoint is not None:
        state = json.loads((checkpoint / "trainer_state.json").read_text())
        return state["max_steps"], state["eval_steps"], None, "resumed: the checkpoint's plan"
    steps = cfg.max_steps or 1000
    evals = 20
    if not cfg.time_budget:
        return steps, cfg.eval_steps or max(1, steps // evals), None, None
    from dnalm.runtime.hardware import time_steps

    n = min(cfg.batch_size, len(data["train"]))
    batch = collator([data["train"][i] for i in range(n)])
    val = data.get("validation")
    if val is not None and len(val):
        m = min(cfg.batch_size, len(val))
        step_s, eval_s = time_steps(model, batch, collator([val[i] for i in range(m)]), math.ceil(len(val) / m))
        score_s = 2 * eval_s * n_heldout / len(val)  # per-base scoring: one masked pass per window, bookkeeping
    else:
        step_s, eval_s = time_steps(model, batch, batch, 0)
        score_s = 0.0
    spent = time.time() - t0
    finish_s = 2 * eval_s + score_s + 5.0  # final validation, saving, plots, per-base scoring
    available = 0.9 * (cfg.time_budget - spent - finish_s)  # real steps (data, masking, logging) may run slower
    if cfg.eval_steps:  # an evaluation every eval_steps steps
        fit = int(available / (step_s + eval_s / cfg.eval_steps))
    else:  # a fixed number of evaluations, fewer where they would take more than half the time left
        evals = max(1, min(evals, int(available / 2 / eval_s))) if eval_s > 0 else evals
        fit = int((available - evals * eval_s) / step_s)
    fit = max(1, fit)
    eval_steps = cfg.eval_steps or max(1, min(fit, cfg.max_steps or fit) // evals)
    note = (
        f"{step_s * 1000:.0f} ms per step, {eval_s:.1f} s per validation (one every {eval_steps} steps), "
        f"{spent:.0f} s spent before training and {finish_s:.0f} s kept for the end: {fit} steps fit in the "
        f"{cfg.time_budget:.0f} s budget"
    )
    if cfg.max_steps and fit < cfg.max_steps:  # it was replaced without a word
        note += f"; capped to {fit} steps: the time budget bound this run (without one it trains all {cfg.max_steps})"
        log.warning("time budget: %s", note)
    else:
        log.info("time budget: %s", note)
    return min(fit, cfg.max_steps or fit), eval_steps, t0 + cfg.time_budget - finish_s, note


@claims(
    "pretrain",
    lambda a: {
        "inputs": [a["sequences"]] if isinstance(a["sequences"], str | Path) else [],
        "outputs": [Output(a["output"], "pretrain", rerun="continue")],
        "overwrite": a["overwrite"],
    },
)
@keeps_random_state
@needs_gradients
def self_pretrain(
    sequences,
    model: str,
    output: str | Path,
    *,
    time_budget: float | None = 300.0,
    seed: int = 42,
    max_length: int | None = None,
    overwrite: bool = False,
    **settings,
) -> Path:
    """Masked-language-model training of ``model`` (a transformer preset or a checkpoint to continue)
    on the given training sequences only, then fine-tune from the returned folder.

    ``sequences`` are strings, records, or a data path: a split folder's ``train`` split alone is read
    (dev and test files are never opened); a single file is read whole, so pass the training records
    instead when validation will be carved out of it (``finetune --self-pretrain`` does). The folder
    records the model's fine-tuning defaults (``dnalm_finetune_defaults.json``, listed as dnalm's, so a second
    run into the same folder is not refused for it).
    """
    from datasets import Dataset, DatasetDict

    from dnalm.io import read_sequences

    if isinstance(sequences, str | Path):
        path = Path(sequences)
        sequences = read_sequences(path, split="train") if path.is_dir() else read_sequences(path)
    check_sequence_list(sequences)
    seqs = [_self_pretrain_text(s, i) for i, s in enumerate(sequences)]
    if not any(seqs):
        raise ValueError(
            "self-pretraining needs training sequences with bases in them; got "
            + (f"{len(seqs)} empty one(s)" if seqs else "none")
        )
    ref = ModelRef.resolve(model, settings.get("trust_remote_code", False))
    check_self_pretrainable(ref)
    base = {
        "model": model,
        "time_budget": time_budget,
        "seed": seed,
        "learning_rate": 1e-3,
        "warmup_steps": 0.05,
        "lr_scheduler": "cosine",
        "max_length": max_length,
        "lm_eval_examples": 0,
        "trainer": {"save_strategy": "no"},
    }
    cfg = PretrainConfig.from_dict({**base, **settings})
    output = Path(output)
    corpus = DatasetDict({"train": Dataset.from_dict({"sequence": seqs})})
    summary = pretrain(cfg, corpus, output, overwrite=overwrite)
    log.info(
        "self-pretraining: %d steps on %d training sequences in %.0f s",
        summary["steps"],
        len(seqs),
        summary["wall_time_s"],
    )
    write_json(output / "dnalm_finetune_defaults.json", ref.finetune_defaults)
    return output


def _self_pretrain_text(item, i: int) -> str:
    """Sequence ``i`` of self-pretraining's input: text, or a record's sequence (None and bytes failed on their
    missing ``.sequence``)."""
    text = item if isinstance(item, str) else getattr(item, "sequence", None)
    if not isinstance(text, str):
        raise TypeError(f"sequence {i} is {type(item).__name__}, not text (a string of bases) or a record")
    return normalize(text, record=getattr(item, "id", i))


def describe(summary: dict, output: str | Path) -> str:
    """What ``dnalm pretrain`` prints: steps, the final validation figures and, if scored, the per-base verdict."""
    val = summary["validation"]
    scored = (
        f"validation loss {val.get('eval_loss', float('nan')):.4f}, perplexity "
        f"{val.get('eval_perplexity', float('nan')):.2f}, masked accuracy {val.get('eval_masked_accuracy', float('nan')):.4f}"
        if val
        else "no validation (the corpus holds none out)"
    )
    text = f"{summary['steps']} steps; {scored}; saved to {output} (loss_curve.png)"
    if summary["lm_metrics"]:
        from dnalm.lm.evaluate import describe as verdict

        text += f"\n{verdict(summary['lm_metrics'])}; wrote {output}/lm_metrics.json"
    return text
