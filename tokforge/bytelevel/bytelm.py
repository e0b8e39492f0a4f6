"""`ByteLM`: a tokenized causal LM read as a distribution over bytes, exactly.

For a prefix ``x`` the mass of the next byte ``b`` is the sum, over every cover ``s + [t]`` of
``x + b`` (``s`` a valid node decoding to ``x[:j]``, ``t`` a token starting with ``x[j:] + b``),
of the model's probability ``p(s) p(t | s)``; end of text is ``p(enc(x)) p(eos | enc(x))`` for
the tokenizer's own encoding ``enc(x)``. The 257 masses are normalised, so every next-byte
distribution sums to one and the chain rule holds by construction. See docs/bytelevel.md.

>>> import torch; from tokforge.bytelevel.tiny import tiny_lm
>>> lm = ByteLM(*tiny_lm(seed=0))
>>> abs(float(lm.next_byte_logprobs(b"ab").exp().sum()) - 1) < 1e-9
True
"""

from __future__ import annotations

import enum
import math

import numpy as np
import torch

from ..errors import InputError
from .cover import Canon, TokenIndex, build_nodes, check_family, node_tokens
from .tree import MAX_NODES, TreeSession

END = 256


def segment_sums(sp: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Sums of ``sp[bounds[b]:bounds[b+1]]`` for every b, each summed directly (no cumulative
    sums: a difference of two cumulative sums loses tiny ranges to cancellation).

    >>> segment_sums(np.array([1., 2., 3., 0.]), np.array([0, 0, 2, 3]))
    array([0., 3., 3.])
    """
    starts = np.minimum(bounds, len(sp) - 1)  # sp ends with a 0 pad, so the last start is harmless
    out = np.add.reduceat(sp, starts)[:-1]
    out[bounds[1:] <= bounds[:-1]] = 0.0
    return out


class Leaves(enum.Enum):
    """Which covers count. ``MODEL``: the canonicality rule applies to every token that lies
    inside the prefix; the last, boundary-crossing token is any token (as in Phan et al.).
    ``CANONICAL``: the boundary token must pass the rule too (exact canonical covers; slower:
    one encoder call per vocabulary entry for each distinct window)."""

    MODEL = "model"
    CANONICAL = "canonical"


def _model_rows(model) -> int:
    head = model.get_output_embeddings()
    if head is not None and getattr(head, "weight", None) is not None:
        return int(head.weight.shape[0])
    return int(model.config.vocab_size)


class ByteScoring:
    """``score`` and ``logprob`` from ``distributions`` (shared by `ByteLM` and `Ensemble`)."""

    def distributions(self, data: bytes) -> torch.Tensor:  # pragma: no cover - overridden
        raise NotImplementedError

    def score(self, data: bytes) -> torch.Tensor:
        """float64 ``[len(data)]``: log P(data[i] | data[:i]) for every byte."""
        data = bytes(data)
        d = self.distributions(data)
        return d[torch.arange(len(data)), torch.tensor(list(data), dtype=torch.long)]

    def logprob(self, data: bytes, end: bool = False) -> float:
        """log P(the byte stream starts with ``data``) (and ends right there if ``end``)."""
        data = bytes(data)
        d = self.distributions(data)
        s = float(d[torch.arange(len(data)), torch.tensor(list(data), dtype=torch.long)].sum())
        return s + float(d[-1, END]) if end else s


class ByteLM(ByteScoring):
    """Byte-level view of ``model`` (a transformers causal LM) with its tokforge ``tokenizer``."""

    def __init__(self, model, tokenizer, start_ids: list[int] | None = None, leaves: str | Leaves = "model",
                 name: str | None = None):
        vocab = tokenizer.vocab
        check_family(vocab, where=tokenizer.name)
        rows = _model_rows(model)
        if rows < len(vocab):
            raise InputError("model and tokenizer vocabularies disagree",
                             where=f"model has {rows} output rows, tokenizer {tokenizer.name} has {len(vocab)} ids",
                             fix="load the tokenizer that belongs to this model")
        if start_ids is None:
            first = tokenizer.bos_id if tokenizer.bos_id is not None else tokenizer.eos_id
            if first is None:
                raise InputError("tokenizer has neither a BOS nor an EOS token", where=tokenizer.name,
                                 fix="pass start_ids=[...] (the token context the text follows)")
            start_ids = [first]
        if not start_ids or any(not 0 <= int(i) < rows for i in start_ids):
            raise InputError("start_ids must be a non-empty list of model token ids", where=str(start_ids)[:80])
        self.model, self.tokenizer, self.vocab = model, tokenizer, vocab
        self.start_ids = [int(i) for i in start_ids]
        self.leaves = Leaves(leaves)
        self.name = name or tokenizer.name
        self.eos_id = tokenizer.eos_id
        self.canon = Canon(tokenizer)
        self.index = TokenIndex(vocab)
        self.prefix = self.canon.stream_prefix()
        self._order = torch.from_numpy(self.index.order)
        self._masks: dict = {}
        self._session: TreeSession | None = None
        self._stream = b""
        self.forwards = 0  # tree positions run so far (forward positions per byte = forwards / bytes)

    def __repr__(self) -> str:
        return f"ByteLM({self.name}, leaves={self.leaves.value})"

    @property
    def device(self):
        return next(self.model.parameters()).device

    # -- the core pass -------------------------------------------------------------------------
    def _leaf_mask(self, nodes, k: int) -> torch.Tensor:
        from .cover import _seq_for

        seq = _seq_for(nodes[k], self.canon.window)
        got = self._masks.get(seq)
        if got is None:
            got = torch.from_numpy(self.canon.valid_many(seq, self.index.order).astype(np.float64))
            self._masks[seq] = got
        return got

    def _sorted_probs(self, nodes, k: int, lp: torch.Tensor) -> np.ndarray:
        """Next-token probabilities in byte-sorted token order (leaf mask applied), plus a 0 pad."""
        probs = lp.detach().to("cpu", torch.float64).exp()[self._order]
        if self.leaves is Leaves.CANONICAL:
            probs = probs * self._leaf_mask(nodes, k)
        return np.concatenate([probs.numpy(), [0.0]])


    def _session_for(self, stream: bytes, reuse: bool):
        """The tree session to use: the last one if ``stream`` extends its stream, else a new one."""
        s = self._session
        if not (reuse and s is not None and stream.startswith(self._stream) and len(s) < MAX_NODES):
            s = self._session = TreeSession(self.model, self.start_ids)
            s.j = {0: 0}
        self._stream = stream
        return s

    def _pass(self, data: bytes, last_only: bool, keep_tail: bool = False):
        """Masses for every prefix of ``data`` (or only the whole), in log space, plus nodes."""
        stream = self.prefix + data
        P, N = len(self.prefix), len(stream)
        nodes = build_nodes(stream, self.index, self.canon)
        maxlen = self.index.maxlen
        for attempt in (0, 1):
            s = self._session_for(stream, reuse=last_only and attempt == 0)
            sid = [0]
            for n in nodes[1:]:
                sid.append(s.node(sid[n.parent], n.tok))
                s.j[sid[-1]] = n.j
            old = [k for k in range(len(nodes)) if sid[k] < s.computed]
            if all(sid[k] in s.lp for k in old if N - nodes[k].j <= maxlen):
                break
            s.pending = []  # a needed distribution was forgotten: start over with a fresh session
        local = {v: k for k, v in enumerate(sid)}
        ref = np.full(N + 1, -np.inf)
        acc = np.zeros((N + 1, 257))
        tail = []
        enc_cache: dict[int, list[int] | None] = {}

        def add(i: int, logw: float, vec: np.ndarray) -> None:
            if logw > ref[i]:
                acc[i] *= math.exp(ref[i] - logw) if ref[i] > -np.inf else 0.0
                ref[i] = logw
            acc[i] += math.exp(logw - ref[i]) * vec

        def visit(k: int, lp: torch.Tensor) -> None:
            j, L = nodes[k].j, s.L[sid[k]]
            lo = N if last_only else max(j, P)
            hi = min(N, j + maxlen)
            if lo > hi:
                return
            c = self._sorted_probs(nodes, k, lp)
            if keep_tail:
                tail.append((k, L, lp, c))
            for i in range(lo, hi + 1):
                r = stream[j:i]
                if i > j:
                    a, b = self.index.prefix_range(r)
                    if a >= b:
                        break
                vec = np.zeros(257)
                vec[:256] = segment_sums(c, self.index.byte_bounds(r))
                if i == j and self.eos_id is not None and i >= P:
                    vec[END] = self._end_mass(nodes, k, stream, enc_cache, lp)
                add(i, L, np.maximum(vec, 0.0))

        for k in old:
            if sid[k] in s.lp:
                visit(k, s.lp[sid[k]])
        before = s.positions
        s.run(lambda kk, lp: visit(local[kk], lp) if kk in local else None)
        self.forwards += s.positions - before
        s.forget(lambda kk: s.j.get(kk, -1) >= N - maxlen)
        with np.errstate(divide="ignore"):
            logm = np.log(acc) + ref[:, None]
        return logm, nodes, tail

    def _end_mass(self, nodes, k: int, stream: bytes, enc_cache: dict, lp: torch.Tensor) -> float:
        j = nodes[k].j
        if j not in enc_cache:
            enc_cache[j] = self.canon.canonical(stream[:j])
        enc = enc_cache[j]
        if enc is None or len(enc) != nodes[k].depth or (enc and enc[-1] != nodes[k].tok):
            return 0.0
        if node_tokens(nodes, k) != enc:
            return 0.0
        return math.exp(float(lp[self.eos_id]))

    @staticmethod
    def _normalise(logm: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(logm)
        z = torch.logsumexp(t, -1, keepdim=True)
        if torch.isinf(z).any():
            raise InputError("no cover of this byte string has model probability",
                             fix="the bytes cannot be produced by this model/tokenizer (report this)")
        return t - z

    # -- public interface --------------------------------------------------------------------------
    def next_byte_logprobs(self, prefix: bytes) -> torch.Tensor:
        """float64 ``[257]``: log P(next byte | prefix); index 256 is end of text."""
        logm, _, _ = self._pass(bytes(prefix), last_only=True)
        return self._normalise(logm[-1:])[0]

    def distributions(self, data: bytes) -> torch.Tensor:
        """float64 ``[len(data) + 1, 257]``: the next-byte distribution after every prefix of ``data``,
        from one pass over the cover tree (row ``i`` = after ``data[:i]``)."""
        logm, _, _ = self._pass(bytes(data), last_only=False)
        return self._normalise(logm[len(self.prefix):])

    def token_logprob(self, data: bytes, end: bool = False) -> float:
        """The canonical token-level log-likelihood of ``data``: log p(enc(data)) (+ log p(eos))."""
        ids = self.canon.canonical(self.prefix + bytes(data))
        if ids is None:
            raise InputError("token-level scoring needs valid UTF-8 text", where=repr(bytes(data)[:40]))
        seq = self.start_ids + ids + ([self.eos_id] if end and self.eos_id is not None else [])
        with torch.no_grad():
            logits = self.model(input_ids=torch.tensor([seq], device=self.device)).logits[0].double()
        lp = torch.log_softmax(logits, -1)
        S = len(self.start_ids)
        tgt = torch.tensor(seq[S:], device=lp.device)
        return float(lp[S - 1:len(seq) - 1].gather(1, tgt[:, None]).double().sum())

    def generate(self, prompt: bytes, max_bytes: int = 64, temperature: float = 1.0, top_p: float = 1.0,
                 seed: int = 0) -> bytes:
        """Sample a continuation of ``prompt`` (which may end mid-token or mid-character)."""
        from .generate import generate

        return generate(self, bytes(prompt), max_bytes, temperature, top_p, seed)

    def complete(self, prefix: bytes, suffix: bytes = b"", max_bytes: int = 64, temperature: float = 1.0,
                 top_p: float = 1.0, seed: int = 0) -> bytes:
        """Fill in between ``prefix`` and ``suffix`` (FIM tokens needed when ``suffix``), else continue."""
        from .generate import complete

        return complete(self, bytes(prefix), bytes(suffix), max_bytes, temperature, top_p, seed)
