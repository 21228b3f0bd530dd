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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "dnalm_tokenizer.json: not valid JSON"),
        ("[1, 2]", "dnalm_tokenizer.json: not a dnalm tokenizer description"),
        ('{"type": "kmer", "k": 6, "colour": "red"}', r"dnalm_tokenizer.json: .*colour"),
    ],
)
def test_a_damaged_tokenizer_description_is_named(tmp_path, text, message):
    from dnalm.tokenizers.dna import KmerTokenizer, load_tokenizer

    KmerTokenizer(k=6).save_pretrained(tmp_path)
    (tmp_path / "dnalm_tokenizer.json").write_text(text)
    with pytest.raises(ValueError, match=message):
        load_tokenizer(tmp_path)


def test_decode_refuses_ids_that_are_not_of_the_vocabulary():
    from dnalm.tokenizers.dna import KmerTokenizer

    tok = KmerTokenizer(k=6)
    ids = tok("ACGTACGT")["input_ids"]
    assert tok.decode(ids) == tok.decode(np.array(ids)) == "[CLS] ACGTAC CGTACG GTACGT [SEP]"
    for bad in ([2, -1, 3], [2, 99_999], [2.7], [[2, 3]]):  # -1 read the last token, 2.7 token 2
        with pytest.raises(ValueError, match="decode takes one sequence of token ids, whole numbers from 0 to 4100"):
            tok.decode(bad)


def test_a_tokenizer_call_names_the_argument_that_is_wrong():
    from dnalm.tokenizers.dna import KmerTokenizer

    tok = KmerTokenizer(k=6)
    for args, kwargs, error, message in (
        ((b"ACGT",), {}, TypeError, "give a sequence \\(str\\) or a list of them; got bytes"),
        ((None,), {}, TypeError, "got NoneType"),
        ((["ACGTAC", 3],), {}, TypeError, "sequence 1 is int, not text"),
        (([],), {}, ValueError, "give at least one sequence to tokenize"),  # an IndexError
        (("ACGTACGT",), {"truncation": True, "max_length": 2.5}, ValueError, "max_length must be a whole number"),
        (("ACGT",), {"padding": "bogus"}, ValueError, "padding must be True, False"),  # ignored
        (("ACGT",), {"padding": True, "pad_to_multiple_of": -2}, ValueError, "pad_to_multiple_of must be"),
    ):
        with pytest.raises(error, match=message):
            tok(*args, **kwargs)
    assert tok(s for s in ["ACGTAC", "ACGTACG"])["input_ids"] == [[2, 727, 3], [2, 727, 2896, 3]]  # a generator


def test_a_model_and_a_tokenizer_that_do_not_belong_together_are_refused_in_one_line(tata_model):
    """A single-base tokenizer fed a 6-mer model scored without a word, the reverse failed in torch ('index out of
    range'); one string was explained letter by letter; a model given with a path ignored the path."""
    from dnalm.apply.predict import predict_proba
    from dnalm.interpret.attributions import gradient_attributions, saturation_mutagenesis
    from dnalm.lm.inference import embed, fill_mask, load_masked_lm
    from dnalm.models.build import load_model
    from dnalm.tokenizers.dna import BaseTokenizer

    model, tok = load_model(tata_model)  # a 6-mer BERT
    bases = BaseTokenizer()
    seq = "ACGTTATAAAGCGCGTACGA" * 3
    for call in (
        lambda: predict_proba(model, bases, [seq]),
        lambda: saturation_mutagenesis(model, bases, [seq]),
        lambda: gradient_attributions(model, bases, [seq], method="gradxinput"),
    ):
        with pytest.raises(ValueError, match=r"the tokenizer has \d+ tokens and the model 4101: give the model"):
            call()
    with pytest.raises(TypeError, match="model must be a loaded model"):
        saturation_mutagenesis(str(tata_model), tok, [seq])
    for explain in (saturation_mutagenesis, gradient_attributions):
        with pytest.raises(TypeError, match="not one string"):
            explain(model, tok, seq)
    with pytest.raises(ValueError, match="n_steps"):
        gradient_attributions(model, tok, [seq], n_steps=0)
    lm, lm_tok = load_masked_lm("dnalm-mini")
    with pytest.raises(ValueError, match="not both"):
        fill_mask("dnalm-mini", "ACG<mask>T", model=lm, tokenizer=lm_tok)
    with pytest.raises(ValueError, match="needs its tokenizer"):
        fill_mask(None, "ACG<mask>T", model=lm)
    with pytest.raises(ValueError, match="needs its tokenizer"):
        embed(None, [seq], model=lm)
    with pytest.raises(ValueError, match="the tokenizer has"):
        fill_mask(None, "ACG<mask>T", model=lm, tokenizer=tok)


