"""TokenAdapt heuristics (Sharthak et al. 2025), vectorised over the whole vocabulary.

For every new token that the old vocabulary lacks:

* **local**: spell it with the old tokenizer (`decompose`); weight each old piece by
  ``softmax_T(((softmax(cos) + len(piece)/len(token)) / 2))`` where ``cos`` is the auxiliary-embedding
  similarity between the piece and the whole token and ``softmax_T`` has temperature ``T``;
* **global**: the ``k`` old tokens nearest to it in auxiliary-embedding space (faiss inner product
  on normalised vectors), keeping similarities >= ``threshold``, weighted by ``softmax(sim / T)``;
* **hybrid**: ``(1 - w) * local + w * global`` where both exist, else whichever exists, else the mean.

Defaults follow the paper's code: ``w=0.3, k=3, T=0.3, threshold=0.6`` (`options.TokenAdaptOptions`).
All weights are computed as
flat arrays over every (token, piece) pair with segment softmaxes (``np.*.reduceat``); the result
is a CSR combination in the `EmbeddingPlan`, applied by one sparse matmul.

>>> x = np.array([0.0, 0.0, 1.0], dtype=np.float32)
>>> segment_softmax(x, np.array([0, 2, 3])).tolist()
[0.5, 0.5, 1.0]
"""

from __future__ import annotations

import numpy as np

from ..surgery.plan import EmbeddingPlan, Source
from .baseline import shared_plan, spell, todo_ids
from .options import TokenAdaptOptions
from .registry import TransplantContext


def opts(ctx: TransplantContext) -> TokenAdaptOptions:
    """The context's options as `TokenAdaptOptions` (parsed once)."""
    return ctx.opts(TokenAdaptOptions, "tokenadapt")


