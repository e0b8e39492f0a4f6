"""`ByteScoring`: ``score``, ``logprob`` and their batch forms from next-byte distributions.

The shared base of `ByteLM` (which overrides ``logprob`` and ``score`` with cheaper exact forms) and
`Ensemble`. A subclass gives ``distributions(data)``: float64 ``[len(data) + 1, 257]`` log-probabilities
of the next byte (column ``END``: the stream stops) after each prefix of ``data``.
"""

from __future__ import annotations

import torch

END = 256


class ByteScoring:
    """``score``, ``logprob`` and their batch forms from ``distributions`` (shared by `ByteLM`
    and `Ensemble`; `ByteLM` computes ``logprob`` more cheaply)."""

    def distributions(self, data: bytes) -> torch.Tensor:  # pragma: no cover - overridden
        raise NotImplementedError

    def distributions_batch(self, texts) -> list[torch.Tensor]:
        return [self.distributions(bytes(t)) for t in texts]

    @staticmethod
    def _pick(d: torch.Tensor, data: bytes) -> torch.Tensor:
        return d[torch.arange(len(data)), torch.tensor(list(data), dtype=torch.long)]

    def score(self, data: bytes) -> torch.Tensor:
        """float64 ``[len(data)]``: log P(data[i] | data[:i]) for every byte."""
        data = bytes(data)
        return self._pick(self.distributions(data), data)

    def score_batch(self, texts) -> list[torch.Tensor]:
        """``[score(t) for t in texts]``, computed together."""
        texts = [bytes(t) for t in texts]
        return [self._pick(d, t) for d, t in zip(self.distributions_batch(texts), texts)]

    def logprob(self, data: bytes, end: bool = False) -> float:
        """log P(the byte stream starts with ``data``) (and stops right there if ``end``)."""
        return ByteScoring.logprob_batch(self, [data], end)[0]

    def logprob_batch(self, texts, end: bool = False) -> list[float]:
        """``[logprob(t, end) for t in texts]``, computed together (here: chained distributions)."""
        texts = [bytes(t) for t in texts]
        out = []
        for d, t in zip(self.distributions_batch(texts), texts):
            s = float(self._pick(d, t).sum())
            out.append(s + float(d[-1, END]) if end else s)
        return out
