"""The output policy (dnalm.io.outputs): each rule on its own, without a model; then through the command line,
where every command that writes refuses an output that is an input, a folder it did not write, or one another run
is writing, each refusal one line with exit status 2 and no user file changed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from dnalm.cli import app
from dnalm.io.outputs import LEDGER, MARKER, Output, OutputError, claim, install_folder, read_marker
from tests.conftest import FASTA, _dnalm, _hashes, _ok, _refused


def _write_result(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"dnalm's {name}\n")


def _run(folder: Path, kind: str = "synth", names=("train.csv",), **kw) -> None:
    with claim("test", outputs=[Output(folder, kind)], **kw):
        _write_result(folder, *names)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# -- an output that is an input ------------------------------------------------------------------
@pytest.mark.parametrize("spelling", ["same", "dotdot", "symlink", "hardlink", "relative"])
def test_an_output_file_that_is_an_input_is_refused_in_every_spelling(tmp_path, monkeypatch, spelling):
    data = tmp_path / "in.fa"
    data.write_text(">a\nACGT\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    out = {
        "same": data,
        "dotdot": tmp_path / "sub" / ".." / "in.fa",
        "symlink": tmp_path / "link.fa",
        "hardlink": tmp_path / "hard.fa",
        "relative": Path("./sub/../in.fa"),
    }[spelling]
    if spelling == "symlink":
        out.symlink_to(data)
    if spelling == "hardlink":
        os.link(data, out)
    with (
        pytest.raises(OutputError, match=r"is the input") as err,
        claim("predict", inputs=[data], outputs=[Output(out)]),
    ):
        pytest.fail("the claim was granted")
    assert "\n" not in str(err.value) and str(out) in str(err.value)
    assert data.read_text() == ">a\nACGT\n"


def test_an_output_folder_containing_an_input_is_refused(tmp_path):
    data = tmp_path / "data"
    _write_result(data, "train.csv")
    for out in (data, tmp_path, data / "x" / ".."):
        with (
            pytest.raises(OutputError, match=r"(contains the input|is the input)"),
            claim("finetune", inputs=[data / "train.csv"], outputs=[Output(out, "model")], overwrite=True),
        ):
            pass
    assert (data / "train.csv").read_text() == "dnalm's train.csv\n"


def test_an_output_file_replacing_a_file_in_an_input_folder_is_refused(tmp_path):
    runs = tmp_path / "bench"
    _write_result(runs, "results.md")
    os.link(runs / "results.md", tmp_path / "elsewhere.md")
    for out in (runs / "results.md", tmp_path / "elsewhere.md"):
        with pytest.raises(OutputError, match="input folder"), claim("report", inputs=[runs], outputs=[Output(out)]):
            pass
    with claim("report", inputs=[runs], outputs=[Output(runs / "new.html")]):  # a new file beside them is fine
        pass


# -- markers: dnalm's folders, foreign ones, mixed ones ------------------------------------------
def test_a_folder_dnalm_wrote_carries_a_marker_listing_its_files(tmp_path):
    out = tmp_path / "out"
    _run(out, names=("train.csv", "dev.csv"))
    marker = json.loads((out / MARKER).read_text())
    assert marker["kind"] == "synth" and marker["files"] == ["dev.csv", "train.csv"] and marker["dnalm_version"]


def test_a_foreign_folder_is_refused_and_overwrite_keeps_the_users_files(tmp_path):
    out = tmp_path / "out"
    _write_result(out, "train.csv", "notes.txt")
    with pytest.raises(OutputError, match=r"not a folder dnalm wrote.*overwrite=True"):
        _run(out, overwrite=False)
    with pytest.raises(OutputError, match=r"not a folder dnalm wrote") as err:
        _run(out)  # a command without --overwrite does not suggest it
    assert "--overwrite" not in str(err.value)
    assert (out / "train.csv").read_text() == "dnalm's train.csv\n"
    _run(out, names=("dev.csv",), overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "dev.csv", "notes.txt", "train.csv"]
    assert read_marker(out)["files"] == ["dev.csv"]  # the user's train.csv is not counted as dnalm's
    _run(out, names=("dev.csv",), overwrite=True)  # --overwrite removes only what dnalm wrote
    assert (out / "notes.txt").is_file() and (out / "train.csv").is_file()


def test_a_mixed_folder_is_refused_and_a_marker_of_another_kind_too(tmp_path):
    out = tmp_path / "out"
    _run(out)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"files this command did not write \(notes.txt\)"):
        _run(out)
    (out / "notes.txt").unlink()
    with pytest.raises(OutputError, match=r"holds a dnalm synth, not a tokenizer"):
        _run(out, kind="tokenizer")


def test_a_rerun_replaces_dnalms_own_files_only(tmp_path):
    out = tmp_path / "out"
    _run(out, names=("train.csv", "old.png"))
    _run(out, names=("train.csv",))
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "train.csv"]  # the earlier run's old.png went


def test_a_finished_model_is_refused_unless_overwrite_or_resume(tmp_path):
    out = tmp_path / "model"
    model = Output(out, "model", rerun="refuse", staged=True)
    with claim("finetune", outputs=[model]):
        _write_result(out, "config.json")
    with (
        pytest.raises(OutputError, match="already holds a dnalm model; pass overwrite=True"),
        claim("finetune", outputs=[model], overwrite=False),
    ):
        pass
    with (
        pytest.raises(OutputError, match="already holds"),
        claim("finetune", outputs=[model], overwrite=False, resume=True),
    ):  # --resume with nothing to resume
        pass
    (tmp_path / "model.partial").mkdir()
    with claim("finetune", outputs=[model], overwrite=False, resume=True):
        pass
    with claim("finetune", outputs=[model], overwrite=True):
        pass
    assert (out / "config.json").is_file()  # a staged folder is replaced only when the new one is installed


@pytest.mark.parametrize("legacy", ["dnalm_config.yaml", "dnalm_pretrain.yaml", "benchmark.json"])
def test_folders_from_before_markers_are_recognised(tmp_path, legacy):
    out = tmp_path / "out"
    _write_result(out, legacy, "other.txt")
    kind = read_marker(out)["kind"]
    with claim("x", outputs=[Output(out, kind, rerun="continue")], overwrite=False):
        pass
    assert (out / "other.txt").is_file() and read_marker(out)["files"] == sorted([legacy, "other.txt"])


def test_install_folder_keeps_the_users_files(tmp_path):
    final, staging = tmp_path / "model", tmp_path / "model.partial"
    _run(final, "model", names=("config.json", "old.bin"))
    (final / "notes.txt").write_text("mine")
    _write_result(staging, "config.json", "PARTIAL_RUN.txt")
    install_folder(staging, final)
    assert sorted(p.name for p in final.iterdir()) == [MARKER, "config.json", "notes.txt"]
    assert not staging.exists()


def test_results_made_from_a_replaced_model_stay_and_are_said_to_be_stale(tmp_path, caplog):
    """An evaluation and predictions written inside a model folder stayed, without a word, beside the new model
    that replaced the one they were made from."""
    final = tmp_path / "model"
    _run(final, "model", names=("config.json",))
    _run(final / "eval", "evaluation", names=("metrics.json",))
    with claim("predict", outputs=[Output(final / "preds.tsv")]):
        (final / "preds.tsv").write_text("id\tscore\n")
    (final / "notes.txt").write_text("mine")
    for atomic in (True, False):  # the new model put in place whole, or written in place
        caplog.clear()
        with claim("finetune", outputs=[Output(final, "model", atomic=atomic)], overwrite=True) as c:
            _write_result(c.path(final), "config.json")
        assert (final / "eval" / "metrics.json").is_file() and (final / "preds.tsv").is_file()
        said = [r.getMessage() for r in caplog.records if "no longer describe" in r.getMessage()]
        assert len(said) == 1 and "eval (test)" in said[0] and "preds.tsv (predict)" in said[0], said
        assert "notes.txt" not in said[0]
    caplog.clear()
    _run(final / "eval", "evaluation", names=("metrics.json",))  # an evaluation is not what others are made from
    _run(tmp_path / "ev", "evaluation", names=("metrics.json",))
    with claim("predict", outputs=[Output(tmp_path / "ev" / "p.tsv")]):
        (tmp_path / "ev" / "p.tsv").write_text("id\tscore\n")
    _run(tmp_path / "ev", "evaluation", names=("metrics.json",))
    assert "no longer describe" not in caplog.text


# -- locks -----------------------------------------------------------------------------------------
def test_a_second_run_is_refused_while_the_first_writes(tmp_path):
    out = tmp_path / "out"
    with claim("finetune -o out", outputs=[Output(out, "model", staged=True)]):
        lock = tmp_path / ".out.dnalm-lock"
        held = json.loads(lock.read_text())
        assert held["pid"] == os.getpid() and held["command"] == "finetune -o out"
    assert not lock.exists() and not (tmp_path / ".out.partial.dnalm-lock").exists()
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": "dnalm finetune"}))
    with pytest.raises(OutputError, match=rf"being written by another dnalm run \(pid {os.getpid()}.*dnalm finetune"):
        _run(out)
    assert lock.exists() and not out.exists()


def test_a_folder_in_which_another_run_writes_is_refused_and_a_stopped_runs_lock_there_is_not(tmp_path):
    """evaluate --overwrite into ev while a fine-tuning wrote ev/model took the model for its own, and its next
    --overwrite removed it."""
    ev = tmp_path / "ev"
    _run(ev, "evaluation", names=("metrics.json",))
    lock = ev / ".model.dnalm-lock"
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": "dnalm finetune"}))
    with pytest.raises(OutputError, match=r"output .*ev: another dnalm run is writing inside it \(.*ev/model: pid"):
        _run(ev, "evaluation", names=("metrics.json",), overwrite=True)
    assert json.loads((ev / MARKER).read_text())["files"] == ["metrics.json"]
    lock.write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname(), "command": "killed"}))
    _run(ev, "evaluation", names=("metrics.json",), overwrite=True)


def test_the_partial_folder_of_a_staged_output_is_locked_too(tmp_path):
    lock = tmp_path / ".model.partial.dnalm-lock"
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": "other"}))
    with (
        pytest.raises(OutputError, match="another dnalm run"),
        claim("finetune", outputs=[Output(tmp_path / "model", "model", staged=True)]),
    ):
        pass


def test_a_stale_lock_is_taken_over_with_a_warning(tmp_path, caplog):
    lock = tmp_path / ".out.dnalm-lock"
    lock.write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname(), "command": "killed"}))
    _run(tmp_path / "out")
    assert "is gone" in caplog.text and not lock.exists()


def test_a_lock_is_never_seen_half_written(tmp_path, monkeypatch):
    """A run killed while taking a lock left an empty one that a re-run within a minute took for a live run (CI:
    a benchmark killed between two seeds refused to continue): the lock now appears whole, or not at all."""
    from dnalm.io import outputs

    seen = []
    real_link = os.link

    def link(src, dst):
        assert not Path(dst).exists()  # nothing at the lock's name until it is whole
        seen.append(json.loads(Path(src).read_text()))
        return real_link(src, dst)

    monkeypatch.setattr(outputs.os, "link", link)
    with claim("x", outputs=[Output(tmp_path / "out.tsv")]):
        lock = tmp_path / ".out.tsv.dnalm-lock"
        assert json.loads(lock.read_text())["pid"] == os.getpid() and seen[0]["pid"] == os.getpid()
        assert [p.name for p in tmp_path.iterdir()] == [lock.name]  # the aside copy is gone
    left = tmp_path / f".out.tsv.dnalm-lock.{_dead_pid()}.tmp"  # killed between writing aside and linking
    left.write_text("{}")
    with claim("x", outputs=[Output(tmp_path / "out.tsv")]):
        assert not left.exists()


def test_a_lock_is_taken_where_the_file_system_has_no_hard_links(tmp_path, monkeypatch):
    from dnalm.io import outputs

    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(outputs.os, "link", no_links)
    with claim("x", outputs=[Output(tmp_path / "out.tsv")]):
        assert json.loads((tmp_path / ".out.tsv.dnalm-lock").read_text())["pid"] == os.getpid()
        assert len(list(tmp_path.iterdir())) == 1
        with pytest.raises(FileExistsError):  # what a second run taking it meets
            outputs._create_whole(tmp_path / ".out.tsv.dnalm-lock", "{}")
    assert not list(tmp_path.iterdir())


def test_a_lock_is_released_on_an_error(tmp_path):
    with pytest.raises(RuntimeError), claim("x", outputs=[Output(tmp_path / "out.tsv")]):
        raise RuntimeError("boom")
    assert not list(tmp_path.glob(".*"))
    with claim("x", outputs=[Output(tmp_path / "out.tsv")]):
        pass


# -- symbolic links: written at the target, the link kept ----------------------------------------------
def test_a_symlinked_output_is_written_at_its_target_and_the_link_kept(tmp_path):
    target, link = tmp_path / "real", tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    with claim("x", outputs=[Output(link, "synth")]) as c:
        assert c.path(link) == target.resolve()
        _write_result(c.path(link), "train.csv")
    assert link.is_symlink() and (target / "train.csv").is_file() and read_marker(target)["kind"] == "synth"
    file_target, file_link = tmp_path / "t.tsv", tmp_path / "l.tsv"
    file_target.write_text("old")
    file_link.symlink_to(file_target)
    from dnalm.io.files import write_text

    write_text(file_link, "new")
    assert file_link.is_symlink() and file_target.read_text() == "new"


def test_a_nested_claim_of_the_same_folder_defers_to_the_outer_one(tmp_path):
    out = tmp_path / "out"
    _write_result(out, "notes.txt")
    with claim("benchmark", outputs=[Output(out, "benchmark")], overwrite=True):
        with claim("search", outputs=[Output(out, "benchmark")]):  # no --overwrite of its own: the outer one holds
            _write_result(out, "results.md")
        assert (tmp_path / ".out.dnalm-lock").is_file()  # still held by the outer claim
    assert read_marker(out)["files"] == ["results.md"] and not (tmp_path / ".out.dnalm-lock").exists()


def test_a_failed_staged_run_leaves_the_finished_folders_marker_as_it_was(tmp_path, monkeypatch):
    """A staged run (finetune: files in NAME.partial) that fails never touched NAME: not even its marker's time."""
    from dnalm.io import outputs

    out = tmp_path / "m"
    model = outputs.Output(out, "model", rerun="refuse", staged=True)
    with outputs.claim("finetune", outputs=[model]):
        out.mkdir()
        (out / "model.safetensors").write_text("weights")
    before = (out / ".dnalm.json").read_bytes()
    monkeypatch.setattr(outputs.time, "strftime", lambda fmt: "a second later")
    with pytest.raises(KeyboardInterrupt), outputs.claim("finetune", outputs=[model], overwrite=True):
        raise KeyboardInterrupt
    assert (out / ".dnalm.json").read_bytes() == before


