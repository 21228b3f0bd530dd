"""Table columns: a sequence or label column named twice is refused, naming the file and the column."""

from __future__ import annotations

import re

import pytest

from dnalm.io import DataFormatError, read_sequences


@pytest.mark.parametrize(
    "header, column",
    [("sequence,label,sequence", "sequence"), ("seq,Label,label", "Label"), ("id,dna,target,DNA", "dna")],
)
def test_a_column_named_twice_is_refused(tmp_path, header, column):
    path = tmp_path / "t.csv"
    width = header.count(",") + 1
    path.write_text(header + "\n" + ",".join(["ACGT"] * (width - 2) + ["1", "GG"][:2]) + "\n")
    with pytest.raises(DataFormatError, match=rf"t.csv:1: the \w+ column {column!r} appears 2 times"):
        list(read_sequences(path))


def test_a_chosen_column_named_twice_is_refused(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\ta\nACGT\t1\tGG\n")
    with pytest.raises(DataFormatError, match="the sequence column 'a' appears 2 times"):
        list(read_sequences(path, sequence_column="a", label_column="b"))


def test_a_label_column_that_is_the_sequence_column_found_is_refused(tmp_path):
    """--label-column sequence (the sequence column found by its name) read every sequence as a label: a message
    of several kB listing sequences as "the training labels", or advice to use regression."""
    path = tmp_path / "t.csv"
    path.write_text("sequence,label\nACGTACGT,1\nGGCCAATT,0\n")
    with pytest.raises(DataFormatError, match=r"t.csv:1: label_column \(--label-column\) 'sequence' is the sequence"):
        list(read_sequences(path, label_column="sequence"))


@pytest.mark.parametrize(
    "name, text, said",
    [
        ("semi.csv", "sequence;label\nACGT;1\n", "one column: is the file separated by ';'?"),
        ("comma.tsv", "sequence,label\nACGT,1\n", "one column: is the file separated by ','?"),
        ("blank.csv", "\nsequence,label\nACGT,1\n", "the first line is blank"),
        ("comment.csv", "# my data\nsequence,label\nACGT,1\n", "the first line is a comment"),
    ],
)
def test_a_header_that_is_no_header_says_what_it_seems_to_be(tmp_path, name, text, said):
    """A semicolon-separated file, a comma file named .tsv, a blank or comment first line: the message listed the
    columns it read (['sequence;label'], []) and not why."""
    (tmp_path / name).write_text(text)
    with pytest.raises(DataFormatError, match=re.escape(said)):
        list(read_sequences(tmp_path / name))


@pytest.mark.parametrize("value", ["inf", "nan", "-Infinity"])
def test_a_label_that_is_no_finite_number_among_numbers_is_said_as_such(tmp_path, value):
    """inf and nan among numeric labels read "is not a number, but line 2's label '2.1' is; labels are all numbers
    or all names" (1e400 said "not a finite number")."""
    (tmp_path / "t.csv").write_text(f"sequence,label\nACGTACGT,2.1\nACGTACGG,{value}\n")
    with pytest.raises(DataFormatError, match=rf"t.csv:3: record '1': label '{value}' is not a finite number"):
        list(read_sequences(tmp_path / "t.csv"))
