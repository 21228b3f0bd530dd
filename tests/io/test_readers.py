from __future__ import annotations

import gzip
from itertools import islice

import pytest
from typer.testing import CliRunner

from dnalm.cli import app
from dnalm.io import (
    DataFormatError,
    Record,
    find_splits,
    read_fasta,
    read_labeled_fasta,
    read_sequences,
    read_table,
    write_fasta,
    write_table,
)
from tests.conftest import _refused, _run


# -- real files ------------------------------------------------------------------------------
def test_ipromoter_fasta_mixed_case_and_crlf(shared_data):
    folder = shared_data / "ipromoter2l_ecoli" / "Benchmark_dataset" / "promoter_and_non-promoter"
    pos = list(read_fasta(folder / "positive2860.txt"))  # LF, mixed case, multi-line
    neg = list(read_fasta(folder / "negative2860.txt"))  # CRLF
    assert len(pos) == len(neg) == 2860
    assert {len(r.sequence) for r in pos + neg} == {81}
    assert all(set(r.sequence) <= set("ACGT") for r in pos + neg)
    assert pos[0].sequence.startswith("CAACCAGCAAGAGAACATCTGG")
    assert not any("\r" in r.id for r in neg)
    both = list(read_labeled_fasta({"promoter": folder / "positive2860.txt", "other": folder / "negative2860.txt"}))
    assert [r.label for r in both].count("promoter") == 2860


def test_ecoli_genome_gz_streams_one_record(shared_data):
    (rec,) = read_sequences(next((shared_data / "ecoli_k12_mg1655").glob("*.fna.gz")))
    assert rec.id.startswith("NC_000913.3") and len(rec.sequence) == 4_641_652


def test_gue_split_folder(shared_data):
    folder = shared_data / "gue" / "prom" / "prom_core_tata"
    assert sorted(find_splits(folder)) == ["dev", "test", "train"]
    counts = {s: sum(1 for _ in read_sequences(folder, split=s)) for s in ("train", "dev", "test")}
    assert counts == {"train": 4904, "dev": 613, "test": 613}
    first = next(read_sequences(folder, split="train"))
    assert len(first.sequence) == 70 and first.label in {"0", "1"}
    with pytest.raises(DataFormatError, match="choose a split"):
        next(read_sequences(folder))


def test_genomic_benchmarks_tsv_with_seq_column_and_an_n(shared_data):
    recs = list(read_sequences(shared_data / "gb_human_nontata_promoters" / "test.tsv"))
    assert len(recs) == 9034 and sum(r.label == "1" for r in recs) == 4915
    assert sum("N" in r.sequence for r in recs) == 1


def test_dnabert_kmer_tsv_is_turned_back_into_bases(shared_data):
    recs = list(read_sequences(shared_data / "dnabert_sample_ft6" / "dev.tsv"))
    assert len(recs) == 1000 and {len(r.sequence) for r in recs} == {101}
    raw = (shared_data / "dnabert_sample_ft6" / "dev.tsv").read_text().splitlines()[1].split("\t")[0].split()
    assert recs[0].sequence[:6] == raw[0] and recs[0].sequence[-6:] == raw[-1]


# -- crafted files ---------------------------------------------------------------------------
def write(tmp_path, name, text, gz=False):
    path = tmp_path / name
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def test_fasta_gz_multiline_crlf(tmp_path):
    path = write(tmp_path, "x.fa.gz", ">a desc\r\nacgt\r\nNNry\r\n\r\n>b\r\nGG\r\n", gz=True)
    assert list(read_sequences(path)) == [Record("a", "ACGTNNRY", description="desc"), Record("b", "GG")]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (">a\n>b\nACGT\n", r"x\.fa:1: record 'a': empty sequence"),
        (">a\nACGT\n>b\n", r"x\.fa:3: record 'b': empty sequence"),
        ("ACGT\n", r"x\.fa:1: sequence data before the first"),
        (">a\nACGT\nAC-T\n", r"x\.fa:3: record 'a': column 3: '-' .* \(sequence position 7\)"),
        ("", r"no FASTA record"),
        (">a\nACGT\n>  \nACGT\n", r"x\.fa:3: a FASTA header without an id"),
    ],
)
def test_bad_fasta(tmp_path, text, match):
    with pytest.raises(DataFormatError, match=match):
        list(read_fasta(write(tmp_path, "x.fa", text)))


