"""dnalm variants: VCF(.gz) output read back by cyvcf2, contig-name mismatches named, all-N windows said; a VCF
htslib cannot read, or a truncated one, in one line and without htslib's own warnings."""

from __future__ import annotations

import csv
import gzip
import logging
import re

import numpy as np
import pytest

from dnalm.apply.variants import score_variants
from tests.conftest import _run

pytest.importorskip("cyvcf2")
HEAD = "##fileformat=VCFv4.2\n{contigs}#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def _genome(tmp_path, names=("chr1", "chr2"), length=600, n_run=None):
    rng = np.random.default_rng(0)
    seqs = {n: np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)].tobytes().decode() for n in names}
    if n_run:
        name = names[0]
        seqs[name] = seqs[name][: n_run[0]] + "N" * (n_run[1] - n_run[0]) + seqs[name][n_run[1] :]
    path = tmp_path / "g.fa"
    path.write_text("".join(f">{n}\n{s}\n" for n, s in seqs.items()))
    return path, seqs


def _vcf(tmp_path, records, contigs):
    text = HEAD.format(contigs="".join(f"##contig=<ID={c},length=600>\n" for c in contigs))
    path = tmp_path / "v.vcf"
    path.write_text(text + "".join("\t".join(map(str, r)) + "\t.\t.\t.\n" for r in records))
    return path


@pytest.mark.parametrize("name", ["out.vcf", "out.vcf.gz"])
def test_vcf_output_carries_the_scores_in_info_fields(model, tmp_path, name):
    from cyvcf2 import VCF

    genome, seqs = _genome(tmp_path)
    s = seqs["chr1"]
    records = [
        ("chr1", 101, "a", s[100], "A" if s[100] != "A" else "C"),
        ("chr1", 201, "b", s[200], ",".join(b for b in "ACGT" if b != s[200])),  # three ALTs
        ("chr2", 301, "c", "G" if seqs["chr2"][300] != "G" else "T", "A"),  # disagrees with the genome
    ]
    vcf = _vcf(tmp_path, records, ["chr1", "chr2"])
    score_variants(str(model), vcf, genome, tmp_path / "out.tsv")
    r = score_variants(str(model), vcf, genome, tmp_path / name)
    assert r["n_alleles"] == 5 and r["n_scored"] == 4
    tsv = list(csv.DictReader(_rows(tmp_path / "out.tsv"), delimiter="\t"))
    reader = VCF(str(tmp_path / name))
    assert "DNALM_DELTA" in reader.raw_header and "Description=" in reader.raw_header.split("DNALM_DELTA")[1]
    back = []
    for v in reader:
        deltas, status = v.INFO.get("DNALM_DELTA"), v.INFO.get("DNALM_STATUS")
        deltas = deltas if isinstance(deltas, tuple) else (deltas,)
        back += [(v.ID, d, st) for d, st in zip(deltas, status.split(","))]
    assert [b[0] for b in back] == [row["id"] for row in tsv]
    for (_, delta, status), row in zip(back, tsv):
        if row["status"] == "ok":
            assert status == "ok" and delta == pytest.approx(float(row["delta"]), abs=1e-4)
        else:
            assert delta is None and status.startswith("reference_allele_disagrees")


@pytest.mark.parametrize("genome_names, vcf_names", [(("chr1", "chr2"), ("1", "2")), (("1", "2"), ("chr1", "chr2"))])
def test_a_chr_prefix_mismatch_is_an_error_naming_both_sides(model, tmp_path, genome_names, vcf_names):
    genome, seqs = _genome(tmp_path, genome_names)
    s = seqs[genome_names[0]]
    vcf = _vcf(tmp_path, [(vcf_names[0], 101 + i, f"v{i}", s[100 + i], "N") for i in range(10)], vcf_names)
    with pytest.raises(ValueError, match="none of its 10 alleles to score") as err:
        score_variants(str(model), vcf, genome, tmp_path / "out.tsv")
    assert f"the VCF names contigs {vcf_names[0]}" in str(err.value)
    assert f"the genome has {genome_names[0]}, {genome_names[1]}: add or strip the 'chr' prefix" in str(err.value)
    assert not (tmp_path / "out.tsv").exists()


