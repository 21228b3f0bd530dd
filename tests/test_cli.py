from __future__ import annotations

import csv
import json
import re

import pytest
from typer.testing import CliRunner

from dnalm.cli import app
from dnalm.tokenizers.dna import KmerTokenizer, load_tokenizer

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    return result


def test_synth_tata_writes_train_dev_and_test(tmp_path):
    r = invoke("synth", "tata", "-o", tmp_path, "--n", 200, "--length", 50, "--seed", 3)
    assert r.exit_code == 0, r.output
    rows = {name: list(csv.DictReader(open(tmp_path / f"{name}.csv"))) for name in ("train", "dev", "test")}
    assert [len(rows[s]) for s in ("train", "dev", "test")] == [140, 30, 30]
    assert list(rows["dev"][0]) == ["sequence", "label"]
    assert sum(row["label"] == "1" for row in rows["dev"]) == 15 == sum(row["label"] == "1" for row in rows["test"])
    seqs = [{row["sequence"] for row in rows[s]} for s in ("train", "dev", "test")]
    assert not (seqs[0] & seqs[1] or seqs[0] & seqs[2] or seqs[1] & seqs[2])


def test_synth_into_a_folder_holding_the_users_split_refuses(tmp_path):
    """synth wrote no test.csv once, so an older one stayed beside new train/dev. A test.csv dnalm did not write
    is the user's: synth refuses the folder and leaves it as it was."""
    (tmp_path / "test.csv").write_text("sequence,label\nGGGG,0\n")
    refused = invoke("synth", "tata", "-o", tmp_path, "--n", 100, "--length", 40)
    assert refused.exit_code == 2 and "not a folder dnalm wrote" in refused.output
    assert (tmp_path / "test.csv").read_text() == "sequence,label\nGGGG,0\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.csv"]


def test_synth_into_its_own_folder_leaves_no_stale_split(tmp_path):
    """A re-run into dnalm's own data folder replaces every split it wrote, test.csv included."""
    assert invoke("synth", "tata", "-o", tmp_path, "--n", 100, "--length", 40).exit_code == 0  # dnalm's folder
    (tmp_path / "test.csv").write_text("sequence,label\nGGGG,0\n")
    edited = invoke("synth", "tata", "-o", tmp_path, "--n", 100, "--length", 40)  # changed since: not replaced
    assert edited.exit_code == 2 and "holds files dnalm wrote that have changed since (test.csv)" in edited.output
    assert invoke("synth", "tata", "-o", tmp_path, "--n", 100, "--length", 40, "--overwrite").exit_code == 0
    test = list(csv.DictReader(open(tmp_path / "test.csv")))
    assert len(test) > 10 and all(len(row["sequence"]) == 40 for row in test)  # the 4-base stale row is gone


def test_synth_motif_and_bad_motif(tmp_path):
    assert invoke("synth", "motif", "-o", tmp_path, "--motif", "GGATCC", "--rate", "0.3").exit_code == 0
    r = invoke("synth", "motif", "-o", tmp_path, "--motif", "GGNTCC")
    assert r.exit_code == 2 and "A/C/G/T" in r.output


def test_tokenizer_build_and_check(tmp_path):
    assert invoke("tokenizer", "kmer", "--k", 5, "-o", tmp_path / "k5").exit_code == 0
    tok = load_tokenizer(tmp_path / "k5")
    assert isinstance(tok, KmerTokenizer) and tok.k == 5
    data = tmp_path / "d.csv"
    data.write_text("sequence,label\nACGTACGTAC,1\nACGTNNNNNN,0\n")
    r = invoke("tokenizer", "check", tmp_path / "k5", data, "--max-length", 7, "--json")
    report = json.loads(r.stdout)["all"]
    assert report["n_sequences"] == 2 and report["unk_tokens"] == 6 and report["n_truncated"] == 2


def test_tokenizer_bpe_and_base(tmp_path):
    fasta = tmp_path / "g.fa"
    fasta.write_text(">g\n" + "TATAAAGGGCGGCCAAT" * 300 + "\n")
    r = invoke("tokenizer", "bpe", fasta, "-o", tmp_path / "bpe", "--vocab-size", 64, "--segment-length", 100)
    assert r.exit_code == 0, r.output
    assert "saved BPE tokenizer (vocabulary 35)" in r.output  # it named transformers' class, TokenizersBackend
    assert (tmp_path / "bpe" / "tokenizer.json").is_file()
    for option, value, bound in (("--vocab-size", 10, "[11, "), ("--segment-length", 1, "[2, ")):  # no merge
        r = invoke("tokenizer", "bpe", fasta, "-o", tmp_path / "b2", option, value)
        assert r.exit_code != 0 and f"({option}) must be in {bound}" in r.output, r.output
    assert invoke("tokenizer", "base", "-o", tmp_path / "base").exit_code == 0
    assert invoke("tokenizer", "nonoverlap", "-o", tmp_path / "no").exit_code == 0