def segment_softmax(x: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Softmax within each CSR row (rows must be non-empty)."""
    counts = np.diff(indptr)
    m = np.maximum.reduceat(x, indptr[:-1])
    e = np.exp(x - np.repeat(m, counts))
    return (e / np.repeat(np.add.reduceat(e, indptr[:-1]), counts)).astype(np.float32)


def char_lengths(vocab) -> np.ndarray:
    return np.fromiter((len(t.decode("utf-8", "replace")) for t in vocab.tokens), dtype=np.float32, count=len(vocab))


def rowwise_dot(a: np.ndarray, ia: np.ndarray, b: np.ndarray, ib: np.ndarray, chunk: int = 1 << 17) -> np.ndarray:
    """``sum(a[ia[j]] * b[ib[j]])`` for every j, in chunks."""
    out = np.empty(ia.size, dtype=np.float32)
    for s in range(0, ia.size, chunk):
        out[s : s + chunk] = np.einsum("ij,ij->i", a[ia[s : s + chunk]], b[ib[s : s + chunk]])
    return out


def aux_embeddings(ctx: TransplantContext) -> tuple[np.ndarray, np.ndarray]:
    """(old, new) auxiliary embeddings, memoised in ``ctx.memo``."""
    from .aux import vocab_embeddings

    memo = ctx.memo
    if "aux" not in memo:
        enc = opts(ctx).encoder
        memo["aux"] = (
            vocab_embeddings(ctx.old_tokenizer.vocab, enc, ctx.progress, ctx.device),
            vocab_embeddings(ctx.new_tokenizer.vocab, enc, ctx.progress, ctx.device),
        )
    return memo["aux"]


def local_weights(ctx: TransplantContext, ids: np.ndarray):
    """(ok mask over ids, indptr, indices, weights, confidence) of the local heuristic."""
    T = opts(ctx).temperature
    old_aux, new_aux = aux_embeddings(ctx)
    indptr, ind, ok = spell(ctx, ids)
    rows = ids[ok]
    counts = np.diff(indptr)[ok]
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    entry_row = np.repeat(rows, counts)
    cos = rowwise_dot(new_aux, entry_row, old_aux, ind)
    w1 = segment_softmax(cos, ptr)
    full = char_lengths(ctx.new_tokenizer.vocab)[entry_row]
    part = char_lengths(ctx.old_tokenizer.vocab)[ind]
    len_norm = np.where(full > 0, part / np.maximum(full, 1), 0.0).astype(np.float32)
    w = segment_softmax((w1 + len_norm) / 2.0 / T, ptr)
    conf = np.clip(np.add.reduceat(cos * w, ptr[:-1]), 0, 1) if rows.size else np.zeros(0, np.float32)
    return ok, ptr, ind, w, conf


def old_index_ids(vocab) -> np.ndarray:
    """Old ids searchable by the global heuristic: non-empty text tokens."""
    return vocab.text_ids(nonempty=True)


def neighbours(ctx: TransplantContext, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, old ids) of the k nearest old tokens for each new id (faiss, memoised)."""
    import faiss

    memo = ctx.memo
    key = ("nn", k, ids.size, int(ids.sum()))
    if key in memo:
        return memo[key]
    old_aux, new_aux = aux_embeddings(ctx)
    cand = old_index_ids(ctx.old_tokenizer.vocab)
    faiss.omp_set_num_threads(opts(ctx).threads)
    index = faiss.IndexFlatIP(old_aux.shape[1])
    index.add(np.ascontiguousarray(old_aux[cand]))
    # many tokens have the same encoder input (" The", "the"...), hence the same query: search each once
    q = np.ascontiguousarray(new_aux[ids])
    _, first, inverse = np.unique(
        q.view(np.dtype((np.void, q.dtype.itemsize * q.shape[1])))[:, 0], return_index=True, return_inverse=True
    )
    uq = q[first]
    sims = np.empty((uq.shape[0], k), dtype=np.float32)
    nbr = np.empty((uq.shape[0], k), dtype=np.int64)
    from ..progress import bar as progress_bar

    bar = progress_bar(uq.shape[0], "global neighbours", enabled=ctx.progress, unit="queries")
    step = 16384
    for s in range(0, uq.shape[0], step):
        sims[s : s + step], nbr[s : s + step] = index.search(uq[s : s + step], k)
        bar.update(min(step, uq.shape[0] - s))
    bar.close()
    inverse = inverse.reshape(-1)
    memo[key] = (sims[inverse], np.where(nbr >= 0, cand[np.maximum(nbr, 0)], -1)[inverse])
    return memo[key]


def global_weights(ctx: TransplantContext, ids: np.ndarray):
    """(has mask over ids, indptr, indices, weights, confidence) of the global heuristic."""
    o = opts(ctx)
    k, T, thr = o.k, o.temperature, o.threshold
    sims, nbr = neighbours(ctx, ids, k)
    keep = (sims >= thr) & (nbr >= 0)
    has = keep.any(1)
    counts = keep[has].sum(1)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    s, ind = sims[has][keep[has]], nbr[has][keep[has]]
    w = segment_softmax(s / T, ptr) if s.size else s
    conf = sims[has].max(1) if has.any() else np.zeros(0, np.float32)
    return has, ptr, ind, w, conf


def _scatter(n: int, mask: np.ndarray, ptr: np.ndarray, ind, w, scale: float):
    """Row-aligned COO for ``n`` ids from a CSR over the ``mask``ed ids (weights scaled)."""
    counts = np.zeros(n, dtype=np.int64)
    counts[mask] = np.diff(ptr)
    return np.repeat(np.arange(n), counts), ind, w * scale


def build_local(ctx: TransplantContext) -> EmbeddingPlan:
    plan = shared_plan(ctx)
    ids = todo_ids(plan)
    ok, ptr, ind, w, conf = local_weights(ctx, ids)
    if ok.any():
        plan.set_combination(ids[ok], ptr, ind, w, method="tokenadapt-local", confidence=conf)
    plan.fill_unset(Source.MEAN, method="mean")
    return plan


def build_global(ctx: TransplantContext) -> EmbeddingPlan:
    """Global heuristic; tokens with no neighbour above the threshold fall back to local."""
    return _mix(ctx, w=1.0, name="tokenadapt-global")


def build_hybrid(ctx: TransplantContext) -> EmbeddingPlan:
    return _mix(ctx, w=opts(ctx).w, name="hybrid")


def _mix(ctx: TransplantContext, w: float, name: str) -> EmbeddingPlan:
    plan = shared_plan(ctx)
    ids = todo_ids(plan)
    n = ids.size
    ok, lp, li, lw, lc = local_weights(ctx, ids)
    has, gp, gi, gw, gc = global_weights(ctx, ids)
    both = ok & has
    # local part: weight (1-w) where the global estimate exists too, else 1
    l_scale = np.where(both[ok], 1.0 - w, 1.0).astype(np.float32)
    l_rows, l_ind, l_w = _scatter(n, ok, lp, li, lw, 1.0)
    l_w = l_w * np.repeat(l_scale, np.diff(lp))
    g_scale = np.where(both[has], w, 1.0).astype(np.float32)
    g_rows, g_ind, g_w = _scatter(n, has, gp, gi, gw, 1.0)
    g_w = g_w * np.repeat(g_scale, np.diff(gp))
    rows = np.concatenate([l_rows, g_rows])
    order = np.argsort(rows, kind="stable")
    rows, cols, weights = rows[order], np.concatenate([l_ind, g_ind])[order], np.concatenate([l_w, g_w])[order]
    keep = weights > 0
    rows, cols, weights = rows[keep], cols[keep], weights[keep]
    got = np.bincount(rows, minlength=n) > 0
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n)[got])]).astype(np.int64)
    conf = np.zeros(n, np.float32)
    conf[ok] += lc * np.where(both[ok], 1.0 - w, 1.0)
    conf[has] += gc * np.where(both[has], w, 1.0)
    if got.any():
        plan.set_combination(ids[got], ptr, cols, weights, method=name, confidence=conf[got])
    only_local = ok & ~has if w > 0 else ok
    if w > 0 and only_local.any():  # provenance: these rows used the local estimate alone
        plan.input.method[ids[only_local]] = _method_code(plan, "tokenadapt-local")
    plan.fill_unset(Source.MEAN, method="mean")
    o = opts(ctx)
    plan.notes["tokenadapt"] = {
        "w": w,
        "k": o.k,
        "temperature": o.temperature,
        "threshold": o.threshold,
        "local_and_global": int(both.sum()),
        "local_only": int((ok & ~has).sum()),
        "global_only": int((has & ~ok).sum()),
        "neither": int((~ok & ~has).sum()),
    }
    return plan


def _method_code(plan: EmbeddingPlan, name: str) -> int:
    if name not in plan.input.methods:
        plan.input.methods.append(name)
    return plan.input.methods.index(name)
