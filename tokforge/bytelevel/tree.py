"""A growing tree of token sequences run through the model with tree attention and one KV cache.

Tree tokens are laid out in the order they are added, after the start context; each token
attends to the start context and to its own ancestors only, at position = its depth. So every
node's next-token distribution costs about one forward position, branches share their prefix's
keys/values, and a later call that extends the byte prefix only runs the new nodes.
"""

from __future__ import annotations

import inspect
from typing import Callable

import torch

CHUNK = 64
MAX_NODES = 6000  # a session holding more tree tokens than this is restarted by its owner


def _sliding_window(model) -> int | None:
    cfg = model.config
    types = getattr(cfg, "layer_types", None) or []
    if "sliding_attention" in types and getattr(cfg, "sliding_window", None):
        return int(cfg.sliding_window)
    return None


def _forward(model, cache, **kw):
    """One forward that extends ``cache`` (the kwarg is ``cache`` in new transformers)."""
    params = inspect.signature(model.forward).parameters
    key = "cache" if "cache" in params else "past_key_values"
    out = model(**kw, **{key: cache}, use_cache=True)
    return out, getattr(out, "cache", None) or out.past_key_values


def _additive(allowed: torch.Tensor, dtype) -> torch.Tensor:
    m = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
    return m.masked_fill(~allowed, torch.finfo(dtype).min)[None, None]


class TreeSession:
    """Nodes ``1..`` are (parent, token) pairs; node 0 is the start context.

    ``lp[k]``: next-token log-probs after node ``k`` (kept only while a caller may need them,
    see :meth:`forget`); ``L[k]``: log-probability of node ``k``'s token path under the model.
    """

    def __init__(self, model, start_ids: list[int], chunk: int = CHUNK):
        from transformers import DynamicCache

        self.model, self.chunk = model, chunk
        self.dev = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        self.up = torch.float64 if self.dtype == torch.float64 else torch.float32
        self.S = len(start_ids)
        self.window = _sliding_window(model)
        self.parent, self.tok, self.depth, self.L = [-1], [-1], [0], [0.0]
        self.key: dict[tuple[int, int], int] = {}
        self.pending: list[int] = []
        self.computed = 1
        self.positions = 0  # forward positions run so far (start context excluded)
        with torch.no_grad():
            out, self.cache = _forward(model, DynamicCache(), input_ids=torch.tensor([start_ids], device=self.dev),
                                       position_ids=torch.arange(self.S, device=self.dev)[None])
        self.lp: dict[int, torch.Tensor] = {0: torch.log_softmax(out.logits[0, -1].to(self.up), -1)}

    def __len__(self) -> int:
        return len(self.tok)

    def node(self, parent: int, tok: int) -> int:
        """Index of the node (parent, tok), queued for the next :meth:`run` if new."""
        k = self.key.get((parent, tok))
        if k is None:
            k = len(self.tok)
            self.key[(parent, tok)] = k
            self.parent.append(parent)
            self.tok.append(tok)
            self.depth.append(self.depth[parent] + 1)
            self.L.append(float("nan"))
            self.pending.append(k)
        return k

    def _allowed(self, a: int, b: int) -> torch.Tensor:
        """Bool [b - a, S + b - 1]: which cached positions nodes a..b-1 attend to."""
        allowed = torch.zeros(b - a, self.S + b - 1, dtype=torch.bool)
        allowed[:, : self.S] = True
        for row, k in enumerate(range(a, b)):
            while k > 0:
                allowed[row, self.S + k - 1] = True
                k = self.parent[k]
        return allowed

    def run(self, on_node: Callable[[int, torch.Tensor], None] | None = None) -> None:
        """Forward every queued node (chunks, one growing KV cache); ``on_node(k, lp)`` for each."""
        pend, self.pending = self.pending, []
        if not pend:
            return
        assert pend[0] == self.computed and pend[-1] == len(self.tok) - 1
        pos = torch.tensor([self.S + d - 1 for d in self.depth], device=self.dev)
        with torch.no_grad():
            for a in range(pend[0], pend[-1] + 1, self.chunk):
                b = min(pend[-1] + 1, a + self.chunk)
                allowed = self._allowed(a, b).to(self.dev)
                mask = _additive(allowed, self.dtype)
                if self.window is not None:
                    kpos = torch.cat([torch.arange(self.S, device=self.dev), pos[1:b]])
                    near = (pos[a:b, None] - kpos[None, :]) < self.window
                    mask = {"full_attention": mask, "sliding_attention": _additive(allowed & near, self.dtype)}
                out, self.cache = _forward(self.model, self.cache, input_ids=torch.tensor([self.tok[a:b]], device=self.dev),
                                           position_ids=pos[a:b][None], attention_mask=mask)
                lps = torch.log_softmax(out.logits[0].to(self.up), -1)
                self.positions += b - a
                for i, k in enumerate(range(a, b)):
                    p = self.parent[k]
                    self.L[k] = self.L[p] + float(self.lp[p][self.tok[k]])
                    self.lp[k] = lps[i]
                    if on_node is not None:
                        on_node(k, lps[i])
                self.computed = b

    def forget(self, keep: Callable[[int], bool]) -> None:
        """Drop stored distributions of nodes for which ``keep(k)`` is false."""
        for k in [k for k in self.lp if not keep(k)]:
            del self.lp[k]