def test_some_records_on_unknown_contigs_are_a_warning_with_counts(model, tmp_path, caplog):
    genome, seqs = _genome(tmp_path)
    s = seqs["chr1"]
    records = [("chr1", 101, "a", s[100], "N"), ("2", 5, "b", "A", "C"), ("2", 6, "c", "A", "C")]
    with caplog.at_level(logging.WARNING):
        r = score_variants(str(model), _vcf(tmp_path, records, ["chr1", "2"]), genome, tmp_path / "out.tsv")
    assert r["n_scored"] == 1
    assert "2 of 3 alleles to score are on contigs not in the genome" in caplog.text and "'chr' prefix" in caplog.text
    same = [("chr1", 101, "same", s[100], s[100])]  # an ALT equal to REF was scored 'ok' with delta 0
    score_variants(str(model), _vcf(tmp_path, same, ["chr1"]), genome, tmp_path / "same.tsv")
    rows = list(csv.DictReader(_rows(tmp_path / "same.tsv"), delimiter="\t"))
    assert rows[0]["status"] == "ALT is the REF allele: no change to score" and rows[0]["delta"] == ""


def test_a_variant_whose_window_is_all_n_is_not_ok(model, tmp_path):
    genome, seqs = _genome(tmp_path, n_run=(100, 300))
    s = seqs["chr1"]
    edge = "A" if s[302] != "A" else "C"
    records = [
        ("chr1", 201, "inside", "N", "A"),
        ("chr1", 451, "outside", s[450], "N"),
        ("chr1", 303, "e", s[302], edge),
    ]
    r = score_variants(str(model), _vcf(tmp_path, records, ["chr1"]), genome, tmp_path / "out.tsv")
    rows = {row["id"]: row for row in csv.DictReader(_rows(tmp_path / "out.tsv"), delimiter="\t")}
    assert rows["inside"]["status"].startswith("window is all N") and rows["inside"]["delta"] == ""
    # scored, and said: its ALT is no base (it read a plain "ok")
    assert rows["outside"]["status"] == "ok (an allele holds N: scored as an unknown base)" and r["n_scored"] == 2
    # beside the run of N: scored on the bases the window has, and the row says how many were N (it read "ok")
    said = re.fullmatch(
        r"ok \(the window holds (\d+) of (\d+) bases as N: read as unknown bases\)", rows["e"]["status"]
    )
    assert said and 0 < int(said.group(1)) < int(said.group(2)) and rows["e"]["delta"] != ""
    assert r["by_status"] == {"window is all N": 1, "ok": 2}
    # an N allele beside the run: both said (it said only the allele, and hid the window's N from the count)
    near = [("chr1", 303, "n_near", s[302], "N")]
    score_variants(str(model), _vcf(tmp_path, near, ["chr1"]), genome, tmp_path / "near.tsv")
    row = next(csv.DictReader(_rows(tmp_path / "near.tsv"), delimiter="\t"))
    assert row["status"] == (
        f"ok (an allele holds N: scored as an unknown base; the window holds {said.group(1)} of {said.group(2)} "
        "bases as N besides the allele: read as unknown bases)"
    )


def _rows(path):
    """The TSV's lines after its ``#`` line (which says what the scores are)."""
    return [line for line in open(path) if not line.startswith("#")]


@pytest.mark.parametrize(
    "record, problem",
    [
        ("chr1\tabc\tv1\tT\tA\t.\t.\t.", "position 'abc' is not a whole number"),
        ("chr1\t0\tv1\tT\tA\t.\t.\t.", "position '0' is not a whole number"),
        ("chr1\t5\tv1\tT", "4 tab-separated columns"),
        ("chr1\t5\tv1\t\tA\t.\t.\t.", "no reference allele"),
    ],
)
def test_a_record_htslib_cannot_parse_is_one_error_naming_line_and_record(model, tmp_path, record, problem):
    """Without ##contig lines htslib hands back such a record and reading its fields crashed the process."""
    genome, _ = _genome(tmp_path)
    vcf = tmp_path / "bad.vcf"
    vcf.write_text(HEAD.format(contigs="") + "chr1\t7\tok\tA\tC\t.\t.\t.\n" + record + "\n")
    with pytest.raises(ValueError, match=rf"bad.vcf:4: VCF record 2: {problem}"):
        score_variants(str(model), vcf, genome, tmp_path / "out.tsv")
    assert not (tmp_path / "out.tsv").exists()


