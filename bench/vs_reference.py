"""dnalm's default recipe beside the reference CNN, on the same tasks and seeds, in one run.

For each task and seed, one after the other on the same (otherwise idle) machine:

- ``dnalm finetune TASK -o OUT --seed S`` then ``dnalm evaluate OUT TASK`` (defaults only: the
  default recipe, strand-averaged evaluation as recorded in the model folder; ``--from-scratch`` adds
  that option: the recipe's CNN from random weights instead of the shipped ``dnalm-cnn``; ``--model tiny``
  a 2-layer 6-mer BERT with its preset's defaults), and
- ``python ../shared/tools/reference_cnn.py ROOT TASK 8 S`` (the yardstick; run, not copied),

timing each command's wall clock and reading test MCC from each. Prints a table of mean ± std
over seeds with the time ratio, and writes every run to JSON.

    python bench/vs_reference.py --tasks prom/prom_core_tata mouse/0 --seeds 0 1 2 -o runs/vs_reference

Both sides score the same test split: the yardstick reports its number of test rows and dnalm's
evaluation its number of predictions, and the two are checked equal.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# the dnalm command of the environment running this script (a venv not on PATH still finds its own)
_OWN = Path(sys.executable).with_name("dnalm")
DNALM = str(_OWN) if _OWN.is_file() else "dnalm"


def _run(cmd: list[str], log: Path) -> tuple[float, str]:
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.time() - t0
    log.write_text(out.stdout + out.stderr)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}); see {log}")
    return wall, out.stdout


def _test_rows(data: Path) -> int:
    import gzip

    with gzip.open(data / "test.csv.gz", "rt") as fh:
        return sum(1 for _ in fh) - 1


def run_dnalm(data: Path, seed: int, out: Path, options: list[str]) -> dict:
    model = out / "model"
    command = [DNALM, "finetune", str(data), "-o", str(model), "--seed", str(seed), *options]
    wall_ft, _ = _run(command, out / "finetune.log")
    wall_ev, _ = _run([DNALM, "evaluate", str(model), str(data), "-o", str(out / "eval")], out / "evaluate.log")
    metrics = json.loads((out / "eval" / "metrics.json").read_text())
    summary = json.loads((model / "training_summary.json").read_text())
    return {
        "mcc": metrics["mcc"],
        "auroc": metrics["auroc"],
        "accuracy": metrics["accuracy"],
        "n_test": metrics["n_predictions"],
        "wall_s": wall_ft + wall_ev,
        "finetune_s": wall_ft,
        "evaluate_s": wall_ev,
        "steps": summary["steps_run"],
        "epochs": summary["epochs_run"],
        "reverse_complement_average": metrics.get("reverse_complement_average"),
    }


def run_reference(root: Path, task: str, seed: int, out: Path, epochs: int) -> dict:
    script = SHARED / "tools" / "reference_cnn.py"
    wall, stdout = _run([sys.executable, str(script), str(root), task, str(epochs), str(seed)], out / "reference.log")
    m = re.search(r"RESULT \S+ test MCC (\S+) F1 (\S+) acc (\S+) time", stdout)
    if not m:
        raise RuntimeError(f"no RESULT line from the reference CNN; see {out / 'reference.log'}")
    return {
        "mcc": float(m.group(1)) / 100,
        "accuracy": float(m.group(3)) / 100,
        "n_test": _test_rows(root / task),
        "wall_s": wall,
    }


def _mean_std(values: list[float]) -> str:
    """Mean ± sample std; one value is shown alone (its spread is unknown, not 0)."""
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=SHARED / "data" / "gue")
    ap.add_argument("--tasks", nargs="+", default=["prom/prom_core_tata", "mouse/0", "tf/0", "prom/prom_core_all"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--reference-epochs", type=int, default=8)
    ap.add_argument("-o", "--output", type=Path, default=Path("runs/vs_reference"))
    ap.add_argument("--from-scratch", action="store_true", help="dnalm finetune --from-scratch (no dnalm-cnn weights)")
    ap.add_argument("--model", help="dnalm finetune --model M (e.g. tiny: a 2-layer 6-mer BERT with its defaults)")
    args = ap.parse_args()
    options = (["--from-scratch"] if args.from_scratch else []) + (["--model", args.model] if args.model else [])
    if not (SHARED / "tools" / "reference_cnn.py").is_file():
        sys.exit(f"{SHARED / 'tools' / 'reference_cnn.py'} not found: the yardstick lives in ../shared/tools")
    results_path = args.output / "results.json"
    runs = json.loads(results_path.read_text()) if results_path.is_file() else []
    # a finished run is reused only if it ran with the same options (older rows, without the key, had none)
    done = {(r["task"], r["seed"], r["side"], tuple(r.get("options", []))) for r in runs}
    for task in args.tasks:
        for seed in args.seeds:
            for side in ("dnalm", "reference"):
                if (task, seed, side, tuple(options if side == "dnalm" else [])) in done:
                    continue
                folder = side
                if side == "dnalm" and options:  # one folder per set of options
                    folder += "-scratch" * args.from_scratch + (f"-{Path(args.model).name}" if args.model else "")
                out = args.output / task.replace("/", "_") / f"seed{seed}" / folder
                out.mkdir(parents=True, exist_ok=True)
                row = (
                    run_dnalm(args.root / task, seed, out, options)
                    if side == "dnalm"
                    else run_reference(args.root, task, seed, out, args.reference_epochs)
                )
                runs.append(
                    {"task": task, "seed": seed, "side": side, "options": options if side == "dnalm" else [], **row}
                )
                print(f"{task} seed {seed} {side}: MCC {row['mcc']:.4f} in {row['wall_s']:.0f} s", flush=True)
                results_path.write_text(json.dumps(runs, indent=2) + "\n")
    ours_name = " ".join(["dnalm", *options])
    print(
        f"\n| task | seeds | {ours_name} test MCC | reference CNN test MCC | dnalm s/run | reference s/run | time ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for task in args.tasks:
        ours = [
            r
            for r in runs
            if r["task"] == task
            and r["side"] == "dnalm"
            and r["seed"] in args.seeds
            and r.get("options", []) == options
        ]
        ref = [r for r in runs if r["task"] == task and r["side"] == "reference" and r["seed"] in args.seeds]
        if not ours or not ref:
            continue
        for a, b in zip(sorted(ours, key=lambda r: r["seed"]), sorted(ref, key=lambda r: r["seed"])):
            if a["n_test"] != b["n_test"]:
                raise RuntimeError(f"{task}: dnalm scored {a['n_test']} test rows, the reference {b['n_test']}")
        t_ours = statistics.mean(r["wall_s"] for r in ours)
        t_ref = statistics.mean(r["wall_s"] for r in ref)
        print(
            f"| {task} | {len(ours)} | {_mean_std([r['mcc'] for r in ours])} | {_mean_std([r['mcc'] for r in ref])} "
            f"| {t_ours:.0f} | {t_ref:.0f} | {t_ours / t_ref:.2f} |"
        )


if __name__ == "__main__":
    main()
