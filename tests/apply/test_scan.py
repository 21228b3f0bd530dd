"""dnalm scan: windows along a genome, N runs skipped and counted, bedGraph/BED written right."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnalm.apply.scan import scan_genome
from tests.conftest import _dnalm, _kill_when, _run, posix_only


def _genome(tmp_path, seed=0, n_contigs=2, length=3000, motifs=()):
    rng = np.random.default_rng(seed)
    contigs = []
    for c in range(n_contigs):
        seq = bytearray(np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)].tobytes())
        for contig, pos, motif in motifs:
            if contig == c:
                seq[pos : pos + len(motif)] = motif.encode()
        contigs.append(seq.decode())
    path = tmp_path / "genome.fa"
    path.write_text("".join(f">chr{c} test contig\n{s}\n" for c, s in enumerate(contigs)))
    return path, contigs


@pytest.fixture(scope="module")
def untrained(tmp_path_factory):
    from dnalm.models.build import build_model

    out = tmp_path_factory.mktemp("m")
    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.config.dnalm_train_max_tokens = 62  # as if fine-tuned on 60-base sequences
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _tsv(path):
    """The lines of a variants TSV after its ``#`` line (what the scores are)."""
    lines = path.read_text().splitlines(keepends=True)
    assert lines[0].startswith("# dnalm variants")
    return lines[1:]


def _read_bedgraph(path):
    lines = path.read_text().splitlines()
    assert lines[0].startswith("track type=bedGraph name=")  # the track line names the scored class
    return [(c, int(a), int(b), float(s)) for c, a, b, s in (line.split("\t") for line in lines[1:])]


def test_scan_writes_sorted_non_overlapping_bedgraph_and_skips_n(untrained, tmp_path):
    genome, _ = _genome(tmp_path, motifs=[(0, 1000, "N" * 100)])
    r = scan_genome(str(untrained), genome, tmp_path / "s.bedGraph", stride=20, peaks=tmp_path / "p.bed", threshold=0.0)
    rows = _read_bedgraph(tmp_path / "s.bedGraph")
    assert r.window == 60 and r.stride == 20 and len(rows) == r.n_windows
    # windows starting at 960, 980, ..., 1080 touch the N run [1000, 1100)
    assert r.n_ambiguous_bases == 100 and r.n_skipped_windows == 7
    for contig in ("chr0", "chr1"):  # ids are the header's first word; intervals sorted and disjoint
        mine = [x for x in rows if x[0] == contig]
        assert all(a[2] <= b[1] for a, b in itertools.pairwise(mine)) and all(x[1] < x[2] for x in mine)
        assert mine[0][1] == (60 - 20) // 2 and mine[-1][2] <= 3000
    assert not any(x[0] == "chr0" and x[2] > 1000 - 20 and x[1] < 1100 + 20 for x in rows)  # nothing scored over N
    bed = [line.split("\t") for line in (tmp_path / "p.bed").read_text().splitlines()[1:]]  # after the track line
    assert len(bed) == r.n_peaks == 3  # threshold 0: one peak per run of windows (chr0 split by the N run)
    # every readable base without a value is counted and said (contig ends, beside the N run): nothing silent
    valued = sum(b - a for _, a, b, _ in rows)
    assert r.n_unvalued_bases == 2 * 3000 - 100 - valued > 0
    assert f"{r.n_unvalued_bases:,} readable bases in no window's centre have no value" in r.describe()