def test_bad_data_is_a_clear_error(tmp_path):
    assert invoke("tokenizer", "kmer", "-o", tmp_path / "k").exit_code == 0
    bad = tmp_path / "bad.fa"
    bad.write_text(">x\nACGT\nAC*T\n")
    r = invoke("tokenizer", "check", tmp_path / "k", bad)
    assert r.exit_code == 2 and "bad.fa:3: record 'x': column 3: '*'" in r.output
    r = invoke("tokenizer", "check", tmp_path / "k", "--class", "nolabel")
    assert r.exit_code != 0 and "LABEL=FASTA" in r.output


def test_finetune_evaluate_predict_commands(tata_dir, tmp_path):
    model = tmp_path / "model"
    r = invoke("finetune", tata_dir, "--model", "cnn", "-o", model, "--epochs", 1, "--seed", 1, "--precision", "fp32")
    assert r.exit_code == 0, r.output
    assert "(trained in fp32); validation (validation = the data's dev split)" in r.output
    assert "mcc" in r.output and "loss" in r.output
    r = invoke("evaluate", model, tata_dir, "--split", "test", "-o", tmp_path / "eval")
    assert r.exit_code == 0, r.output
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["n_predictions"] == 75 and (tmp_path / "eval" / "confusion_matrix.png").is_file()
    r = invoke("predict", model, tata_dir / "test.csv", "-o", tmp_path / "p.tsv", "--rc")
    assert r.exit_code == 0 and "wrote 75 predictions" in r.output


def test_finetune_config_file_and_errors(tata_dir, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("model: cnn\nepochs: 1\nbatch_size: 16\ntrainer:\n  disable_tqdm: true\n")
    r = invoke("finetune", tata_dir, "--config", config, "-o", tmp_path / "m")
    assert r.exit_code == 0, r.output
    import yaml

    saved = yaml.safe_load((tmp_path / "m" / "dnalm_config.yaml").read_text())
    assert saved["batch_size"] == 16 and saved["model"] == "cnn"
    config.write_text("model: cnn\nepoch: 1\n")
    r = invoke("finetune", tata_dir, "--config", config, "-o", tmp_path / "m2")
    assert r.exit_code == 2 and "unknown setting 'epoch'" in r.output
    r = invoke("finetune", tmp_path / "missing.csv", "-o", tmp_path / "m3")
    assert r.exit_code == 2 and "missing.csv: no such file" in r.output


def test_demo_end_to_end_quickly(tmp_path):
    from dnalm.demo import DEMO_ARMS

    r = invoke("demo", "-o", tmp_path, "--epochs", 0.2)
    assert r.exit_code == 0, r.output
    assert "identical predictions" in r.output
    rows = [line for line in r.output.splitlines() if line.startswith("   | ") and "---" not in line][1:]
    labels = [label for label, _, _ in DEMO_ARMS]
    assert [row.split(" | ")[1] for row in rows] == labels  # the table, in this order
    last = r.output.strip().splitlines()[-1]
    assert last.startswith("validation accuracy: ") and 0 <= float(last.split(": ")[1]) <= 1
    bases = "".join(line.split(",")[0] for line in (tmp_path / "data" / "train.csv").read_text().splitlines()[1:])
    at = (bases.count("A") + bases.count("T")) / len(bases)
    assert 0.53 < at < 0.6  # DNA-like background (the genomes' A/T share), where a genome language model can help


def test_demo_pretrained_language_model_reaches_095(tmp_path):
    """The demo's pretrained model as the demo trains it (the comparison arms cut short for the suite's time)."""
    from dnalm.demo import DEMO_ARMS, run_demo

    lines = []
    arms = [DEMO_ARMS[0]] + [(label, model, {**settings, "epochs": 0.2}) for label, model, settings in DEMO_ARMS[1:]]
    out = run_demo(tmp_path, arms=arms, echo=lines.append)
    assert DEMO_ARMS[0][1] == "dnalm-cnn" and out["arms"][0]["model"] == "dnalm-cnn"
    assert lines[-1] == f"validation accuracy: {out['validation_accuracy']:.4f}" and out["validation_accuracy"] >= 0.95


def test_a_demo_again_replaces_the_last_and_a_stopped_one_leaves_it_as_it_was(tmp_path, monkeypatch):
    """`dnalm demo -o D --overwrite` over a finished demo failed (its first model folder was refused), and a demo
    stopped part-way left its half result under a finished-looking marker: the demo is now written aside."""
    import transformers

    import dnalm.finetune.train
    from dnalm.demo import DEMO_ARMS, run_demo
    from dnalm.io.outputs import read_marker

    arms = [(label, model, {**settings, "epochs": 0.05}) for label, model, settings in DEMO_ARMS[:2]]
    lines = []
    transformers.logging.set_verbosity_warning()  # (what a notebook has)
    verbosity = transformers.logging.get_verbosity()
    run_demo(tmp_path / "demo", arms=arms, echo=lines.append)
    assert f"-> {tmp_path / 'demo' / 'data'}" in lines[0]  # the name it has, not the staging folder's
    run_demo(tmp_path / "demo", arms=arms, echo=lines.append, overwrite=True)
    assert {p.name for p in (tmp_path / "demo").iterdir()} == {".dnalm.json", "data", "model", "dnalm-cnn-scratch"}
    train = dnalm.finetune.train.finetune
    calls = []

    def stopped_in_the_second_arm(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return train(*args, **kwargs)

    assert transformers.logging.get_verbosity() == verbosity  # (the demo left transformers' warnings off)
    monkeypatch.setattr(dnalm.finetune.train, "finetune", stopped_in_the_second_arm)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "demo").rglob("*") if p.is_file()}
    with pytest.raises(KeyboardInterrupt):
        run_demo(tmp_path / "demo", arms=arms, echo=lines.append, overwrite=True)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "demo").rglob("*") if p.is_file()} == before
    assert not (tmp_path / "demo.partial").exists() and not read_marker(tmp_path / "demo").get("running")


