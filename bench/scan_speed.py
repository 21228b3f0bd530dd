"""``dnalm scan`` against a per-window loop, and its peak memory on a small and a ten-times larger genome.

    python bench/scan_speed.py --model runs/ecoli_scan/model -o runs/bench/scan_speed.json

Speed: the first ``--loop-bases`` of the E. coli genome (``../shared/data/ecoli_k12_mg1655``),
one strand, windows of the model's length every ``--stride`` bases, scored (a) by ``scan_genome``
(the streaming engine, batches of 256) and (b) by the obvious loop: tokenize one window, one
forward pass, softmax. Both sides' scores are checked equal before the ratio is printed.

Memory: ``python -m dnalm scan`` in its own process on a genome of ``--small`` and of 10x that many
bases, each one contig (the E. coli genome repeated end to end: one long chromosome is the hard case),
one strand, stride = window, peak RSS compared.
Prints a table, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from peak_rss import peak_rss_mb  # bench/ is on sys.path when a bench script runs
from train_throughput import matmul_gflops

ROOT = Path(__file__).resolve().parents[1]
GENOME = ROOT.parent / "shared" / "data" / "ecoli_k12_mg1655" / "GCF_000005845.2_ASM584v2_genomic.fna.gz"


def per_window_loop(model, tok, seq: str, window: int, stride: int, positive: int) -> tuple[np.ndarray, float]:
    import torch

    from dnalm.apply.scan import window_positions

    starts, _ = window_positions(seq, window, stride)
    model.eval()
    t0 = time.time()
    out = []
    with torch.inference_mode():
        for s in starts:
            enc = tok(seq[s : s + window], return_tensors="pt")
            logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
            out.append(float(torch.softmax(logits.float(), -1)[0, positive]))
    return np.array(out), time.time() - t0


def _gflop_per_window(model, tok, window_seq: str) -> float:
    """Forward FLOPs of one window, counted by torch's flop counter (matmuls and convolutions)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    enc = tok([window_seq] * 64, return_tensors="pt")
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model.eval()(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
    return counter.get_total_flops() / 64 / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="a fine-tuned two-class model folder")
    ap.add_argument("--loop-bases", type=int, default=100_000)
    ap.add_argument("--stride", type=int, default=20)
    ap.add_argument("--small", type=int, default=500_000)
    ap.add_argument("-o", "--output", type=Path, default=Path("runs/bench/scan_speed.json"))
    args = ap.parse_args()

    from dnalm.apply.scan import positive_class, scan_genome
    from dnalm.io import read_fasta
    from dnalm.models.build import load_model
    from dnalm.models.windows import window_size

    (chrom,) = list(read_fasta(GENOME))
    work = Path(tempfile.mkdtemp(prefix="dnalm-scan-speed-"))
    piece = chrom.sequence[: args.loop_bases]
    (work / "piece.fa").write_text(f">piece\n{piece}\n")
    model, tok = load_model(args.model)
    positive, _ = positive_class(model)
    _, window = window_size(model, tok, None)
    t0 = time.time()
    r = scan_genome(args.model, work / "piece.fa", work / "piece.bg", stride=args.stride, strand="plus")
    engine_s = time.time() - t0
    engine = np.array([float(line.split("\t")[3]) for line in (work / "piece.bg").read_text().splitlines()])
    loop, loop_s = per_window_loop(model, tok, piece, window, args.stride, positive)
    same = len(loop) == len(engine) == r.n_windows and bool(np.allclose(loop, engine, atol=1e-4))
    if not same:
        raise RuntimeError("scan and the per-window loop disagree")
    result = {
        "window": window,
        "stride": args.stride,
        "windows": r.n_windows,
        "engine_s": round(engine_s, 2),
        "loop_s": round(loop_s, 2),
        "speedup": round(loop_s / engine_s, 2),
        "same_scores": same,
        "engine_windows_per_s": round(r.n_windows / engine_s, 1),
        "loop_windows_per_s": round(r.n_windows / loop_s, 1),
    }
    result["gflop_per_window"] = _gflop_per_window(model, tok, piece[:window])
    result["engine_gflop_per_s"] = round(result["gflop_per_window"] * r.n_windows / engine_s, 2)
    result["matmul_ceiling_gflop_per_s"] = round(matmul_gflops(), 1)  # this machine, this run (fp32, 2048^3)
    result["fraction_of_ceiling"] = round(result["engine_gflop_per_s"] / result["matmul_ceiling_gflop_per_s"], 3)
    memory = []
    genome = chrom.sequence
    for total in (args.small, 10 * args.small):
        path = work / f"g{total}.fa"
        with open(path, "w") as fh:
            fh.write(">chrom\n")
            left = total
            while left > 0:
                part = genome[: min(left, len(genome))]
                fh.writelines(part[i : i + 80] + "\n" for i in range(0, len(part), 80))
                left -= len(part)
        mb, wall = peak_rss_mb(
            [
                sys.executable,
                "-m",
                "dnalm",
                "-q",
                "scan",
                args.model,
                str(path),
                "-o",
                str(work / f"g{total}.bg"),
                "--strand",
                "plus",
                "--stride",
                str(window),
            ]
        )
        memory.append(
            {
                "bases": total,
                "peak_rss_mb": round(mb, 1),
                "wall_s": round(wall, 1),
                "mb_per_s": round(total / 1e6 / wall, 4),
            }
        )
    result["memory"] = memory
    result["rss_ratio"] = round(memory[1]["peak_rss_mb"] / memory[0]["peak_rss_mb"], 3)
    print(f"{'side':<22}{'windows':>9}{'seconds':>9}{'windows/s':>11}")
    print(f"{'per-window loop':<22}{r.n_windows:>9,}{loop_s:>9.1f}{r.n_windows / loop_s:>11.0f}")
    print(f"{'dnalm scan (engine)':<22}{r.n_windows:>9,}{engine_s:>9.1f}{r.n_windows / engine_s:>11.0f}")
    print(
        f"speedup {result['speedup']:.2f}x (scores identical: {same}); {result['gflop_per_window'] * 1e3:.1f} MFLOP "
        f"per window, the engine at {result['engine_gflop_per_s']:.1f} GFLOP/s, "
        f"{result['fraction_of_ceiling']:.0%} of this CPU's fp32 matmul ceiling "
        f"({result['matmul_ceiling_gflop_per_s']:.0f} GFLOP/s)"
    )
    for m in memory:
        print(
            f"scan of {m['bases']:>11,} bases (stride {window}): peak RSS {m['peak_rss_mb']:.1f} MiB, {m['wall_s']:.0f} s"
        )
    print(f"peak RSS ratio 10x genome: {result['rss_ratio']:.3f}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
