"""Models: presets, pretrained checkpoints and baselines behind one transformers contract.

``build_model`` returns a ``PreTrainedModel`` for sequence classification and the tokenizer
that feeds it, whatever the spec names: a preset (``tiny``, ``dnabert-6``, ``tinydnabert``,
``cnn``, ``cnn-gb``, ``lstm``), a YAML model file, a local checkpoint folder or a hub id.
``from_scratch=True`` keeps a checkpoint's architecture and tokenizer but initialises the
weights at random, so "pretrained vs scratch" compares exactly one thing.
"""

from __future__ import annotations

import contextlib
import logging
import math
from pathlib import Path

from dnalm.models import baselines
from dnalm.models.loading import (
    check_config_fits_weights,
    check_finite_weights,
    config_max_tokens,
    extended_config,
    readable_weights,
)
from dnalm.models.presets import PRESETS, TRANSFORMER_ARCHITECTURES, ModelSpec, check_known_settings
from dnalm.models.ref import ModelRef, check_model_config
from dnalm.models.shipped import shipped_models
from dnalm.settings import check_count, plain_number
from dnalm.tasks import get_task
from dnalm.tokenizers.capabilities import capabilities

__all__ = [
    "PRESETS",
    "ModelSpec",
    "build_model",
    "format_catalogue",
    "load_model",
    "make_tokenizer",
    "model_max_tokens",
    "register_baselines",
    "resolve_spec",
    "scratch_config",
]

log = logging.getLogger(__name__)

_BASELINE_CONFIGS = {
    "dilated-cnn": baselines.DilatedCnnConfig,
    "gb-cnn": baselines.GbCnnConfig,
    "lstm": baselines.LstmConfig,
    "pos-cnn": baselines.PosCnnConfig,
}
_BASELINE_MODELS = {
    baselines.DilatedCnnConfig: baselines.DilatedCnnForSequenceClassification,
    baselines.GbCnnConfig: baselines.GbCnnForSequenceClassification,
    baselines.LstmConfig: baselines.LstmForSequenceClassification,
    baselines.PosCnnConfig: baselines.PosCnnForSequenceClassification,
}


def register_baselines() -> None:
    """Make the baselines (and an ensemble of models) loadable through ``AutoConfig``/
    ``AutoModelForSequenceClassification``."""
    from transformers import AutoConfig, AutoModelForMaskedLM, AutoModelForSequenceClassification

    for config_cls, model_cls in _BASELINE_MODELS.items():
        try:
            AutoConfig.register(config_cls.model_type, config_cls)
            AutoModelForSequenceClassification.register(config_cls, model_cls)
        except ValueError:  # already registered
            pass
    with contextlib.suppress(ValueError):  # the default CNN also pretrains (masked bases) and fine-tunes from there
        AutoModelForMaskedLM.register(baselines.PosCnnConfig, baselines.PosCnnForMaskedLM)
    from dnalm.models.ensemble import EnsembleConfig, EnsembleForSequenceClassification

    with contextlib.suppress(ValueError):  # candidates averaged, as the recipe may save them
        AutoConfig.register(EnsembleConfig.model_type, EnsembleConfig)
        AutoModelForSequenceClassification.register(EnsembleConfig, EnsembleForSequenceClassification)


def resolve_spec(spec: str | ModelRef) -> ModelSpec | None:
    """A preset name or YAML file -> ModelSpec; a checkpoint folder or hub id -> None
    (``ModelRef.resolve(spec).spec``)."""
    return ModelRef.resolve(spec).spec