def test_reading_the_genome_in_small_blocks_changes_nothing(untrained, tmp_path):
    """Contigs are read in blocks (1 Mb by default) and windows cross block ends; blocks of 37 bases (a
    window spans two or three) give the same bedGraph, peaks and bigWig as one block per contig."""
    pytest.importorskip("pyBigWig")
    genome, _ = _genome(tmp_path, n_contigs=3, length=1000, motifs=[(1, 300, "N" * 45), (2, 0, "N" * 10)])
    out = {}
    for block in (1 << 20, 37):
        d = tmp_path / str(block)
        d.mkdir()
        kw = {"stride": 7, "peaks": d / "p.bed", "threshold": 0.5, "bigwig": d / "s.bw", "block": block}
        r = scan_genome(str(untrained), genome, d / "s.bedGraph", **kw)
        out[block] = (r.contigs, r.n_windows, r.n_skipped_windows, r.n_peaks, (d / "s.bedGraph").read_text())
        assert (d / "p.bed").read_text().count("\n") == r.n_peaks + 1  # and the track line
    assert out[37] == out[1 << 20]
    assert (tmp_path / "37" / "p.bed").read_text() == (tmp_path / str(1 << 20) / "p.bed").read_text()
    # the same intervals and values up to float32 rounding: blocks group windows into other batches, and a
    # batch's matrix products may round the last bit differently
    import pyBigWig

    small, whole = pyBigWig.open(str(tmp_path / "37" / "s.bw")), pyBigWig.open(str(tmp_path / str(1 << 20) / "s.bw"))
    assert small.chroms() == whole.chroms()
    for contig, length in whole.chroms().items():
        a, b = small.intervals(contig, 0, length), whole.intervals(contig, 0, length)
        assert [x[:2] for x in a] == [x[:2] for x in b]
        assert [x[2] for x in a] == pytest.approx([x[2] for x in b], abs=1e-5)
    assert [c["length"] for c in out[37][0]] == [1000] * 3 and out[37][2] > 0


@settings(max_examples=300, deadline=None)
@given(
    seq=st.text("ACGTN", min_size=1, max_size=120),
    window=st.integers(1, 30),
    stride_fraction=st.floats(0.01, 1),
    block=st.integers(1, 40),
)
def test_windows_found_block_by_block_are_those_of_the_whole_contig(seq, window, stride_fraction, block):
    from dnalm.apply.scan import _window_groups, window_positions
    from dnalm.io import FastaBlock

    stride = max(1, int(window * stride_fraction))
    starts = range(0, len(seq), block)
    blocks = [FastaBlock("c", i, seq[i : i + block], i + block >= len(seq)) for i in starts]
    groups = list(_window_groups(blocks, window, stride))
    expected, skipped = window_positions(seq, window, stride)
    assert [int(s) for g in groups for s in g.starts] == expected.tolist()
    assert sum(g.skipped for g in groups) == skipped and sum(g.ambiguous for g in groups) == seq.count("N")
    for g in groups:  # each group's text holds its windows' bases
        assert all(g.sequence[s - g.offset : s - g.offset + window] == seq[s : s + window] for s in g.starts)
    assert len(max((g.sequence for g in groups), key=len)) <= block + window + stride  # memory is one block


def test_a_contig_shorter_than_the_window_is_counted_and_named(untrained, tmp_path, caplog):
    import logging

    genome, _ = _genome(tmp_path, n_contigs=1, length=600)
    with open(genome, "a") as fh:
        fh.write(">short\nACGTACGTAC\n")
    with caplog.at_level(logging.WARNING):
        result = scan_genome(str(untrained), genome, tmp_path / "s.bg")
    assert result.short_contigs == ["short"]
    assert "1 contig(s) shorter than a window not scored: short" in result.describe()
    assert "shorter than the 60-base window have no window and no score: short" in caplog.text
    assert all(row[0] == "chr0" for row in _read_bedgraph(tmp_path / "s.bg"))


