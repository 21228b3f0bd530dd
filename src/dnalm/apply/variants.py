"""``dnalm variants``: how much a fine-tuned model's score moves with each variant of a VCF.

Given a pretrained masked language model instead (a folder with a masked-LM head, such as the shipped
``dnalm-mini``), each substitution (SNV, or MNV: ``REF`` and ``ALT`` of one length) is scored zero-shot:
the variant's bases are masked together in the reference window and ``score`` is the sum over them of
log P(base) (the masked-marginal score of protein language models), so ``delta = log P(alt) - log P(ref)``;
an indel has no such reading (its window changes length) and gets a status saying so.

For each SNV and short indel, a window of the length the model was fine-tuned on (or ``window``)
is centred on the variant in the reference genome; the alternate window is the same stretch with
the allele replaced (an indel's window is refilled to full length from the right). Both are
scored by the streaming prediction engine, both strands averaged by default, as the log-odds
of the target class (``target``; default: :func:`dnalm.apply.target.target_class`; the TSV's first line,
``# ...``, and the VCF header say which), or a regression model's predicted value:
``delta = score_alt - score_ref`` (negative: the variant weakens the predicted element, or lowers the value). Every record gets a row: ``status`` is ``ok`` or why it was not scored
(a contig missing from the genome, a reference allele that disagrees with it, a symbolic or
non-nucleotide allele, an indel as long as the window); those are also counted and logged,
never dropped. Multi-allelic records get one row per alternate allele. VCF and VCF.gz are read
with cyvcf2 (``pip install 'dnalm[genomics]'``).
"""

from __future__ import annotations

import contextlib
import csv
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from dnalm.apply.lengths import ShortInputs
from dnalm.io.base import named_as_given
from dnalm.io.files import atomic_open, check_output_file, is_stream
from dnalm.io.outputs import Output, claims
from dnalm.io.table import check_named_format
from dnalm.models.ref import ModelRef
from dnalm.runtime.progress import track
from dnalm.tokenizers.capabilities import capabilities

__all__ = ["describe", "score_variants", "variant_windows"]

log = logging.getLogger(__name__)
_ALLELE = re.compile(r"[ACGTN]+")
COLUMNS = ["chrom", "pos", "id", "ref", "alt", "score_ref", "score_alt", "delta", "status"]


def variant_windows(contig: str, pos: int, ref: str, alt: str, window: int) -> tuple[str, str]:
    """Reference and alternate windows of ``window`` bases centred on a variant at 1-based ``pos``.

    >>> variant_windows("AAAACCCCGGGGTTTT", 8, "C", "T", 6)   # the variant is base 3 of the window
    ('CCCGGG', 'CCTGGG')
    >>> variant_windows("AAAACCCCGGGGTTTT", 8, "C", "CAA", 6)   # an insertion: cut back to 6 bases
    ('CCCGGG', 'CCCAAG')
    >>> variant_windows("AAAACCCCGGGGTTTT", 16, "T", "TCA", 6)  # at the contig's end: the window keeps the insertion
    ('GGTTTT', 'TTTTCA')

    The alternate window starts where the reference one does, unless the inserted bases would fall outside it
    (an insertion near the contig's end, where the reference window cannot move right): it then ends on the
    allele's last base; where the contig ends first (a deletion), it is filled from the left.
    """
    start = _window_start(len(contig), pos, len(ref), window)
    ref_window = contig[start : start + window]
    alt_contig = contig[: pos - 1] + alt + contig[pos - 1 + len(ref) :]
    alt_start = max(start, pos - 1 + len(alt) - window)  # the whole allele inside the window
    alt_start = max(0, min(alt_start, len(alt_contig) - window))  # a full window where the contig has one
    return ref_window, alt_contig[alt_start : alt_start + window]


