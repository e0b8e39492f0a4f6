"""A straight per-token implementation of the TokenAdapt hybrid heuristic: the reference the vectorised
`tokforge.transplant.tokenadapt` is checked against (tests) and timed against (bench/transplant.py).
Not library code."""

from __future__ import annotations

import numpy as np

from tokforge.transplant.registry import TransplantContext
from tokforge.transplant.tokenadapt import aux_embeddings, char_lengths, old_index_ids, opts


def hybrid_rows_loop(ctx: TransplantContext, ids: np.ndarray, old_rows) -> dict[int, "object"]:
    """{new id: row tensor} for ``ids`` (None where neither heuristic applies), one token at a time."""
    import faiss
    import torch
    import torch.nn.functional as F

    from tokforge.transplant.decompose import decompose

    o = opts(ctx)
    w, k, T, thr = o.w, o.k, o.temperature, o.threshold
    old_aux, new_aux = aux_embeddings(ctx)
    cand = old_index_ids(ctx.old_tokenizer.vocab)
    index = faiss.IndexFlatIP(old_aux.shape[1])
    index.add(np.ascontiguousarray(old_aux[cand]))
    old_len, new_len = char_lengths(ctx.old_tokenizer.vocab), char_lengths(ctx.new_tokenizer.vocab)
    out = {}
    for i in ids.tolist():
        tok = ctx.new_tokenizer.vocab.tokens[i]
        ptr, pieces, ok = decompose(ctx.old_tokenizer, [tok])
        local = None
        if ok[0]:
            q = torch.from_numpy(new_aux[i])
            subs = torch.from_numpy(old_aux[pieces])
            w1 = F.softmax(F.cosine_similarity(q[None], subs, dim=1), dim=0)
            ln = torch.tensor([old_len[p] / new_len[i] if new_len[i] > 0 else 0.0 for p in pieces])
            wt = F.softmax((w1 + ln) / 2.0 / T, dim=0)
            local = (wt[:, None] * old_rows[torch.from_numpy(pieces)].float()).sum(0)
        sims, nb = index.search(new_aux[i : i + 1], k)
        keep = [(s, cand[j]) for s, j in zip(sims[0], nb[0]) if j >= 0 and s >= thr]
        glob = None
        if keep:
            wg = F.softmax(torch.tensor([s for s, _ in keep]) / T, dim=0)
            glob = (wg[:, None] * old_rows[torch.tensor([j for _, j in keep])].float()).sum(0)
        if local is not None and glob is not None:
            out[i] = (1 - w) * local + w * glob
        else:
            out[i] = local if local is not None else glob
    return out
