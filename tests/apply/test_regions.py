"""--regions for scan and predict: BED and chr:start-end on an indexed genome (pyfaidx), checked; scan's refusal
of two records of one name; a regions file never written over, an index made for another file not read, a bad base,
uneven lines or a plain file named .gz said in one line."""

from __future__ import annotations

import csv
import hashlib
import logging
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dnalm.apply.evaluate import predict_file
from dnalm.apply.scan import scan_genome
from dnalm.cli import app
from tests.conftest import _run, _wrap

pytest.importorskip("pyfaidx")


def _genome(tmp_path, names=("chr1", "chr2"), length=1000):
    rng = np.random.default_rng(0)
    seqs = {n: np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, length)].tobytes().decode() for n in names}
    path = tmp_path / "g.fa"
    path.write_text(
        "".join(f">{n} x\n" + "".join(s[i : i + 60] + "\n" for i in range(0, len(s), 60)) for n, s in seqs.items())
    )
    return path, seqs


def _bedgraph(path):
    return [
        (c, int(a), int(b), float(s))
        for c, a, b, s in (line.split("\t") for line in path.read_text().splitlines() if not line.startswith("track"))
    ]


def test_scan_scores_only_the_regions_in_genome_coordinates(model, tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    genome, _seqs = _genome(tmp_path)
    bed = tmp_path / "r.bed"
    bed.write_text("track name=x\nchr2\t100\t400\tpeak\nchr1\t500\t700\n")
    with caplog.at_level(logging.INFO):
        r = scan_genome(str(model), genome, tmp_path / "s.bedGraph", stride=20, regions=[str(bed), "chr1:601-800"])
    assert (
        not (tmp_path / "g.fa.fai").exists() and "no up-to-date .fai index beside it: indexing it into" in caplog.text
    )
    assert len(list((tmp_path / "cache" / "dnalm" / "fai").glob("g.fa.*.fai"))) == 1  # nothing beside the genome
    assert "3 regions given, overlapping ones merged: 2 scanned" in caplog.text
    rows = _bedgraph(tmp_path / "s.bedGraph")
    assert [x[0] for x in rows] == sorted((x[0] for x in rows), key=["chr1", "chr2"].index)  # genome order
    for chrom, lo, hi in (("chr1", 500, 800), ("chr2", 100, 400)):
        mine = [x for x in rows if x[0] == chrom]
        assert mine and lo <= mine[0][1] and mine[-1][2] <= hi and mine[0][1] == lo + 20
    # the same windows scored on the whole genome give the same scores at those positions
    scan_genome(str(model), genome, tmp_path / "all.bedGraph", stride=20)
    whole = {(c, a): s for c, a, b, s in _bedgraph(tmp_path / "all.bedGraph")}
    shared = [(c, a, s) for c, a, b, s in rows if (c, a) in whole]
    assert len(shared) > 10 and all(whole[(c, a)] == pytest.approx(s, abs=1e-4) for c, a, s in shared)
    assert r.n_windows == len(rows)
    assert r.describe().startswith("scanned 2 region(s), 600 bases")  # it said 2 contig(s) for 2 regions
    assert "bases of each region, and those beside runs of N" in caplog.text  # its warnings said "contig" too


def test_predict_writes_one_row_per_region_named(model, tmp_path):
    genome, seqs = _genome(tmp_path)
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t0\t60\tfirst\nchr2\t10\t130\n")
    n = predict_file(str(model), genome, tmp_path / "p.tsv", regions=[str(bed), "chr1:101-160"])
    rows = list(csv.DictReader(open(tmp_path / "p.tsv"), delimiter="\t"))
    assert n == 3 and [r["id"] for r in rows] == ["first", "chr2:11-130", "chr1:101-160"]
    # where each region lies, as BED writes it: a BED name alone ("first") could not be joined back to its region
    assert list(rows[0])[:5] == ["id", "chrom", "start", "end", "strand"]
    assert [(r["chrom"], r["start"], r["end"], r["strand"]) for r in rows] == [
        ("chr1", "0", "60", "."),
        ("chr2", "10", "130", "."),
        ("chr1", "100", "160", "."),
    ]
    direct = tmp_path / "d.fa"
    direct.write_text(f">first\n{seqs['chr1'][:60]}\n>b\n{seqs['chr2'][10:130]}\n>c\n{seqs['chr1'][100:160]}\n")
    predict_file(str(model), direct, tmp_path / "d.tsv")
    want = list(csv.DictReader(open(tmp_path / "d.tsv"), delimiter="\t"))
    assert [r["prob_1"] for r in rows] == [r["prob_1"] for r in want]


@pytest.mark.parametrize(
    "spec, match",
    [
        ("1:1-100", r"contig 1 is not in g.fa .*the genome has chr1, chr2: add or strip the 'chr' prefix"),
        ("chrZ:1-100", r"contig chrZ is not in g.fa .*the genome has chr1, chr2 \(none of them\)"),
        ("chr1:1-1001", r"region chr1:1-1001 ends at 1001, beyond the end of chr1 \(1,000 bases\)"),
        ("chr1:50-10", r"start must be at least 1 and not after the end"),
    ],
)
def test_bad_region_strings_are_named(model, tmp_path, spec, match):
    genome, _ = _genome(tmp_path)
    with pytest.raises(ValueError, match=match):
        scan_genome(str(model), genome, tmp_path / "s.bedGraph", regions=[spec])
    assert not (tmp_path / "s.bedGraph").exists()


@pytest.mark.parametrize(
    "line, match",
    [
        ("chr1\t300\t300", r"r.bed:2: start 300 must be at least 0 and before end 300"),
        ("chr1\t900\t1200", r"r.bed:2: region chr1:901-1200 ends at 1200, beyond the end of chr1"),
        ("chr1\tx\t10", r"r.bed:2: start and end must be whole numbers"),
    ],
)
def test_bad_bed_lines_name_the_file_and_line(model, tmp_path, line, match):
    genome, _ = _genome(tmp_path)
    (tmp_path / "r.bed").write_text(f"chr1\t0\t100\n{line}\n")
    with pytest.raises(ValueError, match=match):
        predict_file(str(model), genome, tmp_path / "p.tsv", regions=[str(tmp_path / "r.bed")])


def test_bgzip_genomes_are_read_and_plain_gzip_is_refused_naming_the_command(model, tmp_path):
    import gzip

    bgzf = pytest.importorskip("Bio.bgzf")
    genome, _seqs = _genome(tmp_path)
    writer = bgzf.BgzfWriter(str(tmp_path / "g.fa.gz"), "wb")
    writer.write(genome.read_bytes())
    writer.close()
    predict_file(str(model), tmp_path / "g.fa.gz", tmp_path / "p.tsv", regions=["chr2:1-60"])
    predict_file(str(model), genome, tmp_path / "q.tsv", regions=["chr2:1-60"])
    assert (tmp_path / "p.tsv").read_text() == (tmp_path / "q.tsv").read_text()
    (tmp_path / "z.fa.gz").write_bytes(gzip.compress(genome.read_bytes()))
    with pytest.raises(ValueError, match=r"z.fa.gz: gzip-compressed but not bgzip.*`zcat .*z.fa.gz \| bgzip >"):
        predict_file(str(model), tmp_path / "z.fa.gz", tmp_path / "p.tsv", regions=["chr2:1-60"])


def test_scan_and_predict_commands_take_regions(model, tmp_path):
    genome, _ = _genome(tmp_path)
    res = CliRunner().invoke(
        app,
        [
            "scan",
            str(model),
            str(genome),
            "-o",
            str(tmp_path / "s.bg"),
            "--regions",
            "chr2:1-200",
            "--regions",
            "chr1:1-100",
        ],
    )
    assert res.exit_code == 0, res.output
    assert {
        line.split("\t")[0] for line in (tmp_path / "s.bg").read_text().splitlines() if not line.startswith("track")
    } == {"chr1", "chr2"}
    res = CliRunner().invoke(
        app, ["predict", str(model), str(genome), "-o", str(tmp_path / "p.tsv"), "--regions", "2:1-100"]
    )
    assert res.exit_code == 2 and "add or strip the 'chr' prefix" in res.output


def test_scan_refuses_two_records_of_one_name(model, tmp_path):
    genome, seqs = _genome(tmp_path)
    genome.write_text(genome.read_text() + f">chr1 again\n{seqs['chr2']}\n")
    with pytest.raises(ValueError, match=r"g.fa:\d+: record 'chr1' comes twice \(first at line 1\)"):
        scan_genome(str(model), genome, tmp_path / "s.bedGraph")
    assert not (tmp_path / "s.bedGraph").exists()


def test_scan_reads_a_genome_from_a_fifo(model, tmp_path):
    import os
    import threading

    genome, _ = _genome(tmp_path)
    scan_genome(str(model), genome, tmp_path / "file.bedGraph", stride=30)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(genome.read_bytes()), daemon=True)
    writer.start()
    r = scan_genome(str(model), fifo, tmp_path / "fifo.bedGraph", stride=30)
    assert r.n_windows > 0 and (tmp_path / "fifo.bedGraph").read_text() == (tmp_path / "file.bedGraph").read_text()