def test_small_helpers_refuse_what_they_would_misread():
    """Found by the Python API sweep: each helper read a string as a list of one-base sequences, dropped or
    ignored lower case and U, replaced 0 by a default, or failed deep in numpy."""
    from dnalm.interpret.motifs import background, benjamini_hochberg, write_meme
    from dnalm.io.base import Record
    from dnalm.io.sequence import SequenceError, gc_content, one_hot
    from dnalm.lm.baselines import ContextCounts, MarkovChain
    from dnalm.lm.evaluate import fit_references
    from dnalm.tokenizers.bpe import genome_segments, train_bpe
    from dnalm.tokenizers.dna import KmerTokenizer, tokenizer_report

    assert list(genome_segments([Record("a", "acgtACGT")], 3)) == ["ACG", "TAC", "GT"]  # soft-masked bases stay
    for bad in ({"length": 0}, {"length": -1}, {"max_segments": 0}):
        with pytest.raises(ValueError, match="must be a whole number"):
            list(genome_segments([Record("a", "ACGT")], **{"length": 3, **bad}))
    with pytest.raises(TypeError, match="not one string"):
        train_bpe("ACGTACGTACGT")
    with pytest.raises(ValueError, match="vocab_size must be a whole number of at least 11"):
        train_bpe(["ACGTACGT"], vocab_size=3)
    with pytest.raises(ValueError, match=r"sequence 1, position 1: 'Z' is not a nucleotide code"):
        train_bpe(["ACGT", "ZZ"])
    with pytest.raises(ValueError, match="at least one sequence"):
        train_bpe([])
    assert background(["aacg", "UN"]).tolist() == [0.4, 0.2, 0.2, 0.2]
    assert one_hot("acgu").tolist() == one_hot("ACGT").tolist()
    with pytest.raises(SequenceError):
        one_hot("AXZ")
    with pytest.raises(SequenceError):
        gc_content("GGXX")
    with pytest.raises(ValueError, match=r"p-values must be .* in \[0, 1\]"):
        benjamini_hochberg(np.array([0.01, np.nan, 0.5]))
    with pytest.raises(ValueError, match=r"a \(width, 4\) matrix"):
        write_meme("unused.meme", [("m1", "ACG", np.full((3, 3), 1 / 3), 5)], np.full(4, 0.25))
    with pytest.raises(ValueError, match="context size 13 .* at most 12"):
        MarkovChain(13)
    with pytest.raises(ValueError, match="context size 7 .* at most 6"):
        ContextCounts(7)
    with pytest.raises(TypeError, match="not one string"):
        fit_references("ACGTACGT")
    with pytest.raises(TypeError, match="not one string"):
        tokenizer_report(KmerTokenizer(k=3), "ACGTACGT")
    with pytest.raises(ValueError, match="max_length must be a whole number"):
        tokenizer_report(KmerTokenizer(k=3), ["ACGTACGT"], max_length=0)


def test_token_ids_outside_the_vocabulary_and_uneven_examples_are_refused():
    """convert_ids_to_tokens(-1) read the last token and 2.7 token 2 (decode refused both); pad kept only the first
    example's keys (a later example's labels were dropped) and pad([]) was max() of an empty sequence."""
    from dnalm.tokenizers.dna import KmerTokenizer

    tok = KmerTokenizer(k=3)
    for ids in (-1, [2.7], [10**9], True):
        with pytest.raises(ValueError, match="token ids are whole numbers from 0 to 68"):
            tok.convert_ids_to_tokens(ids)
    assert tok.convert_ids_to_tokens(np.int64(5)) == tok.convert_ids_to_tokens([5])[0]
    with pytest.raises(ValueError, match="at least one tokenized example"):
        tok.pad([])
    with pytest.raises(ValueError, match=r"example 1 has the keys \['input_ids', 'labels'\]"):
        tok.pad([{"input_ids": [1, 2]}, {"input_ids": [1], "labels": [0]}])


