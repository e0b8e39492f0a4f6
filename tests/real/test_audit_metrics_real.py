"""Tests on real artifacts (the synthetic ones: tests/unit/test_audit_metrics.py). Golden, hand-checkable
cases for the corpus metrics (tiny vocabularies, a real greedy encoder)."""

from __future__ import annotations

from tokforge.audit import coverage as cov


def test_wordfreq_coverage_on_gpt2(gpt2):
    out = cov.coverage(gpt2.vocab, ["en", "ru"], top=1000)
    # GPT-2 is an English tokenizer: most of the 1,000 commonest English words are one token, few Russian ones
    assert out["en"]["word_coverage"] > 0.9 > 0.2 > out["ru"]["word_coverage"]
    assert out["en"]["vocab_share"] > out["ru"]["vocab_share"]
