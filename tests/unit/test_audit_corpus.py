"""The audit corpus's batching: ``iter_batches`` packs languages into batches of the asked size and
covers every line, and the default batch is at least 1,024 lines (needs the shared FLORES-200 data).
Batched sums against whole-text metrics, shard merging and ``hf:`` corpora:
tests/real/test_audit_corpus_real.py."""

from __future__ import annotations


def test_iter_batches_default_size_is_used(audit_corp):
    from tokforge.audit import hf_source as sources

    sizes = [len(lines) for _, lines, _ in audit_corp.iter_batches(batch=100)]  # languages packed together
    assert sum(sizes) == sum(len(v) for v in audit_corp.texts.values()) and max(sizes) == 100
    assert sources.BATCH_LINES >= 1024
