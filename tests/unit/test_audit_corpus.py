"""Tiny synthetic tests (the real-artifact ones: tests/real/test_audit_corpus_real.py). Corpus pass at any
size: batched sums equal whole-text metrics, shards merge to the whole,
``hf:`` corpora (datasets folders and data files) stream with their language column."""

from __future__ import annotations


def test_iter_batches_default_size_is_used(audit_corp):
    from tokforge.audit import hf_source as sources

    sizes = [len(lines) for _, lines, _ in audit_corp.iter_batches(batch=100)]  # languages packed together
    assert sum(sizes) == sum(len(v) for v in audit_corp.texts.values()) and max(sizes) == 100
    assert sources.BATCH_LINES >= 1024
