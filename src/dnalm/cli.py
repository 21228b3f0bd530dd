"""The ``dnalm`` command line: each command parses its options and calls one library function."""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
import typer.core

#: Errors that say what is wrong with the input, the settings or the output: one line, exit status 2.
USER_ERRORS = (ValueError, FileNotFoundError, ImportError, OSError)
#: How typer/click end a command or report a usage error themselves (typer vendors click in newer versions).
_CLICK_CONTROL = (
    typer.Exit,
    typer.Abort,
    next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
)


class _Commands(typer.core.TyperGroup):
    """Every command runs inside the one error handler: an error is one line on stderr (``--debug``: the
    traceback). Errors about the input, settings or output (:data:`USER_ERRORS`, ``DataFormatError``
    among them) exit with 2; anything else is a fault of dnalm's, named by its type, with exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as err:
            if isinstance(err, _CLICK_CONTROL) or _STATE["debug"]:
                raise
            user = isinstance(err, USER_ERRORS)
            text = f"error: {err}" if user else f"error ({type(err).__name__}): {err}"
            typer.secho(text, fg=typer.colors.RED, err=True)
            if not user:
                typer.echo("(run with --debug for the traceback)", err=True)
            raise typer.Exit(2 if user else 1) from None


app = typer.Typer(
    cls=_Commands,
    help="DNA language models: tokenize, fine-tune, pretrain, evaluate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
tokenizer_app = typer.Typer(
    help="Build or train a tokenizer into a directory, or check one on a dataset.", no_args_is_help=True
)
synth_app = typer.Typer(help="Write synthetic labelled DNA (train.csv, dev.csv, test.csv).", no_args_is_help=True)
app.add_typer(tokenizer_app, name="tokenizer")
app.add_typer(synth_app, name="synth")

OutDir = Annotated[Path, typer.Option("-o", "--output", help="Output directory.")]
Classes = Annotated[
    list[str] | None, typer.Option("--class", help="LABEL=FASTA, one per class (instead of DATA's own labels).")
]


_STATE = {"debug": False}


def _version(value: bool) -> None:
    if value:
        from dnalm import __version__

        typer.echo(f"dnalm {__version__}")
        raise typer.Exit()


@app.callback()
def _setup(
    ctx: typer.Context,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Warnings and errors only."),
    log_file: Path | None = typer.Option(None, help="Also append the log to this file."),
    debug: bool = typer.Option(False, help="Show Python tracebacks and transformers' own messages."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
):
    """DNA language models: tokenize, fine-tune, pretrain, evaluate."""
    configure_output(quiet=quiet, log_file=log_file, debug=debug)
    _one_process_unless_training(ctx.invoked_subcommand)
    _import_models_once(ctx.invoked_subcommand)


#: Commands that spread their work over several processes (torchrun / accelerate launch); every other command runs
#: in the main process alone, which then works as a single process, so its files are written once.
MULTI_PROCESS_COMMANDS = ("finetune", "pretrain", "scan", "predict", "evaluate")


#: Commands that load a model, so import torch and transformers whatever they are asked.
MODEL_COMMANDS = (
    "finetune",
    "evaluate",
    "predict",
    "scan",
    "variants",
    "interpret",
    "demo",
    "pretrain",
    "lm-eval",
    "fill-mask",
    "embed",
    "benchmark",
    "search",
)


def _import_models_once(command: str | None) -> None:
    """Import torch, transformers and dnalm's models up front for a command that needs them, with the cycle
    collector off, then freeze what they made (``gc.freeze``). Importing them allocates a few million
    long-lived objects, and each full collection on the way walked all of those made so far: 7 of them, about
    0.9 s of a 30-s default fine-tuning on a 2-core CPU; after the freeze, later collections skip them. The
    command's own objects are collected as usual."""
    if command not in MODEL_COMMANDS or "--help" in sys.argv:
        return
    gc.disable()
    try:
        import dnalm.models.build  # noqa: F401
    finally:
        gc.enable()
    gc.freeze()


def _one_process_unless_training(command: str | None) -> None:
    from dnalm.runtime.distributed import is_main, world_size

    if world_size() == 1 or command in MULTI_PROCESS_COMMANDS:
        return
    if not is_main():
        raise typer.Exit(0)  # the main process does this command's work; the others have nothing to do
    for var in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK"):
        os.environ.pop(var, None)


def _stderr_handler():
    """A log handler writing to whatever ``sys.stderr`` is when a record is emitted (not the stream of the
    moment it was made, which a test runner may have closed since)."""
    import logging

    class Handler(logging.StreamHandler):
        @property
        def stream(self):
            return sys.stderr

        @stream.setter
        def stream(self, value):
            pass

    return Handler()


