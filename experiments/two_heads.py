"""The recipe's one model on large data, two positional heads: how does each head do alone, and their mean?

On data of more than ``CANDIDATES_MAX_TRAIN`` training sequences the default recipe trains one model, the CNN from
``dnalm-cnn`` with two positional heads on one body: 8 position bins and ``fine_bins(median length)``
(``fine_position_bins``), each trained on its own loss, the output the mean of their logits. Here each task and
seed is fine-tuned with every default (``dnalm finetune DATA -o OUT --seed S``) and scored three ways with ``dnalm
evaluate`` on the validation split (both strands averaged, as the folder is used) and on the test split (read for
the report only): the saved model (**mean**), and copies of it with one head (**8 bins**: the fine head dropped;
**fine**: the fine head in the 8-bin head's place, ``position_bins`` set to its bins). A folder or evaluation that
exists is read, not rerun. Prints a table of the validation loss and test MCC and writes every row to
``OUTPUT/two_heads.json``::

    python experiments/two_heads.py --tasks prom/prom_core_all prom/prom_core_notata tf/0 tf/1 tf/2 -o runs/d2

The separately trained heads (each its own model, 8 bins or fine bins) are ``experiments/bins_screen.py``'s arms.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_head(folder: Path, which: str, out: Path) -> Path:
    """A copy of a two-head model folder with one head (``coarse`` or ``fine``), the other's tensors dropped."""
    from safetensors.torch import load_file, save_file

    if (out / "config.json").is_file():
        return out
    shutil.copytree(folder, out, ignore=shutil.ignore_patterns("checkpoints", "*.csv", "*.png"))
    config = json.loads((out / "config.json").read_text())
    fine = config["fine_position_bins"]
    state = load_file(out / "model.safetensors")
    kept = {}
    for key, tensor in state.items():
        if ".fine_" not in key:
            if which == "coarse" or not key.startswith(("body.head.", "body.project.")):
                kept[key] = tensor
        elif which == "fine":
            kept[key.replace(".fine_", ".")] = tensor
    config["fine_position_bins"] = 0
    if which == "fine":
        config["position_bins"] = fine
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    save_file(kept, out / "model.safetensors", metadata={"format": "pt"})
    return out


def evaluate(dnalm: str, model: Path, data: Path, split: str, out: Path) -> dict:
    """Test or validation MCC and log loss (from the per-sequence probabilities) of one model folder."""
    if not (out / "metrics.json").is_file():
        subprocess.run([dnalm, "evaluate", str(model), str(data), "--split", split, "-o", str(out)], check=True)
    metrics = json.loads((out / "metrics.json").read_text())
    with open(out / "predictions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    loss = -sum(math.log(max(float(r[f"prob_{r['label']}"]), 1e-7)) for r in rows) / len(rows)
    return {"mcc": metrics["mcc"], "loss": loss}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=ROOT.parent / "shared" / "data" / "gue")
    ap.add_argument("--tasks", nargs="+", required=True)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("-o", "--output", type=Path, default=Path("runs/two_heads"))
    args = ap.parse_args()
    dnalm = str(Path(sys.executable).with_name("dnalm"))
    rows = []
    for task in args.tasks:
        for seed in args.seeds:
            data, name = args.root / task, f"{task.replace('/', '_')}-s{seed}"
            model = args.output / name
            if not (model / "config.json").is_file():
                subprocess.run([dnalm, "finetune", str(data), "-o", str(model), "--seed", str(seed)], check=True)
            heads = {"mean": model}
            heads |= {w: one_head(model, w, args.output / f"{name}-{w}") for w in ("coarse", "fine")}
            for head, folder in heads.items():
                dev = evaluate(dnalm, folder, data, "dev", args.output / f"{name}-{head}-dev")
                test = evaluate(dnalm, folder, data, "test", args.output / f"{name}-{head}-test")
                rows.append({"task": task, "seed": seed, "head": head, "dev": dev, "test": test})
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "two_heads.json").write_text(json.dumps(rows, indent=2) + "\n")
    print("| task | seed | head | validation loss (both strands) | validation MCC | test MCC | test loss |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['task']} | {r['seed']} | {r['head']} | {r['dev']['loss']:.4f} | {r['dev']['mcc']:.4f} | "
            f"{r['test']['mcc']:.4f} | {r['test']['loss']:.4f} |"
        )


if __name__ == "__main__":
    main()