def test_small_functions_name_a_wrong_argument_instead_of_failing_inside():
    from dnalm.interpret.attributions import importance
    from dnalm.io import canonical_label
    from dnalm.io.sequence import kmers_to_sequence, normalize
    from dnalm.lm.masking import KmerMaskingCollator
    from dnalm.tokenizers.dna import KmerTokenizer, tokenizer_by_name

    for call, error, said in [
        (lambda: kmers_to_sequence([]), ValueError, "non-empty list of k-mers"),  # IndexError
        (lambda: canonical_label(1), TypeError, "a label is text"),  # AttributeError
        (lambda: normalize(None), TypeError, "a sequence is text"),
        (lambda: tokenizer_by_name(None), TypeError, "a tokenizer name is"),
        (lambda: KmerMaskingCollator(KmerTokenizer(k=3), seed=-1), ValueError, "seed must be a whole number"),
        (lambda: importance(np.zeros(5)), ValueError, r"\(length, 4\)"),  # numpy's AxisError
        (lambda: KmerTokenizer(k=3, model_max_length=-5), ValueError, "model_max_length"),  # kept
        (lambda: KmerTokenizer(k=3, model_max_length="512"), ValueError, "model_max_length"),  # kept
        (lambda: KmerTokenizer(k=3, model_max_length=10.5), ValueError, "model_max_length"),  # IndexError later
    ]:
        with pytest.raises(error, match=said):
            call()


def test_a_bpe_tokenizer_is_trained_on_files_not_a_split_folder(tmp_path):
    from dnalm.tokenizers.build import train_bpe_folder

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("sequence,label\nACGTACGTAC,1\n")
    with pytest.raises(ValueError, match=r"data is a folder: give the files to train on, e.g. .*train.csv"):
        train_bpe_folder([tmp_path / "data"], tmp_path / "bpe")
    assert not (tmp_path / "bpe").exists()


def test_tokenizers_refuse_a_k_that_is_no_whole_number_and_a_missing_folder_is_named(tmp_path):
    from dnalm.tokenizers.dna import KmerTokenizer, NonOverlappingKmerTokenizer, load_tokenizer

    for cls in (KmerTokenizer, NonOverlappingKmerTokenizer):
        for k in ([], 2.5, True, 0):
            with pytest.raises(ValueError, match=r"k must be a whole number between 1 and 12"):
                cls(k=k)
    for missing in (tmp_path / "nope", "./nope", "a/b/c"):
        with pytest.raises(FileNotFoundError, match="no such tokenizer folder"):
            load_tokenizer(missing)


@pytest.mark.parametrize("swap", ["kmer3-vocab", "cut-short", "base-without-T"])
def test_a_tokenizer_folder_whose_vocabulary_is_another_models_is_refused(tmp_path, swap):
    """A vocab.txt from another model read every k-mer as [UNK]: every sequence scored alike, exit 0."""
    from dnalm.tokenizers.dna import BaseTokenizer, KmerTokenizer, load_tokenizer

    tok = BaseTokenizer() if swap == "base-without-T" else KmerTokenizer(k=6)
    tok.save_pretrained(tmp_path / "t")
    lines = (tmp_path / "t" / "vocab.txt").read_text().splitlines()
    lines = {
        "kmer3-vocab": KmerTokenizer(k=3).ids_to_tokens,
        "cut-short": lines[:50],
        "base-without-T": [t for t in lines if t != "T"],
    }[swap]
    (tmp_path / "t" / "vocab.txt").write_text("\n".join(lines) + "\n")
    what = "4 bases A, C, G, T" if swap == "base-without-T" else "4096 6-mers"
    with pytest.raises(
        ValueError, match=rf"t/vocab.txt .*: the vocabulary holds \d+ of the {what}: it belongs to another"
    ):
        load_tokenizer(tmp_path / "t")


def test_bpe_without_bases_to_train_on_is_refused_and_a_small_vocabulary_is_said(tmp_path, caplog):
    """All-N input 'trained' a tokenizer of the 10 special and base tokens, exit 0, without a word."""
    from dnalm.tokenizers.build import train_bpe_folder

    (tmp_path / "n.fa").write_text(">n\n" + "N" * 40 + "\n")
    with pytest.raises(ValueError, match=r"n.fa: no run of A/C/G/T to train on"):
        train_bpe_folder([tmp_path / "n.fa"], tmp_path / "t")
    assert not (tmp_path / "t").exists()
    (tmp_path / "a.fa").write_text(">a\nACGTACGTTGCAACGT\n")
    train_bpe_folder([tmp_path / "a.fa"], tmp_path / "t", vocab_size=64)
    assert "fewer than the 64 asked (--vocab-size)" in caplog.text
