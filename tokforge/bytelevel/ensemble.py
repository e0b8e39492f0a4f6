"""`Ensemble`: byte-level combinations of LMs whose vocabularies differ.

Members are combined per byte, on their exact next-byte distributions (257 outcomes):

* ``mixture``: ``P(b) = sum_k w_k P_k(b)`` (weights normalised to sum to one);
* ``product``: ``P(b) ∝ prod_k P_k(b) ** w_k`` (any real weights). Proxy-tuning
  (``base + a * (expert - anti)``) is the product with weights ``(1, a, -a)``: :func:`proxy_tune`.
  Impossible outcomes (log-prob -inf) enter a product as ``log(1e-300)``;
* ``bayes``: a mixture whose weights are the posterior given the bytes so far, from the prior
  ``weights``: ``P(x) = sum_k w_k P_k(x)`` for the whole text, so it is never worse than member
  ``k`` by more than ``log2(1 / w_k)`` bits over a text, and ``logprob`` costs what the
  members' ``logprob`` cost;
* ``switch``: fixed share (Herbster & Warmuth 1998): after every byte the posterior weights
  give ``switch_rate`` of their mass back to the prior, so the best member may change inside a
  text; never worse than member ``k`` by more than ``log2(1 / w_k) + n log2(1 / (1 - switch_rate))``
  bits over ``n`` bytes.

:meth:`Ensemble.fit` picks mixture or product weights on held-out texts by gradient ascent of
their log-likelihood (L-BFGS on the weights).

>>> import torch; from tokforge.bytelevel.tiny import tiny_lm; from tokforge.bytelevel.bytelm import ByteLM
>>> lm = ByteLM(*tiny_lm(seed=0)); e = Ensemble([lm, lm], [0.5, 0.5])
>>> bool(torch.allclose(e.next_byte_logprobs(b"th"), lm.next_byte_logprobs(b"th"), atol=1e-9))
True
"""

from __future__ import annotations

import enum
import math

import torch

from ..errors import InputError
from .scoring import ByteScoring

END = 256
FLOOR = -690.0  # log(1e-300): impossible outcomes are clamped here in product mode, so that
# expert - anti-expert cancels where both are impossible, and an impossible byte stays ~0
SWITCH_RATE = 0.01  # fixed-share rate: a priori one switch of the best member per ~100 bytes


class Mode(enum.Enum):
    MIXTURE = "mixture"
    PRODUCT = "product"
    BAYES = "bayes"
    SWITCH = "switch"


MODES = [m.value for m in Mode]  # the same list as tokforge.bytelevel.MODES (which needs no torch)