def test_a_substitution_as_long_as_the_window_is_scored_an_indel_is_not(model, tmp_path):
    genome, seqs = _genome(tmp_path)
    s = seqs["chr1"]
    records = [("chr1", 101, "snv", s[100], "A" if s[100] != "A" else "C"), ("chr1", 201, "del", s[200:202], s[200])]
    vcf = _vcf(tmp_path, records, ["chr1"])
    score_variants(str(model), vcf, genome, tmp_path / "out.tsv", window=1)
    rows = {row["id"]: row for row in csv.DictReader(_rows(tmp_path / "out.tsv"), delimiter="\t")}
    assert rows["snv"]["status"] == "ok"
    assert rows["del"]["status"] == (  # it said "indel of 2 bases" of a deletion of 1
        "deletion of 1 base, whose REF allele of 2 bases is as long as the 1-base window or longer"
    )


def test_a_vcf_with_undeclared_info_and_filter_is_written_with_them_declared(model, tmp_path, caplog):
    """Minimal VCFs use INFO keys and FILTER values their header does not declare: -o out.vcf failed after all the
    scoring with htslib's 'variant to be written has errorcode: 3'."""
    from cyvcf2 import VCF

    genome, seqs = _genome(tmp_path)
    s = seqs["chr1"]
    vcf = tmp_path / "v.vcf"
    vcf.write_text(HEAD.format(contigs="") + f"chr1\t101\ta\t{s[100]}\t{'A' if s[100] != 'A' else 'C'}\t.\tq10\tDP=5\n")
    with caplog.at_level(logging.WARNING):
        r = score_variants(str(model), vcf, genome, tmp_path / "out.vcf")
    assert r["n_scored"] == 1 and "INFO DP; FILTER q10" in caplog.text
    (back,) = list(VCF(str(tmp_path / "out.vcf")))
    assert back.FILTER == "q10" and back.INFO.get("DP") == "5" and back.INFO.get("DNALM_STATUS") == "ok"


def test_a_vcf_read_from_a_pipe_is_scored_and_a_byte_order_mark_is_named(model, tmp_path):
    """A FIFO VCF hung (htslib opened it a second time); a BOM read as 'no #CHROM header line'."""
    import os
    import threading

    genome, seqs = _genome(tmp_path)
    s = seqs["chr1"]
    text = HEAD.format(contigs="") + f"chr1\t101\ta\t{s[100].lower()}\t{'A' if s[100] != 'A' else 'C'}\t.\t.\t.\n"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(text,))
    writer.start()
    r = score_variants(str(model), fifo, genome, tmp_path / "out.tsv")
    writer.join()
    (row,) = csv.DictReader(_rows(tmp_path / "out.tsv"), delimiter="\t")
    assert r["n_scored"] == 1 and row["ref"] == s[100].lower()  # scored in upper case, written as given
    bom = tmp_path / "bom.vcf"
    bom.write_text("\ufeff" + text, encoding="utf-8")
    with pytest.raises(ValueError, match="bom.vcf:1: the file starts with a UTF-8 byte-order mark"):
        score_variants(str(model), bom, genome, tmp_path / "b.tsv")
    with pytest.raises(ValueError, match=r"^/dev/null: empty file \(a VCF starts"):  # not the temporary copy's name
        score_variants(str(model), "/dev/null", genome, tmp_path / "n.tsv")
    (bad := tmp_path / "bad").unlink(missing_ok=True)
    os.mkfifo(bad)
    writer = threading.Thread(target=bad.write_text, args=("##fileformat=VCFv4.2\n#CHROM\tPOS\n",))
    writer.start()
    with pytest.raises(ValueError, match=rf"^{bad}:2: the #CHROM header line needs 8"):
        score_variants(str(model), bad, genome, tmp_path / "f.tsv")
    writer.join()