def test_table_with_ids_keeps_fasta_headers_whole(tmp_path):
    fasta = write(tmp_path, "x.fa", ">chr1:10-20 promoter, plus strand\nACGT\n>r2\nGG\n")
    write_table(read_fasta(fasta, label="1"), tmp_path / "x.csv", with_id=True)
    back = list(read_table(tmp_path / "x.csv"))
    assert back == list(read_fasta(fasta, label="1"))
    assert back[0].description == "promoter, plus strand" and back[1].description is None


def test_not_utf8_names_line(tmp_path):
    path = tmp_path / "x.fa"
    path.write_bytes(b">a\nACGT\n>b\xff\nAC\n")
    with pytest.raises(DataFormatError, match=r"x\.fa:3: not UTF-8"):
        list(read_fasta(path))


def test_a_quoted_line_break_in_a_field_is_kept_as_written(tmp_path):
    path = write(tmp_path, "d.csv", 'sequence,label,id\nACGT,"pro\nmoter",a\nGGCC,x,b\n')
    assert list(read_table(path)) == [Record("a", "ACGT", "pro\nmoter"), Record("b", "GGCC", "x")]


def test_table_columns_and_labels(tmp_path):
    path = write(tmp_path, "d.tsv.gz", "id\tseq\tclass\nr1\tacgu\tpos\nr2\tNNAC\tneg\n", gz=True)
    assert list(read_table(path)) == [Record("r1", "ACGT", "pos"), Record("r2", "NNAC", "neg")]
    path2 = write(tmp_path, "d.csv", "dna_string,y\nACGT,1\n")
    assert list(read_table(path2, sequence_column="dna_string", label_column="y")) == [Record("0", "ACGT", "1")]


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("foo,label\nACGT,1\n", {}, r"d\.csv:1: no sequence column among"),
        ("sequence,label\nACGT,1\nACGT\n", {}, r"d\.csv:3: 1 fields, header has 2"),
        ("sequence,label\nACGT,1\nACGT,7\n", {"labels": ["0", "1"]}, r"d\.csv:3: record '1': label '7' is not in"),
        ("sequence,label\nACGT,1\nACXT,0\n", {}, r"d\.csv:3: record '1': sequence position 3: 'X'"),
        ("sequence,label\nACGT,1\n,0\n", {}, r"d\.csv:3: record '1': empty sequence"),
        ("sequence,label\n", {}, r"no data rows"),
        ("", {}, r"empty file"),
        ("sequence,label\nACGT,1\n", {"label_column": "y"}, r"no label column 'y'"),
        ('sequence,label\nACGT,1\n"ACGTAC\nGT",0\n', {}, r"d\.csv:3: record '1': sequence position 7: a line break"),
    ],
)
def test_bad_tables(tmp_path, text, kwargs, match):
    with pytest.raises(DataFormatError, match=match):
        list(read_table(write(tmp_path, "d.csv", text), **kwargs))


def test_kmer_tsv_that_does_not_overlap(tmp_path):
    path = write(tmp_path, "k.tsv", "sequence\tlabel\nACG CGT GTA\t1\nACG CGT TTA\t0\n")
    with pytest.raises(DataFormatError, match=r"k\.tsv:3: record '1': k-mer sequence: k-mers 2 and 3"):
        list(read_table(path))
    ragged = write(tmp_path, "r.tsv", "sequence\tlabel\nACG CG\t1\n")
    with pytest.raises(DataFormatError, match="read as DNABERT k-mers only when every piece has one length"):
        list(read_table(ragged))
    with pytest.raises(DataFormatError, match="has length 2, expected k=3"):  # read as k-mers when asked to be
        list(read_table(ragged, kmer_input=True))