class Ensemble(ByteScoring):
    """Byte-level combination of `ByteLM`s (or other ensembles); same interface as `ByteLM`."""

    def __init__(self, members, weights=None, *, mode: str | Mode = "mixture", switch_rate: float = SWITCH_RATE):
        members = list(members)
        if not members:
            raise InputError("an ensemble needs at least one member")
        try:
            self.mode = Mode(mode)
        except ValueError:
            raise InputError(f"unknown ensemble mode {mode!r}", fix="known: " + ", ".join(MODES)) from None
        weights = [1.0 / len(members)] * len(members) if weights is None else [float(w) for w in weights]
        if len(weights) != len(members):
            raise InputError("one weight per member is needed", where=f"{len(weights)} weights, {len(members)} members")
        if self.mode is not Mode.PRODUCT:
            if any(w < 0 for w in weights) or sum(weights) <= 0:
                raise InputError(
                    f"{self.mode.value} weights must be non-negative with a positive sum",
                    where=str(weights),
                    fix='use mode="product" for signed (proxy-tuning) weights',
                )
            weights = [w / sum(weights) for w in weights]
        if not 0 <= switch_rate < 1:
            raise InputError("switch_rate must be in [0, 1)", where=str(switch_rate))
        self.members, self.weights, self.switch_rate = members, weights, float(switch_rate)
        self.name = f"{self.mode.value}(" + ", ".join(m.name for m in members) + ")"
        self._state: tuple | None = None  # (prefix, log weights after it, members' next-byte log-probs)

    def __repr__(self) -> str:
        return f"Ensemble({self.name}, weights={[round(w, 4) for w in self.weights]})"

    @property
    def _logw(self) -> torch.Tensor:
        return torch.tensor(self.weights, dtype=torch.float64).log()

    def combine(self, lps: list[torch.Tensor], logw: torch.Tensor | None = None) -> torch.Tensor:
        """Combine member log-prob tensors ``[..., 257]`` into normalised log-probs; ``logw``
        (``[K, ...]``, log mixture weights per row) overrides the fixed weights."""
        stack = torch.stack([lp.double() for lp in lps])
        if self.mode is Mode.PRODUCT:
            w = torch.tensor(self.weights, dtype=torch.float64).view(-1, *([1] * (stack.dim() - 1)))
            out = (stack.clamp(min=FLOOR) * w).sum(0)
        else:
            if logw is None:
                logw = self._logw.view(-1, *([1] * (stack.dim() - 1)))
            out = torch.logsumexp(stack + logw, 0)
        return out - torch.logsumexp(out, -1, keepdim=True)

    # -- dynamic weights ------------------------------------------------------------------------------
    def _update(self, logw: torch.Tensor, ll: torch.Tensor) -> torch.Tensor:
        """Log weights after a byte whose member log-probs are ``ll`` (``[K]``)."""
        post = logw + ll
        post = post - torch.logsumexp(post, 0)
        if self.mode is Mode.SWITCH and self.switch_rate > 0:
            a = self.switch_rate
            post = torch.logaddexp(post + math.log1p(-a), self._logw + math.log(a))
        return post

    def _row_weights(self, ds: list[torch.Tensor], data: bytes) -> torch.Tensor | None:
        """``[K, len(data) + 1, 1]`` log weights per row (None for fixed weights)."""
        if self.mode not in (Mode.BAYES, Mode.SWITCH):
            return None
        idx = torch.arange(len(data)), torch.tensor(list(data), dtype=torch.long)
        ll = torch.stack([d[idx] for d in ds])  # [K, n]
        rows = [self._logw]
        for i in range(len(data)):
            rows.append(self._update(rows[-1], ll[:, i]))
        return torch.stack(rows, 1)[..., None]

    # -- reading ------------------------------------------------------------------------------------------
    def next_byte_logprobs(self, prefix: bytes) -> torch.Tensor:
        prefix = bytes(prefix)
        lps = [m.next_byte_logprobs(prefix) for m in self.members]
        logw = None
        if self.mode in (Mode.BAYES, Mode.SWITCH):
            logw = self._weights_after(prefix)
            self._state = (prefix, logw, lps)
            logw = logw[:, None]
        return self.combine(lps, logw)

    def _weights_after(self, prefix: bytes) -> torch.Tensor:
        st = self._state
        if st is not None and len(prefix) == len(st[0]) + 1 and prefix.startswith(st[0]):
            return self._update(st[1], torch.stack([lp[prefix[-1]] for lp in st[2]]))
        if st is not None and prefix == st[0]:
            return st[1]
        if self.mode is Mode.BAYES:  # the posterior needs only the members' whole-prefix log-probs
            post = self._logw + torch.tensor([m.logprob(prefix) for m in self.members], dtype=torch.float64)
            return post - torch.logsumexp(post, 0)
        ds = [m.distributions(prefix) for m in self.members]
        return self._row_weights(ds, prefix)[:, -1, 0]

    def distributions(self, data: bytes) -> torch.Tensor:
        return self.distributions_batch([data])[0]

    def distributions_batch(self, texts) -> list[torch.Tensor]:
        texts = [bytes(t) for t in texts]
        per = [m.distributions_batch(texts) for m in self.members]
        return [
            self.combine([p[n] for p in per], self._row_weights([p[n] for p in per], t)) for n, t in enumerate(texts)
        ]

    def combine_rows(self, ds: list[torch.Tensor], data: bytes) -> torch.Tensor:
        """The ensemble's distributions of ``data`` from its members' (``[len(data) + 1, 257]`` each)."""
        return self.combine(ds, self._row_weights(ds, bytes(data)))

    def logprob(self, data: bytes, end: bool = False) -> float:
        return self.logprob_batch([data], end)[0]

    def logprob_batch(self, texts, end: bool = False) -> list[float]:
        if self.mode is not Mode.BAYES:
            return ByteScoring.logprob_batch(self, texts, end)
        per = torch.tensor([m.logprob_batch(texts, end) for m in self.members], dtype=torch.float64)
        return torch.logsumexp(per + self._logw[:, None], 0).tolist()

    def generate(
        self, prompt: bytes, max_bytes: int = 64, temperature: float = 1.0, top_p: float = 1.0, seed: int = 0
    ) -> bytes:
        """Byte-by-byte sampling (every step is a full byte-level step for every member)."""
        from .generate import sample_bytes

        return sample_bytes(self, bytes(prompt), max_bytes, temperature, top_p, seed)

    # -- fitting --------------------------------------------------------------------------------------
    def fit(self, texts, max_iter: int = 100, distributions: list[list[torch.Tensor]] | None = None) -> "Ensemble":
        """A copy with the weights that maximise the log-likelihood of ``texts`` (mixture: on the
        simplex; product: any reals), by L-BFGS on the weights. ``distributions[k][n]``: member
        ``k``'s distributions of text ``n`` if already computed."""
        if self.mode not in (Mode.MIXTURE, Mode.PRODUCT):
            raise InputError(
                f"fit() picks mixture or product weights, not {self.mode.value}",
                fix='use mode="mixture" or "product", or the untuned "bayes"/"switch"',
            )
        texts = [bytes(t) for t in texts]
        if not texts or not any(texts):
            raise InputError("fit() needs at least one non-empty text")
        if distributions is None:
            distributions = [m.distributions_batch(texts) for m in self.members]
        picks = []  # per text: member rows [K, len(t), 257], member log-probs of the actual bytes [K, len(t)]
        for n, t in enumerate(texts):
            rows = torch.stack([distributions[k][n][: len(t)].double() for k in range(len(self.members))])
            picks.append((rows, rows[:, torch.arange(len(t)), torch.tensor(list(t), dtype=torch.long)]))
        nbytes = sum(len(t) for t in texts)
        w0 = torch.tensor(self.weights, dtype=torch.float64)
        theta = (w0.clamp(min=1e-6).log() if self.mode is Mode.MIXTURE else w0.clone()).requires_grad_(True)
        opt = torch.optim.LBFGS([theta], max_iter=max_iter, line_search_fn="strong_wolfe")

        def loss():
            opt.zero_grad()
            total = torch.zeros((), dtype=torch.float64)
            for t, (rows, tgt) in zip(texts, picks):
                if self.mode is Mode.MIXTURE:
                    lw = torch.log_softmax(theta, 0)[:, None]
                    total = total - torch.logsumexp(tgt + lw, 0).sum()
                else:
                    out = (rows.clamp(min=FLOOR) * theta[:, None, None]).sum(0)
                    total = total - (out[torch.arange(len(t)), list(t)] - torch.logsumexp(out, -1)).sum()
            total = total / nbytes
            total.backward()
            return total

        opt.step(loss)
        w = torch.softmax(theta, 0) if self.mode is Mode.MIXTURE else theta
        return Ensemble(self.members, w.detach().tolist(), mode=self.mode, switch_rate=self.switch_rate)


def proxy_tune(base, expert, anti, alpha: float = 1.0) -> Ensemble:
    """``log P ∝ log P_base + alpha * (log P_expert - log P_anti)``, per byte."""
    return Ensemble([base, expert, anti], [1.0, alpha, -alpha], mode="product")
