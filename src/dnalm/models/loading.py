"""Loading a checkpoint whole: transformers fills missing weights with random values and goes on; dnalm refuses."""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path

__all__ = [
    "IncompleteCheckpointError",
    "check_config_fits_weights",
    "check_finite_weights",
    "config_max_tokens",
    "extended_config",
    "has_sequence_head",
    "load_complete",
    "readable_weights",
]


class IncompleteCheckpointError(ValueError):
    """A checkpoint lacks weights the task needs (a fill-mask on a fine-tuned classifier)."""


@contextlib.contextmanager
def readable_weights(model_path):
    """Around a ``from_pretrained``: weights that cannot be read (a truncated or empty ``model.safetensors``, a file
    that is something else) are one error naming the file, not safetensors' or torch's own text."""
    try:
        yield
    except OSError as err:  # a folder with a config.json and no weights: transformers' "Error no file named ..."
        if not os.path.isdir(model_path) or "no file named" not in str(err):
            raise
        raise IncompleteCheckpointError(
            f"{model_path}: a model configuration without weights (no model.safetensors or pytorch_model.bin): "
            "give the folder of a saved model (finetune --from-scratch builds one from a configuration alone)"
        ) from None
    except Exception as err:
        kind = type(err)
        if kind.__name__ not in ("SafetensorError", "HeaderTooLarge", "UnpicklingError") and not (
            kind.__module__ or ""
        ).startswith("safetensors"):
            raise
        names = [n for n in ("model.safetensors", "pytorch_model.bin") if os.path.isfile(os.path.join(model_path, n))]
        where = os.path.join(str(model_path), names[0]) if names else str(model_path)
        raise IncompleteCheckpointError(
            f"{where}: the weights cannot be read ({' '.join(str(err).split())}); is the file complete? "
            "copy or save the model again"
        ) from None


#: config.json sizes that are a dimension of some weight tensor of the model they describe
_SIZES = ("hidden_size", "intermediate_size", "channels", "embedding_size")


_WHOLE_NUMBER_DTYPES = ("BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64")


def check_config_fits_weights(model_path) -> None:
    """Refuse a checkpoint whose config.json sizes are not those of its ``model.safetensors``, before transformers
    builds the model from them: an edited ``num_hidden_layers: 100000`` built for minutes before the weights were
    compared, ``channels: 1000000000`` overflowed in torch (a RuntimeError naming no file)."""
    folder = Path(model_path)
    weights, config_file = folder / "model.safetensors", folder / "config.json"
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
        with open(weights, "rb") as fh:
            size = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(size)) if 0 < size <= 100 << 20 else None
    except (OSError, ValueError):
        return  # no such files, or ones that loading reports on
    if not isinstance(config, dict) or not isinstance(header, dict):
        return
    names, ids = config.get("id2label"), config.get("label2id")
    consistent = not (isinstance(names, dict) and isinstance(ids, dict) and names and ids) or all(
        names.get(str(i)) == label for label, i in ids.items()
    )
    if not consistent:  # id2label was used without a word
        raise IncompleteCheckpointError(
            f"{config_file}: id2label {names} and label2id {ids} name the classes differently; make them agree"
        )
    shapes = {k: v.get("shape", []) for k, v in header.items() if isinstance(v, dict) and k != "__metadata__"}
    dims = {d for shape in shapes.values() for d in shape}
    wrong = [
        f"{key} {config[key]}"
        for key in _SIZES
        if isinstance(config.get(key), int) and not isinstance(config[key], bool) and config[key] not in dims
    ]
    layers = {m[1] for name in shapes for m in [re.search(r"\.layers?\.(\d+)\.", name)] if m}
    n_layers = config.get("num_hidden_layers")
    if layers and isinstance(n_layers, int) and n_layers != len(layers):
        wrong.append(f"num_hidden_layers {n_layers} (the weights hold {len(layers)} layers)")
    whole = sorted(
        (k, v.get("dtype"))
        for k, v in header.items()
        if isinstance(v, dict) and k.endswith((".weight", ".bias")) and v.get("dtype") in _WHOLE_NUMBER_DTYPES
    )
    if whole:  # cast to float without a word: every prediction 0.5
        raise IncompleteCheckpointError(
            f"{weights}: {len(whole)} weight tensor(s) are stored as whole numbers ({whole[0][0]}: {whole[0][1]}), not "
            "floating point: a quantized or damaged file, which dnalm does not read"
        )
    if wrong:
        raise IncompleteCheckpointError(
            f"{config_file}: {', '.join(wrong)} {'do' if len(wrong) > 1 else 'does'} not fit the weights in "
            f"{weights.name}; config.json and the weights do not belong together (an edited config.json, or files "
            "from two models?)"
        )


