from __future__ import annotations

import numpy as np
import pytest

from dnalm.lm.masking import KmerMaskingCollator, MaskingSchedule
from dnalm.tokenizers.dna import BaseTokenizer, KmerTokenizer


def batch_for(k: int, n: int = 64, lo: int = 40, hi: int = 300, seed: int = 0):
    rng = np.random.default_rng(seed)
    tok = KmerTokenizer(k=k)
    seqs = ["".join(rng.choice(list("ACGT"), int(rng.integers(lo, hi)))) for _ in range(n)]
    return tok, [tok(s) for s in seqs]


def covered_by(token_positions, k):
    """Bases (k-mer index space) covered by tokens at the given positions."""
    bases = set()
    for j in token_positions:
        bases.update(range(j, j + k))
    return bases


@pytest.mark.parametrize("k", [3, 4, 5, 6])
@pytest.mark.parametrize("span", [1, 3])
def test_no_replaced_label_can_be_read_from_visible_tokens(k, span):
    tok, examples = batch_for(k, seed=k * 10 + span)
    collate = KmerMaskingCollator(tok, mlm_probability=0.15, span_length=span, seed=k)
    n_replaced = 0
    for _ in range(3):
        batch = collate(examples)
        for row, ex in enumerate(examples):
            original = np.array(ex["input_ids"][1:-1])
            n = len(original)
            inputs = batch["input_ids"][row, 1 : 1 + n].numpy()
            labels = batch["labels"][row, 1 : 1 + n].numpy()
            visible = np.flatnonzero(inputs == original)
            seen = covered_by(visible.tolist(), k)
            replaced = np.flatnonzero((labels != -100) & (inputs != original))
            n_replaced += len(replaced)
            for j in replaced.tolist():
                assert set(range(j, j + k)) - seen, f"k={k}: label token {j} is readable from visible tokens"
            assert (labels[labels != -100] == original[labels != -100]).all()
            assert (batch["labels"][row, 1 + n :] == -100).all() and batch["labels"][row, 0] == -100
    assert n_replaced > 0


def test_the_leak_check_catches_per_token_masking():
    """Per-token masking (DataCollatorForLanguageModeling semantics on k-mers) leaks: the check must say so."""
    k = 6
    tok, examples = batch_for(k, n=20, seed=5)
    rng = np.random.default_rng(0)
    leaks = 0
    for ex in examples:
        original = np.array(ex["input_ids"][1:-1])
        masked = rng.random(len(original)) < 0.15
        inputs = np.where(masked, tok.mask_token_id, original)
        seen = covered_by(np.flatnonzero(inputs == original).tolist(), k)
        leaks += sum(not (set(range(j, j + k)) - seen) for j in np.flatnonzero(masked).tolist())
    assert leaks > 0


@pytest.mark.parametrize("k", [3, 4, 5, 6])
@pytest.mark.parametrize("p", [0.15, 0.2])
def test_realised_masking_rate_is_the_requested_one(k, p):
    tok, examples = batch_for(k, n=200, lo=200, hi=400, seed=k)
    batch = KmerMaskingCollator(tok, mlm_probability=p, seed=1)(examples)
    n_tokens = batch["attention_mask"].sum(dim=1).numpy() - 2
    n_labels = (batch["labels"] != -100).sum(dim=1).numpy()
    target = np.round(p * n_tokens)
    assert (n_labels >= target).all() and (n_labels <= target + k - 1).all()  # one span of overshoot at most
    assert abs(n_labels.sum() / n_tokens.sum() - p) < 0.01


def test_80_10_10_is_drawn_per_region_and_random_ids_differ():
    tok, examples = batch_for(6, n=300, lo=300, hi=301, seed=3)
    batch = KmerMaskingCollator(tok, mlm_probability=0.15, seed=2)(examples)
    kinds = {"mask": 0, "random": 0, "keep": 0}
    for row, ex in enumerate(examples):
        original = np.array(ex["input_ids"][1:-1])
        inputs = batch["input_ids"][row, 1 : 1 + len(original)].numpy()
        chosen = batch["labels"][row, 1 : 1 + len(original)].numpy() != -100
        edges = np.flatnonzero(np.diff(np.concatenate([[0], chosen.astype(int), [0]])))
        for a, b in zip(edges[::2], edges[1::2]):
            region, orig = inputs[a:b], original[a:b]
            if (region == tok.mask_token_id).all():
                kinds["mask"] += 1
            elif (region == orig).all():
                kinds["keep"] += 1
            else:
                assert (region != orig).all() and not np.isin(region, tok.all_special_ids).any()
                kinds["random"] += 1
    total = sum(kinds.values())
    assert 0.75 < kinds["mask"] / total < 0.85 and 0.06 < kinds["random"] / total < 0.14


def test_schedule_and_bad_arguments():
    tok = KmerTokenizer(k=6)
    collate = KmerMaskingCollator(tok)
    schedule = MaskingSchedule(collate, [(0.0, 0.15), (0.9, 0.20)])
    assert schedule(0, 100) == 0.15 and schedule(89, 100) == 0.15 and schedule(95, 100) == 0.20
    assert collate.mlm_probability == 0.20
    with pytest.raises(ValueError, match="overlapping k-mer tokenizer"):
        KmerMaskingCollator(BaseTokenizer())
    with pytest.raises(ValueError, match="starting at 0"):
        MaskingSchedule(collate, [(0.5, 0.2)])
    with pytest.raises(ValueError, match="needs at least one tokenized example"):
        collate([])
    for kwargs, message in (  # span_length 2.5 and fractions of 2 and -1.5 were taken
        ({"mlm_probability": "0.15"}, r"mlm_probability must be a number in \(0, 1\); got '0.15'"),
        ({"span_length": 2.5}, "span_length must be a whole number of at least 1; got 2.5"),
        ({"mask_fraction": 2, "random_fraction": -1.5}, r"must lie in \[0, 1\] and add up to at most 1"),
        ({"mask_fraction": -0.5}, r"must lie in \[0, 1\]"),
    ):
        with pytest.raises(ValueError, match=message):
            KmerMaskingCollator(tok, **kwargs)


