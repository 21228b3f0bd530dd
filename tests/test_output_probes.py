"""Output probes through the command line: every command that writes refuses an output that is an input, a folder
it did not write, or one another run is writing; each refusal is one line, exit status 2, and no user file changes."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dnalm.cli import app

FASTA = ">s1\n" + "ACGT" * 15 + "\n>s2\n" + "TATAAA" * 10 + "\n"


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


def _refused(root: Path, args: list, match: str) -> str:
    """Run ``dnalm ARGS``: exit status 2, one error line matching ``match``, nothing under ``root`` changed."""
    before = _hashes(root)
    res = CliRunner().invoke(app, [str(a) for a in args])
    errors = [line for line in res.output.splitlines() if line.startswith("error")]
    assert res.exit_code == 2, res.output
    assert len(errors) == 1 and "Traceback" not in res.output, res.output
    assert match in errors[0], errors[0]
    assert _hashes(root) == before
    return errors[0]


def _ok(args: list) -> str:
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.fa").write_text(FASTA)
    (tmp_path / "sub").mkdir()
    os.link(tmp_path / "in.fa", tmp_path / "hard.fa")
    (tmp_path / "link.fa").symlink_to(tmp_path / "in.fa")
    return tmp_path


SPELLINGS = ["in.fa", "./in.fa", "sub/../in.fa", "link.fa", "hard.fa"]


@pytest.mark.parametrize("out", SPELLINGS)
def test_predict_into_its_input_is_refused(tata_model, work, out):
    _refused(work, ["predict", tata_model, "in.fa", "-o", out], "is the input")


@pytest.mark.parametrize("out", SPELLINGS)
@pytest.mark.parametrize("option", ["-o", "--peaks"])
def test_scan_into_its_genome_is_refused(tata_model, work, out, option):
    _refused(work, ["scan", tata_model, "in.fa", option, out], "is the input")


def _vcf(root: Path) -> Path:
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=s1,length=60>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    (root / "x.vcf").write_text("\n".join([*lines, "s1\t5\tv1\tA\tG\t.\t.\t."]) + "\n")
    return root / "x.vcf"


@pytest.mark.parametrize("out", ["x.vcf", "sub/../x.vcf", "in.fa"])
def test_variants_into_its_vcf_or_genome_is_refused(tata_model, work, out):
    _vcf(work)
    _refused(work, ["variants", tata_model, "x.vcf", "--genome", "in.fa", "-o", out], "is the input")


@pytest.mark.parametrize("out", [".", "data", "data/..", "data/../data"])
def test_finetune_and_evaluate_into_a_folder_holding_their_data_are_refused(tata_dir, work, out):
    import shutil

    shutil.copytree(tata_dir, work / "data")
    _refused(work, ["finetune", "data", "-o", out, "--model", "pos-cnn", "--overwrite"], "input")
    _refused(work, ["evaluate", "model", "data", "-o", out], "input")
    _refused(work, ["audit", "data", "--dedup", out, "--tokenizer", "none"], "input")


def _benchmark_config(root: Path, data: Path) -> Path:
    cfg = {"datasets": {"tata": str(data)}, "models": {"cnn": "cnn-gb"}, "seeds": [0], "audit": False, "report": False}
    (root / "bench.yaml").write_text(yaml.safe_dump(cfg))
    return root / "bench.yaml"


# the commands, each with a file that is its own result: a user's file of that name must survive
FOREIGN = {
    "synth tata": (["synth", "tata", "--n", "40"], "train.csv"),
    "synth motif": (["synth", "motif", "--motif", "TATAAA", "--n", "40"], "train.csv"),
    "tokenizer kmer": (["tokenizer", "kmer"], "vocab.txt"),
    "tokenizer nonoverlap": (["tokenizer", "nonoverlap"], "vocab.txt"),
    "tokenizer base": (["tokenizer", "base"], "vocab.txt"),
    "tokenizer bpe": (["tokenizer", "bpe", "{fasta}"], "tokenizer.json"),
    "evaluate": (["evaluate", "{model}", "{data}"], "metrics.json"),
    "interpret": (["interpret", "{model}", "{fasta}"], "attributions.npz"),
    "audit --dedup": (["audit", "{data}", "--tokenizer", "none", "--dedup"], "train.csv"),
    "corpus": (["corpus", "{fasta}"], "summary.json"),
    "benchmark": (["benchmark", "{bench}"], "results.md"),
    "search": (["search", "{bench}"], "results.md"),
    "finetune": (["finetune", "{data}", "--model", "pos-cnn"], "config.json"),
    "pretrain": (["pretrain", "{fasta}", "--resume"], "config.json"),
    "demo": (["demo"], "summary.json"),
}


@pytest.mark.parametrize("command", FOREIGN)
def test_a_folder_holding_the_users_same_named_file_is_refused(command, tata_model, tata_dir, tmp_path):
    args, name = FOREIGN[command]
    users = tmp_path / "mine"
    users.mkdir()
    (users / name).write_text("the user's own file")
    (tmp_path / "in.fa").write_text(FASTA)
    bench = _benchmark_config(tmp_path, tata_dir)
    fill = {"{fasta}": tmp_path / "in.fa", "{model}": tata_model, "{data}": tata_dir, "{bench}": bench}
    args = [fill.get(a, a) for a in args]
    if command == "search":  # a config with a search section
        cfg = yaml.safe_load(bench.read_text())
        bench.write_text(yaml.safe_dump({**cfg, "search": {"method": "grid", "space": {"learning_rate": [1e-3]}}}))
    dash_o = ["--dedup"] if command == "audit --dedup" else ["-o"]
    if command == "audit --dedup":
        args = args[:-1]
    _refused(tmp_path, [*args, *dash_o, users], "is not a folder dnalm wrote")


@pytest.mark.parametrize("command", ["benchmark", "search"])
def test_benchmark_and_search_refuse_an_output_folder_holding_their_config(command, tata_dir, tmp_path):
    bench = _benchmark_config(tmp_path, tata_dir)
    cfg = yaml.safe_load(bench.read_text())
    bench.write_text(yaml.safe_dump({**cfg, "search": {"method": "grid", "space": {"learning_rate": [1e-3]}}}))
    _refused(tmp_path, [command, bench, "-o", tmp_path, "--overwrite"], f"contains the input {bench}")


def test_report_does_not_replace_the_benchmarks_own_results(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "results.md").write_text("# the benchmark's table")
    (runs / "results.json").write_text("{}")
    _refused(tmp_path, ["report", runs, "-o", runs / "results.md"], "report writes an HTML file")
    _refused(tmp_path, ["report", runs, "-o", runs / "results.html"], "is the input")  # its .md is results.md
    _refused(tmp_path, ["report", runs, "-o", runs / "results.html", "--overwrite"], "is the input")


def test_a_synth_rerun_replaces_its_own_files_and_the_folder_becomes_refused_once_mixed(work):
    _ok(["synth", "tata", "-o", "d", "--n", "40"])
    _ok(["synth", "tata", "-o", "d", "--n", "40", "--seed", "1"])
    (work / "d" / "notes.txt").write_text("mine")
    _refused(work, ["synth", "tata", "-o", "d", "--n", "40"], "files this command did not write (notes.txt)")
    _refused(work, ["tokenizer", "kmer", "-o", "d"], "holds a dnalm synth, not a tokenizer")


def _cnn(data, out, *extra) -> list:
    return ["finetune", data, "-o", out, "--model", "pos-cnn", "--epochs", "1", "--precision", "fp32", *extra]


def test_finetune_into_a_finished_model_is_refused_and_overwrite_keeps_the_users_notes(tata_dir, tmp_path):
    out = tmp_path / "model"
    _ok(_cnn(tata_dir, out))
    (out / "notes.md").write_text("what I learned")
    _refused(tmp_path, _cnn(tata_dir, out), "not write (notes.md)")
    (out / "notes.md").unlink()
    _refused(tmp_path, _cnn(tata_dir, out), "already holds a dnalm model; pass --overwrite")
    _refused(tmp_path, _cnn(tata_dir, out, "--resume"), "already holds a dnalm model")  # nothing to resume
    (out / "notes.md").write_text("what I learned")
    _ok(_cnn(tata_dir, out, "--overwrite", "--seed", "3"))
    assert (out / "notes.md").read_text() == "what I learned"
    assert json.loads((out / "training_summary.json").read_text())["seed"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no partial folder, no lock left


def test_finetune_overwrite_through_a_symlink_writes_the_target_and_keeps_the_link(tata_dir, tmp_path):
    target, link = tmp_path / "real", tmp_path / "link"
    _ok(_cnn(tata_dir, target))
    link.symlink_to(target, target_is_directory=True)
    _ok(_cnn(tata_dir, link, "--overwrite", "--seed", "2"))
    assert link.is_symlink() and json.loads((target / "training_summary.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def _hold(lock: Path) -> None:
    lock.write_text(
        json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": "dnalm finetune", "started": "now"})
    )


@pytest.mark.parametrize("which", ["model", "model.partial"])
def test_a_second_finetune_is_refused_while_the_first_writes(tata_dir, tmp_path, which):
    _hold(tmp_path / f".{which}.dnalm-lock")
    (tmp_path / "model.partial").mkdir()
    (tmp_path / "model.partial" / "PARTIAL_RUN.txt").write_text("a live run's")
    _refused(tmp_path, _cnn(tata_dir, tmp_path / "model"), f"another dnalm run (pid {os.getpid()}")
    _refused(tmp_path, _cnn(tata_dir, tmp_path / "model", "--overwrite"), "another dnalm run")


@pytest.mark.parametrize(
    "args", [["synth", "tata", "-o", "out"], ["tokenizer", "base", "-o", "out"], ["predict", "m", "in.fa", "-o", "out"]]
)
def test_every_writer_takes_the_lock(work, args):
    _hold(work / ".out.dnalm-lock")
    _refused(work, args, "being written by another dnalm run")


def test_pretrain_resume_does_not_skip_the_foreign_folder_check(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("years of work")
    _refused(tmp_path, ["pretrain", tmp_path / "corpus", "-o", out, "--resume"], "not a folder dnalm wrote")


@pytest.mark.parametrize(
    "args",
    [
        ["interpret", "{model}", "in.fa", "-o", "in.fa"],
        ["interpret", "{model}", "in.fa", "-o", "{model}"],
        ["interpret", "{model}", "in.fa", "-o", "."],
        ["evaluate", "{model}", "in.fa", "-o", "{model}"],
        ["evaluate", "{model}", "in.fa", "-o", "link.fa"],
        ["corpus", "in.fa", "-o", "in.fa"],
        ["corpus", "in.fa", "-o", "sub/.."],
        ["tokenizer", "bpe", "in.fa", "-o", "hard.fa"],
        ["tokenizer", "bpe", "in.fa", "-o", "."],
        ["finetune", "in.fa", "-o", "link.fa", "--model", "pos-cnn"],
        ["pretrain", "in.fa", "-o", "sub/../in.fa"],
        ["lm-eval", "{model}", "in.fa", "-o", "hard.fa"],
        ["embed", "{model}", "in.fa", "-o", "{model}/model.safetensors"],
        ["synth", "motif", "--pwm", "in.fa", "-o", "."],
        ["predict", "{model}", "in.fa", "-o", "{model}/config.json"],
        ["scan", "{model}", "in.fa", "--bigwig", "{model}/config.json"],
    ],
)
def test_more_outputs_that_are_inputs_are_refused(tata_model, work, args):
    args = [a.replace("{model}", str(tata_model)) for a in args]
    model_before = _hashes(Path(tata_model))
    _refused(work, args, "input")
    assert _hashes(Path(tata_model)) == model_before


def test_a_symlinked_output_file_is_written_at_its_target_and_the_link_kept(tata_model, work):
    _ok(["predict", tata_model, "hard.fa", "-o", "target.tsv"])  # an earlier result of the same command
    (work / "out.tsv").symlink_to(work / "target.tsv")
    _ok(["predict", tata_model, "in.fa", "-o", "out.tsv"])
    assert (work / "out.tsv").is_symlink() and (work / "target.tsv").read_text().startswith("id")


def test_a_symlink_to_the_data_folder_is_refused_as_an_output(tata_dir, work):
    (work / "data-link").symlink_to(tata_dir, target_is_directory=True)
    before = _hashes(tata_dir)
    _refused(work, ["finetune", tata_dir, "-o", "data-link", "--overwrite"], "input")
    _refused(work, ["synth", "tata", "-o", "data-link/..", "--n", "40"], "not a folder dnalm wrote")
    assert _hashes(tata_dir) == before


def test_a_stale_lock_of_a_dead_run_is_taken_over(work):
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    lock = work / ".out.dnalm-lock"
    lock.write_text(json.dumps({"pid": proc.pid, "host": socket.gethostname(), "command": "dnalm synth tata"}))
    output = _ok(["synth", "tata", "-o", "out", "--n", "40"])
    assert "is gone" in output and not lock.exists() and (work / "out" / "train.csv").is_file()


def test_two_finetune_runs_on_one_output_the_second_refused_and_the_first_untouched(tata_dir, tmp_path):
    import subprocess
    import sys
    import time

    out = tmp_path / "model"
    first = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dnalm",
            "-q",
            *map(str, _cnn(tata_dir, out)[:-4]),
            "--epochs",
            "200",
            "--patience",
            "1000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        t0 = time.time()
        while not (tmp_path / "model.partial" / "PARTIAL_RUN.txt").is_file():
            assert first.poll() is None and time.time() - t0 < 120, "the first run did not start"
            time.sleep(0.1)
        error = _refused(tata_dir, _cnn(tata_dir, out), f"another dnalm run (pid {first.pid}")
        assert "finetune" in error
        assert (tmp_path / "model.partial" / "PARTIAL_RUN.txt").is_file()
    finally:
        first.kill()
        first.wait()


def test_every_command_that_writes_a_folder_takes_overwrite():
    import typer

    commands = typer.main.get_command(app)
    for name in FOREIGN:
        words = name.split()
        command = commands.commands[words[0]]
        if len(words) > 1 and words[1] != "--dedup":
            command = command.commands[words[1]]
        assert "--overwrite" in {opt for p in command.params for opt in p.opts}, name


@pytest.mark.parametrize(
    "args",
    [["synth", "tata", "--n", "40"], ["tokenizer", "kmer"], ["tokenizer", "base"]],
    ids=lambda a: " ".join(a[:2]),
)
def test_overwrite_writes_into_a_foreign_folder_and_keeps_the_users_files(work, args):
    (work / "mine").mkdir()
    (work / "mine" / "notes.txt").write_text("the user's notes")
    _refused(work, [*args, "-o", "mine"], "is not a folder dnalm wrote")
    _ok([*args, "-o", "mine", "--overwrite"])
    _ok([*args, "-o", "mine", "--overwrite"])  # a second time: dnalm's files replaced, the notes kept
    assert (work / "mine" / "notes.txt").read_text() == "the user's notes"
    assert "notes.txt" not in json.loads((work / "mine" / ".dnalm.json").read_text())["files"]


def test_a_log_file_that_is_not_a_log_is_refused_and_left_as_it_was(tata_model, work):
    _refused(work, ["--log-file", "in.fa", "synth", "tata", "-o", "d", "--n", "40"], "is not a dnalm log")
    _refused(work, ["--log-file", "hard.fa", "predict", tata_model, "in.fa", "-o", "p.tsv"], "is not a dnalm log")
    _refused(work, ["--log-file", "sub", "synth", "tata", "-o", "d", "--n", "40"], "is a folder")
    assert not (work / "d").exists()


def test_a_log_file_that_is_the_commands_output_is_refused(tata_model, work):
    _refused(work, ["--log-file", "p.tsv", "predict", tata_model, "in.fa", "-o", "p.tsv"], "is the output")
    assert not (work / "p.tsv").exists()


def test_a_log_inside_the_output_folder_is_the_users_file(work):
    (work / "d").mkdir()
    (work / "d" / "run.log").write_text("")  # the log of the first run (synth itself logs little)
    for extra in ([], [], ["--overwrite"]):
        _ok(["--log-file", "d/run.log", "synth", "tata", "-o", "d", "--n", "40", *extra])
    assert "run.log" not in json.loads((work / "d" / ".dnalm.json").read_text())["files"]
    assert (work / "d" / "run.log").is_file()


def test_a_log_inside_the_output_folder_not_named_log_is_refused_before_any_work(work):
    # history.csv, vocab.txt, README.md ...: the command's own file would replace the log (and earlier runs' log)
    for name in ("history.csv", "README.md", "notes.txt"):
        _refused(work, ["--log-file", f"d/{name}", "synth", "tata", "-o", "d", "--n", "40"], "name it *.log")
    assert not (work / "d").exists()  # not even the folder the log would have been in


def test_finetune_never_writes_over_the_model_it_starts_from(tata_model, tata_dir, tmp_path):
    import shutil

    start = tmp_path / "start"
    shutil.copytree(tata_model, start)
    (tmp_path / "start-link").symlink_to(start)
    for out in (start, tmp_path / "start-link"):
        args = ["finetune", tata_dir, "-o", out, "--model", start, "--epochs", "1", "--overwrite"]
        _refused(tmp_path, args, "is the input")


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "{model}", "in.fa", "-o", "p.bg", "--peaks", "p.bg"],
        ["scan", "{model}", "in.fa", "-o", "q.bg", "--bigwig", "./q.bg"],
        ["audit", "{data}", "--tokenizer", "none", "--dedup", "D", "-o", "D"],
        ["audit", "{data}", "--tokenizer", "none", "--dedup", "D", "-o", "D/audit.json"],
    ],
    ids=["scan peaks", "scan bigwig", "audit dedup", "audit inside dedup"],
)
def test_two_outputs_of_one_command_on_one_path_are_refused_before_any_work(tata_model, tata_dir, work, args):
    fill = {"{model}": tata_model, "{data}": tata_dir}
    _refused(work, [fill.get(a, a) for a in args], "are one path")


@pytest.mark.parametrize(
    "args",
    [
        ["predict", "{model}", "in.fa", "-o", "{out}"],
        ["scan", "{model}", "in.fa", "-o", "{out}"],
        ["scan", "{model}", "in.fa", "-o", "s.bg", "--peaks", "{out}"],
        ["audit", "{data}", "--tokenizer", "none", "-o", "{out}"],
    ],
    ids=["predict", "scan", "scan peaks", "audit"],
)
def test_an_existing_file_is_replaced_only_if_the_same_command_wrote_it(tata_model, tata_dir, work, args):
    fill = {"{model}": tata_model, "{data}": tata_dir}
    (work / "notes.txt").write_text("the user's notes")
    _refused(work, [fill.get(a, "notes.txt" if a == "{out}" else a) for a in args], "a file dnalm did not write")
    ours = [fill.get(a, "ours.out" if a == "{out}" else a) for a in args]
    _ok(ours)
    _ok(ours)  # a rerun replaces its own result
    os.utime(work / "ours.out", (1, 1))  # touched, copied, checked out: the same content, still dnalm's
    _ok(ours)
    (work / "ours.out").write_text((work / "ours.out").read_text() + "the user's edit\n")  # ... until it is edited
    _refused(work, ours, "was written by `dnalm " + args[0] + "` and has changed since")
    _ok([fill.get(a, "notes.txt" if a == "{out}" else a) for a in args] + ["--overwrite"])
    ledger = json.loads((work / ".dnalm-files.json").read_text())
    assert ledger["notes.txt"]["command"] == ledger["ours.out"]["command"] == args[0]


def test_one_commands_result_is_not_replaced_by_another_command(tata_model, work):
    _ok(["predict", tata_model, "in.fa", "-o", "result.tsv"])
    _refused(work, ["scan", tata_model, "in.fa", "-o", "result.tsv"], "is the result of `dnalm predict`")


def test_report_refuses_a_folder_that_holds_no_benchmark(tata_dir, work):
    _refused(work, ["report", tata_dir, "-o", "r.html"], "not a folder that `dnalm benchmark`")
    _refused(work, ["report", "sub", "-o", "r.html"], "not a folder that `dnalm benchmark`")


def test_a_refused_rerun_leaves_the_finished_folders_marker_as_it_was(work):
    _ok(["synth", "tata", "-o", "d", "--n", "40"])
    before = (work / "d" / ".dnalm.json").read_bytes()
    _refused(work, ["synth", "motif", "-o", "d", "--n", "40", "--motif", "ACGT", "--pwm", "nosuch.meme"], "nosuch")
    assert (work / "d" / ".dnalm.json").read_bytes() == before


def test_a_rerun_that_fails_leaves_the_earlier_result_and_one_that_succeeds_removes_what_it_did_not_rewrite(work):
    _ok(["synth", "tata", "-o", "d", "--n", "40"])
    (work / "d" / "extra.csv").write_text("x")
    marker = json.loads((work / "d" / ".dnalm.json").read_text())
    (work / "d" / ".dnalm.json").write_text(json.dumps({**marker, "files": [*marker["files"], "extra.csv"]}))
    before = _hashes(work)
    _refused(work, ["synth", "motif", "-o", "d", "--n", "40", "--pwm", "nosuch.meme"], "nosuch")
    assert _hashes(work) == before  # nothing removed up front
    _ok(["synth", "tata", "-o", "d", "--n", "40", "--seed", "1"])
    assert not (work / "d" / "extra.csv").exists() and (work / "d" / "train.csv").is_file()


def test_repeated_names_are_refused_or_counted(tata_model, work):
    genome = work / "twice.fa"
    genome.write_text(">c1\n" + "ACGT" * 50 + "\n>c1\n" + "GGCC" * 50 + "\n")
    vcf = work / "v.vcf"
    head = ["##fileformat=VCFv4.2", "##contig=<ID=c1,length=200>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    vcf.write_text("\n".join([*head, "c1\t5\tv1\tA\tG\t.\t.\t."]) + "\n")
    _refused(work, ["variants", tata_model, vcf, "--genome", genome, "-o", "v.tsv"], "comes twice in the genome")
    _refused(work, ["corpus", "in.fa", "./in.fa", "-o", "corpus"], "the same FASTA file as in.fa, given twice")
    _refused(work, ["synth", "motif", "-o", "m", "--n", "40", "--motif", "TATAAA", "--rate", "0.01"], "one class only")
    res = CliRunner().invoke(app, ["predict", str(tata_model), str(genome), "-o", "p.tsv"])
    assert res.exit_code == 0 and "1 record(s) repeat" in res.output and "repeat an earlier record's id" in res.output
    assert len((work / "p.tsv").read_text().splitlines()) == 3  # header and both records


def test_embed_names_its_ids_file_and_counts_repeated_ids(work):
    (work / "dup.fa").write_text(">s1 first one\n" + "ACGT" * 10 + "\n>s1\n" + "GGCC" * 10 + "\n")
    out = _ok(["embed", "dnalm-mini", "dup.fa", "-o", "e.npy"])
    assert "e.ids.txt" in out and "1 rows repeat an earlier record's id" in out
    assert "1 record(s) repeat an earlier record's id (the first repeat: 's1' at dup.fa:3" in out  # as predict says
    _ok(["embed", "dnalm-mini", "dup.fa", "-o", "e.parquet"])
    import pyarrow.parquet as pq

    table = pq.read_table(work / "e.parquet").to_pydict()  # the headers' descriptions, as predict keeps them
    assert table["id"] == ["s1", "s1"] and table["description"] == ["first one", None]


def test_interpret_says_repeated_ids_as_predict_does(tata_model, work):
    (work / "dup.fa").write_text(">s1\n" + "ACGT" * 15 + "\n>s1\n" + "GGCC" * 15 + "\n")
    out = _ok(["interpret", tata_model, "dup.fa", "-o", "i", "--logos", "0", "--method", "gradxinput"])
    assert "1 record(s) repeat an earlier record's id (the first repeat: 's1' at dup.fa:3" in out


@pytest.mark.parametrize(
    "args",
    [
        ["predict", "MODEL", "-", "-o", "p.tsv"],
        ["embed", "dnalm-mini", "-", "-o", "e.npy"],
        ["evaluate", "MODEL", "-", "-o", "ev"],
        ["audit", "-"],
        ["corpus", "in.fa", "-", "-o", "c"],
        ["finetune", "-", "-o", "m"],
    ],
    ids=lambda a: a[0],
)
def test_a_dash_for_an_input_names_dev_stdin(tata_model, work, args):
    """``-`` as an input was "-: no such file or folder", as if a file were missing; ``-o -`` is standard output."""
    args = [tata_model if a == "MODEL" else a for a in args]
    _refused(work, args, "input '-': dnalm reads standard input by its name, /dev/stdin")


def test_an_output_no_file_can_be_made_at_is_one_line_naming_it(tata_model, work):
    """They were raw OSError text naming dnalm's lock file (/proc/.p.tsv.dnalm-lock) or the whole path."""
    long = "x" * 300 + ".tsv"
    _refused(work, ["predict", tata_model, "in.fa", "-o", long], f"output {long}: cannot be written there (File name")
    if Path("/proc/self").is_dir():
        _refused(work, ["synth", "tata", "-o", "/proc/synthx"], "output /proc/synthx: cannot be written there")


