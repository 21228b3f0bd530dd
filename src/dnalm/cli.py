"""The ``dnalm`` command line: each command parses its options and calls one library function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import typer.core

from dnalm.finetune.config import FinetuneConfig
from dnalm.io.datasets import parse_class_files, read_records
from dnalm.lm.corpus import CorpusSettings
from dnalm.lm.pretrain import LmEvalSettings, PretrainConfig
from dnalm.runtime import process
from dnalm.settings import cli_options
from dnalm.synth import MotifSettings, SynthSettings, synthesize
from dnalm.tokenizers.build import BpeSettings, KmerSettings, save_tokenizer, train_bpe_folder

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
    list[str] | None,
    typer.Option(
        "--class", help="LABEL=FASTA, one per class (instead of DATA's own labels).", callback=parse_class_files
    ),
]

Target = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="Class to score (a label of the model). Default: the label named 1, true, positive, pos or yes, "
        "else the model's second label (labels promoter/random: random); the class used is printed and "
        "written into the output.",
    ),
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
    _STATE["debug"] = debug
    process.configure_output(quiet=quiet, log_file=log_file, debug=debug)
    process.prepare(ctx.invoked_subcommand)


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
        process.finish(succeeded)


def _claim(command: str, inputs: list, outputs: list):
    """Hold the command's claim on its outputs (:mod:`dnalm.io.outputs`) until the command ends."""
    try:  # typer vendors click in newer versions
        from typer._click.globals import get_current_context
    except ImportError:
        from click import get_current_context

    from dnalm.io.outputs import claim

    return get_current_context().with_resource(claim(command, inputs=inputs, outputs=outputs))


def _folder_output(command: str, output: Path, kind: str, inputs: list | None = None) -> Path:
    from dnalm.io.outputs import Output

    return _claim(command, inputs or [], [Output(output, kind)]).path(output)


# -- tokenizer ---------------------------------------------------------------------------
@tokenizer_app.command("kmer")
@cli_options(KmerSettings)
def tokenizer_kmer(output: OutDir, overrides: dict | None = None):
    """Overlapping k-mer tokenizer with DNABERT's vocabulary and ids."""
    typer.echo(save_tokenizer("kmer", _folder_output("tokenizer kmer", output, "tokenizer"), **overrides))


@tokenizer_app.command("nonoverlap")
@cli_options(KmerSettings)
def tokenizer_nonoverlap(output: OutDir, overrides: dict | None = None):
    """Non-overlapping k-mers (Nucleotide Transformer style)."""
    typer.echo(save_tokenizer("nonoverlap", _folder_output("tokenizer nonoverlap", output, "tokenizer"), **overrides))


@tokenizer_app.command("base")
@cli_options(KmerSettings, only=("max_length",))
def tokenizer_base(output: OutDir, overrides: dict | None = None):
    """One token per nucleotide."""
    typer.echo(save_tokenizer("base", _folder_output("tokenizer base", output, "tokenizer"), **overrides))


@tokenizer_app.command("bpe")
@cli_options(BpeSettings)
def tokenizer_bpe(
    inputs: Annotated[list[Path], typer.Argument(help="FASTA(.gz) or sequence tables.")],
    output: OutDir,
    overrides: dict | None = None,
):
    """Train a BPE vocabulary on DNA (TinyDNABERT defaults)."""
    output = _folder_output("tokenizer bpe", output, "tokenizer", inputs)
    typer.echo(train_bpe_folder(inputs, output, **overrides))


