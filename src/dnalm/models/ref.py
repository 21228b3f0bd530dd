"""The model a user names, resolved once at the edge: :class:`ModelRef`.

Every command and public function that takes a model turns the string into a ``ModelRef`` at its
entry (``ModelRef.resolve``) and passes the object down; nothing below it looks at the string
again. A reference is one of five kinds: a ``preset`` (random weights, ``dnalm.models.presets``),
a ``shipped`` checkpoint (inside the package), a local checkpoint ``folder``, a model ``yaml`` file,
or a ``hub`` id (``owner/name``). A bare preset or shipped name means dnalm's own whatever the working folder
holds (a folder of that name is ``./NAME``). A checkpoint's ``config.json`` is read once, here.

A checkpoint that ships its own Python code (``auto_map`` in its config.json, e.g. DNABERT-2) is
refused unless ``trust_remote_code=True``; every loader passes ``trust_remote_code`` on to
transformers explicitly, so transformers never asks on the terminal.

>>> ref = ModelRef.resolve("tiny")
>>> ref.kind, ref.architecture, ref.spec.tokenizer, ref.has_mlm_head
('preset', 'bert', 'kmer', False)
>>> ModelRef.resolve("dnalm-mini").kind
'shipped'
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import logging
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from dnalm.models.presets import (
    MASKED_LM_ARCHITECTURES,
    PRESETS,
    TRANSFORMER_ARCHITECTURES,
    ModelSpec,
    check_architecture_config,
)
from dnalm.models.shipped import pretrained_path, shipped_models
from dnalm.settings import check_flag, check_keys, home_expanded, load_yaml, say_local_twin

log = logging.getLogger(__name__)

__all__ = [
    "AUTO",
    "KINDS",
    "TOKENIZER_FILES",
    "ModelRef",
    "check_hub_reachable",
    "is_auto",
    "recipe_named",
    "tokenizer_source",
]

KINDS = ("preset", "shipped", "folder", "yaml", "hub")

#: the model name that means finetune's default recipe (:mod:`dnalm.finetune.recipe`), which chooses the model from
#: the data: a bare ``auto`` is the recipe whatever the working folder holds (``./auto`` names a folder there)
AUTO = "auto"


def recipe_named(model, recipes, what: str) -> bool:
    """Whether ``model`` is the bare name of one of a command's recipes (``auto`` for finetune, pretrain's recipes):
    such a name is the recipe whatever the working folder holds, and a file or folder of that name here is said
    (once a process), as for a preset."""
    if not isinstance(model, str) or model not in recipes:
        return False
    say_local_twin(model, what)
    return True


def is_auto(model) -> bool:
    """Whether ``model`` asks for finetune's default recipe (:data:`AUTO`)."""
    return recipe_named(model, (AUTO,), "default fine-tuning recipe")


