"""Awkward but real inputs: numeric labels, damaged gzip, long fields, old line endings, BOMs, Unicode."""

from __future__ import annotations

import csv
import gzip
import random

import pytest

from dnalm.finetune.data import LabelSpace
from dnalm.io import DataFormatError, Record, read_fasta, read_sequences, read_table
from dnalm.io.sequence import SequenceError, normalize


def write(tmp_path, name, data: str | bytes):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# 1. labels ----------------------------------------------------------------------------------------------------------


def test_numeric_labels_written_differently_are_one_class_and_it_is_said(tmp_path, caplog):
    path = write(tmp_path, "d.csv", "sequence,label\nACGT,1\nACGA,1.0\nACGG,0\nACGC,0.0\nAAAA,+1e0\nCCCC,0.50\n")
    recs = list(read_table(path))
    assert [r.label for r in recs] == ["1", "1", "0", "0", "1", "0.5"]
    assert "d.csv: 4 numeric labels were read in one form per number (e.g. '1.0' as '1')" in caplog.text
    assert LabelSpace.from_records(recs).names == ["0", "0.5", "1"]
    assert list(read_table(path, labels=[0, 1, 0.5]))  # the allowed set is compared as numbers too


def test_spaces_around_labels_are_dropped_and_counted(tmp_path, caplog):
    """'pos ' and 'pos' were merged into one class without a word."""
    path = write(tmp_path, "d.csv", "sequence,label\nACGT,pos \nACGA,pos\nACGG,neg\nACGC, pos\n")
    assert [r.label for r in read_table(path)] == ["pos", "pos", "neg", "pos"]
    assert "d.csv: 2 labels were read without the spaces around them (e.g. 'pos ' as 'pos')" in caplog.text


def test_spaces_around_sequences_are_dropped_and_counted(tmp_path, caplog):
    """' ACGT' in a hand-edited table was read as ACGT without a word."""
    path = write(tmp_path, "d.csv", "sequence,label\n ACGT,1\nACGA,0\nACGG ,1\n")
    assert [r.sequence for r in read_table(path)] == ["ACGT", "ACGA", "ACGG"]
    assert "d.csv: 2 sequences were read without the spaces around them (e.g. ' ACGT' as 'ACGT')" in caplog.text


def test_an_empty_id_is_refused_and_spaces_around_ids_are_dropped_and_counted(tmp_path, caplog):
    """A blank id cell was read as it stood (rows that could not be told apart), spaces around one kept without a
    word; FASTA refuses a header without an id."""
    path = write(tmp_path, "d.csv", "id,sequence\na,ACGT\n  ,ACGA\n")
    with pytest.raises(DataFormatError, match=r"d.csv:3: empty id \(row 2\): give every row an id"):
        list(read_table(path))
    path = write(tmp_path, "e.csv", "id,sequence\n a ,ACGT\nb,ACGA\n")
    assert [r.id for r in read_table(path)] == ["a", "b"]
    assert "e.csv: 1 ids were read without the spaces around them (e.g. ' a ' as 'a')" in caplog.text


def test_text_and_per_base_labels_stay_as_written(tmp_path):
    path = write(tmp_path, "d.csv", "sequence,label\nACGT,Pos\nACGA,neg\n")
    assert [r.label for r in read_table(path)] == ["Pos", "neg"]
    per_base = write(tmp_path, "p.csv", "sequence,label\nACGT,0011\nACGA,0110\n")
    assert [r.label for r in read_table(per_base)] == ["0011", "0110"]
    multi = write(tmp_path, "m.csv", "sequence,label\nACGT,1;3\nACGA,2\n")  # numeric multi-label classes
    assert [r.label for r in read_table(multi)] == ["1;3", "2"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("sequence,label\nACGT,1\nACGA,pos\n", r"d\.csv:3: record '1': label 'pos' is not a number, but line 2"),
        ("sequence,label\nACGT,pos\nACGA,0\n", r"d\.csv:3: record '1': label '0' is a number, but line 2"),
        ("sequence,label\nACGT,0.5\nACGA,nan\n", r"d\.csv:3: record '1': label 'nan' is not a finite number"),
        ("sequence,label\nACGT,1\nACGA,\n", r"d\.csv:3: record '1': no label, but line 2 has one"),
        ("sequence,label\nACGT,\nACGA,1\n", r"d\.csv:3: record '1': label '1', but line 2 has none"),
    ],
)
def test_mixed_or_missing_labels_name_file_and_line(tmp_path, text, match):
    with pytest.raises(DataFormatError, match=match):
        list(read_table(write(tmp_path, "d.csv", text)))