@tokenizer_app.command("check")
def tokenizer_check(
    tokenizer: Annotated[str, typer.Argument(help="Tokenizer or model directory, or hub id.")],
    data: Annotated[Path | None, typer.Argument(help="Sequence file or split folder.")] = None,
    split: Annotated[list[str] | None, typer.Option(help="Split(s) of a folder; default all.")] = None,
    classes: Classes = None,
    max_length: int | None = typer.Option(
        None, help="Token limit for the truncation count (default: the tokenizer's)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Unknown-token rate and truncation count at MAX_LENGTH, per split."""
    from dnalm.io import find_splits
    from dnalm.tokenizers.build import check_tokenizer, format_check

    folder = data is not None and data.is_dir() and not classes
    splits = (split or sorted(find_splits(data))) if folder else [None]
    report = check_tokenizer(tokenizer, lambda s: read_records(data, s, classes), splits, max_length)
    typer.echo(json.dumps(report, indent=2) if as_json else format_check(report))


# -- synthetic data ------------------------------------------------------------------------
@synth_app.command("tata")
@cli_options(SynthSettings)
def synth_tata(output: OutDir, overrides: dict | None = None):
    """The seed notebook's TATA-box set: half with TATAAA (label 1), half without on either strand."""
    typer.echo(synthesize("tata", _folder_output("synth tata", output, "synth"), **overrides))


@synth_app.command("motif")
@cli_options(MotifSettings)
def synth_motif(output: OutDir, overrides: dict | None = None):
    """Implant a motif or PWM sample into random background sequence."""
    output = _folder_output("synth motif", output, "synth", [overrides.get("pwm")])
    typer.echo(synthesize("motif", output, **overrides))


@app.command()
@cli_options(FinetuneConfig)
def finetune(
    data: Annotated[Path | None, typer.Argument(help="Training data: file or split folder.")] = None,
    output: OutDir = Path("dnalm-model"),
    config: Path | None = typer.Option(None, help="YAML file with any finetune setting (options given win)."),
    classes: Classes = None,
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace a non-empty OUTPUT that is not a dnalm model folder (refused otherwise)."
    ),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Continue the stopped run in OUTPUT.partial from its last checkpoint (same data and settings).",
    ),
    overrides: dict | None = None,
):
    """Fine-tune a model (validation: the dev split, else a stratified part of train; never test).

    The model is written to OUTPUT.partial and moved onto OUTPUT when complete: a stopped run
    leaves the previous model in OUTPUT as it was, and --resume continues it from the last
    checkpoint (written at an epoch's end every checkpoint_interval, 2 minutes by default)."""
    from dnalm.finetune.train import finetune as run

    cfg = FinetuneConfig.load(config, **overrides)
    result = run(cfg, data, output, classes=classes, overwrite=overwrite, resume=resume)
    typer.echo(result.describe())


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
):
    """Metrics, per-sequence predictions and confusion matrix on one split."""
    from dnalm.apply.evaluate import evaluate as run

    m = run(
        model,
        data,
        output,
        split=split,
        classes=classes,
        batch_size=batch_size,
        reverse_complement_average=rc,
        untrained=untrained,
        seed=seed,
        trust_remote_code=trust_remote_code,
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
    )
    typer.echo(f"wrote {n:,} predictions to {output}")