def test_demo_settings_are_checked_before_anything_is_written(tmp_path):
    from dnalm.demo import run_demo

    with pytest.raises(ValueError, match=r"epochs \(--epochs\) must be in \(0, 100000\]; got 0"):
        run_demo(tmp_path / "demo", epochs=0, echo=lambda line: None)
    assert not (tmp_path / "demo").exists()


def test_help_shows_the_effective_defaults():
    import re

    import dnalm.cli

    source = open(dnalm.cli.__file__).read()
    assert "[default:" not in source  # rich reads [...] as markup and drops it from the help
    text = re.sub(r"[\s│]+", " ", invoke("finetune", "--help").output)
    for shown in (
        "(default: auto)",
        "(default: 42; in [0, 4294967296))",  # and the range each number must be in
        "(default: 8-30 by the recipe for auto, else 10; in (0, 100000])",
        "(default: none, the steps depend only on the data and the seed)",
    ):
        assert shown in text, shown


def test_the_commands_named_for_early_imports_and_processes_exist():
    from dnalm.cli import app
    from dnalm.runtime.process import MODEL_COMMANDS, MULTI_PROCESS_COMMANDS

    names = {c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands}
    assert set(MODEL_COMMANDS) <= names and set(MULTI_PROCESS_COMMANDS) <= names
    assert {"audit", "report", "corpus", "models"} & set(MODEL_COMMANDS) == set()  # these never import torch


@pytest.mark.parametrize(
    "args, named",
    [
        (["scan", "model", "g.fa", "--stride", "abc"], "--stride"),
        (["scan", "model", "g.fa", "--stride", "5.5"], "--stride"),
        (["predict", "model", "in.fa", "--windw", "5"], "--windw"),
        (["scan", "model"], "genome"),
        (["predcit"], "predict"),
        (["synth", "tata", "-o", "d", "--seed"], "--seed"),
        (["finetune", "data", "--learning-rate", "inf"], "--learning-rate"),
        (["finetune", "data", "--learning-rate", "1e300"], "--learning-rate"),
        (["finetune", "data", "--epochs", "nan"], "--epochs"),
        (["tokenizer", "bpe", "x.fa", "-o", "b", "--vocab-size", "1000000000"], "--vocab-size"),
    ],
)
def test_a_mistyped_option_or_an_impossible_value_is_one_error_line(tmp_path, monkeypatch, args, named):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, args)
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert res.exit_code == 2 and len(lines) == 1 and lines[0].startswith("error"), res.output
    assert named in lines[0] and not list(tmp_path.iterdir())