def test_a_file_without_labels_is_still_read(tmp_path):
    path = write(tmp_path, "d.csv", "sequence,label\nACGT,\nACGA,\n")
    assert [r.label for r in read_table(path)] == ["", ""]


# 2. damaged gzip ----------------------------------------------------------------------------------------------------


def _gzip_fasta(n: int = 400) -> bytes:
    rng = random.Random(0)
    text = "".join(f">r{i}\n{''.join(rng.choice('ACGT') for _ in range(120))}\n" for i in range(n))
    return gzip.compress(text.encode())


@pytest.mark.parametrize("name", ["x.fa.gz", "x.csv.gz"])
def test_truncated_gzip_is_a_data_format_error(tmp_path, name):
    data = _gzip_fasta()
    if name.endswith(".csv.gz"):
        data = gzip.compress(("sequence,label\n" + "ACGT,1\n" * 20_000).encode())
    path = write(tmp_path, name, data[: len(data) // 2])
    with pytest.raises(DataFormatError, match=rf"{name.replace('.', '[.]')}: truncated gzip"):
        list(read_sequences(path))


def test_corrupt_gzip_is_a_data_format_error(tmp_path):
    header = _gzip_fasta()[:10]
    path = write(tmp_path, "x.fa.gz", header + b"\xff" * 200)  # BTYPE 11: an invalid deflate block
    with pytest.raises(DataFormatError, match=r"x\.fa\.gz: corrupt gzip"):
        list(read_sequences(path))
    data = bytearray(_gzip_fasta())
    data[-8] ^= 0xFF  # CRC of the data
    bad_crc = write(tmp_path, "c.fa.gz", bytes(data))
    with pytest.raises(DataFormatError, match=r"c\.fa\.gz: corrupt gzip"):
        list(read_sequences(bad_crc))


# 3. long fields, lone CR, BOM ---------------------------------------------------------------------------------------


@pytest.fixture
def default_csv_field_limit():
    """Start from Python's default csv field limit (131,072) and put the old one back afterwards."""
    old = csv.field_size_limit(131_072)
    yield
    csv.field_size_limit(old)


def test_a_field_longer_than_csv_default_limit(tmp_path, default_csv_field_limit):
    seq = "ACGT" * 50_000  # 200,000 characters
    path = write(tmp_path, "long.tsv", f"sequence\tlabel\n{seq}\t1\nAC\t0\n")
    assert [len(r.sequence) for r in read_table(path)] == [200_000, 2]


def test_lone_cr_line_endings(tmp_path):
    table = write(tmp_path, "d.csv", "sequence,label\rACGT,1\rGGCC,0\r")
    assert list(read_table(table)) == [Record("0", "ACGT", "1"), Record("1", "GGCC", "0")]
    fasta = write(tmp_path, "x.fa", ">a\racgt\rNN\r\r>b\rGG\r")
    assert list(read_fasta(fasta)) == [Record("a", "ACGTNN"), Record("b", "GG")]
    bad = write(tmp_path, "b.csv", "sequence,label\rACGT,1\rAXGT,0\r")
    with pytest.raises(DataFormatError, match=r"b\.csv:3: record '1': sequence position 2: 'X'"):
        list(read_table(bad))


def test_utf8_bom_is_not_part_of_the_header(tmp_path):
    table = write(tmp_path, "d.csv", "\ufeffsequence,label\r\nACGT,1\r\n")
    assert list(read_sequences(table)) == [Record("0", "ACGT", "1")]
    fasta = write(tmp_path, "x.fa", "\ufeff>a\nACGT\n")
    assert list(read_sequences(fasta)) == [Record("a", "ACGT")]
    gz = write(tmp_path, "d.tsv.gz", gzip.compress("\ufeffseq\tclass\nAC\tx\n".encode()))
    assert list(read_sequences(gz)) == [Record("0", "AC", "x")]


def test_a_header_row_repeated_inside_a_table_is_named_as_that(tmp_path):
    """Two tables joined with their headers: the repeated header's 'sequence' was read as DNA ("sequence position 2:
    'e' is not a nucleotide code", as 's' is the IUPAC code S)."""
    joined = write(tmp_path, "j.csv", "sequence,label\nACGT,1\nsequence,label\nGGCC,0\n")
    with pytest.raises(DataFormatError, match=r"j\.csv:3: this row repeats the header row \(tables joined"):
        list(read_sequences(joined))
    quoted = write(tmp_path, "q.tsv", "id\tseq\na\tACGT\nid\tseq\n")
    with pytest.raises(DataFormatError, match=r"q\.tsv:3: this row repeats the header row"):
        list(read_sequences(quoted))


# 4. Unicode that upper-cases into bases -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seq", "pos", "char"),
    [
        ("\u017f", 1, "\u017f"),  # long s: upper() is 'S'
        ("A\ufb06C", 2, "\ufb06"),  # ligature st: upper() is 'ST'
        ("\ufb06-", 1, "\ufb06"),  # used to be an IndexError (position counted after the expansion)
        ("ACG\u00df", 4, "\u00df"),  # sharp s: upper() is 'SS'
        ("ACG\u212a", 4, "\u212a"),  # Kelvin sign: lower() is 'k'
    ],
)
def test_normalize_checks_the_characters_as_written(seq, pos, char):
    with pytest.raises(SequenceError) as info:
        normalize(seq, record="r")
    assert (info.value.position, info.value.char) == (pos, char)
    assert f"position {pos}" in str(info.value)


def test_reader_rejects_unicode_look_alikes(tmp_path):
    path = write(tmp_path, "d.csv", "sequence,label\nAC\u017fT,1\n")
    with pytest.raises(DataFormatError, match=r"d\.csv:2: record '0': sequence position 3: '\u017f'"):
        list(read_table(path))


# 5. tables the csv module parses differently from lines -------------------------------------------------------------


def test_headerless_table_with_a_long_first_sequence(tmp_path, default_csv_field_limit):
    path = write(tmp_path, "nohead.csv", "ACGT" * 50_000 + ",1\nAC,0\n")  # the first row parsed as the header
    with pytest.raises(DataFormatError, match=r"nohead\.csv:1: no sequence column") as info:
        list(read_sequences(path))
    assert len(str(info.value)) < 300  # the 200,000-base "column name" is cut in the message


def test_rows_after_a_quoted_multi_line_field_name_their_own_line(tmp_path):
    path = write(tmp_path, "q.csv", 'id,sequence,label\n"a\nb",ACGT,1\nc,AXGT,0\n')
    with pytest.raises(DataFormatError, match=r"q\.csv:4: record 'c': sequence position 2"):
        list(read_table(path))


# 6. dnalm corpus: input errors are dnalm's own, an empty corpus is named ---------------------------------------------


def test_corpus_input_errors_are_dnalm_errors_not_dataset_generation_errors(tmp_path):
    from typer.testing import CliRunner

    from dnalm.cli import app
    from dnalm.lm.corpus import build_corpus

    bad = write(tmp_path, "bad.fa", ">chr1\nACGTACGT\nACGXACGT\n")
    with pytest.raises(DataFormatError, match=r"bad\.fa:3: record 'chr1': column 4: 'X'"):
        build_corpus([bad], tmp_path / "c", min_length=2, max_length=4, progress=False)
    assert not (tmp_path / "c" / ".cache").exists()
    result = CliRunner().invoke(app, ["corpus", str(bad), "-o", str(tmp_path / "c")])
    assert result.exit_code == 2 and "bad.fa:3" in result.output
    assert "DatasetGenerationError" not in result.output and "Traceback" not in result.output, result.output
    assert result.output.splitlines()[-1].startswith("error: ")  # after the progress bars: one line
    with pytest.raises(FileNotFoundError, match=r"missing\.fa"):
        build_corpus([bad, tmp_path / "missing.fa"], tmp_path / "c", progress=False)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (">n\n" + "N" * 300 + "\n", r"corpus is empty: 1 record\(s\), 1 block\(s\).* 300 N/IUPAC bases dropped"),
        (
            ">a\nACGTACG\n>b\nACGNNAC\n",
            r"corpus is empty: 2 record\(s\).* 12 bases in A/C/G/T runs shorter than min_length \(--min-length\) 8",
        ),
    ],
    ids=["only_N", "short_runs"],
)
def test_corpus_with_no_segment_is_an_empty_corpus_error(tmp_path, text, match):
    from dnalm.lm.corpus import build_corpus

    path = write(tmp_path, "g.fa", text)
    with pytest.raises(ValueError, match=r"the train part of the " + match):
        build_corpus([path], tmp_path / "c", min_length=8, max_length=16, val_fraction=0, progress=False)
    with pytest.raises(ValueError, match=r"the train part of the corpus is empty"):
        build_corpus([path], tmp_path / "c", min_length=8, max_length=16, progress=False)