def test_genomic_benchmarks_folder_layout(tmp_path):
    for split in ("train", "test"):
        for label, seqs in (("positive", ["ACGT", "GGCC"]), ("negative", ["TTTT"])):
            d = tmp_path / split / label
            d.mkdir(parents=True)
            for i, s in enumerate(seqs):
                (d / f"{i}.txt").write_text(s + "\n")
    recs = list(read_sequences(tmp_path, split="train"))
    assert [(r.id, r.label) for r in recs] == [
        ("negative/0", "negative"),
        ("positive/0", "positive"),
        ("positive/1", "positive"),
    ]
    (tmp_path / "test" / "negative" / "9.txt").write_text("")
    with pytest.raises(DataFormatError, match="empty sequence file"):
        list(read_sequences(tmp_path, split="test"))


def test_split_folder_aliases_and_conflicts(tmp_path):
    write(tmp_path, "train.csv", "sequence,label\nACGT,1\n")
    write(tmp_path, "valid.csv", "sequence,label\nACGT,1\n")
    assert sorted(find_splits(tmp_path)) == ["dev", "train"]
    write(tmp_path, "dev.csv", "sequence,label\nACGT,1\n")
    with pytest.raises(DataFormatError, match="two candidates for split 'dev'"):
        find_splits(tmp_path)


def test_readers_stream(tmp_path):
    path = tmp_path / "big.fa"
    with open(path, "w") as fh:
        for i in range(50_000):
            fh.write(f">r{i}\nACGT\n")
    assert [r.id for r in islice(read_sequences(path), 2)] == ["r0", "r1"]


def test_writers_round_trip(tmp_path):
    recs = [Record("a", "ACGT" * 30, "1"), Record("b", "NNA", "0")]
    write_fasta(recs, tmp_path / "o.fa.gz")
    assert [(r.id, r.sequence) for r in read_sequences(tmp_path / "o.fa.gz")] == [("a", "ACGT" * 30), ("b", "NNA")]
    write_table(recs, tmp_path / "o.tsv", with_id=True)
    assert list(read_sequences(tmp_path / "o.tsv")) == recs


def test_a_genomic_benchmarks_folder_reads_txt_in_any_case_and_gzip_and_names_other_files(tmp_path, caplog):
    """Three of five sequence files (c.TXT, d.txt.gz, e.fa) were passed over without a word."""
    import logging

    for cls, name in (("1", "a.txt"), ("0", "b.txt"), ("1", "c.TXT"), ("0", "e.fa")):
        (tmp_path / "test" / cls).mkdir(parents=True, exist_ok=True)
        (tmp_path / "test" / cls / name).write_text("ACGTACGT\n")
    with gzip.open(tmp_path / "test" / "0" / "d.txt.gz", "wt") as fh:
        fh.write("GGGGCCCC\n")
    with caplog.at_level(logging.WARNING):
        records = list(read_sequences(tmp_path, split="test"))
    assert sorted(r.id for r in records) == ["0/b", "0/d", "1/a", "1/c"]
    assert next(r for r in records if r.id == "0/d").sequence == "GGGGCCCC"
    assert "1 entry is not read" in caplog.text and "e.fa" in caplog.text


def test_column_options_on_fasta_are_refused_and_split_aliases_are_read(tmp_path):
    """--sequence-column on a FASTA file did nothing; --split valid (a documented alias of dev) was 'no split'."""
    (tmp_path / "a.fa").write_text(">a\nACGT\n")
    with pytest.raises(ValueError, match=r"a.fa: sequence_column \(--sequence-column\) names a column .* FASTA"):
        list(read_sequences(tmp_path / "a.fa", sequence_column="seq"))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "train.csv").write_text("sequence,label\nACGT,0\n")
    (tmp_path / "d" / "dev.csv").write_text("sequence,label\nGGGG,1\n")
    for alias in ("dev", "valid", "validation", "val"):
        assert [r.sequence for r in read_sequences(tmp_path / "d", split=alias)] == ["GGGG"]