def test_an_atomic_folder_holds_one_runs_result_or_the_one_before_never_a_mix(tmp_path):
    """A re-run stopped part-way used to leave its new files beside the earlier run's (interpret: half the logos
    new), under "finished outputs are as they were"; an atomic output is written in NAME.partial instead."""
    out = tmp_path / "ev"
    atomic = Output(out, "evaluation", atomic=True)
    with claim("evaluate", outputs=[atomic]) as c:
        assert c.path(out) == tmp_path / "ev.partial" and c.path(out).is_dir() and not out.exists()
        _write_result(c.path(out), "metrics.json", "predictions.csv")
    assert not (tmp_path / "ev.partial").exists() and read_marker(out)["files"] == ["metrics.json", "predictions.csv"]
    (out / "notes.txt").write_text("the user's\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(KeyboardInterrupt), claim("evaluate", outputs=[atomic], overwrite=True) as c:
        (c.path(out) / "metrics.json").write_text("new")
        raise KeyboardInterrupt
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and not (tmp_path / "ev.partial").exists()
    with claim("evaluate", outputs=[atomic], overwrite=True) as c:  # a run that writes fewer files
        _write_result(c.path(out), "metrics.json")
    assert sorted(p.name for p in out.iterdir()) == [".dnalm.json", "metrics.json", "notes.txt"]
    assert (out / "metrics.json").read_text() == "dnalm's metrics.json\n"


def test_a_finished_result_that_cannot_be_moved_into_place_stays_dnalms_and_says_why(tmp_path, monkeypatch, caplog):
    """The folder above turned read-only before evaluate's result was moved: the run ended with only "Permission
    denied: .ev.dnalm-lock" (its lock could not be removed either), and ev.partial had lost its note, so every rerun,
    --overwrite too, was refused as a folder "not made by dnalm"."""
    import dnalm.io.files
    import dnalm.io.outputs as outputs

    out = tmp_path / "ev"
    atomic = Output(out, "evaluation", atomic=True)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(out))

    real_unlock = outputs._unlock
    with monkeypatch.context() as m:
        m.setattr(dnalm.io.files, "finish_folder", denied)
        m.setattr(outputs, "_unlock", lambda lock: (real_unlock(lock), denied()))
        moved = r"the finished result could not be moved into place \(Permission"
        with pytest.raises(OutputError, match=moved), claim("evaluate", outputs=[atomic]) as c:
            _write_result(c.path(out), "metrics.json")
    assert "this run's lock could not be removed (Permission denied)" in caplog.text
    note = (tmp_path / "ev.partial" / "PARTIAL_RUN.txt").read_text()
    assert "A finished dnalm result that could not be moved onto ev (Permission denied)" in note
    assert (tmp_path / "ev.partial" / "metrics.json").is_file() and not out.exists()
    with pytest.raises(OutputError, match=r"ev\.partial .*is what a stopped run writing ev left|with --overwrite"):
        claim("evaluate", outputs=[Output(tmp_path / "ev.partial", "evaluation")]).__enter__()
    with claim("evaluate", outputs=[atomic], overwrite=True) as c:  # the rerun it names
        _write_result(c.path(out), "metrics.json")
    assert read_marker(out)["files"] == ["metrics.json"] and not (tmp_path / "ev.partial").exists()


def test_an_atomic_runs_result_names_the_folder_it_became_and_a_killed_runs_staging_is_removed(tmp_path, caplog):
    """A killed run's staging folder is removed with --overwrite only: a file put there since (a note of the
    user's) was removed with it, and cannot be told from the run's own."""
    from dnalm.io.outputs import claims

    out = tmp_path / "syn"

    @claims("synth", lambda a: {"outputs": [Output(a["output"], "synth", atomic=True)], "overwrite": a["overwrite"]})
    def write(output, overwrite=False):
        _write_result(Path(output), "train.csv")
        return {"text": f"wrote {output}/train.csv", "files": [Path(output) / "train.csv"]}

    (tmp_path / "syn.partial").mkdir()  # what a SIGKILLed run leaves: its note says dnalm made it
    (tmp_path / "syn.partial" / "PARTIAL_RUN.txt").write_text("an unfinished dnalm run\n")
    (tmp_path / "syn.partial" / "train.csv").write_text("half")
    with pytest.raises(
        ValueError, match=r"syn.partial holds what a stopped run left \(train.csv\): pass overwrite=True"
    ):
        write(out)
    assert (tmp_path / "syn.partial" / "train.csv").read_text() == "half"
    result = write(out, overwrite=True)
    assert result == {"text": f"wrote {out}/train.csv", "files": [out / "train.csv"]}
    assert "removing" in caplog.text and not (tmp_path / "syn.partial").exists()
    assert (out / "train.csv").read_text() == "dnalm's train.csv\n"
    (tmp_path / "syn.partial").mkdir()  # the user's own folder of that name is never removed
    with pytest.raises(ValueError, match="syn.partial exists and was not made by dnalm"):
        write(out)
    assert (tmp_path / "syn.partial").is_dir() and (out / "train.csv").is_file()