def test_strands_and_bad_input(untrained, tmp_path):
    from dnalm.io.sequence import reverse_complement

    genome, contigs = _genome(tmp_path, n_contigs=1, length=600)
    genome_rc = tmp_path / "rc.fa"
    genome_rc.write_text(f">chr0\n{reverse_complement(contigs[0])}\n")
    for strand in ("plus", "minus", "both"):
        scan_genome(str(untrained), genome, tmp_path / f"{strand}.bg", strand=strand)
    plus, minus, both = (_read_bedgraph(tmp_path / f"{s}.bg") for s in ("plus", "minus", "both"))
    scan_genome(str(untrained), genome_rc, tmp_path / "rc.bg", strand="plus", stride=1)
    on_rc = {(x[1] - (60 - 1) // 2): x[3] for x in _read_bedgraph(tmp_path / "rc.bg")}  # window start -> score
    for _, a, _, score in minus[:-1]:  # the minus strand of window [s, s+60) is the plus strand of the rc genome
        s = a - (60 - 30) // 2
        assert score == pytest.approx(on_rc[600 - 60 - s], abs=1e-4)
    assert np.allclose([(p[3] + m[3]) / 2 for p, m in zip(plus, minus)], [b[3] for b in both], atol=1e-4)
    with pytest.raises(ValueError, match="longer than the model takes"):
        scan_genome(str(untrained), genome, tmp_path / "x.bg", window=500)
    with pytest.raises(ValueError, match=r"strand \(--strand\) must be one of both, plus, minus"):
        scan_genome(str(untrained), genome, tmp_path / "x.bg", strand="up")
    with pytest.raises(ValueError, match="is a folder"):
        scan_genome(str(untrained), genome, tmp_path)
    (tmp_path / "empty.fa").write_text("")
    with pytest.raises(ValueError, match="empty"):
        scan_genome(str(untrained), tmp_path / "empty.fa", tmp_path / "x.bg")


def test_a_tata_model_finds_the_tata_boxes(tata_model, tmp_path):
    """Windows holding TATAAA (either strand) outrank the rest of a random genome."""
    from sklearn.metrics import roc_auc_score

    from dnalm.io.sequence import reverse_complement

    motifs = [(0, p, "TATAAA") for p in range(200, 4000, 400)]
    genome, contigs = _genome(tmp_path, n_contigs=1, length=4200, motifs=motifs)
    r = scan_genome(str(tata_model), genome, tmp_path / "s.bg", stride=10, bigwig=tmp_path / "s.bw")
    rows = _read_bedgraph(tmp_path / "s.bg")
    seq = contigs[0]
    has = []
    for _, a, _, _ in rows:  # the window behind each interval: [a - 25, a - 25 + 60)
        w = seq[a - (60 - 10) // 2 : a - (60 - 10) // 2 + 60]
        has.append("TATAAA" in w or "TATAAA" in reverse_complement(w))
    assert r.n_windows == len(rows) and 0 < sum(has) < len(has)
    assert roc_auc_score(has, [x[3] for x in rows]) > 0.9
    import pyBigWig

    bw = pyBigWig.open(str(tmp_path / "s.bw"))
    a, b, score = rows[10][1], rows[10][2], rows[10][3]
    assert bw.chroms() == {"chr0": 4200} and bw.stats("chr0", a, b)[0] == pytest.approx(score, abs=1e-4)


def test_variants_that_break_a_tata_box_score_strongly_negative(tata_model, tmp_path):
    import csv

    from dnalm.apply.variants import score_variants

    sites = list(range(300, 3900, 600))
    genome, contigs = _genome(tmp_path, n_contigs=1, length=4200, motifs=[(0, p, "TATAAA") for p in sites])
    seq = contigs[0]
    lines = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=chr0,length=4200>",
        "##contig=<ID=chrX,length=100>",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    for i, p in enumerate(sites):  # the TATAAA's second base T -> G; and a SNV 150 bp away from any TATA box
        lines.append(f"chr0\t{p + 2}\tbreak{i}\tA\tG\t.\t.\t.")
        far = p + 150
        lines.append(f"chr0\t{far + 1}\tfar{i}\t{seq[far]}\t{'C' if seq[far] != 'C' else 'G'}\t.\t.\t.")
    lines += [
        "chr0\t100\tbadref\t" + ("A" if seq[99] != "A" else "C") + "\tT\t.\t.\t.",
        "chrX\t10\tnocontig\tA\tT\t.\t.\t.",
        "chr0\t50\tsym\t" + seq[49] + "\t<DEL>\t.\t.\t.",
        f"chr0\t{sites[0] + 1}\tdel\tTA\tT\t.\t.\t.",
    ]
    (tmp_path / "v.vcf").write_text("\n".join(lines) + "\n")
    r = score_variants(str(tata_model), tmp_path / "v.vcf", genome, tmp_path / "v.tsv")
    rows = {row["id"]: row for row in csv.DictReader(_tsv(tmp_path / "v.tsv"), delimiter="\t")}
    assert list(next(iter(rows.values())))[:9] == [
        "chrom",
        "pos",
        "id",
        "ref",
        "alt",
        "score_ref",
        "score_alt",
        "delta",
        "status",
    ]
    breaking = [float(rows[f"break{i}"]["delta"]) for i in range(len(sites))]
    far = [abs(float(rows[f"far{i}"]["delta"])) for i in range(len(sites))]
    assert max(breaking) < -1.0 and np.median(far) < 0.5 * -np.mean(breaking)
    assert rows["badref"]["status"].startswith("reference allele disagrees")
    assert rows["nocontig"]["status"].startswith("contig chrX is not in")
    assert rows["sym"]["status"] == "symbolic or non-nucleotide allele"
    assert rows["del"]["status"] == "ok" and float(rows["del"]["delta"]) < 0  # the deletion breaks TATAAA too
    assert r["n_alleles"] == len(rows) == 2 * len(sites) + 4 and r["n_scored"] == 2 * len(sites) + 1


def test_zero_shot_variant_scores_from_the_shipped_masked_lm(tmp_path):
    import csv

    from dnalm.apply.variants import score_variants

    genome, contigs = _genome(tmp_path, n_contigs=1, length=1000)
    seq = contigs[0]
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr0,length=1000>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    for i, p in enumerate(range(100, 900, 100)):
        alt = "A" if seq[p] != "A" else "C"
        lines.append(f"chr0\t{p + 1}\tsnv{i}\t{seq[p]}\t{alt}\t.\t.\t.")
    flip = {"A": "C", "C": "G", "G": "T", "T": "A"}
    mnv = "".join(flip[b] for b in seq[500:503])
    lines.append(f"chr0\t501\tmnv\t{seq[500:503]}\t{mnv}\t.\t.\t.")
    lines.append(f"chr0\t951\tflat\t{seq[950:952]}\t{seq[950:952]}\t.\t.\t.")  # ALT = REF: said, not scored
    lines.append(f"chr0\t51\tins\t{seq[50]}\t{seq[50]}AC\t.\t.\t.")
    lines.append(f"chr0\t61\tn\t{seq[60]}\tN\t.\t.\t.")  # was 'not a substitution'
    (tmp_path / "v.vcf").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"strand \(--strand\) minus: a masked LM scores each allele on the plus"):
        score_variants("dnalm-mini", tmp_path / "v.vcf", genome, tmp_path / "v.tsv", strand="minus")  # was ignored
    r = score_variants("dnalm-mini", tmp_path / "v.vcf", genome, tmp_path / "v.tsv")
    rows = {row["id"]: row for row in csv.DictReader(_tsv(tmp_path / "v.tsv"), delimiter="\t")}
    assert r["n_scored"] == 9 and r["score"] == "log P(allele) at the masked bases"
    assert rows["flat"]["status"] == "ALT is the REF allele: no change to score"
    for name, row in rows.items():  # log-probabilities of the bases, and delta their difference
        if name not in ("ins", "flat", "n"):
            ref, alt, delta = float(row["score_ref"]), float(row["score_alt"]), float(row["delta"])
            assert ref < 0 and alt < 0 and delta == pytest.approx(alt - ref, abs=1e-3)
    # three bases masked together: three log-probabilities summed, so lower than one base's
    assert float(rows["mnv"]["score_ref"]) < max(float(rows[f"snv{i}"]["score_ref"]) for i in range(8))
    assert rows["flat"]["delta"] == "" and rows["flat"]["score_ref"] == ""
    assert rows["ins"]["status"].startswith("not a substitution")
    assert rows["n"]["status"] == "an allele holds N: masked-LM scoring compares the probabilities of A/C/G/T"


def test_a_vcf_record_htslib_cannot_parse_names_the_file_and_line(tmp_path):
    import gzip

    from dnalm.apply.variants import score_variants

    genome, _ = _genome(tmp_path, n_contigs=1, length=1000)
    head = "##fileformat=VCFv4.2\n##contig=<ID=chr0,length=1000>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    body = "chr0\t5\t.\tA\tG\t.\t.\t.\nchr0\tX7\t.\tA\tG\t.\t.\t.\n"
    (tmp_path / "v.vcf").write_text(head + body)
    with gzip.open(tmp_path / "v.vcf.gz", "wt") as fh:
        fh.write(head + body)
    for name in ("v.vcf", "v.vcf.gz"):
        with pytest.raises(ValueError, match=rf"{name}:5: VCF record 2: position 'X7' is not a whole number"):
            score_variants("dnalm-mini", tmp_path / name, genome, tmp_path / "v.tsv")
    assert not (tmp_path / "v.tsv").exists()


def test_whole_numbers_given_as_floats_or_numpy_numbers_are_read_as_whole_numbers(tata_model, tmp_path):
    """``scan_genome(window=50.0)`` passed the check (50.0 is whole) and then failed with numpy's IndexError, and
    ``score_variants(window=50.0)`` with "slice indices must be integers"; the command line reads --window 50.0 as 50.
    Every function that checks its values by its settings class goes on with the values as checked."""
    import numpy as np

    from dnalm.apply.evaluate import predict_file
    from dnalm.apply.variants import score_variants
    from dnalm.interpret.attributions import interpret_file

    genome, contigs = _genome(tmp_path, n_contigs=1, length=600)
    r = scan_genome(str(tata_model), genome, tmp_path / "s.bg", window=50.0, stride=np.float32(25), batch_size=8.0)
    assert (r.window, r.stride) == (50, 25) and type(r.window) is int and r.n_windows > 0
    (tmp_path / "v.vcf").write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr0,length=600>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"chr0\t300\tv1\t{contigs[0][299]}\t{'A' if contigs[0][299] != 'A' else 'C'}\t.\t.\t.\n"
    )
    v = score_variants(str(tata_model), tmp_path / "v.vcf", genome, tmp_path / "v.tsv", window=np.int64(50))
    assert v["window"] == 50 and type(v["window"]) is int and v["by_status"] == {"ok": 1}
    (tmp_path / "in.fa").write_text(f">a\n{contigs[0][:60]}\n>b\n{contigs[0][60:200]}\n")
    predict_file(str(tata_model), tmp_path / "in.fa", tmp_path / "p.tsv", stride=20.0, batch_size=np.int32(4))
    assert len((tmp_path / "p.tsv").read_text().splitlines()) == 3
    out = interpret_file(str(tata_model), tmp_path / "in.fa", tmp_path / "i", method="ig", n_steps=4.0, logos=1.0)
    assert out["n_sequences"] == 2 and len(out["logos"]) == 1


def test_many_contigs_are_logged_one_by_one_only_at_first(tata_model, tmp_path, caplog):
    """A line per contig: a genome of 20,000 contigs logged 20,000 lines."""
    import logging

    genome, _ = _genome(tmp_path, n_contigs=30, length=80)
    with caplog.at_level(logging.INFO, logger="dnalm"):
        r = scan_genome(str(tata_model), genome, tmp_path / "s.bg")
    lines = [m for m in caplog.messages if m.startswith("scanned chr")]
    assert len(r.contigs) == 30 and len(lines) == 20  # (the run takes far less than the 30 s between later lines)
    assert lines[-1].endswith("; the next contigs are logged every 30 s")


def test_a_target_typed_in_another_unicode_form_is_the_label_it_looks_like():
    """`--target` typed as u + combining diaeresis (macOS) was refused beside the label 'ohne Motiv ü' (one
    character), and the message showed two strings that looked the same."""
    import unicodedata

    from dnalm.apply.target import target_class
    from dnalm.models.build import build_model

    label = unicodedata.normalize("NFC", "ohne Motiv ü")
    model, _, _ = build_model("pos-cnn", num_labels=2, id2label={0: "TATA box", 1: label}, seed=0)
    assert target_class(model, unicodedata.normalize("NFD", label)) == (1, label)
    with pytest.raises(ValueError, match="is not a class of this model"):
        target_class(model, "ohne Motiv u")


def test_a_scan_or_variant_window_shorter_than_one_k_mer_is_refused(tmp_path):
    from dnalm.apply.scan import scan_genome
    from dnalm.apply.variants import score_variants
    from dnalm.models.build import build_model

    model, tok, _ = build_model("tiny", num_labels=2, seed=0, config_overrides={"num_hidden_layers": 1})  # 6-mers
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    genome = tmp_path / "g.fa"
    genome.write_text(">chr1\n" + "ACGTTGCA" * 20 + "\n")
    with pytest.raises(
        ValueError, match=r"window \(--window\) 5 bases is shorter than one 6-mer token of .*give 6 or more"
    ):
        scan_genome(str(tmp_path / "m"), genome, tmp_path / "s.bedGraph", window=5)
    vcf = tmp_path / "v.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t10\tv\tT\tA\t.\t.\t.\n")
    with pytest.raises(ValueError, match=r"window \(--window\) 3 bases is shorter than one 6-mer token"):
        score_variants(str(tmp_path / "m"), vcf, genome, tmp_path / "v.tsv", window=3)
    assert not (tmp_path / "s.bedGraph").exists() and not (tmp_path / "v.tsv").exists()


