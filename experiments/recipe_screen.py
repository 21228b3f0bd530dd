"""Screen a change to the default recipe on validation data only (the test split is never read).

Runs ``dnalm finetune`` with every default except the change named, and prints one JSON line with the
validation loss, MCC and AUROC of the kept weights, the steps run, the selected step and the wall time:

    python experiments/recipe_screen.py --task prom/prom_core_tata --seed 0                          # the default
    python experiments/recipe_screen.py --task mouse/0 --seed 1 --model-config '{"channels": 192}'
    python experiments/recipe_screen.py --task tf/0 --seed 0 --min-epochs 4

``--model-config`` is the ``model_config`` setting of ``dnalm finetune --config`` (merged over the recipe's
architecture); ``--min-epochs`` changes the recipe's lower bound on epochs (so its weight-average half-life follows
the shorter plan, as the recipe's own rule would). Check each run's ``training_summary.json``: a run whose time
budget capped its steps (``time_budget_note`` says so; a busy machine) is not a fair comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", required=True, help="a GUE task under --data, e.g. tf/0")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "gue")
    ap.add_argument("--model-config", type=json.loads, default={}, help="JSON, e.g. '{\"channels\": 192}'")
    ap.add_argument("--min-epochs", type=int, default=None, help="the recipe's minimum number of epochs")
    ap.add_argument("-o", "--output", type=Path, default=Path("runs/recipe_screen"))
    args = ap.parse_args()

    import dnalm.finetune.recipe
    from dnalm.finetune.config import FinetuneConfig
    from dnalm.finetune.train import finetune

    if args.min_epochs is not None:
        dnalm.finetune.recipe._MIN_EPOCHS = args.min_epochs  # the experiment is about this constant
    name = "-".join([args.task.replace("/", "_"), f"s{args.seed}", json.dumps(args.model_config, sort_keys=True)])
    name += f"-e{args.min_epochs}" if args.min_epochs else ""
    out = args.output / "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    t0 = time.time()
    cfg = FinetuneConfig(seed=args.seed, model_config=args.model_config, trainer={"disable_tqdm": True})
    s = finetune(cfg, args.data / args.task, out, overwrite=True)
    val = s["validation_metrics"]
    row = {
        "task": args.task,
        "seed": args.seed,
        "model_config": args.model_config,
        "min_epochs": args.min_epochs,
        "validation_loss": round(val["eval_loss"], 4),
        "validation_mcc": round(val["eval_mcc"], 4),
        "validation_auroc": round(val["eval_auroc"], 4),
        "steps": s["steps_run"],
        "steps_planned": s["steps_planned"],
        "best_step": s["best_step"],
        "time_budget_note": s["time_budget_note"],
        "wall_s": round(time.time() - t0, 1),
    }
    print(json.dumps(row))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
