"""Tests on real artifacts (the synthetic ones: tests/unit/test_transplant_blend.py). ``blend`` of the TokenAdapt
hybrid (MiniLM auxiliary embeddings) and OMP on small real tokenizers trained on FLORES, with tiny random models."""

from __future__ import annotations

import copy

import pytest
import torch
from helpers.tiny import tiny_llama

from tokforge import TransplantConfig, transplant_model
from tokforge.surgery.apply import apply_plan
from tokforge.transplant.registry import TransplantContext, get_method, parse_options

OMP = {"omp.k": 4, "omp.candidates": 64, "omp.pca_dim": 16}


def tiny_lm(n: int, seed: int = 0):
    return tiny_llama(
        n,
        seed=seed,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
    )


def embedding(model, plan, new):
    """(embedding, LM head) rows of a copy of ``model`` with ``plan`` applied, side by side."""
    m = apply_plan(copy.deepcopy(model), plan, new)
    return torch.cat([m.get_input_embeddings().weight, m.get_output_embeddings().weight], 1).detach()


@pytest.mark.parametrize("mode", ["average", "confidence"])
def test_hybrid_blended_with_itself_is_hybrid_and_encodes_once(flores_bpe_pair, monkeypatch, mode):
    from tokforge.transplant import aux

    calls = []
    real = aux.vocab_embeddings
    monkeypatch.setattr(aux, "vocab_embeddings", lambda *a, **k: calls.append(1) or real(*a, **k))
    old, new = flores_bpe_pair
    m = tiny_lm(len(old.vocab))
    opts = parse_options("blend", {"methods": "hybrid,tokenadapt-local,hybrid", "weights": "1,0,1", "mode": mode})
    blend = get_method("blend")(TransplantContext(old, new, model=m, options=opts, progress=False))
    assert len(calls) == 2  # old and new vocabularies once, for every blended method
    hybrid = get_method("hybrid")(TransplantContext(old, new, model=m, progress=False))
    assert torch.allclose(embedding(m, blend, new), embedding(m, hybrid, new), atol=1e-5)
    both = parse_options("blend", {"methods": "hybrid,tokenadapt-local", "mode": mode})
    calls.clear()
    get_method("blend")(TransplantContext(old, new, model=m, options=both, progress=False))
    assert len(calls) == 2


def test_omp_and_hybrid_average_through_transplant_model(flores_bpe_pair):
    old, new = flores_bpe_pair
    m, donor = tiny_lm(len(old.vocab)), tiny_lm(len(new.vocab), seed=1)
    cfg = TransplantConfig(method="blend", options={"methods": "omp,hybrid", **OMP}, evaluate=False)
    result = transplant_model((m, old), new, config=cfg, donor=(donor, new), progress=False)
    parts = []
    for name in ("omp", "hybrid"):
        ctx = TransplantContext(old, new, model=m, donor=(donor, new), progress=False)
        ctx.options = cfg.options.method_options[name]
        parts.append(embedding(m, get_method(name)(ctx), new))
    model = result.model
    got = torch.cat([model.get_input_embeddings().weight, model.get_output_embeddings().weight], 1).detach()
    assert torch.allclose(got, (parts[0] + parts[1]) / 2, atol=1e-5)
    assert "blend:omp+hybrid" in result.report["plan"]["input"]["methods"]
    assert result.report["plan"]["notes"]["blend"]["plans"]["omp"]["omp"]["k"] == 4