def test_a_folder_given_as_the_genome_or_the_vcf_is_named_as_a_folder(tmp_path):
    """An existing folder was reported as 'no such genome FASTA' / 'no such VCF'."""
    from dnalm.apply.scan import scan_genome
    from dnalm.apply.variants import score_variants

    (tmp_path / "g.fa").write_text(">c\n" + "ACGT" * 50 + "\n")
    (tmp_path / "d").mkdir()
    with pytest.raises(ValueError, match=r"d is a folder; give the genome FASTA file"):
        scan_genome("tiny", tmp_path / "d", tmp_path / "x.bedGraph")
    with pytest.raises(ValueError, match=r"d is a folder; give the VCF file"):
        score_variants("tiny", tmp_path / "d", tmp_path / "g.fa", tmp_path / "v.tsv")
    with pytest.raises(ValueError, match=r"d is a folder; give the genome FASTA file"):
        (tmp_path / "v.vcf").write_text("##fileformat=VCFv4.2\n")
        score_variants("tiny", tmp_path / "v.vcf", tmp_path / "d", tmp_path / "v.tsv")
    assert not (tmp_path / "x.bedGraph").exists() and not (tmp_path / "v.tsv").exists()


@pytest.mark.parametrize(
    "args, said",
    [
        (["scan", "{m}", "{g}", "-o", "{t}/s.bw"], r"written as a bedGraph .*\.bw names another format \(a bigWig is"),
        (["scan", "{m}", "{g}", "-o", "{t}/s.tsv"], r"written as a bedGraph .*\.tsv names another format"),
        (["variants", "{m}", "{t}/v.vcf", "--genome", "{g}", "-o", "{t}/v.bcf"], r"\.bcf names another format"),
        (["variants", "{m}", "{t}/v.vcf", "--genome", "{g}", "-o", "{t}/v.csv"], r"\.csv names another format"),
    ],
)
def test_an_output_named_as_another_format_is_refused(genome, tmp_path, args, said):
    """scan -o s.bw wrote bedGraph text and variants -o v.bcf a TSV, each with exit 0: a genome browser or
    bcftools refused the file later, far from the cause; variants -o v.csv wrote tabs."""
    root, _ = genome
    (tmp_path / "v.vcf").write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    fill = {"{m}": str(root / "m"), "{g}": str(root / "g.fa"), "{t}": str(tmp_path)}
    result = _run(*[fill.get(a, a.replace("{t}", str(tmp_path))) for a in args])
    assert result.exit_code == 2 and re.search(said, result.output), result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.vcf"]