def model_catalogue() -> list[dict]:
    """Every name ``--model`` takes without a path: ``auto``, the presets and the shipped checkpoints,
    one dict each (``name``, ``kind``, ``architecture``, ``tokenizer``, ``size``, ``learning_rate``,
    ``batch_size``, ``note``)."""
    import json

    rows = [
        {
            "name": "auto",
            "kind": "recipe",
            "architecture": "pos-cnn",
            "tokenizer": "single base",
            "size": "chosen",
            "learning_rate": "chosen",
            "batch_size": "chosen",
            "note": "the default: model, size and schedule chosen from the data and --time-budget",
        }
    ]
    for name, spec in PRESETS.items():
        c = spec.config
        size = f"{c['num_hidden_layers']} layers x {c['hidden_size']}" if "num_hidden_layers" in c else "default"
        tok = {
            "kmer": f"{spec.k}-mer",
            "nonoverlap": f"{spec.k}-mer non-overlapping",
            "bpe": f"BPE {spec.bpe_vocab_size}",
        }.get(spec.tokenizer, "single base")
        rows.append(
            {
                "name": name,
                "kind": "preset (random weights)",
                "architecture": spec.architecture,
                "tokenizer": tok,
                "size": size,
                "learning_rate": spec.learning_rate,
                "batch_size": spec.batch_size,
                "note": "",
            }
        )
    for name in shipped_models():
        ref = ModelRef.resolve(name)
        config = ref.config
        lm = Path(ref.path) / "lm_metrics.json"
        note = ""
        if lm.is_file():
            m = json.loads(lm.read_text(encoding="utf-8"))
            if isinstance(m.get("bits_per_base"), float):
                note = (
                    f"held-out {m['bits_per_base']:.3f} bits/base (Markov({m.get('markov_order')}) "
                    f"{m.get('markov_bits_per_base', float('nan')):.3f})"
                )
        # the recipe's own architecture fine-tunes with the recipe's settings, chosen from the data
        defaults = ref.finetune_defaults or dict.fromkeys(("learning_rate", "batch_size"), "chosen")
        layers = "num_hidden_layers" in config and "hidden_size" in config
        rows.append(
            {
                "name": name,
                "kind": "shipped pretrained",
                "architecture": config.get("model_type", "?"),
                "tokenizer": "single base" if config.get("vocab_size", 0) < 20 else "see folder",
                "size": f"{config['num_hidden_layers']} layers x {config['hidden_size']}"
                if layers
                else _parameter_count(Path(ref.path)),
                "learning_rate": defaults.get("learning_rate", "?"),
                "batch_size": defaults.get("batch_size", "?"),
                "note": note,
            }
        )
    return rows


def _parameter_count(folder: Path) -> str:
    """``"1.23 M parameters"`` from the headers of a checkpoint's safetensors files (no weights are read)."""
    from safetensors import safe_open

    total = 0
    for path in sorted(folder.glob("*.safetensors")):
        with safe_open(str(path), "np") as weights:
            total += sum(math.prod(weights.get_slice(name).get_shape()) for name in weights.keys())  # noqa: SIM118
    return f"{total / 1e6:.2f} M parameters" if total else "?"


def make_tokenizer(spec: ModelSpec, train_sequences):
    """A new tokenizer for a preset: k-mer, non-overlapping k-mer, single-base, or BPE trained on
    ``train_sequences`` (:func:`dnalm.tokenizers.build.new_tokenizer`)."""
    from dnalm.tokenizers.build import new_tokenizer

    return new_tokenizer(
        spec.tokenizer, k=spec.k, max_length=spec.max_length, vocab_size=spec.bpe_vocab_size, sequences=train_sequences
    )


def _checked_sizes(config):
    """A transformer's layer, head and width settings as whole numbers of at least 1, the width a multiple of the
    heads: transformers builds a model with -1 layers (and trains it) without a word."""
    values = config if isinstance(config, dict) else vars(config)
    for name in ("num_hidden_layers", "num_attention_heads", "hidden_size", "intermediate_size"):
        value = values.get(name, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"architecture setting {name} must be a whole number >= 1; got {value!r}")
    if values.get("hidden_size", 1) % values.get("num_attention_heads", 1):
        raise ValueError(
            f"architecture setting num_attention_heads ({values['num_attention_heads']}) must divide hidden_size "
            f"({values['hidden_size']})"
        )
    return config


