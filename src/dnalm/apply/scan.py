"""``dnalm scan``: a fine-tuned model along whole genomes, to bedGraph (and BED peaks, bigWig).

Windows of the length the model was fine-tuned on (or ``window``) start every ``stride`` bases
along each contig of a FASTA(.gz) file; windows touching an N (or any ambiguity code) are
skipped and counted. Each window's score is the probability of the target class (``target``;
default: :func:`dnalm.apply.target.target_class`), or a regression model's predicted value (named in
each file's track line), averaged
over both strands by default (``strand="plus"``/``"minus"``: one strand). Contigs are read in
blocks of ``BLOCK`` bases (:func:`dnalm.io.read_fasta_blocks`; a window's bases that run past a
block are carried into the next) and windows flow through the streaming prediction engine, so
memory holds one block and a bounded number of windows however long a chromosome is. Every file
is written as the scan goes (a bigWig needs the contig sizes first: with ``bigwig`` the genome is
read once more beforehand, without the model, to take them).

bedGraph intervals may not overlap, so each window's score is written for the ``stride`` bases
at its centre: window ``[s, s + window)`` becomes ``[s + (window - stride) // 2, ... + stride)``
(0-based, half-open; the last window of a contig, flush with its end, gets what its neighbour
leaves); the readable bases in no window's centre (contig ends, beside runs of N) are counted and said.
Peaks merge adjacent intervals whose score reaches ``threshold`` into BED
records carrying their best score.

Under ``torchrun``/``accelerate launch`` the windows are shared out among the processes in chunks of
``CHUNK`` consecutive windows, dealt round-robin across all blocks and contigs (so a genome of many
small contigs spreads as well as one large one); each process scores its chunks on its own device, the
main process gathers a block's scores, puts them back in order and writes every file once. The output
is the one a single process writes (scores equal to float precision; ``tests/test_distributed.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnalm.apply.lengths import ShortInputs
from dnalm.apply.settings import STRANDS
from dnalm.apply.target import positive_class, scored_target, target_class, track_line
from dnalm.apply.tracks import BigWigWriter, PeakWriter, intervals
from dnalm.io import FastaBlock, read_fasta_blocks
from dnalm.io.files import atomic_open, check_output_file, is_stream
from dnalm.io.outputs import Output, claims
from dnalm.io.regions import region_files
from dnalm.io.table import check_named_format
from dnalm.models.ref import ModelRef
from dnalm.runtime.progress import Progress
from dnalm.settings import named

__all__ = ["STRANDS", "ScanResult", "positive_class", "scan_genome", "target_class", "window_positions"]

log = logging.getLogger(__name__)
CHUNK = 2048  # windows a process scores in one go when several processes share a scan
BLOCK = 1 << 20  # bases of a contig read at a time
_LOGGED = 20  # contigs logged one by one; then one line every 30 s


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
    n_unvalued_bases: int = 0  # readable bases in no window's centre: no value in the bedGraph (counted, said)
    score: str = ""  # what each window's score is: P(label), or a regression model's predicted value
    unit: str = "contig"  # what each entry of ``contigs`` is: a contig, or a region (--regions)

    @property
    def short_contigs(self) -> list[str]:
        """Contigs shorter than one window: nothing of them is scored (counted, never dropped silently)."""
        return [c["contig"] for c in self.contigs if c["length"] < self.window]

    def describe(self) -> str:
        """The line ``dnalm scan`` prints."""
        bases = sum(c["length"] for c in self.contigs)
        short = self.short_contigs
        return (
            f"scanned {len(self.contigs)} {self.unit}(s), {bases:,} bases: {self.n_windows:,} windows of {self.window} "
            f"every {self.stride} ({self.n_skipped_windows:,} skipped for N; {self.n_unvalued_bases:,} readable bases "
            "in no window's centre have no value"
            + (f"; {len(short)} {self.unit}(s) shorter than a window not scored: {_shown(short)}" if short else "")
            + f"), {self.score or f'P({self.positive_label})'} on "
            f"{self.strand} strand(s), {self.seconds:.0f} s"
            + (f" ({bases / 1e6 / self.seconds:.3g} Mb/s)" if self.seconds >= 0.5 else "")  # 1e+05 Mb/s of no work
            + "; wrote "
            + ", ".join(self.files.values())
            + (f" ({self.n_peaks} peaks)" if self.n_peaks is not None else "")
        )


def _shown(names: list[str], n: int = 5) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def window_positions(sequence: str, window: int, stride: int) -> tuple[np.ndarray, int]:
    """Starts of the windows of ``sequence`` (every ``stride`` bases, the last flush with the end)
    that hold only A/C/G/T, and how many windows were skipped for touching another code.

    >>> window_positions("ACGTACGTNNACGTACGT", 4, 2)
    (array([ 0,  2,  4, 10, 12, 14]), 2)
    """
    from dnalm.models.windows import window_starts
    from dnalm.settings import check_count

    window, stride = check_count(window, "window"), check_count(stride, "stride")  # 32.0 failed in window_starts
    if len(sequence) < window:
        return np.array([], dtype=np.int64), 0
    starts = np.asarray(window_starts(len(sequence), window, stride), dtype=np.int64)
    bad = np.frombuffer(sequence.encode("ascii"), dtype=np.uint8)
    bad = ~np.isin(bad, np.frombuffer(b"ACGT", dtype=np.uint8))
    before = np.concatenate([[0], np.cumsum(bad)])  # ambiguous bases before each position
    clean = before[starts + window] - before[starts] == 0
    return starts[clean], int((~clean).sum())


def _checked_outputs(output, peaks, bigwig):
    """The bedGraph, peaks and bigWig paths, checked before any work: writable, and a bedGraph not named as another
    format (``-o s.bw`` wrote bedGraph text under a bigWig's name)."""
    output = check_output_file(output)
    if not is_stream(output):
        check_named_format(
            output, "scores", "a bedGraph (text; .bedGraph, .bed, or either .gz)", (".bedgraph", ".bed"),
            " (a bigWig is written with --bigwig FILE.bw)",
        )  # fmt: skip
    peaks = check_output_file(peaks) if peaks else None
    if peaks is not None and not is_stream(peaks):  # --peaks pk.bw wrote BED text
        check_named_format(peaks, "peaks", "BED (.bed, or .bed.gz)", (".bed",))
    if bigwig:
        bigwig = check_output_file(bigwig)
        check_named_format(bigwig, "the bigWig track", "a bigWig (binary; .bw, .bigWig)", (".bw", ".bigwig"))
        try:
            import pyBigWig  # noqa: F401
        except ImportError:
            raise ImportError("bigWig output needs pyBigWig: pip install pyBigWig") from None
    return output, peaks, bigwig


@claims(
    "scan",
    lambda a: {
        "inputs": [a["model_path"], a["genome"], *region_files(a["regions"])],
        "outputs": [Output(a[k]) for k in ("output", "peaks", "bigwig") if a[k] is not None],
    },
    resolve=("output", "peaks", "bigwig"),
)
def scan_genome(
    model_path: str | ModelRef,
    genome: str | Path,
    output: str | Path,
    *,
    window: int | None = None,
    stride: int | None = None,
    strand: str = "both",
    peaks: str | Path | None = None,
    threshold: float | None = None,
    bigwig: str | Path | None = None,
    batch_size: int = 256,
    trust_remote_code: bool = False,
    block: int = BLOCK,
    regions: list[str] | None = None,
    target: str | None = None,
    overwrite: bool = False,
) -> ScanResult:
    """Score every clean window of every contig of ``genome`` (or only of ``regions``: BED files and
    ``chr:start-end``, read from the indexed genome); write the bedGraph ``output`` (genome coordinates),
    and the merged ``peaks`` (BED) and ``bigwig`` when asked. Output paths are checked first; two records
    of one name are refused (their intervals would overlap). The score is P(``target``) (default:
    :func:`target_class`), or a regression model's value, named in each file's track line; ``threshold``
    (peaks) defaults to 0.5 for a probability and must be given for a value."""
    from dnalm.apply.settings import ScanSettings
    from dnalm.settings import checked

    s = checked(ScanSettings, **locals())  # strand, threshold, window, stride, batch size; 50.0 is 50 from here on
    window, stride, threshold, batch_size, target = s.window, s.stride, s.threshold, s.batch_size, s.target
    from dnalm.runtime import distributed
    from dnalm.settings import check_count

    block = check_count(block, "block")  # "1M" failed comparing text with a number

    output, peaks, bigwig = _checked_outputs(output, peaks, bigwig)
    genome = Path(genome)
    if genome.is_dir():
        raise ValueError(f"{genome} is a folder; give the genome FASTA file")
    if not genome.exists():  # a pipe or FIFO is read (once, into a temporary file)
        raise FileNotFoundError(f"{genome}: no such genome FASTA")
    indexed, chosen = _regions(genome, regions)
    distributed.start()
    ref = ModelRef.resolve(model_path, trust_remote_code)
    scan = _Scan(ref, target, window, stride, strand, batch_size)
    scan.unit = "contig" if indexed is None else "region"
    threshold = scan.threshold(threshold, peaks is not None)
    t0 = time.time()
    if indexed is not None:
        groups = _region_groups(indexed, chosen, scan.window, scan.stride)
        sizes = list(indexed.lengths.items()) if bigwig else None
    else:
        blocks = _unique_contigs(read_fasta_blocks(genome, block), genome)
        groups = ((g.contig, 0, g) for g in _window_groups(blocks, scan.window, scan.stride))
        sizes = _contig_sizes(genome, block) if bigwig and scan.main else None  # a bigWig's header comes first
    with ExitStack() as stack:  # only the main process writes
        fh = stack.enter_context(atomic_open(output)) if scan.main else None
        peak_fh = stack.enter_context(atomic_open(peaks)) if scan.main and peaks is not None else None
        bw = stack.enter_context(BigWigWriter(bigwig, sizes)) if sizes is not None and scan.main else None
        for handle, kind, what in ((fh, "bedGraph", ""), (peak_fh, "", f" peaks at or above {threshold}")):
            if handle is not None:
                handle.write(track_line(kind, scan.target.name, f"dnalm scan {ref.name}{what}"))
        peak = PeakWriter(peak_fh, threshold, scan.target.probability)
        scan.bar = stack.enter_context(Progress("scan", unit="bp", log_every=None))  # the loop logs its own lines
        for chrom, shift, group in groups:
            scan.add(chrom, shift, group, fh, peak, bw)
        n_peaks = peak.close()
    if not scan.contigs:
        raise ValueError(f"{genome}: no contig to scan")
    files = {
        "bedgraph": str(output),
        **({"peaks": str(peaks)} if peaks else {}),
        **({"bigwig": str(bigwig)} if bigwig else {}),
    }
    return scan.result(time.time() - t0, None if peaks is None else n_peaks, files)


def _regions(genome: Path, regions: list[str] | None):
    """The indexed genome and the checked regions sorted by contig (in the genome's order) and start,
    overlapping ones merged (bedGraph intervals may not overlap; said); (None, None) without regions."""
    if not regions:
        return None, None
    from dnalm.io.regions import IndexedGenome, Region, parse_regions

    indexed = IndexedGenome(genome)
    chosen = parse_regions(regions)
    indexed.check(chosen)
    if stranded := sum(r.strand == "-" for r in chosen):  # a bedGraph is on genome coordinates: --strand decides
        log.warning(
            "%d region(s) are on the - strand (BED column 6): scan scores the strands --strand names in every region "
            "(both by default); predict --regions scores each region on its own strand",
            stranded,
        )
    order = {name: i for i, name in enumerate(indexed.lengths)}
    merged: list[Region] = []
    for r in sorted(chosen, key=lambda r: (order[r.contig], r.start, r.end)):
        last = merged[-1] if merged else None
        if last and last.contig == r.contig and r.start < last.end:
            end = max(last.end, r.end)
            merged[-1] = Region(r.contig, last.start, end, f"{r.contig}:{last.start + 1}-{end}")
        else:
            merged.append(r)
    if len(merged) < len(chosen):
        log.warning("%d regions given, overlapping ones merged: %d scanned", len(chosen), len(merged))
    return indexed, merged


def _region_groups(indexed, regions, window: int, stride: int) -> Iterator[tuple[str, int, _Group]]:
    """(contig, shift, windows of one region with positions relative to its start) for each region."""
    for r in regions:
        block = FastaBlock(r.name, 0, indexed.fetch(r), True)
        for group in _window_groups([block], window, stride):
            yield r.contig, r.start, group


def _unique_contigs(blocks: Iterable[FastaBlock], genome: Path) -> Iterator[FastaBlock]:
    """The blocks; a record name that comes twice is refused, naming both header lines (its intervals would
    overlap those of the first, unsorted)."""
    seen: dict[str, int | None] = {}
    for b in blocks:
        if b.start == 0:  # a record's first block
            if b.id in seen:
                raise ValueError(
                    f"{genome}:{b.line}: record {b.id!r} comes twice (first at line {seen[b.id]}); its scores "
                    "would overlap those of the first in the bedGraph: make the record names unique"
                )
            seen[b.id] = b.line
        yield b


class _Scan:
    """The model, the scan's settings and its running counts; scores each group (shared among the processes
    of a distributed run) and writes it (main process)."""

    def __init__(self, ref: ModelRef, target: str | None, window, stride, strand: str, batch_size: int):
        from dnalm.models.build import load_model
        from dnalm.models.windows import check_window, window_size
        from dnalm.runtime import distributed

        self.processes, self.me, self.main = distributed.world_size(), distributed.rank(), distributed.is_main()
        self.model, self.tok = load_model(ref)
        self.target = scored_target(self.model, target)
        self.positive, self.label = self.target.index, self.target.label
        _, largest = window_size(self.model, self.tok, None)
        self.window = check_window(window, self.tok, largest, ref.name)
        ShortInputs(self.model, self.tok).warn_window(self.window)
        self.stride = stride or max(self.window // 2, 1)
        if not 0 < self.stride <= self.window:
            raise ValueError(f"{named('stride')} must be between 1 and the window ({self.window}); got {self.stride}")
        self.strand, self.batch_size = strand, batch_size
        self.offset = (self.window - self.stride) // 2
        self.t0 = self.last_log = time.time()
        self.contigs: list[dict] = []
        self.finished = 0  # bases of the contigs already scanned
        self.chunks_before = 0  # chunks of earlier blocks: the round-robin deal goes on across blocks and contigs
        self.after = 0  # where the last interval written on this contig ends
        self.stats = {"length": 0, "windows": 0, "skipped_windows": 0, "ambiguous_bases": 0, "valued_bases": 0}
        self.bar = None  # a progress bar over the bases, while the files are open
        self.unit = "contig"  # what each scanned group is: a contig, or a region (--regions)

    def threshold(self, threshold: float | None, peaks: bool) -> float | None:
        """The peaks' threshold: 0.5 by default for a probability (which it must lie within), the user's for a
        regression model's value (which has no default)."""
        if not peaks:
            return threshold
        if threshold is None and self.target.probability:
            return 0.5
        if threshold is None:
            raise ValueError(
                f"--peaks on {self.target.name}: a regression model's value has no default peak threshold; "
                "give --threshold in the model's units"
            )
        if self.target.probability and not 0 <= threshold <= 1:
            raise ValueError(
                f"threshold (--threshold) is on {self.target.name}: it must be between 0 and 1; got {threshold}"
            )
        return threshold

    def _score(self, seq: str, starts: np.ndarray) -> np.ndarray:
        from dnalm.apply.predict import iter_scores
        from dnalm.io.sequence import reverse_complement
        from dnalm.runtime import distributed

        if not len(starts):
            return np.zeros(0)
        w, minus = self.window, self.strand == "minus"
        pieces = (reverse_complement(seq[s : s + w]) if minus else seq[s : s + w] for s in starts)
        results = iter_scores(
            self.model,
            self.tok,
            pieces,
            batch_size=self.batch_size,
            reverse_complement_average=self.strand == "both",
            max_tokens=None,
            device=distributed.device(),
        )
        return np.fromiter((s[self.positive] for s, _ in results), dtype=np.float64, count=len(starts))

    def _scores(self, group: _Group) -> np.ndarray | None:
        """The group's window scores (None on processes other than the main one)."""
        from dnalm.runtime import distributed

        rel = group.starts - group.offset
        if self.processes == 1:
            return self._score(group.sequence, rel)
        owners = (self.chunks_before + np.arange(len(rel)) // CHUNK) % self.processes
        self.chunks_before += -(-len(rel) // CHUNK)
        parts = distributed.gather(self._score(group.sequence, rel[owners == self.me]))
        scores = np.empty(len(rel)) if self.main else None
        for owner, part in enumerate(parts or []):
            scores[owners == owner] = part
        return scores

    def add(self, chrom: str, shift: int, group: _Group, fh, peak: PeakWriter, bw) -> None:
        """Score one group and write its intervals (at ``shift`` + their position) to every file."""
        scores = self._scores(group)
        if scores is not None:  # the main process writes
            lo, hi, scores = intervals(group.starts + self.offset, self.stride, scores, self.after)
            if len(hi):
                self.after = int(hi[-1])
            self.stats["valued_bases"] += int((hi - lo).sum())
            lo, hi = lo + shift, hi + shift
            fh.writelines(
                f"{chrom}\t{a}\t{b}\t{score:.5g}\n" for a, b, score in zip(lo.tolist(), hi.tolist(), scores.tolist())
            )
            peak.add(chrom, lo, hi, scores)
            if bw is not None and len(lo):
                bw.addEntries([chrom] * len(lo), lo.tolist(), ends=hi.tolist(), values=scores.tolist())
        self.stats["windows"] += len(group.starts)
        self.stats["skipped_windows"] += group.skipped
        self.stats["ambiguous_bases"] += group.ambiguous
        self.stats["length"] = group.end
        self._progress(group)

    def _progress(self, group: _Group) -> None:
        done = self.finished + group.end  # bases read so far
        if self.bar is not None:
            self.bar.update_to(done)
        rate = done / 1e6 / max(time.time() - self.t0, 1e-9)
        if group.last:
            self.contigs.append({"contig": group.contig, **self.stats})
            self.finished += group.end
            if len(self.contigs) <= _LOGGED or time.time() - self.last_log > 30:  # 20,000 contigs: not 20,000 lines
                log.info(
                    "scanned %s (%s bases, %d windows, %d skipped for N): %.2f Mb/s so far%s",
                    group.contig,
                    f"{group.end:,}",
                    self.stats["windows"],
                    self.stats["skipped_windows"],
                    rate,
                    f"; the next {self.unit}s are logged every 30 s" if len(self.contigs) == _LOGGED else "",
                )
                self.last_log = time.time()
            self.stats = dict.fromkeys(self.stats, 0)
            self.after = 0
        elif time.time() - self.last_log > 30:
            log.info("scanning %s: %s bases so far, %.2f Mb/s", group.contig, f"{group.end:,}", rate)
            self.last_log = time.time()

    def result(self, seconds: float, n_peaks: int | None, files: dict) -> ScanResult:
        total = {k: sum(c[k] for c in self.contigs) for k in ("windows", "skipped_windows", "ambiguous_bases")}
        unvalued = sum(c["length"] - c["ambiguous_bases"] - c["valued_bases"] for c in self.contigs)
        if unvalued:
            log.warning(
                "%d readable bases have no value in the bedGraph: they lie in no window's central %d bases (the "
                "first and last %d bases of each %s, and those beside runs of N)",
                unvalued,
                self.stride,
                (self.window - self.stride) // 2,
                self.unit,
            )
        short = [c["contig"] for c in self.contigs if c["length"] < self.window]
        if short:
            log.warning(
                "%d %s(s) shorter than the %d-base window have no window and no score: %s",
                len(short),
                self.unit,
                self.window,
                _shown(short),
            )
        if total["skipped_windows"]:
            log.warning(
                "%d windows touching N or other ambiguity codes were skipped (%d such bases in the genome)",
                total["skipped_windows"],
                total["ambiguous_bases"],
            )
        log.info(
            "scan: %d windows of %d bases every %d on %s strand(s) in %.0f s (%.2f Mb/s)",
            total["windows"],
            self.window,
            self.stride,
            self.strand,
            seconds,
            sum(c["length"] for c in self.contigs) / 1e6 / max(seconds, 1e-9),
        )
        return ScanResult(
            self.contigs,
            self.window,
            self.stride,
            self.strand,
            self.label,
            total["windows"],
            total["skipped_windows"],
            total["ambiguous_bases"],
            n_peaks,
            round(seconds, 2),
            files,
            unvalued,
            self.target.name,
            self.unit,
        )


@dataclass
class _Group:
    """The windows of one block of a contig: ``starts`` (contig positions, only clean windows) index
    ``sequence``, which holds the contig's bases from ``offset``; ``end``: bases of the contig read so far."""

    contig: str
    sequence: str
    offset: int
    starts: np.ndarray
    skipped: int
    ambiguous: int
    end: int
    last: bool


def _window_groups(blocks: Iterable[FastaBlock], window: int, stride: int) -> Iterator[_Group]:
    """The windows :func:`window_positions` finds on each whole contig, found block by block: only the
    bases from the next window's start on are carried into the next block, so memory is one block.

    >>> from dnalm.io import FastaBlock
    >>> seq = "ACGTACGTNNACGTACGTA"
    >>> blocks = [FastaBlock("c", i, seq[i : i + 5], i + 5 >= len(seq)) for i in range(0, len(seq), 5)]
    >>> [int(s) for g in _window_groups(blocks, 4, 2) for s in g.starts] == window_positions(seq, 4, 2)[0].tolist()
    True
    """
    acgt = np.frombuffer(b"ACGT", dtype=np.uint8)
    carried, offset, next_start = "", 0, 0
    for block in blocks:
        if block.start == 0:
            carried, offset, next_start = "", 0, 0
        seq = carried + block.sequence
        end = offset + len(seq)
        starts = np.arange(next_start, end - window + 1, stride, dtype=np.int64)
        if len(starts):
            next_start = int(starts[-1]) + stride
        if block.last and end > window and (end - window) % stride:  # the last window, flush with the end
            starts = np.append(starts, end - window)
        bad = ~np.isin(np.frombuffer(seq.encode("ascii"), dtype=np.uint8), acgt)
        before = np.concatenate([[0], np.cumsum(bad, dtype=np.int64)])  # ambiguous bases before each position
        rel = starts - offset
        clean = before[rel + window] - before[rel] == 0
        new = block.sequence
        yield _Group(
            block.id,
            seq,
            offset,
            starts[clean],
            int((~clean).sum()),
            len(new) - sum(map(new.count, "ACGT")),
            end,
            block.last,
        )
        keep = max(min(next_start, end - window), offset) - offset  # a last window may start before next_start
        carried, offset = seq[keep:], offset + keep


def _contig_sizes(genome: Path, block: int) -> list[tuple[str, int]]:
    sizes: list[tuple[str, int]] = []
    for b in read_fasta_blocks(genome, block):
        if b.last:
            sizes.append((b.id, b.start + len(b.sequence)))
    return sizes
