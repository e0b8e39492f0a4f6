"""The model being healed: frozen weights plus trainable row deltas, and a lazy row-wise Adam.

``Student(model, in_rows, out_rows)`` keeps the embedding matrix (and an untied LM head) frozen
and learns a delta for the chosen rows only: effective matrix = base + delta at those rows.
A tied model has one matrix and one delta, used for the input rows and the logits alike, so it
stays tied. ``train="all"`` also makes the decoder body trainable. ``merge()`` writes the
learned rows back into the model's own weights.

`RowAdam` updates only the rows whose gradient is non-zero in a step (lazy Adam, with a step
count per row for the bias correction): rows a batch never touched (input rows of tokens that did
not occur, in an untied model) are neither moved nor decayed, so a 262k-row table costs an update
only where it learned something.
"""

from __future__ import annotations

import torch

from ...surgery.forward import body_states, head_logits

TRAIN_MODES = ("embeddings", "embeddings+head", "all")


class Student(torch.nn.Module):
    """Forward of ``model`` with row deltas; ``forward(ids, mask)`` gives float32 logits ``[B, T, V]``."""

    def __init__(self, model, in_rows: torch.Tensor, out_rows: torch.Tensor | None, train_body: bool = False):
        super().__init__()
        from ...surgery.apply import embedding_modules

        emb, head, tied = embedding_modules(model)
        self.model, self.tied = model, tied
        for p in model.parameters():
            p.requires_grad_(False)
        if train_body:
            keep = {id(emb.weight)} | ({id(head.weight)} if head is not None else set())
            for p in model.parameters():
                if id(p) not in keep:
                    p.requires_grad_(True)
        d = emb.weight.shape[1]
        self.register_buffer("in_rows", in_rows.long(), persistent=False)
        self.d_in = torch.nn.Parameter(torch.zeros(in_rows.numel(), d, dtype=torch.float32, device=emb.weight.device))
        if not tied and out_rows is not None:
            self.register_buffer("out_rows", out_rows.long(), persistent=False)
            self.d_out = torch.nn.Parameter(torch.zeros(out_rows.numel(), d, dtype=torch.float32,
                                                        device=emb.weight.device))
        else:
            self.out_rows, self.d_out = None, None

    def matrices(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(input matrix, output matrix) with the deltas added (the same tensor when tied)."""
        emb = self.model.get_input_embeddings().weight
        E = emb.index_add(0, self.in_rows, self.d_in.to(emb.dtype))
        if self.tied:
            return E, E
        head = self.model.get_output_embeddings().weight
        H = head if self.d_out is None else head.index_add(0, self.out_rows, self.d_out.to(head.dtype))
        return E, H

    def forward(self, ids: torch.Tensor, mask, position_ids: torch.Tensor | None = None) -> torch.Tensor:
        E, H = self.matrices()
        h = body_states(self.model, attention_mask=mask, inputs_embeds=torch.nn.functional.embedding(ids, E),
                        position_ids=position_ids)
        return head_logits(self.model, h, rows=H).float()

    @torch.no_grad()
    def merge(self):
        """Write the learned rows into the model's weights (tied stays tied); return the model."""
        E, H = self.matrices()
        self.model.get_input_embeddings().weight.copy_(E)
        if not self.tied:
            self.model.get_output_embeddings().weight.copy_(H)
        self.d_in.zero_()
        if self.d_out is not None:
            self.d_out.zero_()
        return self.model


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
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                st = self.state[p]
                if not st:
                    st["m"] = torch.zeros_like(p)
                    st["v"] = torch.zeros_like(p)
                    st["t"] = torch.zeros(p.shape[0], dtype=torch.float32, device=p.device)
                rows = (g != 0).any(1).nonzero()[:, 0]
                if rows.numel() == 0:
                    continue
                gr = g[rows]
                m = st["m"][rows].mul_(b1).add_(gr, alpha=1 - b1)
                v = st["v"][rows].mul_(b2).addcmul_(gr, gr, value=1 - b2)
                t = st["t"][rows] + 1
                st["m"][rows], st["v"][rows], st["t"][rows] = m, v, t
                c1 = 1 - b1 ** t[:, None]
                c2 = (1 - b2 ** t[:, None]).sqrt()
                p[rows] -= group["lr"] * (m / c1) / (v.sqrt() / c2 + group["eps"])
        return None


def warmup_constant(warmup: int):
    """Linear warm-up over ``warmup`` steps, then constant (a schedule that does not need the run's
    length, so ``--minutes`` runs and resumed runs follow it exactly).

    >>> f = warmup_constant(4); [f(s) for s in (0, 3, 10)]
    [0.25, 1.0, 1.0]
    """
    return lambda step: min(1.0, (step + 1) / max(1, warmup))
