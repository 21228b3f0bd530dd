from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dnalm.audit import audit_dataset, audit_splits, format_audit, shared_window_hits, write_deduplicated
from dnalm.cli import app
from dnalm.io import Record, write_table
from dnalm.io.sequence import reverse_complement


def _random(rng, n):
    return "".join(rng.choice(list("ACGT"), n))


def _brute_force(query, reference, width):
    windows = set()
    for s in reference + [reverse_complement(s) for s in reference]:
        windows.update(s[i : i + width] for i in range(len(s) - width + 1))
    return {
        q
        for q, s in enumerate(query)
        if any("N" not in s[i : i + width] and s[i : i + width] in windows for i in range(len(s) - width + 1))
    }


@pytest.mark.parametrize("seed", range(5))
def test_shared_windows_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    width = int(rng.integers(5, 12))
    reference = [_random(rng, int(rng.integers(3, 40))) for _ in range(30)]
    query = [_random(rng, int(rng.integers(3, 40))) for _ in range(40)]
    for q in range(0, 40, 3):  # plant shared stretches, on either strand, some with an N nearby
        src = reference[int(rng.integers(0, 30))]
        if len(src) >= width:
            piece = src[:width] if q % 2 else reverse_complement(src)[-width:]
            query[q] = query[q][:5] + piece + ("N" if q % 5 == 0 else "") + query[q][5:]
    hits = shared_window_hits(query, reference, width)
    assert set(hits) == _brute_force(query, reference, width)
    for q, r in hits.items():  # the reported partner really shares a window
        assert _brute_force([query[q]], [reference[r]], width) == {0}


def test_windows_with_unknown_bases_or_across_records_never_match():
    # "AACCG" + "TTTGG" concatenated would contain "CCGTT" across the record boundary
    assert shared_window_hits(["AACCG", "TTTGG"], ["CCGTTTG"], 5) == {}
    assert shared_window_hits(["AACCGTTTGG"], ["CCGTTTG"], 5) == {0: 0}
    assert shared_window_hits(["AACNGTT"], ["AACNGTT"], 4) == {}
    assert shared_window_hits(["AACCGTT"], ["AACCGTT"], 8) == {}  # shorter than the window


def test_audit_counts_exact_rc_near_repeats_and_label_conflicts():
    rng = np.random.default_rng(0)
    base = [_random(rng, 80) for _ in range(6)]
    train = [Record(f"tr{i}", s, "1") for i, s in enumerate(base)] + [Record("tr_rep", base[0], "1")]
    test = [
        Record("t_exact", base[1], "0"),  # exact, label differs
        Record("t_rc", reverse_complement(base[2]), "1"),
        Record("t_near", _random(rng, 10) + base[3][10:70] + _random(rng, 10), "1"),
        Record("t_short_overlap", base[4][:40] + _random(rng, 40), "1"),
        Record("t_new", _random(rng, 80), "0"),
    ]
    r = audit_splits({"train": train, "test": test}, min_shared=50)
    assert r["exact_duplicates"] == {"train-train": 1, "test-test": 0, "test-train": 1}
    assert r["reverse_complement_duplicates"]["test-train"] == 1
    assert r["near_duplicates"] == {"test-train": 1}
    assert r["conflicting_labels"]["test-train"] == 1
    ids = r["offending_ids"]["test-train"]
    assert (
        ids["exact"] == [["t_exact", "tr1"]] and ids["rc"] == [["t_rc", "tr2"]] and ids["near"] == [["t_near", "tr3"]]
    )
    assert r["offending_ids"]["train-train"]["exact"] == [["tr_rep", "tr0"]]
    assert r["splits"]["train"]["distinct_sequences"] == 6


