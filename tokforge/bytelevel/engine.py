"""Byte-level masses from cover nodes: which nodes a query needs, and their sums on the model's device.

A *query* asks, at byte offset ``i`` of a stream, for one of

* ``NEXT``: the 257 masses after ``stream[:i]`` - ``C(stream[:i] + b)`` for every byte ``b`` and
  the stop mass ``S(stream[:i])`` (index 256);
* ``STOP``: only the stop mass;
* ``PREFIX``: the prefix mass ``C(stream[:i])``, the sum over covers ``(node at j < i, token
  starting with stream[j:i])`` of ``p(node) p(token | node)``.

Each query reads the nodes within one maximal token length before ``i`` whose bytes can still
start a token; a ``Job`` lists them (``pairs``), `TreeSession` runs them with their ancestors,
and ``Sums`` turns each chunk of next-token rows into masses with a few batched gathers and one
scatter per chunk, on the model's device.

>>> NEXT, STOP, PREFIX
('next', 'stop', 'prefix')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .canon import Canon
from .cover import TokenIndex, seq_for

NEXT, STOP, PREFIX = "next", "stop", "prefix"
END = 256


class Masks:
    """Canonical-leaves validity masks on the model's device (cached per window)."""

    def __init__(self, canon: Canon, index: TokenIndex, rows: int, device):
        self.canon, self.index, self.rows, self.device = canon, index, rows, device
        self._full: dict = {}

    def full(self, node) -> torch.Tensor:
        """float64 ``[rows]``: 1 for text tokens the rule allows after ``node``, else 0."""
        seq = seq_for(node, self.canon.window)
        got = self._full.get(seq)
        if got is None:
            ok = self.canon.valid_many(seq, self.index.order)
            m = np.zeros(self.rows, dtype=bool)
            m[self.index.order[ok]] = True
            got = torch.from_numpy(m).to(self.device)
            if len(self._full) > 256:
                self._full.clear()
            self._full[seq] = got
        return got.double()

    def some(self, node, ids: np.ndarray) -> np.ndarray:
        return self.canon.valid_many(seq_for(node, self.canon.window), ids)


class Ranges:
    """Device tables over the model's output rows: which rows the stream may emit (text tokens
    and EOS), the first byte of every text token (256 for any other row), and for a byte string
    ``r`` the ids of the tokens starting with ``r`` with the byte that follows ``r`` in each (256
    for a token equal to ``r``)."""

    def __init__(self, index, rows: int, device, eos_id: int | None = None):
        self.index, self.rows, self.device = index, rows, device
        g0 = np.full(rows, END, dtype=np.int64)
        g0[index.order] = [k[0] for k in index.keys]
        self.group0 = torch.from_numpy(g0).to(device)
        emit = np.zeros(rows, dtype=bool)
        emit[index.order] = True
        if eos_id is not None:
            emit[eos_id] = True
        self.emit = torch.from_numpy(emit).to(device)
        self._r: dict[bytes, tuple] = {}

    def spec(self, r: bytes):
        """``(ids_numpy, ids, bins)`` of the tokens starting with non-empty ``r``."""
        got = self._r.get(r)
        if got is None:
            a, b = self.index.prefix_range(r)
            edges = np.concatenate([[a], self.index.byte_bounds(r)])
            bins = np.repeat(np.r_[END, 0:256], np.diff(edges))
            ids = self.index.order[a:b]
            got = (ids, torch.from_numpy(ids).to(self.device), torch.from_numpy(bins).to(self.device))
            if len(self._r) < 100_000:
                self._r[r] = got
        return got


