"""Split folders for the two real sets in ``../shared/data`` that have no train/dev/test split.

The issue's hidden sets (promoters and binding sites of other organisms) cannot be seen here; these are
the nearest real sets outside GUE, and they need a split before ``dnalm finetune``, the yardstick and
``bench/vs_reference.py --root`` can use them:

- ``gbnt``: Genomic Benchmarks' human non-TATA promoters (EPDnew, -200..+50 around the TSS, 251 bp; only
  GB's test split, 9,034 sequences, is in ``../shared/data``);
- ``ecoli``: iPromoter-2L's E. coli sigma promoters against non-promoters (2,860 + 2,860, 81 bp; the
  papers use cross-validation, there is no official split).

Each is cut 80/10/10, stratified by label, with a fixed seed, and written as GUE's layout
(``train.csv.gz``, ``dev.csv.gz``, ``test.csv.gz`` with ``sequence,label``) plus ``split.json`` (source
files with their sha256, seed, counts per split and label). Sequences are written exactly as read
(upper-cased by dnalm's reader; gbnt's one sequence with an N keeps it), rows shuffled.

    python bench/proxy_sets.py -o runs/proxy
    python bench/vs_reference.py --root runs/proxy --tasks gbnt ecoli --arms default tiny --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import json
from pathlib import Path

import numpy as np

from dnalm.finetune.data import stratified_split
from dnalm.io import Record, read_fasta, read_sequences

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
GBNT = DATA / "gb_human_nontata_promoters" / "test.tsv"
ECOLI = DATA / "ipromoter2l_ecoli" / "Benchmark_dataset" / "promoter_and_non-promoter"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(name: str) -> tuple[list[Record], list[Path]]:
    """The labelled records of one set, and the files they came from."""
    if name == "gbnt":
        return list(read_sequences(GBNT)), [GBNT]
    files = [ECOLI / "positive2860.txt", ECOLI / "negative2860.txt"]
    return [Record(r.id, r.sequence, label) for path, label in zip(files, "10") for r in read_fasta(path)], files


def write_split(name: str, output: Path, seed: int) -> dict:
    records, files = load(name)
    train, rest = stratified_split(records, 0.2, seed=seed)
    dev, test = stratified_split(rest, 0.5, seed=seed)
    rng = np.random.default_rng(seed)  # rows shuffled, so that no reader sees one class after the other
    train, dev, test = ([part[i] for i in rng.permutation(len(part))] for part in (train, dev, test))
    folder = output / name
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split, part in (("train", train), ("dev", dev), ("test", test)):
        with gzip.open(folder / f"{split}.csv.gz", "wt") as fh:
            fh.write("sequence,label\n")
            fh.writelines(f"{r.sequence},{r.label}\n" for r in part)
        counts[split] = dict(sorted(collections.Counter(r.label for r in part).items()))
    info = {
        "set": name,
        "sources": {str(p.relative_to(DATA)): _sha256(p) for p in files},
        "seed": seed,
        "fractions": {"train": 0.8, "dev": 0.1, "test": 0.1},
        "counts": counts,
    }
    (folder / "split.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", type=Path, default=Path("runs/proxy"))
    ap.add_argument("--sets", nargs="+", choices=["gbnt", "ecoli"], default=["gbnt", "ecoli"])
    ap.add_argument("--seed", type=int, default=0, help="the split's seed (not the training seed)")
    args = ap.parse_args()
    for name in args.sets:
        missing = [p for p in ([GBNT] if name == "gbnt" else [ECOLI]) if not p.exists()]
        if missing:
            raise SystemExit(f"{missing[0]} not found: these sets live in ../shared/data")
        info = write_split(name, args.output, args.seed)
        print(f"{name}: " + ", ".join(f"{s} {sum(c.values())} {c}" for s, c in info["counts"].items()))


if __name__ == "__main__":
    main()