def test_a_stale_index_beside_the_genome_is_never_read(tmp_path, monkeypatch, caplog):
    """An index older than its FASTA (the FASTA rewrapped or edited since) would hand out the wrong bases."""
    import os

    import pyfaidx

    from dnalm.io.regions import IndexedGenome, parse_regions

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    genome, seqs = _genome(tmp_path)
    pyfaidx.Faidx(str(genome))  # the user's own index, up to date: read, not replaced
    region = parse_regions(["chr1:1001-1100"])[0]
    assert IndexedGenome(genome).fetch(region) == seqs["chr1"][1000:1100]
    assert not (tmp_path / "cache").exists()
    genome.write_text(
        "".join(f">{n}\n" + "".join(s[i : i + 80] + "\n" for i in range(0, len(s), 80)) for n, s in seqs.items())
    )
    old = genome.stat().st_mtime - 60
    os.utime(f"{genome}.fai", (old, old))
    before = (tmp_path / "g.fa.fai").read_bytes()
    with caplog.at_level(logging.WARNING):
        assert IndexedGenome(genome).fetch(region) == seqs["chr1"][1000:1100]
    assert "is older than" in caplog.text and (tmp_path / "g.fa.fai").read_bytes() == before


def test_a_region_on_the_minus_strand_is_predicted_on_that_strand(model, tmp_path, caplog):
    """predict --regions gave a '-' region (BED column 6) its '+' strand's score: the strand was read past."""
    from dnalm.io.sequence import reverse_complement

    genome, seqs = _genome(tmp_path)
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t100\t300\tplus\t0\t+\nchr1\t100\t300\tminus\t0\t-\n")
    predict_file(str(model), genome, tmp_path / "p.tsv", regions=[str(bed)], reverse_complement_average=False)
    rows = {r["id"]: r for r in csv.DictReader(open(tmp_path / "p.tsv"), delimiter="\t")}
    direct = tmp_path / "d.fa"
    direct.write_text(f">plus\n{seqs['chr1'][100:300]}\n>minus\n{reverse_complement(seqs['chr1'][100:300])}\n")
    predict_file(str(model), direct, tmp_path / "d.tsv", reverse_complement_average=False)
    want = {r["id"]: r for r in csv.DictReader(open(tmp_path / "d.tsv"), delimiter="\t")}
    assert rows["minus"]["prob_1"] == want["minus"]["prob_1"] != rows["plus"]["prob_1"] == want["plus"]["prob_1"]
    assert rows["minus"]["strand"] == "-" and rows["plus"]["strand"] == "+"
    bed.write_text("chr1\t100\t300\tx\t0\tup\n")
    with pytest.raises(Exception, match=r"r.bed:1: strand \(column 6\) must be \+, - or \.; got 'up'"):
        predict_file(str(model), genome, tmp_path / "q.tsv", regions=[str(bed)])


