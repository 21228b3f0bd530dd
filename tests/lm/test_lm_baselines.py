"""Count-based language-model references on hand-computable examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dnalm.lm.baselines import ContextCounts, MarkovChain, select_order


def test_order_zero_with_add_one_smoothing_by_hand():
    chain = MarkovChain(0, alpha=1.0).fit(["AAC"])  # A: 2, C: 1, G: 0, T: 0 -> (n + 1) / 7
    expected = -(math.log2(3 / 7) + math.log2(2 / 7) + math.log2(1 / 7)) / 3
    assert chain.bits_per_base(["ACG"]) == pytest.approx(expected)


def test_unknown_bases_are_never_scored_nor_used_as_context():
    chain = MarkovChain(1, alpha=0.0).fit(["ACACAC"])
    positions, log2p = chain.log2_probabilities("ANC")
    assert positions.tolist() == [0, 2]  # the N is not scored
    # C after N: the order-1 context is invalid, so order 0 (A and C equally frequent) gives 1 bit
    assert (-log2p).tolist() == [1.0, 1.0]


def _second_order(n: int, seed: int, noise: float = 0.1) -> str:
    rng = np.random.default_rng(seed)
    b = list(rng.integers(0, 4, 2))
    for _ in range(n - 2):
        b.append((b[-1] + b[-2]) % 4 if rng.random() > noise else int(rng.integers(0, 4)))
    return "".join("ACGT"[x] for x in b)


def test_order_is_chosen_on_training_data_and_beats_uniform():
    train = [_second_order(500, s) for s in range(20)]
    k, scores = select_order(MarkovChain, train, max_k=4)
    assert k >= 2 and scores[2] < min(scores[1], scores[0], 2.0)
    held_out = [_second_order(500, 100)]
    bits = MarkovChain(k).fit(train).bits_per_base(held_out)
    assert bits < 0.8  # 90% deterministic given two bases: far below the uniform 2 bits


def test_two_sided_context_sees_what_a_left_context_cannot():
    # every odd base copies the base two to its left *and* predicts the one to its right; the middle base of
    # X?X is X, so 1 base on each side determines it, while 1 base on the left does not
    rng = np.random.default_rng(0)
    seqs = []
    for _ in range(50):
        evens = rng.integers(0, 4, 200)
        s = np.empty(400, dtype=int)
        s[0::2] = evens
        s[1::2] = evens  # ...XXYYZZ...: each base equals its left or its right neighbour
        seqs.append("".join("ACGT"[x] for x in s))
    two_sided = ContextCounts(1).fit(seqs[:40]).bits_per_base(seqs[40:])
    left = MarkovChain(1).fit(seqs[:40]).bits_per_base(seqs[40:])
    assert two_sided < left < 2.0


def test_iid_bases_give_about_two_bits_however_large_the_context():
    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGT"), 1000)) for _ in range(30)]
    for model in (MarkovChain(3), ContextCounts(2)):
        assert 1.95 < model.fit(seqs[:25]).bits_per_base(seqs[25:]) < 2.2


def test_scoring_before_fitting_and_empty_input_are_errors():
    with pytest.raises(ValueError, match="fit"):
        MarkovChain(1).bits_per_base(["ACGT"])
    with pytest.raises(ValueError, match="no A/C/G/T"):
        MarkovChain(1).fit(["ACGT"]).bits_per_base(["NNNN"])
