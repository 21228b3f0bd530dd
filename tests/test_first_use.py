"""Defects a new user hit (issue 11), each with a test that failed before the fix."""

from __future__ import annotations

import re
import sys

import pytest

from dnalm.lm.inference import IncompleteCheckpointError, embed, fill_mask


@pytest.fixture(scope="module")
def classifier_checkpoint(dnabert_checkpoint, tmp_path_factory):
    """A fine-tuned classifier: the pretrained encoder plus a classification head, no masked-LM head."""
    import shutil

    from transformers import AutoModelForSequenceClassification

    out = tmp_path_factory.mktemp("classifier")
    AutoModelForSequenceClassification.from_pretrained(str(dnabert_checkpoint), num_labels=2).save_pretrained(out)
    for f in dnabert_checkpoint.iterdir():  # the tokenizer files
        if not (out / f.name).exists():
            shutil.copy(f, out / f.name)
    return out


def test_fill_mask_refuses_a_classifier_instead_of_reading_a_random_head(classifier_checkpoint):
    with pytest.raises(IncompleteCheckpointError, match="fill-mask needs a pretrained model"):
        fill_mask(classifier_checkpoint, "ACGTAGCTAGCT<mask>GCTAGCTAGCATCGA")


def test_embed_of_a_classifier_reads_its_encoder(classifier_checkpoint, dnabert_checkpoint):
    # the classifier's encoder is the pretrained one: the same vectors, no random weights
    seqs = ["ACGTACGTAGCTAGCTTTGA", "GGCA" * 20]
    vectors = embed(classifier_checkpoint, seqs)
    assert vectors == pytest.approx(embed(dnabert_checkpoint, seqs), abs=1e-5)
    assert vectors.dtype == "float32"  # was float64: twice the file for no information


def test_fill_mask_cli_refuses_a_classifier_in_one_line(classifier_checkpoint):
    from typer.testing import CliRunner

    from dnalm.cli import app

    result = CliRunner().invoke(app, ["fill-mask", str(classifier_checkpoint), "ACGTAGCT<mask>GCTAGCTAGC"])
    assert result.exit_code != 0
    assert "fine-tuned classifier" in result.output and "Traceback" not in result.output


