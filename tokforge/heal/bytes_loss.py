"""Exact next-byte distributions with gradients, for the ``bytes`` healing loss.

For a window of text and a byte position ``i``, the next-byte distribution of a tokenized LM is a
sum over *covers* (Phan et al. 2024; `tokforge.bytelevel`): every valid token sequence ``s`` that
decodes to the first ``j <= i`` bytes, times the mass of the next tokens that start with bytes
``j..i`` plus the candidate byte. Here all cover nodes of the window's prefix (`cover.build_nodes`)
run through the model in ONE forward pass with a tree attention mask (each node sees the start
context and its own ancestors, at position = its depth), with gradients, so the student's byte
distributions are differentiable. The same function, without gradients, gives the teacher's.

Distributions are over the 256 byte values (end of text is left out; both sides are renormalised
over bytes alike). They equal `ByteLM.distributions` restricted to bytes (tested to 1e-6).

``ByteKL(...).window_losses(windows, rng)`` samples ``positions`` byte positions per window and
returns KL(teacher || student) per window.
"""

from __future__ import annotations

import numpy as np
import torch

from ..bytelevel.canon import Canon
from ..bytelevel.cover import TokenIndex, build_nodes, check_family


class ByteView:
    """A tokenizer's cover machinery (index, canonicality rule) for one model."""

    def __init__(self, tokenizer, start_ids: list[int] | None = None):
        check_family(tokenizer.vocab, where=tokenizer.name)
        self.tok = tokenizer
        self.index = TokenIndex(tokenizer.vocab)
        self.canon = Canon(tokenizer)
        self.prefix = self.canon.stream_prefix()
        if start_ids is None:
            first = tokenizer.bos_id if tokenizer.bos_id is not None else tokenizer.eos_id
            start_ids = [first]
        self.start_ids = list(start_ids)
        self.order = torch.from_numpy(self.index.order)
        self._bins: dict[bytes, tuple] = {}

    def bins(self, r: bytes) -> tuple[int, int, torch.Tensor]:
        """(lo, hi, next byte of each sorted token in [lo, hi)): the tokens longer than ``r`` that start
        with it, and the byte that follows ``r`` in each (cached per ``r``)."""
        got = self._bins.get(r)
        if got is None:
            bounds = self.index.byte_bounds(r)
            lo, hi = int(bounds[0]), int(bounds[256])
            b = np.searchsorted(bounds[:256], np.arange(lo, hi), side="right") - 1
            got = (lo, hi, torch.from_numpy(b.astype(np.int64)))
            if len(self._bins) < 100_000:
                self._bins[r] = got
        return got

    def tree(self, data: bytes):
        """(nodes, input ids ``[1, S+N-1]``, position ids, additive mask ``[1, 1, L, L]`` (bool allowed))."""
        stream = self.prefix + data
        nodes = build_nodes(stream, self.index, self.canon)
        S, N = len(self.start_ids), len(nodes)
        ids = torch.tensor([self.start_ids + [n.tok for n in nodes[1:]]])
        pos = torch.tensor([list(range(S)) + [S - 1 + n.depth for n in nodes[1:]]])
        L = S + N - 1
        allowed = torch.zeros(L, L, dtype=torch.bool)
        allowed[:, :S] = torch.tril(torch.ones(L, S, dtype=torch.bool)) if S > 1 else True
        for k in range(1, N):
            q = S - 1 + k
            a = k
            while a > 0:
                allowed[q, S - 1 + a] = True
                a = nodes[a].parent
        return stream, nodes, ids, pos, allowed


def _mask(model, allowed: torch.Tensor, pos: torch.Tensor, dtype, device):
    """Additive attention mask(s) from a bool ``allowed`` matrix (per layer type for sliding windows)."""
    from ..bytelevel.tree import additive_mask, sliding_window_of

    allowed = allowed.to(device)
    m = additive_mask(allowed, dtype)
    win = sliding_window_of(model) if model is not None else None
    if win is None:
        return m
    p = pos[0].to(device)
    near = (p[:, None] - p[None, :]) < win
    return {"full_attention": m, "sliding_attention": additive_mask(allowed & near, dtype)}


