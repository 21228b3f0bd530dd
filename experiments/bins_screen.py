"""Screen the recipe's position bins (and attention layers) as candidates of one run, on validation data only.

Each task and seed is one ``dnalm finetune DATA -o OUT --seed S --candidates all`` in this process, with the recipe's
candidate list replaced by the arms asked for (``--bins 32 64``: the CNN from ``dnalm-cnn`` with 8 position bins as
shipped, then with each number of bins; ``--attention``: and with two attention layers). Every candidate trains with
the same seed and plan as the recipe trains it, and ``recipe.json`` records each one's validation loss as trained
(one strand) and both strands averaged (``selection_loss``, what the recipe chooses on), and their average's. A
finished folder is read, not rerun. Prints a table of the ``selection_loss`` values and writes them to
``--output/bins_screen.json``::

    python experiments/bins_screen.py --tasks prom/prom_core_tata mouse/0 mouse/2 --bins 32 --attention -o runs/bins
    python experiments/bins_screen.py --tasks prom/prom_300_tata prom/prom_core_tata --bins 64 -o runs/bins64
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(data: Path, out: Path, seed: int, arms: tuple[dict, ...]) -> list[dict]:
    """The candidates' entries of one run's ``recipe.json`` (run here unless the folder has one)."""
    import dnalm.finetune.recipe as recipe
    from dnalm.cli import app

    if not (out / "recipe.json").is_file():
        shipped, recipe.CANDIDATES = recipe.CANDIDATES, arms
        try:
            app(
                ["finetune", str(data), "-o", str(out), "--seed", str(seed), "--candidates", "all"],
                standalone_mode=False,
            )
        finally:
            recipe.CANDIDATES = shipped
    return json.loads((out / "recipe.json").read_text())["candidates"]


def _name(entry: dict) -> str:
    if "members" in entry:
        return "average"
    config = entry["model_config"]
    return "attention" if config.get("attention_layers") else f"bins {config.get('position_bins', 8)}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=ROOT.parent / "shared" / "data" / "gue")
    ap.add_argument("--tasks", nargs="+", required=True)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--bins", nargs="+", type=int, default=[32])
    ap.add_argument("--attention", action="store_true", help="and the CNN with two attention layers")
    ap.add_argument("-o", "--output", type=Path, default=Path("runs/bins_screen"))
    args = ap.parse_args()
    arms = ({}, *({"position_bins": b} for b in args.bins), *([{"attention_layers": 2}] if args.attention else []))
    rows = []
    for task in args.tasks:
        for seed in args.seeds:
            out = args.output / f"{task.replace('/', '_')}-s{seed}"
            for entry in run(args.root / task, out, seed, arms):
                rows.append({"task": task, "seed": seed, "arm": _name(entry), **entry})
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "bins_screen.json").write_text(json.dumps(rows, indent=2) + "\n")
    print("| task | seed | arm | validation loss, one strand | both strands (selection) | kept |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['task']} | {r['seed']} | {r['arm']} | {r['best_validation_loss']:.4f} | "
            f"{r['selection_loss']:.4f} | {'yes' if r['chosen'] else ''} |"
        )


if __name__ == "__main__":
    main()