def test_writers_can_write_back_onto_the_file_they_read_and_refuse_what_would_not_read_back(tmp_path):
    """write_fasta(read_sequences(f), f) and write_table(...) left an empty file (opened for writing before the
    records were read); copy_records(f, f) emptied f; width=-1 wrote headers only; an id holding a line break
    wrote a second record."""
    from dnalm.io import copy_records, read_sequences, write_fasta, write_table
    from dnalm.io.base import Record

    fa, csv_ = tmp_path / "a.fa", tmp_path / "a.csv"
    fa.write_text(">a\nACGT\n>b\nGGCC\n")
    csv_.write_text("sequence,label\nACGT,1\nGGCC,0\n")
    assert write_fasta(read_sequences(fa), fa) == 2 and fa.read_text() == ">a\nACGT\n>b\nGGCC\n"
    assert write_table(read_sequences(csv_), csv_) == 2 and csv_.read_text() == "sequence,label\nACGT,1\nGGCC,0\n"
    with pytest.raises(ValueError, match="is the source itself"):
        copy_records(csv_, csv_)
    assert csv_.read_text() == "sequence,label\nACGT,1\nGGCC,0\n"
    for width in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=r"width \(bases a line\) must be a whole number"):
            write_fasta([Record("a", "ACGT")], tmp_path / "w.fa", width=width)
    for rec, said in [
        (Record("a\n>b", "ACGT"), "its id is not one line"),
        (Record("a", ""), "a sequence of letters"),
        (Record("a", "AC GT"), "a sequence of letters"),
        (Record("a b", "ACGT"), "one word"),
    ]:
        with pytest.raises(ValueError, match=said):
            write_fasta([Record("ok", "ACGT"), rec], fa)
    assert fa.read_text() == ">a\nACGT\n>b\nGGCC\n"  # a refused write leaves the file as it was
    with pytest.raises(TypeError, match="a list"):
        write_table(Record("a", "ACGT"), tmp_path / "t.csv")


def test_spaced_sequences_are_read_as_kmers_only_as_dnabert_writes_them_and_said(tmp_path, caplog):
    """Blocks of 10 bases that happen to overlap (a homopolymer) were read as 10-mers, shorter than written, and a
    file of 6-mers and 4-mers was read without a word."""
    import logging

    from dnalm.io import DataFormatError, read_sequences

    (tmp_path / "blocks.csv").write_text("sequence\nAAAAAAAAAA AAAAAAAAAA\n")
    with pytest.raises(DataFormatError, match=r"blocks.csv:2: .*one length, 3 to 6 bases"):
        list(read_sequences(tmp_path / "blocks.csv"))
    (tmp_path / "mix.tsv").write_text("sequence\tlabel\nACGTAC CGTACG GTACGT\t1\nACGT CGTA\t0\n")
    with pytest.raises(DataFormatError, match=r"mix.tsv:3: .*4-mers, where line 2 holds 6-mers"):
        list(read_sequences(tmp_path / "mix.tsv"))
    (tmp_path / "k.tsv").write_text("sequence\tlabel\nACGTAC CGTACG GTACGT\t1\nTTTTTT\t0\n")
    with caplog.at_level(logging.INFO):
        assert [r.sequence for r in read_sequences(tmp_path / "k.tsv")] == ["ACGTACGT", "TTTTTT"]
    assert "1 of 2 sequence(s) written as DNABERT's space-separated 6-mers were read back as bases" in caplog.text


