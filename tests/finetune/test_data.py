"""Training data (dnalm.finetune.data): class FASTA files and data folders, labels that are missing."""

from __future__ import annotations

import pytest

from dnalm.finetune.config import FinetuneConfig


def test_class_files_and_data_do_not_mix_and_one_file_is_not_two_classes(tmp_path):
    from dnalm.finetune.data import load_splits

    pos = tmp_path / "pos.fa"
    pos.write_text(">a\nACGTACGT\n>b\nTTGACCAA\n")
    with pytest.raises(ValueError, match=r"give DATA \(.*\) or classes\['LABEL'\]='FASTA' pairs, not both"):
        load_splits(tmp_path, classes={"a": str(pos), "b": str(pos)})
    with pytest.raises(ValueError, match=r"classes\['a'\]='.*pos.fa' and classes\['b'\]='.*pos.fa' name one file"):
        load_splits(None, classes={"a": str(pos), "b": str(pos)})


def test_training_data_without_labels_lists_its_columns_and_a_missing_class_file_names_the_option(tmp_path):
    from dnalm.finetune.train import finetune

    (tmp_path / "d.csv").write_text("seq,y\n" + "ACGTACGTAC,0\nTTTTGGGGCC,1\n" * 10)
    with pytest.raises(ValueError, match=r"has no label; .*d.csv has the columns \['seq', 'y'\]\), or --class"):
        finetune(FinetuneConfig(model="cnn", epochs=1), tmp_path / "d.csv", tmp_path / "out")
    (tmp_path / "u.fa").write_text(">a\nACGTACGTAC\n>b\nTTGACCATGA\n")  # two records: said to be too few to split
    with pytest.raises(ValueError, match=r"u.fa:1: record 'a' has no label"):
        finetune(FinetuneConfig(model="cnn", epochs=1), tmp_path / "u.fa", tmp_path / "out")
    (tmp_path / "u.fa").unlink()
    (tmp_path / "a.fa").write_text(">a\nACGTACGT\n")
    with pytest.raises(
        FileNotFoundError, match=r"classes\['b'\]='nope.fa': no such file"
    ):  # (it named --class to Python)
        finetune(FinetuneConfig(model="cnn"), None, tmp_path / "o2", classes={"a": tmp_path / "a.fa", "b": "nope.fa"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.fa", "d.csv"]
