"""Losses for healing a model with a new tokenizer against its original (the teacher).

Every loss reads a batch of windows that both models saw as ``[BOS] + ids``; row ``p`` of a window's
log-softmaxed logits predicts token ``p`` (``p = 0`` is predicted from the BOS alone).

* ``lm``: next-token cross-entropy of the student on its own tokenization (nats per token).
* ``alm``: approximate likelihood matching (Minixhofer, Vulić & Ponti 2025). Both tokenizations
  are cut into chunks at byte offsets where both have a token boundary (`align.chunks`); a chunk's
  log-probability is the sum of its tokens' log-probabilities *plus* the log-probability that the
  next token starts with the byte that really follows (outcome debiasing: both sides then score the
  event "these bytes, then a token boundary before the next byte", which removes most of the
  tokenization bias between them). The student's and teacher's chunk log-probabilities are compared
  with the binarised KL divergence at temperature ``tau``: each chunk is a Bernoulli event of
  probability ``p ** (1 / tau)``. Kept from the paper: common-boundary chunks, outcome debiasing,
  the binarised f-divergence with a temperature. Left out: hidden-state distillation, merging chunks
  by space probability, several chunk sizes at once.
* ``bytes``: KL(teacher || student) between exact next-byte distributions (`bytes_loss`).

``LOSSES`` maps each name to its function; every one takes the step's `Step` (both models' reading
of its windows) and returns the mean over this process's windows. The names (``config.LOSS_NAMES``),
the divergences and ``parse_losses`` live in `config` (torch-free, for the command line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import torch

from ..errors import UnknownNameError
from ..evaluate.align import chunks, token_ends
from .config import DIVERGENCES


def log1mexp(x: torch.Tensor) -> torch.Tensor:
    """``log(1 - exp(x))`` for ``x < 0``, accurate on both sides of ``log(1/2)``."""
    return torch.where(x < -0.6931471805599453, torch.log1p(-torch.exp(x)), torch.log(-torch.expm1(x)))


def divergence(
    log_t: torch.Tensor, log_s: torch.Tensor, kind: str = "binary_kl", tau: float = 1.0, eps: float = 1e-6
) -> torch.Tensor:
    """Per chunk: how far the student's chunk log-probability ``log_s`` is from the teacher's ``log_t``.

    ``binary_kl``: KL between Bernoulli(exp(log_t / tau)) and Bernoulli(exp(log_s / tau)); ``abs``:
    ``|log_t - log_s|``; ``sq``: ``(log_t - log_s)**2 / 2``. Each is 0 exactly when they agree.

    >>> t = torch.tensor([-2.0, -0.5]); round(float(divergence(t, t).abs().max()), 6)
    0.0
    >>> bool((divergence(t, t - 1) > 0).all())
    True
    """
    if kind == "abs":
        return (log_t - log_s).abs()
    if kind == "sq":
        return 0.5 * (log_t - log_s) ** 2
    if kind != "binary_kl":
        raise UnknownNameError("ALM divergence", kind, DIVERGENCES)
    lt = (log_t / tau).clamp(max=0.0) - eps
    ls = (log_s / tau).clamp(max=0.0) - eps
    pt = lt.exp()
    return pt * (lt - ls) + (1 - pt) * (log1mexp(lt) - log1mexp(ls))


def first_byte_table(vocab, rows: int) -> torch.Tensor:
    """First byte of every id (256 for special, empty and padding rows), for ``rows`` output rows."""
    out = torch.full((rows,), 256, dtype=torch.long)
    for i, (t, k) in enumerate(zip(vocab.tokens, vocab.kinds.tolist())):
        if t and not k & 1:
            out[i] = t[0]
    return out


def token_logprobs(lsm: torch.Tensor, inp: torch.Tensor, n: int) -> torch.Tensor:
    """log p of each of the ``n`` tokens of one window, from its log-softmax ``lsm [>= n, V]`` over the
    input ``[BOS] + ids`` (row p predicts token p)."""
    return lsm[torch.arange(n, device=lsm.device), inp[1 : n + 1]]


def outcome_logprob(
    lsm: torch.Tensor, pos: torch.Tensor, next_byte: torch.Tensor, first_byte: torch.Tensor
) -> torch.Tensor:
    """log P(next token starts with ``next_byte[k]``) from the distribution at row ``pos[k]`` of ``lsm``."""
    rows = lsm if pos.numel() > 0.5 * lsm.shape[0] else lsm.index_select(0, pos)
    mass = torch.zeros(rows.shape[0], 257, dtype=rows.dtype, device=rows.device)
    mass.index_add_(1, first_byte[: rows.shape[1]].to(rows.device), rows.exp())
    if rows is lsm:
        mass = mass.index_select(0, pos)
    return mass.gather(1, next_byte[:, None].to(mass.device))[:, 0].clamp(min=1e-30).log()


def chunk_logprobs(tok_lp: torch.Tensor, first: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
    """Sum of token log-probs ``tok_lp[first[k]..last[k]]`` per chunk (inclusive ranges)."""
    c = torch.cat([tok_lp.new_zeros(1), tok_lp.cumsum(0)])
    return c[last + 1] - c[first]


class Side(NamedTuple):
    """One model's reading of a window: log-softmaxed logits ``[>= n+1, V]``, input ``[BOS] + ids``,
    the number of tokens ``n`` and the first byte of every row (`first_byte_table`)."""

    lsm: torch.Tensor
    inp: torch.Tensor
    n: int
    first_byte: torch.Tensor


def alm_window(s: Side, t: Side, ch, kind: str = "binary_kl", tau: float = 1.0) -> tuple[torch.Tensor, int]:
    """(ALM loss of one window, number of chunks): mean divergence over chunks (the teacher side ``t``
    is taken as fixed). ``ch`` is an `align.Chunks` with side A = student ``s``, side B = teacher ``t``."""
    s_lp = token_logprobs(s.lsm, s.inp, s.n)
    with torch.no_grad():
        t_lp = token_logprobs(t.lsm, t.inp, t.n)
    keep = torch.from_numpy(ch.next_byte >= 0)
    if not bool(keep.any()):
        return s_lp.sum() * 0.0, 0
    dev = s.lsm.device
    a_first, a_last = (torch.from_numpy(x)[keep].to(dev) for x in (ch.a_first, ch.a_last))
    b_first, b_last = (torch.from_numpy(x)[keep].to(dev) for x in (ch.b_first, ch.b_last))
    nb = torch.from_numpy(ch.next_byte)[keep]
    log_s = chunk_logprobs(s_lp, a_first, a_last) + outcome_logprob(s.lsm, a_last + 1, nb, s.first_byte)
    with torch.no_grad():
        log_t = chunk_logprobs(t_lp, b_first, b_last) + outcome_logprob(t.lsm, b_last + 1, nb, t.first_byte)
    return divergence(log_t.detach(), log_s, kind, tau).mean(), int(keep.sum())


# -- the losses of one step ---------------------------------------------------------------------------
@dataclass
class Step:
    """One step's windows as the student read them (``s_*``: input ids, token counts, ids, per-window
    log-softmax and token log-probs); the teacher's reading on first use (`teacher`); ``healer`` (a
    `train.Healer`) has the tokenizers, settings and first-byte tables. Losses add to ``chunks`` and
    ``skipped``."""

    healer: Any
    windows: list[str]
    s_inp: torch.Tensor
    s_n: list[int]
    s_ids: list
    s_lsm: list[torch.Tensor]
    s_lp: list[torch.Tensor]
    chunks: int = 0
    skipped: int = 0
    _teacher: tuple | None = field(default=None, repr=False)

    def teacher(self) -> tuple:
        """(input ids, token counts, ids, float logits) of the teacher on the same windows (no gradients)."""
        if self._teacher is None:
            self._teacher = self.healer.teacher_reading(self.windows)
        return self._teacher


def lm_loss(step: Step) -> torch.Tensor:
    """Next-token cross-entropy (nats per token) of the student on its own tokenization, per window."""
    return torch.stack([-lp.mean() for lp in step.s_lp]).mean()


def alm_loss(step: Step) -> torch.Tensor:
    """ALM (see the module docstring) per window; a window either tokenizer reads lossily counts 0."""
    h = step.healer
    t_inp, t_n, t_ids, t_logits = step.teacher()
    vals = []
    for b, text in enumerate(step.windows):
        raw = text.encode("utf-8")
        if h.tok.decode_bytes(step.s_ids[b]) != raw or h.t_tok.decode_bytes(t_ids[b]) != raw:
            step.skipped += 1  # a lossy window cannot be aligned byte for byte
            vals.append(step.s_lp[b].sum() * 0.0)
            continue
        ch = chunks(
            raw,
            token_ends(h.tok.vocab.tokens, step.s_ids[b], h.tok.dummy_prefix),
            token_ends(h.t_tok.vocab.tokens, t_ids[b], h.t_tok.dummy_prefix),
            h.cfg.chunks,
        )
        with torch.no_grad():
            t_lsm = torch.log_softmax(t_logits[b, : t_n[b] + 1], -1)
        s = Side(step.s_lsm[b], step.s_inp[b], step.s_n[b], h.s_fb)
        val, k = alm_window(s, Side(t_lsm, t_inp[b], t_n[b], h.t_fb), ch, h.cfg.divergence, h.cfg.tau)
        vals.append(val)
        step.chunks += k
    return torch.stack(vals).mean()


def bytes_loss(step: Step) -> torch.Tensor:
    """KL(teacher || student) between exact next-byte distributions at sampled positions, per window."""
    h = step.healer
    rng = np.random.default_rng([h.cfg.seed, 7, h.step])
    return torch.stack(h.byte_kl.window_losses(step.windows, rng)).mean()


LOSSES = {"lm": lm_loss, "alm": alm_loss, "bytes": bytes_loss}