def test_another_commands_result_in_a_folder_is_dnalms_not_the_users(tmp_path):
    """`dnalm report RUNS -o RUNS/report.html --overwrite` (the documented way to redo a report) rewrote a file
    the benchmark's marker lists, and the next benchmark run was refused: "files dnalm wrote that have changed
    since". A file that another command wrote there (its ledger) is dnalm's; one the user edits stays theirs."""
    out = tmp_path / "runs"
    bench = Output(out, "benchmark", rerun="continue")
    with claim("benchmark", outputs=[bench]):
        _write_result(out, "results.json", "report.html")
    refused = pytest.raises(OutputError, match="report.html exists and is part of the dnalm benchmark there")
    with refused, claim("report", inputs=[out / "results.json"], outputs=[Output(out / "report.html")]):
        pass
    with claim(
        "report",
        inputs=[out / "results.json"],
        outputs=[Output(out / "report.html"), Output(out / "a.html"), Output(out / "a_files", "report-figures")],
        overwrite=True,
    ):
        (out / "report.html").write_text("a new report")
        (out / "a.html").write_text("another report")
        _write_result(out / "a_files", "roc.png")
    with claim("benchmark", outputs=[bench]):  # continues: neither report file, nor a report's figures, stops it
        pass
    assert (out / "a_files" / "roc.png").is_file()
    assert read_marker(out)["files"] == ["report.html", "results.json"] and (out / "a.html").is_file()
    (out / "a.html").write_text("the user's edit")
    with (
        pytest.raises(OutputError, match=r"files this command did not write \(a.html[,)]"),
        claim("benchmark", outputs=[bench]),
    ):
        pass


# -- streams ---------------------------------------------------------------------------------------
def test_a_pipe_or_device_output_is_written_straight_through(tmp_path):
    """``-o /dev/stdout`` (a pipe when piped), a FIFO, a device: no temporary file, lock or ledger beside it (dnalm
    once replaced /dev/null with its table, by a rename, and kept a ledger in /dev)."""
    import threading

    from dnalm.io.files import atomic_open, check_output_file, is_stream

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert is_stream(fifo) and is_stream("-")
    assert not is_stream(tmp_path / "table.tsv") and not is_stream(tmp_path)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    with claim("predict", outputs=[Output(fifo)]) as c:
        assert c.path(fifo) == fifo and check_output_file(fifo) == fifo
        with atomic_open(c.path(fifo)) as fh:
            fh.write("id\tscore\nr1\t0.5\n")
    reader.join(timeout=10)
    assert received == ["id\tscore\nr1\t0.5\n"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]  # no lock, ledger or partial file


def test_resume_with_no_stopped_run_is_refused(tmp_path):
    """It trained from step 0 and said it removed "what a stopped run left" (the folder it had just made)."""
    from dnalm.io.files import start_folder

    with pytest.raises(ValueError, match=r"resume=True: no stopped run to continue \(.*model.partial does not exist\)"):
        start_folder(tmp_path / "model", owned_marker="dnalm_config.yaml", resume=True)
    assert list(tmp_path.iterdir()) == []
    staging = start_folder(tmp_path / "model", owned_marker="dnalm_config.yaml")
    assert start_folder(tmp_path / "model", owned_marker="dnalm_config.yaml", resume=True) == staging


def _killed_run(folder: Path, kind: str, *names: str) -> None:
    """A run SIGKILLed after writing ``names``: nothing of it runs after (``os._exit``, no cleanup)."""
    code = (
        "import os, sys; from pathlib import Path; from dnalm.io.outputs import Output, claim\n"
        f"c = claim('test', outputs=[Output(Path({str(folder)!r}), {kind!r}, rerun='continue')], overwrite=True)\n"
        "c.__enter__()\n"
        f"for n in {list(names)!r}:\n"
        f"    (Path({str(folder)!r}) / n).mkdir(parents=True, exist_ok=True)\n"
        "os._exit(9)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 9


def test_a_run_killed_part_way_leaves_a_folder_a_rerun_continues_and_overwrite_replaces(tmp_path):
    """A killed `dnalm search` left its folder without a marker: every later search, benchmark or report refused
    it as a foreign folder, and even --overwrite never marked it again (its files counted as the user's)."""
    out = tmp_path / "out"
    _write_result(out, "notes.txt")  # the user's, there before (kept with --overwrite)
    _killed_run(out, "benchmark", "search")
    assert read_marker(out)["running"] and read_marker(out)["users"] == ["notes.txt"]
    with (
        pytest.raises(OutputError, match=r"holds files this command did not write \(notes.txt\)"),
        claim("test", outputs=[Output(out, "benchmark", rerun="continue")], overwrite=False),
    ):
        pass
    with claim("test", outputs=[Output(out, "benchmark", rerun="continue")], overwrite=True):
        (out / "search" / "chosen.json").write_text("{}")
    marker = read_marker(out)
    assert marker["files"] == ["search"] and "running" not in marker and (out / "notes.txt").is_file()
    fresh = tmp_path / "fresh"
    _killed_run(fresh, "benchmark", "search")  # into a new folder: a plain re-run continues it
    with claim("test", outputs=[Output(fresh, "benchmark", rerun="continue")], overwrite=False):
        (fresh / "search" / "chosen.json").write_text("{}")
    assert read_marker(fresh)["files"] == ["search"]


def test_what_a_stopped_run_left_beside_the_users_later_files_is_never_removed(tmp_path):
    """A plain re-run after a kill deleted a file the user put there after the kill: the stopped run's marker
    counted every entry but the user's earlier ones as dnalm's."""
    out = tmp_path / "out"
    _killed_run(out, "synth", "half-written")
    (out / "notes.txt").write_text("the user's, after the kill")
    _run(out, names=("train.csv",))  # a plain re-run replaces what it writes ...
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "half-written", "notes.txt", "train.csv"]
    marker = read_marker(out)  # ... and keeps what it cannot tell apart, without counting it as its own
    assert marker["files"] == ["train.csv"] and marker["unknown"] == ["half-written", "notes.txt"]
    _run(out, names=("train.csv",))  # which does not stop the next run either
    _run(out, names=("dev.csv",), overwrite=True)  # nor is it removed by --overwrite
    assert (out / "notes.txt").read_text() == "the user's, after the kill" and (out / "half-written").is_dir()


def test_a_run_refused_after_the_claim_leaves_the_folder_as_it_was(tmp_path):
    out, empty = tmp_path / "out", tmp_path / "empty"
    _run(out)
    before, marker = sorted(p.name for p in out.iterdir()), (out / MARKER).read_bytes()
    empty.mkdir()
    for folder in (out, empty, tmp_path / "new"):
        with (
            pytest.raises(ValueError, match="refused"),
            claim("test", outputs=[Output(folder, "synth")], overwrite=True),
        ):
            raise ValueError("refused")
    assert sorted(p.name for p in out.iterdir()) == before and (out / MARKER).read_bytes() == marker
    assert empty.is_dir() and not any(empty.iterdir()) and not (tmp_path / "new").exists()


def test_no_run_writes_inside_a_folder_another_run_is_writing(tmp_path):
    """`dnalm report RUNS -o RUNS/report.html` wrote into a benchmark folder while the benchmark ran."""
    runs = tmp_path / "runs"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        runs.mkdir()
        (tmp_path / ".runs.dnalm-lock").write_text(
            json.dumps({"pid": holder.pid, "host": socket.gethostname(), "command": "benchmark", "started": "now"})
        )
        with (
            pytest.raises(
                OutputError, match=rf"inside {runs}, which is being written by another dnalm run \(pid {holder.pid}"
            ),
            claim("report", outputs=[Output(runs / "report.html", "file")]),
        ):
            pass
        assert sorted(p.name for p in runs.iterdir()) == []
    finally:
        holder.kill()
        holder.wait()
    with claim("report", outputs=[Output(runs / "report.html", "file")]):  # the holder is gone: its lock is stale
        (runs / "report.html").write_text("a report")
    with (  # one process: nested claims
        claim("benchmark", outputs=[Output(runs, "benchmark", rerun="continue")], overwrite=True),
        claim("report", outputs=[Output(runs / "report.html", "file")]),
    ):
        pass


def test_a_file_dnalm_wrote_in_a_folder_and_the_user_edited_is_not_replaced_without_overwrite(tmp_path):
    out = tmp_path / "out"
    _run(out, names=("train.csv", "dev.csv"))
    os.utime(out / "dev.csv", (1, 1))  # touched only: still dnalm's
    _run(out, names=("train.csv", "dev.csv"))
    with open(out / "train.csv", "a") as fh:
        fh.write("ACGT,1\n")  # the user's edit
    with pytest.raises(OutputError, match=r"holds files dnalm wrote that have changed since \(train.csv\)"):
        _run(out, names=("train.csv",), overwrite=False)
    assert (out / "train.csv").read_text().endswith("ACGT,1\n")
    _run(out, names=("train.csv",), overwrite=True)
    assert (out / "train.csv").read_text() == "dnalm's train.csv\n"