def _too_long_indel(ref: str, alt: str, window: int) -> str:
    """Why an indel is not scored: its longer allele does not fit the window (it said "indel of 5 bases" of a
    deletion of 4, naming the allele's length as the indel's).

    >>> _too_long_indel("ACGTA", "A", 5)
    'deletion of 4 bases, whose REF allele of 5 bases is as long as the 5-base window or longer'
    """
    kind, longer = ("deletion", "REF") if len(ref) > len(alt) else ("insertion", "ALT")
    size = abs(len(ref) - len(alt))
    return (
        f"{kind} of {size} base{'s' * (size != 1)}, whose {longer} allele of {max(len(ref), len(alt))} bases is as "
        f"long as the {window}-base window or longer"
    )


def _window_start(contig_length: int, pos: int, ref_length: int, window: int) -> int:
    """0-based start of the window centred on the ``ref_length`` bases at 1-based ``pos`` (kept in the contig)."""
    start = max(0, pos - 1 - (window - ref_length) // 2)
    return min(start, max(0, contig_length - window))


def _cyvcf2():
    """The cyvcf2 module, imported without the change its import makes: ``np.seterr(invalid="ignore")`` for the whole
    process (the caller's 0/0 went silent after score_variants)."""
    import numpy as np

    errors = np.geterr()
    try:
        import cyvcf2
        import cyvcf2.cyvcf2
    except ImportError:
        raise ImportError("reading VCF needs cyvcf2: pip install 'dnalm[genomics]' (or pip install cyvcf2)") from None
    finally:
        np.seterr(**errors)
    return cyvcf2


def _reader(vcf: Path):
    VCF = _cyvcf2().VCF
    check_records(vcf)  # first: htslib's own errors on a bad header or record are raw text
    try:
        reader = VCF(str(vcf))
    except OSError as err:
        raise ValueError(f"{vcf}: not a readable VCF ({err})") from None
    except Exception as err:  # cyvcf2's bare Exception: a header htslib cannot parse
        raise ValueError(f"{vcf}: not a readable VCF header ({err})") from None
    return reader


@contextlib.contextmanager
def _quiet_htslib():
    """htslib's warnings off (errors stay) while dnalm reads: on every minimal VCF it printed a raw ``[W::vcf_parse]``
    line per contig, FILTER or INFO the header does not declare; the contigs are checked against the genome and
    counted here. Then back to the level cyvcf2 starts with (``CYVCF2_HTSLIB_LOG_LEVEL``, else htslib's warnings):
    the level is the whole process's, and later cyvcf2 use by the caller warned no more."""
    module = _cyvcf2().cyvcf2
    if not hasattr(module, "set_htslib_log_level"):  # an older cyvcf2
        yield
        return
    module.set_htslib_log_level(1)  # HTS_LOG_ERROR
    try:
        yield
    finally:
        module._init_logging_from_env()


def _numbered(reader, vcf: Path) -> Iterator:
    """The reader's records; one it cannot parse is an error naming the file, line and record number
    (htslib prints what it could not parse just before)."""
    n = 0
    records = iter(reader)
    while True:
        try:
            variant = next(records)
        except StopIteration:
            return
        except Exception as err:  # cyvcf2 raises a bare Exception for a record htslib cannot parse
            line = _header_lines(vcf) + n + 1
            raise ValueError(f"{vcf}:{line}: VCF record {n + 1} could not be read ({err})") from None
        n += 1
        yield variant


def _text_lines(vcf: Path):
    """The lines of a VCF or VCF.gz (bgzip is gzip to Python), as text."""
    import gzip

    with open(vcf, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return (gzip.open if gz else open)(vcf, "rt", encoding="utf-8", errors="replace")


def _header_lines(vcf: Path) -> int:
    """Lines before the first record of a VCF or VCF.gz."""
    count = 0
    with _text_lines(vcf) as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            count += 1
    return count


def check_records(vcf: Path) -> None:
    """Refuse, naming the file, line and record, a record whose fixed columns htslib cannot parse: fewer than
    eight tab-separated columns, a position that is not a whole number of at least 1, or no reference allele.
    htslib reports those on stderr and, for a contig the header does not declare, hands back a record whose
    fields crash the process (a segmentation fault) when read; so they are checked here, before it reads them."""
    try:
        _check_lines(vcf)
    except (EOFError, OSError) as err:  # gzip's own errors (truncated, corrupt) are OSError or EOFError
        raise ValueError(f"{vcf}: truncated or corrupt compressed data ({err}); is the file complete?") from None


def _check_lines(vcf: Path) -> None:
    n, columns, line_no = 0, None, 0
    with _text_lines(vcf) as fh:
        for line_no, line in enumerate(fh, start=1):
            if line_no == 1 and line.startswith("\ufeff"):  # htslib reads it as part of the first line
                raise ValueError(
                    f"{vcf}:1: the file starts with a UTF-8 byte-order mark, which htslib cannot read; remove it "
                    "(e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)"
                )
            if line_no == 1 and not line.startswith("##fileformat="):  # htslib: "not valid bcf or vcf (format: 2)"
                raise ValueError(
                    f"{vcf}:1: a VCF starts with its ##fileformat line (e.g. ##fileformat=VCFv4.2); this one starts "
                    f"with {line.rstrip()[:40]!r}: add it (e.g. sed -i '1i ##fileformat=VCFv4.2' FILE)"
                )
            if line.startswith("#CHROM"):  # htslib's own error for a bad one is raw text and an exit of 1
                columns = line.rstrip("\r\n").split("\t")
                if len(columns) < 8:
                    raise ValueError(
                        f"{vcf}:{line_no}: the #CHROM header line needs 8 tab-separated columns (CHROM POS ID REF "
                        f"ALT QUAL FILTER INFO); got {len(columns)}"
                    )
            if not line.strip():  # htslib hands back an empty record for it, whose fields crash when read
                raise ValueError(
                    f"{vcf}:{line_no}: a blank line; a VCF has none (htslib cannot read past it): remove it "
                    "(e.g. sed -i '/^[[:space:]]*$/d' FILE)"
                )
            if line.startswith("#") and n:  # "#CHROM" again (VCFs joined with their headers): htslib crashed
                raise ValueError(
                    f"{vcf}:{line_no}: a header line after {n} record(s) (VCFs joined with their headers?); a VCF's "
                    "header lines all come before its records: remove it (bcftools concat joins VCFs)"
                )
            if line.startswith("#"):
                continue
            if columns is None:
                raise ValueError(f"{vcf}:{line_no}: no #CHROM header line before the first record")
            n += 1
            fields = line.rstrip("\r\n").split("\t")
            problem = None
            if len(fields) < 8:
                problem = f"{len(fields)} tab-separated columns, a VCF record has at least 8"
            elif not fields[1].isdigit() or int(fields[1]) < 1:
                problem = f"position {fields[1]!r} is not a whole number of at least 1"
            elif int(fields[1]) >= 2**31 - 1:  # htslib keeps positions in 32 bits: it would wrap it to another
                problem = f"position {fields[1]} is beyond what a VCF position holds (2^31 - 2)"
            elif not fields[3]:
                problem = "no reference allele"
            if problem:
                raise ValueError(f"{vcf}:{line_no}: VCF record {n}: {problem}")
    if line_no == 0:  # htslib: "not valid bcf or vcf (format: 15 mode: r)"
        raise ValueError(f"{vcf}: empty file (a VCF starts with its ##fileformat line, e.g. ##fileformat=VCFv4.2)")
    if columns is None:
        raise ValueError(f"{vcf}: no #CHROM header line (a VCF's header ends with it, before the records)")


@claims(
    "variants",
    lambda a: {"inputs": [a["model_path"], a["vcf"], a["genome"]], "outputs": [Output(a["output"])]},
)
def score_variants(
    model_path: str | ModelRef,
    vcf: str | Path,
    genome: str | Path,
    output: str | Path,
    *,
    window: int | None = None,
    strand: str | None = None,
    batch_size: int = 256,
    trust_remote_code: bool = False,
    target: str | None = None,
    overwrite: bool = False,
) -> dict:
    """Score every variant of ``vcf`` against ``genome`` with a classifier (the ``target`` class) or a regression
    model (its value), or a masked LM zero-shot; write ``output``
    (TSV with :data:`COLUMNS`; ``.vcf``/``.vcf.gz``: the input records with the scores in INFO fields)
    and return the counts per status. A VCF none of whose contigs is in the genome is refused, naming
    both sides' contigs (``22`` against ``chr22``: the prefix); some such contigs are warned about."""
    from dnalm.apply.settings import VariantSettings
    from dnalm.settings import checked

    s = checked(VariantSettings, **locals())  # the values as checked: 50.0 is 50, target=1 is the label 1
    window, batch_size, target = s.window, s.batch_size, s.target
    output = check_output_file(output)
    if not is_stream(output):  # a VCF for .vcf names, else a tab-separated table
        check_named_format(
            output, "variant scores", "a TSV table or a VCF (.tsv, .vcf, or either .gz)", (".tsv", ".vcf")
        )
    vcf, genome = Path(vcf), Path(genome)
    for path, what in ((vcf, "VCF"), (genome, "genome FASTA")):
        if path.is_dir():
            raise ValueError(f"{path} is a folder; give the {what} file")
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such {what}")
    # a pipe is read once into a temporary file: htslib and the checks read it again
    with named_as_given(vcf) as vcf, _quiet_htslib():
        reader = _reader(vcf)
        scorer = _Scorer(ModelRef.resolve(model_path, trust_remote_code), target, window)
        if scorer.masked_lm and strand not in (None, "plus"):  # it was replaced by plus without a word
            raise ValueError(
                f"strand (--strand) {strand}: a masked LM scores each allele on the plus strand only (zero-shot); "
                "leave --strand out, or give a classifier"
            )
        strand = strand or ("plus" if scorer.masked_lm else "both")
        rows, by_contig = _allele_rows(reader, vcf, scorer.window, scorer.masked_lm)
        pairs = _genome_pairs(genome, rows, by_contig, scorer.window, vcf)
        scorer.score(pairs, rows, strand, batch_size)
        _write_scores(output, vcf, rows, scorer.describe())
    counts = _say_statuses(rows)
    return {
        "n_alleles": len(rows),
        "n_scored": counts.get("ok", 0),
        "by_status": dict(counts),
        "window": scorer.window,
        "strand": "plus (masked LM)" if scorer.masked_lm else strand,
        "output": str(output),
        "score": scorer.what,
        "target": scorer.label,
    }


def _write_scores(output: Path, vcf: Path, rows: list, header: str) -> None:
    """The scores as a VCF (the input records, scores in INFO) or a TSV of :data:`COLUMNS` under ``header``."""
    if _is_vcf(output):
        _write_vcf(output, vcf, rows, header)
        return
    with atomic_open(output, newline="") as fh:
        fh.write(f"# {header}\n")
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(rows)


def _say_statuses(rows: list) -> Counter:
    """The alleles per status, and a warning for each kind that was not scored or was read with N."""
    counts = Counter(_status_key(r[8]) for r in rows)
    if with_n := sum(r[8].startswith(_OK_WITH_N[:-1]) for r in rows):
        log.warning("%d scored allele(s) hold N: the model read it as an unknown base (status %r)", with_n, _OK_WITH_N)
    if n_window := sum(_WINDOW_N in r[8] for r in rows):
        log.warning(
            "%d scored allele(s) have N in their window (a gap, a masked region): fewer bases were read (the status "
            "says how many)",
            n_window,
        )
    skipped = len(rows) - counts.get("ok", 0)
    if skipped:
        log.warning(
            "%d of %d variant alleles were not scored: %s (the status column says why, per row)",
            skipped,
            len(rows),
            ", ".join(f"{k}: {v}" for k, v in counts.items() if k != "ok"),
        )
    return counts


def _status_key(status: str) -> str:
    """A status without its particulars (for counts).

    >>> _status_key("contig 22 is not in g.fa"), _status_key("reference allele disagrees with the genome (A)")
    ('contig 22', 'reference allele disagrees with the genome')
    """
    return "ok" if status == "ok" else status.split(" (")[0].split(" is not in")[0]


class _Scorer:
    """The model (a classifier or a regression model, or a masked LM scored zero-shot) and its window."""

    def __init__(self, ref: ModelRef, target: str | None, window: int | None):
        from dnalm.apply.target import scored_target
        from dnalm.models.build import load_model
        from dnalm.models.windows import check_window, window_size

        self.ref, self.label = ref, None
        self.masked_lm = ref.has_mlm_head and not ref.has_trained_classifier
        if self.masked_lm:  # zero-shot: log P(alt) - log P(ref) at the masked variant base
            from dnalm.lm.inference import load_masked_lm

            if target is not None:
                raise ValueError(f"{ref}: a masked LM scores log P(allele); --target chooses a classifier's class")
            self.model, self.tok = load_masked_lm(ref)
            if not capabilities(self.tok).per_base:
                raise ValueError(
                    f"{ref.name}: zero-shot variant scoring needs a k-mer or single-base masked LM "
                    "(its per-base probabilities); this tokenizer cuts other tokens"
                )
        else:
            self.model, self.tok = load_model(ref)
            self.target = scored_target(self.model, target)
            self.label = self.target.label
        self.what = "log P(allele) at the masked bases" if self.masked_lm else self.target.difference
        _, largest = window_size(self.model, self.tok, None)
        largest = min(largest, 512) if self.masked_lm else largest
        self.window = check_window(window, self.tok, largest, ref.name)
        ShortInputs(self.model, self.tok).warn_window(self.window)

    def describe(self) -> str:
        """What the scores are: the header line of the TSV and the VCF."""
        return f"dnalm variants {self.ref.name}: score = {self.what}; delta = score_alt - score_ref"

    def score(self, pairs: list[tuple[int, str, str, int]], rows: list[list], strand: str, batch_size: int) -> None:
        """Fill the score columns of the rows of ``pairs`` (row index, ref window, alt window, variant offset)."""
        from dnalm.apply.predict import iter_scores
        from dnalm.io.sequence import reverse_complement

        if self.masked_lm:
            for i, ref_w, _, at in track(pairs, "variants", unit="alleles"):
                ref_lo, alt_lo = _masked_log_probs(
                    self.model, self.tok, ref_w, at, rows[i][3].upper(), rows[i][4].upper()
                )
                rows[i][5:8] = [f"{ref_lo:.5g}", f"{alt_lo:.5g}", f"{alt_lo - ref_lo:.5g}"]
            return
        if not pairs:
            return

        def windows() -> Iterator[str]:
            for _, ref_w, alt_w, _ in pairs:
                for w in (ref_w, alt_w):
                    yield reverse_complement(w) if strand == "minus" else w

        scored = iter_scores(
            self.model, self.tok, windows(), batch_size=batch_size, reverse_complement_average=strand == "both"
        )
        progress = track(scored, "variants", total=2 * len(pairs), unit="windows (ref and alt)")
        scores = self.target.log_odds([s[self.target.index] for s, _ in progress]).tolist()
        for k, (i, *_) in enumerate(pairs):
            ref_lo, alt_lo = scores[2 * k], scores[2 * k + 1]
            rows[i][5:8] = [f"{ref_lo:.7g}", f"{alt_lo:.7g}", f"{alt_lo - ref_lo:.5g}"]  # a value may be far from 0


_OK_WITH_N = "ok (an allele holds N: scored as an unknown base)"
_WINDOW_N = "the window holds"  # ... X of Y bases as N: said beside an N allele's status too


def _allele_rows(reader, vcf: Path, window: int, masked_lm: bool) -> tuple[list[list], dict[str, list[int]]]:
    """One row per alternate allele, in the VCF's order, and per contig the rows that passed the allele checks."""
    rows: list[list] = []
    by_contig: dict[str, list[int]] = {}
    for variant in _numbered(reader, vcf):
        chrom, pos, ref_text = variant.CHROM, int(variant.POS), variant.REF
        ref = ref_text.upper()
        for alt_text in variant.ALT or ["."]:
            alt = alt_text.upper()  # compared and scored in upper case; written as the VCF has it
            row = [chrom, pos, variant.ID or ".", ref_text, alt_text, "", "", "", "ok"]
            if not _ALLELE.fullmatch(alt):
                row[8] = "symbolic or non-nucleotide allele"
            elif not _ALLELE.fullmatch(ref):
                row[8] = "non-nucleotide reference allele"
            elif alt == ref:
                row[8] = "ALT is the REF allele: no change to score"
            elif masked_lm and len(ref) != len(alt):
                row[8] = "not a substitution: masked-LM scoring covers SNVs and MNVs of A/C/G/T"
            elif masked_lm and "N" in ref + alt:
                row[8] = "an allele holds N: masked-LM scoring compares the probabilities of A/C/G/T"
            elif len(ref) != len(alt) and max(len(ref), len(alt)) >= window:
                row[8] = _too_long_indel(ref, alt, window)
            elif len(ref) > window:
                row[8] = f"substitution of {len(ref)} bases: longer than the {window}-base window"
            else:
                by_contig.setdefault(chrom, []).append(len(rows))
                if "N" in ref + alt:  # scored, but not as a base: said in the row (it read a plain "ok")
                    row[8] = _OK_WITH_N
            rows.append(row)
    return rows, by_contig


def _genome_pairs(genome: Path, rows: list[list], by_contig: dict[str, list[int]], window: int, vcf: Path) -> list:
    """(row index, ref window, alt window, variant offset) of each row to score, in the VCF's order; rows whose
    reference allele disagrees, whose window is all N or whose contig is missing get a status saying so.
    The genome streams one contig at a time (memory: the largest contig, not the genome; FASTA.gz as well)."""
    from dnalm.io import read_fasta
    from dnalm.io.contigs import check_contigs

    pairs: list[tuple[int, str, str, int]] = []
    names: list[str] = []
    seen: set[str] = set()
    wanted = {c: len(ix) for c, ix in by_contig.items()}
    for rec in read_fasta(genome):
        if rec.id in seen:  # which of the two a variant on it refers to is unknowable
            raise ValueError(f"{rec.where}: contig {rec.id!r} comes twice in the genome; name each contig once")
        names.append(rec.id)
        seen.add(rec.id)
        for i in by_contig.pop(rec.id, []):
            _, pos, _, ref, alt = rows[i][:5]
            ref, alt = ref.upper(), alt.upper()
            there = rec.sequence[pos - 1 : pos - 1 + len(ref)]
            if pos - 1 + len(ref) > len(rec.sequence):
                rows[i][8] = f"reference allele runs past the end of contig {rec.id} ({len(rec.sequence):,} bases)"
                continue
            if len(rec.sequence) < window:  # its windows would be shorter than the rest, and differ in length
                rows[i][8] = (
                    f"contig {rec.id} is shorter than the {window}-base window ({len(rec.sequence):,} bases; "
                    f"--window {len(rec.sequence)} scores it)"
                )
                continue
            if there != ref:
                rows[i][8] = f"reference allele disagrees with the genome ({there or 'past the end'})"
                continue
            ref_w, alt_w = variant_windows(rec.sequence, pos, ref, alt, window)
            if not any(b in ref_w for b in "ACGT"):
                rows[i][8] = f"window is all N (the genome has no A/C/G/T within {window // 2} bases)"
                continue
            # the window's N other than the reference allele's own: a gap or masked region beside the variant
            unknown = len(ref_w) - sum(map(ref_w.count, "ACGT")) - sum(b not in "ACGT" for b in ref)
            if unknown:  # scored on fewer readable bases than the window: said in the row, beside an N allele's too
                besides = " besides the allele" if rows[i][8] != "ok" else ""
                held = f"{_WINDOW_N} {unknown} of {len(ref_w)} bases as N{besides}: read as unknown bases"
                rows[i][8] = f"ok ({held})" if rows[i][8] == "ok" else f"{rows[i][8][:-1]}; {held})"
            at = pos - 1 - _window_start(len(rec.sequence), pos, len(ref), window)  # the variant in its window
            pairs.append((i, ref_w, alt_w, at))
    if not names:
        raise ValueError(f"{genome}: no contig")
    check_contigs("the VCF", wanted, names, str(vcf), unit="alleles to score")
    for chrom, missing in by_contig.items():
        for i in missing:
            rows[i][8] = f"contig {chrom} is not in {genome.name}"
    return sorted(pairs)  # scored in the VCF's order


def _is_vcf(path: Path) -> bool:
    return path.name.lower().endswith((".vcf", ".vcf.gz", ".vcf.bgz"))


#: INFO fields written to an output VCF: (ID, Type, column of the row, description).
INFO_FIELDS = [
    (
        "DNALM_REF",
        "Float",
        5,
        "dnalm score of the reference window (named in ##dnalm_variants: log-odds of the target class, a predicted value, or log P at the masked bases)",
    ),
    ("DNALM_ALT", "Float", 6, "dnalm score of the alternate window, per ALT allele"),
    ("DNALM_DELTA", "Float", 7, "DNALM_ALT - DNALM_REF, per ALT allele (negative: the variant weakens the element)"),
    ("DNALM_STATUS", "String", 8, "ok, or why dnalm did not score the allele (spaces as underscores)"),
]


def _undeclared(vcf: Path) -> list[str]:
    """Header lines declaring the INFO keys, FILTER values and FORMAT keys that ``vcf``'s records use and its header
    does not declare (htslib reads them, and tools that check a VCF refuse them), as bcftools adds them; said, with
    the names."""
    declared: dict[str, set[str]] = {"INFO": set(), "FILTER": {"PASS"}, "FORMAT": set()}
    used: dict[str, set[str]] = {kind: set() for kind in declared}
    with _text_lines(vcf) as fh:
        for line in fh:
            if line.startswith("##"):
                m = re.match(r"##(INFO|FILTER|FORMAT)=<ID=([^,>]+)", line)
                if m:
                    declared[m.group(1)].add(m.group(2))
                continue
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) > 6 and fields[6] not in (".", ""):
                used["FILTER"].update(fields[6].split(";"))
            if len(fields) > 7 and fields[7] not in (".", ""):
                used["INFO"].update(item.split("=", 1)[0] for item in fields[7].split(";") if item)
            if len(fields) > 8 and fields[8] not in (".", ""):
                used["FORMAT"].update(fields[8].split(":"))
    used["INFO"] -= {key.decode() for key in _OUR_KEYS}  # dnalm's own, from an earlier run: replaced
    missing = {kind: sorted(used[kind] - declared[kind]) for kind in used}
    if said := [f"{kind} {', '.join(keys)}" for kind, keys in missing.items() if keys]:
        log.warning("%s: not declared in its header, declared in the output's (Type=String): %s", vcf, "; ".join(said))
    number = {"INFO": ",Number=.,Type=String", "FILTER": "", "FORMAT": ",Number=.,Type=String"}
    return [
        f'##{kind}=<ID={key}{number[kind]},Description="{_UNDECLARED}">'
        for kind, keys in missing.items()
        for key in keys
    ]


_UNDECLARED = "not declared in the input VCF's header; declared by dnalm variants"
_OURS = re.compile(rb"##(dnalm_variants=|INFO=<ID=(" + "|".join(n for n, *_ in INFO_FIELDS).encode() + rb"),)")


def _write_vcf(output: Path, vcf: Path, rows: list[list], what: str) -> None:
    """The input VCF line for line, as written (htslib rewrote QUAL and Float INFO values at 32-bit precision,
    29.123456789 as 29.1235), with the :data:`INFO_FIELDS` of each record's alleles added to its INFO column (one
    value per ALT, ``.`` when unscored; an earlier run's replaced) and declared in the header; bgzip-compressed for
    ``.gz``; written beside ``output`` and renamed into place."""
    head = [f"##dnalm_variants={what}"] + [
        f'##INFO=<ID={name},Number=A,Type={kind},Description="{text}">' for name, kind, _, text in INFO_FIELDS
    ]
    head = [*_undeclared(vcf), *head]
    tmp = output.with_name(f".{output.name}.partial")
    k = 0
    try:
        with _raw_lines(vcf) as src, _vcf_writer(tmp, output) as out:
            for line in src:
                body = line.rstrip(b"\r\n")
                end = line[len(body) :] or b"\n"
                if body.startswith(b"##"):
                    if not _OURS.match(body):
                        out.write(line)
                    continue
                if body.startswith(b"#"):  # the column line: dnalm's declarations go just above it
                    out.write(b"".join(h.encode() + end for h in head) + line)
                    continue
                fields = body.split(b"\t") + [b"."] * (8 - len(body.split(b"\t")))
                n_alt = 1 if fields[4] in (b".", b"") else fields[4].count(b",") + 1
                mine, k = rows[k : k + n_alt], k + n_alt
                info = [i for i in fields[7].split(b";") if i not in (b"", b".") and not _is_ours(i)]
                for name, _, col, _ in INFO_FIELDS:
                    values = [re.sub(r"[\s;=,]+", "_", r[col]) if col == 8 else (r[col] or ".") for r in mine]
                    info.append(f"{name}={','.join(values)}".encode())
                fields[7] = b";".join(info)
                out.write(b"\t".join(fields) + end)
        if k != len(rows):  # the copy walks the file apart from the reader that scored it: they must agree
            raise RuntimeError(f"{vcf}: wrote scores for {k:,} alleles, scored {len(rows):,}")
        tmp.replace(output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _is_ours(item: bytes) -> bool:
    return item.split(b"=", 1)[0] in _OUR_KEYS


_OUR_KEYS = {name.encode() for name, *_ in INFO_FIELDS}


def _raw_lines(vcf: Path):
    """The lines of a VCF or VCF.gz as bytes, exactly as written."""
    import gzip

    with open(vcf, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(vcf, "rb") if gz else open(vcf, "rb")


def _vcf_writer(path: Path, output: Path):
    """A binary file at ``path``, bgzip-compressed when ``output`` is named .gz (tabix reads it)."""
    if not output.name.lower().endswith(".gz"):
        return open(path, "wb")
    try:
        from Bio import bgzf
    except ImportError:
        raise ImportError(
            "writing a bgzip VCF needs biopython: pip install 'dnalm[genomics]' (or pip install biopython)"
        ) from None
    return bgzf.BgzfWriter(str(path), "wb")


def _masked_log_probs(model, tok, ref_window: str, at: int, ref: str, alt: str) -> tuple[float, float]:
    """log P(ref) and log P(alt) summed over the substituted bases ``ref_window[at : at + len(ref)]``, all
    masked together (every token covering one of them masked)."""
    from dnalm.lm.inference import fill_mask

    masked = ref_window[:at] + "<mask>" * len(ref) + ref_window[at + len(ref) :]
    results = fill_mask(None, masked, model=model, tokenizer=tok)
    ref_lp = sum(math.log(max(r["probabilities"][b], 1e-12)) for r, b in zip(results, ref))
    alt_lp = sum(math.log(max(r["probabilities"][b], 1e-12)) for r, b in zip(results, alt))
    return ref_lp, alt_lp


def describe(r: dict) -> str:
    """The line ``dnalm variants`` prints from :func:`score_variants`' counts."""
    return (
        f"scored {r['n_scored']:,} of {r['n_alleles']:,} variant alleles ({r['window']}-base windows, "
        f"{r['strand']} strand(s); score: {r['score']}); wrote {r['output']}"
        + "".join(f"; {k}: {v}" for k, v in r["by_status"].items() if k != "ok")
    )