def test_a_multi_label_row_with_no_label_is_written_as_a_lone_separator(tmp_path):
    """';' (no label of the set) was refused as 'no label, but line 2 has one', so such a sequence could not be
    written at all; predictions with no label above 0.5 were written as an empty cell, read back as missing."""
    from dnalm.tasks import get_task

    path = write(tmp_path, "m.csv", "sequence,label\nACGT,;\nACGA,a;b\nACGG,a\nACGC,;\n")
    recs = list(read_table(path))
    space = LabelSpace.from_records(recs, "multi_label_classification")
    assert space.names == ["a", "b"]
    assert [space.encode(r.label) for r in recs] == [[0, 0], [1, 1], [1, 0], [0, 0]]
    task = get_task("multi_label_classification")
    assert task.prediction_cells(["a", "b"], [0.2, 0.4])[0] == ";"
    with pytest.raises(DataFormatError, match="m2.csv:3: record '1': no label, but line 2 has one"):
        list(read_table(write(tmp_path, "m2.csv", "sequence,label\nACGT,a\nACGA,\n")))
    with pytest.raises(DataFormatError, match=r"m4.csv:3: .*line 2 has one \('a;b'\).* is written ';', the empty set"):
        list(read_table(write(tmp_path, "m4.csv", "sequence,label\nACGT,a;b\nACGA,\n")))  # how to say "none"
    with pytest.raises(DataFormatError, match="m3.csv:3: record '1': label ';', but line 2 has none"):
        list(read_table(write(tmp_path, "m3.csv", "sequence,label\nACGT,\nACGA,;\n")))
    with pytest.raises(ValueError, match="every training label is the empty set"):
        LabelSpace.from_records(
            list(read_table(write(tmp_path, "m4.csv", "sequence,label\nACGT,;\n"))), "multi_label_classification"
        )