def test_version_and_python_dash_m():
    import subprocess
    import sys

    from dnalm import __version__

    out = subprocess.run([sys.executable, "-m", "dnalm", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"dnalm {__version__}"


@pytest.fixture
def broken_command():
    """A command added to dnalm's app for one test: it raises what it is told to."""
    from dnalm import cli

    errors = {
        "runtime": RuntimeError("something unexpected"),
        "value": ValueError("bad input x"),
        "os": OSError("disk"),
    }

    @cli.app.command("broken-for-test")
    def broken(kind: str):
        raise errors[kind]

    yield cli
    cli.app.registered_commands.pop()


@pytest.mark.parametrize(
    ("kind", "status", "line"),
    [
        ("runtime", 1, "error (RuntimeError): something unexpected"),
        ("value", 2, "error: bad input x"),
        ("os", 2, "error: disk"),
    ],
)
def test_every_command_runs_inside_one_error_handler(broken_command, monkeypatch, capsys, kind, status, line):
    """No command has its own except clause: one handler turns any error into one line, exit status 2 for
    errors about the input/settings/output and 1 (with the --debug hint) for anything else; --debug re-raises.
    The same through the console entry point and through click's test runner."""
    from typer.testing import CliRunner

    cli = broken_command
    r = CliRunner().invoke(cli.app, ["broken-for-test", kind])
    assert r.exit_code == status and line in r.output and "Traceback" not in r.output
    assert ("--debug for the traceback" in r.output) == (status == 1)
    monkeypatch.setattr(sys, "argv", ["dnalm", "broken-for-test", kind])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == status and line in capsys.readouterr().err
    r = CliRunner().invoke(cli.app, ["--debug", "broken-for-test", kind])
    assert isinstance(r.exception, {"runtime": RuntimeError, "value": ValueError, "os": OSError}[kind])
    assert str(r.exception) == line.split(": ", 1)[1]


def test_no_command_catches_errors_itself():
    import inspect

    from dnalm import cli

    apps = [cli.app] + [group.typer_instance for group in cli.app.registered_groups]
    commands = [c.callback for a in apps for c in a.registered_commands]
    assert len(commands) > 20
    assert [c.__name__ for c in commands if "except " in inspect.getsource(c)] == []


def test_no_progress_bars_when_output_is_not_a_terminal(tata_dir, tmp_path):
    import subprocess
    import sys

    log = tmp_path / "log.txt"
    captured = subprocess.run(
        [
            sys.executable,
            "-m",
            "dnalm",
            "--log-file",
            str(log),
            "finetune",
            str(tata_dir),
            "-o",
            str(tmp_path / "m"),
            "--model",
            "pos-cnn",
            "--epochs",
            "1",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    text = log.read_text()
    assert "validation:" in text and "training loss" in text
    assert "\r" not in captured.stderr and "\x1b[" not in captured.stderr  # no bars, no ANSI colours


def test_synth_then_finetune_then_evaluate_on_the_test_split(tmp_path):
    from typer.testing import CliRunner

    from dnalm.cli import app

    run = CliRunner().invoke
    assert run(app, ["synth", "tata", "-o", str(tmp_path / "d"), "--n", "200", "--length", "40"]).exit_code == 0
    assert (
        run(
            app, ["finetune", str(tmp_path / "d"), "-o", str(tmp_path / "m"), "--model", "pos-cnn", "--epochs", "1"]
        ).exit_code
        == 0
    )
    r = run(app, ["evaluate", str(tmp_path / "m"), str(tmp_path / "d"), "--split", "test", "-o", str(tmp_path / "e")])
    assert r.exit_code == 0, r.output
    r = run(app, ["evaluate", str(tmp_path / "m"), str(tmp_path / "d"), "--split", "tset", "-o", str(tmp_path / "e")])
    assert r.exit_code != 0 and "--split" in r.output and "split=" not in r.output


def test_fasta_ids_are_the_first_word_and_predictions_keep_the_description(tmp_path):
    from dnalm.apply.evaluate import predict_file
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    (tmp_path / "in.fa").write_text(">chr1:100-200 promoter of lacZ\nACGTACGTAGCT\n>plain\nGGGCCCAT\n")
    predict_file(str(tmp_path / "m"), tmp_path / "in.fa", tmp_path / "out.tsv")
    lines = [line.split("\t") for line in (tmp_path / "out.tsv").read_text().splitlines()]
    assert lines[0][:3] == ["id", "description", "predicted"]
    assert [row[:2] for row in lines[1:]] == [["chr1:100-200", "promoter of lacZ"], ["plain", ""]]


def test_predict_windows_follow_the_trained_length(tata_dir, tmp_path):
    import csv

    from typer.testing import CliRunner

    from dnalm.cli import app

    run = CliRunner().invoke
    # tata_dir holds 60-base sequences: a 450-base one is scored in windows of the trained length
    assert (
        run(app, ["finetune", str(tata_dir), "-o", str(tmp_path / "m"), "--model", "tiny", "--epochs", "1"]).exit_code
        == 0
    )
    (tmp_path / "in.fa").write_text(">long\n" + "ACGTTATAAAGC" * 37 + "ACGTAC\n>short\nACGTTATAAAGCAT\n")
    r = run(
        app,
        [
            "predict",
            str(tmp_path / "m"),
            str(tmp_path / "in.fa"),
            "-o",
            str(tmp_path / "p.tsv"),
            "--stride",
            "20",
            "--aggregate",
            "max",
        ],
    )
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(open(tmp_path / "p.tsv"), delimiter="\t"))
    assert int(rows[0]["n_windows"]) > 10 and rows[1]["n_windows"] == "1"


@pytest.mark.parametrize("trainer", [{"report_to": "none", "adam_beta2": 0.99}, {"learning_rat": 1e-3}])
def test_trainer_pass_through_is_checked_when_the_config_loads(trainer):
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import resolve_settings
    from dnalm.finetune.trainer import training_arguments
    from dnalm.lm.pretrain import PretrainConfig

    if "learning_rat" in trainer:
        for cls in (FinetuneConfig, PretrainConfig):
            with pytest.raises(
                ValueError, match="unknown trainer setting .*'learning_rat'.*did you mean 'learning_rate'"
            ):
                cls.from_dict({"trainer": trainer})
        return
    cfg = FinetuneConfig.from_dict({"model": "pos-cnn", "trainer": trainer})
    cfg = resolve_settings(cfg, "pos-cnn", None)
    args = training_arguments(cfg, __import__("pathlib").Path("/tmp/x"), 10, 5)  # merged over dnalm's
    assert args.adam_beta2 == 0.99 and args.report_to in ("none", [], ["none"])


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"trainer": {"dataloader_num_workers": -1}}, r"trainer.dataloader_num_workers must be a whole number of at"),
        ({"trainer": {"dataloader_num_workers": 2.5}}, r"trainer.dataloader_num_workers must be a whole number; got"),
        ({"trainer": {"gradient_checkpointing": "maybe"}}, r"trainer.gradient_checkpointing must be true or false"),
        ({"trainer": {"report_to": "surely-not-installed"}}, r"trainer.report_to: surely-not-installed is not"),
        ({"trainer": {"lr_scheduler_kwargs": {"num_cycles": 2}}}, r"lr_scheduler_kwargs needs lr_scheduler"),
        (
            {"lr_scheduler": "cosine_with_restarts", "trainer": {"lr_scheduler_kwargs": {"num_cycles": -3}}},
            r"lr_scheduler_kwargs.num_cycles must be a finite number above 0",
        ),
        (
            {"lr_scheduler": "cosine", "trainer": {"lr_scheduler_kwargs": {"num_cycle": 3}}},
            r"unknown trainer.lr_scheduler_kwargs key .*'num_cycle'.*did you mean 'num_cycles'",
        ),
    ],
)
def test_trainer_values_are_checked_when_the_config_loads_naming_the_key_and_file(settings, message):
    """Unchecked pass-through values failed after the data was read (a TypeError, wandb's RuntimeError, exit 1), or
    ran: 'maybe' read as true, -3 cosine cycles."""
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.lm.pretrain import PretrainConfig

    for cls in (FinetuneConfig, PretrainConfig):
        if cls is PretrainConfig and "lr_scheduler_kwargs" in str(settings) and "lr_scheduler" not in settings:
            continue  # pretraining's schedule is linear unless set
        with pytest.raises(ValueError, match=message) as err:
            cls.from_dict(settings, "run.yaml")
        assert "[run.yaml]" in str(err.value)
        with pytest.raises(ValueError, match=message):
            cls(**settings)


