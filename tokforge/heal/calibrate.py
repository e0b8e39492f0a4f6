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

With ``calibrate_by="pieces"`` (`HealConfig.calibrate_by`) the rows form groups by how many tokens
the original tokenizer needs for their bytes (`piece_groups`), and each group gets its own ``beta``.
A new row is a combination of its pieces' rows, so its logit is about their mean, while the original
model gives its bytes the *product* of the pieces' probabilities: the more pieces, the more the row is
overrated, and one shared shift cannot fit 2-piece and 9-piece rows at once. The loss stays convex in
the vector of betas; coordinate descent with the same golden-section search on each beta finds it
(with one group it is exactly the shared fit).

>>> golden(lambda x: (x - 2.0) ** 2, -5.0, 5.0)  # the minimum of a convex function on [lo, hi]
2.0
>>> piece_groups([2, 1, 3, 7, 5, 0])[0].tolist(), piece_groups([2])[1]
([0, 0, 1, 4, 3, 0], ['<=2', '3', '4', '5-6', '7+'])
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import torch

from ..errors import TokforgeWarning

PHI = (math.sqrt(5) - 1) / 2
PIECE_BUCKETS = ((0, 2, "<=2"), (3, 3, "3"), (4, 4, "4"), (5, 6, "5-6"), (7, 1 << 30, "7+"))


def piece_groups(pieces) -> tuple[np.ndarray, list[str]]:
    """(group of each row, group labels) from the number of original tokens spelling each row's bytes."""
    k = np.asarray(pieces, dtype=np.int64)
    group = np.zeros(k.shape, dtype=np.int64)
    for g, (lo, hi, _) in enumerate(PIECE_BUCKETS):
        group[(k >= lo) & (k <= hi)] = g
    return group, [label for _, _, label in PIECE_BUCKETS]


def fit_shifts(loss, n: int, lo: float, hi: float, sweeps: int = 30, tol: float = 1e-9) -> list[float]:
    """Argmin of a convex ``loss(betas)`` over the box ``[lo, hi]^n``: coordinate descent, each
    coordinate by `golden` (one sweep when ``n == 1``, which is then `golden` itself).

    >>> [round(b, 3) for b in fit_shifts(lambda b: (b[0] - 1) ** 2 + (b[1] + 2) ** 2 + b[0] * b[1], 2, -5.0, 5.0)]
    [2.667, -3.333]
    """
    betas = [0.0] * n
    best = loss(betas)
    for _ in range(sweeps):
        for g in range(n):
            betas[g] = golden(lambda x: loss(betas[:g] + [x] + betas[g + 1 :]), lo, hi)
        now = loss(betas)
        if n == 1 or best - now < tol:
            break
        best = now
    return betas


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


class _Fit:
    """The convex loss of the shifts (see the module docstring), from one forward of the body:
    ``A``/``B`` log-sum-exp of the copied and of each group's calibrated logits, ``Z`` the target's
    logit, ``s = h . u`` per position, ``t_onehot`` the target's group."""

    def __init__(self, h, u, head, group_of, target, *, n_groups: int, chunk: int):
        W = head.float()
        a_parts, b_parts, z_parts = [], [], []
        for i in range(0, h.shape[0], chunk):
            z = h[i : i + chunk] @ W.T
            a_parts.append(z.masked_fill(group_of >= 0, -math.inf).logsumexp(-1))
            groups = [z.masked_fill(group_of != g, -math.inf).logsumexp(-1) for g in range(n_groups)]
            b_parts.append(torch.stack(groups, 1))
            z_parts.append(z.gather(1, target[i : i + chunk, None])[:, 0])
        self.A, self.B, self.Z = torch.cat(a_parts).double(), torch.cat(b_parts).double(), torch.cat(z_parts).double()
        self.s, t_group = (h @ u).double(), group_of[target]
        self.t_onehot = torch.nn.functional.one_hot(t_group.clamp(min=0), n_groups).double() * (t_group >= 0)[:, None]
        self.n_groups, self.device = n_groups, h.device

    def loss_of(self, betas) -> float:
        b = torch.as_tensor(betas, dtype=torch.float64, device=self.device)
        shifted = torch.cat([self.A[:, None], self.B - self.s[:, None] * b], 1).logsumexp(1)
        return float((shifted - (self.Z - self.s * (self.t_onehot @ b))).mean())

    def shared(self, beta: float) -> float:
        """The loss with one shared ``beta``."""
        return self.loss_of([beta] * self.n_groups)

    def mass(self, betas) -> float:
        """Mean probability of the calibrated rows at ``betas``."""
        b = torch.as_tensor(betas, dtype=torch.float64, device=self.device)
        return round(float(torch.sigmoid((self.B - self.s[:, None] * b).logsumexp(1) - self.A).mean()), 4)


def _positions(model, tokenizer, windows: list[str], device):
    """(ids, mask, final hidden states of the positions that predict a token ``[N, D]``, their targets)."""
    from .train import encode_windows

    ids, mask, _, _ = encode_windows(tokenizer, windows, device)
    h = _hidden(model, ids, mask)[:, :-1][mask[:, 1:].bool()].float()
    return ids, mask, h, ids[:, 1:][mask[:, 1:].bool()]


def _shift(model, head, rows, g_rows, betas, u, *, ids, mask) -> tuple[float, float, bool]:
    """Move each group's rows by ``-beta * u``; keep it only when the model's own loss drops:
    (loss before, loss after, kept)."""
    before = _model_loss(model, ids, mask)
    old = head[rows].clone()
    for g, b in enumerate(betas):  # one group at a time: no [rows, D] float64 temporary
        if b:
            sel = rows[g_rows == g]
            head[sel] -= (b * u).to(head.dtype)
    after = _model_loss(model, ids, mask)
    if not after < before:
        head[rows] = old
    return before, after, after < before