def test_bpe_and_base_models_get_standard_token_masking_at_the_requested_rate():
    from dnalm.lm.pretrain import PretrainConfig, _collator
    from dnalm.tokenizers.bpe import train_bpe

    rng = np.random.default_rng(0)
    corpus = ["".join(rng.choice(list("ACGT"), 300)) for _ in range(200)]
    for tok in (train_bpe(corpus, vocab_size=200, min_frequency=2), BaseTokenizer()):
        collate = _collator(PretrainConfig(mlm_probability=0.15), tok)
        assert not isinstance(collate.collator, KmerMaskingCollator)
        import torch

        torch.manual_seed(0)
        batch = collate([{k: v for k, v in tok(s).items() if k in ("input_ids", "attention_mask")} for s in corpus])
        special = torch.isin(batch["input_ids"], torch.tensor(tok.all_special_ids)) & (batch["labels"] == -100)
        predicted = batch["labels"] != -100
        n_tokens = (batch["attention_mask"].sum() - 2 * len(corpus)).item()
        assert abs(predicted.sum().item() / n_tokens - 0.15) < 0.01
        assert not (predicted & special).any()


@pytest.mark.parametrize("kind", ["kmer", "bpe"])
def test_batch_seeded_masks_depend_only_on_seed_and_batch(kind):
    """What makes --resume exact: global RNG state (restored late by the Trainer) does not matter."""
    import torch

    from dnalm.lm.pretrain import PretrainConfig, _collator
    from dnalm.tokenizers.bpe import train_bpe

    rng = np.random.default_rng(1)
    corpus = ["".join(rng.choice(list("ACGT"), 200)) for _ in range(40)]
    tok = KmerTokenizer(k=6) if kind == "kmer" else train_bpe(corpus, vocab_size=200, min_frequency=2)
    examples = [{"input_ids": tok(s)["input_ids"]} for s in corpus]
    collate = _collator(PretrainConfig(mlm_probability=0.15, seed=3), tok)
    runs = []
    for global_seed in (0, 1):
        np.random.seed(global_seed)
        torch.manual_seed(global_seed)
        runs.append(collate(examples[:20]))
    other_seed = _collator(PretrainConfig(mlm_probability=0.15, seed=4), tok)(examples[:20])
    other_batch = collate(examples[20:])
    assert torch.equal(runs[0]["labels"], runs[1]["labels"]) and torch.equal(runs[0]["input_ids"], runs[1]["input_ids"])
    assert not torch.equal(runs[0]["labels"], other_seed["labels"])
    assert (other_batch["labels"] != -100).any() and collate.mlm_probability == 0.15
    with pytest.raises(ValueError, match="needs at least one tokenized example"):
        collate([])
    collate.mlm_probability = 0.2  # attribute writes reach the wrapped collator (the masking schedule relies on it)
    assert collate.collator.mlm_probability == 0.2


def test_padded_examples_and_examples_without_special_tokens_are_masked_on_their_kmers_only():
    """Rows padded by tokenizer(seqs, padding=True) had their padding masked, labelled and attended (their
    attention_mask was ignored); without [CLS]/[SEP] the first and last k-mers were never masked, and
    tokenizer(seqs) itself (a dict of lists) or raw strings failed with 'string indices must be integers'."""
    tok = KmerTokenizer(k=3)
    collate = KmerMaskingCollator(tok, mlm_probability=0.5, seed=0)
    seqs = ["ACGTTGCAAGCTAGCTAGGATCCA", "ACGTAC"]
    enc = tok(seqs, padding=True)
    rows = [{"input_ids": i, "attention_mask": m} for i, m in zip(enc["input_ids"], enc["attention_mask"])]
    for batch in (collate(enc), collate(rows)):
        pad = batch["attention_mask"][1] == 0
        assert pad.sum() == len(enc["input_ids"][0]) - len(tok(seqs[1])["input_ids"])
        assert (batch["labels"][1][pad] == -100).all() and (batch["input_ids"][1][pad] == tok.pad_token_id).all()
    bare = [tok(s, add_special_tokens=False) for s in [seqs[0]] * 40]
    labelled = np.array([(collate(bare)["labels"][:, j] != -100).any().item() for j in (0, len(seqs[0]) - 3)])
    assert labelled.all()  # the first and the last k-mer are masked too
    with pytest.raises(TypeError, match="a masking batch is a list of tokenized examples"):
        collate("ACGT")
    with pytest.raises(TypeError, match="example 0: a dict with input_ids"):
        collate(["ACGT"])
    inner = [{"input_ids": [*tok(seqs[1])["input_ids"], *tok(seqs[1])["input_ids"]]}]
    with pytest.raises(ValueError, match=r"special token '\[SEP\]' among its k-mers"):
        collate(inner)


def test_a_masking_schedule_above_one_is_refused_not_looped_on():
    from dnalm.lm.masking import KmerMaskingCollator, MaskingSchedule
    from dnalm.tokenizers.dna import KmerTokenizer

    with pytest.raises(ValueError, match=r"probabilities lie in \(0, 1\)"):
        MaskingSchedule(KmerMaskingCollator(KmerTokenizer(k=6)), [(0.0, 2.0)])
