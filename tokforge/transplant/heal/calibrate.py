"""Calibrate the rows a transplant could not copy: one shared shift sets their share of probability.

A transplant into a larger vocabulary fills every new row with a combination of old rows (or the
mean). In the output softmax those rows then compete with the tokens the text really uses: SmolLM2
given Gemma-3's vocabulary puts 14% of its next-token probability on rows that were not copied,
on English text where such tokens are 3% of the targets. Training moves only the rows a step sees,
and a short run sees few of the 216k new ones.

The fix has one parameter. Every calibrated row ``e`` becomes ``e - beta * u``, where ``u`` is the unit
mean of the model's final hidden states ``h`` over some training windows: its logit drops by
``beta * (h . u)``, about the same amount at every position, like a shared bias that the
architecture does not have. ``beta`` minimises the student's next-token loss on those windows. With
the hidden states fixed the loss is a convex function of ``beta``:

    loss(beta) = mean over positions of logaddexp(A, B - beta*s) - (z_target - beta*s*[target new])

(``A``, ``B``: log-sum-exp of the copied and the calibrated logits; ``s = h . u``), so a bounded
golden-section search finds it exactly, from one forward of the body. The shift is then checked
with the model's own forward (in a tied model it also moves those tokens' input rows): it is kept
only when that loss is lower, else the rows are left as they were.

>>> golden(lambda x: (x - 2.0) ** 2, -5.0, 5.0)  # the minimum of a convex function on [lo, hi]
2.0
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

PHI = (math.sqrt(5) - 1) / 2


def golden(f, lo: float, hi: float, iters: int = 60) -> float:
    """Argmin of a unimodal ``f`` on ``[lo, hi]`` by golden-section search (rounded to 4 decimals)."""
    a, b = lo, hi
    c, d = b - PHI * (b - a), a + PHI * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(iters):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - PHI * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + PHI * (b - a)
            fd = f(d)
    return round((a + b) / 2, 4)


def _hidden(model, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Final hidden states (after the model's last norm) ``[B, T, D]``."""
    out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True, logits_to_keep=1)
    return out.hidden_states[-1]


def _model_loss(model, ids: torch.Tensor, mask: torch.Tensor, chunk: int = 4) -> float:
    """Mean next-token cross-entropy (nats) of the model's own forward over the masked positions."""
    total, count = 0.0, 0
    for i in range(0, ids.shape[0], chunk):
        x, m = ids[i : i + chunk], mask[i : i + chunk]
        logits = model(input_ids=x, attention_mask=m).logits[:, :-1].float()
        keep = m[:, 1:].bool()
        lp = logits[keep].log_softmax(-1)
        total += float(-lp.gather(1, x[:, 1:][keep][:, None]).sum())
        count += int(keep.sum())
    return total / max(count, 1)


@torch.no_grad()
def calibrate_rows(model, tokenizer, windows: list[str], rows, *, chunk: int = 256) -> dict:
    """Shift ``rows`` of the output matrix (the shared one when tied) by ``-beta * u`` (see the module
    docstring), with ``beta`` fitted on ``windows``; returns what was done (``kept`` False: unchanged)."""
    from .train import encode_windows

    head = model.get_output_embeddings().weight
    device = head.device
    rows = torch.as_tensor(np.asarray(rows, dtype=np.int64), device=device)
    report = {"windows": len(windows), "rows": int(rows.numel())}
    if rows.numel() == 0 or not windows:
        return {**report, "kept": False, "why": "no rows to calibrate" if rows.numel() == 0 else "no windows"}
    ids, mask, _, _ = encode_windows(tokenizer, windows, device)
    h = _hidden(model, ids, mask)[:, :-1][mask[:, 1:].bool()].float()  # [N, D] positions that predict a token
    target = ids[:, 1:][mask[:, 1:].bool()]
    u = h.mean(0)
    u = u / u.norm()
    s = h @ u
    is_new = torch.zeros(head.shape[0], dtype=torch.bool, device=device)
    is_new[rows] = True
    W = head.float()
    a_parts, b_parts, z_parts = [], [], []
    for i in range(0, h.shape[0], chunk):
        z = h[i : i + chunk] @ W.T
        a_parts.append(z.masked_fill(is_new, -math.inf).logsumexp(-1))
        b_parts.append(z.masked_fill(~is_new, -math.inf).logsumexp(-1))
        z_parts.append(z.gather(1, target[i : i + chunk, None])[:, 0])
    A, B, Z = torch.cat(a_parts).double(), torch.cat(b_parts).double(), torch.cat(z_parts).double()
    s, t_new = s.double(), is_new[target].double()

    def loss(beta: float) -> float:
        return float((torch.logaddexp(A, B - beta * s) - (Z - beta * s * t_new)).mean())

    scale = float(s.mean())  # beta * scale: the mean logit shift in nats; search -5 .. +20 nats
    beta = golden(loss, -5.0 / scale, 20.0 / scale) if scale > 0 else 0.0
    before = _model_loss(model, ids, mask)
    old = head[rows].clone()
    head[rows] -= (beta * u).to(head.dtype)
    after = _model_loss(model, ids, mask)
    kept = after < before
    if not kept:
        head[rows] = old
    return {
        **report,
        "beta": beta,
        "mean_logit_shift_nats": round(beta * scale, 4),
        "mass_before": round(float(torch.sigmoid(B - A).mean()), 4),
        "mass_after": round(float(torch.sigmoid(B - beta * s - A).mean()), 4),
        "fit_loss_zero": round(loss(0.0), 6),  # the search's own loss, unshifted and at beta
        "fit_loss": round(loss(beta), 6),
        "loss_before": round(before, 6),  # the model's forward, unshifted and shifted
        "loss_after": round(after, 6),
        "kept": bool(kept),
    }


def calibrate(model, tokenizer, teacher_tokenizer, windows, cfg, device="cpu", copied=None) -> dict:
    """`calibrate_rows` on the rows not copied by bytes from the original, fitted on the first
    ``cfg.calibrate`` training windows (the same on every process); what ``heal`` does before training.
    ``copied``: the student ids `match_by_bytes` copies (computed here when not given)."""
    from ...surgery.plan import match_by_bytes

    model.to(device)
    n_out = model.get_output_embeddings().weight.shape[0]
    if copied is None:
        copied, _ = match_by_bytes(teacher_tokenizer.vocab, tokenizer.vocab)
    rows = np.setdiff1d(np.arange(n_out, dtype=np.int64), copied)
    sample = list(itertools.islice(windows.stream(), cfg.calibrate))
    return calibrate_rows(model, tokenizer, sample, rows)
