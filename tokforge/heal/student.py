"""The model being healed: chosen rows of its own embedding (and LM-head) matrices train, the rest is frozen.

``Student(model, in_rows, out_rows)`` makes the embedding matrix (and an untied LM head, when
``out_rows`` is given) trainable and records which rows may change; `mask_grads` zeroes the
gradient of every other row before the optimiser step, so frozen rows (those copied by bytes from
the original, by default) stay bit-identical. A tied model has one matrix, used for the input rows
and the logits alike, so it stays tied. ``train_body`` also makes the decoder body trainable.
The forward is the model's own (``model(input_ids, attention_mask).logits``), so whatever the
architecture does between rows and logits (embedding scale, soft-capping) is kept. ``calibrated``
(row ids) installs the shared calibrator on those rows (`calibrator`): its maps train beside the
rows (`calibrator_params`), and `merge` folds them into the rows and puts the model's modules back.

`RowAdam` updates only the rows whose gradient is non-zero in a step (lazy Adam, with a step count
per row for the bias correction): rows a batch never touched (input rows of tokens that did not
occur, in an untied model) are neither moved nor decayed, so a 262k-row table costs an update only
where it learned something. When every row that ever learned has a gradient (a tied model under a
full softmax), the same update runs as dense in-place arithmetic, without gathering rows.

``mask_grads(seen)`` (``HealConfig.rows="seen"``, the default) also drops the gradient of every row
whose token is not in the step's windows. Under a full softmax every row of a tied matrix gets a
tiny push-down gradient each step, and Adam divides by its own running size, so a short run would
move all 262k rows by about ``lr`` per step in nearly the same direction: rows of tokens the
training text never showed drift, and held-out text that uses them gets worse. ``rows="all"``
keeps the dense update.
"""

from __future__ import annotations

import torch


class Student(torch.nn.Module):
    """``forward(ids, mask, position_ids=None)`` gives float32 logits ``[B, T, V]`` of the model."""

    def __init__(
        self, model, in_rows: torch.Tensor, out_rows: torch.Tensor | None, train_body: bool = False, calibrated=None
    ):
        super().__init__()
        from ..surgery.apply import embedding_modules

        emb, head, tied = embedding_modules(model)
        self.model, self.tied = model, tied
        for p in model.parameters():
            p.requires_grad_(train_body)
        emb.weight.requires_grad_(True)
        n = emb.weight.shape[0]
        self.register_buffer("in_frozen", _frozen(n, in_rows, emb.weight.device), persistent=False)
        has_out = not tied and head is not None and out_rows is not None
        if not tied and head is not None:
            head.weight.requires_grad_(has_out)
        self.register_buffer(
            "out_frozen",
            _frozen(head.weight.shape[0], out_rows, head.weight.device) if has_out else None,
            persistent=False,
        )
        self._has_out = has_out
        self.calibrators = []
        if calibrated is not None:
            from .calibrator import install

            self.calibrators = install(model, calibrated, tied)
        self.baked: list[dict] = []  # what `merge` folded in (`calibrator.bake`)
        # the head's weight gradient only for the rows a step keeps (`seen_head`): not with a calibrator, whose
        # map learns from every row's gradient, and only when the head's rows train
        self._limited = None
        if calibrated is None and head is not None and (tied or has_out):
            from .seen_head import limit_head

            self._limited = head if limit_head(head) else None

    def limit_rows(self, rows: torch.Tensor | None) -> None:
        """The rows whose head-weight gradient the next backward computes (None: all); a no-op when the
        head is not limited (a calibrator, a frozen head, a head that is not a plain linear layer)."""
        if self._limited is not None:
            from .seen_head import set_rows

            set_rows(self._limited, rows)

    def unlimit(self) -> None:
        """The head module's own forward back."""
        if self._limited is not None:
            from .seen_head import unlimit_head

            unlimit_head(self._limited)
            self._limited = None

    @property
    def emb(self) -> torch.nn.Parameter:
        return self.model.get_input_embeddings().weight

    @property
    def head(self) -> torch.nn.Parameter | None:
        return self.model.get_output_embeddings().weight if self._has_out else None

    def row_params(self) -> list[torch.nn.Parameter]:
        """The matrices whose rows train (the embedding, and an untied head when its rows train)."""
        return [self.emb] + ([self.head] if self.head is not None else [])

    def calibrator_params(self) -> list[torch.nn.Parameter]:
        """The calibrator's maps (``W`` and ``b`` of each; none without one)."""
        return [p for c in self.calibrators for p in (c.W, c.b)]

    def body_params(self) -> list[torch.nn.Parameter]:
        rows = {id(p) for p in self.row_params() + self.calibrator_params()}
        return [p for p in self.model.parameters() if p.requires_grad and id(p) not in rows]

    def forward(self, ids: torch.Tensor, mask, position_ids: torch.Tensor | None = None) -> torch.Tensor:
        kw = {"position_ids": position_ids} if position_ids is not None else {}
        return self.model(input_ids=ids, attention_mask=mask, **kw).logits.float()

    @torch.no_grad()
    def mask_grads(self, seen: torch.Tensor | None = None) -> None:
        """Zero the gradients of frozen rows (call after backward, before the optimiser step); with
        ``seen`` (a bool mask over rows), also those of every row it leaves out.
        """
        for p, frozen in ((self.emb, self.in_frozen), (self.head, self.out_frozen)):
            if p is None or p.grad is None:
                continue
            if frozen.numel():
                p.grad.index_fill_(0, frozen, 0.0)
            if seen is not None:
                p.grad[~seen[: p.shape[0]]] = 0.0

    def merge(self):
        """The model, trained in place; with a calibrator, its maps folded into the rows once and the
        model's own embedding modules back (`calibrator.bake`; ``baked`` records what they did)."""
        self.unlimit()
        if self.calibrators:
            from .calibrator import bake

            self.baked = bake(self.model)
            self.calibrators = []
        return self.model