@pytest.mark.parametrize(
    "model, match",
    [("tinyy", "is not a preset"), ("models/tf0x", "model folder models/tf0x not found"), ("./ckpt", "not found")],
)
def test_a_mistyped_model_fails_before_the_data_is_read(tmp_path, monkeypatch, model, match):
    import dnalm.finetune.train
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    monkeypatch.chdir(tmp_path)
    (tmp_path / "models" / "tf0").mkdir(parents=True)

    def never(*args, **kwargs):
        raise AssertionError("the data was read before the model was checked")

    monkeypatch.setattr(dnalm.finetune.train, "load_splits", never)
    with pytest.raises((ValueError, FileNotFoundError), match=match):
        finetune(FinetuneConfig(model=model), tmp_path / "data", tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


def test_hub_ids_are_still_hub_ids():
    from dnalm.models.build import resolve_spec

    assert resolve_spec("zhihan1996/DNA_bert_6") is None  # loaded from the hub (or its cache) later


def test_dnalm_models_lists_presets_and_shipped_checkpoints():
    import json

    from typer.testing import CliRunner

    from dnalm.cli import app
    from dnalm.models.build import PRESETS
    from dnalm.models.shipped import shipped_models

    r = CliRunner().invoke(app, ["models", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    names = [row["name"] for row in rows]
    assert names == ["auto", *PRESETS, *shipped_models()] and "tiny-bpe" in names and "dnalm-mini" in names
    for row in rows:  # every row says its size and settings (a shipped CNN once showed "? layers x ?")
        assert "?" not in str(row["size"]) + str(row["learning_rate"]) + str(row["batch_size"]), row
    assert next(row for row in rows if row["name"] == "dnalm-cnn")["size"].endswith(" M parameters")
    import dataclasses

    from dnalm.finetune.config import FinetuneConfig

    (model,) = (f for f in dataclasses.fields(FinetuneConfig) if f.name == "model")
    said = re.findall(r"[\w-]+", model.metadata["help"])  # finetune --help listed the presets without tiny-bpe
    assert not [n for n in names if n not in said]


@pytest.mark.parametrize("preset", ["tiny", "pos-cnn", "mini"])
def test_transformers_pipelines_take_raw_dna(tmp_path, preset):
    import numpy as np
    from transformers import pipeline

    import dnalm.apply.pipelines  # noqa: F401 - registers the dna-classification task and dnalm's architectures
    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model(preset, num_labels=2, seed=0, train_sequences=["ACGT" * 10])
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    seqs = ["ACGTTATAAAGCGCGTACGATCGA", "ggcgcgcgatatatTTTACGNACGT"]
    model, tok = load_model(tmp_path)
    expected = predict_proba(model, tok, seqs)[0][:, 1]

    def positive(results):
        return [next(x["score"] for x in r if x["label"] == "1") for r in results]

    assert np.allclose(
        positive(pipeline("dna-classification", model=str(tmp_path), top_k=None)(seqs)), expected, atol=1e-5
    )
    from dnalm.io.sequence import SequenceError

    with pytest.raises(SequenceError, match="record 2, position 3"):  # it said "record 'input'": which one?
        pipeline("dna-classification", model=str(tmp_path))([*seqs, "AC!GT"])
    if preset == "mini":  # single-base folders take raw DNA in the stock text-classification task too
        plain = pipeline("text-classification", model=str(tmp_path), top_k=None)(seqs)
        assert np.allclose(positive(plain), expected, atol=1e-5)


def test_import_dnalm_alone_registers_with_transformers_when_it_loads(tmp_path):
    """In a fresh interpreter: ``import dnalm`` loads neither torch nor transformers, and afterwards plain
    transformers reads a dnalm CNN folder (Auto classes) and runs the dna-classification pipeline on raw DNA,
    with no other dnalm import; the pipeline gives what dnalm's own prediction gives."""
    import json
    import subprocess
    import sys

    from dnalm.apply.predict import predict_proba
    from dnalm.models.build import build_model, load_model

    model, tok, _ = build_model("tiny", num_labels=2, seed=0)  # overlapping 6-mers: no stock pipeline cuts them
    model.save_pretrained(tmp_path / "kmer")
    tok.save_pretrained(tmp_path / "kmer")
    cnn, cnn_tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    cnn.save_pretrained(tmp_path / "cnn")
    cnn_tok.save_pretrained(tmp_path / "cnn")
    seq = "ACGTTATAAAGCGCGTACGATCGA"
    script = f"""
import json, sys
import dnalm
assert "torch" not in sys.modules and "transformers" not in sys.modules
from transformers import AutoModelForSequenceClassification, pipeline
cnn = AutoModelForSequenceClassification.from_pretrained({str(tmp_path / "cnn")!r})
clf = pipeline("dna-classification", model={str(tmp_path / "kmer")!r}, top_k=None)
out = clf([{seq!r}])[0]
print(json.dumps([type(cnn).__name__, next(x["score"] for x in out if x["label"] == "1")]))
"""
    run = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    name, score = json.loads(run.stdout.strip().splitlines()[-1])
    kmer, kmer_tok = load_model(tmp_path / "kmer")
    assert name == "PosCnnForSequenceClassification"
    assert score == pytest.approx(float(predict_proba(kmer, kmer_tok, [seq])[0][0, 1]), abs=1e-5)


def test_quiet_keeps_warnings_and_drops_progress(tmp_path):
    """--quiet: warnings and errors only (the N-window warning stays, the per-contig progress line goes)."""
    from typer.testing import CliRunner

    from dnalm.cli import app
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.config.dnalm_train_max_tokens = 22
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    (tmp_path / "g.fa").write_text(">chr1\n" + "ACGTTGCA" * 20 + "N" * 30 + "GGCATTAC" * 20 + "\n")
    args = ["scan", str(tmp_path / "m"), str(tmp_path / "g.fa"), "-o", str(tmp_path / "s.bedGraph")]
    loud, quiet = CliRunner().invoke(app, args), CliRunner().invoke(app, ["--quiet", *args])
    assert loud.exit_code == quiet.exit_code == 0, loud.output + quiet.output
    assert "INFO dnalm.apply.scan: scanned chr1" in loud.output and "INFO" not in quiet.output
    assert "WARNING dnalm.apply.scan:" in quiet.output and "skipped" in quiet.output


def test_commands_that_load_a_classifier_refuse_a_typo_and_a_model_without_a_head(tmp_path):
    """A mistyped model folder fails at once with one line naming the model folders that are there (it
    waited through the hub's retries, ~30 s of warnings, first); a pretrained model without a classifier
    (the shipped dnalm-cnn) is refused instead of predicting with a random head."""
    import time

    from typer.testing import CliRunner

    from dnalm.cli import app
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "models" / "tf0")
    tok.save_pretrained(tmp_path / "models" / "tf0")
    (tmp_path / "x.fa").write_text(">a\nACGTACGTAC\n")
    t0 = time.time()
    r = CliRunner().invoke(app, ["predict", str(tmp_path / "models" / "tf00"), str(tmp_path / "x.fa")])
    assert r.exit_code == 2 and time.time() - t0 < 10
    assert (
        f"model folder {tmp_path / 'models' / 'tf00'} not found" in r.output
        and "tf0" in r.output.split("folders in")[1]
    )
    for command, name in (("predict", "o.tsv"), ("scan", "o.bedGraph")):
        r = CliRunner().invoke(app, [command, "dnalm-cnn", str(tmp_path / "x.fa"), "-o", str(tmp_path / name)])
        assert r.exit_code == 2 and "holds no trained classifier" in r.output, r.output


def test_class_fastas_work_in_every_command_that_takes_them(tata_model, tmp_path):
    """``--class LABEL=FASTA`` reached the library as a list of label names (typer turned the callback's dict back
    into a list), so every command that takes it failed with an AttributeError."""
    import json

    from typer.testing import CliRunner

    from dnalm.cli import app

    (tmp_path / "yes.fa").write_text("".join(f">y{i}\n{'ACGTTATAAAAG' * 5}\n" for i in range(12)))
    (tmp_path / "no.fa").write_text("".join(f">n{i}\n{'GGCCGGCCAATT' * 5}\n" for i in range(12)))
    classes = ["--class", f"1={tmp_path / 'yes.fa'}", "--class", f"0={tmp_path / 'no.fa'}"]
    runs = [
        ["tokenizer", "check", tata_model, *classes],
        ["evaluate", tata_model, *classes, "-o", tmp_path / "eval"],
        ["finetune", *classes, "-o", tmp_path / "model", "--model", "pos-cnn", "--epochs", "1", "--precision", "fp32"],
    ]
    for args in runs:
        res = CliRunner().invoke(app, [str(a) for a in args])
        assert res.exit_code == 0, res.output
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["n_predictions"] == 24 and metrics["classes"] == {
        "1": str(tmp_path / "yes.fa"),
        "0": str(tmp_path / "no.fa"),
    }
    res = CliRunner().invoke(app, ["tokenizer", "check", str(tata_model), "--class", "yes.fa"])
    assert res.exit_code == 2 and "--class takes LABEL=FASTA" in res.output, res.output