@dataclass(frozen=True)
class ModelRef:
    """A resolved model reference.

    Args:
        name: what the user wrote.
        kind: ``preset``, ``shipped``, ``folder``, ``yaml`` or ``hub``.
        path: the checkpoint folder, YAML file or hub id; None for a preset.
        trust_remote_code: the user allowed code shipped with the checkpoint to run.
    """

    name: str
    kind: str
    path: str | None = None
    trust_remote_code: bool = False
    preset: ModelSpec | None = field(default=None, repr=False, compare=False)

    @classmethod
    def resolve(cls, model: str | Path | ModelRef, trust_remote_code: bool = False) -> ModelRef:
        """``model`` (a preset, shipped checkpoint, folder, YAML file or hub id) -> ModelRef; a ModelRef
        passes through (``trust_remote_code=True`` is added to it). A checkpoint with its own code is
        refused here unless ``trust_remote_code``; a name that is none of the five kinds is an error
        listing what is there."""
        trust_remote_code = check_flag(trust_remote_code, "trust_remote_code")  # "no" must not open the gate
        if isinstance(model, ModelRef):
            if trust_remote_code and not model.trust_remote_code:
                return cls.resolve(model.name, trust_remote_code=True)
            return model
        if not isinstance(model, str | os.PathLike):  # a loaded model read as a 2,000-character folder name
            raise TypeError(
                f"model must be a name or a path (a preset, a shipped checkpoint, a folder, a YAML file or a hub id); "
                f"got {type(model).__name__}"
                + (": pass model.name_or_path, or save_pretrained it" if hasattr(model, "config") else "")
            )
        name = str(home_expanded(model))
        if not name.strip():  # Path("") is the current folder
            raise ValueError("model is empty; give a preset, a shipped checkpoint, a model folder or a hub id")
        path = Path(name)
        if name == AUTO:  # finetune reads it before resolving: any other use wants a model
            say_local_twin(name, "default fine-tuning recipe")
            raise ValueError(
                "model 'auto' is dnalm's default recipe, which only finetune takes (it chooses a model from the data); "
                "give a preset, a shipped checkpoint, a model folder or a hub id"
                + (" (./auto for the folder here)" if path.exists() else "")
            )
        if name in PRESETS:
            _no_remote_code(name, "a preset", trust_remote_code)
            say_local_twin(name, "preset")
            return cls(name, "preset", None, trust_remote_code, PRESETS[name])
        if name in shipped_models():  # whatever the working folder holds: the recipe starts from it by name
            _no_remote_code(name, "shipped with dnalm", trust_remote_code)
            say_local_twin(name, "shipped checkpoint")
            ref = cls(name, "shipped", str(pretrained_path(name)), trust_remote_code)
        elif path.suffix in (".yaml", ".yml") and not path.is_dir():  # a folder m.yaml/ is a checkpoint folder
            _no_remote_code(name, "a model YAML dnalm builds", trust_remote_code)
            return cls(name, "yaml", name, trust_remote_code, _read_yaml(path))
        elif path.is_dir() or "/" in name:  # a checkpoint folder, a hub id, or a path with a typo in it
            _check_checkpoint(name)
            if path.is_dir():
                ref = cls(name, "folder", name, trust_remote_code)
                _say_if_still_written(path)
            elif (cached := _cached_snapshot(name)) is not None:  # the hub cannot be reached: its copy here
                ref = cls(name, "folder", str(cached), trust_remote_code)
            else:
                ref = cls(name, "hub", name, trust_remote_code)
        else:
            close = difflib.get_close_matches(name.lower(), [*PRESETS, *shipped_models()], n=1)
            raise ValueError(
                f"model {name!r} is not a preset ({', '.join(PRESETS)}), a shipped checkpoint "
                f"({', '.join(shipped_models()) or 'none'}), a .yaml file, a checkpoint folder or a hub id "
                f"(owner/name){_unfinished_run(path)}" + (f"; did you mean {close[0]!r}?" if close else "")
            )
        if ref.kind != "hub":  # a hub id's config is fetched when it is loaded (check_trust)
            ref.check_trust()
        return ref

    def __str__(self) -> str:
        return self.path or self.name

    @property
    def is_checkpoint(self) -> bool:
        """Weights to load (shipped, folder, hub) rather than a model to build (preset, YAML)."""
        return self.preset is None

    @property
    def spec(self) -> ModelSpec | None:
        """A fresh copy of the preset/YAML spec (callers may change its ``config``); None for a checkpoint."""
        if self.preset is None:
            return None
        return dataclasses.replace(self.preset, config=dict(self.preset.config))

    @cached_property
    def config(self) -> dict | None:
        """A checkpoint's ``config.json`` (read once; a hub id's is downloaded); None for a preset/YAML."""
        if self.preset is not None:
            return None
        path = Path(self.path) / "config.json"
        if self.kind == "hub":
            path = hub_file(self.path, "config.json")
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
        if not isinstance(config, dict):
            raise ValueError(f"{path}: not a model configuration (a JSON object); got {type(config).__name__}")
        for key in _WHOLE_NUMBERS:  # transformers would fail deep inside with a bare TypeError
            value = config.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{path}: {key} must be a whole number; got {value!r}")
        _check_model_type(config, path)
        _check_labels(config, path)
        if str(config.get("model_type", "")).startswith("dnalm-"):
            from dnalm.models.baselines import check_saved_settings

            check_saved_settings(config, path)
        return config

    @property
    def architecture(self) -> str:
        """The preset's architecture, or the checkpoint's ``model_type``."""
        return self.preset.architecture if self.preset is not None else str(self.config.get("model_type", "?"))

    @property
    def is_transformer(self) -> bool:
        """A transformer (BERT, RoBERTa, ModernBERT, a hub model), not one of dnalm's CNN/LSTM baselines."""
        if self.preset is not None:
            return self.preset.architecture in TRANSFORMER_ARCHITECTURES
        return not self.architecture.startswith("dnalm-")

    @property
    def has_masked_lm_form(self) -> bool:
        """It can be pretrained by masked-base prediction: a transformer, or the default recipe's CNN (pos-cnn); a
        hub model's config is fetched only when it loads, so it is taken as having one."""
        if self.preset is not None:
            return self.preset.architecture in MASKED_LM_ARCHITECTURES
        if self.kind == "hub":
            return True
        from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES

        from dnalm.models.baselines import PosCnnConfig

        kind = self.architecture
        custom = "AutoModelForMaskedLM" in (self.config.get("auto_map") or {})
        return kind in MODEL_FOR_MASKED_LM_MAPPING_NAMES or kind == PosCnnConfig.model_type or custom

    def check_architecture_settings(self, settings: dict, where: str = "model_config") -> None:
        """Refuse architecture settings (``model_config``) this model's architecture does not have, or values no model
        can be built with (:func:`~dnalm.models.presets.check_architecture_config`), before any work."""
        if settings:
            check_architecture_config(self.architecture.removeprefix("dnalm-"), settings, where)

    @property
    def architectures(self) -> list[str]:
        """The model classes a checkpoint was saved from (config.json's ``architectures``)."""
        return list((self.config or {}).get("architectures") or [])

    @property
    def has_mlm_head(self) -> bool:
        """The checkpoint was saved with a masked-LM head (pretrained, not fine-tuned)."""
        return any(a.endswith("ForMaskedLM") for a in self.architectures)

    @property
    def has_trained_classifier(self) -> bool:
        """The checkpoint was saved from a classifier (a model ``finetune`` wrote)."""
        return any(a.endswith(("ForSequenceClassification", "ForNucleotideClassification")) for a in self.architectures)

    @property
    def needs_remote_code(self) -> bool:
        """The checkpoint maps to Python code shipped with it (``auto_map`` in config.json)."""
        return self.preset is None and "auto_map" in (self.config or {})

    @property
    def finetune_defaults(self) -> dict:
        """Fine-tuning defaults: a preset's learning rate and batch, or what a checkpoint folder records
        (``dnalm_finetune_defaults.json``; {} if none)."""
        if self.preset is not None:
            return {"learning_rate": self.preset.learning_rate, "batch_size": self.preset.batch_size}
        path = Path(self.path) / "dnalm_finetune_defaults.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def check_trust(self) -> None:
        """Refuse a checkpoint with its own code unless trusted; warn once when it is trusted."""
        if not self.needs_remote_code:
            if self.kind == "folder" and self.config is not None:
                _no_remote_code(self.name, "a checkpoint without auto_map in config.json", self.trust_remote_code)
            return
        if not self.trust_remote_code:
            raise ValueError(
                f"{self}: this checkpoint ships its own model code (auto_map in config.json, e.g. "
                "DNABERT-2); pass --trust-remote-code (trust_remote_code=True) if you trust its authors"
            )
        if str(self) in _WARNED_TRUST:  # once a checkpoint (it was said twice: resolved, then loaded)
            return
        _WARNED_TRUST.add(str(self))
        warnings.warn(
            f"trust_remote_code=True runs Python code shipped with {self}; only use checkpoints you trust",
            stacklevel=3,
        )

    def checkpoint(self, what: str) -> str:
        """The checkpoint's path (local folder or hub id) for ``what``; a preset or YAML file is refused."""
        if self.preset is not None:
            beside = self.kind == "preset" and Path(self.name).exists()
            raise ValueError(
                f"{self.name} is a {'preset' if self.kind == 'preset' else 'model YAML file'} (a model to build), "
                f"but {what} needs a saved model folder"
                + (f"; for the folder {self.name} here, give ./{self.name}" if beside else "")
            )
        return self.path