def test_a_contig_named_like_a_bed_header_is_data_and_regions_may_come_from_a_pipe(model, tmp_path, monkeypatch):
    """A BED line on contig 'track2' was skipped as a track header (one prediction of two, no word); a BED from a
    pipe read as 'neither a BED file nor chr:start-end'; a piped genome with --regions as 'no such genome'."""
    import os
    import threading

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    genome, _ = _genome(tmp_path, names=("chr1", "track2"))
    bed = "track name=x\nchr1\t0\t60\ntrack2\t0\t60\n"
    fifo = tmp_path / "bed.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(bed,), daemon=True)
    writer.start()
    assert predict_file(str(model), genome, tmp_path / "p.tsv", regions=[str(fifo)]) == 2
    rows = list(csv.DictReader(open(tmp_path / "p.tsv"), delimiter="\t"))
    assert [r["id"] for r in rows] == ["chr1:1-60", "track2:1-60"]
    piped = tmp_path / "genome.fifo"
    os.mkfifo(piped)
    with pytest.raises(ValueError, match="a pipe cannot be read by region; --regions needs the genome as a file"):
        scan_genome(str(model), piped, tmp_path / "s.bedGraph", regions=["chr1:1-60"])


def _bgzip(src, dest):
    bgzf = pytest.importorskip("Bio.bgzf")
    writer = bgzf.BgzfWriter(str(dest), "wb")
    writer.write(src.read_bytes())
    writer.close()
    return dest


