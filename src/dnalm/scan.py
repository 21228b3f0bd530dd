"""``dnalm scan``: a fine-tuned classifier along whole genomes, to bedGraph (and BED peaks, bigWig).

Windows of the length the model was fine-tuned on (or ``window``) start every ``stride`` bases
along each contig of a FASTA(.gz) file; windows touching an N (or any ambiguity code) are
skipped and counted. Each window's score is the probability of the positive class, averaged
over both strands by default (``strand="plus"``/``"minus"``: one strand). Windows flow through
the streaming prediction engine, so memory holds one contig and a bounded number of windows.

bedGraph intervals may not overlap, so each window's score is written for the ``stride`` bases
at its centre: window ``[s, s + window)`` becomes ``[s + (window - stride) // 2, ... + stride)``
(0-based, half-open; the last window of a contig, flush with its end, gets what its neighbour
leaves). Peaks merge adjacent intervals whose score reaches ``threshold`` into BED
records carrying their best score.

Under ``torchrun``/``accelerate launch`` the windows are shared out among the processes in chunks of
``CHUNK`` consecutive windows, dealt round-robin across all contigs (so a genome of many small contigs
spreads as well as one large one); each process scores its chunks on its own device, the main
process gathers a contig's scores, puts them back in order and writes every file once. The output
is the one a single process writes (scores equal to float precision; ``tests/test_distributed.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnalm.files import atomic_open, check_output_file

__all__ = ["ScanResult", "positive_class", "scan_genome", "window_positions"]

log = logging.getLogger(__name__)
STRANDS = ("both", "plus", "minus")
CHUNK = 2048  # windows a process scores in one go when several processes share a scan


@dataclass
class ScanResult:
    """What a scan did: counts per contig and in all, and the files written."""

    contigs: list[dict]
    window: int
    stride: int
    strand: str
    positive_label: str
    n_windows: int
    n_skipped_windows: int
    n_ambiguous_bases: int
    n_peaks: int | None
    seconds: float
    files: dict


def window_positions(sequence: str, window: int, stride: int) -> tuple[np.ndarray, int]:
    """Starts of the windows of ``sequence`` (every ``stride`` bases, the last flush with the end)
    that hold only A/C/G/T, and how many windows were skipped for touching another code.

    >>> window_positions("ACGTACGTNNACGTACGT", 4, 2)
    (array([ 0,  2,  4, 10, 12, 14]), 2)
    """
    from dnalm.predict import window_starts

    if len(sequence) < window:
        return np.array([], dtype=np.int64), 0
    starts = np.asarray(window_starts(len(sequence), window, stride), dtype=np.int64)
    bad = np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)
    bad = ~np.isin(bad, np.frombuffer(b"ACGT", dtype=np.uint8))
    before = np.concatenate([[0], np.cumsum(bad)])  # ambiguous bases before each position
    clean = before[starts + window] - before[starts] == 0
    return starts[clean], int((~clean).sum())


def positive_class(model) -> tuple[int, str]:
    from dnalm.tasks import task_of

    names = [str(model.config.id2label[i]) for i in range(model.config.num_labels)]
    task = task_of(model)
    if not task.exclusive or task.per_base or len(names) != 2:
        raise ValueError(
            f"scan scores one positive class: it needs a two-class classifier; this model has "
            f"{len(names)} labels ({task.name})"
        )
    for i, name in enumerate(names):
        if name.lower() in ("1", "true", "positive", "pos", "yes"):
            return i, name
    return 1, names[1]


def scan_genome(
    model_path: str,
    genome: str | Path,
    output: str | Path,
    *,
    window: int | None = None,
    stride: int | None = None,
    strand: str = "both",
    peaks: str | Path | None = None,
    threshold: float = 0.5,
    bigwig: str | Path | None = None,
    batch_size: int = 256,
    trust_remote_code: bool = False,
) -> ScanResult:
    """Score every clean window of every contig of ``genome``; write the bedGraph ``output``,
    and the merged ``peaks`` (BED) and ``bigwig`` when asked. Output paths are checked first."""
    from dnalm import distributed
    from dnalm.io import read_fasta
    from dnalm.models import load_model
    from dnalm.predict import iter_scores, window_size
    from dnalm.sequence import reverse_complement

    if strand not in STRANDS:
        raise ValueError(f"strand must be one of {STRANDS}; got {strand!r}")
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold is a probability in [0, 1]; got {threshold}")
    output = check_output_file(output)
    peaks = check_output_file(peaks) if peaks else None
    if bigwig:
        bigwig = check_output_file(bigwig)
        try:
            import pyBigWig  # noqa: F401
        except ImportError:
            raise ImportError("bigWig output needs pyBigWig: pip install pyBigWig") from None
    genome = Path(genome)
    if not genome.is_file():
        raise FileNotFoundError(f"{genome}: no such genome FASTA")
    distributed.start()
    processes, me, main = distributed.world_size(), distributed.rank(), distributed.is_main()
    model, tok = load_model(model_path, trust_remote_code=trust_remote_code)
    positive, label = positive_class(model)
    _, largest = window_size(model, tok, None)
    window = window or largest
    if window > largest:
        raise ValueError(
            f"window {window} bases is longer than the model takes ({largest} bases for "
            f"{model_path}); use --window {largest} or less"
        )
    stride = stride or max(window // 2, 1)
    if not 0 < stride <= window:
        raise ValueError(f"stride must be between 1 and the window ({window}); got {stride}")
    offset = (window - stride) // 2
    t0, contigs, total_windows, total_skipped, total_ambiguous = time.time(), [], 0, 0, 0
    sizes: list[tuple[str, int]] = []
    intervals_peaks: list[tuple[str, int, int, float]] = []
    bw_rows: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []

    def windows(seq: str, starts: np.ndarray) -> Iterator[str]:
        for s in starts:
            piece = seq[s : s + window]
            yield reverse_complement(piece) if strand == "minus" else piece

    def score_windows(seq: str, starts: np.ndarray) -> np.ndarray:
        if not len(starts):
            return np.zeros(0)
        results = iter_scores(
            model,
            tok,
            windows(seq, starts),
            batch_size=batch_size,
            reverse_complement_average=strand == "both",
            max_tokens=None,
            device=distributed.device(),
        )
        return np.fromiter((s[positive] for s, _ in results), dtype=np.float64, count=len(starts))

    chunks_before = 0  # chunks of earlier contigs: the round-robin deal goes on across contigs
    with atomic_open(output) if main else nullcontext() as fh:  # only the main process writes
        for rec in read_fasta(genome):
            seq = rec.sequence
            starts, skipped = window_positions(seq, window, stride)
            ambiguous = len(seq) - sum(map(seq.count, "ACGT"))
            if processes == 1:
                scores = score_windows(seq, starts)
            else:
                owners = (chunks_before + np.arange(len(starts)) // CHUNK) % processes
                chunks_before += -(-len(starts) // CHUNK)
                mine = score_windows(seq, starts[owners == me])
                parts = distributed.gather(mine)
                scores = np.empty(len(starts)) if main else None
                for owner, part in enumerate(parts or []):
                    scores[owners == owner] = part
            if scores is not None:  # the main process writes
                lo, hi, scores = _intervals(starts + offset, stride, scores)
                for a, b, score in zip(lo.tolist(), hi.tolist(), scores.tolist()):
                    fh.write(f"{rec.id}\t{a}\t{b}\t{score:.5g}\n")
                if peaks is not None:
                    intervals_peaks += _merge_peaks(rec.id, lo, hi, scores, threshold)
                if bigwig:
                    bw_rows.append((rec.id, lo, hi, scores))
            sizes.append((rec.id, len(seq)))
            contigs.append(
                {
                    "contig": rec.id,
                    "length": len(seq),
                    "windows": len(starts),
                    "skipped_windows": skipped,
                    "ambiguous_bases": ambiguous,
                }
            )
            total_windows, total_skipped, total_ambiguous = (
                total_windows + len(starts),
                total_skipped + skipped,
                total_ambiguous + ambiguous,
            )
            done = sum(c["length"] for c in contigs)
            log.info(
                "scanned %s (%s bases, %d windows, %d skipped for N): %.2f Mb/s so far",
                rec.id,
                f"{len(seq):,}",
                len(starts),
                skipped,
                done / 1e6 / max(time.time() - t0, 1e-9),
            )
    if not contigs:
        raise ValueError(f"{genome}: no contig to scan")
    if total_skipped:
        log.warning(
            "%d windows touching N or other ambiguity codes were skipped (%d such bases in the genome)",
            total_skipped,
            total_ambiguous,
        )
    files = {"bedgraph": str(output)}
    if peaks is not None:
        with atomic_open(peaks) if main else nullcontext() as fh:
            for n, (chrom, start, end, best) in enumerate(intervals_peaks, start=1):
                fh.write(f"{chrom}\t{start}\t{end}\tpeak{n}\t{round(1000 * best)}\t.\t{best:.5g}\n")
        files["peaks"] = str(peaks)
    if bigwig:
        if main:
            _write_bigwig(bigwig, sizes, bw_rows)
        files["bigwig"] = str(bigwig)
    seconds = time.time() - t0
    log.info(
        "scan: %d windows of %d bases every %d on %s strand(s) in %.0f s (%.2f Mb/s)",
        total_windows,
        window,
        stride,
        strand,
        seconds,
        sum(c["length"] for c in contigs) / 1e6 / max(seconds, 1e-9),
    )
    return ScanResult(
        contigs,
        window,
        stride,
        strand,
        label,
        total_windows,
        total_skipped,
        total_ambiguous,
        None if peaks is None else len(intervals_peaks),
        round(seconds, 2),
        files,
    )


def _intervals(lo: np.ndarray, width: int, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-overlapping ``[lo, hi)`` intervals: each starts where the one before ended at the latest.

    >>> [x.tolist() for x in _intervals(np.array([0, 10, 14]), 10, np.array([.1, .2, .3]))]
    [[0, 10, 20], [10, 20, 24], [0.1, 0.2, 0.3]]
    """
    hi = lo + width
    lo = lo.copy()
    lo[1:] = np.maximum(lo[1:], hi[:-1])
    keep = lo < hi
    return lo[keep], hi[keep], scores[keep]


def _merge_peaks(
    chrom: str, lo: np.ndarray, hi: np.ndarray, scores: np.ndarray, threshold: float
) -> list[tuple[str, int, int, float]]:
    """Touching intervals at or above ``threshold`` merged, with their best score."""
    out: list[tuple[str, int, int, float]] = []
    for a, b, score in zip(lo.tolist(), hi.tolist(), scores.tolist()):
        if score < threshold:
            continue
        if out and out[-1][2] >= a:
            out[-1] = (chrom, out[-1][1], b, max(out[-1][3], score))
        else:
            out.append((chrom, a, b, score))
    return out


def _write_bigwig(path: Path, sizes: list[tuple[str, int]], rows: list) -> None:
    import pyBigWig

    tmp = path.with_name(f".{path.name}.partial")
    bw = pyBigWig.open(str(tmp), "w")
    try:
        bw.addHeader(sizes)
        for chrom, lo, hi, scores in rows:
            if len(lo):
                bw.addEntries([chrom] * len(lo), lo.tolist(), ends=hi.tolist(), values=scores.tolist())
    finally:
        bw.close()
    tmp.replace(path)