def test_a_file_dnalm_wrote_that_is_now_a_folder_is_refused_before_any_work(tmp_path):
    """It made evaluate fail part-way (IsADirectoryError) after writing the other files; --overwrite does not remove
    the user's folder either."""
    out = tmp_path / "out"
    _run(out, names=("metrics.json", "predictions.csv"))
    (out / "metrics.json").unlink()
    (out / "metrics.json").mkdir()
    (out / "metrics.json" / "notes.txt").write_text("the user's")
    for overwrite in (False, True):
        with pytest.raises(OutputError, match=r"metrics.json was a file dnalm wrote and is now a folder"):
            _run(out, names=("metrics.json", "predictions.csv"), overwrite=overwrite)
    assert (out / "metrics.json" / "notes.txt").read_text() == "the user's"


def test_a_refused_run_leaves_no_folders_it_made(tmp_path):
    for out in (Output(tmp_path / "a" / "b" / "result.tsv"), Output(tmp_path / "c" / "d" / "folder", "synth")):
        with pytest.raises(ValueError, match="the data is refused"), claim("test", outputs=[out]):
            raise ValueError("the data is refused")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_damaged_marker_ledger_or_lock_is_not_a_crash(tmp_path):
    out = tmp_path / "out"
    _run(out)
    (out / MARKER).write_text('{"kind": "synth", "files": 5, "users": null}')  # wrong types: no names
    with pytest.raises(OutputError, match="holds files this command did not write"):
        _run(out, overwrite=False)
    _run(out, overwrite=True)
    (tmp_path / LEDGER).write_text('{"r.tsv": "predict"}')
    (tmp_path / "r.tsv").write_text("x")
    with (
        pytest.raises(OutputError, match="is a file dnalm did not write"),
        claim("x", outputs=[Output(tmp_path / "r.tsv")]),
    ):
        pass
    lock = tmp_path / ".locked.dnalm-lock"
    lock.write_text("")  # a run stopped between making its lock and writing who it is
    with pytest.raises(OutputError, match="being written by another dnalm run"):
        _run(tmp_path / "locked")
    os.utime(lock, (1, 1))  # ... long ago: taken over
    _run(tmp_path / "locked")


@pytest.mark.parametrize("where", ["predictions.csv", "sub/deeper/predictions.csv"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_symbolic_link_inside_an_output_folder_is_refused_not_written_through(tmp_path, where, overwrite):
    """evaluate -o X --overwrite, with X/predictions.csv a link to its own test split, wrote predictions over the
    input (and through X/metrics.json, over a file outside X): files dnalm writes in a folder followed links."""
    data = tmp_path / "test.csv"
    data.write_text("sequence,label\nACGT,1\n")
    out = tmp_path / "X"
    (out / where).parent.mkdir(parents=True)
    (out / where).symlink_to(data)
    (out / "notes.txt").write_text("mine")
    links = r"output folder .*X holds a symbolic link, .*predictions.csv -> .*test.csv"
    links = links if overwrite else "is not a folder dnalm wrote"  # foreign: refused first for that
    with pytest.raises(OutputError, match=links):
        claim("evaluate", inputs=[data], outputs=[Output(out, "evaluation")], overwrite=overwrite).__enter__()
    assert data.read_text() == "sequence,label\nACGT,1\n" and (out / where).is_symlink()
    assert sorted(p.name for p in out.iterdir()) == sorted({"notes.txt", where.split("/")[0]})


def test_overwrite_into_a_folder_the_run_continues_keeps_the_results_it_reuses(tmp_path):
    """benchmark --overwrite on a finished benchmark said each run was 'finished before ... kept', then removed
    runs/ and audit/ as what the earlier run wrote and this one did not: results.md cited files that were gone."""
    out = tmp_path / "R"
    with claim("benchmark", outputs=[Output(out, "benchmark", rerun="continue")]):
        (out / "runs").mkdir(parents=True)
        (out / "runs" / "run.json").write_text("{}")
        (out / "results.md").write_text("old")
    with claim("benchmark", outputs=[Output(out, "benchmark", rerun="continue")], overwrite=True):
        (out / "results.md").write_text("new")  # the finished run is reused, not written again
    assert (out / "runs" / "run.json").is_file() and (out / "results.md").read_text() == "new"
    with claim("model", outputs=[Output(out, "model")], overwrite=True):  # another kind, replaced: its files go
        (out / "config.json").write_text("{}")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "config.json"]


def test_a_log_file_in_or_at_what_another_run_is_writing_is_refused_and_a_refused_log_leaves_nothing(tmp_path):
    """--log-file R/mine.log was written inside a benchmark folder another run held (and later removed as that run's
    file); --log-file out.tsv became the log while a predict run held out.tsv."""
    import logging

    from dnalm.io.outputs import log_to

    runs, out = tmp_path / "runs", tmp_path / "out.tsv"
    runs.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    lock = {"pid": holder.pid, "host": socket.gethostname(), "command": "benchmark", "started": "now"}
    try:
        for held in (runs, out):
            (held.parent / f".{held.name}.dnalm-lock").write_text(json.dumps(lock))
        for log, held in (
            (runs / "mine.log", f"is inside {runs}, which is being written by"),
            (out, "is being written by"),
        ):
            handler = log_to(log)
            logging.getLogger().addHandler(handler)
            with pytest.raises(OutputError, match=rf"--log-file {log} {held} another dnalm run \(pid"):
                claim("evaluate", outputs=[Output(tmp_path / "ev", "evaluation")]).__enter__()
            assert handler not in logging.getLogger().handlers and not log.exists()
    finally:
        holder.kill()
        holder.wait()
    log_to(None)


@pytest.mark.parametrize("kind", ["file", "evaluation"])
def test_an_output_below_a_file_is_named_as_such(tmp_path, kind):
    """evaluate -o afile/ev said 'cannot be written there (File exists)'."""
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match=r"output .*afile/deeper/ev: .*afile is a file, not a folder"):
        claim("evaluate", outputs=[Output(tmp_path / "afile" / "deeper" / "ev", kind)]).__enter__()
    assert (tmp_path / "afile").read_text() == "x"


def test_the_users_files_inside_a_folder_dnalm_writes_in_are_never_removed(tmp_path):
    """corpus -o F --overwrite, with the user's F/train/mydata.csv, listed all of train/ as dnalm's: a plain re-run
    then deleted mydata.csv. A note the user put into a folder dnalm made (C/validation/notes.txt) went the same way,
    and a user file edited during the run became dnalm's."""
    out = tmp_path / "F"
    (out / "train").mkdir(parents=True)
    (out / "train" / "mydata.csv").write_text("mine")
    (out / "notes.txt").write_text("mine")
    with claim("corpus", outputs=[Output(out, "corpus")], overwrite=True):
        _write_result(out, "train/data.arrow", "validation/data.arrow")
        with open(out / "notes.txt", "a") as fh:  # the user edits a file while the run writes
            fh.write(", edited")
    assert read_marker(out)["files"] == ["validation"]  # train/ holds the user's file; notes.txt is the user's
    with pytest.raises(OutputError, match=r"holds files this command did not write \(notes.txt, train\)"):
        _run(out, "corpus", names=("validation/data.arrow",))
    (out / "validation" / "notes.txt").write_text("the user's, in dnalm's folder")
    _run(out, "corpus", names=("train/data.arrow",), overwrite=True)  # validation/ is not written again: stale
    assert (out / "train" / "mydata.csv").read_text() == "mine" and (out / "notes.txt").is_file()
    assert sorted(p.name for p in (out / "validation").iterdir()) == ["notes.txt"]  # dnalm's stale file went


def test_a_replaced_model_folder_carries_the_users_files_inside_its_folders(tmp_path):
    """install_folder swapped a model folder whole when no top-level entry was the user's: a note put into
    MODEL/adapter/ after the run was deleted by the next --overwrite."""
    final = tmp_path / "m"
    for text in ("first", "second"):
        with claim("finetune", outputs=[Output(final, "model", rerun="refuse", staged=True)], overwrite=True):
            staging = tmp_path / "m.partial"
            _write_result(staging, "config.json", "adapter/adapter_model.bin")
            (staging / "config.json").write_text(text)
            install_folder(staging, final)
        if text == "first":
            (final / "adapter" / "notes.txt").write_text("mine")
    assert (final / "config.json").read_text() == "second" and (final / "adapter" / "notes.txt").read_text() == "mine"


def test_replacing_an_earlier_pretraining_keeps_the_users_files_in_its_folders(tmp_path):
    from dnalm.io.outputs import remove_written

    out = tmp_path / "p"
    _run(out, "pretrain", names=("tokenizer/vocab.txt", "checkpoints/checkpoint-1/model.bin"))
    (out / "tokenizer" / "mine.txt").write_text("mine")
    remove_written(out, read_marker(out)["files"])
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [MARKER, "tokenizer", "tokenizer/mine.txt"]


def test_a_folder_another_run_is_writing_is_named_as_such_before_it_is_judged_foreign(tmp_path):
    """finetune -o m.partial, while another finetune staged m there, said 'not a folder dnalm wrote ... or pass
    --overwrite' instead of naming the run that writes it."""
    staged = tmp_path / "m.partial"
    staged.mkdir()
    (staged / "config.json").write_text("{}")
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = {"pid": holder.pid, "host": socket.gethostname(), "command": "finetune", "started": "now"}
        (tmp_path / ".m.partial.dnalm-lock").write_text(json.dumps(lock))
        with pytest.raises(OutputError, match=rf"m.partial is being written by another dnalm run \(pid {holder.pid}"):
            claim("finetune", outputs=[Output(staged, "model")]).__enter__()
    finally:
        holder.kill()
        holder.wait()


