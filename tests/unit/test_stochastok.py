"""StochasTok's split table on an eight-token vocabulary worked out by hand: which pairs each token
splits into (built from normal tokens, not a byte-fallback twin), that special and added tokens never
split, and which tokens a split can produce. Expansion, contraction, label-aware mode and the
properties over real tokenizers: tests/real/test_stochastok_real.py."""

from __future__ import annotations

from helpers.tiny import tiny_split_vocab

from tokforge.stochastok.table import SplitTable


def test_table_by_hand():
    t = SplitTable.build(tiny_split_vocab())
    assert t.splits(2) == [(0, 1)]  # ab = a + b (normal "a" id 0, not the byte-fallback id 6)
    assert t.splits(3) == [(0, 4), (2, 1)]  # abb = a + bb = ab + b
    assert t.splits(4) == [(1, 1)]
    assert t.splits(5) == [] and t.splits(7) == []  # special and added tokens never split
    assert t.n_splittable == 3 and t.producible.tolist() == [True] * 5 + [False, True, False]