def test_a_deletion_past_the_contig_end_and_a_contig_shorter_than_the_window_are_said(model, tmp_path):
    genome, seqs = _genome(tmp_path)
    tiny = tmp_path / "tiny.fa"
    tiny.write_text(genome.read_text() + ">tiny\nACGTACGT\n")
    s = seqs["chr1"]
    records = [("chr1", 600, "end", s[599] + "A", s[599]), ("tiny", 8, "short", "T", "TAAAA")]
    vcf = _vcf(tmp_path, records, ["chr1", "tiny"])
    score_variants(str(model), vcf, tiny, tmp_path / "out.tsv", window=40)
    rows = {row["id"]: row["status"] for row in csv.DictReader(_rows(tmp_path / "out.tsv"), delimiter="\t")}
    assert rows["end"] == "reference allele runs past the end of contig chr1 (600 bases)"
    assert rows["short"] == "contig tiny is shorter than the 40-base window (8 bases; --window 8 scores it)"


@pytest.mark.parametrize("tail", ["\n", "\nchr1\t9\tv2\tA\tC\t.\t.\t.\n"])
def test_a_blank_line_in_a_vcf_is_one_error_naming_it(model, tmp_path, tail):
    """htslib hands back an empty record for a blank line, and reading its fields killed the process (SIGSEGV)."""
    genome, _ = _genome(tmp_path)
    vcf = tmp_path / "blank.vcf"
    vcf.write_text(HEAD.format(contigs="") + "chr1\t7\tok\tA\tC\t.\t.\t.\n" + tail)
    with pytest.raises(ValueError, match=r"blank.vcf:4: a blank line; a VCF has none"):
        score_variants(str(model), vcf, genome, tmp_path / "out.tsv")
    assert not (tmp_path / "out.tsv").exists()


def test_a_header_line_among_the_records_is_one_error_naming_it(model, tmp_path):
    """Two VCFs joined with their headers: htslib could not parse the position 'POS', then the process died with a
    segmentation fault and left its lock behind."""
    genome, _ = _genome(tmp_path)
    vcf = tmp_path / "joined.vcf"
    head = HEAD.format(contigs="")
    vcf.write_text(
        head + "chr1\t7\tok\tA\tC\t.\t.\t.\n" + head.splitlines(keepends=True)[-1] + "chr1\t9\tv2\tA\tC\t.\t.\t.\n"
    )
    with pytest.raises(ValueError, match=r"joined.vcf:4: a header line after 1 record\(s\) \(VCFs joined"):
        score_variants(str(model), vcf, genome, tmp_path / "out.tsv")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["joined.vcf", genome.name])  # no lock left


def test_a_vcf_without_its_fileformat_line_is_named_as_such(model, tmp_path):
    """htslib's own text was "not valid bcf or vcf (format: 2 mode: r)", naming no line and no cause."""
    genome, _ = _genome(tmp_path)
    vcf = tmp_path / "nohead.vcf"
    vcf.write_text("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t7\tok\tA\tC\t.\t.\t.\n")
    with pytest.raises(ValueError, match=r"nohead.vcf:1: a VCF starts with its ##fileformat line"):
        score_variants(str(model), vcf, genome, tmp_path / "out.tsv")
    (tmp_path / "empty.vcf").write_text("")  # "not valid bcf or vcf (format: 15 mode: r)"
    with pytest.raises(ValueError, match=r"empty.vcf: empty file \(a VCF starts with its ##fileformat line"):
        score_variants(str(model), tmp_path / "empty.vcf", genome, tmp_path / "out.tsv")
    (tmp_path / "nochrom.vcf").write_text("##fileformat=VCFv4.2\n")
    with pytest.raises(ValueError, match=r"nochrom.vcf: no #CHROM header line"):
        score_variants(str(model), tmp_path / "nochrom.vcf", genome, tmp_path / "out.tsv")