def test_numbers_rewritten_without_merging_two_forms_are_not_a_warning(tmp_path, caplog):
    """Regression labels such as '5187.30' drew 'numeric labels were read in one form per number' on every file:
    nothing was merged and the value is the same. The warning stays for forms that became one label."""
    import logging

    caplog.set_level(logging.INFO)
    path = write(tmp_path, "r.csv", "sequence,label\nACGT,5187.30\nACGA,12.50\nACGG,3\n")
    assert [r.label for r in read_table(path)] == ["5187.3", "12.5", "3"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "2 numeric labels were read in one form per number" in caplog.text
    caplog.clear()
    list(read_table(write(tmp_path, "c.csv", "sequence,label\nACGT,1\nACGA,1.0\n")))
    assert "'1' and '1.0' are one label" in caplog.text


def test_two_columns_that_each_name_the_label_or_the_sequence_are_said(tmp_path, caplog):
    """A file with both 'label' and 'class' (or 'sequence' and 'seq') was read from one of them without a word."""
    path = write(tmp_path, "two.csv", "seq,sequence,label,class\nAAAA,ACGT,1,x\n")
    assert [(r.sequence, r.label) for r in read_table(path)] == [("ACGT", "1")]
    assert "columns 'sequence' and 'seq' each name the sequence: 'sequence' is read, 'seq' not" in caplog.text
    assert "columns 'label' and 'class' each name the label: 'label' is read, 'class' not" in caplog.text


def test_a_stray_space_in_a_sequence_is_named_as_such_not_as_a_bad_kmer(tmp_path):
    """'ACGTACGTAC GTTGCA...' was reported as 'k-mer 2 has length 50, expected k=10'."""
    path = write(tmp_path, "sp.csv", "sequence,label\nACGTACGTAC GTTGCAGGTTAACC,1\n")
    with pytest.raises(DataFormatError, match=r"sp.csv:2: record '0': sequence position 11: ' ' is not a nucleotide"):
        list(read_table(path))
    kmers = write(tmp_path, "k.csv", "sequence,label\nACG CGT GTT,1\n")  # DNABERT's k-mers still read
    assert [r.sequence for r in read_table(kmers)] == ["ACGTT"]


def test_a_split_of_a_file_is_refused_not_ignored(tmp_path):
    """read_sequences(file, split='test') read the whole file as the test split."""
    path = write(tmp_path, "t.csv", "sequence,label\nACGT,1\n")
    with pytest.raises(ValueError, match=r"t.csv: split='test' chooses a split of a data folder; this is one file"):
        list(read_sequences(path, split="test"))
    assert len(list(read_sequences(path))) == 1