@app.command()
def scan(
    model: Annotated[str, typer.Argument(help="Fine-tuned two-class model folder.")],
    genome: Annotated[Path, typer.Argument(help="Genome FASTA or FASTA.gz (any number of contigs).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="bedGraph of the --target class's score.")] = Path(
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
    target: Target = None,
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
        target=target,
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
    output: Annotated[Path, typer.Option("-o", "--output", help="TSV, one row per alternate allele.")] = Path(
        "variants.tsv"
    ),
    window: int | None = typer.Option(None, help="Window in bases (default: the trained length)."),
    strand: str = typer.Option("both", help="both (strand-averaged), plus or minus."),
    batch_size: int = typer.Option(256, min=1),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code"),
    target: Target = None,
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
        target=target,
    )
    typer.echo(
        f"scored {r['n_scored']:,} of {r['n_alleles']:,} variant alleles ({r['window']}-base windows, "
        f"{r['strand']} strand(s); score: {r['score']}); wrote {r['output']}"
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
        "motifs.tsv and motif logos.",
    ),
    limit: int = typer.Option(100, help="Sequences interpreted (the first ones of INPUT)."),
    logos: int = typer.Option(10, help="Logo PNGs drawn (the first ones)."),
    n_steps: int = typer.Option(50, help="Integration steps of ig."),
    shuffles: int = typer.Option(20, min=1, help="Dinucleotide-shuffled references per sequence of deepliftshap."),
    seed: int = typer.Option(0, help="Seed of deepliftshap's shuffles."),
    batch_size: int = typer.Option(256, min=1),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code"),
    target: Target = None,
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
        target=target,
    )
    typer.echo(
        f"interpreted {r['n_sequences']} sequence(s) by {r['method']} for P({r['target']}): {r['attributions']} and "
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
    from dnalm.models.build import format_catalogue, model_catalogue

    rows = model_catalogue()
    typer.echo(json.dumps(rows, indent=2) if as_json else format_catalogue(rows))


@app.command()
def demo(
    output: OutDir = Path("dnalm-demo"),
    seed: int = 0,
    epochs: float | None = typer.Option(
        None, help="Epochs of fine-tuning for each model, fixed (no time budget) (default: 8)."
    ),
):
    """The seed notebook end to end on built-in data: fine-tune the shipped pretrained language model (dnalm-cnn)
    on a TATA set, reload, predict; then the same architecture from scratch, a CNN and an LSTM on the same split."""
    from dnalm.demo import run_demo

    run_demo(output, seed=seed, epochs=epochs, echo=typer.echo)


@app.command()
@cli_options(CorpusSettings)
def corpus(
    fastas: Annotated[list[Path], typer.Argument(help="Genome FASTA(.gz) files.")],
    output: OutDir,
    overrides: dict | None = None,
):
    """Build a pretraining corpus: N runs dropped, random segments, validation held out by region."""
    from dnalm.lm.corpus import build_corpus, describe

    typer.echo(describe(build_corpus(fastas, output, **overrides), output))


@app.command()
@cli_options(PretrainConfig)
def pretrain(
    corpus: Annotated[Path, typer.Argument(help="Corpus folder from dnalm corpus.")],
    output: OutDir,
    config: Path | None = typer.Option(None, help="YAML with PretrainConfig settings (options given win)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in OUTPUT from its last checkpoint."),
    overwrite: bool = typer.Option(
        False,
        "--overwrite",
        help="Replace an earlier pretraining run in OUTPUT, or write into a non-empty folder dnalm did not write.",
    ),
    overrides: dict | None = None,
):
    """Masked-language-model pretraining (leak-free span masking for k-mer models), scored per base on
    held-out regions beside a Markov chain and a two-sided count model (OUTPUT/lm_metrics.json)."""
    from dnalm.lm.pretrain import describe, resolve_pretrain_config
    from dnalm.lm.pretrain import pretrain as run

    cfg = resolve_pretrain_config(overrides.pop("model", None), config, **overrides)
    typer.echo(describe(run(cfg, corpus, output, resume=resume, overwrite=overwrite), output))


@app.command("lm-eval")
@cli_options(LmEvalSettings)
def lm_eval_cmd(
    model: Annotated[str, typer.Argument(help="Masked-LM model folder, or dnalm-mini.")],
    corpus: Annotated[Path, typer.Argument(help="Corpus folder from dnalm corpus (its validation split).")],
    output: Path = typer.Option(Path("lm_metrics.json"), "--output", "-o", help="JSON file to write."),
    overrides: dict | None = None,
):
    """Per-base held-out accuracy and bits per base beside a Markov chain and a two-sided count model."""
    from dnalm.lm.pretrain import score_language_model

    typer.echo(json.dumps(score_language_model(model, corpus, output, **overrides), indent=2))


@app.command("fill-mask")
def fill_mask_cmd(
    model: Annotated[str, typer.Argument(help="Pretrained (masked-LM) model folder or hub id.")],
    sequence: Annotated[str, typer.Argument(help="DNA with <mask> for each unknown base.")],
    top_k: int = typer.Option(5, help="Tokens listed per mask (models with whole-token masks)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code", help="Allow checkpoint code (DNABERT-2)."),
):
    """Predict masked bases (k-mer/base models: per-base A/C/G/T probabilities)."""
    from dnalm.lm.inference import fill_mask, format_fill_mask

    result = fill_mask(model, sequence, top_k=top_k, trust_remote_code=trust_remote_code)
    typer.echo(json.dumps(result, indent=2) if as_json else format_fill_mask(result))


@app.command()
def embed(
    model: Annotated[str, typer.Argument(help="Transformer model folder or hub id.")],
    input: Annotated[Path, typer.Argument(help="FASTA/CSV/TSV of sequences.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="emb.npy or emb.parquet")],
    pooling: str = typer.Option("mean", help="mean or cls"),
    batch_size: int = typer.Option(64, min=1),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code"),
):
    """One embedding per sequence (long sequences: mean over windows)."""
    from dnalm.io import read_sequences
    from dnalm.io.outputs import Output
    from dnalm.lm.inference import check_embeddings_path, write_embeddings
    from dnalm.lm.inference import embed as run

    ids = [Output(output.with_suffix(".ids.txt"))] if output.suffix == ".npy" else []
    output = _claim("embed", [model, input], [Output(output), *ids]).path(output)
    check_embeddings_path(output)
    records = list(read_sequences(input))
    vectors = run(
        model,
        [r.sequence for r in records],
        pooling=pooling,
        batch_size=batch_size,
        trust_remote_code=trust_remote_code,
    )
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
    from dnalm.experiment.runner import describe, run_benchmark

    typer.echo(describe(run_benchmark(BenchmarkConfig.load(config), output), output))


@app.command()
def search(
    config: Annotated[Path, typer.Argument(help="Benchmark YAML with a search section.")],
    output: OutDir = Path("dnalm-benchmark"),
):
    """Hyperparameter search (grid or Optuna) on validation only; `dnalm benchmark` then uses the choice."""
    from dnalm.experiment.config import BenchmarkConfig
    from dnalm.experiment.search import describe, run_search

    cfg = BenchmarkConfig.load(config)
    if not cfg.search:
        raise ValueError(f"{config}: no 'search' section")
    typer.echo(describe(run_search(cfg, output)))


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
):
    """Leakage audit: exact, reverse-complement and near duplicates within and across splits."""
    from dnalm.audit import audit_dataset, format_audit, write_deduplicated
    from dnalm.io.files import write_json
    from dnalm.io.outputs import Output
    from dnalm.tokenizers.dna import tokenizer_by_name

    _claim("audit", [data], [Output(p, k) for p, k in ((output, "file"), (dedup, "dedup")) if p])
    tok = None if tokenizer == "none" else tokenizer_by_name(tokenizer)
    result = audit_dataset(data, min_shared=min_shared, max_ids=max_ids, tokenizer=tok, max_length=max_length)
    if dedup:
        result["deduplicated"] = {
            "output": str(dedup),
            **write_deduplicated(
                data, dedup, min_shared=min_shared, kinds=tuple(k.strip() for k in dedup_kinds.split(",") if k)
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
