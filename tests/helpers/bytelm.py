"""Comparing byte-level LMs: two `ByteLM` objects that must score alike, and a `ByteLM` of a saved folder."""

from __future__ import annotations

import torch

from tokforge.bytelevel.bytelm import ByteLM
from tokforge.models import load_causal_lm


def same_scores(a: ByteLM, b: ByteLM, data: bytes, tol: float = 1e-9) -> None:
    """Assert ``a`` and ``b`` share a vocabulary and start, and score ``data`` alike within ``tol``."""
    assert a.vocab.tokens == b.vocab.tokens and a.start_ids == b.start_ids
    assert abs(a.logprob(data) - b.logprob(data)) < tol
    torch.testing.assert_close(a.next_byte_logmasses(data), b.next_byte_logmasses(data), atol=tol, rtol=0)


def bytelm_of_dir(path) -> ByteLM:
    """A `ByteLM` over the HF model folder ``path``."""
    return ByteLM(*load_causal_lm(path), name=str(path))