def test_dedup_removes_training_rows_that_leak_into_dev_or_test(tmp_path):
    rng = np.random.default_rng(1)
    seqs = [_random(rng, 70) for _ in range(20)]
    data = tmp_path / "data"
    data.mkdir()
    train = [Record(str(i), s, str(i % 2)) for i, s in enumerate(seqs)]
    write_table(train, data / "train.csv")
    write_table([Record("a", seqs[0], "0"), Record("b", _random(rng, 70), "1")], data / "dev.csv")
    write_table(
        [
            Record("c", reverse_complement(seqs[1]), "1"),
            Record("d", seqs[2][5:65] + "ACGTACGTAC", "0"),
            Record("e", _random(rng, 70), "1"),
        ],
        data / "test.csv",
    )
    counts = write_deduplicated(data, tmp_path / "clean")
    assert counts["removed"] == 3 and counts["train_after"] == 17
    assert counts["removed_by_reason"] == {"exact": 1, "reverse_complement": 1, "shares >= 50 bp": 1}
    assert (tmp_path / "clean" / "test.csv").read_bytes() == (data / "test.csv").read_bytes()
    after = audit_dataset(tmp_path / "clean")
    for key in ("test-train", "dev-train"):
        assert after["exact_duplicates"][key] == after["reverse_complement_duplicates"][key] == 0
        assert after["near_duplicates"][key] == 0
    removed = [line.split("\t") for line in (tmp_path / "clean" / "removed.tsv").read_text().splitlines()]
    assert removed[0] == ["train_id", "reason", "matches", "matches_split"]
    # the tables hold no id column, so ids are row numbers: the same in dev and test, told apart by the split
    assert sorted(r[2:] for r in removed[1:]) == [["0", "dev"], ["0", "test"], ["1", "test"]]


def test_bad_input_is_a_clear_error(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "test.csv").write_text("sequence,label\nACGT,1\nAC#T,0\n")
    result = CliRunner().invoke(app, ["audit", str(tmp_path / "d")])
    assert result.exit_code == 2 and "test.csv:3" in result.output and "position 3" in result.output
    (tmp_path / "d" / "test.csv").write_text("sequence,label\nACGT,1\n")
    with pytest.raises(ValueError, match="no train split"):
        write_deduplicated(tmp_path / "d", tmp_path / "out")
    with pytest.raises(ValueError, match="is a file: the audit compares splits"):  # it said "not a split folder"
        audit_dataset(tmp_path / "d" / "test.csv")


# the counts ../shared/data/README.md lists for the GUE promoter tasks (test-in-train, dev-in-train)
GUE_DUPLICATES = {
    "prom_core_all": (43, 54),
    "prom_core_notata": (30, 29),
    "prom_core_tata": (16, 8),
    "prom_300_tata": (6, 14),
}


@pytest.mark.parametrize("task", sorted(GUE_DUPLICATES))
def test_audit_finds_the_documented_gue_duplicates(shared_data, task):
    result = CliRunner().invoke(app, ["audit", str(shared_data / "gue" / "prom" / task), "--json"])
    assert result.exit_code == 0, result.output
    audit = json.loads(result.output)
    assert (audit["exact_duplicates"]["test-train"], audit["exact_duplicates"]["dev-train"]) == GUE_DUPLICATES[task]
    if task == "prom_core_all":
        assert audit["exact_duplicates"]["train-train"] == 148  # also in the data README
    assert audit["tokenizer"]["test"]["n_truncated"] == 0 and audit["tokenizer"]["test"]["unk_tokens"] == 0


def _dedup_data(tmp_path, name, newline="\n", bom=""):
    """Train rows 0..4 with ids, descriptions and extra columns; dev repeats rows 1 and 3 (once reverse-complemented)."""
    import bz2
    import gzip

    rng = np.random.default_rng(2)
    seqs = [_random(rng, 60) for _ in range(5)]
    data = tmp_path / "data"
    data.mkdir()
    if ".fa" in name:
        text = "".join(
            f">chr{i}:{i * 100}-{i * 100 + 60} strand=+ gene=g{i}{newline}{s[:30].lower()}{newline}{s[30:]}{newline}"
            for i, s in enumerate(seqs)
        )
    else:
        sep = "\t" if ".tsv" in name else ","
        rows = [["name", "sequence", "label", "note"]]
        rows += [[f"g{i}", s, "1.0" if i % 2 else "0", f'"x{sep}y"' if i == 2 else f"n{i}"] for i, s in enumerate(seqs)]
        text = "".join(sep.join(r) + newline for r in rows)
    raw = (bom + text).encode()
    compress = {".gz": gzip.compress, ".bz2": bz2.compress}.get(Path(name).suffix, bytes)
    (data / name).write_bytes(compress(raw))
    write_table([Record("d1", seqs[1], "1"), Record("d3", reverse_complement(seqs[3]), "1")], data / "dev.csv")
    return data, text


