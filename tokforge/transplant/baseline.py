"""Baseline plan builders: ``mean`` (Hewitt 2021) and ``fvt`` (subword mean, Gee et al. 2022).

Both copy every row shared with the old vocabulary (by role, then by bytes). ``mean`` gives every
other new token the mean old row; ``fvt`` averages the old rows of the token's spelling with the
old tokenizer (see `decompose`), falling back to the mean where no spelling exists.

>>> from tokforge.vocab import Vocab
>>> from tokforge.tokenizer import Tokenizer
>>> old = Vocab([b"a", b"b", b"ab"]); new = Vocab([b"ab", b"ba", b"c"])
>>> enc = lambda t, s: [{"a": 0, "b": 1}[c] for c in t if c in "ab"]
>>> ctx = TransplantContext(Tokenizer(old, enc, name="old"), Tokenizer(new, enc, name="new"))
>>> plan = build_fvt(ctx)
>>> plan.input.source.tolist(), plan.input.csr()[1].tolist()
([1, 2, 4], [1, 0])
"""

from __future__ import annotations

import numpy as np

from ..surgery.plan import EmbeddingPlan, Source
from .decompose import decompose
from .registry import TransplantContext


def shared_plan(ctx: TransplantContext) -> EmbeddingPlan:
    """Copies of every shared row; everything else UNSET."""
    return EmbeddingPlan.from_matches(ctx.old_tokenizer.vocab, ctx.new_tokenizer.vocab)


def todo_ids(plan: EmbeddingPlan) -> np.ndarray:
    """New ids a method must fill (no source yet), skipping none."""
    return plan.input.ids(Source.UNSET)


def build_mean(ctx: TransplantContext) -> EmbeddingPlan:
    plan = shared_plan(ctx)
    plan.fill_unset(Source.MEAN, method="mean")
    return plan


def spell(ctx: TransplantContext, ids: np.ndarray):
    """(indptr, indices, ok) of the old-tokenizer spelling of new tokens ``ids``."""
    toks = ctx.new_tokenizer.vocab.tokens
    return decompose(ctx.old_tokenizer, [toks[i] for i in ids.tolist()])


def build_fvt(ctx: TransplantContext) -> EmbeddingPlan:
    plan = shared_plan(ctx)
    ids = todo_ids(plan)
    indptr, ind, ok = spell(ctx, ids)
    counts = np.diff(indptr)[ok]
    if ok.any():
        sub_ptr = np.concatenate([[0], np.cumsum(counts)])
        w = np.repeat(1.0 / counts, counts).astype(np.float32)
        plan.set_combination(ids[ok], sub_ptr, ind, w, method="fvt", confidence=0.5)
    plan.fill_unset(Source.MEAN, method="mean")
    return plan
