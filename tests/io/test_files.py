"""Whole files or none (dnalm.io.files): atomic writes, valid JSON, output paths checked before any work, a full
disk."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from dnalm.io.files import atomic_open, check_output_file, write_json
from tests.conftest import _dnalm, posix_only


def test_a_stopped_runs_leftovers_are_said_without_a_previous_result_that_is_not_there(tmp_path, caplog):
    from dnalm.io.files import start_folder

    final = tmp_path / "m"
    start_folder(final, owned_marker="dnalm_config.yaml")  # a run that stopped: only m.partial is left
    start_folder(final, owned_marker="dnalm_config.yaml")
    assert "what a stopped run left (there is no earlier m)" in caplog.text  # it said m held the previous result


@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB tmpfs (a disk that fills up), where this test runner may mount one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True, text=True, check=False
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'not allowed'}); needs root")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@posix_only
def test_a_full_disk_leaves_no_partial_file_and_says_so_in_one_line(tata_model, tiny_disk, tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    # about 3,000 rows of predictions: well over the 64 KiB the disk holds
    fasta = "".join(f">seq{i}\n{''.join(rng.choice(list('ACGT'), 60))}\n" for i in range(3_000))
    (tmp_path / "many.fa").write_text(fasta)
    (tiny_disk / "keep.txt").write_text("a file that was there before")
    out = subprocess.run(
        _dnalm("predict", tata_model, tmp_path / "many.fa", "-o", tiny_disk / "p.tsv"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
    message = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr
    assert any(f"could not write {tiny_disk / 'p.tsv'}" in line and "nothing was written" in line for line in message)
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["keep.txt"]  # no partial, no temporary file


def test_a_failed_write_leaves_the_previous_file_and_no_partial_one(tmp_path):
    out = tmp_path / "predictions.tsv"
    out.write_text("the previous result\n")
    with pytest.raises(OSError, match="nothing was written there"), atomic_open(out) as fh:
        fh.write("id\tscore\n" * 1000)
        raise OSError(28, "No space left on device")  # what a full disk raises part-way
    assert out.read_text() == "the previous result\n"
    assert os.listdir(tmp_path) == ["predictions.tsv"]


def test_metrics_json_holds_null_not_nan(tmp_path):
    write_json(tmp_path / "m.json", {"mcc": float("nan"), "auroc": 0.5, "curve": [float("inf")]})
    text = (tmp_path / "m.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"mcc": None, "auroc": 0.5, "curve": [None]}


@pytest.mark.parametrize("case", ["folder", "parent is a file", "read-only"])
def test_bad_output_paths_are_refused_before_any_work(tmp_path, case):
    if case == "folder":
        path, match = tmp_path, "is a folder"
    elif case == "parent is a file":
        (tmp_path / "f").write_text("x")
        path, match = tmp_path / "f" / "out.tsv", "is a file, not a folder"
    else:
        if os.geteuid() == 0:
            pytest.skip("root may write anywhere: the permission probe needs an ordinary user")
        (tmp_path / "ro").mkdir(mode=0o555)
        path, match = tmp_path / "ro" / "out.tsv", "no permission"
    with pytest.raises(ValueError, match=match):
        check_output_file(path)