@pytest.mark.parametrize(
    ("name", "newline", "bom"),
    [
        ("train.csv", "\n", ""),
        ("train.tsv.gz", "\n", ""),
        ("train.fa", "\n", ""),
        ("train.fa.gz", "\n", ""),
        ("train.csv", "\r\n", "\ufeff"),  # an Excel export: CRLF and a BOM, kept as they were
        ("train.fa.bz2", "\r\n", ""),
    ],
)
def test_dedup_keeps_every_column_and_header_as_written(tmp_path, name, newline, bom):
    import bz2
    import gzip

    from dnalm.io import read_sequences

    data, text = _dedup_data(tmp_path, name, newline, bom)
    counts = write_deduplicated(data, tmp_path / "clean")
    assert counts["removed"] == 2 and counts["train_after"] == 3
    out = (tmp_path / "clean" / name).read_bytes()
    out = {".gz": gzip.decompress, ".bz2": bz2.decompress}.get(Path(name).suffix, bytes)(out).decode()
    assert out.startswith(bom)
    out = out.removeprefix(bom)
    lines = text.splitlines(keepends=True)
    if ".fa" in name:  # records 1 and 3 (three lines each) go; headers and soft-masked lines stay as written
        expected = lines[:3] + lines[6:9] + lines[12:]
    else:
        expected = [lines[0], lines[1], lines[3], lines[5]]
    assert out == "".join(expected)
    assert [r.id for r in read_sequences(tmp_path / "clean", split="train")] == (
        ["chr0:0-60", "chr2:200-260", "chr4:400-460"] if ".fa" in name else ["g0", "g2", "g4"]
    )
    removed = (tmp_path / "clean" / "removed.tsv").read_text().splitlines()[1:]
    assert [line.split("\t")[:2] for line in removed] == (
        [["chr1:100-160", "exact"], ["chr3:300-360", "reverse_complement"]]
        if ".fa" in name
        else [["g1", "exact"], ["g3", "reverse_complement"]]
    )


def test_dedup_of_a_genomic_benchmarks_folder_removes_the_duplicate_files(tmp_path):
    data = tmp_path / "gb"
    for split, rows in {
        "train": {"pos": ["ACGTACGTAC", "GGGGGCCCCA"], "neg": ["TTTTTAAAAC"]},
        "test": {"pos": ["GGGGGCCCCA"], "neg": ["ATATATATAT"]},
    }.items():
        for label, seqs in rows.items():
            (data / split / label).mkdir(parents=True)
            for i, s in enumerate(seqs):
                (data / split / label / f"{label}_{i}.txt").write_text(s)
    (data / "train" / "pos" / "notes.md").write_text("kept")
    counts = write_deduplicated(data, tmp_path / "clean", min_shared=8)
    assert counts["removed"] == 1
    assert sorted(p.name for p in (tmp_path / "clean" / "train").rglob("*")) == [
        "neg",
        "neg_0.txt",
        "notes.md",
        "pos",
        "pos_0.txt",
    ]


def test_a_reverse_complement_duplicate_with_another_label_is_a_label_conflict():
    """A test row that was the reverse complement of a training row with the opposite label read 'rev-comp 1' and
    'label conflicts 0': a model that averages the strands sees one sequence with two labels."""
    rng = np.random.default_rng(1)
    base = [_random(rng, 80) for _ in range(3)]
    train = [Record(f"tr{i}", s, "1") for i, s in enumerate(base)]
    test = [Record("t_rc", reverse_complement(base[0]), "0"), Record("t_rc_same", reverse_complement(base[1]), "1")]
    r = audit_splits({"train": train, "test": test})
    assert r["reverse_complement_duplicates"]["test-train"] == 2 and r["conflicting_labels"]["test-train"] == 1
    assert r["offending_ids"]["test-train"]["conflicting_labels"] == [["t_rc", "tr0"]]


def test_dedup_with_no_kind_is_refused(tmp_path):
    """kinds=() copied the data and removed nothing (the CLI refuses an empty --dedup-kinds)."""
    from dnalm.audit import write_deduplicated

    (tmp_path / "d").mkdir()
    for split in ("train", "test"):
        (tmp_path / "d" / f"{split}.csv").write_text("sequence,label\nACGTACGT,0\n")
    with pytest.raises(ValueError, match=r"kinds \(--dedup-kinds\) names no duplicate kind"):
        write_deduplicated(tmp_path / "d", tmp_path / "o", kinds=())
    assert not (tmp_path / "o").exists()


