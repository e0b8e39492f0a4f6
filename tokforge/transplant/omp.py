"""``omp``: orthogonal matching pursuit over shared tokens in a donor's embedding space.

After Goddard & Neto 2025 (mergekit tokensurgeon). The donor model already speaks the new
tokenizer. Each new token missing from the old vocabulary is approximated in the *donor's*
embedding space as a sparse linear combination of ``k`` tokens both vocabularies share; the same
coefficients applied to the *old* model's rows of those shared tokens give its new row (a CSR
combination in the plan; coefficients are unconstrained, as in the paper).

Vectorised: tokens are processed in batches; candidates are first narrowed to the ``candidates``
shared tokens most correlated with the target (in a ``pca_dim``-dimensional PCA projection of the
donor space, which keeps that search cheap), then greedy selection + least squares runs in the
full donor space for all tokens of the batch at once.

Options (`options.OMPOptions`): ``k`` (default 32), ``candidates`` (256), ``pca_dim`` (128), ``batch`` (256).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..surgery.plan import EmbeddingPlan, Source, match_by_bytes
from .baseline import shared_plan, todo_ids
from .options import OMPOptions
from .registry import TransplantContext


def batch_omp(targets, atoms, k: int, eps: float = 1e-6):
    """Greedy OMP per row: ``targets`` (B, D), ``atoms`` (B, M, D) candidate atoms per row.

    Returns (selected (B, k) indices into M, coefficients (B, k)). Each step adds the atom most
    correlated with the residual, then refits all selected coefficients by least squares. Done as
    Batch-OMP (Rubinstein, Zibulevsky & Elad 2008): one Gram matrix per row (a compute-bound batched
    matmul), then every step works on M-vectors and a growing Cholesky factor, never on D-vectors.

    >>> import torch
    >>> atoms = torch.eye(3)[None].repeat(2, 1, 1)             # atoms e0, e1, e2
    >>> t = torch.tensor([[2.0, 0.0, -1.0], [0.0, 3.0, 0.0]])
    >>> sel, c = batch_omp(t, atoms, 2)
    >>> sel.tolist(), [[round(x, 3) for x in r] for r in c.tolist()]
    ([[0, 2], [1, 0]], [[2.0, -1.0], [3.0, 0.0]])
    """
    import torch
    from torch.linalg import solve_triangular

    B, M, D = atoms.shape
    k = min(k, M)
    dev = atoms.device
    rows = torch.arange(B, device=dev)
    G = torch.bmm(atoms, atoms.transpose(1, 2))  # (B, M, M)
    a0 = torch.bmm(atoms, targets[:, :, None])[..., 0]  # (B, M): correlations with the target
    diag = G.diagonal(dim1=1, dim2=2)
    floor = eps * diag.mean(1).clamp(min=1e-12)  # relative, for dependent atoms
    sel = torch.zeros(B, k, dtype=torch.long, device=dev)
    taken = torch.zeros(B, M, dtype=torch.bool, device=dev)
    L = torch.zeros(B, k, k, dtype=atoms.dtype, device=dev)
    alpha = a0
    coef = torch.zeros(B, 0, dtype=atoms.dtype, device=dev)
    for t in range(k):
        j = alpha.abs().masked_fill(taken, -1.0).argmax(1)
        sel[:, t] = j
        taken[rows, j] = True
        gjj = diag[rows, j]
        if t:
            g = G[rows[:, None], sel[:, :t], j[:, None]]  # (B, t): G[I, j]
            w = solve_triangular(L[:, :t, :t], g[:, :, None], upper=False)[..., 0]
            L[:, t, :t] = w
            gjj = gjj - (w * w).sum(1)
        L[:, t, t] = torch.maximum(gjj, floor).sqrt()
        Lt = L[:, : t + 1, : t + 1]
        rhs = a0.gather(1, sel[:, : t + 1])[:, :, None]
        y = solve_triangular(Lt, rhs, upper=False)
        coef = solve_triangular(Lt.transpose(1, 2), y, upper=True)[..., 0]  # (B, t+1)
        cols = G.gather(2, sel[:, None, : t + 1].expand(B, M, t + 1))  # (B, M, t+1): G[:, I]
        alpha = a0 - torch.bmm(cols, coef[:, :, None])[..., 0]
    return sel, coef


def shared_pairs(old_vocab, donor_vocab) -> tuple[np.ndarray, np.ndarray]:
    """(donor ids, old ids) of shared text tokens (specials excluded)."""
    d_ids, o_ids = match_by_bytes(old_vocab, donor_vocab)
    text = np.isin(d_ids, donor_vocab.text_ids())
    return d_ids[text], o_ids[text]


def build(ctx: TransplantContext) -> EmbeddingPlan:
    import torch

    if ctx.donor is None:
        raise InputError("method omp needs a donor model that speaks the new tokenizer", fix="pass donor=MODEL")
    donor_model, donor_tok = ctx.donor
    o = ctx.opts(OMPOptions, "omp")
    k, n_cand, bs = o.k, o.candidates, o.batch
    plan = shared_plan(ctx)
    ids = todo_ids(plan)
    d_ids, o_ids = shared_pairs(ctx.old_tokenizer.vocab, donor_tok.vocab)
    if d_ids.size < k:
        raise InputError("too few shared tokens for OMP", where=f"{d_ids.size} shared, k={k}")
    dev = torch.device(ctx.device)
    E = donor_model.get_input_embeddings().weight.detach().to(dev, torch.float32)
    dict_full = E[torch.from_numpy(d_ids).to(dev)]  # (N, D)
    proj = _pca(dict_full, o.pca_dim, ctx.seed)
    dict_low = torch.nn.functional.normalize(dict_full @ proj, dim=1)
    n_cand = min(n_cand, d_ids.size)
    from ..progress import bar as progress_bar

    bar = progress_bar(ids.size, "omp", enabled=ctx.progress, unit="tok")
    cols, weights, resid = [], [], []
    for s in range(0, ids.size, bs):
        tgt = E[torch.from_numpy(ids[s : s + bs]).to(dev)]
        low = torch.nn.functional.normalize(tgt @ proj, dim=1)
        cand = (low @ dict_low.T).abs().topk(n_cand, dim=1).indices  # (B, M)
        sel, coef = batch_omp(tgt, dict_full[cand], k)
        chosen = cand.gather(1, sel)
        approx = torch.einsum("bt,btd->bd", coef, dict_full[chosen])
        resid.append(((tgt - approx).norm(dim=1) / tgt.norm(dim=1).clamp(min=1e-8)).cpu().numpy())
        cols.append(chosen.cpu().numpy())
        weights.append(coef.cpu().numpy())
        bar.update(tgt.shape[0])
    bar.close()
    if ids.size:
        cols = o_ids[np.concatenate(cols)]
        weights = np.concatenate(weights).astype(np.float32)
        rel = np.concatenate(resid)
        kk = cols.shape[1]
        plan.set_combination(
            ids,
            np.arange(ids.size + 1, dtype=np.int64) * kk,
            cols.reshape(-1),
            weights.reshape(-1),
            method="omp",
            confidence=np.clip(1 - rel, 0, 1),
        )
        plan.notes["omp"] = {
            "k": kk,
            "candidates": n_cand,
            "shared_tokens": int(d_ids.size),
            "mean_relative_residual": round(float(rel.mean()), 4),
        }
    plan.fill_unset(Source.MEAN, method="mean")
    return plan


def _pca(X, dim: int, seed: int):
    """(D, dim) projection onto the top principal directions of X (randomised, seeded)."""
    import torch

    dim = min(dim, X.shape[1])
    if dim >= X.shape[1]:
        return torch.eye(X.shape[1], device=X.device)
    g = torch.Generator(device="cpu").manual_seed(seed)
    sample = X[torch.randperm(X.shape[0], generator=g)[:20000].to(X.device)]
    sample = sample - sample.mean(0)
    _, _, V = torch.linalg.svd(sample, full_matrices=False)
    return V[:dim].T.contiguous()
