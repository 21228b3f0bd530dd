"""Do the attribution methods point at the TATA box? Every `dnalm interpret` method on one synthetic model.

    python experiments/tata_attributions.py -o runs/tata_attributions

A k-mer BERT (`tiny`, 4 epochs, seed 0) learns TATAAA-vs-not on `dnalm synth tata` 60-mers (1,000
sequences, seed 3; the test suite's model); then each method explains 100 TATAAA-positive 60-mers drawn
apart (seed 11) through the command, and the table says, per method: in how many sequences the mean
importance inside the TATAAA is above the mean outside it, the mean inside vs the mean |importance|
outside, the top motif and its best JASPAR match, and the wall time of the command.
Writes ``summary.json`` in the output folder.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

METHODS = ("ism", "ig", "deepliftshap", "gradxinput")


def _dnalm(*args) -> None:
    subprocess.run([sys.executable, "-m", "dnalm", "-q", *map(str, args)], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    args = ap.parse_args()

    from dnalm.io.sequence import reverse_complement
    from dnalm.synth import tata_dataset

    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "model" / "config.json").is_file():
        _dnalm("synth", "tata", "-o", out / "data", "--n", 1000, "--length", 60, "--seed", 3)
        _dnalm("finetune", out / "data", "-o", out / "model", "--model", "tiny", "--epochs", 4, "--seed", 0)
    seqs = [r.sequence for r in tata_dataset(400, 60, seed=11) if str(r.label) == "1"][:100]
    (out / "pos.fa").write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(seqs)))
    rows = {}
    for method in args.methods:
        t0 = time.time()
        _dnalm("interpret", out / "model", out / "pos.fa", "-o", out / method, "--method", method, "--motifs")
        seconds = time.time() - t0
        data = np.load(out / method / "attributions.npz")
        wins, inside, outside = 0, [], []
        for i, seq in enumerate(seqs):
            imp = data[f"importance_{i}"]
            mask = np.zeros(len(seq), dtype=bool)
            for motif in ("TATAAA", reverse_complement("TATAAA")):
                if (p := seq.find(motif)) >= 0:
                    mask[p : p + 6] = True
            wins += bool(imp[mask].mean() > imp[~mask].mean())
            inside.append(float(imp[mask].mean()))
            outside.append(float(np.abs(imp[~mask]).mean()))
        motifs = (out / method / "motifs.tsv").read_text().splitlines()
        top = dict(zip(motifs[0].split("\t"), motifs[1].split("\t"))) if len(motifs) > 1 else {}
        rows[method] = {
            "tata_above_rest": f"{wins}/{len(seqs)}",
            "mean_inside": round(float(np.mean(inside)), 4),
            "mean_abs_outside": round(float(np.mean(outside)), 4),
            "ratio": round(float(np.mean(inside) / max(np.mean(outside), 1e-12)), 1),
            "top_motif": top.get("consensus"),
            "top_motif_seqlets": top.get("n_seqlets"),
            "best_match": f"{top.get('best_match_id')} {top.get('best_match_name')}" if top else None,
            "qvalue": top.get("qvalue"),
            "seconds": round(seconds, 1),
        }
    print(f"{'method':<14}{'TATA > rest':>12}{'inside':>9}{'|outside|':>11}{'ratio':>8}  top motif (seqlets), match, s")
    for method, r in rows.items():
        print(
            f"{method:<14}{r['tata_above_rest']:>12}{r['mean_inside']:>9.3f}{r['mean_abs_outside']:>11.4f}"
            f"{r['ratio']:>8.0f}  {r['top_motif']} ({r['top_motif_seqlets']}), {r['best_match']}, {r['seconds']:.0f}"
        )
    (out / "summary.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
