"""Progress: a live bar on a terminal (checked under a pseudo-terminal), none when stderr is a pipe or with --quiet."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest

from dnalm.runtime.progress import Progress, track

N = 40


@pytest.fixture(scope="module")
def predict_inputs(tmp_path_factory):
    from dnalm.models.build import build_model

    root = tmp_path_factory.mktemp("progress")
    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(root / "cnn")
    tok.save_pretrained(root / "cnn")
    (root / "in.fa").write_text("".join(f">s{i}\n{'ACGTTATAAAGC' * 5}\n" for i in range(N)))
    return root


def _env() -> dict:
    """This environment without what turns bars off (an earlier in-process CLI test may have set it)."""
    off = (
        "TQDM_DISABLE",
        "HF_HUB_DISABLE_PROGRESS_BARS",
        "HF_DATASETS_DISABLE_PROGRESS_BARS",
        "TRANSFORMERS_VERBOSITY",
    )
    return {k: v for k, v in os.environ.items() if k not in off}


def _predict(root, *options, terminal: bool) -> str:
    """``dnalm [options] predict`` with stderr on a pseudo-terminal (or a pipe); what it wrote to stderr."""
    args = [sys.executable, "-m", "dnalm", *options, "predict", str(root / "cnn"), str(root / "in.fa")]
    args += ["-o", str(root / f"out{len(options)}{terminal}.csv")]
    if not terminal:
        run = subprocess.run(args, capture_output=True, text=True, timeout=300, env=_env(), check=False)
        assert run.returncode == 0, run.stderr
        return run.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=follower, env=_env())
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the other end closed (Linux raises EIO)
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(leader)
    assert proc.wait(timeout=300) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def test_predict_shows_a_bar_on_a_terminal_only(predict_inputs):
    shown = _predict(predict_inputs, terminal=True)
    assert "predict: 100%" in shown and f"{N}/{N}" in shown and "windows/s" in shown and "\r" in shown
    piped = _predict(predict_inputs, terminal=False)
    assert "predict:" not in piped and "\r" not in piped and "windows/s" not in piped
    quiet = _predict(predict_inputs, "--quiet", terminal=True)
    assert "predict:" not in quiet and "windows/s" not in quiet


def test_without_a_terminal_progress_is_a_log_line_every_interval(caplog, monkeypatch):
    import logging
    from types import SimpleNamespace

    clock = iter(range(0, 1000, 20))  # every update is 20 s after the one before
    monkeypatch.setattr("dnalm.runtime.progress.time", SimpleNamespace(time=lambda: next(clock)))
    with caplog.at_level(logging.INFO, logger="dnalm.runtime.progress"):
        assert list(track(range(3), "scoring", unit="records", log_every=30)) == [0, 1, 2]
    assert [r.getMessage() for r in caplog.records] == ["scoring: 2 of 3 records, 0.05 per s"]
    with Progress("silent", log_every=None) as p:
        p.update_to(10)
    assert p.n == 10 and len(caplog.records) == 1


@pytest.mark.parametrize(("env", "red"), [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)])
def test_the_red_error_line_follows_no_color_and_a_dumb_terminal(monkeypatch, env, red):
    """On a terminal the error line was red whatever NO_COLOR or TERM=dumb said."""
    from dnalm.runtime.process import _colour

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    class Terminal:
        def isatty(self):
            return True

    assert _colour(Terminal()) is red


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