def load_complete(
    auto_class,
    model_path: str,
    what: str,
    ignore: tuple[str, ...] = (),
    *,
    hint: str | None = None,
    trust_remote_code: bool = False,
    **kwargs,
):
    """``auto_class.from_pretrained`` that refuses a checkpoint lacking weights ``what`` needs.

    transformers fills weights missing from a checkpoint with random values and goes on; a
    fill-mask on a fine-tuned classifier would then print the guesses of a random masked-LM head.
    Missing weights whose name contains one of ``ignore`` (BERT's unused pooler) are allowed. dnalm's own
    architectures must be registered with ``auto_class`` first (:func:`dnalm.models.build.register_baselines`).
    """
    import transformers

    check_config_fits_weights(model_path)
    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # the load report is checked here instead (given back below)
    try:  # a tensor of another shape is reported below (transformers' error points at a report it hid)
        with readable_weights(model_path):
            model, info = auto_class.from_pretrained(
                str(model_path),
                output_loading_info=True,
                ignore_mismatched_sizes=True,
                trust_remote_code=trust_remote_code,
                **kwargs,
            )
    except ValueError as err:  # transformers lists every architecture the Auto class knows
        if not str(err).startswith("Unrecognized configuration class"):
            raise
        kind = re.search(r"\.(\w+)'>", str(err))
        raise ValueError(
            f"{model_path}: {what} needs another kind of model than this one"
            f" ({kind.group(1) if kind else 'its config.json'} has no {auto_class.__name__} form)"
            + (f"; {hint}" if hint else "")
        ) from None
    finally:
        transformers.logging.set_verbosity(verbosity)
    _check_shapes(model_path, info.get("mismatched_keys", []))
    missing = [k for k in info.get("missing_keys", []) if not any(i in k for i in ignore)]
    if missing:
        shown = ", ".join(sorted(missing)[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise IncompleteCheckpointError(
            f"{model_path}: {len(missing)} weight{'s' * (len(missing) != 1)} that {what} needs "
            f"{'are' if len(missing) != 1 else 'is'} not in this checkpoint ({shown}); "
            + (
                hint
                or f"is it a fine-tuned classifier? {what} needs a pretrained model "
                "(dnalm pretrain, or a checkpoint saved with its masked-LM head)"
            )
        )
    check_finite_weights(model_path, model)
    return model.eval()


def check_finite_weights(model_path, model) -> None:
    """Refuse weights that are not finite numbers (NaN or inf in the file): every output would be NaN, and the
    commands that write outputs without metrics would write those as a result."""
    import torch

    bad = [n for n, t in model.state_dict().items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise IncompleteCheckpointError(
            f"{model_path}: {len(bad)} weight tensor(s) hold values that are not finite numbers (NaN or inf; the "
            f"first: {bad[0]}): the weights are damaged, or training diverged before they were saved"
        )


def _check_shapes(model_path, mismatched) -> None:
    """Refuse weights whose shape differs from what the checkpoint's config.json builds, naming them.

    >>> _check_shapes("m", [("bert.embeddings.word_embeddings.weight", (69, 32), (4101, 32))])
    Traceback (most recent call last):
    ...
    dnalm.models.loading.IncompleteCheckpointError: m: 1 weight has another shape in the checkpoint than \
the model its config.json describes: bert.embeddings.word_embeddings.weight (checkpoint 69x32, model 4101x32); \
config.json and the weights do not belong together (an edited config.json, or files from two models?)
    """
    if not mismatched:
        return
    found = sorted((m, (), ()) if isinstance(m, str) else tuple(m) for m in mismatched)
    shown = ", ".join(
        f"{k} (checkpoint {'x'.join(map(str, a))}, model {'x'.join(map(str, b))})" for k, a, b in found[:4]
    ) + (f" and {len(found) - 4} more" if len(found) > 4 else "")
    n = len(found)
    raise IncompleteCheckpointError(
        f"{model_path}: {n} weight{'s have' if n != 1 else ' has'} another shape in the checkpoint than the model its "
        f"config.json describes: {shown}; config.json and the weights do not belong together (an edited "
        "config.json, or files from two models?)"
    )


def extended_config(spec: str, overrides: dict, label_kwargs: dict, *, trust_remote_code: bool = False):
    """A checkpoint's config with settings that only add modules to it (its class's ``extension_settings``,
    e.g. ``attention_layers`` of ``pos-cnn``), and for a checkpoint without a sequence classifier's head (a
    masked-base model) its ``head_settings`` too (``position_bins``), so that ``from_pretrained`` starts
    everything else from the checkpoint's weights and the new modules from random ones. Any other setting is
    refused: it would change weights the checkpoint has.
    """
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(spec, trust_remote_code=trust_remote_code, **label_kwargs)
    allowed = tuple(getattr(type(config), "extension_settings", ()))
    if not has_sequence_head(config):  # its classifier head is new whatever its shape
        allowed += tuple(getattr(type(config), "head_settings", ()))
    refused = sorted(set(overrides) - set(allowed))
    if refused:
        raise ValueError(
            f"{spec}: architecture setting(s) {', '.join(map(repr, refused))} would change this checkpoint's "
            "weights; they apply to presets and model YAML files"
            + (f" (a checkpoint takes only {', '.join(allowed)})" if allowed else ", not checkpoints")
        )
    return type(config).from_dict({**config.to_dict(), **overrides})


def has_sequence_head(config) -> bool:
    """Whether a checkpoint's config says its weights include a sequence classifier's head (its
    ``architectures``), so settings that shape that head would change trained weights."""
    return any(name.endswith("ForSequenceClassification") for name in getattr(config, "architectures", None) or ())


def config_max_tokens(config) -> int | None:
    """Most tokens a model of ``config`` takes (None: any number): its fixed input length, else its positions
    (RoBERTa-style models spend ``pad_token_id + 1`` of them on an offset)."""
    if fixed := getattr(config, "input_length", None):
        return int(fixed)
    if positions := getattr(config, "max_position_embeddings", None):
        offset = (config.pad_token_id or 0) + 1 if "roberta" in getattr(config, "model_type", "") else 0
        return int(positions) - offset
    return None
