"""Tiny synthetic tests (the real-artifact ones: tests/real/test_audit_metrics_real.py). Golden, hand-
checkable cases for the corpus metrics (tiny vocabularies, a real greedy encoder)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers.tiny import greedy_tokenizer

from tokforge import TokenKind, Vocab
from tokforge.audit import corpus_metrics as cm
from tokforge.audit import coverage as cov
from tokforge.audit import overlap as ov

TINY = [b"<unk>", b"a", b"b", b"c", b" ", b"ab", b" ab", b"abc"]


def test_pure_metric_values_by_hand():
    assert cm.bytes_per_token(10, 4) == 2.5
    assert cm.fertility(9, 3) == 3.0
    assert math.isnan(cm.fertility(1, 0))
    assert cm.utilisation(np.array([0, 2, 0, 1]), 4) == 0.5
    assert cm.unk_rate(np.array([1, 0, 1, 1]), 0) == 0.25
    assert cm.unk_rate(np.array([1, 2]), None) == 0.0


def test_renyi_efficiency_by_hand():
    # p = (1/2, 1/2) over |V| = 4: H_a = log(2 * 0.5**2.5) / (1 - 2.5) = log 2, so efficiency = log2 / log4 = 0.5
    assert cm.renyi_efficiency(np.array([5, 5, 0, 0]), 4) == pytest.approx(0.5)
    # one token only: entropy 0
    assert cm.renyi_efficiency(np.array([7, 0, 0]), 3) == pytest.approx(0.0)
    # p = (3/4, 1/4), alpha 2.5: sum p^a = 0.75**2.5 + 0.25**2.5
    want = math.log(0.75**2.5 + 0.25**2.5) / (1 - 2.5) / math.log(8)
    assert cm.renyi_efficiency(np.array([3, 1]), 8) == pytest.approx(want)


def test_word_starts_and_split_share_by_hand():
    stream = np.frombuffer(b"abc ab\tc", np.uint8)
    assert cm.word_starts(stream, np.array([8])).nonzero()[0].tolist() == [0, 4, 7]
    # tokens "abc" " ab" "\t" "c": no boundary inside a word
    assert cm.split_word_share(stream, np.array([3, 3, 1, 1]), np.array([8])) == 0.0
    # tokens "a" "bc" " ab" "\tc": only "abc" is split -> 1 of 3 words
    assert cm.split_word_share(stream, np.array([1, 2, 3, 2]), np.array([8])) == pytest.approx(1 / 3)
    # two lines "ab" "cd" share no word even though the stream has no space between them
    two = np.frombuffer(b"abcd", np.uint8)
    assert cm.split_word_share(two, np.array([2, 2]), np.array([2, 2])) == 0.0


def test_parity_uses_only_shared_keys():
    assert cm.parity(np.array([3, 3]), ["x", "y"], np.array([1, 2]), ["x", "y"]) == 2.0
    assert cm.parity(np.array([6, 100]), ["x", "z"], np.array([2, 5]), ["x", "y"]) == 3.0
    assert math.isnan(cm.parity(np.array([1]), ["q"], np.array([1]), ["x"]))


def test_language_metrics_on_a_tiny_tokenizer_by_hand():
    tok = greedy_tokenizer(TINY, roles={"unk": 0})
    lines = ["abc ab", "ab d"]  # -> [abc, " ab"] and [ab, " ", <unk>]  (d is unknown)
    ids, counts = cm.encode_lines(tok, lines)
    assert counts.tolist() == [2, 3] and ids.tolist() == [7, 6, 5, 4, 0]
    st = cm.text_stats(lines)
    assert (st.n_bytes, st.n_chars, st.n_words) == (10, 10, 4)
    token_len = np.array([len(t) for t in TINY])
    row, hist = cm.language_metrics(tok, st, ids, counts, token_len)
    assert row["tokens"] == 5 and row["bytes_per_token"] == 2.0 and row["fertility"] == 5 / 4
    assert row["unk_rate"] == 0.2
    assert row["utilisation"] == 5 / 8  # 5 distinct ids of 8 text tokens (<unk> is not special here)
    assert math.isnan(row["split_word_share"])  # <unk> is 5 bytes for 1 byte of text: not aligned
    assert hist.tolist() == [1, 0, 0, 0, 1, 1, 1, 1]


def test_split_share_with_a_dummy_prefix_tokenizer():
    tok = greedy_tokenizer([b"<unk>", b"a", b"b", b" ", b" a", b"ab", b" ab"], roles={"unk": 0}, dummy_prefix=True)
    lines = ["ab ab", "a b"]  # " ab ab" -> [" ab", " ab"]; " a b" -> [" a", " ", "b"]
    ids, counts = cm.encode_lines(tok, lines)
    assert ids.tolist() == [6, 6, 4, 3, 2]
    st = cm.text_stats(lines)
    row, _ = cm.language_metrics(tok, st, ids, counts, np.array([len(t) for t in tok.vocab.tokens]))
    assert row["split_word_share"] == 0.0
    lines2 = ["ba"]  # " ba" -> [" ", "b", "a"]: the word "ba" is split
    ids2, c2 = cm.encode_lines(tok, lines2)
    row2, _ = cm.language_metrics(tok, cm.text_stats(lines2), ids2, c2, np.array([len(t) for t in tok.vocab.tokens]))
    assert row2["split_word_share"] == 1.0


def test_unspaced_text_uses_characters():
    st = cm.text_stats(["这是一个没有空格的中文句子而且很长"])
    assert st.unspaced and st.n_words == 1


def test_overlap_and_diff_by_hand():
    a = Vocab([b"<s>", b"a", b"b", b"ab"], [TokenKind.SPECIAL, 0, 0, 0])
    b = Vocab([b"a", b"b", b"c", b"\xe2"])
    sa, sb = ov.text_set(a), ov.text_set(b)
    assert sa == {b"a", b"b", b"ab"}  # special tokens are not text
    assert ov.jaccard(sa, sb) == 0.4 and ov.share(sa, sb) == pytest.approx(0.666667) and ov.share(sb, sa) == 0.5
    d = ov.diff(a, b)
    assert d["only_a"] == ["ab"] and d["only_b"] == ["c", "0xe2"] and d["n_common"] == 2


def test_coverage_by_hand():
    words = {"the", "cat", "of"}
    vw = cov.vocab_words([b" the", b"Cat", b"x", b"\xff"])
    assert vw == {"the", "cat"}
    assert cov.coverage_row(vw, words, 4) == {"vocab_share": 0.5, "word_coverage": 0.666667}
