"""The ``dnalm`` command line: each command parses its options and calls one library function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dnalm._version import __version__
from dnalm.apply.settings import EvaluateSettings, PredictSettings, ScanSettings, VariantSettings
from dnalm.audit import AuditSettings
from dnalm.finetune.config import FinetuneConfig
from dnalm.interpret.settings import InterpretSettings
from dnalm.io.datasets import parse_class_files
from dnalm.io.outputs import OutputError, file_output
from dnalm.lm.corpus import CorpusSettings
from dnalm.lm.inference_settings import EmbedSettings
from dnalm.lm.pretrain import LmEvalSettings, PretrainConfig
from dnalm.runtime import process
from dnalm.runtime.commands import STATE, Commands
from dnalm.runtime.process import say
from dnalm.settings import KEEPS_RUNS_HELP, OVERWRITE_HELP, SPELLING, TRUST_HELP, cli_options, whole_number
from dnalm.synth import MotifSettings, SynthSettings, synthesize
from dnalm.tokenizers.build import BpeSettings, KmerSettings, save_tokenizer, train_bpe_folder

app = typer.Typer(
    cls=Commands,
    help="DNA language models: tokenize, fine-tune, pretrain, evaluate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
tokenizer_app = typer.Typer(help="Build or train a tokenizer, or check one on data.", no_args_is_help=True)
synth_app = typer.Typer(help="Write synthetic labelled DNA (train.csv, dev.csv, test.csv).", no_args_is_help=True)
app.add_typer(tokenizer_app, name="tokenizer")
app.add_typer(synth_app, name="synth")


def _file(value: str) -> Path:
    """A file output as typed: a trailing '/' (a folder's name) is refused, not dropped as pathlib drops it."""
    try:
        return file_output(value)
    except OutputError as err:
        raise typer.BadParameter(str(err)) from None


OutDir = Annotated[Path, typer.Option("-o", "--output", help="Output directory.")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help=OVERWRITE_HELP)]
KeepsRuns = Annotated[bool, typer.Option("--overwrite", help=KEEPS_RUNS_HELP)]  # benchmark and search
TABLE_HELP = "Output table: tab-separated for a .tsv name, comma-separated for any other (.csv) and for - (stdout)."
BedGraph = Annotated[Path, typer.Option("-o", "--output", help="bedGraph of the --target class's score.", parser=_file)]
Classifier = Annotated[str, typer.Argument(help="Fine-tuned classifier folder (more than two classes: --target).")]
Classes = Annotated[list[str] | None, typer.Option("--class", help="LABEL=FASTA, one per class (not DATA's labels).")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dnalm {__version__}")
        raise typer.Exit()


@app.callback()
def _setup(
    ctx: typer.Context,
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Log warnings and errors only (a command still prints its result line)."
    ),
    log_file: str | None = typer.Option(None, help="Also append the log to this file (in an output folder: *.log)."),
    debug: bool = typer.Option(False, help="Show Python tracebacks and transformers' own messages."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
):
    """DNA language models: tokenize, fine-tune, pretrain, evaluate."""
    STATE["debug"] = debug
    SPELLING["cli"] = True  # messages name --overwrite, not overwrite=True
    ctx.call_on_close(lambda: SPELLING.update(cli=False))  # (a test or notebook calls the library next)
    process.configure_output(quiet=quiet, log_file=log_file, debug=debug)
    process.prepare(ctx.invoked_subcommand)


def main() -> None:
    """The ``dnalm`` command (errors are handled once, by :class:`~dnalm.runtime.commands.Commands`)."""
    process.start()
    succeeded = False
    try:
        app()
        succeeded = True
    except SystemExit as done:  # typer ends every command this way
        succeeded = done.code in (0, None)
        if isinstance(done.__context__, BrokenPipeError):  # rich's help or table into a closed pipe (| head)
            raise SystemExit(141) from None  # as a Unix tool stopped by SIGPIPE: 128 + 13, not 1 (a failure)
        raise
    finally:
        process.finish(succeeded)


# -- tokenizer ---------------------------------------------------------------------------
@tokenizer_app.command("kmer")
@cli_options(KmerSettings, overwrite=True)
def tokenizer_kmer(output: OutDir, overrides: dict | None = None):
    """Overlapping k-mer tokenizer with DNABERT's vocabulary and ids."""
    say(save_tokenizer("kmer", output, **overrides))


@tokenizer_app.command("nonoverlap")
@cli_options(KmerSettings, overwrite=True)
def tokenizer_nonoverlap(output: OutDir, overrides: dict | None = None):
    """Non-overlapping k-mers (Nucleotide Transformer style)."""
    say(save_tokenizer("nonoverlap", output, **overrides))


@tokenizer_app.command("base")
@cli_options(KmerSettings, only=("max_length",), overwrite=True)
def tokenizer_base(output: OutDir, overrides: dict | None = None):
    """One token per nucleotide."""
    say(save_tokenizer("base", output, **overrides))


@tokenizer_app.command("bpe")
@cli_options(BpeSettings, overwrite=True)
def tokenizer_bpe(
    inputs: Annotated[list[Path], typer.Argument(help="FASTA(.gz) or sequence tables.")],
    output: OutDir,
    overrides: dict | None = None,
):
    """Train a BPE vocabulary on DNA (TinyDNABERT defaults)."""
    say(train_bpe_folder(inputs, output, **overrides))


@tokenizer_app.command("check")
def tokenizer_check(
    tokenizer: Annotated[str, typer.Argument(help="Tokenizer or model directory, or hub id.")],
    data: Annotated[Path | None, typer.Argument(help="Sequence file or split folder.")] = None,
    split: Annotated[list[str] | None, typer.Option(help="Split(s) of a folder; default all.")] = None,
    classes: Classes = None,
    max_length: int | None = typer.Option(
        None, help="Truncation counted past it (default: the tokenizer's).", parser=whole_number
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    sequence_column: str | None = typer.Option(None, help="Column of a table holding the sequence."),
    label_column: str | None = typer.Option(None, help="Not used: the check reads no labels (refused when given)."),
):
    """Unknown-token rate and truncation count at MAX_LENGTH, per split."""
    from dnalm.audit import check_tokenizer_on, format_check

    columns = {"sequence_column": sequence_column, "label_column": label_column}
    report = check_tokenizer_on(
        tokenizer, data, split, classes=parse_class_files(classes), max_length=max_length, **columns
    )
    say(json.dumps(report, indent=2) if as_json else format_check(report))


# -- synthetic data ------------------------------------------------------------------------
@synth_app.command("tata")
@cli_options(SynthSettings, overwrite=True)
def synth_tata(output: OutDir, overrides: dict | None = None):
    """The seed notebook's TATA-box set: half with TATAAA (label 1), half without on either strand."""
    say(synthesize("tata", output, **overrides))


@synth_app.command("motif")
@cli_options(MotifSettings, overwrite=True)
def synth_motif(output: OutDir, overrides: dict | None = None):
    """Implant a motif or PWM sample into random background sequence."""
    say(synthesize("motif", output, **overrides))


@app.command()
@cli_options(FinetuneConfig)
def finetune(
    data: Annotated[Path | None, typer.Argument(help="Training data: file or split folder.")] = None,
    output: OutDir = Path("dnalm-model"),
    config: Path | None = typer.Option(None, help="YAML file with any finetune setting (options given win)."),
    classes: Classes = None,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a finished model in OUTPUT (else refused)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the stopped run in OUTPUT.partial (same settings)."),
    overrides: dict | None = None,
):
    """Fine-tune a model (validation: the dev split, else a stratified part of train; never test).

    The model is written to OUTPUT.partial and moved onto OUTPUT when complete: a stopped run
    leaves the previous model in OUTPUT as it was, and --resume continues it from the last
    checkpoint (written at an epoch's end every checkpoint_interval, 2 minutes by default)."""
    from dnalm.finetune.train import finetune as run

    cfg = FinetuneConfig.load(config, **overrides)
    say(run(cfg, data, output, classes=parse_class_files(classes), overwrite=overwrite, resume=resume).describe(output))


@app.command()
@cli_options(EvaluateSettings, overwrite=True)
def evaluate(
    model: Annotated[str, typer.Argument(help="Fine-tuned model folder (or a model spec with --untrained).")],
    data: Annotated[Path | None, typer.Argument(help="Labelled file or split folder.")] = None,
    output: OutDir = Path("dnalm-eval"),
    classes: Classes = None,
    overrides: dict | None = None,
):
    """Metrics, per-sequence predictions and confusion matrix on one split."""
    from dnalm.apply.evaluate import describe
    from dnalm.apply.evaluate import evaluate as run

    metrics = run(model, data, output, classes=parse_class_files(classes), **overrides)
    if metrics:  # empty in the other processes of a multi-process run: the main process reports
        say(describe(metrics, output))


@app.command()
@cli_options(PredictSettings, overwrite=True)
def predict(
    model: Annotated[str, typer.Argument(help="Fine-tuned model folder.")],
    input: Annotated[Path, typer.Argument(help="FASTA/CSV/TSV of sequences (a genome with --regions).")],
    output: Annotated[Path, typer.Option("-o", "--output", help=TABLE_HELP, parser=_file)] = Path("predictions.tsv"),
    overrides: dict | None = None,
):
    """Predict every sequence (long ones by sliding windows of the trained length, never truncated)."""
    from dnalm.apply.evaluate import predict_file
    from dnalm.io.files import is_stream

    n = predict_file(model, input, output, **overrides)
    say(f"wrote {n:,} prediction{'s' * (n != 1)} to {output}", err=is_stream(output))  # a stream holds the table only


@app.command()
@cli_options(ScanSettings, overwrite=True)
def scan(
    model: Classifier,
    genome: Annotated[Path, typer.Argument(help="Genome FASTA or FASTA.gz (any number of contigs).")],
    output: BedGraph = Path("scan.bedGraph"),
    peaks: Path | None = typer.Option(None, help="Also write BED peaks: merged windows at or above --threshold."),
    bigwig: Path | None = typer.Option(None, help="Also write a bigWig (needs pyBigWig)."),
    overrides: dict | None = None,
):
    """Score windows along whole genomes; runs of N are skipped and counted."""
    from dnalm.apply.scan import scan_genome

    say(scan_genome(model, genome, output, peaks=peaks, bigwig=bigwig, **overrides).describe())


@app.command()
@cli_options(VariantSettings, overwrite=True)
def variants(
    model: Annotated[str, typer.Argument(help="Fine-tuned classifier (--target), or a masked LM (zero-shot).")],
    vcf: Annotated[Path, typer.Argument(help="VCF or VCF.gz (read with cyvcf2).")],
    genome: Annotated[Path, typer.Option(help="The reference genome FASTA(.gz) the VCF refers to.")],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="TSV, one row per alternate allele; .vcf/.vcf.gz: the VCF with scores in INFO.",
            parser=_file,
        ),
    ] = Path("variants.tsv"),
    overrides: dict | None = None,
):
    """Score each variant: delta = log-odds(alt window) - log-odds(ref window); unscored rows say why."""
    from dnalm.apply.variants import describe, score_variants

    say(describe(score_variants(model, vcf, genome, output, **overrides)))


