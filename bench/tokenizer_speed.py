"""dnalm's vectorised k-mer tokenizer vs the transformers BertTokenizer route DNABERT users take.

Both sides get the same raw sequences and return padded numpy arrays; the BertTokenizer side
includes k-merisation (space-joined overlapping k-mers), as in DNABERT's scripts. The ids,
token type ids and attention masks are checked to be identical before a ratio is printed.

    python bench/tokenizer_speed.py            # 20,000 x 300 bp, k = 6
    python bench/tokenizer_speed.py --k 3 4 5 6 --out bench/results/tokenizer_speed.json
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from transformers import BertTokenizer

from dnalm.tokenizers.dna import KmerTokenizer, kmer_vocab

SHARED_VOCAB = Path(__file__).resolve().parents[2] / "shared" / "data" / "dnabert_vocab"


def best_of(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def run(k: int, seqs: list[str], repeats: int) -> dict:
    vocab_file = SHARED_VOCAB / f"vocab_{k}.txt"
    if not vocab_file.is_file():  # same content as DNABERT's file (a test checks this)
        vocab_file = Path(tempfile.mkdtemp()) / f"vocab_{k}.txt"
        vocab_file.write_text("\n".join(kmer_vocab(k)) + "\n")
    ref = BertTokenizer(vocab=str(vocab_file), do_lower_case=False)
    ours = KmerTokenizer(k=k)

    def bert_route():
        kmer_text = [" ".join(s[i : i + k] for i in range(len(s) - k + 1)) for s in seqs]
        return ref(kmer_text, padding=True, return_tensors="np")

    t_ref, a = best_of(bert_route, repeats)
    t_ours, b = best_of(lambda: ours(seqs, padding=True, return_tensors="np"), repeats)
    identical = all(np.array_equal(a[key], b[key]) for key in ("input_ids", "token_type_ids", "attention_mask"))
    return {
        "k": k,
        "bert_tokenizer_s": t_ref,
        "dnalm_s": t_ours,
        "speedup": t_ref / t_ours,
        "identical": identical,
        "shape": list(b["input_ids"].shape),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--length", type=int, default=300)
    ap.add_argument("--k", type=int, nargs="+", default=[6])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("bench/results/tokenizer_speed.json"))
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    seqs = [
        s.decode()
        for s in np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, (args.n, args.length))]
        .view(f"S{args.length}")
        .ravel()
    ]
    rows = [run(k, seqs, args.repeats) for k in args.k]
    print(f"{args.n:,} random sequences of {args.length} bp, padded numpy output, best of {args.repeats}")
    print(f"{'k':>2} {'BertTokenizer (s)':>18} {'dnalm (s)':>10} {'speedup':>9}  ids identical")
    for r in rows:
        print(
            f"{r['k']:>2} {r['bert_tokenizer_s']:>18.3f} {r['dnalm_s']:>10.4f} {r['speedup']:>8.1f}x  {r['identical']}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "n": args.n,
                "length": args.length,
                "seed": args.seed,
                "machine": platform.processor() or platform.machine(),
                "results": rows,
            },
            indent=2,
        )
    )
    if not all(r["identical"] for r in rows):
        raise SystemExit("ids differ between dnalm and BertTokenizer")
    last = rows[-1]
    print(f"speedup: {last['speedup']:.0f}x (ids identical)")


if __name__ == "__main__":
    main()
