"""A shared calibrator (``HealConfig(calibrator=True)``): one trained affine map moves every row not copied.

A run's steps reach only the rows of tokens its windows show; a 262k-row vocabulary has far more new
rows than a short run shows. The calibrator is a residual map shared by all rows that were not
copied by bytes from the original (the rows the calibration shift moves, `calibrate`): a ``d x d``
matrix ``W`` and a bias ``b``, both zero at the start, so that such a row ``r`` acts as

    r' = r + r W + b

while every copied row stays ``r``. ``W`` and ``b`` are trained by the heal loss together with the
rows (`student.RowAdam`, their own rate ``calibrator_lr``), so what they learn from the rows a step
shows also moves the rows no step shows. Compare ``EmbeddingCalibrator`` in Kaplan et al. 2025.

Where it sits: the model's own forward runs unchanged; only its two embedding modules are wrapped
(`install`), so an embedding scale inside the input module or a soft-capping of the logits after the
head are kept.

* Input side (`CalibratedEmbedding`): the rows of the batch are gathered by the model's own module,
  then ``out + out W + s b`` for the calibrated ids (``s``: the module's own scale of its rows, e.g.
  Gemma-3's ``embed_scale``; checked at install). Cost: ``N d^2`` for ``N`` positions.
* Output side (`CalibratedHead`): ``logits = h E^T + mask * ((h W^T) E^T + h . b)``, written as
  whichever costs fewer multiply-adds: the extra head product ``(h W^T) E^T`` (``N V d``) when the
  forward has at most ``d`` positions, else the table ``E + mask * (E W + b)`` once per forward
  (``V d^2``; with ``N`` > ``d`` it is the cheaper one: Gemma-3's 262k x 576 table at ~1000 tokens a
  step costs ~0.6 of the extra product, and its memory is ``V x d`` instead of ``N x V`` logits).
  Both are the same function; a copied row's logit is the model's own, bit for bit.

A tied model has one matrix and one map for both sides (it stays tied). An untied model gets a
second map for its head: its input and output rows live in different spaces (the calibration shift
too moves the output rows only), so one map for both would tie what the model keeps apart.

`bake` ends the run: each calibrated row becomes ``r + r W + b`` once, the original modules go back,
and the saved model is a plain HF model of the same architecture. Its logits equal the wrapped
model's (up to rounding of the sum).
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import InputError


class Calibrator(torch.nn.Module):
    """``W`` (``d x d``) and ``b`` (``1 x d``: two-dimensional, for `student.RowAdam`), both zero."""

    def __init__(self, d: int, device=None):
        super().__init__()
        self.W = torch.nn.Parameter(torch.zeros(d, d, device=device))
        self.b = torch.nn.Parameter(torch.zeros(1, d, device=device))

    def delta(self, rows: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        """``rows W + scale * b``."""
        return rows @ self.W + self.b[0] * scale


class _Wrapper(torch.nn.Module):
    """A module in place of one of the model's embedding modules: attributes it lacks are the inner's
    (``weight``, ``embed_scale``, ``padding_idx``...)."""

    def __init__(self, inner: torch.nn.Module, cal: Calibrator, mask: torch.Tensor):
        super().__init__()
        self.inner, self.cal = inner, cal
        self.register_buffer("mask", mask, persistent=False)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(super().__getattr__("inner"), name)


class CalibratedEmbedding(_Wrapper):
    """The input rows: the model's own module gathers them, calibrated ids get ``out W + s b`` added."""

    def __init__(self, inner, cal, mask, scale: float):
        super().__init__(inner, cal, mask)
        self.scale = scale

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out = self.inner(ids)
        moved = out + self.cal.delta(out, self.scale).to(out.dtype)
        return torch.where(self.mask[ids][..., None], moved, out)


class CalibratedHead(_Wrapper):
    """The logits over every row, calibrated rows through the map (see the module docstring)."""

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        E = self.inner.weight
        d = E.shape[1]
        if h.numel() // d > d:  # more positions than dimensions: the calibrated table costs less
            table = torch.where(self.mask[:, None], E + self.cal.delta(E), E)
            return torch.nn.functional.linear(h, table)
        z = self.inner(h)
        extra = torch.nn.functional.linear(h @ self.cal.W.T, E) + (h @ self.cal.b[0])[..., None]
        return torch.where(self.mask, z + extra, z)


