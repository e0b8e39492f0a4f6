"""The LM head's weight gradient for the rows a step keeps, not for all of them.

Under ``rows="seen"`` (`student.Student.mask_grads`) a step keeps the gradient of the rows whose tokens
are in its windows and zeroes every other row's. The head's weight gradient is ``dlogits^T @ hidden``,
a ``[V, T] x [T, d]`` product: on Gemma-3's 262k vocabulary nearly all of it is for rows the mask then
throws away. `SeenRowsLinear` computes the same logits and the same gradient for the hidden states, and
the weight gradient only for ``rows`` (the rest stay zero), which is what survives the mask anyway.

`limit_head` puts it in place of the head module's ``forward`` (the module, its parameters and their
names stay as they are: checkpoints and resume are unchanged); `set_rows` chooses the rows of the next
backward (None: a plain linear layer, as in evaluation); `unlimit_head` puts the module's own forward back.

>>> h = torch.randn(2, 3, 4, requires_grad=True); w = torch.randn(5, 4, requires_grad=True)
>>> rows = torch.tensor([1, 3])
>>> SeenRowsLinear.apply(h, w, rows).sum().backward()
>>> [int(i) for i in w.grad.abs().sum(1).nonzero()[:, 0]]
[1, 3]
"""

from __future__ import annotations

import torch


class SeenRowsLinear(torch.autograd.Function):
    """``hidden @ weight.T``; backward: the full gradient for ``hidden``, the weight's only for ``rows``.
    Under autocast the product runs in the hidden states' dtype; the weight gradient is float32 arithmetic
    cast to the weight's dtype."""

    @staticmethod
    def forward(ctx, hidden, weight, rows):
        w = weight if weight.dtype == hidden.dtype else weight.to(hidden.dtype)
        ctx.save_for_backward(hidden, w, rows)
        ctx.weight_dtype = weight.dtype
        return hidden @ w.t()

    @staticmethod
    def backward(ctx, grad):
        hidden, w, rows = ctx.saved_tensors
        g_hidden = g_weight = None
        if ctx.needs_input_grad[0]:
            g_hidden = grad.to(w.dtype) @ w
        if ctx.needs_input_grad[1]:
            g2 = grad.reshape(-1, grad.shape[-1])[:, rows].float()
            h2 = hidden.reshape(-1, hidden.shape[-1]).float()
            g_weight = torch.zeros(w.shape, dtype=ctx.weight_dtype, device=w.device)
            g_weight[rows] = (g2.t() @ h2).to(ctx.weight_dtype)
        return g_hidden, g_weight, None


def _forward(self, hidden):
    rows = self._tokforge_rows
    if rows is None or not torch.is_grad_enabled() or not self.weight.requires_grad:
        return self._tokforge_forward(hidden)
    return SeenRowsLinear.apply(hidden, self.weight, rows)


def limit_head(head: torch.nn.Module) -> bool:
    """Route ``head``'s forward through `SeenRowsLinear` (a bias-free ``nn.Linear`` only; False otherwise)."""
    if not isinstance(head, torch.nn.Linear) or head.bias is not None or hasattr(head, "_tokforge_forward"):
        return False
    head._tokforge_forward = head.forward
    head._tokforge_rows = None
    head.forward = _forward.__get__(head)
    return True


def set_rows(head: torch.nn.Module, rows: torch.Tensor | None) -> None:
    """The rows whose weight gradient the next backward computes (None: all of them)."""
    head._tokforge_rows = rows


def unlimit_head(head: torch.nn.Module) -> None:
    """The module's own forward back (nothing when it was not limited)."""
    if hasattr(head, "_tokforge_forward"):
        del head.forward, head._tokforge_forward, head._tokforge_rows