def test_a_split_that_is_a_link_to_another_or_to_nothing_is_named(tmp_path):
    """dev.csv -> train.csv validated on the training data without a word ("140 train, 140 validation"); a
    broken test.csv read as "no split 'test'"."""
    from dnalm.io import DataFormatError, find_splits

    (tmp_path / "train.csv").write_text("sequence,label\nACGT,1\n")
    (tmp_path / "dev.csv").symlink_to("train.csv")
    with pytest.raises(DataFormatError, match=r"train.csv \(train\) and dev.csv \(dev\) are one file"):
        find_splits(tmp_path)
    (tmp_path / "dev.csv").unlink()
    (tmp_path / "test.csv").symlink_to("nowhere.csv")
    with pytest.raises(DataFormatError, match=r"test.csv: a broken symbolic link \(to nowhere.csv\)"):
        find_splits(tmp_path)


def test_class_files_that_name_one_label_or_a_folder_are_refused(tmp_path):
    """--class 1=pos.fa --class 1.0=pos2.fa trained two classes where three were named; a folder gave
    '[Errno 21] Is a directory'."""
    from dnalm.io.datasets import check_sources

    for name in ("a.fa", "b.fa"):
        (tmp_path / name).write_text(">r\nACGT\n")
    with pytest.raises(ValueError, match=r"classes\['1'\]='...' and classes\['1.0'\]='...' name one label \('1'\)"):
        check_sources(None, {"1": tmp_path / "a.fa", "1.0": tmp_path / "b.fa"})
    with pytest.raises(ValueError, match="a folder; give one FASTA file per class"):
        check_sources(None, {"1": tmp_path, "0": tmp_path / "b.fa"})


def test_what_reading_changes_in_sequences_is_counted_and_said(tmp_path, caplog):
    """Lower case, U and ambiguity codes were read as upper case, T and unknown bases without a word."""
    import logging

    from dnalm.io import read_sequences

    (tmp_path / "x.csv").write_text("sequence\nacgtACGT\nACGUACNN\nACGTACGT\n")
    (tmp_path / "x.fa").write_text(">a\nacgt\nACGT\n>b\nACRT\n")
    with caplog.at_level(logging.INFO):
        list(read_sequences(tmp_path / "x.csv"))
        list(read_sequences(tmp_path / "x.fa"))
    assert (
        "x.csv: 1 of 3 sequence(s) held lower-case bases (read as upper case); 1 held U (read as T); 1 held N or "
        "other ambiguity codes (2 bases, read as unknown)" in caplog.text
    )
    assert "x.fa: 1 of 2 sequence(s) held lower-case bases (read as upper case); 1 held N or other" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO):
        (tmp_path / "clean.csv").write_text("sequence\nACGT\n")
        list(read_sequences(tmp_path / "clean.csv"))
    assert "held" not in caplog.text


def test_files_dnalm_cannot_read_are_named_for_what_they_are(tmp_path):
    """UTF-16 and xz read as "not UTF-8 text", a zip as a column named 'PK...'; an unclosed quote as a count of
    fields; a gzip copy carried its temporary file's name in its header."""
    import codecs
    import gzip
    import lzma
    import zipfile

    from dnalm.io import DataFormatError, copy_records, read_sequences

    (tmp_path / "u16.csv").write_bytes(codecs.BOM_UTF16_LE + "sequence\nACGT\n".encode("utf-16-le"))
    (tmp_path / "x.fa.xz").write_bytes(lzma.compress(b">a\nACGT\n"))
    with zipfile.ZipFile(tmp_path / "x.fa.zip", "w") as z:
        z.writestr("x.fa", ">a\nACGT\n")
    (tmp_path / "q.csv").write_text('id,sequence,label\ne,"ACGT,1\nf,GGGG,0\n')
    for name, said in [
        ("u16.csv", "UTF-16 text"),
        ("x.fa.xz", "xz-compressed"),
        ("x.fa.zip", "a zip archive"),
        ("q.csv", r"q.csv:2: 2 fields, header has 3 \(a quote opened here runs over 3 lines"),
    ]:
        with pytest.raises(DataFormatError, match=said):
            list(read_sequences(tmp_path / name))
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(b"sequence\nACGT\n"))
    copy_records(tmp_path / "t.csv.gz", tmp_path / "copy.csv.gz")
    assert b"copy.csv\x00" in (tmp_path / "copy.csv.gz").read_bytes()[:40]  # as gzip names it: without .gz
    assert gzip.decompress((tmp_path / "copy.csv.gz").read_bytes()) == b"sequence\nACGT\n"