def test_a_bgzip_index_made_for_another_file_is_not_read(tmp_path, monkeypatch, caplog):
    """A genome replaced by a copy that keeps an old time stamp (cp -p, wget) left its index looking current: a
    bgzip FASTA's index was trusted unchecked and --regions read 61 wrong bases for a 60-base region."""
    import os
    import shutil

    import pyfaidx

    from dnalm.io.regions import IndexedGenome, parse_regions

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "old").mkdir()
    old_plain, _ = _genome(tmp_path / "old", length=1000)
    old = _bgzip(old_plain, tmp_path / "old" / "g.fa.gz")
    pyfaidx.Faidx(str(old))
    genome, seqs = _genome(tmp_path, names=("chr1",), length=1400)
    new = _bgzip(genome, tmp_path / "g.fa.gz")
    for suffix in (".fai", ".gzi"):
        shutil.copy(f"{old}{suffix}", f"{new}{suffix}")
        os.utime(f"{new}{suffix}")
    region = parse_regions(["chr1:901-960"])[0]
    with caplog.at_level(logging.WARNING):
        assert IndexedGenome(new).fetch(region) == seqs["chr1"][900:960]
    assert "does not describe" in caplog.text
    caplog.clear()
    for suffix in (".fai", ".gzi"):
        os.unlink(f"{new}{suffix}")
    pyfaidx.Faidx(str(new))  # its own index: read, and said nothing about
    with caplog.at_level(logging.WARNING):
        assert IndexedGenome(new).fetch(region) == seqs["chr1"][900:960]
    assert not caplog.text


def test_an_index_that_leaves_out_the_last_record_is_not_read(tmp_path, monkeypatch, caplog):
    import os

    import pyfaidx

    from dnalm.io.regions import IndexedGenome, parse_regions

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    genome, seqs = _genome(tmp_path)
    pyfaidx.Faidx(str(genome))
    fai = tmp_path / "g.fa.fai"
    fai.write_text(fai.read_text().splitlines()[0] + "\n")  # chr2 left out
    os.utime(fai)
    with caplog.at_level(logging.WARNING):
        assert IndexedGenome(genome).fetch(parse_regions(["chr2:1-60"])[0]) == seqs["chr2"][:60]
    assert "the file goes on after record chr1" in caplog.text


