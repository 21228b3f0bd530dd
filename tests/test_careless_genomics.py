"""Faults of genomics inputs that a careless or hostile user found (the third probe sweep): a region file written
over, an index of another file trusted, raw htslib and pyfaidx text, a position wrapped, advice naming an option
a command does not have."""

from __future__ import annotations

import gzip
import hashlib
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from dnalm.cli import app


def _wrap(seq: str, width: int) -> str:
    return "\n".join(seq[i : i + width] for i in range(0, len(seq), width))


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    """An untrained two-class pos-cnn (42-base windows) and a genome of two contigs, 60 bases a line."""
    from dnalm.models.build import build_model

    root = tmp_path_factory.mktemp("genome")
    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.config.dnalm_train_max_tokens = 42
    model.save_pretrained(root / "m")
    tok.save_pretrained(root / "m")
    rng = np.random.default_rng(4)
    contigs = {"chr1": "".join(rng.choice(list("ACGT"), 500)), "chr2": "".join(rng.choice(list("ACGT"), 300))}
    (root / "g.fa").write_text("".join(f">{name}\n{_wrap(seq, 60)}\n" for name, seq in contigs.items()))
    return root, contigs


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


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


def test_a_split_folder_given_where_one_file_is_read_says_what_to_give(genome, tmp_path):
    root, contigs = genome
    folder = tmp_path / "splits"
    folder.mkdir()
    for split in ("train", "test"):
        (folder / f"{split}.csv").write_text(f"sequence,label\n{contigs['chr1'][:60]},1\n")
    result = _run("predict", root / "m", folder, "-o", tmp_path / "p.tsv")
    assert result.exit_code == 2 and f"give one split's file, e.g. {folder / 'test.csv'}" in result.output
    assert "--split on the command line" not in result.output


def test_a_fastq_file_is_named_as_such(genome, tmp_path):
    root, _ = genome
    (tmp_path / "r.fq").write_text("@r1\nACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTACGTAC\n+\n" + "I" * 46 + "\n")
    result = _run("predict", root / "m", tmp_path / "r.fq", "-o", tmp_path / "p.tsv")
    assert result.exit_code == 2 and "r.fq:1: FASTQ: dnalm reads FASTA or CSV/TSV" in result.output


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


def test_a_damaged_corpus_or_model_folder_names_the_part_that_cannot_be_read(genome, tmp_path):
    """pyarrow's "Tried reading schema message, was null or length 0" and json's "Expecting property name" named no
    file; a model folder without its tokenizer files ended in transformers' advice to install sentencepiece."""
    import shutil

    root, _ = genome
    corpus = tmp_path / "co"
    assert (
        _run(
            "corpus", root / "g.fa", "-o", corpus, "--block-size", 300, "--min-length", 50, "--max-length", 300
        ).exit_code
        == 0
    )
    arrow = next((corpus / "validation").glob("*.arrow"))
    arrow.write_bytes(b"")
    res = _run("lm-eval", "dnalm-mini", corpus, "-o", tmp_path / "l.json")
    assert res.exit_code == 2 and f"{corpus / 'validation'}: the corpus cannot be read (" in res.output, res.output
    (corpus / "dataset_dict.json").write_text("{bad")
    res = _run("lm-eval", "dnalm-mini", corpus, "-o", tmp_path / "l.json")
    assert f"{corpus / 'dataset_dict.json'}: the corpus cannot be read" in res.output, res.output
    model = tmp_path / "m"
    shutil.copytree(root / "m", model)
    for name in ("tokenizer.json", "dnalm_tokenizer.json"):
        (model / name).unlink(missing_ok=True)
    (tmp_path / "a.fa").write_text(">a\n" + "ACGT" * 20 + "\n")
    res = _run("predict", model, tmp_path / "a.fa", "-o", tmp_path / "p.tsv")
    assert res.exit_code == 2 and f"{model}: its tokenizer cannot be loaded (" in res.output, res.output
    assert "copy the model folder whole" in res.output


def test_corpus_and_class_files_say_where_the_bases_went(tmp_path, caplog):
    """An all-N genome of one block said '0 N/IUPAC bases dropped' (its block had gone to validation); a FASTA copied
    under a second --class label trained every sequence under both labels without a word."""
    from dnalm.finetune.data import load_splits

    rng = np.random.default_rng(9)
    text = "".join(f">p{i}\n{''.join(rng.choice(list('ACGT'), 60))}\n" for i in range(20))
    (tmp_path / "p.fa").write_text(text)
    (tmp_path / "q.fa").write_text(text)
    load_splits(None, classes={"pos": str(tmp_path / "p.fa"), "neg": str(tmp_path / "q.fa")})
    assert "20 sequence(s) are in the FASTA files of two classes (the first: p0 of pos is p0 of neg)" in caplog.text
    (tmp_path / "nul.fa").write_bytes(b">a\x00b\nACGTACGTAC\n")  # the NUL went into the output's ids
    res = _run("corpus", tmp_path / "nul.fa", "-o", tmp_path / "cn")
    assert res.exit_code == 2 and "nul.fa:1: column 3: the header holds a control character '\\x00'" in res.output
    (tmp_path / "n.fa").write_text(">a\n" + "N" * 100 + "\n")
    res = _run("corpus", tmp_path / "n.fa", "-o", tmp_path / "cn")
    assert (
        res.exit_code == 2
        and "(every block went to validation: use a smaller val_fraction (--val-fraction) or block_size (--block-size))"
        in res.output
    )


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