def _frozen(n: int, rows, device) -> torch.Tensor:
    """Ids of the rows that do not train (all rows except ``rows``)."""
    keep = torch.zeros(n, dtype=torch.bool)
    keep[torch.as_tensor(rows, dtype=torch.long)] = True
    return (~keep).nonzero()[:, 0].to(device)


class RowAdam(torch.optim.Optimizer):
    """Adam for 2-D parameters that updates only rows with a non-zero gradient (lazy Adam).

    >>> p = torch.nn.Parameter(torch.zeros(3, 2)); opt = RowAdam([p], lr=0.1)
    >>> p.grad = torch.tensor([[1.0, 1.0], [0.0, 0.0], [-1.0, 0.0]]); opt.step()
    >>> p.data.mul(1000).round().tolist()              # first Adam step: lr * sign; row 1 untouched
    [[-100.0, -100.0], [0.0, 0.0], [100.0, 0.0]]
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, group)
        return None

    def _update(self, p, g, group) -> None:
        b1, b2 = group["betas"]
        st = self.state[p]
        if not st:
            st["m"] = torch.zeros_like(p)
            st["v"] = torch.zeros_like(p)
            st["t"] = torch.zeros(p.shape[0], dtype=torch.float32, device=p.device)
        active = (g != 0).any(1)
        if not bool(active.any()):
            return
        seen = st["t"] > 0
        if bool((active | ~seen).all()):
            self._dense(p, g, st, active, group, b1=b1, b2=b2)
            return
        rows = active.nonzero()[:, 0]
        gr = g[rows]
        m = st["m"][rows].mul_(b1).add_(gr, alpha=1 - b1)
        v = st["v"][rows].mul_(b2).addcmul_(gr, gr, value=1 - b2)
        t = st["t"][rows] + 1
        st["m"][rows], st["v"][rows], st["t"][rows] = m, v, t
        c1 = 1 - b1 ** t[:, None]
        c2 = (1 - b2 ** t[:, None]).sqrt()
        p[rows] -= group["lr"] * (m / c1) / (v.sqrt() / c2 + group["eps"])

    @staticmethod
    def _dense(p, g, st, active, group, *, b1, b2) -> None:
        """The lazy update when no row that learned before is idle now: in place, no gathers. Rows
        that have never had a gradient (m = v = 0, g = 0) get a zero update and keep t = 0."""
        m, v, t = st["m"], st["v"], st["t"]
        m.lerp_(g, 1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        t.add_(active.float())
        ta = t[active]
        if bool(ta.min() == ta.max()):  # every learning row is at the same step: scalar bias corrections
            n = float(ta[0])
            c1, c2 = 1 - b1**n, (1 - b2**n) ** 0.5
            denom = v.sqrt().div_(c2).add_(group["eps"])
            p.addcdiv_(m, denom, value=-group["lr"] / c1)
            return
        tt = t.clamp(min=1)[:, None]
        step = (m / (1 - b1**tt)).div_((v / (1 - b2**tt)).sqrt_().add_(group["eps"]))
        p.sub_(step.mul_(group["lr"]))


def lr_factor(schedule: str, warmup: int, step: int, done: float) -> float:
    """The learning rate of step ``step`` as a fraction of ``lr``: a linear warm-up over ``warmup``
    steps, times the decay ``schedule`` picks. ``done`` is the share of the run's budget used before
    this step (``step / steps``, or the clock's share of ``minutes``): ``linear`` decays to zero at
    the end of the budget; ``rsqrt`` (1/sqrt(step) after warm-up) and ``constant`` do not need it.

    >>> [round(lr_factor("linear", 4, s, s / 8), 3) for s in (0, 3, 4, 7)]
    [0.25, 0.625, 0.5, 0.125]
    >>> [round(lr_factor("rsqrt", 4, s, 0.0), 3) for s in (0, 3, 15)]
    [0.25, 1.0, 0.5]
    >>> lr_factor("constant", 4, 100, 0.99)
    1.0
    """
    ramp = min(1.0, (step + 1) / max(1, warmup))
    if schedule == "constant":
        return ramp
    if schedule == "rsqrt":
        return ramp * (max(1, warmup) / max(step + 1, warmup)) ** 0.5
    if schedule == "linear":
        return ramp * max(0.0, 1.0 - done)
    raise ValueError(f"unknown schedule {schedule!r}")