def test_old_mac_line_ends_are_named_and_colons_in_contig_names_are_read(model, tmp_path):
    seq = "ACGT" * 40
    (tmp_path / "cr.fa").write_bytes(b">chrA\r" + seq[:80].encode() + b"\r" + seq[80:].encode() + b"\r")
    with pytest.raises(ValueError, match=r"cr.fa: its lines end in a bare carriage return"):
        predict_file(str(model), tmp_path / "cr.fa", tmp_path / "p.tsv", regions=["chrA:1-60"])
    (tmp_path / "hla.fa").write_text(f">HLA-A*01:01:01:01\n{seq}\n")
    predict_file(str(model), tmp_path / "hla.fa", tmp_path / "h.tsv", regions=["HLA-A*01:01:01:01:1-60"])
    assert (tmp_path / "h.tsv").read_text().splitlines()[1].startswith("HLA-A*01:01:01:01:1-60\t")


@pytest.mark.parametrize("change", [-40, +40])
def test_an_index_whose_lengths_are_wrong_but_offsets_right_is_not_read(tmp_path, monkeypatch, caplog, change):
    """An index giving chr1 fewer bases refused a region at its real end ('beyond the end of chr1'); one giving it
    more read into chr2's header and blamed the genome ("'>' is not a nucleotide code")."""
    import os

    import pyfaidx

    from dnalm.io.regions import IndexedGenome, parse_regions

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    genome, seqs = _genome(tmp_path)
    pyfaidx.Faidx(str(genome))
    fai = tmp_path / "g.fa.fai"
    rows = [line.split("\t") for line in fai.read_text().splitlines()]
    rows[0][1] = str(int(rows[0][1]) + change)  # chr1's length, its offset and line widths left as they are
    fai.write_text("".join("\t".join(r) + "\n" for r in rows))
    os.utime(fai)
    n = len(seqs["chr1"])
    with caplog.at_level(logging.WARNING):
        assert IndexedGenome(genome).fetch(parse_regions([f"chr1:{n - 59}-{n}"])[0]) == seqs["chr1"][-60:]
    assert "record chr1: the next header does not follow its" in caplog.text