#: config.json keys that are counts or sizes in every architecture dnalm builds or loads
_WHOLE_NUMBERS = (
    "num_labels",
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "max_position_embeddings",
    "dnalm_train_max_tokens",  # predict's default window: -5 gave "max_length must be ..." naming no file or key
    "dnalm_train_max_bases",  # a text value was ignored without a word
)


def _check_model_type(config: dict, path: Path) -> None:
    """A ``model_type`` that neither transformers nor dnalm knows, in a checkpoint without its own code
    (``auto_map``), is one line naming the file (transformers' says to upgrade it)."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    kind = config.get("model_type")
    if "auto_map" in config or kind is None:
        return
    if not isinstance(kind, str) or not (kind in CONFIG_MAPPING_NAMES or kind.startswith("dnalm-")):
        raise ValueError(
            f"{path}: unknown model_type {kind!r} (neither transformers {_transformers_version()} nor dnalm knows it)"
        )


def _transformers_version() -> str:
    import transformers

    return transformers.__version__


_SAID_TRUST: set[str] = set()
_WARNED_TRUST: set[str] = set()


def _no_remote_code(name: str, what: str, trust_remote_code: bool) -> None:
    """--trust-remote-code given for a model that has no code of its own: said (once), not silently ignored."""
    if trust_remote_code and name not in _SAID_TRUST:
        _SAID_TRUST.add(name)
        log.warning("--trust-remote-code has no effect on %s: it is %s, with no code of its own to run", name, what)


def _check_labels(config: dict, path) -> None:
    """Refuse a head whose labels cannot be told apart or do not fit its task, naming ``path``: two ids of one label
    (predict wrote two ``prob_tata`` columns and called every sequence tata), a regression model of several outputs
    (predict wrote the first and dropped the rest), a single-label classifier of one class (transformers' text)."""
    names = config.get("id2label")
    if not isinstance(names, dict) or not names:
        return
    seen: dict[str, str] = {}
    for i, label in sorted(names.items(), key=lambda kv: str(kv[0])):
        if str(label) in seen:
            raise ValueError(f"{path}: id2label names label {str(label)!r} twice (ids {seen[str(label)]} and {i})")
        seen[str(label)] = str(i)
    task = config.get("dnalm_task") or config.get("problem_type")
    if task == "regression" and len(names) != 1:
        raise ValueError(
            f"{path}: problem_type regression with {len(names)} outputs (id2label); dnalm's regression predicts one "
            "value per sequence"
        )
    if task == "single_label_classification" and len(names) < 2:
        raise ValueError(f"{path}: a single-label classifier of {len(names)} class (id2label); it needs at least two")


def _read_yaml(path: Path) -> ModelSpec:
    """A model YAML file -> ModelSpec: it may start from a preset (``preset: tiny``) and override any field;
    unknown keys are an error listing the valid ones."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: model YAML file not found")
    if (path.parent / "config.json").is_file():  # m/dnalm_config.yaml: "unknown key 'model' ... valid: preset"
        raise ValueError(
            f"{path} is a file of the model folder {path.parent}, not a model YAML (a model to build): give the "
            f"folder {path.parent}"
        )
    data = load_yaml(path)
    base = data.pop("preset", None)
    valid = ["preset", *sorted(f.name for f in dataclasses.fields(ModelSpec))]
    unknown = sorted(set(data) - set(valid))
    if unknown and base is None and not set(data) & {"architecture", "tokenizer", "config"}:
        raise ValueError(  # a command's settings file (--config) given where a model goes: no key of a model's
            f"{path} is not a model YAML (a model to build: its keys are {', '.join(valid)}); it holds "
            f"{', '.join(unknown[:3])}{' ...' if len(unknown) > 3 else ''}. A settings file goes with --config; the "
            "model is a preset, a model folder, a model YAML or a hub id (finetune and pretrain take a settings file with --config)"
        )
    check_keys(data, valid, "key", str(path))
    if base is not None:
        if base not in PRESETS:
            raise ValueError(f"{path}: unknown preset {base!r}; choose from {sorted(PRESETS)}")
        merged = dataclasses.asdict(PRESETS[base])
        merged["config"] = {**merged["config"], **data.pop("config", {})}
        data = {**merged, **data}
    check_model_config(data.get("config", {}), f"{path}: config")
    check_architecture_config(data.get("architecture"), data.get("config", {}), f"{path}: config")
    return ModelSpec(**data)


def check_model_config(config, where: str) -> None:
    """Refuse architecture settings (a model YAML's ``config``, ``model_config``) that are not the user's to set:
    auto_map rode into the saved config.json; vocab_size and the like failed in AutoConfig (exit 1)."""
    if not isinstance(config, dict):
        raise ValueError(f"{where} must be a mapping of architecture settings; got {config!r}")
    if taken := sorted(set(config) & set(_NOT_SETTINGS)):
        raise ValueError(f"{where}.{taken[0]} is not an architecture setting: {_NOT_SETTINGS[taken[0]]}")


#: config.json keys a model YAML's ``config`` may not set, and why
_NOT_SETTINGS = {
    "auto_map": "dnalm builds its own architectures and never runs code from a model folder",
    "model_type": "the architecture (architecture: or preset:) decides it",
    "architectures": "the architecture (architecture: or preset:) decides it",
    "trust_remote_code": "dnalm builds its own architectures and never runs code from a model folder",
    **dict.fromkeys(
        ("vocab_size", "pad_token_id", "cls_token_id", "sep_token_id", "bos_token_id", "eos_token_id"),
        "the tokenizer decides it (tokenizer: and k:)",
    ),
    "max_position_embeddings": "max_length: decides it",
    **dict.fromkeys(("num_labels", "id2label", "label2id", "problem_type"), "the data and --problem-type decide it"),
}


def hub_file(repo_id: str, name: str) -> Path:
    """A file of a hub repo (from the hub client's cache where the user set HF_HUB_OFFLINE); where the hub cannot be
    reached, one line at once (the hub's own client retries for half a minute and prints each retry twice)."""
    from huggingface_hub import constants, hf_hub_download, try_to_load_from_cache

    if constants.HF_HUB_OFFLINE and not isinstance(try_to_load_from_cache(repo_id, name), str):
        raise ValueError(
            f"model {repo_id!r} is not a local folder, and HF_HUB_OFFLINE is set (so the hub is not asked) nor has it "
            "been downloaded before; unset HF_HUB_OFFLINE, or give a local folder"
        )
    check_hub_reachable(repo_id)
    return Path(hf_hub_download(repo_id, name))


def check_hub_reachable(repo_id: str) -> None:
    """One line at once where the hub cannot be reached (a repo downloaded before was resolved to its folder in the
    cache: :func:`_cached_snapshot`)."""
    from huggingface_hub import constants

    if not constants.HF_HUB_OFFLINE and (reason := _hub_unreachable(constants.ENDPOINT)):
        raise ValueError(
            f"model {repo_id!r} is not a local folder, and the Hugging Face hub ({constants.ENDPOINT}) cannot be "
            f"reached ({reason}) nor has it been downloaded before"
        )


#: the files a tokenizer folder holds, one of them at least
TOKENIZER_FILES = ("dnalm_tokenizer.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt")


def tokenizer_source(name) -> str:
    """Where a tokenizer named ``name`` (``tokenizer check``, ``audit --tokenizer``) is loaded from, by ``--model``'s
    rule: a bare preset, shipped or recipe name is dnalm's whatever the working folder holds (a preset or a model YAML
    has no tokenizer until trained: refused), a folder gives its tokenizer files (a file itself), a hub id the
    hub's (one line at once where the hub cannot be reached); any other name gets ``--model``'s error."""
    text = str(home_expanded(name))
    path = Path(text)
    if text not in PRESETS and text not in shipped_models() and text != AUTO and path.exists():
        if path.is_dir() and not any((path / f).is_file() for f in TOKENIZER_FILES):
            raise ValueError(f"{text}: no tokenizer in this folder (none of {', '.join(TOKENIZER_FILES)})")
        if path.is_dir() or path.suffix not in (".yaml", ".yml"):
            return text
    ref = ModelRef.resolve(text)  # a typo gets --model's list and did-you-mean; untrusted code is refused
    if not ref.is_checkpoint:
        what = "a preset" if ref.kind == "preset" else "a model YAML file (a model to build)"
        raise ValueError(
            f"{text} is {what}: it has a tokenizer once trained; give a model or tokenizer folder"
            + (f" (./{text} for the folder here)" if ref.kind == "preset" and path.exists() else "")
        )
    if ref.kind == "hub":
        check_hub_reachable(ref.path)
    return ref.path


def _cached_snapshot(repo_id: str) -> Path | None:
    """Where the hub cannot be reached, the folder of the hub repo's downloaded copy, to load its files from (nothing
    else in the process is made offline); None where the hub answers, the user set HF_HUB_OFFLINE (the hub client
    reads its cache then) or it was never downloaded."""
    from huggingface_hub import constants, try_to_load_from_cache

    if constants.HF_HUB_OFFLINE or not (reason := _hub_unreachable(constants.ENDPOINT)):
        return None
    cached = try_to_load_from_cache(repo_id, "config.json")
    if not isinstance(cached, str):
        return None
    log.warning("the Hugging Face hub cannot be reached (%s): %s from the local cache", reason, repo_id)
    return Path(cached).parent


@functools.cache
def _hub_unreachable(endpoint: str) -> str | None:
    """Why ``endpoint`` cannot be reached (None: it answers a connection within 5 s)."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(endpoint)
    try:
        socket.create_connection((url.hostname, url.port or (443 if url.scheme == "https" else 80)), timeout=5).close()
    except OSError as err:
        return err.strerror or str(err) or type(err).__name__
    return None


def _looks_like_hub_id(spec: str) -> bool:
    """``owner/name`` as the Hugging Face hub spells it, and not a local path with a typo in it:
    one slash, no leading ``.``, ``/`` or ``~``, and no local folder called ``owner``."""
    parts = spec.split("/")
    return len(parts) == 2 and all(parts) and not spec.startswith((".", "~")) and not Path(parts[0]).is_dir()


def _check_checkpoint(spec: str) -> None:
    """A checkpoint folder with a config.json, or something that can only be a hub id; else a clear error
    (a path that is not there names the model folders of the nearest folder that is)."""
    path = Path(spec)
    unfinished = _unfinished_run(path)
    if path.is_dir():
        if not (path / "config.json").is_file():
            inside = sorted(  # an interrupted run's, the last
                (p.parent.name for p in path.glob("checkpoint-*/config.json")),
                key=lambda n: int(n.rsplit("-", 1)[1]) if n.rsplit("-", 1)[1].isdigit() else -1,
            )
            hint = f"; it holds the training checkpoint {path / inside[-1]}, which is one" if inside else ""
            raise ValueError(f"{path} is a folder but not a model checkpoint (no config.json){unfinished}{hint}")
        return
    if path.exists():
        raise ValueError(f"{path} is a file, not a model folder")
    if _looks_like_hub_id(spec):
        return
    parent = next((p for p in path.parents if p.is_dir()), Path("."))
    held = sorted(c.name for c in parent.iterdir() if c.is_dir() and (c / "config.json").is_file())[:12]
    raise FileNotFoundError(
        f"model folder {spec} not found (nor a shipped model or a hub id owner/name)"
        + (unfinished or (f"; model folders in {parent}: {', '.join(held)}" if held else ""))
    )


def _say_if_still_written(path: Path) -> None:
    """A model folder whose dnalm marker says a run is writing it (a pretraining running, or stopped part-way: its
    final scoring, say) is used, with a warning: its weights may not be that run's last (lm-eval took it
    without a word)."""
    from dnalm.io.outputs import read_marker

    marker = read_marker(path) if path.is_dir() else None
    if marker and marker.get("running"):
        log.warning(
            "%s: a dnalm %s run is writing this folder, or stopped before it finished: its weights may not be that "
            "run's last (%s)",
            path,
            marker.get("command", "?"),
            "pretraining: `dnalm pretrain ... --resume` finishes it"
            if marker.get("kind") == "pretrain"
            else "rerun it",
        )


def _unfinished_run(path: Path) -> str:
    """Where ``path`` is (or names) what an unfinished ``finetune`` left, a clause saying so; else ''."""
    staging = path if path.name.endswith(".partial") else path.with_name(f"{path.name}.partial")
    if not (staging / "PARTIAL_RUN.txt").is_file():
        return ""
    final = staging.with_name(staging.name.removesuffix(".partial"))
    return (
        f": {staging} is what an unfinished run writing {final} left (running, or stopped: the same command with "
        f"--resume continues it), and the model is {final} once it finishes"
    )
