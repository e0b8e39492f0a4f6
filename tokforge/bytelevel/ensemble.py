"""`Ensemble`: byte-level mixtures and products of LMs whose vocabularies differ.

Members are combined per byte, on their exact next-byte distributions (257 outcomes):

* ``mixture``: ``P(b) = sum_k w_k P_k(b)`` (weights normalised to sum to one);
* ``product``: ``P(b) ∝ prod_k P_k(b) ** w_k`` (any real weights). Proxy-tuning
  (``base + a * (expert - anti)``) is the product with weights ``(1, a, -a)``: :func:`proxy_tune`.
  Impossible outcomes (log-prob -inf) enter a product as ``log(1e-300)``.

>>> import torch; from tokforge.bytelevel.tiny import tiny_lm; from tokforge.bytelevel import ByteLM
>>> lm = ByteLM(*tiny_lm(seed=0)); e = Ensemble([lm, lm], [0.5, 0.5])
>>> bool(torch.allclose(e.next_byte_logprobs(b"th"), lm.next_byte_logprobs(b"th"), atol=1e-9))
True
"""

from __future__ import annotations

import enum

import torch

from ..errors import InputError
from .bytelm import ByteScoring

END = 256
FLOOR = -690.0  # log(1e-300): impossible outcomes are clamped here in product mode, so that
# expert - anti-expert cancels where both are impossible, and an impossible byte stays ~0


class Mode(enum.Enum):
    MIXTURE = "mixture"
    PRODUCT = "product"


class Ensemble(ByteScoring):
    """Byte-level combination of `ByteLM`s (or other ensembles); same interface as `ByteLM`."""

    def __init__(self, members, weights=None, mode: str | Mode = "mixture"):
        members = list(members)
        if not members:
            raise InputError("an ensemble needs at least one member")
        self.mode = Mode(mode)
        weights = [1.0 / len(members)] * len(members) if weights is None else [float(w) for w in weights]
        if len(weights) != len(members):
            raise InputError("one weight per member is needed", where=f"{len(weights)} weights, {len(members)} members")
        if self.mode is Mode.MIXTURE:
            if any(w < 0 for w in weights) or sum(weights) <= 0:
                raise InputError("mixture weights must be non-negative with a positive sum", where=str(weights),
                                 fix='use mode="product" for signed (proxy-tuning) weights')
            weights = [w / sum(weights) for w in weights]
        ends = {m.eos_id is not None for m in members}
        if len(ends) > 1:
            names = ", ".join(f"{m.name}: {'eos' if m.eos_id is not None else 'no eos'}" for m in members)
            raise InputError("ensemble members handle end of text differently", where=names,
                             fix="give every member an EOS token, or none (tokenizer roles / another model)")
        self.members, self.weights = members, weights
        self.eos_id = members[0].eos_id
        self.name = f"{self.mode.value}(" + ", ".join(m.name for m in members) + ")"

    def __repr__(self) -> str:
        return f"Ensemble({self.name}, weights={self.weights})"

    def combine(self, lps: list[torch.Tensor]) -> torch.Tensor:
        """Combine member log-prob tensors ``[..., 257]`` into normalised log-probs."""
        stack = torch.stack([lp.double() for lp in lps])
        w = torch.tensor(self.weights, dtype=torch.float64).view(-1, *([1] * (stack.dim() - 1)))
        if self.mode is Mode.MIXTURE:
            out = torch.logsumexp(stack + torch.log(w), 0)
        else:
            out = (stack.clamp(min=FLOOR) * w).sum(0)
        return out - torch.logsumexp(out, -1, keepdim=True)

    def next_byte_logprobs(self, prefix: bytes) -> torch.Tensor:
        return self.combine([m.next_byte_logprobs(prefix) for m in self.members])

    def distributions(self, data: bytes) -> torch.Tensor:
        return self.combine([m.distributions(data) for m in self.members])

    def generate(self, prompt: bytes, max_bytes: int = 64, temperature: float = 1.0, top_p: float = 1.0,
                 seed: int = 0) -> bytes:
        """Byte-by-byte sampling (every step is a full byte-level step for every member)."""
        from .generate import sample_bytes

        return sample_bytes(self, bytes(prompt), max_bytes, temperature, top_p, seed)


def proxy_tune(base, expert, anti, alpha: float = 1.0) -> Ensemble:
    """``log P ∝ log P_base + alpha * (log P_expert - log P_anti)``, per byte."""
    return Ensemble([base, expert, anti], [1.0, alpha, -alpha], mode="product")
