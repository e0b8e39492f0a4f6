"""One forward pass over a whole tree of token sequences (tree attention + KV cache).

The tree's tokens are laid out in topological order after the start context; each token
attends to the start context and to its own ancestors only, at position = its depth. This
gives every node's next-token distribution with about one forward position per node, in
chunks that extend one KV cache, instead of one full forward per branch.
"""

from __future__ import annotations

from typing import Iterator

import torch

CHUNK = 64


def _sliding_window(model) -> int | None:
    cfg = model.config
    types = getattr(cfg, "layer_types", None) or []
    if "sliding_attention" in types and getattr(cfg, "sliding_window", None):
        return int(cfg.sliding_window)
    return None


def _forward(model, cache, **kw):
    """One forward that extends ``cache`` (the kwarg is ``cache`` in new transformers)."""
    import inspect

    params = inspect.signature(model.forward).parameters
    key = "cache" if "cache" in params else "past_key_values"
    out = model(**kw, **{key: cache}, use_cache=True)
    return out, getattr(out, "cache", None) or out.past_key_values


def _additive(allowed: torch.Tensor, dtype) -> torch.Tensor:
    m = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
    return m.masked_fill(~allowed, torch.finfo(dtype).min)[None, None]


def tree_logprobs(model, start_ids: list[int], parents: list[int], tokens: list[int], depth: list[int],
                  chunk: int = CHUNK) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield ``(k, logprobs)`` for every node ``k`` (node 0 is the root = start context).

    ``parents[k]``/``tokens[k]``/``depth[k]`` describe node ``k >= 1``; parents come first.
    ``logprobs`` is the float32 (float64 for a float64 model) log-softmax of the next token after node ``k``'s sequence.
    """
    from transformers import DynamicCache

    dev = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    S = len(start_ids)
    window = _sliding_window(model)
    cache = DynamicCache()
    with torch.no_grad():
        ids = torch.tensor([start_ids], device=dev)
        out, cache = _forward(model, cache, input_ids=ids, position_ids=torch.arange(S, device=dev)[None])
        up = torch.float64 if dtype == torch.float64 else torch.float32
        yield 0, torch.log_softmax(out.logits[0, -1].to(up), -1)
        n = len(tokens)
        if n <= 1:
            return
        # anc[k]: nodes whose tokens node k attends to (its ancestors and itself), as a bool row
        anc = torch.zeros(n, n, dtype=torch.bool)
        for k in range(1, n):
            p = parents[k]
            if p > 0:
                anc[k] = anc[p]
            anc[k, k] = True
        pos_all = torch.tensor([S + d - 1 for d in depth], device=dev)
        for a in range(1, n, chunk):
            b = min(n, a + chunk)
            allowed = torch.cat([torch.ones(b - a, S, dtype=torch.bool), anc[a:b, 1:b]], 1).to(dev)
            mask = _additive(allowed, dtype)
            if window is not None:
                kpos = torch.cat([torch.arange(S, device=dev), pos_all[1:b]])
                near = (pos_all[a:b, None] - kpos[None, :]) < window
                mask = {"full_attention": mask, "sliding_attention": _additive(allowed & near, dtype)}
            out, cache = _forward(model, cache, input_ids=torch.tensor([tokens[a:b]], device=dev),
                                  position_ids=pos_all[a:b][None], attention_mask=mask)
            lps = torch.log_softmax(out.logits[0].to(up), -1)
            for i in range(b - a):
                yield a + i, lps[i]
