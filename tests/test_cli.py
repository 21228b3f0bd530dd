from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from dnalm.cli import app
from dnalm.tokenization import KmerTokenizer, load_tokenizer

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    return result


def test_synth_tata_writes_train_and_dev(tmp_path):
    r = invoke("synth", "tata", "-o", tmp_path, "--n", 200, "--length", 50, "--seed", 3)
    assert r.exit_code == 0, r.output
    rows = {name: list(csv.DictReader(open(tmp_path / f"{name}.csv"))) for name in ("train", "dev")}
    assert len(rows["train"]) == 160 and len(rows["dev"]) == 40
    assert list(rows["dev"][0]) == ["sequence", "label"]
    assert sum(row["label"] == "1" for row in rows["dev"]) == 20


def test_synth_motif_and_bad_motif(tmp_path):
    assert invoke("synth", "motif", "-o", tmp_path, "--motif", "GGATCC", "--rate", "0.3").exit_code == 0
    r = invoke("synth", "motif", "-o", tmp_path, "--motif", "GGNTCC")
    assert r.exit_code == 2 and "A/C/G/T" in r.output


def test_tokenizer_build_and_check(tmp_path):
    assert invoke("tokenizer", "kmer", "--k", 5, "-o", tmp_path / "k5").exit_code == 0
    tok = load_tokenizer(tmp_path / "k5")
    assert isinstance(tok, KmerTokenizer) and tok.k == 5
    data = tmp_path / "d.csv"
    data.write_text("sequence,label\nACGTACGTAC,1\nACGTNNNNNN,0\n")
    r = invoke("tokenizer", "check", tmp_path / "k5", data, "--max-length", 7, "--json")
    report = json.loads(r.output)["all"]
    assert report["n_sequences"] == 2 and report["unk_tokens"] == 6 and report["n_truncated"] == 2


def test_tokenizer_bpe_and_base(tmp_path):
    fasta = tmp_path / "g.fa"
    fasta.write_text(">g\n" + "TATAAAGGGCGGCCAAT" * 300 + "\n")
    r = invoke("tokenizer", "bpe", fasta, "-o", tmp_path / "bpe", "--vocab-size", 64, "--segment-length", 100)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "bpe" / "tokenizer.json").is_file()
    assert invoke("tokenizer", "base", "-o", tmp_path / "base").exit_code == 0
    assert invoke("tokenizer", "nonoverlap", "-o", tmp_path / "no").exit_code == 0


def test_bad_data_is_a_clear_error(tmp_path):
    assert invoke("tokenizer", "kmer", "-o", tmp_path / "k").exit_code == 0
    bad = tmp_path / "bad.fa"
    bad.write_text(">x\nACGT\nAC*T\n")
    r = invoke("tokenizer", "check", tmp_path / "k", bad)
    assert r.exit_code == 2 and "bad.fa:3: record 'x': column 3: '*'" in r.output
    r = invoke("tokenizer", "check", tmp_path / "k", "--class", "nolabel")
    assert r.exit_code != 0 and "LABEL=FASTA" in r.output
