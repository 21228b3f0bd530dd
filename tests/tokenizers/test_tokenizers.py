from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertTokenizer

from dnalm.io import Record
from dnalm.tokenizers.bpe import genome_segments, train_bpe
from dnalm.tokenizers.dna import (
    BaseTokenizer,
    KmerTokenizer,
    NonOverlappingKmerTokenizer,
    kmer_vocab,
    load_tokenizer,
    tokenizer_report,
)


def random_sequences(n: int, seed: int, lo: int = 0, hi: int = 120) -> list[str]:
    """Random DNA, some with N, some lower-case, some shorter than k."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        alphabet = "ACGTN" if i % 3 == 0 else "ACGT"
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(lo, hi)))
        out.append(s.lower() if i % 4 == 1 else s)
    return out


def dnabert_reference(k: int, vocab_file) -> tuple[BertTokenizer, callable]:
    ref = BertTokenizer(vocab=str(vocab_file), do_lower_case=False)
    assert len(ref) == 4**k + 5
    return ref, lambda seqs: [" ".join(s.upper()[i : i + k] for i in range(len(s) - k + 1)) for s in seqs]


@pytest.mark.parametrize("k", [3, 4, 5, 6])
def test_vocab_order_is_dnaberts(shared_data, k):
    lines = (shared_data / "dnabert_vocab" / f"vocab_{k}.txt").read_text().splitlines()
    assert lines == kmer_vocab(k)


@pytest.mark.parametrize("k", [3, 4, 5, 6])
@pytest.mark.parametrize(
    "call",
    [
        {},
        {"padding": True},
        {"padding": True, "truncation": True, "max_length": 40, "return_tensors": "np"},
        {"padding": "max_length", "truncation": True, "max_length": 130, "return_tensors": "np"},
        {"padding": True, "pad_to_multiple_of": 8, "return_tensors": "np"},
    ],
)
def test_ids_equal_dnabert_bert_tokenizer(shared_data, k, call):
    vocab_file = shared_data / "dnabert_vocab" / f"vocab_{k}.txt"
    ref, to_kmers = dnabert_reference(k, vocab_file)
    seqs = random_sequences(300, seed=k)
    ours = KmerTokenizer.from_pretrained(_dnabert_dir(vocab_file, shared_data, k))(seqs, **call)
    theirs = ref(to_kmers(seqs), **call)
    assert set(ours.keys()) == set(theirs.keys())
    for key in theirs:
        assert (
            np.array_equal(np.asarray(ours[key]), np.asarray(theirs[key]))
            if "return_tensors" in call
            else ours[key] == theirs[key]
        ), key
    ids = ours["input_ids"]
    assert any(1 in row for row in (ids.tolist() if hasattr(ids, "tolist") else ids)), "data must hold [UNK]"


_dirs: dict = {}


def _dnabert_dir(vocab_file, shared_data, k):
    """A folder in DNABERT's release layout: vocab.txt + tokenizer_config.json with do_lower_case true."""
    import tempfile
    from pathlib import Path

    if k not in _dirs:
        d = Path(tempfile.mkdtemp())
        (d / "vocab.txt").write_text(vocab_file.read_text())
        (d / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True, "model_max_length": 512}))
        (d / "special_tokens_map.json").write_text(json.dumps({"unk_token": "[UNK]"}))
        _dirs[k] = d
    return _dirs[k]


def test_dnabert_layout_checkpoint_gets_kmer_tokenizer_not_unk(shared_data, tmp_path):
    d = _dnabert_dir(shared_data / "dnabert_vocab" / "vocab_6.txt", shared_data, 6)
    tok = load_tokenizer(d)
    assert isinstance(tok, KmerTokenizer) and tok.k == 6 and tok.model_max_length == 512
    ids = tok("ACGTACGTAC")["input_ids"]
    assert tok.unk_token_id not in ids
    # the trap dnalm spares its users: DNABERT's own config lower-cases, so every k-mer is [UNK]
    stock = BertTokenizer(vocab=str(d / "vocab.txt"), do_lower_case=True)
    assert set(stock("ACGTAC CGTACG")["input_ids"][1:-1]) == {stock.unk_token_id}


def test_save_pretrained_loads_in_plain_transformers_and_dnalm(tmp_path):
    tok = KmerTokenizer(k=4, model_max_length=64)
    tok.save_pretrained(tmp_path)
    assert (tmp_path / "vocab.txt").read_text().splitlines() == kmer_vocab(4)
    seqs = random_sequences(50, seed=9, lo=4)
    auto = AutoTokenizer.from_pretrained(tmp_path)
    spaced = [" ".join(s.upper()[i : i + 4] for i in range(len(s) - 3)) for s in seqs]
    assert auto(spaced)["input_ids"] == tok(seqs)["input_ids"]
    again = load_tokenizer(tmp_path)
    assert isinstance(again, KmerTokenizer) and again.k == 4 and again.model_max_length == 64
    assert again(seqs)["input_ids"] == tok(seqs)["input_ids"]


