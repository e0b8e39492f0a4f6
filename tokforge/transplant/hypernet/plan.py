"""An :class:`~tokforge.surgery.plan.EmbeddingPlan` whose new rows a trained hypernetwork predicts.

* roles and special tokens matched by role/text keep their original rows (COPY);
* tokens the original vocabulary has byte-for-byte are copied too when ``copy_overlap``
  (default), otherwise predicted like the rest;
* every other text token is decomposed with the original tokenizer and its rows predicted
  (GIVEN; one matrix for tied models, separate input/output rows for untied ones);
* new special tokens with no counterpart, and tokens the original tokenizer cannot spell at
  all, get the mean row (MEAN).
"""

from __future__ import annotations

import numpy as np

from tokforge.errors import InputError
from tokforge.surgery.plan import EmbeddingPlan, match_by_bytes
from tokforge.transplant.decompose import decompose

from .decompose import to_padded

METHOD = "hypernet"


def _to_predict(plan: EmbeddingPlan, copy_overlap: bool) -> np.ndarray:
    """New ids the network must predict: unmatched text tokens (plus matched ones if not copying)."""
    new = plan.new_vocab
    text = new.text_ids(nonempty=True)
    n_ids, o_ids = match_by_bytes(plan.old_vocab, new)
    text = np.setdiff1d(text, plan.mark_unreachable())
    if copy_overlap:
        plan.set_copy(n_ids, o_ids, method="copy")
        return np.setdiff1d(text, n_ids)
    keep = ~np.isin(n_ids, text)  # roles and specials are always copied
    plan.set_copy(n_ids[keep], o_ids[keep], method="copy")
    return text


def build_plan(
    model,
    old_tokenizer,
    new_tokenizer,
    hypernet_dir,
    *,
    device: str = "cpu",
    copy_overlap: bool = True,
    batch: int = 8192,
    net=None,
) -> EmbeddingPlan:
    """Predict rows for ``new_tokenizer`` with the hypernetwork saved in ``hypernet_dir``.

    ``net`` (an already loaded :class:`HyperNet`) skips loading. Raises :class:`InputError` when
    the new vocabulary has no token the original tokenizer can spell."""
    import torch

    from . import io as hio

    net = net if net is not None else hio.load(hypernet_dir, model, old_tokenizer, device)
    dev = next(net.parameters()).device
    plan = EmbeddingPlan(old_tokenizer.vocab, new_tokenizer.vocab)
    ids = _to_predict(plan, copy_overlap)
    pieces = [new_tokenizer.vocab.tokens[i] for i in ids.tolist()]
    indptr, ind, ok = decompose(old_tokenizer, pieces)
    if ids.size and not ok.any():
        raise InputError(
            "new tokenizer has no token the original tokenizer can spell (nothing to predict from)",
            where=new_tokenizer.name,
            fix="check that both tokenizers cover the same bytes/scripts",
        )
    spell = ok
    rows_in, rows_out = [], []
    net.eval()
    with torch.no_grad():
        for s in range(0, len(pieces), batch):
            sl = slice(s, s + batch)
            keep = ok[sl]
            if not keep.any():
                continue
            sub_ptr = indptr[s : s + batch + 1]
            dec, n = to_padded(sub_ptr - sub_ptr[0], ind[sub_ptr[0] : sub_ptr[-1]], keep)
            p_in, p_out = net(torch.from_numpy(dec[keep]).to(dev), torch.from_numpy(n[keep]).to(dev))
            rows_in.append(p_in.float().cpu().numpy())
            rows_out.append(p_out.float().cpu().numpy())
    if spell.any():
        given = ids[spell]
        if net.cfg.tied:
            plan.set_given(given, np.concatenate(rows_in), method=METHOD, confidence=0.8)
        else:
            plan.set_given(given, np.concatenate(rows_in), method=METHOD, confidence=0.8, side="input")
            plan.set_given(given, np.concatenate(rows_out), method=METHOD, confidence=0.8, side="output")
    plan.fill_unset(method="mean")
    plan.notes.update(
        {
            "hypernet": str(hypernet_dir),
            "predicted": int(spell.sum()),
            "unspellable": int((~spell).sum()),
            "copy_overlap": bool(copy_overlap),
        }
    )
    return plan


def build(ctx) -> EmbeddingPlan:
    """Registry entry (``METHODS["hypernet"]``): options ``hypernet`` (folder, required) and
    ``copy_overlap`` (default True); needs ``ctx.model`` (the original causal LM)."""
    from ..options import HypernetOptions

    o = ctx.opts(HypernetOptions, "hypernet")
    where = o.hypernet
    if not where:
        raise InputError(
            "method hypernet needs a trained hypernetwork folder",
            fix="set the method option hypernet=DIR (a folder written by train_hypernet)",
        )
    if ctx.model is None:
        raise InputError(
            "method hypernet needs the original model's weights", fix="pass the model, not only its tokenizer"
        )
    return build_plan(
        ctx.model, ctx.old_tokenizer, ctx.new_tokenizer, where, device=ctx.device, copy_overlap=o.copy_overlap
    )
