"""Tiny synthetic tests (the real-artifact ones: tests/real/test_transplant_api_real.py). transplant() and OMP
on small real tokenizers with tiny random models; bad-input errors."""

from __future__ import annotations

import torch


def naive_omp(target, atoms, k):
    """Textbook OMP for one row: pick the atom most correlated with the residual, refit by lstsq."""
    sel, resid = [], target.clone()
    for _ in range(k):
        corr = (atoms @ resid).abs()
        corr[sel] = -1
        sel.append(int(corr.argmax()))
        A = atoms[sel].T.double()
        coef = torch.linalg.lstsq(A, target.double()[:, None]).solution[:, 0]
        resid = target - (A @ coef).float()
    return sel, coef


def test_batch_omp_equals_textbook_omp():
    from tokforge.transplant.omp import batch_omp

    g = torch.Generator().manual_seed(0)
    atoms, tgt = torch.randn(6, 40, 24, generator=g), torch.randn(6, 24, generator=g)
    sel, coef = batch_omp(tgt, atoms, 8)
    for r in range(6):
        s, c = naive_omp(tgt[r], atoms[r], 8)
        assert sel[r].tolist() == s
        assert torch.allclose(coef[r].double(), c, atol=1e-4)