def test_a_settings_file_that_is_not_yaml_is_one_line_naming_its_place(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("epochs: [1\n")
    (tmp_path / "b.yaml").write_text("name: [x\nseeds: {\n")
    for args, place in (
        (["finetune", "data", "--config", "c.yaml"], "c.yaml:2:1"),
        (["benchmark", "b.yaml"], "b.yaml:2"),
    ):
        res = runner.invoke(app, args)
        lines = [line for line in res.output.splitlines() if line.strip()]
        assert res.exit_code == 2 and len(lines) == 1 and lines[0].startswith(f"error: {place}"), res.output


def test_tokenizer_check_takes_a_shipped_model_and_names_what_is_not_a_tokenizer(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fastas").mkdir()
    (tmp_path / "fastas" / "a.fa").write_text(">a\nACGTACGT\n")
    assert "train" not in runner.invoke(app, ["tokenizer", "check", "dnalm-mini", "fastas/a.fa"]).output
    assert runner.invoke(app, ["tokenizer", "check", "dnalm-mini", "fastas/a.fa"]).exit_code == 0
    for name, why in (("fastas", "no tokenizer in this folder"), ("nosuch", "is not a preset"), ("tiny", "preset")):
        res = runner.invoke(app, ["tokenizer", "check", name, "fastas/a.fa"])
        assert res.exit_code == 2 and why in res.output and len(res.output.strip().splitlines()) == 1, res.output


def test_an_interrupted_command_says_so_in_one_line(monkeypatch, tmp_path):
    import dnalm.cli

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dnalm.cli, "synthesize", stopped)
    result = invoke("synth", "tata", "-o", str(tmp_path / "s"))
    assert result.exit_code == 130
    assert result.output.strip() == "error: interrupted; finished outputs are as they were"
    import dnalm.lm.pretrain  # stopped before it claimed its output: nothing is offered to --resume

    monkeypatch.setattr(dnalm.lm.pretrain, "pretrain", stopped)
    result = invoke("pretrain", str(tmp_path), "-o", str(tmp_path / "p"))
    assert result.exit_code == 130 and result.output.strip() == "error: interrupted; finished outputs are as they were"


def test_an_interrupted_benchmark_continuation_leaves_the_earlier_table_and_report_as_they_were(
    monkeypatch, tmp_path, tata_dir
):
    """A benchmark removed its earlier results table and report when it started: a continuation with another seed
    stopped part-way left no table at all until a whole run finished. They now stay until the new ones are written,
    and a report of the stopped folder does not show the earlier table as the present config's."""
    import dnalm.experiment.runner
    from dnalm.experiment.report import build_report

    config = tmp_path / "b.yaml"
    config.write_text(f"datasets:\n  tata: {tata_dir}\nmodels:\n  gb: {{model: cnn-gb, epochs: 0.3}}\nseeds: [0]\n")
    assert invoke("benchmark", config, "-o", tmp_path / "runs").exit_code == 0
    kept = {n: (tmp_path / "runs" / n).read_bytes() for n in ("results.md", "results.json", "report.html")}
    config.write_text(config.read_text().replace("seeds: [0]", "seeds: [0, 1]"))

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(dnalm.experiment.runner, "run_one", stopped)
        result = invoke("benchmark", config, "-o", tmp_path / "runs")
    assert result.exit_code == 130
    assert "finished outputs are as they were" in result.output
    assert "the runs finished with these settings are kept" in result.output
    assert {n: (tmp_path / "runs" / n).read_bytes() for n in kept} == kept
    build_report(tmp_path / "runs", tmp_path / "stopped.html")
    assert "results.json is the table of an earlier config" in (tmp_path / "stopped.md").read_text()
    again = invoke("benchmark", config, "-o", tmp_path / "runs")
    assert again.exit_code == 0, again.output  # continued: both seeds in the table
    assert json.loads((tmp_path / "runs" / "results.json").read_text())["rows"][0]["n_seeds"] == 2


def test_an_interrupted_search_says_which_choices_were_written(monkeypatch, tmp_path, tata_dir):
    """A search writes each dataset/model pair's chosen.json when its trials are done: "finished outputs are as
    they were" was untrue of the pairs done before the interrupt."""
    import dnalm.experiment.search

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    (tmp_path / "b.yaml").write_text(
        f"datasets:\n  tata: {tata_dir}\nmodels:\n  cnn: cnn\nsearch:\n  space:\n    learning_rate: [0.001, 0.002]\n"
    )
    monkeypatch.setattr(dnalm.experiment.search, "search_one", stopped)
    result = invoke("search", tmp_path / "b.yaml", "-o", tmp_path / "runs")
    assert result.exit_code == 130, result.output
    assert "finished outputs are as they were" not in result.output
    assert (
        "the choices (chosen.json) of the dataset/model pairs whose trials were all done are written" in result.output
    )


def test_the_error_that_ends_a_command_is_in_its_log_file(tmp_path):
    """The log file held the log records only: the line saying why the run ended was on the terminal alone."""
    result = invoke("--log-file", tmp_path / "run.log", "synth", "motif", "-o", tmp_path / "s", "--motif", "GGNTCC")
    assert result.exit_code == 2
    assert (
        "ERROR dnalm: error: " in (tmp_path / "run.log").read_text() and "A/C/G/T" in (tmp_path / "run.log").read_text()
    )


def test_what_a_command_did_is_in_its_log_file(tmp_path, tata_model):
    """`--log-file run.log predict ...` wrote no log at all: the one line saying what was written was printed only."""
    (tmp_path / "in.fa").write_text(">a\n" + "ACGT" * 25 + "\n")
    result = invoke(
        "-q", "--log-file", tmp_path / "run.log", "predict", tata_model, tmp_path / "in.fa", "-o", tmp_path / "p.tsv"
    )
    assert result.exit_code == 0, result.output
    assert f"INFO dnalm: wrote 1 prediction to {tmp_path / 'p.tsv'}" in (tmp_path / "run.log").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["finetune", "d", "-o", "m", "--model", "cnn", "--model", "lstm"],
            "finetune: --model given twice (cnn, lstm)",
        ),
        (
            ["predict", "m", "in.fa", "-o", "a.tsv", "--output=b.tsv"],
            "predict: --output given twice (a.tsv, b.tsv)",
        ),
        (["evaluate", "m", "d", "--rc", "--no-rc"], "evaluate: --rc/--no-rc given twice (--rc, --no-rc)"),
        (["tokenizer", "kmer", "-o", "a", "-o", "b"], "tokenizer kmer: --output given twice (a, b)"),
    ],
)
def test_an_option_given_twice_is_refused_before_any_work(tmp_path, monkeypatch, args, message):
    """click kept the last of a repeated option: --model cnn --model lstm trained an LSTM without a word."""
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.output
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["synth", "tata", "-o", "", "--n", "40"], "synth tata: --output is empty (''): give a value"),
        (["predict", "m", "", "-o", "p.tsv"], "predict: an argument is empty (''): give a value"),
        (["predict", "m", "in.fa", "--output="], "predict: --output is empty (''): give a value"),
    ],
)
def test_an_empty_value_is_refused_not_read_as_the_working_folder(tmp_path, monkeypatch, args, message):
    """-o '' was the current folder ('output folder . is not empty'), an empty input the working folder."""
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.output
    assert not any(tmp_path.iterdir())