def test_overwrite_into_a_copied_folder_of_another_kind_claims_only_what_it_wrote(tmp_path):
    """evaluate --overwrite into a copy (cp -a: every file's change time is new) of a model folder listed the model's
    files it judged the user's as its own, and a plain re-run then removed the model."""
    import shutil
    import time

    _run(tmp_path / "m", "model", names=("model.safetensors", "config.json", "resume.json"))
    time.sleep(0.01)
    shutil.copytree(tmp_path / "m", tmp_path / "copy", copy_function=shutil.copy2)
    (tmp_path / "copy" / "config.json").write_text("the user's edit\n")  # changed since: the user's
    _run(tmp_path / "copy", "evaluation", names=("metrics.json",), overwrite=True)
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == [MARKER, "config.json", "metrics.json"]
    assert read_marker(tmp_path / "copy")["files"] == ["metrics.json"]
    with pytest.raises(OutputError, match=r"holds files this command did not write \(config.json\)"):
        _run(tmp_path / "copy", "evaluation", names=("metrics.json",))  # a plain re-run
    _run(tmp_path / "copy", "evaluation", names=("metrics.json",), overwrite=True)
    assert (tmp_path / "copy" / "config.json").read_text() == "the user's edit\n"


def test_a_read_only_output_folder_is_named_and_leaves_no_lock(tmp_path, monkeypatch):
    """On a read-only file system the run ended in a raw '[Errno 30] Read-only file system' from restoring the
    marker, and its lock file stayed behind."""
    import dnalm.io.outputs as outputs

    folder = tmp_path / "ro"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(outputs.os, "access", lambda p, mode: Path(p) != folder and real_access(p, mode))
    with pytest.raises(OutputError, match=r"output .*ro: no permission to write in .*ro \(or it is read-only\)"):
        _run(folder, "evaluation", names=("metrics.json",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro"] and not any(folder.iterdir())


def test_a_finished_pretraining_is_not_offered_resume(tmp_path):
    """The refusal said 'pass --resume to continue it', and --resume then said there was nothing to resume."""
    pretrain = Output(tmp_path / "p", "pretrain", rerun="refuse")
    with claim("pretrain", outputs=[pretrain], overwrite=False):
        _write_result(tmp_path / "p", "checkpoints/checkpoint-5/model.safetensors")
    with pytest.raises(OutputError, match="resume=True to continue it"):
        claim("pretrain", outputs=[pretrain], overwrite=False).__enter__()
    with claim("pretrain", outputs=[pretrain], overwrite=True):
        _write_result(tmp_path / "p", "pretrain_summary.json")
    with pytest.raises(OutputError, match="pass overwrite=True to replace it, or choose another folder$"):
        claim("pretrain", outputs=[pretrain], overwrite=False).__enter__()


def test_a_file_written_into_an_input_folder_under_a_split_name_is_refused(tmp_path):
    """audit -o DATA/test.json was accepted, and the data folder then held two test splits (finetune refused it)."""
    data = tmp_path / "d"
    _write_result(data, "train.csv", "test.csv")
    for name, split in (("test.json", "test"), ("valid.tsv.gz", "dev"), ("train.txt", "train")):
        with (
            pytest.raises(OutputError, match=rf"would be read as the {split} split of the input folder"),
            claim("audit", inputs=[data], outputs=[Output(data / name)]),
        ):
            pass
    with claim("audit", inputs=[data], outputs=[Output(data / "audit.json")]):
        pass


def test_an_output_file_named_like_a_folder_is_refused(tmp_path):
    """'out.tsv/' wrote a file out.tsv; a folder given for a file suggested 'predictions.tsv' to every command."""
    from dnalm.io.files import check_output_file

    refused = pytest.raises(OutputError, match=r"ends with '/', a folder's name; this output is a file")
    with refused, claim("predict", outputs=[Output(f"{tmp_path}/out.tsv/")]):
        pass
    assert not (tmp_path / "out.tsv").exists()
    with pytest.raises(ValueError, match=r"is a folder; give a file name \(in it, or beside it\)"):
        check_output_file(tmp_path)


def test_a_dnalm_result_of_another_kind_in_an_output_folder_is_named_as_one(tmp_path):
    """synth -o syn after finetune syn -o syn/m said 'holds files this command did not write (m)'; m is a dnalm model."""
    with claim("synth", outputs=[Output(tmp_path / "syn", "synth")]):
        (tmp_path / "syn" / "train.csv").write_text("sequence,label\n")
    (tmp_path / "syn" / "m").mkdir()
    with claim("finetune", outputs=[Output(tmp_path / "syn" / "m", "model")]):
        (tmp_path / "syn" / "m" / "config.json").write_text("{}")
    (tmp_path / "syn" / "notes.txt").write_text("mine")
    said = r"holds files this command did not write \(m: a dnalm model, notes.txt\)"
    with pytest.raises(OutputError, match=said), claim("synth", outputs=[Output(tmp_path / "syn", "synth")]):
        pass


def test_a_folder_output_that_is_a_file_or_a_device_says_which(tmp_path):
    (tmp_path / "g.fa").write_text(">a\nACGT\n")
    for path, said in ((tmp_path / "g.fa", r"is a file"), ("/dev/null", r"is a device or pipe \(a stream\)")):
        with (
            pytest.raises(OutputError, match=said + "; this command writes a folder"),
            claim("synth", outputs=[Output(path, "synth")]),
        ):
            pass


def test_overwrite_over_a_killed_run_replaces_all_it_left_and_keeps_the_users_files(tmp_path):
    """A pretraining killed part-way left checkpoints 25-35; the --overwrite run that replaced it (staged) carried
    them into its finished folder as if the user's, beside its own checkpoint-10."""
    out = tmp_path / "pt"
    _write_result(out, "mine.txt", "checkpoints/checkpoint-35/state.json", "history.json")
    (out / MARKER).write_text(  # what SIGKILL leaves: the run's start marker, naming the user's entries
        json.dumps({"kind": "pretrain", "command": "pretrain", "running": True, "files": [], "users": ["mine.txt"]})
    )
    with claim("pretrain", outputs=[Output(out, "pretrain", rerun="continue", atomic=True)], overwrite=True) as c:
        _write_result(c.path(out), "checkpoints/checkpoint-10/state.json", "model.safetensors")
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["checkpoint-10"]
    assert {p.name for p in out.iterdir()} == {"mine.txt", "checkpoints", "model.safetensors", MARKER}


def test_overwrite_over_a_killed_run_keeps_what_the_user_put_there_after_it_started(tmp_path):
    """A file put in a killed pretraining's folder after the run started (after.txt, checkpoints/notes.txt) could not
    be told from the run's own, so --overwrite removed it. The command now says what it writes there: the rest stays."""
    from dnalm.io.outputs import stopped_run_entries
    from dnalm.lm.pretrain import WRITTEN

    out = tmp_path / "pt"
    _write_result(out, "mine.txt", "after.txt", "checkpoints/checkpoint-35/trainer_state.json", "checkpoints/notes.txt")
    _write_result(out, "history.json", "tokenizer/vocab.txt", "dnalm_pretrain.yaml")
    marker = {"kind": "pretrain", "command": "pretrain", "running": True, "files": [], "users": ["mine.txt"]}
    (out / MARKER).write_text(json.dumps(marker))
    assert stopped_run_entries(out, marker, WRITTEN) == [
        "checkpoints/checkpoint-35",
        "dnalm_pretrain.yaml",
        "history.json",
        "tokenizer",
    ]
    assert "after.txt" in stopped_run_entries(out, marker)  # without the names: every entry not known at the start
    with claim(
        "pretrain",
        outputs=[Output(out, "pretrain", rerun="continue", atomic=True, partial_names=WRITTEN)],
        overwrite=True,
    ) as c:
        _write_result(c.path(out), "checkpoints/checkpoint-10/trainer_state.json", "model.safetensors")
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["checkpoint-10", "notes.txt"]
    assert {p.name for p in out.iterdir()} == {"mine.txt", "after.txt", "checkpoints", "model.safetensors", MARKER}


def test_overwrite_after_a_killed_run_was_resumed_replaces_both_runs_checkpoints_and_keeps_the_users_files(tmp_path):
    """Killed, then finished with --resume, then replaced with --overwrite: the resumed run could not tell the killed
    run's entries from the user's (``unknown``), so --overwrite kept them, and the new 6-step run's folder held the
    old run's checkpoint-6 and checkpoint-9. The command's declared names tell them apart now, down to the files of a
    checkpoint, so a note put in one stays."""
    from dnalm.lm.pretrain import WRITTEN

    out = tmp_path / "pt"
    ckpt = ("model.safetensors", "trainer_state.json", "rng_state.pth")
    _write_result(out, "dnalm_pretrain.yaml", "tokenizer/vocab.txt")
    _write_result(out, *(f"checkpoints/checkpoint-{n}/{f}" for n in (3, 6) for f in ckpt))
    marker = {"kind": "pretrain", "command": "pretrain", "running": True, "files": [], "users": []}
    (out / MARKER).write_text(json.dumps(marker))  # SIGKILL; then the user's files
    (out / "after.txt").write_text("mine\n")
    (out / "checkpoints" / "checkpoint-6" / "notes.txt").write_text("mine\n")
    written = Output(out, "pretrain", rerun="continue", partial_names=WRITTEN)
    with claim("pretrain", outputs=[written], resume=True) as c:  # --resume: the run goes on from checkpoint-6
        _write_result(c.path(out), *(f"checkpoints/checkpoint-9/{f}" for f in ckpt), "model.safetensors")
        for f in ckpt:
            (out / "checkpoints" / "checkpoint-3" / f).unlink()  # (the rotation)
        (out / "checkpoints" / "checkpoint-3").rmdir()
    marker = read_marker(out)
    assert {"checkpoints", "tokenizer", "dnalm_pretrain.yaml"} <= set(marker["files"])  # the killed run's: dnalm's
    assert marker["unknown"] == ["after.txt"] and marker["theirs"] == ["checkpoints/checkpoint-6/notes.txt"]
    replacing = Output(out, "pretrain", rerun="continue", atomic=True, partial_names=WRITTEN)
    with claim("pretrain", outputs=[replacing], overwrite=True) as c:
        _write_result(c.path(out), *(f"checkpoints/checkpoint-3/{f}" for f in ckpt), "model.safetensors")
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["checkpoint-3", "checkpoint-6"]
    assert [p.name for p in (out / "checkpoints" / "checkpoint-6").iterdir()] == ["notes.txt"]
    assert {p.name for p in out.iterdir()} == {"after.txt", "checkpoints", "model.safetensors", MARKER}


def test_a_file_of_a_model_or_tokenizer_is_never_written_over_and_a_looping_link_is_refused(tmp_path):
    """`audit -o m/config.json --overwrite` wrote the audit over the model's config, and m still read as a finished
    model; `predict -o loop1` (loop1 -> loop2 -> loop1) replaced the user's link with a file."""
    model = tmp_path / "m"
    _run(model, "model", names=("config.json", "model.safetensors"))
    for overwrite in (False, True):
        with (
            pytest.raises(OutputError, match="is part of the dnalm model there, which would not load without it"),
            claim("audit", outputs=[Output(model / "config.json", "file")], overwrite=overwrite),
        ):
            pass
    assert (model / "config.json").read_text() == "dnalm's config.json\n"
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    with (
        pytest.raises(OutputError, match="a symbolic link that leads back to itself"),
        claim("predict", outputs=[Output(tmp_path / "loop1", "file")], overwrite=True),
    ):
        pass
    assert (tmp_path / "loop1").is_symlink()


def test_a_stopped_runs_staging_folder_with_a_file_put_there_since_is_refused_without_overwrite(tmp_path):
    """A plain re-run removed OUTPUT.partial whole, with the note the user had put there after the kill."""
    from dnalm.io.files import start_folder

    staging = start_folder(tmp_path / "mm", owned_marker="dnalm_config.yaml")
    (staging / "history.csv").write_text("the run's\n")
    (staging / "mynote.txt").write_text("the user's\n")
    with pytest.raises(
        ValueError,
        match=r"mm.partial holds what a stopped run left \(history.csv, mynote.txt\): "
        r"pass resume=True to continue it, or overwrite=True to discard it",
    ):
        start_folder(tmp_path / "mm", owned_marker="dnalm_config.yaml")
    assert (staging / "mynote.txt").is_file()
    assert start_folder(tmp_path / "mm", owned_marker="dnalm_config.yaml", overwrite=True) == staging
    assert [p.name for p in staging.iterdir()] == ["PARTIAL_RUN.txt"]


def test_a_folder_output_named_as_standard_output_is_refused(tmp_path, monkeypatch):
    """`dnalm evaluate M DATA -o -` made a folder named '-' (for a file output '-' is standard output)."""
    monkeypatch.chdir(tmp_path)
    with (
        pytest.raises(OutputError, match="writes a folder; '-' \\(standard output\\) is for a file"),
        claim("evaluate", outputs=[Output("-", "evaluation")]),
    ):
        pass
    assert not (tmp_path / "-").exists()


def test_a_run_folder_done_again_loses_what_dnalm_wrote_and_keeps_the_users_notes(tmp_path):
    """A benchmark run (or search trial) done again removed its folder whole, with the user's notes in it."""
    from dnalm.io.files import start_folder
    from dnalm.io.outputs import clear_run_folder

    run = tmp_path / "seed0"
    _run(run / "model", "model", names=("config.json", "model.safetensors"))
    _run(run / "eval", "evaluation", names=("metrics.json",))
    (run / "run.json").write_text("{}")
    (run / "notes.txt").write_text("mine\n")
    (run / "eval" / "mine.txt").write_text("mine\n")
    start_folder(run / "again", owned_marker="dnalm_config.yaml")  # a stopped run's staging folder
    assert clear_run_folder(run, ("run.json",)) == ["eval/mine.txt", "notes.txt"]
    assert sorted(p.name for p in run.iterdir()) == ["eval", "notes.txt"]
    assert [p.name for p in (run / "eval").iterdir()] == ["mine.txt"]


def test_a_users_file_inside_a_folder_dnalm_wrote_stays_theirs_run_after_run(tmp_path):
    """A file the user put in a benchmark's report_files/ was kept by the next run, whose marker then made it look
    older than dnalm's last write: the run after removed it."""
    from dnalm.io.outputs import read_marker, remove_written

    out = tmp_path / "runs"

    def run():
        with claim("benchmark", outputs=[Output(out, "benchmark", rerun="continue")]):
            # what a benchmark does as it starts: its earlier figures go
            remove_written(out, sorted(set((read_marker(out) or {}).get("files", [])) & {"report_files"}))
            _write_result(out, "results.json", "report_files/curve.png")

    run()
    time.sleep(0.02)
    (out / "report_files" / "mine.png").write_text("mine\n")
    for _ in range(3):
        time.sleep(0.02)  # each run's marker is newer than the user's file
        run()
        assert (out / "report_files" / "mine.png").read_text() == "mine\n"
        assert read_marker(out)["theirs"] == ["report_files/mine.png"]
    (out / "report_files" / "mine.png").unlink()  # gone: no longer recorded, and the figures go as dnalm's
    run()
    assert "theirs" not in read_marker(out)
    remove_written(out, ["report_files"])
    assert not (out / "report_files").exists()


def test_overwrite_keeps_the_users_files_in_a_folder_of_theirs_named_as_one_dnalm_writes(tmp_path):
    """`corpus --overwrite` into a folder with the user's train/t.txt replaced train/ whole, t.txt with it (a name
    dnalm never writes); the same with pretrain's checkpoints/ and tokenizer/."""
    from dnalm.io.outputs import read_marker

    out = tmp_path / "corpus"
    _write_result(out, "train/t.txt", "readme.txt")  # the user's: no marker

    def run():
        with claim("corpus", outputs=[Output(out, "corpus", atomic=True)], overwrite=True) as c:
            _write_result(c.path(out), "train/part-0.txt", "validation/part-0.txt")

    for _ in range(3):  # kept by each --overwrite, recorded as theirs inside dnalm's train/
        time.sleep(0.02)
        run()
        assert (out / "train" / "t.txt").read_text() == "dnalm's train/t.txt\n"
        assert (out / "readme.txt").is_file() and (out / "train" / "part-0.txt").is_file()
        assert read_marker(out)["theirs"] == ["train/t.txt"] and "train" in read_marker(out)["files"]
    with claim("corpus", outputs=[Output(out, "corpus", atomic=True)], overwrite=True) as c:
        _write_result(c.path(out), "train/part-1.txt")  # another run, without part-0: the earlier run's goes
    assert sorted(p.name for p in (out / "train").iterdir()) == ["part-1.txt", "t.txt"]


def test_a_stopped_runs_folder_holding_the_users_files_is_refused_not_removed_when_the_run_starts_again(tmp_path):
    """A benchmark run killed part-way, then run again, removed its model.partial whole, with a note the user had
    put there (or in its checkpoints/ folder)."""
    from dnalm.finetune.train import PARTIAL_NAMES
    from dnalm.io.files import start_folder
    from dnalm.io.outputs import OutputError, clear_run_folder

    run = tmp_path / "seed0"
    staging = start_folder(run / "model", owned_marker="dnalm_config.yaml")
    (staging / "checkpoints" / "checkpoint-4").mkdir(parents=True)
    (staging / "history.csv").write_text("step\n")
    for mine in ("notes.txt", "checkpoints/mine.txt"):
        (staging / mine).write_text("mine\n")
        with pytest.raises(OutputError, match=f"model.partial is what a stopped run left.*holds {mine}, which"):
            clear_run_folder(run, ("run.json",), {"model": PARTIAL_NAMES})
        assert (staging / mine).read_text() == "mine\n" and (staging / "history.csv").is_file()
        (staging / mine).unlink()
    assert clear_run_folder(run, ("run.json",), {"model": PARTIAL_NAMES}) == []  # the run's own: removed
    assert not run.exists() or not any(run.iterdir())


def test_a_ctrl_c_while_a_result_is_moved_into_place_waits_until_it_is_whole(tmp_path, monkeypatch):
    """A KeyboardInterrupt at the third file moved left the new README.md beside the old model's other files."""
    import signal

    from dnalm.io.files import interrupts_deferred

    final, staging = tmp_path / "m", tmp_path / "m.partial"
    _run(final, "model", names=("README.md", "config.json", "model.safetensors"))
    (final / "notes.txt").write_text("the user's\n")  # a user's file: the result is moved in file by file
    _write_result(staging, "README.md", "config.json", "model.safetensors")
    for name in ("README.md", "config.json", "model.safetensors"):
        (staging / name).write_text("new\n")
    real_replace, moved = os.replace, []

    def replace(a, b):
        moved.append(b)
        if len(moved) == 2:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C part-way
        real_replace(a, b)

    monkeypatch.setattr(os, "replace", replace)
    # Python's own Ctrl-C handler, which it does not install where SIGINT is ignored (a suite started with `&`)
    ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), interrupts_deferred():
            install_folder(staging, final)
    finally:
        signal.signal(signal.SIGINT, ignored)
    assert all((final / n).read_text() == "new\n" for n in ("README.md", "config.json", "model.safetensors"))
    assert (final / "notes.txt").is_file() and not staging.exists()


def test_standard_output_is_appended_to_not_emptied(tmp_path):
    """`{ echo head; dnalm predict M x.fa -o -; } > out` lost the head: /dev/stdout was opened "w", which empties
    the file standard output is redirected to; `>> log` lost the log."""
    out = tmp_path / "out.txt"
    code = (
        "import sys; from dnalm.io.files import atomic_open\n"
        "print('head', flush=True)\n"
        "with atomic_open('-') as fh: fh.write('table\\n')\n"
        "with atomic_open('/dev/stdout') as fh: fh.write('again\\n')\n"
    )
    out.write_text("previous\n")
    with open(out, "a") as fh:
        subprocess.run([sys.executable, "-c", code], stdout=fh, check=True)
    assert out.read_text() == "previous\nhead\ntable\nagain\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_a_full_stream_is_named_in_the_error():
    """`dnalm predict M x.fa -o - > /dev/full` said "No space left on device" and no file: the stream is named."""
    code = (
        "import sys; from dnalm.io.files import atomic_open; from dnalm.runtime.process import report_error\n"
        "try:\n"
        "    with atomic_open(sys.argv[1]) as fh: fh.write('x' * 100000); fh.flush()\n"
        "except OSError as err: sys.exit(report_error(err))\n"
    )
    for name, said in (("-", "writing standard output (-o -)"), ("/dev/full", "writing /dev/full")):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [sys.executable, "-c", code, name], stdout=full, stderr=subprocess.PIPE, text=True, check=False
            )
        assert done.returncode == 2 and f"No space left on device {said}: free space" in done.stderr, done.stderr