def configure_output(quiet: bool = False, log_file: Path | None = None, debug: bool = False) -> None:
    """Logging set up once for every command. When stderr is not a terminal (a log file, CI), no
    progress bars and none of transformers' ANSI-coloured load reports: one line per evaluation."""
    import logging

    _STATE["debug"] = debug
    if not sys.stderr.isatty():
        for var in ("HF_HUB_DISABLE_PROGRESS_BARS", "HF_DATASETS_DISABLE_PROGRESS_BARS", "TQDM_DISABLE"):
            os.environ.setdefault(var, "1")
        if not debug:
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    handlers: list[logging.Handler] = [_stderr_handler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    from dnalm.runtime.distributed import is_main

    if not is_main():  # under torchrun/accelerate launch the main process reports; the others only their errors
        level = max(level, logging.ERROR)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", handlers=handlers, force=True)


def main() -> None:
    """The ``dnalm`` command (errors are handled once, by :class:`_Commands`)."""
    succeeded = False
    try:
        app()
        succeeded = True
    except SystemExit as done:  # typer ends every command this way
        succeeded = done.code in (0, None)
        raise
    finally:
        if succeeded:
            from dnalm.runtime.distributed import finish

            finish()  # under torchrun: or a process may abort in its exit after the work is done
        # Shutting down, Python's last garbage collection walks every object that torch and transformers
        # created at import (about 1.2 s after `import transformers` on a 2-core CPU, a twentieth of a short
        # fine-tuning run); frozen objects are skipped. Files are closed and written by then, atexit
        # handlers still run.
        gc.freeze()


def _parse_classes(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        label, sep, path = pair.partition("=")
        if not sep or not label or not path:
            raise typer.BadParameter(f"--class takes LABEL=FASTA; got {pair!r}")
        out[label] = path
    return out


def records_from(
    data: Path | None,
    split: str | None = None,
    classes: list[str] | None = None,
    sequence_column: str | None = None,
    label_column: str | None = None,
):
    """Records from DATA (file or split folder) or from --class LABEL=FASTA pairs."""
    from dnalm.io import read_labeled_fasta, read_sequences

    if classes:
        return read_labeled_fasta(_parse_classes(classes))
    if data is None:
        raise typer.BadParameter("give DATA or --class LABEL=FASTA")
    return read_sequences(data, split=split, sequence_column=sequence_column, label_column=label_column)


# -- tokenizer ---------------------------------------------------------------------------
@tokenizer_app.command("kmer")
def tokenizer_kmer(
    output: OutDir,
    k: int = typer.Option(6, help="k-mer length (DNABERT: 3-6)."),
    max_length: int = typer.Option(512, help="model_max_length in tokens."),
):
    """Overlapping k-mer tokenizer with DNABERT's vocabulary and ids."""
    from dnalm.tokenizers.dna import KmerTokenizer

    _save(KmerTokenizer(k=k, model_max_length=max_length), output)


@tokenizer_app.command("nonoverlap")
def tokenizer_nonoverlap(
    output: OutDir,
    k: int = typer.Option(6, help="k-mer length."),
    max_length: int = typer.Option(512, help="model_max_length in tokens."),
):
    """Non-overlapping k-mers (Nucleotide Transformer style)."""
    from dnalm.tokenizers.dna import NonOverlappingKmerTokenizer

    _save(NonOverlappingKmerTokenizer(k=k, model_max_length=max_length), output)


@tokenizer_app.command("base")
def tokenizer_base(output: OutDir, max_length: int = typer.Option(512, help="model_max_length in tokens.")):
    """One token per nucleotide."""
    from dnalm.tokenizers.dna import BaseTokenizer

    _save(BaseTokenizer(model_max_length=max_length), output)


@tokenizer_app.command("bpe")
def tokenizer_bpe(
    inputs: Annotated[list[Path], typer.Argument(help="FASTA(.gz) or sequence tables.")],
    output: OutDir,
    vocab_size: int = 1024,
    min_frequency: int = 4,
    segment_length: int = typer.Option(1000, help="Cut long records into pieces of this length."),
    max_segments: int = typer.Option(100_000, help="Train on a random sample of this many pieces."),
    max_length: int = 512,
    seed: int = 0,
):
    """Train a BPE vocabulary on DNA (TinyDNABERT defaults)."""
    import itertools

    from dnalm.io import read_sequences
    from dnalm.tokenizers.bpe import genome_segments, train_bpe

    records = itertools.chain.from_iterable(read_sequences(p) for p in inputs)
    pieces = list(genome_segments(records, segment_length, max_segments=max_segments, seed=seed))
    typer.echo(f"training BPE on {len(pieces):,} segments ({sum(map(len, pieces)):,} bases)")
    tok = train_bpe(pieces, vocab_size=vocab_size, min_frequency=min_frequency, model_max_length=max_length)
    _save(tok, output)


def _save(tok, output: Path) -> None:
    tok.save_pretrained(output)
    typer.echo(f"saved {type(tok).__name__} (vocabulary {len(tok):,}) to {output}")


@tokenizer_app.command("check")
def tokenizer_check(
    tokenizer: Annotated[str, typer.Argument(help="Tokenizer or model directory, or hub id.")],
    data: Annotated[Path | None, typer.Argument(help="Sequence file or split folder.")] = None,
    split: Annotated[list[str] | None, typer.Option(help="Split(s) of a folder; default all.")] = None,
    classes: Classes = None,
    max_length: int | None = None,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    sequence_column: str | None = None,
    label_column: str | None = None,
):
    """Unknown-token rate and truncation count at MAX_LENGTH, per split."""
    from dnalm.io import find_splits
    from dnalm.tokenizers.dna import load_tokenizer, tokenizer_report

    tok = load_tokenizer(tokenizer)
    if data is not None and data.is_dir() and not classes:
        splits = split or sorted(find_splits(data))
    else:
        splits = [None]
    report = {
        s or "all": tokenizer_report(
            tok, (r.sequence for r in records_from(data, s, classes, sequence_column, label_column)), max_length
        )
        for s in splits
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(f"{'split':<8}{'sequences':>11}{'tokens':>12}{'unk rate':>10}{'truncated':>11}  (max_length)")
    for name, r in report.items():
        typer.echo(
            f"{name:<8}{r['n_sequences']:>11,}{r['n_tokens']:>12,}{r['unk_rate']:>10.4%}"
            f"{r['n_truncated']:>11,}  ({r['max_length']})"
        )


# -- synthetic data ------------------------------------------------------------------------
def _write_split(records, output: Path, dev_fraction: float, test_fraction: float, seed: int) -> None:
    from dnalm.synth import write_splits

    n = write_splits(records, output, dev_fraction=dev_fraction, test_fraction=test_fraction, seed=seed)
    typer.echo(
        f"wrote {n['train']} train + {n['dev']} dev + {n['test']} test sequences to "
        f"{output}/train.csv, dev.csv, test.csv"
    )


_DEV = typer.Option(0.15, help="Stratified fraction of all sequences written to dev.csv (validation).")
_TEST = typer.Option(0.15, help="Stratified fraction of all sequences written to test.csv (read once, at the end).")


@synth_app.command("tata")
def synth_tata(
    output: OutDir,
    n: int = 1000,
    length: int = 100,
    seed: int = 0,
    dev_fraction: float = _DEV,
    test_fraction: float = _TEST,
):
    """The seed notebook's TATA-box set: half with TATAAA (label 1), half without on either strand."""
    from dnalm.synth import tata_dataset

    _write_split(tata_dataset(n, length, seed=seed), output, dev_fraction, test_fraction, seed)


@synth_app.command("motif")
def synth_motif(
    output: OutDir,
    motif: str | None = typer.Option(None, help="Consensus motif (A/C/G/T)."),
    pwm: Path | None = typer.Option(None, help="Position weight matrix file (L rows: A C G T)."),
    rate: float = typer.Option(0.5, help="Fraction of sequences with the motif (label 1)."),
    n: int = 1000,
    length: int = 100,
    gc: float = 0.5,
    seed: int = 0,
    dev_fraction: float = _DEV,
    test_fraction: float = _TEST,
):
    """Implant a motif or PWM sample into random background sequence."""
    from dnalm.synth import motif_dataset, read_pwm

    records = motif_dataset(n, length, motif=motif, pwm=read_pwm(pwm) if pwm else None, rate=rate, gc=gc, seed=seed)
    _write_split(records, output, dev_fraction, test_fraction, seed)


@app.command()
def finetune(
    data: Annotated[Path | None, typer.Argument(help="Training data: file or split folder.")] = None,
    output: OutDir = Path("dnalm-model"),
    model: str | None = typer.Option(
        None,
        help="auto (the default recipe chooses from the data), a preset "
        "(pos-cnn, mini, tiny, dnabert-6, tinydnabert, cnn, cnn-gb, lstm), "
        "the shipped pretrained dnalm-mini, model YAML, checkpoint "
        "folder or hub id. (default: auto)",
    ),
    config: Path | None = typer.Option(None, help="YAML file with any finetune setting."),
    epochs: float | None = typer.Option(
        None, help="Passes over the training data (default: 8-30 by the recipe for auto, else 10)."
    ),
    seed: int | None = typer.Option(None, help="Seed of initialisation, shuffling and augmentation (default: 42)."),
    learning_rate: float | None = typer.Option(
        None, help="Peak AdamW learning rate (default: 2e-3 by the recipe for auto, else the preset's)."
    ),
    batch_size: int | None = typer.Option(
        None, min=1, help="Training batch (default: 32-128 by the recipe for auto, else the preset's)."
    ),
    max_length: int | None = typer.Option(
        None, help="Tokens per training sequence (default: the longest training sequence, capped by the model)."
    ),
    patience: int | None = typer.Option(None, help="Early-stopping patience in epochs (default: 3)."),
    from_scratch: bool | None = typer.Option(
        None,
        "--from-scratch",
        help="Checkpoint architecture, random weights (model auto: the recipe's CNN without dnalm-cnn's pretraining).",
    ),
    trust_remote_code: bool | None = typer.Option(
        None, "--trust-remote-code", help="Allow checkpoint code (DNABERT-2). Off by default."
    ),
    lora: bool | None = typer.Option(None, "--lora", help="Train LoRA adapters (needs peft)."),
    class_weights: bool | None = typer.Option(None, "--class-weights", help="Inverse-frequency class weights."),
    time_budget: str | None = typer.Option(
        None, help="Wall-clock limit, e.g. 90s, 10m, 1h (default: 10m for auto, none for other models)."
    ),
    self_pretrain: bool | None = typer.Option(
        None,
        "--self-pretrain",
        help="Masked-LM training on the training split's own sequences first (transformer models).",
    ),
    precision: str | None = typer.Option(
        None,
        help="auto (bf16 autocast where the CPU or GPU computes "
        "bf16 natively, else fp32), fp32, bf16 or fp16 (GPU). "
        "(default: auto)",
    ),
    problem_type: str | None = typer.Option(
        None,
        help="single_label_classification, multi_label_classification, regression, "
        "token_classification (a class per base) or token_regression (a value per base); "
        "see dnalm.finetune.tasks. (default: single_label_classification)",
    ),
    sequence_column: str | None = None,
    label_column: str | None = None,
    classes: Classes = None,
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace a non-empty OUTPUT that is not a dnalm model folder (refused otherwise)."
    ),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Continue the stopped run in OUTPUT.partial from its last checkpoint (same data and settings).",
    ),
):
    """Fine-tune a model (validation: the dev split, else a stratified part of train; never test).

    The model is written to OUTPUT.partial and moved onto OUTPUT when complete: a stopped run
    leaves the previous model in OUTPUT as it was, and --resume continues it from the last
    checkpoint (written at an epoch's end every checkpoint_interval, 2 minutes by default)."""
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune as run

    cfg = FinetuneConfig.load(
        config,
        model=model,
        epochs=epochs,
        seed=seed,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_length=max_length,
        early_stopping_patience=patience,
        from_scratch=from_scratch,
        trust_remote_code=trust_remote_code,
        lora=lora,
        class_weights=class_weights,
        problem_type=problem_type,
        time_budget=time_budget,
        self_pretrain=self_pretrain,
        sequence_column=sequence_column,
        label_column=label_column,
        precision=precision,
    )
    summary = run(cfg, data, output, classes=_parse_classes(classes or []) or None, overwrite=overwrite, resume=resume)
    val = summary["validation_metrics"]
    shown = [k for k in val if k.startswith("eval_") and not k.endswith(("runtime", "per_second", "epoch"))]
    typer.echo(
        f"saved to {output} (trained in {summary['precision']}); validation ({summary['validation']}): "
        + ", ".join(f"{k[5:]} {val[k]:.4f}" for k in shown)
    )


@app.command()
def evaluate(
    model: Annotated[str, typer.Argument(help="Fine-tuned model folder (or a model spec with --untrained).")],
    data: Annotated[Path | None, typer.Argument(help="Labelled file or split folder.")] = None,
    output: OutDir = Path("dnalm-eval"),
    split: str = typer.Option("test", help="Split of a folder."),
    batch_size: int = typer.Option(64, min=1),
    rc: bool | None = typer.Option(
        None, "--rc/--no-rc", help="Average with the reverse complement (default: as the model was trained)."
    ),
    untrained: bool = typer.Option(False, "--untrained", help="Fresh head: the before-fine-tuning baseline."),
    seed: int = 42,
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code"),
    classes: Classes = None,
    sequence_column: str | None = None,
    label_column: str | None = None,
):
    """Metrics, per-sequence predictions and confusion matrix on one split."""
    from dnalm.apply.evaluate import evaluate as run

    m = run(
        model,
        data,
        output,
        split=split,
        classes=_parse_classes(classes or []) or None,
        batch_size=batch_size,
        reverse_complement_average=rc,
        untrained=untrained,
        seed=seed,
        trust_remote_code=trust_remote_code,
        sequence_column=sequence_column,
        label_column=label_column,
    )
    if not m:  # another process of a multi-process run scored its share; the main process reports
        return
    keys = [
        k
        for k in (
            "accuracy",
            "precision",
            "recall",
            "specificity",
            "f1",
            "f1_macro",
            "mcc",
            "auroc",
            "auprc",
            "mse",
            "r2",
            "subset_accuracy",
        )
        if m.get(k) is not None
    ]
    typer.echo("  ".join(f"{k} {m[k]:.4f}" for k in keys) + f"  n {m['n_predictions']:,}")
    if m.get("constant_prediction"):
        typer.secho("warning: the model predicts a single class for every sequence", fg=typer.colors.YELLOW)
    typer.echo(
        f"wrote {output}/metrics.json, predictions.csv" + (", confusion_matrix.png" if "confusion_matrix" in m else "")
    )


@app.command()
def predict(
    model: Annotated[str, typer.Argument(help="Fine-tuned model folder.")],
    input: Annotated[Path, typer.Argument(help="FASTA/CSV/TSV of sequences.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output TSV/CSV.")] = Path("predictions.tsv"),
    batch_size: int = typer.Option(64, min=1),
    rc: bool | None = typer.Option(
        None, "--rc/--no-rc", help="Average with the reverse complement (default: as the model was trained)."
    ),
    stride: int | None = typer.Option(
        None, help="Bases between windows of a sequence longer than the model was trained on (default: half a window)."
    ),
    aggregate: str = typer.Option("mean", help="Combine a long sequence's window scores: mean or max."),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code"),
    sequence_column: str | None = None,
    label_column: str | None = None,
    regions: list[str] | None = typer.Option(
        None,
        "--regions",
        help="BED file or chr:start-end (repeatable): INPUT is an indexed genome, one row per region.",
    ),
):
    """Predict every sequence (long ones by sliding windows of the trained length, never truncated)."""
    from dnalm.apply.evaluate import predict_file

    n = predict_file(
        model,
        input,
        output,
        batch_size=batch_size,
        reverse_complement_average=rc,
        stride=stride,
        aggregate=aggregate,
        trust_remote_code=trust_remote_code,
        sequence_column=sequence_column,
        label_column=label_column,
        regions=regions,
    )
    typer.echo(f"wrote {n:,} predictions to {output}")


@app.command()
def scan(
    model: Annotated[str, typer.Argument(help="Fine-tuned two-class model folder.")],
    genome: Annotated[Path, typer.Argument(help="Genome FASTA or FASTA.gz (any number of contigs).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="bedGraph of the positive-class score.")] = Path(
        "scan.bedGraph"
    ),
    window: int | None = typer.Option(None, help="Window in bases (default: the length the model was trained on)."),
    stride: int | None = typer.Option(None, help="Bases between window starts (default: half a window)."),
    strand: str = typer.Option("both", help="both (strand-averaged), plus or minus."),
    peaks: Path | None = typer.Option(None, help="Also write BED peaks: merged windows at or above --threshold."),
    threshold: float = typer.Option(0.5, help="Score a window needs to be part of a peak."),
    bigwig: Path | None = typer.Option(None, help="Also write a bigWig (needs pyBigWig)."),
    batch_size: int = typer.Option(256, min=1),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code"),
    regions: list[str] | None = typer.Option(
        None, "--regions", help="BED file or chr:start-end (repeatable): scan only these (GENOME indexed by pyfaidx)."
    ),
):
    """Score windows along whole genomes; runs of N are skipped and counted."""
    from dnalm.apply.scan import scan_genome

    r = scan_genome(
        model,
        genome,
        output,
        window=window,
        stride=stride,
        strand=strand,
        peaks=peaks,
        threshold=threshold,
        bigwig=bigwig,
        batch_size=batch_size,
        trust_remote_code=trust_remote_code,
        regions=regions,
    )
    bases = sum(c["length"] for c in r.contigs)
    typer.echo(
        f"scanned {len(r.contigs)} contig(s), {bases:,} bases: {r.n_windows:,} windows of {r.window} every "
        f"{r.stride} ({r.n_skipped_windows:,} skipped for N), P({r.positive_label}) on {r.strand} strand(s), "
        f"{r.seconds:.0f} s ({bases / 1e6 / max(r.seconds, 1e-9):.3g} Mb/s); wrote "
        + ", ".join(r.files.values())
        + (f" ({r.n_peaks} peaks)" if r.n_peaks is not None else "")
    )


@app.command()
def variants(
    model: Annotated[str, typer.Argument(help="Fine-tuned two-class model folder.")],
    vcf: Annotated[Path, typer.Argument(help="VCF or VCF.gz (read with cyvcf2).")],
    genome: Annotated[Path, typer.Option(help="The reference genome FASTA(.gz) the VCF refers to.")],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="TSV, one row per alternate allele; .vcf/.vcf.gz: the VCF with scores in INFO."
        ),
    ] = Path("variants.tsv"),
    window: int | None = typer.Option(None, help="Window in bases (default: the trained length)."),
    strand: str = typer.Option("both", help="both (strand-averaged), plus or minus."),
    batch_size: int = typer.Option(256, min=1),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code"),
):
    """Score each variant: delta = log-odds(alt window) - log-odds(ref window); unscored rows say why."""
    from dnalm.apply.variants import score_variants

    r = score_variants(
        model,
        vcf,
        genome,
        output,
        window=window,
        strand=strand,
        batch_size=batch_size,
        trust_remote_code=trust_remote_code,
    )
    typer.echo(
        f"scored {r['n_scored']:,} of {r['n_alleles']:,} variant alleles ({r['window']}-base windows, "
        f"{r['strand']} strand(s)); wrote {r['output']}"
        + "".join(f"; {k}: {v}" for k, v in r["by_status"].items() if k != "ok")
    )


