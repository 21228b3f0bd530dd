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
    python bench/vs_reference.py --root runs/proxy --tasks gbnt ecoli --arms default tiny -o runs/vs_proxy

``--arms`` runs several dnalm arms beside the one yardstick run (``default``, ``scratch``, or a ``--model``
value such as ``tiny``) and adds the default's margin over the best other arm or the yardstick.

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


def arm_options(arm: str) -> list[str]:
    """The ``dnalm finetune`` options of one arm: default, scratch, or a ``--model`` value."""
    if arm == "default":
        return []
    if arm == "scratch":
        return ["--from-scratch"]
    return ["--model", arm]


def _folder(options: list[str]) -> str:
    """One folder per set of options (``dnalm``, ``dnalm-scratch``, ``dnalm-tiny``)."""
    name = "dnalm"
    if "--from-scratch" in options:
        name += "-scratch"
    if "--model" in options:
        name += "-" + Path(options[options.index("--model") + 1]).name
    return name


def run_all(args: argparse.Namespace, arms: dict[str, list[str]], runs: list[dict]) -> list[dict]:
    """Every (task, seed, side) not already in ``runs``, one after the other; JSON rewritten after each."""
    results_path = args.output / "results.json"
    # a finished run is reused only if it ran with the same options (older rows, without the key, had none)
    done = {(r["task"], r["seed"], r["side"], tuple(r.get("options", []))) for r in runs}
    sides = [("dnalm", options) for options in arms.values()] + [("reference", [])]
    for task in args.tasks:
        for seed in args.seeds:
            for side, options in sides:
                if (task, seed, side, tuple(options)) in done:
                    continue
                out = (
                    args.output
                    / task.replace("/", "_")
                    / f"seed{seed}"
                    / (_folder(options) if side == "dnalm" else side)
                )
                out.mkdir(parents=True, exist_ok=True)
                row = (
                    run_dnalm(args.root / task, seed, out, options)
                    if side == "dnalm"
                    else run_reference(args.root, task, seed, out, args.reference_epochs)
                )
                runs.append({"task": task, "seed": seed, "side": side, "options": options, **row})
                print(
                    f"{task} seed {seed} {side} {' '.join(options)}: MCC {row['mcc']:.4f} in {row['wall_s']:.0f} s",
                    flush=True,
                )
                results_path.write_text(json.dumps(runs, indent=2) + "\n")
    return runs


def print_table(args: argparse.Namespace, arms: dict[str, list[str]], runs: list[dict]) -> None:
    """Test MCC (mean ± std over seeds) and seconds per run of every arm and the yardstick, per task; with
    more than one arm, the default's margin over the best other (the issue's "within 1 MCC point")."""
    names = [*arms, "reference CNN"]
    margin = "default" in arms and len(arms) > 1
    print(
        "\n| task | seeds | "
        + " | ".join(f"{n} test MCC" for n in names)
        + " | "
        + " | ".join(f"{n} s/run" for n in names)
        + " | time ratio |"
        + (" default − best other |" if margin else "")
    )
    print("|---|---|" + "---|" * (2 * len(names) + 1 + margin))
    total = dict.fromkeys(names, 0.0)
    for task in args.tasks:
        side = {
            name: sorted(
                (
                    r
                    for r in runs
                    if r["task"] == task
                    and r["seed"] in args.seeds
                    and r["side"] == ("reference" if name == "reference CNN" else "dnalm")
                    and r.get("options", []) == arms.get(name, [])
                ),
                key=lambda r: r["seed"],
            )
            for name in names
        }
        if any(not rows for rows in side.values()):
            continue
        for name, rows in side.items():
            if [r["seed"] for r in rows] != [r["seed"] for r in side["reference CNN"]]:
                raise RuntimeError(f"{task}: {name} ran seeds {[r['seed'] for r in rows]}, the yardstick others")
            if {r["n_test"] for r in rows} != {r["n_test"] for r in side["reference CNN"]}:
                raise RuntimeError(f"{task}: {name} scored another number of test rows than the yardstick")
        mcc = {name: [r["mcc"] for r in rows] for name, rows in side.items()}
        wall = {name: statistics.mean(r["wall_s"] for r in rows) for name, rows in side.items()}
        first = names[0]
        total = {n: total[n] + wall[n] for n in names}
        cells = [_mean_std(mcc[n]) for n in names] + [f"{wall[n]:.0f}" for n in names]
        cells.append(f"{wall[first] / wall['reference CNN']:.2f}")
        if margin:
            others = {n: statistics.mean(mcc[n]) for n in names if n != "default"}
            best = max(others, key=others.get)
            cells.append(f"{statistics.mean(mcc['default']) - others[best]:+.3f} ({best})")
        print(f"| {task} | {len(side[first])} | " + " | ".join(cells) + " |")
    if total["reference CNN"]:
        ratio = total[names[0]] / total["reference CNN"]
        print("\nwall s per run, summed over the tasks shown: " + ", ".join(f"{n} {t:.0f}" for n, t in total.items()))
        print(f"{names[0]} / reference CNN: {ratio:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=SHARED / "data" / "gue")
    ap.add_argument("--tasks", nargs="+", default=["prom/prom_core_tata", "mouse/0", "tf/0", "prom/prom_core_all"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--reference-epochs", type=int, default=8)
    ap.add_argument("-o", "--output", type=Path, default=Path("runs/vs_reference"))
    ap.add_argument(
        "--arms",
        nargs="+",
        default=None,
        metavar="ARM",
        help="dnalm arms run beside the yardstick: default (the default recipe), scratch (--from-scratch) or a "
        "--model value (tiny: a 2-layer 6-mer BERT with its preset's defaults); default: default",
    )
    ap.add_argument("--from-scratch", action="store_true", help="one arm: dnalm finetune --from-scratch")
    ap.add_argument("--model", help="one arm: dnalm finetune --model M")
    args = ap.parse_args()
    if args.arms and (args.from_scratch or args.model):
        ap.error("--arms or --from-scratch/--model, not both")
    if args.arms:
        arms = {arm: arm_options(arm) for arm in args.arms}
    else:
        options = (["--from-scratch"] if args.from_scratch else []) + (["--model", args.model] if args.model else [])
        arms = {" ".join(["dnalm", *options]) if options else "default": options}
    if not (SHARED / "tools" / "reference_cnn.py").is_file():
        sys.exit(f"{SHARED / 'tools' / 'reference_cnn.py'} not found: the yardstick lives in ../shared/tools")
    results_path = args.output / "results.json"
    runs = json.loads(results_path.read_text()) if results_path.is_file() else []
    print_table(args, arms, run_all(args, arms, runs))


if __name__ == "__main__":
    main()
