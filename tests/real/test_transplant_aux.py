"""Auxiliary (MiniLM) embeddings: one dtype and the same values on a fresh and a cached run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tokforge import models
from tokforge.vocab import Vocab


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_fresh_and_cached_runs_are_identical(tmp_path, monkeypatch, precision):
    from tokforge.transplant.aux import cache_path, encoder_hash, vocab_embeddings

    enc = str(models.pull("minilm"))  # before the cache moves
    monkeypatch.setenv("TOKFORGE_CACHE", str(tmp_path))
    v = Vocab([b" the", b"The", b"caf\xc3\xa9", b"\xe6\x97\xa5\xe6\x9c\xac", b"ing", b"\xff", b" tokenizer"])
    fresh = vocab_embeddings(v, enc, progress=False, precision=precision)
    assert cache_path(v, encoder_hash(Path(enc)), precision).is_file()
    cached = vocab_embeddings(v, enc, progress=False, precision=precision)
    assert fresh.dtype == cached.dtype == np.float32
    assert np.array_equal(fresh, cached)
    assert np.array_equal(fresh, fresh.astype(np.float16).astype(np.float32))  # float16 values on both paths
    assert np.allclose(np.linalg.norm(fresh, axis=1), 1, atol=2e-3)


def test_bf16_is_close_to_fp32(tmp_path, monkeypatch):
    from tokforge.transplant.aux import vocab_embeddings

    enc = str(models.pull("minilm"))
    monkeypatch.setenv("TOKFORGE_CACHE", str(tmp_path))
    v = Vocab([b" the", b" house", b"ization", b" Paris", b"\xd0\xbc\xd0\xb8\xd1\x80"])
    a = vocab_embeddings(v, enc, progress=False, precision="fp32", use_cache=False)
    b = vocab_embeddings(v, enc, progress=False, precision="bf16", use_cache=False)
    assert (a * b).sum(1).min() > 0.999