@pytest.mark.parametrize("cls", [BaseTokenizer, lambda: KmerTokenizer(k=3)])
def test_a_vocab_txt_reordered_against_its_tokenizer_json_is_refused(tmp_path, cls):
    """A vocab.txt with A and T swapped (or a 6-mer vocabulary reversed) was read as it stood while the folder's
    tokenizer.json said otherwise: the model read every base as another and predicted with exit 0."""
    cls().save_pretrained(tmp_path)
    tokens = (tmp_path / "vocab.txt").read_text().splitlines()
    a, t = tokens.index("AAA" if "AAA" in tokens else "A"), tokens.index("TTT" if "TTT" in tokens else "T")
    tokens[a], tokens[t] = tokens[t], tokens[a]
    (tmp_path / "vocab.txt").write_text("\n".join(tokens) + "\n")
    with pytest.raises(ValueError, match=r"vocab\.txt: token ids differ from tokenizer\.json beside it \('T+' is"):
        load_tokenizer(tmp_path)


@pytest.mark.parametrize("cls", [BaseTokenizer, NonOverlappingKmerTokenizer])
def test_other_dna_tokenizers_round_trip(tmp_path, cls):
    tok = cls()
    tok.save_pretrained(tmp_path)
    again = load_tokenizer(tmp_path)
    assert type(again) is cls
    seqs = random_sequences(40, seed=1)
    assert again(seqs)["input_ids"] == tok(seqs)["input_ids"]
    auto = AutoTokenizer.from_pretrained(tmp_path)
    for ids in tok(seqs[:5])["input_ids"]:
        assert auto(tok.decode(ids[1:-1]))["input_ids"] == ids
    # plain transformers takes raw DNA too (either case, U, IUPAC codes), with dnalm's ids
    mixed = [s.lower() if i % 2 else s for i, s in enumerate(random_sequences(60, seed=2))]
    mixed += ["ACGURYNNacgtkm", "a", "TTTTTTTTTTTTTN"]
    assert auto(mixed)["input_ids"] == tok(mixed)["input_ids"]


@pytest.mark.parametrize("k", [1, 2, 6])
def test_nonoverlapping_matches_a_plain_python_reference(k):
    tok = NonOverlappingKmerTokenizer(k=k)  # k = 1 repeated the bases in its vocabulary
    assert len(set(tok.get_vocab())) == len(tok)
    for s in random_sequences(200, seed=4):
        expected = []
        for run in __import__("re").findall(r"[ACGT]+|[^ACGT]", s.upper()):
            cut = len(run) - len(run) % k
            expected += [run[j : j + k] for j in range(0, cut, k)] + list(run[cut:])
        assert tok.convert_ids_to_tokens(tok(s, add_special_tokens=False)["input_ids"]) == expected


def test_base_tokenizer_and_tensor_output():
    tok = BaseTokenizer()
    enc = tok(["ACGU", "ac"], padding=True, return_tensors="pt")
    assert enc["input_ids"].tolist() == [[2, 5, 6, 7, 8, 3], [2, 5, 6, 3, 0, 0]]
    assert enc["input_ids"].dtype == torch.int64
    with pytest.raises(ValueError, match="different numbers of tokens"):
        tok(["ACGU", "ac"], return_tensors="pt")


def test_invalid_characters_are_named():
    with pytest.raises(ValueError, match=r"sequence 1, position 3: 'X'"):
        KmerTokenizer(3)(["ACGT", "ACXT"])
    with pytest.raises(ValueError, match=r"sequence 0, position 2: 'é'"):
        KmerTokenizer(3)(["Aé"])
    with pytest.raises(TypeError, match="unsupported arguments"):
        KmerTokenizer(3)("ACGT", is_split_into_words=True)


def test_pad_is_the_collator_interface():
    tok = KmerTokenizer(3)
    feats = [{k: v for k, v in tok(s).items()} | {"labels": i} for i, s in enumerate(["ACGTA", "ACG"])]
    batch = tok.pad(feats)
    assert batch["input_ids"].tolist() == tok(["ACGTA", "ACG"], padding=True)["input_ids"]
    assert batch["labels"].tolist() == [0, 1]


def test_bpe_normalises_case_and_loads_in_auto_tokenizer(tmp_path):
    rng = random.Random(0)
    motifs = ["TATAAA", "GGGCGG", "CCAAT"]
    corpus = ["".join(rng.choice(motifs + list("ACGT")) for _ in range(200)) for _ in range(300)]
    tok = train_bpe(corpus, vocab_size=128, min_frequency=4)
    assert len(tok) == 128
    tok.save_pretrained(tmp_path)
    auto = AutoTokenizer.from_pretrained(tmp_path)
    for s in ["acgtTATAAA", "ACGUNNacgu"]:
        ids = auto(s)["input_ids"]
        assert auto.unk_token_id not in ids
        assert ids == auto(s.upper().replace("U", "T"))["input_ids"]
    assert auto("TATAAA")["input_ids"][0] == auto.convert_tokens_to_ids("<s>")
    assert type(load_tokenizer(tmp_path)).__name__ == type(auto).__name__


