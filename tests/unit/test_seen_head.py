"""The LM head's weight gradient for the kept rows only (`tokforge.heal.seen_head`): the same logits, the
same hidden-state gradient, and after `Student.mask_grads` the same row gradients as the full product."""

from __future__ import annotations

import copy

import pytest
import torch
from helpers.tiny import tiny_llama

from tokforge.heal.seen_head import SeenRowsLinear
from tokforge.heal.student import Student


def test_seen_rows_linear_matches_a_linear_layer_on_the_kept_rows():
    torch.manual_seed(0)
    h = torch.randn(2, 7, 16, dtype=torch.float64, requires_grad=True)
    w = torch.randn(50, 16, dtype=torch.float64, requires_grad=True)
    rows = torch.tensor([0, 3, 17, 49])
    g = torch.randn(2, 7, 50, dtype=torch.float64)
    out = SeenRowsLinear.apply(h, w, rows)
    (out * g).sum().backward()
    h2, w2 = h.detach().clone().requires_grad_(), w.detach().clone().requires_grad_()
    ref = torch.nn.functional.linear(h2, w2)
    (ref * g).sum().backward()
    assert torch.equal(out, ref) and torch.allclose(h.grad, h2.grad, atol=1e-12)
    assert torch.allclose(w.grad[rows], w2.grad[rows], atol=1e-12)
    others = torch.ones(50, dtype=torch.bool)
    others[rows] = False
    assert not w.grad[others].any()


@pytest.mark.parametrize("tied", [True, False])
def test_a_student_step_keeps_the_same_row_gradients(tied):
    """What `mask_grads(seen)` keeps is the same with the limited head as with the full product; the head
    module comes back as it was."""
    model = tiny_llama(60, tied, 0)
    ids = torch.tensor([[1, 5, 9, 5, 30, 2], [3, 3, 8, 41, 7, 1]])
    seen = torch.zeros(60, dtype=torch.bool)
    seen[ids.flatten()] = True
    rows = torch.arange(60)
    grads = []
    for limit in (True, False):
        m = copy.deepcopy(model)
        s = Student(m, rows, None if tied else rows)
        if limit:
            assert s._limited is not None
            s.limit_rows(seen.nonzero()[:, 0])
        else:
            s.unlimit()
        logits = s(ids, torch.ones_like(ids))
        torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).sum().neg().backward()
        s.mask_grads(seen)
        grads.append([p.grad.clone() for p in s.row_params()])
        s.merge()
        assert not hasattr(m.get_output_embeddings(), "_tokforge_forward")
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=1e-6)