@dataclass
class Job:
    """The queries of one stream: ``next_rows`` (None: every offset from ``start``), ``stop_rows``
    and ``prefix_rows``; ``sid`` maps cover nodes to session nodes (kept between calls)."""

    covers: object
    start: int
    next_rows: tuple | None = ()
    stop_rows: tuple = ()
    prefix_rows: tuple = ()
    sid: list = field(default_factory=list)
    pairs: dict = field(default_factory=dict)  # node -> [(i, len(r), kind)]
    dead: dict = field(default_factory=dict)  # node -> [(i, token)] rejected exact landings
    out_next: list = field(default_factory=list)
    out_prefix: list = field(default_factory=list)

    def plan(self, index, model_leaves: bool) -> None:
        """Fill ``pairs`` and ``dead``: which nodes contribute to which queries."""
        cov = self.covers
        self.pairs, self.dead = {}, {}
        nonempty: dict[bytes, bool] = {}

        def starts(r: bytes) -> bool:
            got = nonempty.get(r)
            if got is None:
                lo, hi = index.prefix_range(r)
                got = nonempty[r] = lo < hi
            return got

        if self.next_rows is None:
            rows = self._plan_all(index.maxlen, starts)
        else:
            rows = self._plan_rows(index.maxlen, starts)
        if model_leaves:
            for i in rows:
                for k, t in cov.rejected.get(i, ()):
                    self.dead.setdefault(k, []).append((i, t))

    def _plan_all(self, maxlen: int, starts) -> set[int]:
        """Every offset from ``start`` on asks for its next-byte row."""
        cov, data = self.covers, self.covers.stream
        N = len(data)
        for k, n in enumerate(cov.nodes):
            for i in range(max(n.j, self.start), min(N, n.j + maxlen) + 1):
                if i > n.j and not starts(data[n.j : i]):
                    break
                self.pairs.setdefault(k, []).append((i, i - n.j, NEXT))
        return set(range(self.start, N + 1))

    def _plan_rows(self, maxlen: int, starts) -> set[int]:
        """Only the offsets in ``next_rows``, ``stop_rows`` and ``prefix_rows``."""
        cov, data = self.covers, self.covers.stream
        rows = set(self.next_rows) | set(self.stop_rows)
        for i in sorted(rows | set(self.prefix_rows)):
            for j in range(max(0, i - maxlen), i + 1):
                if not cov.by_j[j] or (j < i and not starts(data[j:i])):
                    continue
                for k in cov.by_j[j]:
                    got = self.pairs.setdefault(k, [])
                    if i in self.next_rows:
                        got.append((i, i - j, NEXT))
                    elif i in self.stop_rows and j == i:
                        got.append((i, 0, STOP))
                    if i in self.prefix_rows and j < i:
                        got.append((i, i - j, PREFIX))
                    if not got:
                        del self.pairs[k]
        return rows

    def register(self, session, sid_j: dict | None = None) -> dict[int, int]:
        """Session nodes for every contributing node and its ancestors; returns ``{sid: node}``.
        ``sid_j`` (if given) learns the byte offset of every newly mapped session node."""
        nodes = self.covers.nodes
        self.sid.extend([-1] * (len(nodes) - len(self.sid)))
        self.sid[0] = 0
        need = set(self.pairs) | set(self.dead)
        out = {}
        for k in sorted(need):
            up, m = [], k
            while self.sid[m] < 0:
                up.append(m)
                m = nodes[m].parent
            for m in reversed(up):
                self.sid[m] = session.node(self.sid[nodes[m].parent], nodes[m].tok)
                if sid_j is not None:
                    sid_j[self.sid[m]] = nodes[m].j
            out[self.sid[k]] = k
        return out

    def result(self, n_rows: int, device, rows: list[int] | None = None):
        """(log masses ``[n, 257]`` of the NEXT/STOP rows, log prefix masses ``[n]``) for offsets
        ``0..n_rows-1``, or only for the offsets in ``rows`` (in that order)."""
        if rows is None:
            return (
                _scatter_logsumexp(self.out_next, (n_rows, 257), device),
                _scatter_logsumexp(self.out_prefix, (n_rows,), device),
            )
        at = torch.full((n_rows,), len(rows), dtype=torch.long, device=device)
        at[torch.tensor(rows, device=device)] = torch.arange(len(rows), device=device)

        def compact(parts):
            return [(at[t], v) for t, v in parts]

        nxt = _scatter_logsumexp(compact(self.out_next), (len(rows) + 1, 257), device)[:-1]
        return nxt, _scatter_logsumexp(compact(self.out_prefix), (len(rows) + 1,), device)[:-1]


def _scatter_logsumexp(parts, shape, device) -> torch.Tensor:
    """``out[i] = logsumexp`` of the values whose target is ``i`` (-inf where none)."""
    out = torch.full(shape, -torch.inf, dtype=torch.float64, device=device)
    if not parts:
        return out
    tgt = torch.cat([t for t, _ in parts])
    val = torch.cat([v for _, v in parts])
    idx = tgt.view(-1, *([1] * (val.dim() - 1))).expand_as(val)
    m = out.scatter_reduce(0, idx, val, "amax")
    m = torch.where(torch.isinf(m), torch.zeros_like(m), m)
    s = torch.zeros(shape, dtype=torch.float64, device=device).index_add_(0, tgt, (val - m[tgt]).exp())
    return torch.where(s > 0, s.log() + m, out)