def test_an_option_that_may_be_repeated_still_is(tmp_path):
    import typer

    from dnalm.cli import app as cli_app
    from dnalm.runtime.commands import repeated_option

    scan = typer.main.get_command(cli_app).commands["scan"]
    assert repeated_option(scan, ["m", "g.fa", "--regions", "a.bed", "--regions", "chr1:1-100"]) is None
    assert repeated_option(scan, ["m", "g.fa", "-o", "x", "--", "-o"]) is None  # after --: not options


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_stops_a_command_as_ctrl_c_does(tmp_path, name):
    """SIGTERM (a batch scheduler's time limit) ended a run with exit 143, no word, and its lock files left; SIGHUP
    (the terminal or ssh session closed) with 129, the same."""
    import os
    import signal
    import subprocess
    import sys
    import time

    assert invoke("synth", "tata", "-o", tmp_path / "d", "--n", 400, "--length", 60).exit_code == 0
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    args = ["finetune", tmp_path / "d", "-o", tmp_path / "m", "--model", "cnn", "--epochs", 500, "--patience", 0]
    signum = getattr(signal, name)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dnalm.cli", *map(str, args)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL),  # (a suite under nohup ignores SIGHUP)
    )
    deadline = time.time() + 120
    while not (tmp_path / "m.partial" / "history.csv").exists() and proc.poll() is None:  # training
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert f"error: terminated ({name}); finished outputs are as they were" in err
    assert not list(tmp_path.glob(".*dnalm-lock")) and not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["predict", "M", "in.fa", "-o", "out.tsv/"],
        ["scan", "M", "g.fa", "-o", "scan.bedGraph/"],
        ["variants", "M", "v.vcf", "--genome", "g.fa", "-o", "v.tsv/"],
        ["lm-eval", "M", "corpus", "-o", "lm.json/"],
        ["embed", "M", "in.fa", "-o", "emb.npy/"],
        ["audit", "data", "-o", "audit.json/"],
    ],
)
def test_a_file_output_typed_as_a_folder_is_refused_not_written_under_another_name(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # pathlib drops the '/': out.tsv was written where out.tsv/ was asked
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "ends with '/', a folder's name; this output is a file" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_signal_while_exiting_after_the_work_leaves_the_status_as_it_was(monkeypatch, capsys):
    """SIGTERM in the last second (process.finish imports torch.distributed) gave a traceback and status 1 after
    'wrote ...', though the result was complete."""
    import dnalm.runtime.distributed
    from dnalm.runtime import process

    def stopped():
        raise process.Terminated(15)

    monkeypatch.setattr(dnalm.runtime.distributed, "finish", stopped)
    monkeypatch.setattr(process.gc, "freeze", lambda: None)  # (the suite's objects stay collectable)
    process.finish(True)  # no exception: main's exit status (0) stands
    assert "(stopped while exiting; the command had finished)" in capsys.readouterr().err


def test_closed_or_full_streams_and_logs_are_said_in_one_line(tmp_path, capsys):
    """A closed standard error failed every command silently (exit 1: sys.stderr.isatty()); a --log-file on a full
    disk printed a logging traceback per record; a full disk under safetensors or numpy read as dnalm's fault."""
    import subprocess
    import sys
    from pathlib import Path

    from dnalm.runtime.process import report_error

    def synth(out, *before, shell_tail=""):
        args = [sys.executable, "-m", "dnalm", *before, "synth", "tata", "-o", str(tmp_path / out), "--n", "20"]
        return subprocess.run(" ".join(args) + shell_tail, shell=True, capture_output=True, text=True, check=False)

    assert synth("d", shell_tail=" 2>&-").returncode == 0 and (tmp_path / "d" / "train.csv").is_file()
    assert synth("e", shell_tail=" >&-").returncode == 0 and (tmp_path / "e" / "train.csv").is_file()
    if Path("/dev/full").exists():
        full = synth("f", "--log-file", "/dev/full")
        assert full.returncode == 0 and "Traceback" not in full.stderr, full.stderr
        assert full.stderr.count("--log-file /dev/full cannot be written (No space left on device)") == 1
    for err, said in (
        (RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)"), "free space"),
        (OSError(28, "No space left on device", "m.partial/x.bin"), "No space left on device writing m.partial/x.bin"),
        (MemoryError(), "out of memory: use a smaller --batch-size"),
        (RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory"), "out of"),
    ):
        assert report_error(err) == 2
        printed = capsys.readouterr().err
        assert said in printed and "--debug" not in printed, printed


def test_help_into_a_closed_pipe_ends_as_a_unix_tool_does():
    """`dnalm --help | head -1` exited 1 (rich's broken-pipe exit), which `set -o pipefail` reads as a failure;
    a tool stopped by a closed pipe reports 141 (128 + SIGPIPE)."""
    import subprocess
    import sys

    for args in (["--help"], ["predict", "--help"]):
        shell = (
            " ".join([sys.executable, "-m", "dnalm", *args]) + " | true; echo ${PIPESTATUS[0]}"
        )  # (true reads nothing)
        done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=True)
        assert done.stdout.strip() == "141", (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr


def test_help_on_a_narrow_terminal_cuts_nothing_short():
    """With COLUMNS=40, typer's boxes cut option text short ("Output director…", "[default: dnalm-mo…")."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TERMINAL_WIDTH"} | {"COLUMNS": "40"}
    done = subprocess.run(
        [sys.executable, "-m", "dnalm", "finetune", "--help"], capture_output=True, text=True, env=env, check=True
    )
    assert "…" not in done.stdout and "Output directory." in done.stdout and "dnalm-" in done.stdout
    wide = subprocess.run(
        [sys.executable, "-m", "dnalm", "finetune", "--help"],
        capture_output=True,
        text=True,
        env=env | {"COLUMNS": "120"},
        check=True,
    )
    assert "╭─ Options" in wide.stdout  # a wide terminal keeps typer's boxes


def test_a_deleted_working_folder_is_one_line(tmp_path):
    """From a working folder deleted by another shell, every command, even --help, ended in "Intel oneMKL FATAL
    ERROR: Cannot load libtorch_cpu.so", naming nothing."""
    import subprocess
    import sys

    gone = tmp_path / "gone"
    gone.mkdir()
    script = "import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); from dnalm.cli import main; main()"
    res = subprocess.run(
        [sys.executable, "-c", script, str(gone), "--help"], check=False, capture_output=True, text=True
    )
    assert res.returncode == 2 and res.stderr.strip() == (
        "error: the working folder no longer exists (deleted?): cd to a folder that exists"
    )


@pytest.mark.parametrize("given", ["-", "logs/"])
def test_a_log_file_named_as_a_stream_or_a_folder_is_refused(tmp_path, monkeypatch, given):
    """--log-file - wrote a file named '-', and --log-file logs/ a file named logs."""
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["--log-file", given, "synth", "tata", "-o", "s", "--n", "40"])
    assert res.exit_code == 2 and f"--log-file {given}:" in res.output and not list(tmp_path.iterdir())


def test_a_result_line_that_cannot_be_printed_says_the_command_finished(monkeypatch):
    """With stdout on a full device the predictions were written, but the message blamed the disk and said
    "finished outputs are as they were"."""
    import errno

    import typer

    from dnalm.runtime import process

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(typer, "echo", full)
    with pytest.raises(
        OSError, match=r"finished, but its result line could not be written to standard output .*: wrote"
    ):
        process.say("a table\nwrote 5 predictions to p.tsv")


def test_a_quoted_tilde_is_the_home_folder_for_inputs_as_for_outputs(tmp_path):
    """`-o '~/d'` was expanded (the output policy did it) but an input `'~/d'` was not found: one rule now, a
    shell's, for every argument."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOME": str(tmp_path)}

    def dnalm(*args):
        return subprocess.run(
            [sys.executable, "-m", "dnalm", *args], capture_output=True, text=True, env=env, check=False
        )

    made = dnalm("synth", "tata", "-o", "~/d", "--n", "60")
    assert made.returncode == 0 and (tmp_path / "d" / "train.csv").is_file(), made.stderr
    read = dnalm("audit", "~/d", "--output=~/a.json")
    assert read.returncode == 0 and (tmp_path / "a.json").is_file(), read.stderr


def test_a_tilde_is_the_home_folder_for_inputs_and_models_of_the_python_api(tmp_path, monkeypatch):
    """The Python API expanded `~` in outputs only: `run_audit("~/d")`, `read_sequences("~/x.fa")` and
    `ModelRef.resolve("~/m")` were not found, where pandas' `read_csv("~/x.csv")` is."""
    from dnalm.audit import run_audit
    from dnalm.io import read_sequences
    from dnalm.models.ref import ModelRef
    from dnalm.synth import tata_dataset, write_splits

    monkeypatch.setenv("HOME", str(tmp_path))
    write_splits(tata_dataset(60, 40), "~/d")
    assert run_audit("~/d", "~/a.json")["splits"] and (tmp_path / "a.json").is_file()
    (tmp_path / "x.fa").write_text(">s\nACGT\n")
    assert [r.sequence for r in read_sequences("~/x.fa")] == ["ACGT"]
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text('{"model_type": "bert"}')
    ref = ModelRef.resolve("~/m")
    assert (ref.kind, ref.path) == ("folder", str(tmp_path / "m"))


def test_a_number_option_that_cannot_be_read_names_its_value(tmp_path):
    """typer's "Invalid value for '--n': Input should be a valid integer, unable to parse string as an integer"
    named no value, where every other refusal ends in "got ..."."""
    for args, said in [
        (("synth", "tata", "-o", tmp_path / "s", "--n", "2.5"), "n (--n) must be a whole number; got '2.5'"),
        (("synth", "tata", "-o", tmp_path / "s", "--dev-fraction", "5%"), "--dev-fraction must be a number; got '5%'"),
        (("finetune", tmp_path, "-o", tmp_path / "m", "--batch-size", "ten"), "(--batch-size) must be a whole number"),
        # 1e12 is a whole number, as YAML and Python read it: out of range, which is said (not "a whole number")
        (("finetune", tmp_path, "-o", tmp_path / "m", "--batch-size", "1e12"), "got 1000000000000"),
    ]:
        r = invoke(*args)
        assert r.exit_code == 2 and said in r.output, r.output
    assert not (tmp_path / "s").exists()


def test_a_whole_number_written_with_an_exponent_is_read_as_yaml_and_python_read_it(tmp_path):
    """--n 2e2 was refused as no whole number where a YAML file's 2e2 and synthesize(n=2e2) made 200 sequences."""
    r = invoke("synth", "tata", "-o", tmp_path / "s", "--n", "2e2", "--length", "60")
    assert r.exit_code == 0, r.output
    assert sum(len(f.read_text().splitlines()) - 1 for f in (tmp_path / "s").glob("*.csv")) == 200
    (tmp_path / "a.fa").write_text(">a\nACGTACGTAC\n")
    r = invoke("tokenizer", "check", "kmer6", tmp_path / "a.fa", "--max-length", "2e1")
    assert r.exit_code == 0 and "(20)" in r.output, r.output
    r = invoke("tokenizer", "check", "kmer6", tmp_path / "a.fa", "--max-length", "ten")  # a TypeError, once typed
    assert r.exit_code == 2 and "max_length (--max-length) must be a whole number of at least 1; got 'ten'" in r.output


def test_sigterm_is_taken_from_the_first_step_of_the_command(monkeypatch):
    """SIGTERM during the seconds torch and transformers import ended the command with exit 143 and no word (its
    handler was set after them); Ctrl-C there gave the one line."""
    import signal
    import sys

    from dnalm.runtime import process

    monkeypatch.setattr(sys, "argv", ["dnalm", "--version"])
    before = signal.getsignal(signal.SIGTERM)
    hup = signal.getsignal(signal.SIGHUP)
    try:
        process.start()
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler) and handler is not before  # (raising the signal here would end the suite)
        with pytest.raises(process.Terminated):
            handler(signal.SIGTERM, None)
    finally:
        signal.signal(signal.SIGTERM, before)
        signal.signal(signal.SIGHUP, hup)