def test_an_output_folder_among_an_input_folders_own_files_is_refused(tata_model, tata_dir, work):
    """`pretrain corpus -o corpus/train --overwrite` wrote a model among the corpus's split files."""
    import shutil

    shutil.copytree(tata_dir, work / "d")
    (work / "d" / "notes").mkdir()
    (work / "d" / "notes" / "x.txt").write_text("the user's")
    args = ["evaluate", tata_model, "d", "-o", "d/notes", "--overwrite"]
    _refused(work, args, "output folder d/notes is a folder of the input d that holds its files")
    _ok(["evaluate", tata_model, "d", "-o", "d/eval"])  # a new folder beside the data is fine


def test_a_settings_file_or_tokenizer_folder_a_command_reads_is_an_input_too(tata_dir, work):
    """--config and audit --tokenizer were read but not declared: `finetune DATA --config M/dnalm_config.yaml -o M
    --overwrite` replaced the user's YAML, and `audit --tokenizer M -o M/vocab.txt --overwrite` broke the model."""
    from dnalm.tokenizers.dna import KmerTokenizer

    (work / "m").mkdir()
    (work / "m" / "dnalm_config.yaml").write_text("epochs: 1\nmodel: cnn\n")
    _refused(work, ["finetune", tata_dir, "--config", "m/dnalm_config.yaml", "-o", "m", "--overwrite"], "input")
    (work / "p").mkdir()
    (work / "p" / "dnalm_pretrain.yaml").write_text("model: tiny\nmax_steps: 2\n")
    _refused(work, ["pretrain", "in.fa", "--config", "p/dnalm_pretrain.yaml", "-o", "p", "--overwrite"], "input")
    KmerTokenizer(k=3).save_pretrained(work / "tk")
    args = ["audit", tata_dir, "--tokenizer", "tk", "-o", "tk/vocab.txt", "--overwrite"]
    _refused(work, args, "input")
