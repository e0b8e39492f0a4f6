"""Tests on real artifacts (the synthetic ones: tests/unit/test_transplant_methods.py). Plan builders on small
real tokenizers trained on FLORES (fast: tiny vocabularies, tiny models)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tokforge.surgery.plan import Source
from tokforge.transplant.registry import TransplantContext, get_method
from tokforge.vocab import concat


@pytest.fixture(scope="module")
def ctx(flores_bpe_pair):
    return TransplantContext(flores_bpe_pair[0], flores_bpe_pair[1], progress=False)


def test_fvt_spells_new_tokens_with_old_pieces(ctx):
    plan = get_method("fvt")(ctx)
    old, new = ctx.old_tokenizer.vocab, ctx.new_tokenizer.vocab
    indptr, ind, w = plan.input.csr()
    combined = plan.input.ids(Source.COMBINE)
    assert combined.size > 50
    for i in combined.tolist():
        pieces = ind[indptr[i] : indptr[i + 1]]
        assert concat(old, pieces) == new.tokens[i]  # the spelling is exact, byte for byte
        assert np.allclose(w[indptr[i] : indptr[i + 1]], 1.0 / pieces.size)
    for i in plan.input.ids(Source.COPY).tolist():  # copies are the same bytes (or the same role)
        j = plan.input.copy_from[i]
        assert old.tokens[j] == new.tokens[i] or i in new.roles.values()
    assert get_method("mean")(ctx).input.ids(Source.MEAN).size == combined.size


def test_local_weights_follow_the_formula_by_hand(ctx):
    from tokforge.transplant.tokenadapt import aux_embeddings, build_local

    plan = build_local(ctx)
    old_aux, new_aux = aux_embeddings(ctx)
    indptr, ind, w = plan.input.csr()
    i = int(next(j for j in plan.input.ids(Source.COMBINE) if indptr[j + 1] - indptr[j] >= 3))
    pieces = ind[indptr[i] : indptr[i + 1]]
    cos = old_aux[pieces] @ new_aux[i]
    w1 = np.exp(cos) / np.exp(cos).sum()
    text = ctx.new_tokenizer.vocab.tokens[i].decode()
    ln = np.array([len(ctx.old_tokenizer.vocab.tokens[p].decode()) / len(text) for p in pieces])
    z = np.exp((w1 + ln) / 2 / 0.3)
    assert np.allclose(w[indptr[i] : indptr[i + 1]], z / z.sum(), atol=1e-5)


def test_hybrid_matches_the_per_token_loop(ctx):
    from helpers.tokenadapt_loop import hybrid_rows_loop
    from transformers import LlamaConfig, LlamaForCausalLM

    from tokforge.surgery.apply import apply_plan

    torch.manual_seed(0)
    m = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(ctx.old_tokenizer.vocab),
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
        )
    ).eval()
    E = m.get_input_embeddings().weight.detach().clone()
    plan = get_method("hybrid")(ctx)
    notes = plan.notes["tokenadapt"]
    assert notes["local_and_global"] > 0 and notes["local_only"] > 0  # both branches exercised
    todo = np.flatnonzero(plan.input.source != Source.COPY)
    want = hybrid_rows_loop(ctx, todo, E)
    apply_plan(m, plan, ctx.new_tokenizer)
    got = m.get_input_embeddings().weight.detach()
    for i, row in want.items():
        expect = row if row is not None else E.mean(0)
        assert torch.allclose(got[i], expect, atol=1e-5), i


def test_global_threshold_and_weight_extremes(flores_bpe_pair):
    strict = TransplantContext(*flores_bpe_pair, options={"threshold": 1.01}, progress=False)
    plan = get_method("tokenadapt-global")(strict)
    assert plan.notes["tokenadapt"]["local_and_global"] == 0  # nothing passes: local fallback everywhere
    local = get_method("tokenadapt-local")(TransplantContext(*flores_bpe_pair, progress=False))
    assert np.allclose(plan.input.csr()[2], local.input.csr()[2])
    loose = TransplantContext(*flores_bpe_pair, options={"threshold": -1.0, "k": 2}, progress=False)
    g = get_method("tokenadapt-global")(loose)
    counts = np.diff(g.input.csr()[0])[g.input.ids(Source.COMBINE)]
    assert counts.max() == 2 and set(g.input.methods) >= {"tokenadapt-global"}