class Sums:
    """Turns chunks of next-token rows into masses for the jobs that own the rows' nodes."""

    def __init__(self, ranges: Ranges, session, owners: dict[int, list], masks=None):
        self.ranges, self.session, self.owners, self.masks = ranges, session, owners, masks

    def __call__(self, sids: list[int], lps: torch.Tensor) -> None:
        dev = lps.device
        zero, ranged, dead = [], [], []
        for row, sid in enumerate(sids):
            for job, k in self.owners.get(sid, ()):
                L = self.session.L[sid]
                for i, n, kind in job.pairs.get(k, ()):
                    (zero if n == 0 else ranged).append((row, job, k, i, n, kind, L))
                for i, t in job.dead.get(k, ()):
                    dead.append((row, job, i, t, L))
        if zero:
            self._zero(zero, lps, dev)
        if ranged:
            self._ranged(ranged, lps, dev)
        if dead:
            rows = torch.tensor([d[0] for d in dead], device=dev)
            toks = torch.tensor([d[3] for d in dead], device=dev)
            val = torch.full((len(dead), 257), -torch.inf, dtype=torch.float64, device=dev)
            val[:, END] = lps[rows, toks].double() + torch.tensor([d[4] for d in dead], dtype=torch.float64, device=dev)
            self._emit(dead, [d[2] for d in dead], val, "next")

    def _emit(self, entries, targets, val, which: str) -> None:
        by_job: dict[int, list] = {}
        for n, e in enumerate(entries):
            by_job.setdefault(id(e[1]), []).append(n)
        for ns in by_job.values():
            job = entries[ns[0]][1]
            sel = torch.tensor(ns, device=val.device)
            tgt = torch.tensor([targets[n] for n in ns], device=val.device)
            (job.out_next if which == "next" else job.out_prefix).append((tgt, val[sel]))

    def _zero(self, entries, lps, dev) -> None:
        """Pairs at the node's own offset: all tokens, by first byte; slot 256 = stop mass."""
        rows = sorted({e[0] for e in entries})
        at = {r: n for n, r in enumerate(rows)}
        probs = lps[torch.tensor(rows, device=dev)].double().exp()
        if self.masks is not None:
            valid = probs * torch.stack([self.masks.full(self._seq(e)) for e in _first_per_row(entries, rows)])
            lvl = torch.zeros(len(rows), 257, dtype=torch.float64, device=dev).index_add_(1, self.ranges.group0, valid)
            lvl[:, END] = (probs - valid).sum(1)
        else:
            lvl = torch.zeros(len(rows), 257, dtype=torch.float64, device=dev).index_add_(1, self.ranges.group0, probs)
        val = lvl[torch.tensor([at[e[0]] for e in entries], device=dev)].log()
        val += torch.tensor([e[6] for e in entries], dtype=torch.float64, device=dev)[:, None]
        stop_only = torch.tensor([e[5] == STOP for e in entries], device=dev)
        val[:, :END] = torch.where(stop_only[:, None], torch.full_like(val[:, :END], -torch.inf), val[:, :END])
        self._emit(entries, [e[3] for e in entries], val, "next")

    def _seq(self, e):
        job, k = e[1], e[2]
        return job.covers.nodes[k]

    def _ranged(self, entries, lps, dev) -> None:
        """Pairs ``r = stream[j:i]`` with ``i > j``: tokens starting with ``r``, by the next byte."""
        ids_l, bins_l, rows_l = [], [], []
        for n, (row, job, k, i, ln, kind, L) in enumerate(entries):
            data = job.covers.stream
            j = i - ln
            ids_np, ids, bins = self.ranges.spec(data[j:i])
            if self.masks is not None:
                keep = torch.from_numpy(self.masks.some(job.covers.nodes[k], ids_np)).to(dev)
                ids, bins = ids[keep], bins[keep]
            ids_l.append(ids)
            bins_l.append(bins + 257 * n)
            rows_l.append(torch.full((len(ids),), row, dtype=torch.long, device=dev))
        ids, tgt, rows = torch.cat(ids_l), torch.cat(bins_l), torch.cat(rows_l)
        vals = lps[rows, ids].double().exp()
        sums = torch.zeros(len(entries) * 257, dtype=torch.float64, device=dev).index_add_(0, tgt, vals)
        sums = sums.view(len(entries), 257)
        L = torch.tensor([e[6] for e in entries], dtype=torch.float64, device=dev)
        nxt = [n for n, e in enumerate(entries) if e[5] == NEXT]
        pre = [n for n, e in enumerate(entries) if e[5] == PREFIX]
        if nxt:
            sel = torch.tensor(nxt, device=dev)
            val = sums[sel].clone()
            val[:, END] = 0.0  # a token that ends exactly here is a node (or a rejected landing)
            self._emit([entries[n] for n in nxt], [entries[n][3] for n in nxt], val.log() + L[sel, None], "next")
        if pre:
            sel = torch.tensor(pre, device=dev)
            self._emit(
                [entries[n] for n in pre], [entries[n][3] for n in pre], sums[sel].sum(1).log() + L[sel], "prefix"
            )


def _first_per_row(entries, rows):
    first = {}
    for e in entries:
        first.setdefault(e[0], e)
    return [first[r] for r in rows]
