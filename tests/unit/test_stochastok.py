"""Tiny synthetic tests (the real-artifact ones: tests/real/test_stochastok_real.py). StochasTok core: split
table, expand/expand_batch/contract, label-aware mode, errors.

Properties run on every real tokenizer (GPT-2 tiktoken, SmolLM2 byte-level BPE, Gemma-3 and
Mistral v1 SentencePiece with byte fallback)."""

from __future__ import annotations

from _helpers import tiny_split_vocab

from tokforge.stochastok import SplitTable


def test_table_by_hand():
    t = SplitTable.build(tiny_split_vocab())
    assert t.splits(2) == [(0, 1)]  # ab = a + b (normal "a" id 0, not the byte-fallback id 6)
    assert t.splits(3) == [(0, 4), (2, 1)]  # abb = a + bb = ab + b
    assert t.splits(4) == [(1, 1)]
    assert t.splits(5) == [] and t.splits(7) == []  # special and added tokens never split
    assert t.n_splittable == 3 and t.producible.tolist() == [True] * 5 + [False, True, False]
