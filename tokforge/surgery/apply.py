"""Apply an `EmbeddingPlan` to a transformers causal LM (in place).

``apply_plan(model, plan)`` rebuilds the embedding matrix and the LM head in one batched pass on
the model's own device and dtype: copies are one gather (bit-exact), combinations one sparse
matmul (computed in float32, then cast), given vectors one indexed write. Tied heads stay tied
(the output side of the plan is then unused, and recorded as such); untied heads get their own
rows from their own old matrix. ``config.vocab_size``, the bos/eos/pad/unk ids (by role, from the
new vocabulary) and the generation config follow.

The HF export (`save_model`) is in `tokforge.surgery.export`.

Example (identity plan: logits unchanged)::

    model, tok = tokforge.models.load_causal_lm("smollm2-135m")
    apply_plan(model, EmbeddingPlan.identity(tok.vocab), tok)
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from ..errors import InputError, TokforgeWarning
from .plan import EmbeddingPlan, SidePlan, Source

ROLE_CONFIG_KEYS = {"bos": "bos_token_id", "eos": "eos_token_id", "pad": "pad_token_id", "unk": "unk_token_id"}


def embedding_modules(model) -> tuple[torch.nn.Module, torch.nn.Module | None, bool]:
    """(input embedding module, output head module or None, tied?) with clear errors. ``tied`` is True only
    when there is a head and it shares the embedding's weights (a model without a head is not tied: it has
    no output side at all)."""
    try:
        emb = model.get_input_embeddings()
    except (AttributeError, NotImplementedError):
        emb = None
    w = getattr(emb, "weight", None)
    if not isinstance(w, torch.Tensor) or w.dim() != 2:
        raise InputError(
            "model has no input embedding matrix tokforge understands",
            where=type(model).__name__,
            fix="pass a transformers causal LM with get_input_embeddings() returning an embedding",
        )
    try:
        head = model.get_output_embeddings()
    except (AttributeError, NotImplementedError):
        head = None
    if head is not None:
        hw = getattr(head, "weight", None)
        if not isinstance(hw, torch.Tensor) or hw.dim() != 2 or hw.shape[1] != w.shape[1]:
            raise InputError("model's LM head is not a (vocab, hidden) matrix", where=type(model).__name__)
        if getattr(head, "bias", None) is not None:
            raise InputError("LM heads with a bias are not supported", where=type(model).__name__)
    tied = head is not None and (head.weight is w or head.weight.data_ptr() == w.data_ptr())
    return emb, head, tied


def build_rows(old: torch.Tensor, side: SidePlan, n_rows: int, pad_fill: str = "mean") -> torch.Tensor:
    """New (n_rows, dim) matrix from ``old`` (rows 0..side.n_old-1 are the old vocabulary).

    Rows past ``side.n_new`` (architecture padding) get the mean row (``pad_fill="mean"``) or
    zeros (``"zeros"``, used for LM-head padding so padded ids get a neutral logit).
    """
    dev, dt = old.device, old.dtype
    n_new, n_old = side.n_new, side.n_old
    if n_old > old.shape[0]:
        raise InputError(
            "plan refers to more old rows than the model has",
            where=f"{n_old} old ids vs {old.shape[0]} rows",
            fix="build the plan from this model's tokenizer",
        )
    base = old[:n_old]
    mean = base.float().mean(0).to(dt)
    out = mean.expand(n_rows, -1).clone()
    if pad_fill == "zeros" and n_rows > n_new:
        out[n_new:] = 0
    idx = side.ids(Source.COPY)
    if idx.size:
        t = torch.from_numpy(idx).to(dev)
        out[t] = base[torch.from_numpy(side.copy_from[idx]).to(dev)]
    rows, cols, w = side.combination_coo()
    if rows.size:
        uniq, local = np.unique(rows, return_inverse=True)
        ind = torch.from_numpy(np.stack([local, cols])).to(dev)
        sp = torch.sparse_coo_tensor(
            ind, torch.from_numpy(w).to(dev), (uniq.size, n_old), check_invariants=False
        ).coalesce()
        out[torch.from_numpy(uniq).to(dev)] = torch.sparse.mm(sp, base.float()).to(dt)
    if side.given_ids.size:
        out[torch.from_numpy(side.given_ids).to(dev)] = torch.from_numpy(side.given).to(dev, dt)
    return out


def padded_rows(n_new: int, multiple: int | None) -> int:
    """Row count after padding to a multiple.

    >>> padded_rows(49153, 64), padded_rows(10, None)
    (49216, 10)
    """
    if not multiple or multiple <= 1:
        return n_new
    return -(-n_new // multiple) * multiple


@torch.no_grad()
def apply_plan(model, plan: EmbeddingPlan, new_tokenizer=None, pad_to_multiple_of: int | None = None):
    """Rewrite ``model``'s embedding/LM-head rows (in place) for the plan's new vocabulary; return it.

    ``new_tokenizer`` (a tokforge `Tokenizer`, optional) must have the plan's vocabulary size; the
    special-token ids come from its roles (else from ``plan.new_vocab``). ``pad_to_multiple_of``
    pads the row count (default: pad to 64 only when the old model had more rows than its vocabulary).
    Keep a copy (``copy.deepcopy(model)``) first if you need the original.
    """
    emb, head, tied = embedding_modules(model)
    old_in = emb.weight
    d = old_in.shape[1]
    plan.validate(dim=d)
    vocab = new_tokenizer.vocab if new_tokenizer is not None else plan.new_vocab
    if len(vocab) != plan.input.n_new:
        raise InputError(
            "tokenizer and plan disagree on the vocabulary size", where=f"{len(vocab)} vs {plan.input.n_new}"
        )
    if pad_to_multiple_of is None:
        pad_to_multiple_of = 64 if old_in.shape[0] > plan.input.n_old else 1
    n_rows = padded_rows(plan.input.n_new, pad_to_multiple_of)
    new_in = build_rows(old_in, plan.input, n_rows)
    new_out = None if tied or head is None else build_rows(head.weight, plan.output, n_rows, pad_fill="zeros")
    emb.weight = torch.nn.Parameter(new_in, requires_grad=old_in.requires_grad)
    emb.num_embeddings = n_rows
    pad = vocab.roles.get("pad")
    if getattr(emb, "padding_idx", None) is not None:
        emb.padding_idx = pad
    if head is not None:
        head.weight = emb.weight if tied else torch.nn.Parameter(new_out, requires_grad=head.weight.requires_grad)
        head.out_features = n_rows
    _update_config(model, vocab.roles, n_rows)
    plan.notes["rows"] = n_rows
    plan.notes["tied"] = bool(tied)
    if head is None:
        plan.notes["output_side"] = "none: the model has no LM head, only its input embeddings were rewritten"
        warnings.warn(
            f"{type(model).__name__} has no LM head (get_output_embeddings() is None): only its input embeddings "
            "were rewritten; pass a causal LM (AutoModelForCausalLM) to transplant its output side too",
            TokforgeWarning,
            stacklevel=2,
        )
    elif tied and not plan.shared:
        plan.notes["output_side"] = "ignored: the model ties its LM head to the embedding"
    return model


def _update_config(model, roles: dict, n_rows: int) -> None:
    cfgs = [model.config]
    get_text = getattr(model.config, "get_text_config", None)
    if callable(get_text) and get_text() is not model.config:
        cfgs.append(get_text())
    for cfg in cfgs:
        cfg.vocab_size = n_rows
        for role, key in ROLE_CONFIG_KEYS.items():
            if hasattr(cfg, key) or role in roles:
                setattr(cfg, key, roles.get(role))
    gen = getattr(model, "generation_config", None)
    if gen is not None:
        for role in ("bos", "eos", "pad"):
            setattr(gen, ROLE_CONFIG_KEYS[role], roles.get(role))
        if roles.get("pad") is None and roles.get("eos") is not None:
            gen.pad_token_id = roles["eos"]