def test_ids_are_said_to_be_cut_only_when_some_were_left_out():
    rng = np.random.default_rng(3)
    seqs = ["".join(rng.choice(list("ACGT"), 60)) for _ in range(3)]
    train = [Record(f"t{i}", s, "0") for i, s in enumerate(seqs)]
    test = [Record(f"x{i}", s, "0") for i, s in enumerate(seqs)]
    assert audit_splits({"train": train, "test": test}, max_ids=3)["ids_truncated"] is False
    assert audit_splits({"train": train, "test": test}, max_ids=2)["ids_truncated"] is True


def test_unlabelled_splits_show_no_labels_not_a_label_none(tmp_path):
    """It printed 'labels None: 3' (and counted 'None' as a label in the JSON)."""
    (tmp_path / "train.csv").write_text("sequence\nACGTACGT\nGGGGCCCC\n")
    (tmp_path / "test.csv").write_text("sequence\nACGTTT\n")
    result = audit_dataset(tmp_path)
    assert result["splits"]["train"]["labels"] == {} and "labels none" in format_audit(result)


def test_a_near_duplicate_length_no_sequence_reaches_is_said(tmp_path, caplog):
    import logging

    from dnalm.audit import audit_dataset

    for split in ("train", "test"):
        (tmp_path / f"{split}.csv").write_text("sequence,label\nACGTACGTACGTAAAA,1\nGGGGCCCCTTTTAAAA,0\n")
    with caplog.at_level(logging.WARNING, logger="dnalm"):
        audit_dataset(tmp_path, min_shared=500, tokenizer=None)
    assert "--min-shared 500 is longer than the longest sequence (16 bases)" in caplog.text


def test_a_tokenizer_that_is_none_is_refused_naming_the_option(tmp_path):
    """audit --tokenizer foo said "foo: no such tokenizer ..." without naming the option the name was given to; the
    name is read by --model's rule, with its list of names."""
    from typer.testing import CliRunner

    from dnalm.audit import audit_dataset
    from dnalm.cli import app

    (tmp_path / "train.csv").write_text("sequence,label\nACGTACGTACGTAAAA,1\nGGGGCCCCTTTTAAAA,0\n")
    result = CliRunner().invoke(app, ["audit", str(tmp_path), "--tokenizer", "foo"])
    assert result.exit_code == 2
    assert "tokenizer (--tokenizer): model 'foo' is not a preset (tiny, " in result.output
    with pytest.raises(ValueError, match=r"^tokenizer \(--tokenizer\): model 'foo' is not a preset"):
        audit_dataset(tmp_path, tokenizer="foo")


def test_the_dedup_line_says_what_was_removed_in_words(tmp_path):
    """`audit --dedup` printed `train 42,000 -> 42,000 rows ({})`: a raw Python dict."""
    from dnalm.audit import describe_audit, run_audit
    from dnalm.synth import tata_dataset, write_splits

    write_splits(tata_dataset(60, 40), tmp_path / "d")
    result = run_audit(tmp_path / "d", dedup=tmp_path / "clean")
    line = describe_audit(result).splitlines()[-1]
    assert "rows (none removed); removed ids in" in line and "{" not in line
    result["deduplicated"]["removed_by_reason"] = {"exact": 2, "reverse_complement": 1}
    assert "rows (2 exact, 1 reverse_complement)" in describe_audit(result)


def test_an_empty_item_in_the_dedup_kinds_is_refused_not_passed_over():
    """`--dedup-kinds exact,,rc` was taken as exact,rc: a typo (a kind left out) passed over without a word."""
    from dnalm.audit import AuditSettings

    with pytest.raises(ValueError, match=r"dedup_kinds \(--dedup-kinds\) takes exact, rc and near; got 'exact,,rc'"):
        AuditSettings(dedup_kinds="exact,,rc", dedup="out")
    assert AuditSettings(dedup_kinds="exact, rc", dedup="out").kinds == ("exact", "rc")


def test_the_audit_api_has_the_bounds_the_command_has(tata_dir, tmp_path):
    from dnalm.audit import audit_dataset, write_deduplicated

    for kwargs, message in (
        ({"min_shared": 0}, r"min_shared \(--min-shared\) must be in \[1, 1000000\]; got 0"),  # a numpy broadcast error
        ({"min_shared": 1.5}, r"min_shared \(--min-shared\) must be a whole number; got 1.5"),
        ({"max_ids": -1}, r"max_ids \(--max-ids\) must be in \[0, 1000000000\]; got -1"),
    ):
        with pytest.raises(ValueError, match=message):
            audit_dataset(tata_dir, **kwargs)
    with pytest.raises(ValueError, match=r"min_shared \(--min-shared\) must be in \[1, 1000000\]"):
        write_deduplicated(tata_dir, tmp_path / "clean", min_shared=0)
    assert not (tmp_path / "clean").exists()