@pytest.mark.parametrize(
    "extra, said",
    [
        (["--peaks", "{t}/pk.bw"], r"peaks are written as BED .*\.bw names another format"),
        (["--bigwig", "{t}/b.bedGraph"], r"the bigWig track are written as a bigWig .*\.bedgraph names another format"),
    ],
)
def test_scans_other_outputs_named_as_another_format_are_refused(genome, tmp_path, extra, said):
    """scan --peaks pk.bw wrote BED text and --bigwig b.bedGraph a binary bigWig, each with exit 0."""
    root, _ = genome
    args = ["scan", root / "m", root / "g.fa", "-o", tmp_path / "s.bedGraph", *extra]
    result = _run(*[str(a).replace("{t}", str(tmp_path)) for a in args])
    assert result.exit_code == 2 and re.search(said, result.output), result.output
    assert not list(tmp_path.iterdir())


@posix_only
def test_scan_killed_mid_genome_leaves_the_previous_track_and_no_partial_file(tmp_path):
    import numpy as np

    from dnalm.apply.scan import scan_genome
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    rng = np.random.default_rng(0)
    genome = tmp_path / "g.fa"
    genome.write_text(
        ">chr1\n" + np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, 400_000)].tobytes().decode()
    )
    out = tmp_path / "s.bedGraph"
    out.write_text("the previous track\n")  # not dnalm's: --overwrite
    cmd = _dnalm("scan", tmp_path / "m", genome, "-o", out, "--window", "100", "--stride", "10", "--overwrite")
    _kill_when(cmd, lambda: any(tmp_path.glob(".s.bedGraph.partial-*")))  # while the genome is being scanned
    assert out.read_text() == "the previous track\n"  # whole, untouched
    scan_genome(str(tmp_path / "m"), genome, out, window=100, stride=50, overwrite=True)  # the re-run
    assert len(out.read_text().splitlines()) > 7_000
    assert not list(tmp_path.glob(".s.bedGraph.partial-*"))  # the killed run's temporary file is gone too
