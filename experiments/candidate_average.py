"""Should the recipe keep one of its two candidates, or their average, and on which validation score?

The default recipe trains two candidates on small data (the CNN, and the CNN with two attention layers) and keeps
one. Here each candidate is trained on its own, exactly as the recipe trains it (``dnalm finetune DATA -o OUT --seed S
--candidates one``, and the same with ``--config`` holding ``model_config: {attention_layers: 2}``), then scored with
``dnalm evaluate`` on the validation split with both strands averaged (as the saved folder is used), on the
validation split with one strand (``--no-rc``: what training validates), and on the test split (read for the report
only, never for a choice). From those predictions, for each rule, the model it keeps and that model's test MCC
and test loss (how good its probabilities are):

- ``old``: the candidate with the lower one-strand validation loss (the recipe before this screen);
- ``new``: the lowest validation loss with both strands averaged among the two candidates and their average (the
  mean of their class probabilities, one model: ``dnalm.models.ensemble``), which the recipe does now.

A run whose folder holds ``done`` is read, not rerun; an evaluation whose ``metrics.json`` exists likewise. Prints
a table and writes every row to ``OUTPUT/candidate_average.json``::

    python experiments/candidate_average.py --tasks mouse/0 prom/prom_core_tata mouse/2 prom/prom_300_tata \\
        --seeds 0 1 2 -o runs/candidate_average
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ARMS = {"cnn": ["--candidates", "one"], "att": ["--config", "ATT"]}
SPLITS = {"dev": ["--split", "dev"], "test": ["--split", "test"], "devnorc": ["--split", "dev", "--no-rc"]}


def run(task: str, seed: int, data: Path, output: Path, dnalm: str) -> dict:
    name = f"{task.replace('/', '_')}-s{seed}"
    att = output / "att.yaml"
    att.write_text("model_config:\n  attention_layers: 2\n")
    for arm, extra in ARMS.items():
        folder = output / f"{name}-{arm}"
        if not (folder / "done").is_file():
            extra = [str(att) if x == "ATT" else x for x in extra]
            command = [dnalm, "finetune", str(data / task), "-o", str(folder), "--seed", str(seed), *extra]
            _logged(command + ["--overwrite"], output / f"{name}-{arm}.log")
            (folder / "done").touch()
        for split, options in SPLITS.items():
            scored = output / f"{name}-{arm}-eval-{split}"
            if not (scored / "metrics.json").is_file():
                command = [dnalm, "evaluate", str(folder), str(data / task), *options, "-o", str(scored)]
                _logged(command + ["--overwrite"], output / f"{name}-{arm}.log")
    return _row(name, output)


def _logged(command: list[str], log: Path) -> None:
    with log.open("a") as fh:
        subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT, check=True)


def _predictions(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    rows = list(csv.DictReader(folder.joinpath("predictions.csv").open()))
    columns = [c for c in rows[0] if c.startswith("prob_")]
    p = np.array([[float(r[c]) for c in columns] for r in rows])
    return p, np.array([columns.index(f"prob_{r['label']}") for r in rows])


def _mcc(p: np.ndarray, y: np.ndarray) -> float:
    pred = p.argmax(1)
    tp, tn = np.sum((pred == 1) & (y == 1)), np.sum((pred == 0) & (y == 0))
    fp, fn = np.sum((pred == 1) & (y == 0)), np.sum((pred == 0) & (y == 1))
    d = math.sqrt(float((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))
    return float((tp * tn - fp * fn) / d) if d else 0.0


def _loss(p: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1))))


def _row(name: str, output: Path) -> dict:
    row = {"run": name}
    for split in SPLITS:
        (pc, y), (pa, ya) = (_predictions(output / f"{name}-{arm}-eval-{split}") for arm in ARMS)
        if not np.array_equal(y, ya):
            raise SystemExit(f"{name}: the two candidates' {split} predictions are not of the same records")
        for arm, p in (("cnn", pc), ("att", pa), ("avg", (pc + pa) / 2)):
            row[f"{split}_{arm}_loss"], row[f"{split}_{arm}_mcc"] = _loss(p, y), _mcc(p, y)
    row["old"] = "att" if row["devnorc_att_loss"] < row["devnorc_cnn_loss"] else "cnn"  # first kept unless lower
    row["new"] = min(("cnn", "att", "avg"), key=lambda arm: row[f"dev_{arm}_loss"])
    return row


def table(rows: list[dict]) -> str:
    tasks: dict[str, list[dict]] = {}
    for r in rows:
        tasks.setdefault(r["run"].rsplit("-s", 1)[0], []).append(r)
    lines = [
        "| task | seeds | CNN | attention | average | old rule | new rule | test loss, old / new | kept (old / new) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for task, rs in tasks.items():
        mean = {arm: np.mean([r[f"test_{arm}_mcc"] for r in rs]) for arm in ("cnn", "att", "avg")}
        rules = {k: [r[f"test_{r[k]}_mcc"] for r in rs] for k in ("old", "new")}
        shown = {
            k: f"{np.mean(v):.3f} ± {np.std(v, ddof=1):.3f}" if len(v) > 1 else f"{v[0]:.3f}" for k, v in rules.items()
        }
        kept = " / ".join(", ".join(r[k] for r in rs) for k in ("old", "new"))
        loss = " / ".join(f"{np.mean([r[f'test_{r[k]}_loss'] for r in rs]):.4f}" for k in ("old", "new"))
        lines.append(
            f"| {task} | {len(rs)} | {mean['cnn']:.3f} | {mean['att']:.3f} | {mean['avg']:.3f} | {shown['old']} "
            f"| {shown['new']} | {loss} | {kept} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tasks", nargs="+", default=["mouse/0", "prom/prom_core_tata", "mouse/2", "prom/prom_300_tata"]
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "gue")
    parser.add_argument("-o", "--output", type=Path, default=Path("runs/candidate_average"))
    parser.add_argument("--dnalm", default=str(Path(sys.executable).with_name("dnalm")))
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        raise SystemExit(f"GUE data not found at {args.data} (--data)")
    args.output.mkdir(parents=True, exist_ok=True)
    rows = [run(task, seed, args.data, args.output, args.dnalm) for seed in args.seeds for task in args.tasks]
    for r in rows:
        print(
            f"{r['run']:24s} test MCC cnn {r['test_cnn_mcc']:.3f} att {r['test_att_mcc']:.3f} avg {r['test_avg_mcc']:.3f}"
            f" | validation loss, both strands: cnn {r['dev_cnn_loss']:.4f} att {r['dev_att_loss']:.4f} avg "
            f"{r['dev_avg_loss']:.4f}; one strand: cnn {r['devnorc_cnn_loss']:.4f} att {r['devnorc_att_loss']:.4f}"
            f" | old {r['old']}, new {r['new']}"
        )
    print(table(rows))
    (args.output / "candidate_average.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