def test_an_output_folder_whose_name_is_not_utf8_is_refused_before_any_work(tmp_path):
    """evaluate and corpus failed with "'utf-8' codec can't encode character '\\udcff'" and left NAME.partial;
    finetune failed so only when saving, after the training."""
    name = os.fsdecode(bytes(tmp_path) + b"/ev\xff")
    with pytest.raises(OutputError, match=r"its name is not UTF-8 text"), claim("x", outputs=[Output(name, "model")]):
        pytest.fail("the claim was granted")
    assert not list(tmp_path.iterdir())
    with claim("x", outputs=[Output(os.fsdecode(bytes(tmp_path) + b"/p\xff.tsv"))]):  # a file is written as it is
        pass


def test_a_result_written_through_a_private_temporary_file_is_readable_as_the_umask_says(tmp_path):
    """transformers writes model.safetensors through a 0600 temporary file: a model folder others could list but
    not load. The user's own 0600 file stays as it is."""
    old = os.umask(0o022)
    try:
        (tmp_path / "m").mkdir()
        (tmp_path / "m" / "mine.key").write_text("secret")
        os.chmod(tmp_path / "m" / "mine.key", 0o600)
        with claim("finetune", outputs=[Output(tmp_path / "m", "model")], overwrite=True):
            (tmp_path / "m" / "model.safetensors").write_bytes(b"x")
            os.chmod(tmp_path / "m" / "model.safetensors", 0o600)
        assert (tmp_path / "m" / "model.safetensors").stat().st_mode & 0o777 == 0o644
        assert (tmp_path / "m" / "mine.key").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