def scratch_config(spec: ModelSpec, tokenizer, input_length: int | None, label_kwargs: dict):
    """The transformers config of a preset built from scratch for ``tokenizer`` (vocabulary, positions)."""
    from transformers import AutoConfig

    if spec.architecture in (*TRANSFORMER_ARCHITECTURES, "modernbert"):
        _checked_sizes(spec.config)  # before transformers' own strict checks, whose messages are its own
    if spec.architecture == "modernbert":  # rotary positions, pre-norm, local attention: learns fast on a CPU
        return _checked_sizes(
            AutoConfig.for_model(
                "modernbert",
                vocab_size=len(tokenizer),
                pad_token_id=tokenizer.pad_token_id,
                cls_token_id=tokenizer.cls_token_id,
                sep_token_id=tokenizer.sep_token_id,
                bos_token_id=tokenizer.cls_token_id,
                eos_token_id=tokenizer.sep_token_id,
                max_position_embeddings=spec.max_length,
                **{"classifier_pooling": "mean", **spec.config},
                **label_kwargs,
            )
        )
    if spec.architecture in TRANSFORMER_ARCHITECTURES:
        extra = 2 if spec.architecture == "roberta" else 0  # RoBERTa's position ids start after padding_idx
        return _checked_sizes(
            AutoConfig.for_model(
                spec.architecture,
                vocab_size=len(tokenizer),
                pad_token_id=tokenizer.pad_token_id,
                max_position_embeddings=spec.max_length + extra,
                type_vocab_size=2 if extra == 0 else 1,
                bos_token_id=tokenizer.cls_token_id,
                eos_token_id=tokenizer.sep_token_id,
                **spec.config,
                **label_kwargs,
            )
        )
    vocab = tokenizer.get_vocab()
    kwargs = dict(spec.config)
    if spec.architecture == "gb-cnn":
        kwargs.setdefault("input_length", input_length or 256)
    return _BASELINE_CONFIGS[spec.architecture](
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        base_token_ids=[vocab[b] for b in "ACGT"],
        ambiguous_token_ids=[i for t, i in vocab.items() if t in ("N", tokenizer.unk_token, tokenizer.mask_token)],
        **kwargs,
        **label_kwargs,
    )


def build_model(
    spec: str | ModelRef,
    *,
    num_labels: int = 2,
    id2label: dict | None = None,
    problem_type: str | None = None,
    train_sequences=None,
    input_length: int | None = None,
    from_scratch: bool = False,
    trust_remote_code: bool = False,
    seed: int | None = None,
    config_overrides: dict | None = None,
):
    """Build ``(model, tokenizer, spec_or_None)`` for sequence classification.

    Args:
        spec: preset name, YAML model file, checkpoint folder or hub id (or a :class:`ModelRef`).
        num_labels, id2label, problem_type: the head: a name of ``dnalm.tasks.TASKS`` (a per-base task
            builds a per-nucleotide BERT); None lets transformers infer it from the labels.
        train_sequences: training sequences (a BPE tokenizer from scratch learns on them).
        input_length: tokens the GB CNN's fixed input must hold.
        from_scratch: for a checkpoint, keep its architecture and tokenizer, re-initialise weights.
        trust_remote_code: allow checkpoints with their own code (DNABERT-2); off by default.
        config_overrides: architecture settings merged over a preset's (``position_bins``, ...).
    """
    import torch

    num_labels = plain_number(num_labels)  # np.int64(2) is a whole number
    if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:  # 0 built an empty head
        raise ValueError(f"num_labels must be a whole number >= 1; got {num_labels!r}")
    if id2label is not None and sorted(id2label) != list(range(num_labels)):  # transformers replaced it by LABEL_i
        raise ValueError(f"id2label must name labels 0..{num_labels - 1} (num_labels={num_labels}); got {id2label!r}")
    if id2label is not None and len({str(v) for v in id2label.values()}) < len(id2label):  # label2id lost a class
        raise ValueError(f"id2label gives two classes one name; got {id2label!r}")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(plain_number(seed), int) or not 0 <= seed < 2**32
    ):
        raise ValueError(f"seed must be a whole number in [0, 4294967296); got {seed!r}")  # FinetuneConfig's range
    if input_length is not None:  # 0 built a CNN with an empty input
        check_count(input_length, "input_length")
    register_baselines()
    ref = ModelRef.resolve(spec, trust_remote_code)
    if seed is not None:
        torch.manual_seed(seed)
    id2label = id2label or {i: str(i) for i in range(num_labels)}
    task = get_task(problem_type) if problem_type else None
    label_kwargs = {
        "num_labels": num_labels,
        "id2label": id2label,
        "label2id": {v: k for k, v in id2label.items()},
        **(task.config_kwargs() if task else {"problem_type": None}),
    }
    per_base = task is not None and task.per_base
    if not ref.is_checkpoint:
        return _build_new(ref, label_kwargs, per_base, train_sequences, input_length, config_overrides)
    ref.check_trust()  # a hub id's config.json is read here
    # a checkpoint's config with modules added (attention layers): its weights start the rest
    extended = (
        extended_config(ref.path, config_overrides, label_kwargs, trust_remote_code=ref.trust_remote_code)
        if config_overrides
        else None
    )
    model, tokenizer = _load_checkpoint(ref, label_kwargs, per_base, from_scratch, extended)
    _check_vocab(model, tokenizer, ref)
    return model, tokenizer, None