@app.command()
@cli_options(InterpretSettings, overwrite=True)
def interpret(
    model: Classifier,
    input: Annotated[Path, typer.Argument(help="FASTA/CSV/TSV of sequences to explain.")],
    output: OutDir = Path("dnalm-interpret"),
    overrides: dict | None = None,
):
    """Per-base attributions (attributions.npz) and logos of what the score rests on; --motifs for motifs."""
    from dnalm.interpret.attributions import describe, interpret_file

    say(describe(interpret_file(model, input, output, **overrides), output))


@app.command()
def models(as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """The names --model takes: auto (the default recipe), the presets, and the pretrained checkpoints
    shipped in the package. Any checkpoint folder, model YAML or hub id (owner/name) works too."""
    from dnalm.models.build import format_catalogue, model_catalogue

    rows = model_catalogue()
    say(json.dumps(rows, indent=2) if as_json else format_catalogue(rows))


@app.command()
def demo(
    output: OutDir = Path("dnalm-demo"),
    overwrite: Overwrite = False,
    seed: int = typer.Option(0, help="Seed of the synthetic set, its split and every model's training."),
    epochs: float | None = typer.Option(None, help="Epochs of fine-tuning for each model (default: 8)."),
):
    """The seed notebook end to end on built-in data: fine-tune the shipped pretrained language model (dnalm-cnn)
    on a TATA set in DNA-like background, reload, predict; then the same architecture from scratch, a CNN and an LSTM on the same split."""
    from dnalm.demo import run_demo

    run_demo(output, seed=seed, epochs=epochs, echo=say, overwrite=overwrite)


@app.command()
@cli_options(CorpusSettings, overwrite=True)
def corpus(
    fastas: Annotated[
        list[Path], typer.Argument(help="Genome FASTA(.gz) files (sequence tables, CSV/TSV, are read too).")
    ],
    output: OutDir,
    overrides: dict | None = None,
):
    """Build a pretraining corpus: N runs dropped, random segments, validation held out by region."""
    from dnalm.lm.corpus import build_corpus, describe

    say(describe(build_corpus(fastas, output, **overrides), output))


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
    say(describe(run(cfg, corpus, output, resume=resume, overwrite=overwrite), output))


@app.command("lm-eval")
@cli_options(LmEvalSettings, overwrite=True)
def lm_eval_cmd(
    model: Annotated[str, typer.Argument(help="Masked-LM model folder, or dnalm-mini.")],
    corpus: Annotated[Path, typer.Argument(help="Corpus folder from dnalm corpus (its validation split).")],
    output: Path = typer.Option(Path("lm_metrics.json"), "--output", "-o", help="JSON file to write.", parser=_file),
    overrides: dict | None = None,
):
    """Per-base held-out accuracy and bits per base beside a Markov chain and a two-sided count model."""
    from dnalm.lm.pretrain import score_language_model

    say(json.dumps(score_language_model(model, corpus, output, **overrides), indent=2))


@app.command("fill-mask")
def fill_mask_cmd(
    model: Annotated[str, typer.Argument(help="Pretrained (masked-LM) model folder or hub id.")],
    sequence: Annotated[str, typer.Argument(help="DNA with <mask> for each unknown base.")],
    top_k: int = typer.Option(None, help="Best bases (default: all 4) or tokens (5) per mask.", parser=whole_number),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    trust_remote_code: bool = typer.Option(False, "--trust-remote-code", help=TRUST_HELP),
):
    """Predict masked bases (k-mer/base models: per-base A/C/G/T probabilities)."""
    from dnalm.lm.inference import fill_mask, format_fill_mask

    result = fill_mask(model, sequence, top_k=top_k, trust_remote_code=trust_remote_code)
    say(json.dumps(result, indent=2) if as_json else format_fill_mask(result))


@app.command()
@cli_options(EmbedSettings, overwrite=True)
def embed(
    model: Annotated[str, typer.Argument(help="Transformer model folder or hub id.")],
    input: Annotated[Path, typer.Argument(help="FASTA/CSV/TSV of sequences.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="emb.npy or emb.parquet", parser=_file)],
    overrides: dict | None = None,
):
    """One embedding per sequence (long sequences: mean over windows)."""
    from dnalm.lm.inference import embed_file

    say(embed_file(model, input, output, **overrides))


# -- experiments -------------------------------------------------------------------------
@app.command()
def benchmark(
    config: Annotated[Path, typer.Argument(help="Benchmark YAML (datasets, models, seeds, search).")],
    output: OutDir = Path("dnalm-benchmark"),
    overwrite: KeepsRuns = False,
):
    """Datasets x models x seeds -> results.md/csv/json (mean ± std); resumes an interrupted run."""
    from dnalm.experiment.config import BenchmarkConfig
    from dnalm.experiment.runner import describe, run_benchmark

    say(describe(run_benchmark(BenchmarkConfig.load(config), output, overwrite=overwrite), output))


@app.command()
def search(
    config: Annotated[Path, typer.Argument(help="Benchmark YAML with a search section.")],
    output: OutDir = Path("dnalm-benchmark"),
    overwrite: KeepsRuns = False,
):
    """Hyperparameter search (grid or Optuna) on validation only; `dnalm benchmark` then uses the choice."""
    from dnalm.experiment.config import BenchmarkConfig
    from dnalm.experiment.search import describe, run_search

    say(
        describe(run_search(BenchmarkConfig.load(config), output, overwrite=overwrite))
    )  # a config without a search is refused


@app.command()
@cli_options(AuditSettings, overwrite=True)
def audit(
    data: Annotated[Path, typer.Argument(help="Split folder (train/dev/test).")],
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON result."),
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Also write the JSON here.", parser=_file)
    ] = None,
    dedup: Annotated[
        Path | None, typer.Option(help="Write a copy of DATA whose train split drops rows duplicating dev/test rows.")
    ] = None,
    overrides: dict | None = None,
):
    """Leakage audit: exact and reverse-complement duplicates within and across splits, near ones across."""
    from dnalm.audit import describe_audit, run_audit

    result = run_audit(data, output, dedup, **overrides)
    say(json.dumps(result, indent=2) if as_json else describe_audit(result))


@app.command()
def report(
    runs: Annotated[Path, typer.Argument(help="Folder written by dnalm benchmark / search.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file (.md and PNGs beside it).")] = Path(
        "report.html"
    ),
    pretrain: Annotated[list[Path] | None, typer.Option(help="Pretraining run folder(s) to include.")] = None,
    title: str | None = typer.Option(None, help="Its title (default: the benchmark's name, else the folder's)."),
    overwrite: Overwrite = False,
):
    """Self-contained HTML report (plots embedded) plus Markdown and PNGs."""
    from dnalm.experiment.report import build_report

    out = build_report(runs, output, pretrain=pretrain, title=title, overwrite=overwrite)
    say(f"wrote {out['html']} and {out['markdown']} ({out['n_figures']} figures in {out['figures']})")


if __name__ == "__main__":  # python -m dnalm.cli (python -m dnalm runs dnalm/__main__.py)
    main()