@pytest.mark.parametrize("dangling", [False, True])
def test_files_named_after_a_linked_output_are_judged_where_they_are_written(tmp_path, dangling):
    """`embed -o out.npy` with out.npy a link to sub/real.npy wrote its ids to sub/real.ids.txt, the user's, with
    exit 0: out.ids.txt was checked, sub/real.ids.txt written (`report -o link.html` did so with its .md)."""
    from dnalm.io.files import atomic_open
    from dnalm.io.outputs import claims

    @claims("embed", lambda a: {"outputs": [Output(a["output"]), Output(Path(a["output"]).with_suffix(".ids.txt"))]})
    def write(output, overwrite=False):
        with atomic_open(output) as fh:
            fh.write("vectors")
        with atomic_open(Path(output).with_suffix(".ids.txt")) as fh:
            fh.write("ids")
        return str(output)

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "real.ids.txt").write_text("MINE")
    if not dangling:
        (tmp_path / "sub" / "real.npy").write_text("MINE too")
    (tmp_path / "out.npy").symlink_to("sub/real.npy")
    with pytest.raises(OutputError, match=r"sub/real\.(ids\.txt|npy) exists and is a file dnalm did not write"):
        write(tmp_path / "out.npy")
    assert (tmp_path / "sub" / "real.ids.txt").read_text() == "MINE" and not (tmp_path / "out.ids.txt").exists()
    assert write(tmp_path / "out.npy", overwrite=True) == str(tmp_path / "sub" / "real.npy")
    assert (tmp_path / "sub" / "real.ids.txt").read_text() == "ids" and (tmp_path / "out.npy").is_symlink()
    assert (tmp_path / "out.npy").read_text() == "vectors" and not (tmp_path / "out.ids.txt").exists()


@pytest.mark.parametrize("note_in_a_folder", [True, False])
def test_overwrite_onto_another_kind_of_result_keeps_the_users_edits_as_theirs(tmp_path, note_in_a_folder):
    """evaluate -o PRE --overwrite over a pretraining kept the user's edited README.md and checkpoints/note.txt
    but listed both as the evaluation's files, so the next plain run removed them (exit 0); with no note in a
    folder, the edited README.md was removed at once (the folder was swapped whole)."""
    pre = tmp_path / "pre"
    _run(pre, "pretrain", ("README.md", "model.safetensors", "checkpoints/checkpoint-2/model.safetensors"))
    time.sleep(0.01)  # (the user's edits come after the marker)
    with (pre / "README.md").open("a") as fh:
        fh.write("my notes\n")
    if note_in_a_folder:
        (pre / "checkpoints" / "note.txt").write_text("mine")
    with claim("evaluate", outputs=[Output(pre, "evaluation", atomic=True)], overwrite=True) as c:
        _write_result(c.path(pre), "metrics.json")
    assert (pre / "README.md").read_text() == "dnalm's README.md\nmy notes\n"
    assert not (pre / "model.safetensors").exists() and not (pre / "checkpoints" / "checkpoint-2").exists()
    assert read_marker(pre)["files"] == ["metrics.json"]  # the user's entries are not the evaluation's
    with (
        pytest.raises(OutputError, match=r"holds files this command did not write \(README.md"),
        claim("evaluate", outputs=[Output(pre, "evaluation", atomic=True)]),
    ):
        pass
    assert (pre / "README.md").read_text().endswith("my notes\n")
    assert (pre / "checkpoints" / "note.txt").is_file() == note_in_a_folder


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="no /proc on this system")
def test_a_killed_run_not_yet_reaped_holds_no_lock():
    """A re-run right after a kill -9 was refused as if the killed run were still writing: its process was a
    zombie (dead, not yet reaped by its parent), which os.kill(pid, 0) still finds."""
    from dnalm.io.outputs import _alive

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.time() + 30
        while _alive(child.pid) and time.time() < deadline:  # it exits at once, and stays a zombie until reaped
            time.sleep(0.05)
        assert not _alive(child.pid) and child.poll() is not None  # (poll reaps it only now)
    finally:
        child.wait()
    assert _alive(os.getpid())


def test_a_stopped_run_says_what_it_left_for_resume_and_only_that(tmp_path):
    """After a stopped `pretrain --overwrite` over a finished run (written aside, then discarded) the message said
    "the checkpoints in OUTPUT/checkpoints, if any, are kept for --resume": they were the earlier run's, and the
    stopped run could not be continued. What is said now is what the stopped run left."""
    from dnalm.io.files import start_folder
    from dnalm.io.outputs import left_for_resume

    def stop(**kw):
        with pytest.raises(KeyboardInterrupt), claim("pretrain", outputs=[Output(p, "pretrain", **kw)]) as c:
            _write_result(c.path(p), "checkpoints/checkpoint-2/model.safetensors")
            raise KeyboardInterrupt

    p = tmp_path / "p"
    stop(rerun="continue")  # in place: its checkpoints are there to continue from
    assert left_for_resume("pretrain") == f"the checkpoints in {p / 'checkpoints'} are kept for resume=True"
    with claim("pretrain", outputs=[Output(p, "pretrain", rerun="continue")], resume=True):
        _write_result(p, "pretrain_summary.json")
    with (
        pytest.raises(KeyboardInterrupt),
        claim("pretrain", outputs=[Output(p, "pretrain", rerun="continue", atomic=True)], overwrite=True) as c,
    ):
        _write_result(c.path(p), "checkpoints/checkpoint-4/model.safetensors")
        raise KeyboardInterrupt
    assert left_for_resume("pretrain") == (
        f"the stopped run was discarded and {p} holds the earlier result (overwrite=True starts it again)"
    )
    m = tmp_path / "m"
    with pytest.raises(KeyboardInterrupt), claim("finetune", outputs=[Output(m, "model", staged=True)]):
        start_folder(m, owned_marker="dnalm_config.yaml")
        raise KeyboardInterrupt  # before it wrote anything: nothing to continue
    assert left_for_resume("finetune") is None
    with pytest.raises(KeyboardInterrupt), claim("finetune", outputs=[Output(m, "model", staged=True)], overwrite=True):
        staging = start_folder(m, owned_marker="dnalm_config.yaml", overwrite=True)
        _write_result(staging, "checkpoints/checkpoint-9/model.safetensors")
        raise KeyboardInterrupt
    assert left_for_resume("finetune") == f"what the stopped run wrote in {m}.partial is kept for resume=True"


def test_resume_refused_beside_a_stopped_replacement_says_it_is_not_resumed(tmp_path):
    """After a killed `pretrain --overwrite` (written aside in p.partial), `--resume` was refused over a user's file
    without a word about p.partial or whether its checkpoint could be used."""
    p = tmp_path / "p"
    with claim("pretrain", outputs=[Output(p, "pretrain", rerun="continue")]):
        _write_result(p, "pretrain_summary.json")
    (p / "user_note.txt").write_text("mine\n")
    _write_result(tmp_path / "p.partial", "PARTIAL_RUN.txt", "checkpoints/checkpoint-2/model.safetensors")
    with pytest.raises(OutputError, match=r"user_note.txt.*p.partial is a stopped run that replaced it.*not resumed"):
        claim("pretrain", outputs=[Output(p, "pretrain", rerun="continue")], resume=True).__enter__()