def byte_logprobs(view: ByteView, logits_fn, data: bytes, positions: list[int]) -> torch.Tensor:
    """``[len(positions), 256]`` log P(next byte | data[:i]) for each ``i`` in ``positions`` (0 < i <= len(data)).

    ``logits_fn(ids, mask, position_ids) -> [1, L, V]`` runs the model (with or without gradients);
    ``logits_fn.model`` is the transformers model (for its dtype and attention layout)."""
    top = max(positions)
    stream, nodes, ids, pos, allowed = view.tree(data[:top])
    P, S = len(view.prefix), len(view.start_ids)
    model = logits_fn.model
    param = next(model.parameters())
    logits = logits_fn(ids, _mask(model, allowed, pos, param.dtype, param.device), pos)[0].double()
    dev = logits.device
    lp = torch.log_softmax(logits[S - 1 :], -1)  # row k: next-token log-probs after node k
    order = view.order.to(dev)
    Lpath = [lp.new_zeros(())]
    for k in range(1, len(nodes)):
        Lpath.append(Lpath[nodes[k].parent] + lp[nodes[k].parent, nodes[k].tok])
    probs: dict[int, torch.Tensor] = {}
    maxlen = view.index.maxlen
    rows = []
    for i in positions:
        si = P + i
        terms = []
        for k, n in enumerate(nodes):
            if n.j > si or si - n.j > maxlen:
                continue
            r = stream[n.j : si]
            a, b = view.index.prefix_range(r)
            if a >= b:
                continue
            if k not in probs:
                probs[k] = lp[k].exp()[order]  # in byte-sorted token order
            lo, hi, bins = view.bins(r)
            mass = lp.new_zeros(256).index_add(0, bins.to(dev), probs[k][lo:hi])  # no cumulative-sum cancellation
            terms.append(Lpath[k] + mass.clamp(min=1e-300).log())
        m = torch.logsumexp(torch.stack(terms), 0)
        rows.append(m - torch.logsumexp(m, 0))
    return torch.stack(rows)


class ByteKL:
    """KL(teacher || student) between exact next-byte distributions at sampled positions of each window."""

    def __init__(self, student, tokenizer, teacher, teacher_tokenizer, positions: int = 4, call=None):
        self.student, self.teacher, self.positions = student, teacher, positions
        self.call = call or student  # the (possibly data-parallel wrapped) module to run the student through
        self.s_view, self.t_view = ByteView(tokenizer), ByteView(teacher_tokenizer)

    def _student_fn(self):
        st, call = self.student, self.call

        def fn(ids, mask, pos):
            dev = st.emb.device
            return call(ids.to(dev), mask, pos.to(dev))

        fn.model = st.model
        return fn

    def _teacher_fn(self):
        t = self.teacher

        def fn(ids, mask, pos):
            with torch.no_grad():
                dev = next(t.parameters()).device
                return t(input_ids=ids.to(dev), attention_mask=mask, position_ids=pos.to(dev)).logits.float()

        fn.model = t
        return fn

    def window_losses(self, windows: list[str], rng: np.random.Generator) -> list[torch.Tensor]:
        out = []
        for text in windows:
            data = text.encode("utf-8")
            if len(data) < 2:
                continue
            pos = sorted(
                rng.choice(np.arange(1, len(data)), size=min(self.positions, len(data) - 1), replace=False).tolist()
            )
            with torch.no_grad():
                t = byte_logprobs(self.t_view, self._teacher_fn(), data, pos)
            s = byte_logprobs(self.s_view, self._student_fn(), data, pos)
            out.append((t.exp() * (t - s)).sum(1).mean().float())
        return out
