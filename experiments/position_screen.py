"""Screen attention layers in the recipe's CNN (``attention_layers``) on validation data only (test is never read).

Each arm is one ``dnalm finetune DATA -o OUT --time-budget 10h --seed S [--config arm.yaml] [--model M]`` (the CLI,
as a user runs it; 10 hours so the budget never cuts a run on a busy machine). A run whose folder already holds a
``training_summary.json`` is read, not rerun. Prints a table and writes every row to ``--output/screen.json``:

    python experiments/position_screen.py --tasks prom/prom_300_tata prom/prom_core_tata --seeds 0
    python experiments/position_screen.py --tasks mouse/0 --seeds 0 1 2 --arms default attn2

Arms: ``default`` (the recipe: ``pos-cnn`` from the shipped ``dnalm-cnn``), ``attn1``/``attn2`` (one or two
attention layers after its convolutions, max-pool 4 before them, learned absolute positions; the convolutions
still start from ``dnalm-cnn``), ``attn2-pool2`` (pool 2), ``attn2-scratch`` (random weights throughout) and
``tiny`` (a 2-layer 6-mer BERT with learned absolute positions, its preset's settings); with ``--lm PATH`` (a
masked-base checkpoint of the CNN with attention layers, ``dnalm pretrain``) ``lm-attn2`` starts convolutions and
attention layers from it and ``lm-cnn`` its convolutions alone. Beside each run the load
average (``uptime``) before and after: wall times are only comparable at similar load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ARMS = {
    "default": {},
    "attn1": {"model_config": {"attention_layers": 1}},
    "attn2": {"model_config": {"attention_layers": 2}},
    "attn2-pool2": {"model_config": {"attention_layers": 2, "attention_pool": 2}},
    "attn2-scratch": {"model_config": {"attention_layers": 2}, "from_scratch": True},
    "tiny": {"model": "tiny"},
    # --lm PATH: a pos-cnn masked-base checkpoint pretrained with its attention layers (``dnalm pretrain``)
    "lm-attn2": {"model": "LM"},  # convolutions and attention layers from it
    "lm-cnn": {"model": "LM", "model_config": {"attention_layers": 0}},  # its convolutions alone
}


def run_arm(task: str, seed: int, arm: str, data: Path, output: Path, dnalm: str, lm: Path | None = None) -> dict:
    """Run (or read) one arm; returns its row."""
    out = output / f"{task.replace('/', '_')}-s{seed}-{arm}"
    summary_file, meta_file = out / "training_summary.json", output / f"{out.name}.meta.json"
    meta = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
    if not summary_file.is_file():
        command = [dnalm, "finetune", str(data / task), "-o", str(out), "--time-budget", "10h", "--seed", str(seed)]
        settings = dict(ARMS[arm])
        if "model" in settings:
            model = settings.pop("model")
            if model == "LM" and lm is None:
                raise SystemExit(f"arm {arm} needs --lm PATH (a pos-cnn masked-base checkpoint)")
            command += ["--model", str(lm) if model == "LM" else model]
        if settings:
            config = output / f"{out.name}.yaml"
            config.write_text(yaml.safe_dump(settings))
            command += ["--config", str(config)]
        load_before = os.getloadavg()[0]
        t0 = time.time()
        with (output / f"{out.name}.log").open("w") as log:
            subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=True)
        meta = {"wall_s": round(time.time() - t0, 1), "load_before": load_before, "load_after": os.getloadavg()[0]}
        meta_file.write_text(json.dumps(meta))
    s = json.loads(summary_file.read_text())
    val = s["validation_metrics"]
    return {
        "task": task,
        "seed": seed,
        "arm": arm,
        "validation_mcc": round(val["eval_mcc"], 4),
        "validation_loss": round(val["eval_loss"], 4),
        "best_step": s.get("best_step"),
        "steps": s.get("steps_run"),
        "time_budget_note": s.get("time_budget_note"),
        "wall_s": meta.get("wall_s", s.get("wall_time_s")),
        "load": [meta.get("load_before"), meta.get("load_after")],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", nargs="+", default=["prom/prom_300_tata"], help="GUE tasks under --data")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--arms", nargs="+", default=["default", "attn2", "tiny"], choices=sorted(ARMS))
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "gue")
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "runs" / "position_screen")
    ap.add_argument("--dnalm", default=str(Path(sys.executable).with_name("dnalm")), help="the dnalm command")
    ap.add_argument("--lm", type=Path, help="the checkpoint of the lm-* arms")
    args = ap.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    rows = [
        run_arm(task, seed, arm, args.data, args.output, args.dnalm, args.lm)
        for task in args.tasks
        for seed in args.seeds
        for arm in args.arms
    ]
    results = args.output / "screen.json"
    old = json.loads(results.read_text()) if results.is_file() else []
    keys = {(r["task"], r["seed"], r["arm"]) for r in rows}
    results.write_text(json.dumps([r for r in old if (r["task"], r["seed"], r["arm"]) not in keys] + rows, indent=1))
    print(f"{'task':<22}{'seed':>5} {'arm':<14}{'val MCC':>8}{'val loss':>9}{'wall s':>8}  load")
    for r in rows:
        print(
            f"{r['task']:<22}{r['seed']:>5} {r['arm']:<14}{r['validation_mcc']:>8.4f}{r['validation_loss']:>9.4f}"
            f"{r['wall_s'] or 0:>8.0f}  {r['load']}"
        )


if __name__ == "__main__":
    main()