def check_architecture_settings(name, config, settings: dict | None) -> None:
    """Refuse architecture settings (``model_config``) that ``config``'s class does not have: a mistyped one would
    ride along in config.json unused."""
    check_known_settings(str(name), settings or {}, type(config)().to_dict(), type(config).__name__)


def _build_new(ref: ModelRef, label_kwargs: dict, per_base: bool, train_sequences, input_length, overrides):
    """A preset or model YAML file with random weights: its tokenizer, config and model."""
    from transformers import AutoModelForSequenceClassification

    model_spec = ref.spec
    check_model_config(overrides or {}, "model_config")
    model_spec.config.update(overrides or {})
    tokenizer = make_tokenizer(model_spec, train_sequences)
    config = scratch_config(model_spec, tokenizer, input_length, label_kwargs)
    check_architecture_settings(ref, config, model_spec.config)  # a model YAML's config: too (it was ignored)
    if per_base:
        return _nucleotide_model(config, tokenizer, ref), tokenizer, model_spec
    return AutoModelForSequenceClassification.from_config(config), tokenizer, model_spec


def _load_checkpoint(ref: ModelRef, label_kwargs: dict, per_base: bool, from_scratch: bool, extended=None):
    """A checkpoint's encoder (and tokenizer) under a new classification head (random weights if ``from_scratch``)."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from dnalm.tokenizers.dna import load_tokenizer

    path, trust = ref.path, ref.trust_remote_code
    tokenizer = load_tokenizer(path, trust_remote_code=trust)
    if not from_scratch:
        check_config_fits_weights(path)
    try:
        if per_base:
            config = AutoConfig.from_pretrained(path, trust_remote_code=trust, **label_kwargs)
            model = _nucleotide_model(config, tokenizer, ref, None if from_scratch else path)
        elif from_scratch:
            config = extended or AutoConfig.from_pretrained(path, trust_remote_code=trust, **label_kwargs)
            model = AutoModelForSequenceClassification.from_config(config, trust_remote_code=trust)
        else:
            with _quiet_load_report(), readable_weights(path):  # one line of ours, not transformers' table
                model, info = AutoModelForSequenceClassification.from_pretrained(
                    path,
                    trust_remote_code=trust,
                    ignore_mismatched_sizes=True,
                    output_loading_info=True,
                    **({"config": extended} if extended else label_kwargs),
                )
            log.info(_describe_load(path, model, info))
            check_finite_weights(path, model)  # NaN in the file: training "diverged" at its first evaluation
    except ValueError as err:
        if "trust_remote_code" in str(err) and not trust:
            raise ValueError(
                f"{ref}: this checkpoint ships its own model code (e.g. DNABERT-2); pass "
                "--trust-remote-code if you trust it"
            ) from err
        raise
    if not from_scratch:
        _new_head_for_other_labels(ref, model, label_kwargs["id2label"])
    return model, tokenizer


def _new_head_for_other_labels(ref: ModelRef, model, id2label: dict) -> None:
    """A classifier fine-tuned for other labels, as many as the data's, starts its output layer afresh: its head
    was kept, matching classes by position (from a promoter/random model on 0/1 data it began inverted, MCC -0.47
    after an epoch; a head of another size was already new). Labels that are not named (transformers'
    ``LABEL_0`` ...) are matched by position, and that is said."""
    import torch

    saved = (ref.config or {}).get("id2label") or {}
    if not ref.has_trained_classifier or len(saved) != len(id2label):
        return
    theirs = [str(saved.get(str(i), saved.get(i))) for i in range(len(id2label))]
    ours = [str(id2label[i]) for i in range(len(id2label))]
    if theirs == ours:
        return
    if all(name == f"LABEL_{i}" for i, name in enumerate(theirs)):
        log.info("%s: its classifier's labels are not named (%s): they are taken as %s, in order", ref, theirs, ours)
        return
    layers = [
        m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.out_features == len(id2label)
    ]  # the output layer (and any other of that width; none in dnalm's architectures)
    for layer in layers:
        layer.reset_parameters()
    log.warning(
        "%s: its classifier was trained for the labels %s, this data's are %s: its output layer starts afresh "
        "(random, trained on this task)",
        ref,
        ", ".join(theirs),
        ", ".join(ours),
    )


@contextlib.contextmanager
def _quiet_load_report():
    """transformers prints a table of every tensor a checkpoint lacks or has in excess as a warning, which
    for a classifier built on a pretrained encoder is the expected case (a new head, an unused LM head). With that
    logger at ERROR, transformers also checks the model's (empty) tensor-parallel plan and warns of every layer "not
    sharded" (a raw line in the Python API, about a plan no dnalm model has): that logger is quiet too."""
    loggers = [logging.getLogger(f"transformers.{name}") for name in ("modeling_utils", "distributed.tensor_parallel")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _describe_load(spec: str, model, info: dict) -> str:
    """One line: how many tensors came from the checkpoint, which are new (by module), which went unused.

    >>> _describe_load("m", None, {"missing_keys": ["head.w", "head.b"], "unexpected_keys": ["lm.w"],
    ...                            "mismatched_keys": []}).split(": ", 1)[1]
    'new (random, trained on this task): head (2 tensors); unused: lm (1 tensor)'
    """

    def modules(keys) -> str:
        groups: dict[str, int] = {}
        for key in keys:
            name = key if isinstance(key, str) else key[0]  # mismatched keys come with their shapes
            prefix = name.rsplit(".", 1)[0]
            groups[prefix] = groups.get(prefix, 0) + 1
        return ", ".join(f"{k} ({n} tensor{'s' * (n != 1)})" for k, n in sorted(groups.items()))

    loaded = "" if model is None else f"{len(model.state_dict()) - len(info['missing_keys'])} tensors loaded; "
    parts = [f"{spec}: {loaded}new (random, trained on this task): {modules(info['missing_keys']) or 'none'}"]
    if info.get("mismatched_keys"):
        parts.append(f"re-initialised for a different shape: {modules(info['mismatched_keys'])}")
    if info.get("unexpected_keys"):
        parts.append(f"unused: {modules(info['unexpected_keys'])}")
    return "; ".join(parts)


def _nucleotide_model(config, tokenizer, spec: str, weights: str | None = None):
    """A per-nucleotide model (BERT over overlapping k-mers or single bases; the task is in its config)."""
    from dnalm.models.token import BertForNucleotideClassification

    caps = capabilities(tokenizer)
    if getattr(config, "model_type", None) != "bert" or not caps.per_base:
        raise ValueError(
            f"{spec}: per-nucleotide (token) prediction needs a BERT model on overlapping k-mer "
            "or single-base tokens (the presets tiny and dnabert-6, or a DNABERT checkpoint); got a "
            f"{getattr(config, 'model_type', '?')} model with {type(tokenizer).__name__} tokens"
        )
    config.kmer_k = caps.bases_per_token
    config.problem_type = None
    if weights is None:
        return BertForNucleotideClassification(config)
    return BertForNucleotideClassification.from_pretrained(
        weights, config=config, ignore_mismatched_sizes=True, trust_remote_code=False
    )


def model_max_tokens(model, tokenizer) -> int:
    """Most tokens one forward pass takes: the tokenizer's limit, capped by the position
    embeddings (RoBERTa-style models spend ``pad_token_id + 1`` of them on an offset) or by a
    fixed input length."""
    if getattr(model.config, "input_length", None):
        return model.config.input_length  # the GB CNN pads every input to exactly this length
    most = config_max_tokens(model.config)
    return tokenizer.model_max_length if most is None else min(tokenizer.model_max_length, most)


def _check_vocab(model, tokenizer, spec: str) -> None:
    emb = model.get_input_embeddings()
    if emb is not None and emb.num_embeddings < len(tokenizer):
        raise ValueError(
            f"{spec}: tokenizer has {len(tokenizer)} tokens but the model embeds only "
            f"{emb.num_embeddings}; wrong tokenizer for this checkpoint?"
        )


def load_model(path: str | Path | ModelRef, *, trust_remote_code: bool = False):
    """Load a fine-tuned classifier and its tokenizer from a folder that ``finetune`` wrote (or a hub id).

    A path that is neither a folder nor a hub id (``owner/name``) fails at once, naming what is there,
    instead of after the hub's retries; a checkpoint without trained classifier weights (a pretrained
    masked LM such as the shipped ``dnalm-cnn``) is refused, not given a random head."""
    from transformers import AutoModelForSequenceClassification

    from dnalm.models.loading import load_complete
    from dnalm.models.token import BertForNucleotideClassification
    from dnalm.tokenizers.dna import load_tokenizer

    register_baselines()
    ref = ModelRef.resolve(path, trust_remote_code)
    path, trust = ref.checkpoint("a fine-tuned model"), ref.trust_remote_code
    ref.check_trust()
    if "BertForNucleotideClassification" in ref.architectures:
        with readable_weights(path):
            model = BertForNucleotideClassification.from_pretrained(path, trust_remote_code=trust)
        return model, load_tokenizer(path, trust_remote_code=trust)
    model = load_complete(
        AutoModelForSequenceClassification,
        path,
        "a classifier",
        hint="it holds no trained classifier (a pretrained model?): fine-tune it first, "
        f"dnalm finetune DATA --model {ref.name}",
        trust_remote_code=trust,
    )
    return model, load_tokenizer(path, trust_remote_code=trust)


register_baselines()  # a saved baseline (and the CNN's masked-base model) loads through the Auto classes from here on


def format_catalogue(rows: list[dict]) -> str:
    """The table ``dnalm models`` prints from :func:`model_catalogue`."""
    head = f"{'name':<13}{'kind':<24}{'architecture':<14}{'tokenizer':<14}{'size':<17}{'lr':>8}{'batch':>7}  note"
    return "\n".join(
        [head]
        + [
            f"{r['name']:<13}{r['kind']:<24}{r['architecture']:<14}{r['tokenizer']:<14}{r['size']:<17}"
            f"{r['learning_rate']!s:>8}{r['batch_size']!s:>7}  {r['note']}"
            for r in rows
        ]
    )