def test_bpe_learns_no_merge_across_ambiguity_codes(tmp_path):
    """Only N was left out: R, Y and runs such as ACGTRY became tokens, though the message said other codes were."""
    from dnalm.tokenizers.build import train_bpe_folder

    (tmp_path / "iu.fa").write_text(">a\n" + "ACGTRYKMSWBDHVNACGTACGTACGTACGT" * 20 + "\n")
    train_bpe_folder([tmp_path / "iu.fa"], tmp_path / "bpe", vocab_size=64, min_frequency=1)
    vocab = json.loads((tmp_path / "bpe" / "tokenizer.json").read_text())["model"]["vocab"]
    assert not [t for t in vocab if not t.startswith("<") and t != "N" and set(t) - set("ACGT")]  # N: for unknowns
    counts: dict = {}
    list(genome_segments([Record("a", "ACRYGTN")], 10, counts=counts))
    assert counts == {"bases": 7, "n_left_out": 3}


def test_genome_segments_split_at_n_and_sample():
    recs = [Record("chr", "ACGTACGTAC" + "N" * 5 + "GGGG")]
    assert list(genome_segments(recs, length=4)) == ["ACGT", "ACGT", "AC", "GGGG"]
    sample = list(genome_segments(recs * 100, length=4, max_segments=10, seed=1))
    assert len(sample) == 10 and sample == list(genome_segments(recs * 100, length=4, max_segments=10, seed=1))


def test_tokenizer_report_counts_unknowns_and_truncation():
    seqs = ["ACGTACGT", "ACGNACGT", "AC"]
    r = tokenizer_report(KmerTokenizer(k=3), seqs, max_length=7, batch_size=2)
    assert r["n_sequences"] == 3 and r["n_tokens"] == 8 + 8 + 2
    assert r["unk_tokens"] == 3 and r["n_truncated"] == 2


def test_bpe_refuses_one_file_given_twice(tmp_path):
    """tokenizer bpe g.fa g.fa trained on every segment twice (corpus refuses the same)."""
    from dnalm.tokenizers.build import train_bpe_folder

    (tmp_path / "g.fa").write_text(">a\n" + "ACGTTGCA" * 50 + "\n")
    (tmp_path / "link.fa").symlink_to(tmp_path / "g.fa")
    with pytest.raises(ValueError, match=r"link.fa: the same file as .*g.fa, given twice; give each once"):
        train_bpe_folder([tmp_path / "g.fa", tmp_path / "link.fa"], tmp_path / "bpe", vocab_size=30)
    assert not (tmp_path / "bpe").exists()


def test_bpe_is_trained_on_a_named_sequence_column_as_its_error_advises(tmp_path):
    """A table without a standard sequence column was refused with "name it with --sequence-column", an option
    `tokenizer bpe` did not have."""
    from dnalm.tokenizers.build import train_bpe_folder

    (tmp_path / "tab.tsv").write_text(
        "id\tdna_seq\nx\tACGTACGTAAAACCCGGGTTACGTTTGACCA\ny\tACGTTTTTTGGGGCCCAAAATTTGGG\n"
    )
    with pytest.raises(ValueError, match="--sequence-column|sequence_column="):
        train_bpe_folder([tmp_path / "tab.tsv"], tmp_path / "t")
    said = train_bpe_folder([tmp_path / "tab.tsv"], tmp_path / "t", sequence_column="dna_seq", vocab_size=20)
    assert "57 bases" in said and (tmp_path / "t" / "tokenizer.json").is_file()


def test_a_large_kmer_vocabulary_is_said_before_it_is_written_and_its_size_after(tmp_path, monkeypatch, caplog):
    """k 12 wrote a 710 MB folder of 16.8 M tokens in minutes without a word; now the vocabulary's size is said
    before the write and the folder's size after (the bound lowered so that a small k stands for a large one)."""
    import dnalm.tokenizers.build as build

    monkeypatch.setattr(build, "LARGE_VOCABULARY", 200)
    monkeypatch.setattr(build, "_save", lambda tok, output, name=None: f"{len(tok)} tokens")
    with caplog.at_level("WARNING", logger="dnalm"):
        assert build.save_tokenizer("kmer", tmp_path / "k4", k=4) == "261 tokens"
    (said,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "--k 4 makes a vocabulary of 261 tokens" in said and "DNABERT uses k 3-6" in said
    caplog.clear()
    with caplog.at_level("WARNING", logger="dnalm"):
        build.save_tokenizer("kmer", tmp_path / "k3", k=3)  # 64 k-mers: below the bound
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_a_saved_tokenizer_line_gives_the_size_of_a_large_folder(tmp_path):
    from dnalm.tokenizers.build import _save

    class Big:
        def save_pretrained(self, folder):
            folder.mkdir()
            (folder / "vocab.txt").write_bytes(b"A" * 12_000_000)

        def __len__(self):
            return 9

    assert _save(Big(), tmp_path / "big", "x") == f"saved x (vocabulary 9, 12 MB) to {tmp_path / 'big'}"
    assert "MB" not in _save(KmerTokenizer(k=3), tmp_path / "k3")