def _scale_of(emb: torch.nn.Module) -> float:
    """The factor the input module multiplies its rows by (1 for a plain embedding); an error when the
    module does more than scale them, since the map could not be applied after it."""
    w = emb.weight
    probe = torch.arange(min(4, w.shape[0]), device=w.device)
    with torch.no_grad():
        out, rows = emb(probe).float(), w[probe].float()
    scale = float(getattr(emb, "embed_scale", 1.0))
    if not torch.allclose(out, rows * scale, rtol=1e-3, atol=1e-6):
        raise InputError(
            "calibrator: the model's input embedding module does more than scale its rows",
            where=type(emb).__name__,
            fix="heal without calibrator=True",
        )
    return scale


def install(model, rows, tied: bool) -> list[Calibrator]:
    """Wrap ``model``'s embedding modules so that ``rows`` (ids) go through a zero-initialised map;
    returns the maps (one when tied, else input then head)."""
    emb, head = model.get_input_embeddings(), model.get_output_embeddings()
    w = emb.weight
    mask = torch.zeros(w.shape[0], dtype=torch.bool, device=w.device)
    mask[torch.as_tensor(np.asarray(rows, dtype=np.int64), device=w.device)] = True
    cal_in = Calibrator(w.shape[1], device=w.device)
    model.set_input_embeddings(CalibratedEmbedding(emb, cal_in, mask, _scale_of(emb)))
    if head is None:
        return [cal_in]
    if tied:
        model.set_output_embeddings(CalibratedHead(head, cal_in, mask))
        return [cal_in]
    cal_out = Calibrator(head.weight.shape[1], device=head.weight.device)
    hmask = torch.zeros(head.weight.shape[0], dtype=torch.bool, device=w.device)
    hmask[: mask.shape[0]] = mask[: head.weight.shape[0]]
    model.set_output_embeddings(CalibratedHead(head, cal_out, hmask.to(head.weight.device)))
    return [cal_in, cal_out]


@torch.no_grad()
def _bake_rows(weight: torch.Tensor, cal: Calibrator, mask: torch.Tensor, chunk: int = 32768) -> dict:
    """``r <- r + r W + b`` for the masked rows of ``weight``, in place; what the map did."""
    ids = mask.nonzero()[:, 0]
    rel = torch.zeros(weight.shape[0], dtype=torch.float32, device=weight.device)
    for i in range(0, ids.numel(), chunk):
        sel = ids[i : i + chunk]
        r = weight[sel]
        step = cal.delta(r.float())
        rel[sel] = (step.norm(dim=1) / r.float().norm(dim=1).clamp_min(1e-12)).float()
        weight[sel] = (r.float() + step).to(weight.dtype)
    return {
        "W_norm": round(float(cal.W.norm()), 6),
        "b_norm": round(float(cal.b.norm()), 6),
        "rows": int(ids.numel()),
        "relative_change": rel.cpu(),
        "mask": mask.cpu(),
    }


def bake(model) -> list[dict]:
    """Fold the maps into the rows once and put the model's own modules back (tied stays tied);
    returns, per map, its norms and each row's relative change ``|r W + b| / |r|``."""
    emb, head = model.get_input_embeddings(), model.get_output_embeddings()
    out = []
    if isinstance(emb, CalibratedEmbedding):
        out.append({"side": "input", **_bake_rows(emb.inner.weight, emb.cal, emb.mask)})
        model.set_input_embeddings(emb.inner)
    if isinstance(head, CalibratedHead):
        if head.cal is not getattr(emb, "cal", None):  # untied: the head's own map
            out.append({"side": "output", **_bake_rows(head.inner.weight, head.cal, head.mask)})
        model.set_output_embeddings(head.inner)
    if len(out) == 1 and isinstance(head, CalibratedHead):
        out[0]["side"] = "input+output"
    return out


def summary(baked: list[dict], shown, lr: float) -> dict:
    """``heal_report.json``'s ``calibrator``: per map its norms, and the mean relative change of the
    calibrated rows no step showed (``shown``: bool per row, or None when unknown) and of all of them."""
    maps = []
    for m in baked:
        rel, mask = m["relative_change"].numpy(), m["mask"].numpy()
        rec = {k: m[k] for k in ("side", "W_norm", "b_norm", "rows")}
        rec["mean_relative_change"] = round(float(rel[mask].mean()), 6) if mask.any() else None
        if shown is not None:
            never = mask.copy()
            n = min(len(never), len(shown))
            never[:n] &= ~np.asarray(shown[:n], dtype=bool)
            rec["never_shown_rows"] = int(never.sum())
            rec["mean_relative_change_never_shown"] = round(float(rel[never].mean()), 6) if never.any() else None
        maps.append(rec)
    return {"on": True, "lr": lr, "maps": maps}