@app.command()
def interpret(
    model: Annotated[str, typer.Argument(help="Fine-tuned two-class model folder.")],
    input: Annotated[Path, typer.Argument(help="FASTA/CSV/TSV of sequences to explain.")],
    output: OutDir = Path("dnalm-interpret"),
    method: str = typer.Option(
        "ism",
        help="ism: in-silico saturation mutagenesis; ig: integrated gradients; deepliftshap: DeepLIFT "
        "against dinucleotide-shuffled references, averaged; gradxinput: gradient × input (the gradient "
        "methods need captum).",
    ),
    motifs: bool = typer.Option(
        False,
        "--motifs",
        help="Also cluster high-attribution seqlets into "
        "motifs and match them to JASPAR (needs pyjaspar): "
        "motifs.tsv, motifs.meme and motif logos.",
    ),
    limit: int = typer.Option(100, help="Sequences interpreted (the first ones of INPUT)."),
    logos: int = typer.Option(10, help="Logo PNGs drawn (the first ones)."),
    n_steps: int = typer.Option(50, help="Integration steps of ig."),
    shuffles: int = typer.Option(20, min=1, help="Dinucleotide-shuffled references per sequence of deepliftshap."),
    seed: int = typer.Option(0, help="Seed of deepliftshap's shuffles."),
    batch_size: int = typer.Option(256, min=1),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code"),
    sequence_column: str | None = None,
    label_column: str | None = None,
):
    """Per-base attributions (attributions.npz) and logos of what the score rests on; --motifs for motifs."""
    from dnalm.interpret.attributions import interpret_file

    r = interpret_file(
        model,
        input,
        output,
        method=method,
        motifs=motifs,
        limit=limit,
        logos=logos,
        batch_size=batch_size,
        n_steps=n_steps,
        n_shuffles=shuffles,
        seed=seed,
        trust_remote_code=trust_remote_code,
        columns={"sequence_column": sequence_column, "label_column": label_column},
    )
    typer.echo(
        f"interpreted {r['n_sequences']} sequence(s) by {r['method']}: {r['attributions']} and "
        f"{len(r['logos'])} logo(s) in {output}"
    )
    if motifs:
        typer.echo(
            f"{len(r['motifs'])} motif(s) in {output}/motifs.tsv"
            + "".join(
                f"\n  {m['motif']}: {m['consensus']} ({m['n_seqlets']} seqlets), best JASPAR match "
                f"{m['best_match_id']} {m['best_match_name']} (q={m['qvalue']})"
                for m in r["motifs"]
            )
        )