def test_vcf_output_keeps_every_input_value_as_written_and_a_rescore_replaces_dnalms_fields(model, tmp_path):
    """htslib rewrote the user's QUAL and Float INFO values at 32-bit precision (29.123456789 -> 29.1235, AF
    0.333333333 -> 0.333333); scoring dnalm's own output again wrote a second copy of its header lines."""
    genome, seqs = _genome(tmp_path)
    s = seqs["chr1"]
    alt = "A" if s[100] != "A" else "C"
    vcf = tmp_path / "v.vcf"
    info = '##INFO=<ID=AF,Number=A,Type=Float,Description="af">\n'
    record = f"chr1\t101\trs1\t{s[100]}\t{alt}\t29.123456789\tPASS\tAF=0.333333333;XX=1\tGT\t0/1\n"
    vcf.write_text(HEAD.format(contigs=info).replace("INFO\n", "INFO\tFORMAT\ts1\n") + record)
    score_variants(str(model), vcf, genome, tmp_path / "out.vcf")
    out = (tmp_path / "out.vcf").read_text().splitlines()
    fields = out[-1].split("\t")
    assert fields[:7] == record.split("\t")[:7] and fields[8:] == ["GT", "0/1"]
    assert fields[7].startswith("AF=0.333333333;XX=1;DNALM_REF=") and fields[7].endswith("DNALM_STATUS=ok")
    assert sum(line.startswith("##INFO=<ID=XX,") for line in out) == 1  # declared, as bcftools does
    score_variants(str(model), tmp_path / "out.vcf", genome, tmp_path / "again.vcf.gz")
    import gzip

    raw = (tmp_path / "again.vcf.gz").read_bytes()
    assert raw[12:14] == b"BC"  # bgzip (BGZF) blocks: tabix can index it
    assert gzip.decompress(raw).decode().splitlines() == out  # the same fields, once


@pytest.mark.parametrize(
    ("header", "record", "message"),
    [
        (
            "#CHROM POS ID REF ALT QUAL FILTER INFO",
            "chr1\t100\tx\t{ref}\tN\t.\t.\t.",
            r"v.vcf:2: the #CHROM header line "
            r"needs 8 tab-separated columns \(CHROM POS ID REF ALT QUAL FILTER INFO\); got 1",
        ),
        ("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER", "chr1\t100\tx\t{ref}\tN\t.\t.", "got 7"),
        (
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
            "chr1\t99999999999\tx\tA\tC\t.\t.\t.",
            r"v.vcf:3: VCF record 1: position 99999999999 is beyond what a VCF position holds",
        ),  # was wrapped
    ],
)
def test_a_vcf_htslib_cannot_read_is_one_line_naming_the_file(genome, tmp_path, header, record, message):
    pytest.importorskip("cyvcf2")
    root, contigs = genome
    (tmp_path / "v.vcf").write_text(f"##fileformat=VCFv4.2\n{header}\n{record.format(ref=contigs['chr1'][99])}\n")
    result = _run("variants", root / "m", tmp_path / "v.vcf", "--genome", root / "g.fa", "-o", tmp_path / "v.tsv")
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and re.search(message, result.output), result.output


def test_a_truncated_vcf_gz_is_said_so(genome, tmp_path):
    pytest.importorskip("cyvcf2")
    root, contigs = genome
    text = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    text += "".join(f"chr1\t{p}\tv{p}\t{contigs['chr1'][p - 1]}\tN\t.\t.\t.\n" for p in range(100, 400))
    data = gzip.compress(text.encode())
    (tmp_path / "v.vcf.gz").write_bytes(data[: len(data) // 2])
    result = _run("variants", root / "m", tmp_path / "v.vcf.gz", "--genome", root / "g.fa", "-o", tmp_path / "v.tsv")
    assert result.exit_code == 2 and "v.vcf.gz: truncated or corrupt compressed data" in result.output


def test_htslib_warnings_on_a_minimal_vcf_are_not_printed(genome, tmp_path):
    """A VCF without ##contig, FILTER or INFO lines printed htslib's raw [W::vcf_parse] lines (C-level stderr)."""
    import subprocess
    import sys

    pytest.importorskip("cyvcf2")
    root, contigs = genome
    (tmp_path / "v.vcf").write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"chr1\t100\tx\t{contigs['chr1'][99]}\tN\t.\tLowQ\tFOO=1\n"
    )
    args = ["variants", root / "m", tmp_path / "v.vcf", "--genome", root / "g.fa", "-o", tmp_path / "v.tsv"]
    done = subprocess.run(
        [sys.executable, "-m", "dnalm", "-q", *map(str, args)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "[W::" not in done.stderr and "[E::" not in done.stderr, done.stderr