def test_audit_takes_a_tokenizer_by_name_and_scan_names_a_bad_block(tata_dir, tata_model, tmp_path):
    from dnalm.apply.scan import scan_genome
    from dnalm.audit import audit_dataset

    assert "train" in audit_dataset(tata_dir, tokenizer="kmer6")["tokenizer"]  # was an AttributeError
    (tmp_path / "g.fa").write_text(">c\n" + "ACGT" * 50 + "\n")
    with pytest.raises(ValueError, match="block must be a whole number"):  # was "'<' not supported"
        scan_genome(str(tata_model), tmp_path / "g.fa", tmp_path / "x.bedGraph", block="1M")


def test_json_outputs_named_as_another_format_are_refused(tmp_path):
    """audit -o a.tsv and lm-eval -o l.csv wrote JSON under those names, with exit 0."""
    from dnalm.audit import run_audit
    from dnalm.lm.pretrain import score_language_model

    (tmp_path / "d.csv").write_text("sequence,label\nACGTACGTAA,0\nACGTTTGTAA,1\n")
    with pytest.raises(ValueError, match=r"a.tsv: the audit's results are written as JSON \(.json\); .tsv names"):
        run_audit(tmp_path / "d.csv", tmp_path / "a.tsv")
    with pytest.raises(ValueError, match=r"l.csv: language-model metrics are written as JSON"):
        score_language_model("dnalm-mini", tmp_path, tmp_path / "l.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_a_bare_tokenizer_name_is_dnalms_whatever_the_folder_holds(tmp_path, monkeypatch, caplog):
    """tokenizer check / audit --tokenizer took a local folder named base, kmer3 or dnalm-mini in place of dnalm's,
    without a word (--model's names mean dnalm's and warn)."""
    import logging

    from dnalm import settings
    from dnalm.audit import tokenizer_named
    from dnalm.tokenizers.dna import load_tokenizer

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "_SAID_BESIDE", set())
    from dnalm.models.shipped import pretrained_path

    load_tokenizer(pretrained_path("dnalm-mini")).save_pretrained(tmp_path / "kmer3")  # another scheme, named kmer3
    with caplog.at_level(logging.WARNING, logger="dnalm"):
        tok = tokenizer_named("kmer3")
    assert type(tok).__name__ == "KmerTokenizer" and tok.k == 3
    assert "kmer3 is dnalm's tokenizer; kmer3 here is not used (give ./kmer3 for it)" in caplog.text


def test_a_deduplicated_copy_is_not_written_inside_its_data(tmp_path):
    from dnalm.audit import write_deduplicated

    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "dev", "test"):
        (data / f"{split}.csv").write_text("sequence,label\nACGTACGTACGTAAAA,1\nTTTTGGGGCCCCAAAA,0\n")
    with pytest.raises(ValueError, match=r"--dedup .*sub is inside DATA"):
        write_deduplicated(data, data / "sub")
    assert sorted(p.name for p in data.iterdir()) == ["dev.csv", "test.csv", "train.csv"]


def test_tokenizer_check_refuses_a_split_of_a_file(tmp_path):
    """tokenizer check TOK test.csv --split dev reported the whole file as split 'all'."""
    from dnalm.audit import check_tokenizer_on

    data = tmp_path / "t.csv"
    data.write_text("sequence,label\nACGTACGT,1\n")
    with pytest.raises(ValueError, match=r"--split chooses splits of a data folder; .*t.csv is not one"):
        check_tokenizer_on("kmer3", data, ["dev"])
    assert check_tokenizer_on("kmer3", data)["all"]["n_sequences"] == 1


def test_split_beside_class_fastas_names_the_class_files(tmp_path):
    from dnalm.audit import check_tokenizer_on

    (tmp_path / "a.fa").write_text(">a\nACGTACGT\n")
    with pytest.raises(ValueError, match=r"--split chooses splits of a data folder; --class FASTAs have none"):
        check_tokenizer_on("kmer3", tmp_path, ["train"], classes={"a": str(tmp_path / "a.fa")})