@torch.no_grad()
def calibrate_rows(model, tokenizer, windows: list[str], rows, *, groups=None, labels=None, chunk: int = 256) -> dict:
    """Shift ``rows`` of the output matrix (the shared one when tied) by ``-beta * u`` (see the module
    docstring), with ``beta`` fitted on ``windows``; returns what was done (``kept`` False: unchanged).
    ``groups`` (one int per row, 0..G-1; ``labels`` names them): one ``beta`` per group."""
    head = model.get_output_embeddings().weight
    device = head.device
    rows = torch.as_tensor(np.asarray(rows, dtype=np.int64), device=device)
    report = {"windows": len(windows), "rows": int(rows.numel())}
    if rows.numel() == 0 or not windows:
        return {**report, "kept": False, "why": "no rows to calibrate" if rows.numel() == 0 else "no windows"}
    ids, mask, h, target = _positions(model, tokenizer, windows, device)
    u = h.mean(0)
    u = u / u.norm()
    group_of = torch.full((head.shape[0],), -1, dtype=torch.long, device=device)  # -1: a row not calibrated
    g_rows = torch.zeros(rows.numel(), dtype=torch.long, device=device)
    if groups is not None:
        g_rows = torch.as_tensor(np.asarray(groups, dtype=np.int64), device=device)
    group_of[rows] = g_rows
    n_groups = len(labels) if labels else int(g_rows.max()) + 1
    counts = torch.bincount(g_rows, minlength=n_groups).tolist()
    fit = _Fit(h, u, head, group_of, target, n_groups=n_groups, chunk=chunk)
    scale = float(fit.s.mean())  # beta * scale: the mean logit shift in nats; search -5 .. +20 nats
    betas = fit_shifts(fit.loss_of, n_groups, -5.0 / scale, 20.0 / scale) if scale > 0 else [0.0] * n_groups
    betas = [b if c else 0.0 for b, c in zip(betas, counts)]  # an empty group: nothing to move
    before, after, kept = _shift(model, head, rows, g_rows, betas, u, ids=ids, mask=mask)
    out = {
        **report,
        "beta": betas[0] if n_groups == 1 else None,
        "mean_logit_shift_nats": round(betas[0] * scale, 4) if n_groups == 1 else None,
        "mass_before": fit.mass([0.0] * n_groups),
        "mass_after": fit.mass(betas),
        "fit_loss_zero": round(fit.shared(0.0), 6),  # the search's own loss, unshifted and at beta
        "fit_loss": round(fit.loss_of(betas), 6),
        "loss_before": round(before, 6),  # the model's forward, unshifted and shifted
        "loss_after": round(after, 6),
        "kept": bool(kept),
    }
    if groups is not None:
        out["groups"] = _groups(fit, betas, counts, labels, scale, len(windows))
    return out


def _groups(fit: _Fit, betas, counts, labels, scale: float, n_windows: int) -> list[dict]:
    """Per group: its rows, shift and targets; a warning for a group no target pulls up."""
    n_groups = len(betas)
    names = labels or [str(g) for g in range(n_groups)]
    targets = [int(fit.t_onehot[:, g].sum()) for g in range(n_groups)]
    empty = [names[g] for g in range(n_groups) if counts[g] and not targets[g]]
    if empty:  # nothing in the windows pulls these rows up: their shift is only bounded by the search
        warnings.warn(
            f"calibration: no target token of group(s) {', '.join(empty)} in the {n_windows} fit windows, "
            "so their shift went as far down as the search allows; fit on more windows (calibrate=N) "
            "or use calibrate_by='shared'",
            TokforgeWarning,
            stacklevel=4,
        )
    return [
        {
            "group": names[g],
            "rows": counts[g],
            "beta": betas[g],
            "shift_nats": round(betas[g] * scale, 4),
            "targets": targets[g],
        }
        for g in range(n_groups)
    ]


def calibrate(model, tokenizer, teacher_tokenizer, windows, cfg, *, device="cpu", copied=None) -> dict:
    """`calibrate_rows` on the rows not copied by bytes from the original, fitted on the first
    ``cfg.calibrate`` training windows (the same on every process); what ``heal`` does before training.
    ``copied``: the student ids `match_by_bytes` copies (computed here when not given).
    ``cfg.calibrate_by``: ``"shared"`` (one shift) or ``"pieces"`` (one per `piece_groups` group)."""
    from ..surgery.plan import match_by_bytes

    model.to(device)
    n_out = model.get_output_embeddings().weight.shape[0]
    if copied is None:
        copied, _ = match_by_bytes(teacher_tokenizer.vocab, tokenizer.vocab)
    rows = np.setdiff1d(np.arange(n_out, dtype=np.int64), copied)
    sample = list(itertools.islice(windows.stream(), cfg.calibrate))
    groups = labels = None
    if cfg.calibrate_by == "pieces":
        from ..transplant.decompose import decompose

        vocab = tokenizer.vocab
        toks = [vocab.tokens[i] if i < len(vocab) else b"" for i in rows.tolist()]
        indptr, _, _ = decompose(teacher_tokenizer, toks)
        groups, labels = piece_groups(np.diff(indptr))
    return calibrate_rows(model, tokenizer, sample, rows, groups=groups, labels=labels)