def test_an_index_cache_that_cannot_be_written_falls_back_to_one_temporary_folder(tmp_path, monkeypatch):
    """A read-only ~/.cache/dnalm/fai failed the run with pyfaidx's advice ("use Fasta(rebuild=False)"); a cache
    that could not be made fell back to a new temporary folder at every run, never removed."""
    import os

    from dnalm.io import regions

    cache = tmp_path / "home" / "dnalm" / "fai"
    cache.mkdir(parents=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(regions.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    real_access = os.access
    monkeypatch.setattr(regions.os, "access", lambda p, mode: Path(p) != cache and real_access(p, mode))
    first = regions._writable_cache("g.fa", "k")
    assert first.parent == tmp_path / "tmp" and regions._writable_cache("g.fa", "k") == first
    monkeypatch.setattr(regions.os, "access", real_access)
    assert regions._writable_cache("g.fa", "k") == cache


def test_a_bed12_region_of_several_blocks_is_read_whole_and_said(tmp_path, caplog):
    """A 12-column BED (a transcript's exons) was scored over its whole span, introns included, without a word."""
    from dnalm.io.regions import parse_regions

    bed = tmp_path / "tx.bed"
    bed.write_text(
        "chr1\t100\t900\ttx1\t0\t+\t100\t900\t0\t2\t100,200,\t0,600,\n"
        "chr1\t100\t300\ttx2\t0\t+\t100\t300\t0\t1\t200,\t0,\n"
    )
    with caplog.at_level(logging.WARNING):
        regions = parse_regions([str(bed)])
    assert [(r.start, r.end) for r in regions] == [(100, 900), (100, 300)]
    assert "1 region(s) have several blocks (BED12 blockCount, first at line 1)" in caplog.text


def test_the_index_cache_is_made_only_where_it_belongs(tmp_path, monkeypatch):
    """HOME=/nonexistent (a service account's) was made, at the root, to hold the cache; a relative XDG_CACHE_HOME
    put it in the working folder; a shared temporary folder another user made was used."""
    import os

    from dnalm.io import regions

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(regions.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "no" / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relcache")
    assert regions._writable_cache("g.fa", "k") == tmp_path / "tmp" / f"dnalm-fai-{os.getuid()}"
    assert not (tmp_path / "no").exists() and not (tmp_path / "relcache").exists()
    os.chmod(tmp_path / "tmp" / f"dnalm-fai-{os.getuid()}", 0o777)  # open to anyone: not trusted
    assert regions._writable_cache("g.fa", "k").name.startswith("dnalm-fai-")
    assert regions._writable_cache("g.fa", "k") != tmp_path / "tmp" / f"dnalm-fai-{os.getuid()}"
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert regions._writable_cache("g.fa", "k") == tmp_path / "home" / ".cache" / "dnalm" / "fai"


def test_a_cached_index_that_does_not_describe_the_genome_is_made_again(tmp_path, monkeypatch, caplog):
    """An index in the cache folder was read as it was: one damaged or put there by someone else gave wrong bases."""
    from dnalm.io.regions import IndexedGenome, parse_regions

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    seq = "ACGT" * 30 + "GGGG" * 30
    (tmp_path / "g.fa").write_text(">chr1\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n")
    first = IndexedGenome(tmp_path / "g.fa")
    (region,) = parse_regions(["chr1:121-130"])
    assert first.fetch(region) == seq[120:130]
    (index,) = (tmp_path / "cache" / "dnalm" / "fai").glob("g.fa.*.fai")
    index.write_text("chr1\t240\t20\t60\t61\n")  # offsets of another file
    assert IndexedGenome(tmp_path / "g.fa").fetch(region) == seq[120:130]
    assert "does not describe" in caplog.text


def test_a_table_given_where_regions_read_a_genome_is_named_as_a_table(tmp_path, monkeypatch):
    """`predict M table.csv --regions ...` gave pyfaidx's "Unexpected text before the first sequence definition
    line", which said neither that --regions needs a genome FASTA nor that a table is read without it."""
    from dnalm.io.regions import IndexedGenome

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    table = tmp_path / "test.csv"
    table.write_text("sequence,label\nACGTACGT,1\n")
    with pytest.raises(ValueError, match=r"test.csv: not a FASTA file .*--regions reads regions of a genome FASTA"):
        IndexedGenome(table)


def test_a_record_name_twice_in_a_genome_read_by_region_is_named_with_its_lines(tmp_path, monkeypatch):
    """`predict --regions` gave pyfaidx's 'Duplicate key "chr1"', with no line and no fix (scan names both lines)."""
    from dnalm.io.regions import IndexedGenome

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "dup.fa").write_text(">chr1\nACGTACGTAC\n>chr2\nACGTACGTAC\n>chr1 again\nACGTACGTAC\n")
    with pytest.raises(ValueError, match=r"dup.fa:5: record 'chr1' comes twice \(first at line 1\); --regions reads"):
        IndexedGenome(tmp_path / "dup.fa")


def test_a_regions_file_is_an_input_never_written_over(genome, tmp_path):
    root, _ = genome
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t10\t100\n")
    before = hashlib.sha256(bed.read_bytes()).hexdigest()
    for args in (
        ["scan", root / "m", root / "g.fa", "--regions", bed, "-o", bed],
        ["scan", root / "m", root / "g.fa", "--regions", bed, "-o", tmp_path / "s.bg", "--peaks", bed],
        ["predict", root / "m", root / "g.fa", "--regions", bed, "-o", bed],
    ):
        result = _run(*args, "--overwrite")
        assert result.exit_code == 2 and f"output {bed} is the input {bed}" in result.output, result.output
    assert hashlib.sha256(bed.read_bytes()).hexdigest() == before


def test_an_index_beside_the_genome_made_for_another_file_is_not_read(genome, tmp_path):
    """A .fai newer than the FASTA but made for its 60-column twin: the regions came back shifted and short."""
    import os

    root, contigs = genome
    right = _run(
        "predict",
        root / "m",
        root / "g.fa",
        "--regions",
        "chr1:101-160",
        "--regions",
        "chr2:1-60",
        "-o",
        tmp_path / "right.tsv",
    )
    assert right.exit_code == 0, right.output
    rewrapped = tmp_path / "g50.fa"
    rewrapped.write_text("".join(f">{name}\n{_wrap(seq, 50)}\n" for name, seq in contigs.items()))
    sixty = tmp_path / "g.fa"
    sixty.write_text((root / "g.fa").read_text())
    from dnalm.io.regions import IndexedGenome

    IndexedGenome(sixty)  # an index for the 60-column file (in the cache); write one beside the twin, newer
    (tmp_path / "g50.fa.fai").write_text(
        "chr1\t500\t6\t60\t61\nchr2\t300\t521\t60\t61\n"  # offsets and lines of the 60-column layout
    )
    os.utime(tmp_path / "g50.fa.fai", (rewrapped.stat().st_mtime + 10,) * 2)
    result = _run(
        "predict",
        root / "m",
        rewrapped,
        "--regions",
        "chr1:101-160",
        "--regions",
        "chr2:1-60",
        "-o",
        tmp_path / "twin.tsv",
    )
    assert result.exit_code == 0, result.output
    assert "g50.fa.fai does not describe" in result.output and "not read" in result.output
    assert (tmp_path / "twin.tsv").read_text() == (tmp_path / "right.tsv").read_text()
    assert (tmp_path / "g50.fa.fai").read_text().startswith("chr1\t500\t6\t60")  # the user's file stays


def test_a_bad_base_read_by_region_is_named_by_file_contig_and_position(genome, tmp_path):
    root, contigs = genome
    bad = contigs["chr2"][:20] + "-" + contigs["chr2"][21:]
    (tmp_path / "g.fa").write_text(f">chr1\n{_wrap(contigs['chr1'], 60)}\n>chr2\n{_wrap(bad, 60)}\n")
    for command in ("predict", "scan"):
        result = _run(command, root / "m", tmp_path / "g.fa", "--regions", "chr2:11-70", "-o", tmp_path / "o")
        assert result.exit_code == 2
        assert "g.fa: record 'chr2', position 21 (region chr2:11-70): '-' is not a nucleotide code" in result.output


def test_a_genome_of_uneven_lines_read_by_region_says_how_to_mend_it(genome, tmp_path):
    """pyfaidx's own text ('Line length of fasta file is not consistent!') gave no way on."""
    root, contigs = genome
    (tmp_path / "g.fa").write_text(f">chr1\n{contigs['chr1'][:60]}\n{contigs['chr1'][60:90]}\n{contigs['chr1'][90:]}\n")
    result = _run("predict", root / "m", tmp_path / "g.fa", "--regions", "chr1:1-60", "-o", tmp_path / "p")
    assert result.exit_code == 2, result.output
    assert "g.fa: line 3 is not as long as the lines before it in its record" in result.output
    assert "wrap it again" in result.output and "Traceback" not in result.output


def test_a_plain_fasta_named_gz_read_by_region_is_said_so(genome, tmp_path):
    root, _ = genome
    (tmp_path / "plain.fa.gz").write_text((root / "g.fa").read_text())
    result = _run("predict", root / "m", tmp_path / "plain.fa.gz", "--regions", "chr1:1-60", "-o", tmp_path / "p")
    assert result.exit_code == 2 and "named .gz but not compressed" in result.output
    assert "BGZF" not in result.output


def test_an_index_that_does_describe_its_genome_is_read(tmp_path):
    """The check of an index beside the genome passes the indexes samtools and pyfaidx write: CRLF lines, a header
    with a description, a record of an exact number of lines, an empty record."""
    from dnalm.io.regions import _index_mismatch

    (tmp_path / "g.fa").write_bytes(
        b">chr1 a description\r\n" + b"ACGT" * 15 + b"\r\n" + b"ACGTA\r\n>e\r\n>x\r\nAC\r\n"
    )
    (tmp_path / "g.fa.fai").write_text("chr1\t65\t21\t60\t62\ne\t0\t94\t0\t0\nx\t2\t98\t2\t4\n")
    assert _index_mismatch(tmp_path / "g.fa.fai", tmp_path / "g.fa") is None
    (tmp_path / "g.fa.fai").write_text("chr1\t65\t21\t60\t61\n")  # LF widths for a CRLF file
    assert "chr1" in _index_mismatch(tmp_path / "g.fa.fai", tmp_path / "g.fa")
