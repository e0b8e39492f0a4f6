"""APPROXIMATE mode: byte probabilities marginalised over *all* tokenizations, with a beam.

Instead of the canonical covers of `ByteLM`, every token sequence spelling the prefix counts
(as in Vieira et al. 2025's marginal): the mass of next byte ``b`` after ``x`` sums
``p(s) p(t | s)`` over every segmentation ``s`` of ``x[:j]`` and token ``t`` starting with
``x[j:] + b``; end of text sums ``p(s) p(eos | s)`` over every segmentation of ``x``. The number
of segmentations grows exponentially, so at every byte position only the ``beam`` most likely
ones are kept: the result is exact when nothing is pruned (``beam`` large, short texts) and a
lower-bound approximation of the marginal otherwise. Same interface as `ByteLM` for reading.

>>> from tokforge.bytelevel.tiny import tiny_lm
>>> m = MarginalByteLM(*tiny_lm(seed=0), beam=4)
>>> abs(float(m.next_byte_logprobs(b"th").exp().sum()) - 1) < 1e-9
True
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .bytelm import ByteLM
from .scoring import END, ByteScoring
from .tree import TreeSession


class MarginalByteLM(ByteLM):
    """Beam-approximate marginal over all tokenizations (labelled approximate everywhere)."""

    approximate = True

    def __init__(self, model, tokenizer=None, *, start_ids=None, beam: int = 8, name: str | None = None):
        super().__init__(model, tokenizer, start_ids=start_ids, name=name)
        if beam < 1:
            from ..errors import InputError

            raise InputError("beam must be >= 1", where=str(beam))
        self.beam = beam
        self.pruned = 0  # segmentations dropped by the beam so far (0: the result was exact)

    def __repr__(self) -> str:
        return f"MarginalByteLM({self.name}, beam={self.beam}, approximate)"

    def _masses(self, data: bytes, last_only: bool) -> np.ndarray:
        """Log masses ``[len(stream) + 1, 257]`` (row ``i``: after ``stream[:i]``; rows before the
        text and, if ``last_only``, all but the last, stay -inf)."""
        stream = self.prefix + data
        P, N = len(self.prefix), len(stream)
        maxlen = self.index.maxlen
        ranges = self.table("ranges")
        s = TreeSession(self.model, self.start_ids, chunk=self.chunk)  # the raw model: no renormalising
        ref = np.full(N + 1, -np.inf)
        acc = np.zeros((N + 1, 257))
        cands: list[list[tuple[float, int, int]]] = [[] for _ in range(N + 1)]  # (L, parent, tok)
        live = {0: [0]}
        at: dict[int, int] = {}

        def add(i: int, logw: float, vec: np.ndarray) -> None:
            if logw > ref[i]:
                acc[i] *= math.exp(ref[i] - logw) if ref[i] > -np.inf else 0.0
                ref[i] = logw
            acc[i] += math.exp(logw - ref[i]) * vec

        for j in range(N + 1):
            if j > 0:
                keep = sorted(cands[j], reverse=True)
                self.pruned += max(0, len(keep) - self.beam)
                live[j] = [s.node(p, t) for _, p, t in keep[: self.beam]]
            before = s.positions
            s.run(keep=lambda k: True)
            self.forwards += s.positions - before
            for k in live.get(j, []):
                lp, L = s.rows[k], s.L[k]
                probs = lp.double().exp()
                for i in range(N if last_only else max(j, P), min(N, j + maxlen) + 1):
                    vec = torch.zeros(257, dtype=torch.float64, device=probs.device)
                    if i > j:
                        a, b = self.index.prefix_range(stream[j:i])
                        if a >= b:
                            break
                        _, ids, bins = ranges.spec(stream[j:i])
                        vec.index_add_(0, bins, probs[ids])
                        vec[END] = 0.0  # a token ending exactly here is a segmentation, not a next byte
                    else:
                        vec.index_add_(0, ranges.group0, probs)  # every token, by its first byte
                        vec[END] = probs[self.eos_id] if i >= P and self.eos_id is not None else 0.0
                    add(i, L, vec.cpu().numpy())
                for n in range(1, min(maxlen, N - j) + 1):
                    for t in self.index.ids_of(stream[j : j + n]):
                        cands[j + n].append((L + float(lp[t]), k, t))
            for k in live.get(j, []):
                at[k] = j
            s.prune(lambda kk: at.get(kk, N) > j - maxlen)  # parents of later nodes keep their rows
        with np.errstate(divide="ignore"):
            return np.log(acc) + ref[:, None]

    def next_byte_logprobs(self, prefix: bytes) -> torch.Tensor:
        logm = torch.from_numpy(self._masses(bytes(prefix), last_only=True)[-1])
        return logm - torch.logsumexp(logm, 0)

    def next_byte_logmasses(self, prefix: bytes) -> torch.Tensor:
        from ..errors import InputError

        raise InputError("the approximate marginal mode has no unnormalised masses", fix="use next_byte_logprobs")

    def distributions(self, data: bytes) -> torch.Tensor:
        logm = torch.from_numpy(self._masses(bytes(data), last_only=False)[len(self.prefix) :])
        return logm - torch.logsumexp(logm, -1, keepdim=True)

    def distributions_batch(self, texts) -> list[torch.Tensor]:
        return [self.distributions(t) for t in texts]

    def logprob(self, data: bytes, end: bool = False) -> float:
        return ByteScoring.logprob(self, data, end)

    def logprob_batch(self, texts, end: bool = False) -> list[float]:
        return [self.logprob(t, end) for t in texts]

    def token_logprob(self, data: bytes, end: bool = False) -> float:
        return ByteLM.token_logprob(self, data, end)

    def generate(self, *a, **k):
        from ..errors import InputError

        raise InputError("the approximate marginal mode does not generate", fix="use ByteLM.generate")

    complete = generate
