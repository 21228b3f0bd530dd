"""Model cards: the ``README.md`` of every folder ``finetune`` and ``pretrain`` write.

A card is in the Hugging Face format (:class:`huggingface_hub.ModelCard`): a YAML header (library,
tags, datasets, pipeline tag and the validation metrics as ``model-index``, so the Hub and
``ModelCard.load(path).data`` read them), then what the model was trained on, how, how well it did on
validation, and how to load it in dnalm and in plain transformers.

dnalm's own architectures (CNN, LSTM) are not part of transformers and are loaded without remote
code, so plain transformers needs ``pip install dnalm`` and ``import dnalm`` first; without them it
says only that it does not recognise the model type. The card says so where it matters.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

__all__ = ["CARD_FILE", "write_finetune_card", "write_pretrain_card"]

log = logging.getLogger(__name__)
CARD_FILE = "README.md"
_MARK = "<!-- written by dnalm: rewritten when the model is trained again -->"
_TAGS = ["dnalm", "dna", "genomics"]
#: Metrics Trainer adds to every evaluation that say nothing about the model.
_NOT_METRICS = ("runtime", "samples_per_second", "steps_per_second", "epoch", "n_predictions")
_PIPELINE_TAG = {"token_classification": "token-classification"}


def write_finetune_card(folder: str | Path, summary: dict, data: str | Path | None = None) -> Path | None:
    """Write ``FOLDER/README.md`` for a fine-tuned model from its ``training_summary.json`` dict and the
    files beside it (``config.json``, ``dnalm_config.yaml``, ``recipe.json``). Returns the path, or None
    where a README.md that dnalm did not write is kept."""
    from huggingface_hub import ModelCardData

    folder = Path(folder)
    settings = _read_yaml(folder / "dnalm_config.yaml")
    problem = settings.get("problem_type", "single_label_classification")
    task_tag = _PIPELINE_TAG.get(problem, "text-classification")
    dataset = Path(data).name if data else "labelled DNA sequences"
    metrics = _metrics(summary.get("validation_metrics") or {})
    meta = ModelCardData(
        library_name="dnalm",
        tags=[*_TAGS, problem.replace("_", "-")],
        datasets=[dataset],
        pipeline_tag=task_tag,
        model_name=folder.name.removesuffix(".partial"),
        eval_results=_eval_results(task_tag, dataset, metrics),
    )
    sections = [
        _title(
            folder, f"{problem.replace('_', ' ')} of DNA sequences, fine-tuned with dnalm from `{summary['model']}`"
        ),
        _finetune_data(summary, dataset),
        _recipe(settings, folder / "recipe.json", summary),
        _metric_table(metrics, f"best checkpoint chosen by validation {summary.get('best_checkpoint_metric')}"),
        _usage(folder, task_tag),
    ]
    return _write(folder, meta, sections)


def write_pretrain_card(folder: str | Path, summary: dict, corpus: str | Path | None = None) -> Path | None:
    """Write ``FOLDER/README.md`` for a masked-LM pretrained by ``dnalm pretrain`` from its
    ``pretrain_summary.json`` dict and ``dnalm_pretrain.yaml``. Returns the path (None: README.md kept)."""
    from huggingface_hub import ModelCardData

    folder = Path(folder)
    settings = _read_yaml(folder / "dnalm_pretrain.yaml")
    dataset = Path(corpus).name if isinstance(corpus, str | Path) else "DNA corpus"
    metrics = _metrics(summary.get("validation") or {})
    lm = summary.get("lm_metrics") or {}
    metrics.update({k: lm[k] for k in ("bits_per_base", "masked_base_accuracy") if isinstance(lm.get(k), float)})
    meta = ModelCardData(
        library_name="dnalm",
        tags=[*_TAGS, "masked-language-modeling"],
        datasets=[dataset],
        pipeline_tag="fill-mask",
        model_name=folder.name,
        eval_results=_eval_results("fill-mask", dataset, metrics),
    )
    data = [
        "## Data",
        "",
        f"Corpus `{dataset}`: {summary.get('train_segments', '?')} training segments cut into "
        f"{summary.get('train_examples', '?')} windows of up to {summary.get('max_length')} tokens "
        f"({100 * summary.get('padding_fraction', 0):.1f}% padding); "
        f"{summary.get('validation_examples', 0)} validation windows.",
    ]
    if lm.get("verdict"):
        data += ["", f"Held-out per-base score: {lm['verdict']} ({lm.get('heldout_windows', '?')} windows)."]
    sections = [
        _title(folder, f"a DNA masked language model pretrained with dnalm (`{summary['model']}`)"),
        "\n".join(data),
        _recipe(settings, None, {**summary, "steps_run": summary.get("steps")}),
        _metric_table(metrics, "at the last step"),
        _usage(folder, "fill-mask"),
    ]
    return _write(folder, meta, sections)


def _write(folder: Path, meta, sections: list[str]) -> Path | None:
    from huggingface_hub import ModelCard

    path = folder / CARD_FILE
    if path.is_file() and _MARK not in path.read_text(encoding="utf-8", errors="replace"):
        log.warning("%s was not written by dnalm and is kept; the model card is not written", path)
        return None
    body = "\n\n".join([_MARK, *sections]) + "\n"
    ModelCard(f"---\n{meta.to_yaml()}\n---\n\n{body}").save(path)
    return path


def _read_yaml(path: Path) -> dict:
    import yaml

    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def _metrics(values: dict) -> dict[str, float]:
    out = {}
    for key, value in values.items():
        name = key.removeprefix("eval_")
        if name not in _NOT_METRICS and isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def _eval_results(task_type: str, dataset: str, metrics: dict[str, float]) -> list | None:
    from huggingface_hub import EvalResult

    results = [
        EvalResult(
            task_type=task_type,
            dataset_type=dataset,
            dataset_name=dataset,
            dataset_split="validation",
            metric_type=name,
            metric_name=name,
            metric_value=value,
        )
        for name, value in metrics.items()
    ]
    return results or None


def _architecture(folder: Path) -> tuple[str, str]:
    config = json.loads((folder / "config.json").read_text()) if (folder / "config.json").is_file() else {}
    return (config.get("architectures") or ["?"])[0], config.get("model_type", "?")


def _title(folder: Path, what: str) -> str:
    arch, model_type = _architecture(folder)
    return f"# {folder.name.removesuffix('.partial')}\n\n{what[0].upper()}{what[1:]}: `{arch}` (model type `{model_type}`)."


def _finetune_data(summary: dict, dataset: str) -> str:
    labels = summary.get("labels") or []
    lines = [
        "## Data",
        "",
        f"Dataset `{dataset}`; {summary.get('validation', '')}.",
        "",
        "| split | sequences |",
        "|---|---|",
        f"| train | {summary.get('n_train')} |",
        f"| validation | {summary.get('n_validation')} |",
        "",
        f"Labels ({len(labels)}): {', '.join(f'`{x}`' for x in labels[:50])}{' ...' if len(labels) > 50 else ''}.",
        f"Inputs of up to {summary.get('max_length')} tokens in training; "
        f"{summary.get('n_truncated_train', 0)} training and {summary.get('n_truncated_validation', 0)} "
        "validation sequences were longer and truncated (prediction reads long sequences in sliding windows).",
    ]
    return "\n".join(lines)


def _recipe(settings: dict, recipe_file: Path | None, summary: dict) -> str:
    lines = ["## Training recipe", ""]
    if recipe_file is not None and recipe_file.is_file():
        lines += ["Settings chosen by dnalm's default recipe from the data (`recipe.json`).", ""]
    shown = {k: v for k, v in settings.items() if not isinstance(v, dict | list) and v is not None}
    lines += ["| setting | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in shown.items())]
    for key in ("model_config", "trainer"):
        value = summary.get(key) if key == "model_config" and summary.get(key) else settings.get(key)
        if value:
            lines.append(f"| {key} | `{json.dumps(value, default=str)}` |")
    lines += _candidates(summary.get("candidates"))
    run = f"{summary.get('steps_run')} optimizer steps of {summary.get('steps_planned')} planned"
    if summary.get("epochs_run") is not None:
        run += f" ({summary['epochs_run']:.2f} epochs)"
    lines += ["", f"Run: {run}; {summary.get('parameters', '?')} parameters; {summary.get('wall_time_s')} s."]
    if summary.get("time_budget_note"):
        lines.append(f"Time budget {summary.get('time_budget_s')} s: {summary['time_budget_note']}.")
    return "\n".join(lines)


def _candidates(candidates: list[dict] | None) -> list[str]:
    """The architectures the recipe trained on small data (and their average), each one's best validation result
    as trained and as it was chosen on (``selection_*``: both strands averaged where the model averages them), and
    the one kept."""
    if not candidates:
        return []
    metric = next((k for k in candidates[0] if k.startswith("best_validation_")), None)
    chosen_on = next((k for k in candidates[0] if k.startswith("selection_")), None)
    rows = [
        (
            f"| candidates {', '.join(map(str, c['members']))} averaged | | "
            if "members" in c  # the mean of their probabilities, one model
            else f"| `{c.get('model', '')}` | `{json.dumps(c.get('model_config'))}` | "
        )
        + f"{_number(c.get(metric))} | "
        + (f"{_number(c.get(chosen_on))} | " if chosen_on else "")
        + f"{c.get('best_step', '')} | {'kept' if c.get('chosen') else ''} |"
        for c in candidates
    ]
    name = (metric or "best validation").removeprefix("best_validation_")
    extra = f" chosen on: {name} as used |" if chosen_on else ""
    head = f"| candidate start | architecture | best validation {name} |{extra} best step | |"
    return [
        "",
        "Candidates, trained in turn from the same seed and chosen on validation (as used: both strands averaged "
        "where the model averages them):",
        "",
        head,
        "|---|---|---|" + ("---|" if chosen_on else "") + "---|---|",
        *rows,
    ]


def _number(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _metric_table(metrics: dict[str, float], note: str) -> str:
    if not metrics:
        return "## Validation metrics\n\nNo validation set: no metrics."
    rows = [f"| {k} | {v:.4f} |" for k, v in metrics.items()]
    return "\n".join(
        ["## Validation metrics", "", f"On the validation split, {note}.", "", "| metric | value |", "|---|---|", *rows]
    )


def _usage(folder: Path, task_tag: str) -> str:
    arch, model_type = _architecture(folder)
    name = f"path/to/{folder.name.removesuffix('.partial')}"
    auto = "AutoModelForMaskedLM" if task_tag == "fill-mask" else "AutoModelForSequenceClassification"
    lines = ["## How to use", "", "In dnalm (`pip install dnalm`), on raw DNA of any length (sliding windows):", ""]
    if task_tag == "fill-mask":
        lines += [
            "```bash",
            f"dnalm finetune --model {name} DATA -o my_model   # a classifier from this encoder",
            "```",
        ]
    else:
        lines += [
            "```bash",
            f"dnalm predict {name} sequences.fa -o predictions.csv",
            "```",
            "",
            "```python",
            "import dnalm  # registers dnalm's models and pipelines with transformers",
            "from transformers import pipeline",
            "",
            f'clf = pipeline("text-classification", model="{name}")',
            'clf("ACGTTATAAAGCGCGTACGATCGA", top_k=None)  # the scores of `dnalm predict --no-rc`',
            "```",
        ]
    lines += ["", "In plain transformers:", ""]
    if model_type.startswith("dnalm-"):
        lines += [
            f"`{arch}` is one of dnalm's own architectures, not part of transformers, and it is not shipped as "
            "remote code (nothing to trust): `pip install dnalm`, then `import dnalm` before loading. Without "
            f"that import transformers fails with *model type `{model_type}` ... Transformers does not recognize "
            "this architecture* (upgrading transformers does not help).",
            "",
            "```python",
            "import dnalm  # noqa: F401  (makes the architecture known to transformers)",
            f"from transformers import {auto}",
            "",
            f'model = {auto}.from_pretrained("{name}")',
            "```",
        ]
    else:
        tok_note = _tokenizer_note(folder)
        lines += [
            "```python",
            f"from transformers import AutoTokenizer, {auto}",
            "",
            f'tokenizer = AutoTokenizer.from_pretrained("{name}")',
            f'model = {auto}.from_pretrained("{name}")',
            "```",
            "",
            tok_note,
        ]
    return "\n".join(lines)


def _tokenizer_note(folder: Path) -> str:
    path = folder / "dnalm_tokenizer.json"
    spec = json.loads(path.read_text()) if path.is_file() else {}
    if spec.get("type") == "kmer":
        k = spec.get("k", 6)
        return (
            f"The tokenizer there reads DNABERT-style input: overlapping {k}-mers separated by spaces, "
            f'`" ".join(seq[i : i + {k}] for i in range(len(seq) - {k - 1}))`; raw DNA would be one unknown token. '
            "With `import dnalm` the `text-classification` pipeline takes raw DNA."
        )
    return "The tokenizer takes raw DNA (upper case A/C/G/T/N)."
