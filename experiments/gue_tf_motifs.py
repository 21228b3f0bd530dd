"""What do dnalm's models of the GUE transcription-factor tasks rest on? Motifs from attributions, matched to JASPAR.

    python experiments/gue_tf_motifs.py -o runs/gue_tf_motifs

For each task (``gue/tf/0``, ``tf/1``, ``tf/2``: human ChIP-seq binding sites vs not, 101 bp; GUE does
not say which factor each is), the default recipe is fine-tuned (seed 0; selection on the dev split),
evaluated once on test, and ``dnalm interpret --method deepliftshap --motifs`` explains the first
``--n`` test positives: seqlets clustered into motifs and compared with JASPAR CORE vertebrates. The
table lists the top motifs (most seqlets first) with their best match and q-value. Writes
``summary.json`` in the output folder.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUE = ROOT.parent / "shared" / "data" / "gue" / "tf"


def _dnalm(*args) -> None:
    subprocess.run([sys.executable, "-m", "dnalm", "-q", *map(str, args)], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--tasks", nargs="+", default=["0", "1", "2"])
    ap.add_argument("--n", type=int, default=300, help="test positives explained per task")
    ap.add_argument("--top", type=int, default=3, help="motifs listed per task")
    args = ap.parse_args()
    if not GUE.is_dir():
        sys.exit(f"{GUE} is missing: this experiment needs the shared GUE data")
    summary = {}
    for task in args.tasks:
        data, out = GUE / task, args.output / f"tf{task}"
        out.mkdir(parents=True, exist_ok=True)
        t0 = time.time()
        if not (out / "model" / "config.json").is_file():
            _dnalm("finetune", data, "-o", out / "model", "--seed", 0)
        _dnalm("evaluate", out / "model", data, "--split", "test", "-o", out / "test")
        mcc = json.loads((out / "test" / "metrics.json").read_text())["mcc"]
        with gzip.open(data / "test.csv.gz", "rt") as fh:
            positives = [row["sequence"] for row in csv.DictReader(fh) if row["label"] == "1"][: args.n]
        (out / "positives.fa").write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(positives)))
        _dnalm(
            "interpret",
            out / "model",
            out / "positives.fa",
            "-o",
            out / "why",
            "--method",
            "deepliftshap",
            "--motifs",
            "--limit",
            args.n,
            "--logos",
            3,
        )
        with open(out / "why" / "motifs.tsv") as fh:
            motifs = list(csv.DictReader(fh, delimiter="\t"))
        summary[f"tf/{task}"] = {
            "test_mcc": round(mcc, 4),
            "n_explained": len(positives),
            "n_motifs": len(motifs),
            "motifs": [
                {k: m[k] for k in ("motif", "n_seqlets", "consensus", "best_match_id", "best_match_name", "qvalue")}
                for m in motifs[: args.top]
            ],
            "seconds": round(time.time() - t0, 1),
        }
    print(f"{'task':<7}{'test MCC':>9}  motif: consensus (seqlets) -> best JASPAR match (q)")
    for task, r in summary.items():
        for i, m in enumerate(r["motifs"]):
            head = f"{task:<7}{r['test_mcc']:>9.3f}" if i == 0 else " " * 16
            print(
                f"{head}  {m['motif']}: {m['consensus']} ({m['n_seqlets']}) -> "
                f"{m['best_match_id']} {m['best_match_name']} (q={m['qvalue']})"
            )
    (args.output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
