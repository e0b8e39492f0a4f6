"""A growing tree of token sequences run through the model with tree attention and one KV cache.

Tree tokens are laid out in the order they are added, after the start context; each token
attends to the start context and to its own ancestors only, at position = its depth. So every
node's next-token distribution costs one forward position, branches share their prefix's
keys/values, many texts' trees can share one session (their common prefixes are one node), and
a later call that extends a byte prefix only runs the new nodes.

Per chunk of positions there is one forward and one host sync (the log-probabilities of the
tokens that lead to already registered children); the full next-token rows stay on the model's
device and are handed to a callback, then dropped unless the caller asks to keep them.
"""

from __future__ import annotations

import inspect
from typing import Callable

import numpy as np
import torch

CHUNK = 64
MAX_NODES = 6000  # a session holding more tree tokens than this is restarted by its owner


def sliding_window_of(model) -> int | None:
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


def additive_mask(allowed: torch.Tensor, dtype) -> torch.Tensor:
    m = torch.zeros(allowed.shape, dtype=dtype, device=allowed.device)
    return m.masked_fill(~allowed, torch.finfo(dtype).min)[None, None]


class TreeSession:
    """Node 0 is the start context; nodes ``1..`` are (parent, token) pairs.

    ``L[k]``: log-probability of node ``k``'s token path (known once its parent has run);
    ``rows[k]``: next-token log-probs after node ``k``, kept only for nodes a caller keeps.
    With ``allowed`` (bool per output row), every next-token distribution is the model's,
    renormalised over the allowed tokens.

    >>> from tokforge.bytelevel.tiny import tiny_lm
    >>> model, tok = tiny_lm(seed=0)
    >>> s = TreeSession(model, [tok.bos_id]); a = s.node(0, 5); b = s.node(a, 7); s.run()
    >>> plain = torch.log_softmax(model(input_ids=torch.tensor([[tok.bos_id, 5]])).logits[0].detach(), -1)
    >>> abs(s.L[b] - float(plain[0, 5] + plain[1, 7])) < 1e-9
    True
    """

    def __init__(self, model, start_ids: list[int], chunk: int = CHUNK, allowed: torch.Tensor | None = None):
        self.model, self.chunk = model, chunk
        p = next(model.parameters())
        self.dev, self.dtype = p.device, p.dtype
        self.up = torch.float64 if self.dtype == torch.float64 else torch.float32
        self.start = [int(i) for i in start_ids]
        self.S = len(self.start)
        self.window = sliding_window_of(model)
        self.bias = None
        if allowed is not None:  # tokens the stream may emit: the rest get probability 0
            self.bias = torch.zeros(allowed.shape, dtype=self.up, device=self.dev).masked_fill(
                ~allowed.to(self.dev), -torch.inf
            )
        self.parent, self.tok, self.depth = [-1], [-1], [0]
        self.L = [0.0]
        self.kids: list[list[int]] = [[]]
        self.key: dict[tuple[int, int], int] = {}
        self.rows: dict[int, torch.Tensor] = {}
        self.computed = 0  # nodes [0, computed) have run (0: not even the start context)
        self.positions = 0  # forward positions run so far (start context excluded)
        self.calls = 0  # forward calls so far
        self.cache = None
        self._paths: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.tok)

    def node(self, parent: int, tok: int) -> int:
        """Index of the node (parent, tok); a new one runs at the next :meth:`run`."""
        k = self.key.get((parent, tok))
        if k is None:
            k = self.new_node(parent, tok)
            self.key[(parent, tok)] = k
        return k

    def new_node(self, parent: int, tok: int) -> int:
        """Append a node (parent, tok) whatever nodes exist; its log-probability is unknown until a run."""
        k = len(self.tok)
        self.parent.append(parent)
        self.tok.append(int(tok))
        self.depth.append(self.depth[parent] + 1)
        self.L.append(float("nan"))
        self.kids.append([])
        self.kids[parent].append(k)
        return k

    def missing_rows(self) -> bool:
        """Would :meth:`run` need the row of a node that ran earlier and was not kept?"""
        return any(
            self.parent[k] < self.computed and self.parent[k] not in self.rows
            for k in range(max(1, self.computed), len(self.tok))
        )

    def _path(self, k: int) -> np.ndarray:
        """Cache columns (start context excluded) of node ``k`` and its ancestors."""
        got = self._paths.get(k)
        if got is not None:
            return got
        up, m = [], k
        while m > 0 and m not in self._paths:
            up.append(self.S + m - 1)
            m = self.parent[m]
        base = self._paths[m] if m > 0 else np.zeros(0, np.int64)
        got = np.concatenate([base, np.asarray(up[::-1], dtype=np.int64)])
        if len(self._paths) > 4 * self.chunk:
            self._paths.clear()
        self._paths[k] = got
        return got

    def _mask(self, a: int, b: int, with_start: bool):
        """Attention mask for nodes ``a..b-1`` (after the start context when ``with_start``)."""
        q = b - a + (self.S if with_start else 0)
        allowed = np.zeros((q, self.S + b - 1), dtype=bool)
        r0 = 0
        if with_start:
            allowed[: self.S, : self.S] = np.tril(np.ones((self.S, self.S), dtype=bool))
            r0 = self.S
        allowed[r0:, : self.S] = True
        for row, k in enumerate(range(a, b), r0):
            allowed[row, self._path(k)] = True
        allowed = torch.from_numpy(allowed).to(self.dev)
        mask = additive_mask(allowed, self.dtype)
        if self.window is None:
            return mask
        pos = torch.tensor([self.S + d - 1 for d in self.depth[:b]], device=self.dev)
        kpos = torch.cat([torch.arange(self.S, device=self.dev), pos[1:b]])
        qpos = torch.cat([torch.arange(self.S, device=self.dev), pos[a:b]]) if with_start else pos[a:b]
        near = (qpos[:, None] - kpos[None, :]) < self.window
        return {"full_attention": mask, "sliding_attention": additive_mask(allowed & near, self.dtype)}

    def run(
        self,
        on_chunk: Callable[[list[int], torch.Tensor], None] | None = None,
        keep: Callable[[int], bool] | None = None,
    ) -> None:
        """Forward every new node in chunks; ``on_chunk(nodes, rows)`` gets their next-token
        log-probs ``[len(nodes), vocab]`` on the model's device. Rows of nodes with ``keep(k)``
        stay in ``rows``."""
        from transformers import DynamicCache

        first = max(1, self.computed)
        self._edges([k for k in range(first, len(self.tok)) if self.parent[k] < self.computed])
        if self.computed == 0:
            self.cache = DynamicCache()
        with torch.no_grad():
            a = first
            while a < len(self.tok) or self.computed == 0:
                b = min(len(self.tok), a + self.chunk)
                with_start = self.computed == 0
                ids = (self.start if with_start else []) + self.tok[a:b]
                pos = ([*range(self.S)] if with_start else []) + [self.S + d - 1 for d in self.depth[a:b]]
                out, self.cache = _forward(
                    self.model,
                    self.cache,
                    input_ids=torch.tensor([ids], device=self.dev),
                    position_ids=torch.tensor([pos], device=self.dev),
                    attention_mask=self._mask(a, b, with_start),
                )
                logits = out.logits[0, self.S - 1 :] if with_start else out.logits[0]
                logits = logits.to(self.up)
                if self.bias is not None:
                    logits = logits + self.bias
                lps = torch.log_softmax(logits, -1)
                nodes = ([0] if with_start else []) + list(range(a, b))
                self.positions += b - a
                self.calls += 1
                self.computed = b
                self._chunk_edges(nodes, lps)
                if on_chunk is not None:
                    on_chunk(nodes, lps)
                if keep is not None:
                    for i, k in enumerate(nodes):
                        if keep(k):
                            self.rows[k] = lps[i].clone()
                a = b

    def _edges(self, ks: list[int]) -> None:
        """``L`` of new nodes whose parent ran in an earlier call (from kept rows; one sync)."""
        if not ks:
            return
        vals = torch.stack([self.rows[self.parent[k]][self.tok[k]] for k in ks]).double().tolist()
        for k, v in zip(ks, vals):
            self.L[k] = self.L[self.parent[k]] + v

    def _chunk_edges(self, nodes: list[int], lps: torch.Tensor) -> None:
        pairs = [(i, c) for i, k in enumerate(nodes) for c in self.kids[k]]
        if not pairs:
            return
        rows = torch.tensor([i for i, _ in pairs], device=lps.device)
        cols = torch.tensor([self.tok[c] for _, c in pairs], device=lps.device)
        vals = lps[rows, cols].double().tolist()
        for (i, c), v in zip(pairs, vals):  # parents come before children, so L[parent] is set
            self.L[c] = self.L[nodes[i]] + v

    def prune(self, keep: Callable[[int], bool]) -> None:
        """Drop kept rows of nodes for which ``keep(k)`` is now false."""
        for k in [k for k in self.rows if not keep(k)]:
            del self.rows[k]