def test_a_setting_without_an_option_is_said_to_be_set_in_the_config_file(tmp_path):
    """--lora-r was "No such option (Possible options: --lora)": another setting, and no word of where lora_r goes."""
    r = invoke("finetune", tmp_path, "-o", tmp_path / "m", "--lora-r", "4")
    assert r.exit_code == 2 and "lora_r has no option: set it in the YAML file given as --config (lora_r: VALUE)" in (
        r.output
    )
    r = invoke("finetune", tmp_path, "-o", tmp_path / "m", "--lorra", "4")  # no setting of that name: click's words
    assert r.exit_code == 2 and "No such option: --lorra" in r.output
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("command", ["finetune", "pretrain"])
def test_resume_with_overwrite_is_one_rule_for_every_command(tmp_path, command):
    """finetune said 'no stopped run to continue', pretrain 'give one of them'."""
    from typer.testing import CliRunner

    from dnalm.cli import app

    (tmp_path / "d.fa").write_text(">a\nACGT\n")
    res = CliRunner().invoke(
        app, [command, str(tmp_path / "d.fa"), "-o", str(tmp_path / "o"), "--resume", "--overwrite"]
    )
    assert res.exit_code == 2 and "--resume continues a run and --overwrite replaces it: give one of them" in res.output


@pytest.mark.parametrize("size", ["0", "-1"])
def test_a_batch_size_below_one_is_one_clear_line_everywhere(tmp_path, size):
    """Item 13: ``--batch-size 0`` crashed inside range() and ``-1`` with a TypeError; now every command
    refuses it before any work, and the library says what is wrong."""
    from typer.testing import CliRunner

    from dnalm.apply.predict import predict_proba
    from dnalm.cli import app
    from dnalm.interpret.attributions import gradient_attributions
    from dnalm.lm.pretrain import PretrainConfig
    from dnalm.models.build import build_model

    (tmp_path / "x.fa").write_text(">a\nACGT\n")
    for command in ("predict", "evaluate", "scan", "embed", "interpret"):
        out = ["-o", str(tmp_path / "e.npy")] if command == "embed" else []
        res = CliRunner().invoke(app, [command, "tiny", str(tmp_path / "x.fa"), "--batch-size", size, *out])
        assert res.exit_code == 2 and "--batch-size" in res.output and "Traceback" not in res.output, command
    for command in ("finetune", "pretrain"):
        res = CliRunner().invoke(
            app, [command, str(tmp_path / "x.fa"), "--batch-size", size, "-o", str(tmp_path / "o")]
        )
        assert res.exit_code == 2 and "--batch-size" in res.output, command
    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    with pytest.raises(ValueError, match=f"batch size must be a whole number of at least 1; got {size}"):
        predict_proba(model, tok, ["ACGT"], batch_size=int(size))
    with pytest.raises(ValueError, match="batch size must be a whole number"):
        gradient_attributions(model, tok, ["ACGT"], method="gradxinput", batch_size=int(size))
    with pytest.raises(ValueError, match=r"batch_size \(--batch-size\) must be in \[1, 1000000\]"):
        PretrainConfig(batch_size=int(size))


def test_version_and_python_dash_m():
    import subprocess
    import sys

    from dnalm import __version__

    out = subprocess.run([sys.executable, "-m", "dnalm", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"dnalm {__version__}"


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