def test_misnamed_or_commented_files_and_genomic_benchmarks_errors_say_where(tmp_path):
    """A FASTA named .csv read as "columns are ['>a']"; a ';' comment as "sequence data before the first '>'";
    a Genomic Benchmarks .txt error named no line or column."""
    from dnalm.io import DataFormatError, read_sequences

    (tmp_path / "fa.csv").write_text(">a\nACGT\n")
    (tmp_path / "c.fa").write_text(";comment\n>a\nACGT\n")
    gb = tmp_path / "gb" / "test"
    for cls in ("positive", "negative"):
        (gb / cls).mkdir(parents=True)
    (gb / "positive" / "5.txt").write_text("ACGTACGT\nACGT-ACGT\n")
    (gb / "negative" / "1.txt").write_text("ACGT\n")
    for path, kw, said in [
        ("fa.csv", {}, r"fa.csv:1: this reads as FASTA"),
        ("c.fa", {}, r"c.fa:1: a ';' comment line"),
        (
            "gb",
            {"split": "test"},
            r"5.txt:2: record '5': column 5: '-' is not a nucleotide code \(sequence position 13\)",
        ),
    ]:
        with pytest.raises(DataFormatError, match=said):
            list(read_sequences(tmp_path / path, **kw))


def test_a_file_read_twice_is_spoken_of_once_until_it_changes(tmp_path, caplog):
    """predict reads its input twice (a first pass for the columns): every line about the file came twice."""
    import logging

    from dnalm.io import read_sequences

    path = tmp_path / "x.csv"
    path.write_text("sequence\nacgtACGT\n")
    with caplog.at_level(logging.INFO):
        list(read_sequences(path))
        list(read_sequences(path))
    assert caplog.text.count("held lower-case bases") == 1
    path.write_text("sequence\nacgtACGT\nacgtTT\n")
    with caplog.at_level(logging.INFO):
        list(read_sequences(path))
    assert caplog.text.count("held lower-case bases") == 2


def test_blank_lines_may_end_a_table_and_its_copy_keeps_them(tmp_path):
    """Trailing blank lines were refused as 'empty row' (FASTA skips them); one between rows stays refused."""
    from dnalm.io import DataFormatError, copy_records, read_sequences

    (tmp_path / "t.csv").write_text("sequence,label\nACGT,1\nGGCC,0\n\n\n")
    assert [r.id for r in read_sequences(tmp_path / "t.csv")] == ["0", "1"]
    assert copy_records(tmp_path / "t.csv", tmp_path / "c.csv", drop={0}) == 1
    assert (tmp_path / "c.csv").read_text() == "sequence,label\nGGCC,0\n\n\n"
    (tmp_path / "m.csv").write_text("sequence,label\nACGT,1\n\nGGCC,0\n")
    with pytest.raises(DataFormatError, match=r"m.csv:3: empty row \(blank lines may only end a table\)"):
        list(read_sequences(tmp_path / "m.csv"))


