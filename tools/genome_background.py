"""Make the genome-like background that ``dnalm synth --background genome`` (and ``dnalm demo``) draws from: one
recorded command, from the genomes in ../shared/data.

    python tools/genome_background.py [--order 4]

Fits an order-``order`` Markov chain (:class:`dnalm.lm.baselines.MarkovChain`) on both strands of the five
genomes ``dnalm-cnn`` was pretrained on (tools/ship_dnalm_mini.py's list: E. coli K-12, the A. thaliana,
C. elegans and D. melanogaster chunks, 300 kb of human chr22; runs of N split the sequence) and writes its
counts of (context, next base) to ``src/dnalm/resources/genome_background.json`` with where they came from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from ship_dnalm_mini import DATA, GENOMES  # noqa: E402

from dnalm.io import read_sequences  # noqa: E402
from dnalm.io.sequence import reverse_complement  # noqa: E402
from dnalm.lm.baselines import MarkovChain  # noqa: E402

OUT = ROOT / "src" / "dnalm" / "resources" / "genome_background.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--order", type=int, default=4, help="bases of context (4: 256 contexts)")
    args = parser.parse_args()
    sequences = [r.sequence for g in GENOMES for r in read_sequences(DATA / g)]
    chain = MarkovChain(args.order).fit(sequences + [reverse_complement(s) for s in sequences])
    counts = chain.tables[args.order]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "order": args.order,
                "made_by": f"python tools/genome_background.py --order {args.order}",
                "genomes": [Path(g).name for g in GENOMES],
                "strands": "both",
                "bases": int(counts.sum()),
                "counts": counts.tolist(),  # row: the context's bases in base 4 (A=0 C=1 G=2 T=3, first base most
            },  # significant); column: the next base's count
            separators=(",", ":"),
        )
        + "\n"
    )
    print(f"wrote {OUT} ({counts.shape[0]} contexts, {int(counts.sum()):,} bases)")


if __name__ == "__main__":
    main()
