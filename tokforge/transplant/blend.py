"""``blend``: a plan made from two or more methods' plans, row by row (options: `registry.BlendOptions`).

Every blended method builds its plan with the same `TransplantContext` memo (shared work, such as
the auxiliary embeddings of the TokenAdapt methods, is done once; each plan too, so an ``average``
and a ``confidence`` blend on one context build OMP once). Then, for each side (the
embedding, and the LM head when a plan gives it its own rows):

* ``average``: a new row is the weighted average of the methods' rows. Copies (weight 1 on the old
  row) and combinations merge into one combination over the union of their old rows, each scaled by
  its method's weight. A row to which some method gives the mean row or a vector is given as a
  vector, computed from the model's old matrix of that side (`SidePlan.set_given`), exactly as
  applying the plans and averaging would; without a model the mean becomes a combination of every
  old row. Confidence: the weighted mean of the methods' confidences.
* ``confidence``: a new row is the row of the method with the highest confidence for it (ties go to
  the first method listed); its provenance is ``blend:METHOD``.

Rows that every method fills the same way (the same copy, or the mean row) keep that source and its
provenance; averaged rows are ``blend:A+B``. A model whose LM head is tied to its embedding keeps a
single plan side. Blending a plan with itself gives that plan back (tested).

>>> from tokforge.vocab import Vocab
>>> from tokforge.tokenizer import Tokenizer
>>> old = Vocab([b"a", b"b", b"ab"]); new = Vocab([b"ab", b"ba", b"c"])
>>> enc = lambda t, s: [{"a": 0, "b": 1}[c] for c in t if c in "ab"]
>>> ctx = TransplantContext(Tokenizer(old, enc, name="old"), Tokenizer(new, enc, name="new"))
>>> ctx.options = {"methods": "fvt,mean"}
>>> plan = build(ctx)             # "ba": 1/2 fvt (b, a) + 1/2 mean (a, b, ab) as one combination
>>> indptr, ind, w = plan.input.csr()
>>> ind[indptr[1] : indptr[2]].tolist(), (12 * w[indptr[1] : indptr[2]]).round(4).tolist()  # twelfths
([0, 1, 2], [5.0, 5.0, 2.0])
>>> plan.input.method_of(1), plan.input.method_of(2)      # "c" has no spelling: the mean in both
('blend:fvt+mean', 'mean')
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import InputError
from ..surgery.plan import EmbeddingPlan, SidePlan, Source
from .registry import BlendOptions, TransplantContext, get


def build(ctx: TransplantContext) -> EmbeddingPlan:
    o = ctx.opts(BlendOptions, "blend")
    names, weights = o.active()
    plans = [_sub_plan(ctx, name, o.method_options[name]) for name in names]
    w_in, w_out, tied = _old_matrices(ctx.model)
    combine = _average if o.mode == "average" else _by_confidence
    first = plans[0]
    inp = combine([p.input for p in plans], names, weights, w_in)
    plan = EmbeddingPlan(first.old_vocab, first.new_vocab, input=inp)
    vectors = o.mode == "average" and inp.given_ids.size > 0
    if not all(p.shared for p in plans) or (vectors and not tied):
        plan.output = combine([p.output for p in plans], names, weights, w_out)
    plan.notes = _notes(plans, names, weights, o.mode, plan)
    return plan


def _sub_plan(ctx: TransplantContext, name: str, options) -> EmbeddingPlan:
    """Method ``name``'s plan, built once per context (memoised: a method listed twice, or blends in
    both modes on one context, build it once); blending never changes it."""
    key = ("blend plan", name, options)
    if key not in ctx.memo:
        plan = get(name).build(dataclasses.replace(ctx, options=options, memo=ctx.memo))
        plan.validate()
        ctx.memo[key] = plan
    return ctx.memo[key]


def _notes(plans, names, weights, mode: str, plan: EmbeddingPlan) -> dict:
    notes = {k: v for k, v in plans[0].notes.items() if k == "unreachable"}
    methods = plan.input.summary()["methods"]
    notes["blend"] = {
        "methods": list(names),
        "weights": [round(float(x), 6) for x in weights],
        "mode": mode,
        "rows": {k: v for k, v in methods.items() if k.startswith("blend:")},
        "plans": {n: p.notes for n, p in zip(names, plans)},
    }
    return notes


def _old_matrices(model):
    """(input matrix, output matrix, tied?) of ``model``; (None, None, True) without one."""
    if model is None:
        return None, None, True
    from ..surgery.apply import embedding_modules

    emb, head, tied = embedding_modules(model)
    return emb.weight, (head.weight if head is not None and not tied else emb.weight), tied or head is None


# -- confidence --------------------------------------------------------------------------------------------


def _agree(sides: list[SidePlan]) -> np.ndarray:
    """Rows every side fills the same way: the same copy, or the mean row."""
    src = np.stack([s.source for s in sides])
    cf = np.stack([s.copy_from for s in sides])
    same_copy = (src == Source.COPY).all(0) & (cf == cf[0]).all(0)
    return same_copy | (src == Source.MEAN).all(0)


def _by_confidence(sides: list[SidePlan], names, weights, matrix) -> SidePlan:
    """Each row from the side with the highest confidence (ties: the first)."""
    out = SidePlan(sides[0].n_new, sides[0].n_old)
    conf = np.stack([s.confidence for s in sides])
    pick = conf.argmax(0)
    agree = _agree(sides)
    keep = np.flatnonzero(agree)
    transfer(out, sides[0], keep, None, conf.max(0)[keep])
    for m, name in enumerate(names):
        ids = np.flatnonzero(~agree & (pick == m))
        if ids.size:
            transfer(out, sides[m], ids, f"blend:{name}", conf[m, ids])
    return out


def transfer(out: SidePlan, side: SidePlan, ids: np.ndarray, method: str | None, confidence) -> None:
    """Rows ``ids`` of ``side`` into ``out``, whatever their source (``method=None``: keep their
    provenance)."""
    confidence = np.broadcast_to(np.asarray(confidence, np.float32), ids.shape)
    if method is None:
        codes = side.method[ids]
        for c in np.unique(codes).tolist():
            sel = codes == c
            transfer(out, side, ids[sel], side.methods[c], confidence[sel])
        return
    src = side.source[ids]
    for source in (Source.COPY, Source.MEAN, Source.COMBINE, Source.GIVEN):
        sel = src == source
        if not sel.any():
            continue
        i, c = ids[sel], confidence[sel]
        if source == Source.COPY:
            out.set_copy(i, side.copy_from[i], method, c)
        elif source == Source.MEAN:
            out.set_mean(i, method, c)
        elif source == Source.COMBINE:
            indptr, ind, w = side.csr()
            counts = indptr[i + 1] - indptr[i]
            pos = np.repeat(indptr[i] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(counts.sum())
            out.set_combination(i, np.concatenate([[0], np.cumsum(counts)]), ind[pos], w[pos], method, c)
        else:
            out.set_given(i, side.given[_given_rows(side, i)], method, c)


def _given_rows(side: SidePlan, ids: np.ndarray) -> np.ndarray:
    """Positions of ``ids`` in ``side.given``."""
    order = np.argsort(side.given_ids, kind="stable")
    return order[np.searchsorted(side.given_ids[order], ids)]


# -- average -----------------------------------------------------------------------------------------------


def _average(sides: list[SidePlan], names, weights, matrix) -> SidePlan:
    """Each row the weighted average of the sides' rows (``matrix``: this side's old rows, or None)."""
    n_new, n_old = sides[0].n_new, sides[0].n_old
    out = SidePlan(n_new, n_old)
    a = np.asarray(weights, np.float64)
    conf = (a[:, None] * np.stack([s.confidence for s in sides])).sum(0).astype(np.float32)
    agree = _agree(sides)
    keep = np.flatnonzero(agree)
    transfer(out, sides[0], keep, None, conf[keep])
    mixed = ~agree
    mean_part = sum(x * (s.source == Source.MEAN) for x, s in zip(a, sides)) * mixed
    given = np.zeros(n_new, bool)
    for s in sides:
        given |= s.source == Source.GIVEN
    vec = mixed & (given | ((mean_part > 0) & (matrix is not None)))
    if (vec & given).any() and matrix is None:
        raise InputError("averaging given rows needs the model's embedding matrix", fix="pass the model in the context")
    dense = mixed & ~vec & (mean_part > 0)  # no model: the mean as a combination of every old row
    rows, cols, w = _merged(sides, a, mixed, dense, mean_part)
    label = "blend:" + "+".join(dict.fromkeys(names))
    comb = np.flatnonzero(mixed & ~vec)
    at = np.isin(rows, comb)
    if comb.size:
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[at], minlength=n_new)[comb])])
        out.set_combination(comb, indptr, cols[at], w[at], label, conf[comb])
    ids = np.flatnonzero(vec)
    if ids.size:
        v = _vectors(sides, a, ids, (rows[~at], cols[~at], w[~at]), mean_part[ids], matrix)
        out.set_given(ids, v, label, conf[ids])
    return out


def _merged(sides, a, mixed, dense, mean_part):
    """COO (rows, cols, weights) of ``sum_m a_m * (copy or combination of side m)`` over the mixed
    rows, plus ``mean_part / n_old`` on every old row for the ``dense`` rows; one entry per (row, col),
    sorted."""
    n_old = sides[0].n_old
    rows, cols, ws = [], [], []
    for x, s in zip(a, sides):
        c = np.flatnonzero(mixed & (s.source == Source.COPY))
        r, k, w = s.combination_coo()
        sel = mixed[r]
        rows += [c, r[sel]]
        cols += [s.copy_from[c], k[sel]]
        ws += [np.full(c.size, x), x * w[sel].astype(np.float64)]
    d = np.flatnonzero(dense)
    rows.append(np.repeat(d, n_old))
    cols.append(np.tile(np.arange(n_old), d.size))
    ws.append(np.repeat(mean_part[d] / n_old, n_old))
    key = np.concatenate(rows).astype(np.int64) * n_old + np.concatenate(cols)
    uniq, inv = np.unique(key, return_inverse=True)
    w = np.bincount(inv.reshape(-1), weights=np.concatenate(ws), minlength=uniq.size)
    return uniq // n_old, uniq % n_old, w.astype(np.float32)


def _vectors(sides, a, ids: np.ndarray, coo, mean_part: np.ndarray, matrix) -> np.ndarray:
    """float32 rows ``ids``: the merged combination ``coo`` applied to ``matrix``, plus ``mean_part``
    times its mean row (as `apply_plan` makes it), plus the weighted given vectors."""
    import torch

    n_old = sides[0].n_old
    base = matrix.detach()[:n_old]
    out = torch.from_numpy(mean_part.astype(np.float32))[:, None] * base.float().mean(0).to(base.dtype).float().cpu()
    rows, cols, w = coo
    if rows.size:
        local = np.searchsorted(ids, rows)
        sp = torch.sparse_coo_tensor(
            torch.from_numpy(np.stack([local, cols])), torch.from_numpy(w), (ids.size, n_old), check_invariants=False
        )
        out += torch.sparse.mm(sp.coalesce().to(base.device), base.float()).cpu()
    out = out.numpy()
    for x, s in zip(a, sides):
        sel = s.source[ids] == Source.GIVEN
        if sel.any():
            out[sel] += np.float32(x) * s.given[_given_rows(s, ids[sel])]
    return out
