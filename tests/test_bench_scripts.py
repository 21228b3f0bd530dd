"""The comparison scripts in bench/ that the issues' numbers come from: their tables and splits."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(task, seed, side, options, mcc, wall, n_test=100):
    return {"task": task, "seed": seed, "side": side, "options": options, "mcc": mcc, "wall_s": wall, "n_test": n_test}


def _args(tasks, seeds):
    import argparse

    return argparse.Namespace(tasks=tasks, seeds=seeds)


def test_vs_reference_table_margin_and_totals(capsys):
    vs = _script("vs_reference")
    arms = {"default": vs.arm_options("default"), "tiny": vs.arm_options("tiny")}
    assert arms == {"default": [], "tiny": ["--model", "tiny"]}
    assert vs.arm_options("scratch") == ["--from-scratch"]
    runs = []
    for seed, (d, t, r) in enumerate([(0.70, 0.74, 0.60), (0.72, 0.76, 0.62)]):
        runs += [
            _row("a", seed, "dnalm", [], d, 10),
            _row("a", seed, "dnalm", ["--model", "tiny"], t, 30),
            _row("a", seed, "reference", [], r, 20),
        ]
    runs.append(_row("b", 0, "dnalm", [], 0.5, 5))  # no yardstick run for b: not in the table
    vs.print_table(_args(["a", "b"], [0, 1]), arms, runs)
    out = capsys.readouterr().out
    assert "default − best other" in out
    (line,) = [s for s in out.splitlines() if s.startswith("| a |")]
    cells = [c.strip() for c in line.strip("|").split("|")]
    # task, seeds, 3 MCC columns, 3 s/run columns, time ratio, margin
    assert cells[:2] == ["a", "2"] and cells[2] == "0.710 ± 0.014" and cells[3] == "0.750 ± 0.014"
    assert cells[5:9] == ["10", "30", "20", "0.50"]
    assert cells[9] == "-0.040 (tiny)"
    assert not any(s.startswith("| b |") for s in out.splitlines())
    assert "default 10, tiny 30, reference CNN 20" in out and "default / reference CNN: 0.50" in out


def test_vs_reference_refuses_different_test_rows():
    vs = _script("vs_reference")
    runs = [_row("a", 0, "dnalm", [], 0.7, 1, n_test=99), _row("a", 0, "reference", [], 0.6, 1)]
    with pytest.raises(RuntimeError, match="test rows"):
        vs.print_table(_args(["a"], [0]), {"default": []}, runs)


def test_proxy_split_is_stratified_complete_and_seeded(shared_data, tmp_path):
    proxy = _script("proxy_sets")
    info = proxy.write_split("ecoli", tmp_path / "a", seed=0)
    assert info["counts"] == {
        "train": {"0": 2288, "1": 2288},
        "dev": {"0": 286, "1": 286},
        "test": {"0": 286, "1": 286},
    }
    rows = {}
    for split in ("train", "dev", "test"):
        with gzip.open(tmp_path / "a" / "ecoli" / f"{split}.csv.gz", "rt") as fh:
            assert fh.readline() == "sequence,label\n"
            rows[split] = [line.rstrip("\n").split(",") for line in fh]
    every = [tuple(r) for part in rows.values() for r in part]
    assert len(every) == 5720 and {len(s) for s, _ in every} == {81}
    # every record once: the multiset of (sequence, label) is the source's
    source, _ = proxy.load("ecoli")
    assert sorted(every) == sorted((r.sequence, r.label) for r in source)
    assert json.loads((tmp_path / "a" / "ecoli" / "split.json").read_text())["seed"] == 0
    proxy.write_split("ecoli", tmp_path / "b", seed=0)
    first, again = (gzip.decompress((tmp_path / d / "ecoli" / "test.csv.gz").read_bytes()) for d in "ab")
    assert again == first