@pytest.mark.parametrize("where", [".", ".."])
def test_an_output_folder_that_holds_the_working_folder_is_written_in_place(tmp_path, monkeypatch, where):
    """`synth tata -o .` swapped the working folder for the result (renamed aside, then deleted): the caller's shell
    sat in a deleted folder, and torch, imported after, failed to load (exit 2 after "wrote")."""
    import os

    from dnalm.synth import synthesize

    here = tmp_path / "out" / "sub" if where == ".." else tmp_path / "out"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    before = os.stat(tmp_path / "out").st_ino
    synthesize("tata", where, n=40, overwrite=where == "..")  # (the parent holds the working folder: not empty)
    assert os.stat(tmp_path / "out").st_ino == before and Path.cwd() == here and here.is_dir()
    assert (tmp_path / "out" / "train.csv").is_file() and read_marker(tmp_path / "out")["kind"] == "synth"


def test_an_output_that_cannot_be_replaced_is_named_not_dnalms_temporary_file(tmp_path, monkeypatch):
    """An immutable output file with --overwrite gave "[Errno 1] Operation not permitted: '.if.tsv.partial-16508'
    -> 'if.tsv'": a raw line naming dnalm's temporary file."""
    import errno
    import os

    from dnalm.io.files import atomic_open

    (tmp_path / "if.tsv").write_text("the earlier result\n")

    def refused(src, dst):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(src), None, str(dst))

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(PermissionError) as caught, atomic_open(tmp_path / "if.tsv") as fh:
        fh.write("a new result\n")
    assert str(caught.value) == (
        f"could not write {tmp_path / 'if.tsv'}: {tmp_path / 'if.tsv'} cannot be changed (Operation not permitted); "
        "it is as it was"
    )
    assert (tmp_path / "if.tsv").read_text() == "the earlier result\n" and os.listdir(tmp_path) == ["if.tsv"]


def test_a_folder_output_named_as_a_file_format_is_refused(tmp_path):
    """evaluate -o ev.json, audit --dedup dd.csv and tokenizer kmer -o tok.json each made a folder of that name."""
    for name in ("ev.json", "dd.csv.gz", "tok.JSON"):
        with pytest.raises(OutputError, match=rf"output .*{name}: `dnalm evaluate` writes a folder, and \.\w+ names"):
            claim("evaluate", outputs=[Output(tmp_path / name, "evaluation")]).__enter__()
    assert not list(tmp_path.iterdir())
    (tmp_path / "old.json").mkdir()  # a folder of the user's of that name: taken as it is
    with claim("evaluate", outputs=[Output(tmp_path / "old.json", "evaluation")]):
        _write_result(tmp_path / "old.json", "metrics.json")


# -- names ----------------------------------------------------------------------------------------
def test_a_name_the_file_system_takes_but_dnalms_lock_beside_it_cannot_says_how_long_a_name_may_be(tmp_path):
    """A 240-byte name (255 allowed) was refused as "cannot be written there (File name too long)": what is too long
    is dnalm's lock beside it, and the message said neither that nor how long a name may be."""
    import os

    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    with pytest.raises(OutputError, match=rf"a name of {limit - 10} bytes is too long for the files dnalm writes") as e:
        claim("synth", outputs=[Output(tmp_path / ("Q" * (limit - 10)), "synth")]).__enter__()
    most = int(str(e.value).rsplit("at most ", 1)[1].split()[0])
    with claim("synth", outputs=[Output(tmp_path / ("Q" * most), "synth")]):
        pass
    with pytest.raises(OutputError, match=r"cannot be written there \(File name too long\)"):
        claim("synth", outputs=[Output(tmp_path / ("Q" * (limit + 1)), "synth")]).__enter__()


@pytest.mark.parametrize("name", ["a\nb", "out\t.tsv", "res\r", "x\x1b[31m"])
@pytest.mark.parametrize("kind", ["file", "synth"])
def test_a_new_output_named_with_a_control_character_is_refused_in_one_line(tmp_path, name, kind):
    """``-o $'a\\nb'`` made a folder whose result line came out as two lines (a name read with its line end, in a
    script, is the usual cause); a log file named so too."""
    from dnalm.io.outputs import log_to

    with (
        pytest.raises(OutputError, match="control character") as err,
        claim("synth", outputs=[Output(tmp_path / name, kind)]),
    ):
        pytest.fail("the claim was granted")
    assert "\n" not in str(err.value) and "\r" not in str(err.value) and "\t" not in str(err.value)
    with pytest.raises(OutputError, match=r"--log-file .*control character"):
        log_to(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["e\n.npy", "e\t.parquet", "p\r.csv"])
def test_the_python_writers_refuse_a_control_character_too(tmp_path, name):
    """write_embeddings and the other writers of the Python API wrote such a name (the commands refused it)."""
    import numpy as np

    from dnalm.io import Record, write_table
    from dnalm.lm.inference import write_embeddings

    with pytest.raises(ValueError, match="control character"):
        if name.endswith(".csv"):
            write_table([Record("a", "ACGT", "1")], tmp_path / name)
        else:
            write_embeddings(np.zeros((1, 2), np.float32), ["a"], tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_output_with_an_odd_name_is_still_the_users_to_name(tmp_path):
    out = tmp_path / "odd\tname.tsv"
    out.write_text("")
    with claim("predict", outputs=[Output(out)], overwrite=True):
        out.write_text("dnalm's\n")


def test_the_root_of_the_file_system_as_an_output_is_refused_in_one_line(tmp_path):
    """`synth tata -o /` printed "PosixPath('/') has an empty name"."""
    from dnalm.io.outputs import OutputError
    from dnalm.synth import tata_dataset, write_splits

    for root in ("/", "/.."):
        with pytest.raises(OutputError, match=r"output /(\.\.)?: the root of the file system; give a folder inside it"):
            write_splits(tata_dataset(30, 20), root)


# -- through the command line ---------------------------------------------------------------------------------
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


# -- streams, the log, and a result that cannot be put in place ---------------------------------
@pytest.mark.parametrize("given", ["file", "folder"])
def test_a_stream_output_redirected_to_an_input_is_refused(tmp_path, given):
    """predict -o /dev/stdout >> in.fa (or -o /dev/fd/3 3>>in.fa) appended the result to the FASTA it read."""
    data = tmp_path / "in.fa"
    data.write_text(">a\nACGT\n")
    fd = os.open(data, os.O_WRONLY | os.O_APPEND)
    try:
        with (
            pytest.raises(OutputError, match=rf"output /dev/fd/{fd} \(redirected to .*in\.fa\)") as err,
            claim("predict", inputs=[data if given == "file" else tmp_path], outputs=[Output(f"/dev/fd/{fd}")]),
        ):
            pytest.fail("the claim was granted")
    finally:
        os.close(fd)
    assert "\n" not in str(err.value) and data.read_text() == ">a\nACGT\n"
    # a stream that is no file (a pipe) is written through as before
    read, write = os.pipe()
    try:
        with claim("predict", inputs=[data], outputs=[Output(f"/dev/fd/{write}")]):
            pass
    finally:
        os.close(read), os.close(write)


def test_standard_output_redirected_to_a_data_file_is_refused_by_the_command(tmp_path):
    (tmp_path / "data").mkdir()
    train = tmp_path / "data" / "train.csv"
    train.write_text("sequence,label\nACGTACGTAAAA,1\nGGGGCCCCTTTT,0\n")
    before = train.read_bytes()
    with train.open("ab") as out:
        run = subprocess.run(
            _dnalm("audit", tmp_path / "data", "-o", "-"),
            check=False,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert run.returncode == 2 and "output - (redirected to" in run.stderr and train.read_bytes() == before


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/stderr", "/dev/fd/1", "/proc/self/fd/2", "-"])
def test_a_standard_stream_as_the_log_file_is_refused(name):
    """--log-file /dev/stdout put log lines among the results (a traceback and exit 1 where it was a pipe)."""
    from dnalm.io.outputs import log_to

    with pytest.raises(OutputError, match=rf"--log-file {name}: a standard stream \(results go to standard output\)"):
        log_to(name)


def test_a_result_that_cannot_be_put_in_place_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    """evaluate --overwrite onto a folder with an entry that could not be replaced left the new confusion matrix
    beside the old metrics, under the old marker."""
    final, staging = tmp_path / "ev", tmp_path / "ev.partial"
    _run(final, "evaluate", names=("confusion_matrix.png", "metrics.json", "predictions.csv"))
    (final / "notes.txt").write_text("mine")  # the user's file: entries are put in place one by one
    old = _hashes(final)
    _write_result(staging, "confusion_matrix.png", "metrics.json", "predictions.csv")
    for name in ("confusion_matrix.png", "metrics.json", "predictions.csv"):
        (staging / name).write_text(f"new {name}\n")
    real_replace = os.replace

    def replace(a, b):
        if Path(b) == final / "metrics.json" and Path(a).parent == staging:
            raise PermissionError(1, "Operation not permitted")
        real_replace(a, b)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PermissionError):
        install_folder(staging, final)
    monkeypatch.setattr(os, "replace", real_replace)
    assert _hashes(final) == old  # the previous result, whole, and the user's file
    assert {"confusion_matrix.png", "metrics.json", "predictions.csv"} <= {p.name for p in staging.iterdir()}
    assert all((staging / n).read_text() == f"new {n}\n" for n in ("metrics.json", "predictions.csv"))
    assert [p.name for p in tmp_path.iterdir() if "replaced" in p.name] == []