def test_copied_records_keep_each_lines_own_ending(tmp_path):
    """audit --dedup wrote a kept row's quoted LF as CRLF (every line was given the first line's ending), though
    kept records are copied as written."""
    from dnalm.io import copy_records

    source = tmp_path / "a.csv"
    source.write_bytes(b'id,sequence,label\r\n"r1\nmulti",ACGT,1\r\nr2,GGCC,0\r\nr3,TTAA,1\r\n')
    assert copy_records(source, tmp_path / "all.csv") == 3
    assert (tmp_path / "all.csv").read_bytes() == source.read_bytes()
    assert copy_records(source, tmp_path / "b.csv", drop={1}) == 2
    assert (tmp_path / "b.csv").read_bytes() == b'id,sequence,label\r\n"r1\nmulti",ACGT,1\r\nr3,TTAA,1\r\n'
    old_mac = tmp_path / "m.fa"
    old_mac.write_bytes(b">a\rACGT\r>b\rGGCC\r")
    assert copy_records(old_mac, tmp_path / "m2.fa", drop={0}) == 1
    assert (tmp_path / "m2.fa").read_bytes() == b">b\rGGCC\r"


def test_read_sequences_refuses_options_it_would_ignore(tmp_path):
    from dnalm.io import read_sequences

    (tmp_path / "x.csv").write_text("sequence,label\nACGT,1\n")
    (tmp_path / "x.fa").write_text(">a\nACGT\n")
    with pytest.raises(ValueError, match="label= labels a FASTA file"):
        list(read_sequences(tmp_path / "x.csv", label="x"))
    with pytest.raises(ValueError, match="name one column"):
        list(read_sequences(tmp_path / "x.csv", sequence_column="sequence", label_column="sequence"))
    with pytest.raises(TypeError, match="one label of every record"):
        list(read_sequences(tmp_path / "x.fa", label=["a"]))
    with pytest.raises(ValueError, match="not among the labels allowed"):
        list(read_sequences(tmp_path / "x.fa", label="c", labels=["a", "b"]))
    assert [r.label for r in read_sequences(tmp_path / "x.fa", label="a", labels=["a", "b"])] == ["a"]


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


def test_repeated_names_are_refused_or_counted(tata_model, work):
    genome = work / "twice.fa"
    genome.write_text(">c1\n" + "ACGT" * 50 + "\n>c1\n" + "GGCC" * 50 + "\n")
    vcf = work / "v.vcf"
    head = ["##fileformat=VCFv4.2", "##contig=<ID=c1,length=200>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    vcf.write_text("\n".join([*head, "c1\t5\tv1\tA\tG\t.\t.\t."]) + "\n")
    _refused(work, ["variants", tata_model, vcf, "--genome", genome, "-o", "v.tsv"], "comes twice in the genome")
    _refused(work, ["corpus", "in.fa", "./in.fa", "-o", "corpus"], "the same FASTA file as in.fa, given twice")
    _refused(work, ["synth", "motif", "-o", "m", "--n", "40", "--motif", "TATAAA", "--rate", "0.01"], "one class only")
    res = CliRunner().invoke(app, ["predict", str(tata_model), str(genome), "-o", "p.tsv"])
    assert res.exit_code == 0 and "1 record(s) repeat" in res.output and "repeat an earlier record's id" in res.output
    assert len((work / "p.tsv").read_text().splitlines()) == 3  # header and both records


def test_fasta_ids_are_the_first_word_and_predictions_keep_the_description(tmp_path):
    from dnalm.apply.evaluate import predict_file
    from dnalm.models.build import build_model

    model, tok, _ = build_model("pos-cnn", num_labels=2, seed=0)
    model.save_pretrained(tmp_path / "m")
    tok.save_pretrained(tmp_path / "m")
    (tmp_path / "in.fa").write_text(">chr1:100-200 promoter of lacZ\nACGTACGTAGCT\n>plain\nGGGCCCAT\n")
    predict_file(str(tmp_path / "m"), tmp_path / "in.fa", tmp_path / "out.tsv")
    lines = [line.split("\t") for line in (tmp_path / "out.tsv").read_text().splitlines()]
    assert lines[0][:3] == ["id", "description", "predicted"]
    assert [row[:2] for row in lines[1:]] == [["chr1:100-200", "promoter of lacZ"], ["plain", ""]]