@app.command()
def models(as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """The names --model takes: auto (the default recipe), the presets, and the pretrained checkpoints
    shipped in the package. Any checkpoint folder, model YAML or hub id (owner/name) works too."""
    from dnalm.models.build import model_catalogue

    rows = model_catalogue()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(f"{'name':<13}{'kind':<24}{'architecture':<14}{'tokenizer':<14}{'size':<17}{'lr':>8}{'batch':>7}  note")
    for r in rows:
        typer.echo(
            f"{r['name']:<13}{r['kind']:<24}{r['architecture']:<14}{r['tokenizer']:<14}{r['size']:<17}"
            f"{r['learning_rate']!s:>8}{r['batch_size']!s:>7}  {r['note']}"
        )


@app.command()
def demo(
    output: OutDir = Path("dnalm-demo"),
    seed: int = 0,
    epochs: float = typer.Option(4, help="Epochs of fine-tuning for each model."),
):
    """The seed notebook end to end on built-in data: fine-tune the shipped pretrained model on a TATA set,
    reload, predict; then the same architecture from scratch, a CNN and an LSTM on the same split."""
    from dnalm.demo import run_demo

    run_demo(output, seed=seed, epochs=epochs, echo=typer.echo)


@app.command()
def corpus(
    fastas: Annotated[list[Path], typer.Argument(help="Genome FASTA(.gz) files.")],
    output: OutDir,
    min_length: int = 256,
    max_length: int = 1024,
    val_fraction: float = typer.Option(0.05, help="Fraction of blocks held out for validation."),
    block_size: int = typer.Option(100_000, help="Bases per block assigned to train or validation."),
    reverse_complement: bool = typer.Option(False, "--reverse-complement", help="Add reverse complements."),
    seed: int = 0,
):
    """Build a pretraining corpus: N runs dropped, random segments, validation held out by region."""
    from dnalm.lm.corpus import build_corpus

    s = build_corpus(
        fastas,
        output,
        min_length=min_length,
        max_length=max_length,
        val_fraction=val_fraction,
        block_size=block_size,
        add_reverse_complement=reverse_complement,
        seed=seed,
    )
    for split in ("train", "validation"):
        st = s[split]
        typer.echo(
            f"{split:<11}{st['segments']:>9,} segments {st['bases']:>13,} bases  GC {st['gc_content']:.3f}  "
            f"N/IUPAC dropped {st['ambiguous_dropped']:,}  short tails dropped {st['short_tail_dropped']:,}"
        )
    typer.echo(f"wrote {output} (datasets on disk) and {output}/summary.json")


@app.command()
def pretrain(
    corpus: Annotated[Path, typer.Argument(help="Corpus folder from dnalm corpus.")],
    output: OutDir,
    model: str | None = typer.Option(
        None,
        help="Recipe (tinydnabert, dnabert, tinydnabert-cpu, dnabert-cpu, mini-cpu, "
        "pos-cnn-cpu: the default recipe's CNN), model preset/YAML, or checkpoint. (default: tiny)",
    ),
    config: Path | None = typer.Option(None, help="YAML with PretrainConfig settings."),
    max_steps: int | None = None,
    batch_size: int | None = typer.Option(None, min=1),
    learning_rate: float | None = None,
    mlm_probability: float | None = None,
    span_length: int | None = None,
    save_steps: int | None = None,
    eval_steps: int | None = None,
    seed: int | None = None,
    time_budget: str | None = typer.Option(
        None, help="Wall-clock limit, e.g. 5m, 30m, 1h: the steps that fit, planned from the measured speed."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in OUTPUT from its last checkpoint."),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace an earlier pretraining run in OUTPUT, or write into a non-empty folder dnalm did not write.",
    ),
):
    """Masked-language-model pretraining (leak-free span masking for k-mer models), scored per base on
    held-out regions beside a Markov chain and a two-sided count model (OUTPUT/lm_metrics.json)."""
    from dnalm.lm.pretrain import pretrain as run
    from dnalm.lm.pretrain import resolve_pretrain_config

    cfg = resolve_pretrain_config(
        model,
        config,
        max_steps=max_steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        mlm_probability=mlm_probability,
        span_length=span_length,
        save_steps=save_steps,
        eval_steps=eval_steps,
        seed=seed,
        time_budget=time_budget,
    )
    s = run(cfg, corpus, output, resume=resume, overwrite=overwrite)
    val = s["validation"]
    typer.echo(
        f"{s['steps']} steps; validation loss {val.get('eval_loss', float('nan')):.4f}, perplexity "
        f"{val.get('eval_perplexity', float('nan')):.2f}, masked accuracy "
        f"{val.get('eval_masked_accuracy', float('nan')):.4f}; saved to {output} (loss_curve.png)"
    )
    if s["lm_metrics"]:
        from dnalm.lm.evaluate import describe

        typer.echo(f"{describe(s['lm_metrics'])}; wrote {output}/lm_metrics.json")


@app.command("lm-eval")
def lm_eval_cmd(
    model: Annotated[str, typer.Argument(help="Masked-LM model folder, or dnalm-mini.")],
    corpus: Annotated[Path, typer.Argument(help="Corpus folder from dnalm corpus (its validation split).")],
    output: Path = typer.Option(Path("lm_metrics.json"), "--output", "-o", help="JSON file to write."),
    examples: int = typer.Option(1000, help="Held-out windows scored."),
    max_length: int | None = typer.Option(None, help="Tokens per window (default: as pretrained)."),
    seed: int = 42,
):
    """Per-base held-out accuracy and bits per base beside a Markov chain and a two-sided count model."""
    from dnalm.lm.pretrain import score_language_model

    lm = score_language_model(model, corpus, output, max_length=max_length, examples=examples, seed=seed)
    typer.echo(json.dumps(lm, indent=2))


@app.command("fill-mask")
def fill_mask_cmd(
    model: Annotated[str, typer.Argument(help="Pretrained (masked-LM) model folder or hub id.")],
    sequence: Annotated[str, typer.Argument(help="DNA with <mask> for each unknown base.")],
    top_k: int = 5,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Predict masked bases (k-mer/base models: per-base A/C/G/T probabilities)."""
    from dnalm.lm.inference import fill_mask

    result = fill_mask(model, sequence, top_k=top_k)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for r in result:
        where = f"base {r['position']}" if "position" in r else f"mask {r['mask']}"
        probs = "  ".join(f"{k} {v:.3f}" for k, v in r["probabilities"].items())
        typer.echo(f"{where}: {r['best']}   ({probs})")


@app.command()
def embed(
    model: Annotated[str, typer.Argument(help="Transformer model folder or hub id.")],
    input: Annotated[Path, typer.Argument(help="FASTA/CSV/TSV of sequences.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="emb.npy or emb.parquet")],
    pooling: str = typer.Option("mean", help="mean or cls"),
    batch_size: int = typer.Option(64, min=1),
    sequence_column: str | None = None,
):
    """One embedding per sequence (long sequences: mean over windows)."""
    from dnalm.io import read_sequences
    from dnalm.lm.inference import check_embeddings_path, write_embeddings
    from dnalm.lm.inference import embed as run

    check_embeddings_path(output)
    records = list(read_sequences(input, sequence_column=sequence_column))
    vectors = run(model, [r.sequence for r in records], pooling=pooling, batch_size=batch_size)
    write_embeddings(vectors, [r.id for r in records], output)
    typer.echo(f"wrote {vectors.shape[0]:,} x {vectors.shape[1]} embeddings to {output}")


# -- experiments -------------------------------------------------------------------------
@app.command()
def benchmark(
    config: Annotated[Path, typer.Argument(help="Benchmark YAML (datasets, models, seeds, search).")],
    output: OutDir = Path("dnalm-benchmark"),
):
    """Datasets x models x seeds -> results.md/csv/json (mean ± std); resumes an interrupted run."""
    from dnalm.experiment.config import BenchmarkConfig
    from dnalm.experiment.runner import run_benchmark

    cfg = BenchmarkConfig.load(config)
    rows = run_benchmark(cfg, output)
    typer.echo((output / "results.md").read_text().split("\n## ")[0])
    typer.echo(
        f"{len(rows)} rows; wrote {output}/results.md, results.csv, results.json"
        + (", report.html, report.md" if (output / "report.html").is_file() else "")
    )


@app.command()
def search(
    config: Annotated[Path, typer.Argument(help="Benchmark YAML with a search section.")],
    output: OutDir = Path("dnalm-benchmark"),
):
    """Hyperparameter search (grid or Optuna) on validation only; `dnalm benchmark` then uses the choice."""
    from dnalm.experiment.config import BenchmarkConfig
    from dnalm.experiment.search import run_search

    cfg = BenchmarkConfig.load(config)
    if not cfg.search:
        raise ValueError(f"{config}: no 'search' section")
    chosen = run_search(cfg, output)
    for c in chosen.values():
        typer.echo(
            f"{c.dataset} / {c.model}: {json.dumps(c.params)} (validation {c.metric} "
            f"{c.value:.4f} of {len(c.trials)} trials)"
        )


@app.command()
def audit(
    data: Annotated[Path, typer.Argument(help="Split folder (train/dev/test).")],
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON result."),
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Also write the JSON here.")] = None,
    min_shared: int = typer.Option(50, help="Near duplicate: shares this many bases on either strand."),
    max_ids: int = typer.Option(1000, help="Offending id pairs listed per split pair and kind."),
    tokenizer: str = typer.Option(
        "kmer6",
        help="Tokenizer for the unknown-token and truncation report: "
        "kmerK (DNABERT k-mers), base, or a tokenizer/model folder "
        "or hub id; 'none' skips the report.",
    ),
    max_length: int = typer.Option(512, help="Token limit for the truncation count."),
    dedup: Annotated[
        Path | None, typer.Option(help="Write a copy of DATA whose train split drops rows duplicating dev/test rows.")
    ] = None,
    dedup_kinds: str = typer.Option("exact,rc,near", help="Which duplicates --dedup removes."),
    sequence_column: str | None = None,
    label_column: str | None = None,
):
    """Leakage audit: exact, reverse-complement and near duplicates within and across splits."""
    from dnalm.audit import audit_dataset, format_audit, write_deduplicated
    from dnalm.io.files import check_output_file, write_json
    from dnalm.tokenizers.dna import tokenizer_by_name

    if output:
        check_output_file(output)
    tok = None if tokenizer == "none" else tokenizer_by_name(tokenizer)
    columns = {"sequence_column": sequence_column, "label_column": label_column}
    result = audit_dataset(
        data, min_shared=min_shared, max_ids=max_ids, tokenizer=tok, max_length=max_length, columns=columns
    )
    if dedup:
        result["deduplicated"] = {
            "output": str(dedup),
            **write_deduplicated(
                data,
                dedup,
                min_shared=min_shared,
                kinds=tuple(k.strip() for k in dedup_kinds.split(",") if k),
                columns=columns,
            ),
        }
    if output:
        write_json(output, result)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(format_audit(result))
    if dedup:
        d = result["deduplicated"]
        typer.echo(
            f"wrote {dedup}: train {d['train_before']:,} -> {d['train_after']:,} rows "
            f"({d['removed_by_reason']}); removed ids in {dedup}/removed.tsv"
        )


@app.command()
def report(
    runs: Annotated[Path, typer.Argument(help="Folder written by dnalm benchmark / search.")],
    output: OutDir = Path("report.html"),
    pretrain: Annotated[list[Path] | None, typer.Option(help="Pretraining run folder(s) to include.")] = None,
    title: str | None = None,
):
    """Self-contained HTML report (plots embedded) plus Markdown and PNGs."""
    from dnalm.experiment.report import build_report

    out = build_report(runs, output, pretrain=pretrain, title=title)
    typer.echo(f"wrote {out['html']} and {out['markdown']} ({out['n_figures']} figures in {out['figures']})")


if __name__ == "__main__":
    main()
