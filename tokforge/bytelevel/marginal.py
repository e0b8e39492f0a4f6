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

from .bytelm import END, ByteLM, segment_sums
from .tree import TreeSession


class MarginalByteLM(ByteLM):
    """Beam-approximate marginal over all tokenizations (labelled approximate everywhere)."""

    approximate = True

    def __init__(self, model, tokenizer, start_ids=None, beam: int = 8, name: str | None = None):
        super().__init__(model, tokenizer, start_ids=start_ids, name=name)
        if beam < 1:
            from ..errors import InputError

            raise InputError("beam must be >= 1", where=str(beam))
        self.beam = beam
        self.pruned = 0  # segmentations dropped by the beam so far (0: the result was exact)

    def __repr__(self) -> str:
        return f"MarginalByteLM({self.name}, beam={self.beam}, approximate)"

    def _pass(self, data: bytes, last_only: bool, keep_tail: bool = False):
        stream = self.prefix + data
        P, N = len(self.prefix), len(stream)
        maxlen = self.index.maxlen
        s = TreeSession(self.model, self.start_ids)
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
                s.run()
                self.forwards += s.positions - before
            for k in live.get(j, []):
                lp, L = s.lp[k], s.L[k]
                sp = None
                for i in range(N if last_only else max(j, P), min(N, j + maxlen) + 1):
                    r = stream[j:i]
                    if i > j:
                        a, b = self.index.prefix_range(r)
                        if a >= b:
                            break
                    if sp is None:
                        sp = self._sorted_probs(None, k, lp)
                    vec = np.zeros(257)
                    vec[:256] = segment_sums(sp, self.index.byte_bounds(r))
                    if i == j and i >= P and self.eos_id is not None:
                        vec[END] = math.exp(float(lp[self.eos_id]))
                    add(i, L, vec)
                for n in range(1, min(maxlen, N - j) + 1):
                    for t in self.index.ids_of(stream[j:j + n]):
                        cands[j + n].append((L + float(lp[t]), k, t))
            for k in live.get(j, []):
                at[k] = j
            s.forget(lambda kk: at.get(kk, 0) > j - maxlen)  # parents of later nodes stay
        with np.errstate(divide="ignore"):
            logm = np.log(acc) + ref[:, None]
        return logm, [], []

    def token_logprob(self, data: bytes, end: bool = False) -> float:
        return ByteLM.token_logprob(self, data, end)

    def generate(self, *a, **k):
        from ..errors import InputError

        raise InputError("the approximate marginal mode does not generate", fix="use ByteLM.generate")

    complete = generate
