"""What Python's cycle collector costs a default fine-tuning, with and without dnalm's freezing.

Runs ``dnalm finetune DATA -o OUT --seed S`` in a fresh process per run, alternating two sides for
``--rounds`` rounds:

- **dnalm**: the command as shipped (torch/transformers imported with the collector off and frozen,
  training with what existed frozen: ``process.import_models_once``, ``hardware.frozen_gc``);
- **plain**: the same command with both switched off (a plain import, no freeze),

timing each process's wall clock and, with ``gc.callbacks``, the number and seconds of full (generation 2)
collections. Both sides must reach the same best validation loss (the collector does not change the
arithmetic). Prints a table and writes JSON.

    python bench/gc_cost.py ../shared/data/gue/prom/prom_core_tata --out bench/results/gc_cost.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# run in the child process: time full collections, optionally undo dnalm's freezing, then run the command
_CHILD = r"""
import contextlib, gc, importlib, json, sys, time
plain, report, argv = sys.argv[1] == "plain", sys.argv[2], sys.argv[3:]
full = {"n": 0, "s": 0.0}
started = {}
def timer(phase, info):
    if info["generation"] == 2:
        if phase == "start":
            started["t"] = time.perf_counter()
        else:
            full["n"] += 1
            full["s"] += time.perf_counter() - started["t"]
gc.callbacks.append(timer)
import dnalm.cli, dnalm.runtime.hardware, dnalm.runtime.process
if plain:
    def import_plainly(command):
        if command in dnalm.runtime.process.MODEL_COMMANDS:
            importlib.import_module("dnalm.models.build")
    dnalm.runtime.process.import_models_once = import_plainly
    dnalm.runtime.hardware.frozen_gc = contextlib.nullcontext
    import dnalm.finetune.train
    dnalm.finetune.train.frozen_gc = contextlib.nullcontext
sys.argv = ["dnalm", "-q", *argv]
try:
    dnalm.cli.main()
finally:
    with open(report, "w") as fh:
        json.dump(full, fh)
"""


def run(side: str, data: Path, seed: int, work: Path) -> dict:
    out, report = work / f"{side}-model", work / f"{side}-gc.json"
    t = time.perf_counter()
    args = ["finetune", str(data), "-o", str(out), "--seed", str(seed), "--overwrite"]
    subprocess.run([sys.executable, "-c", _CHILD, side, str(report), *args], check=True, capture_output=True)
    wall = time.perf_counter() - t
    full = json.loads(report.read_text())
    summary = json.loads((out / "training_summary.json").read_text())
    return {
        "side": side,
        "wall_s": wall,
        "full_collections": full["n"],
        "full_collection_s": full["s"],
        "best_validation_loss": summary["best_validation_metric"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("bench/results/gc_cost.json"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for side in ("plain", "dnalm"):
                rows.append(run(side, args.data, args.seed, Path(tmp)))
                print(rows[-1], flush=True)
    losses = {r["best_validation_loss"] for r in rows}
    if len(losses) != 1:
        raise RuntimeError(f"the two sides trained different models: best validation losses {sorted(losses)}")
    table = {}
    for side in ("plain", "dnalm"):
        mine = [r for r in rows if r["side"] == side]
        table[side] = {
            k: statistics.mean(r[k] for r in mine) for k in ("wall_s", "full_collections", "full_collection_s")
        }
    print("\n| side | runs | full collections | seconds in them | finetune wall s |")
    print("|---|---|---|---|---|")
    for side, t in table.items():
        print(
            f"| {side} | {args.rounds} | {t['full_collections']:.1f} | {t['full_collection_s']:.2f} | {t['wall_s']:.1f} |"
        )
    print(f"dnalm / plain wall: {table['dnalm']['wall_s'] / table['plain']['wall_s']:.3f}; same best validation loss")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"data": str(args.data), "seed": args.seed, "runs": rows, "mean": table}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
