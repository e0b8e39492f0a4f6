"""Tests on real artifacts (the synthetic ones: tests/unit/test_surgery.py). Surgery on the real SmolLM2-135M:
identity plan is exact, saved directory reloads identically."""

from __future__ import annotations

import torch

from tokforge.surgery.apply import apply_plan
from tokforge.surgery.export import save_model
from tokforge.surgery.plan import EmbeddingPlan


def test_smollm2_identity_save_reload(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tokforge import load_tokenizer, models

    m, tok = models.load_causal_lm("smollm2-135m")  # own copy: this test rewrites it
    ids = torch.tensor([tok.encode("Tokenizers turn text into integers, byte by byte.")])
    with torch.no_grad():
        before = m(ids).logits
    plan = EmbeddingPlan.identity(tok.vocab)
    apply_plan(m, plan, tok)
    with torch.no_grad():
        assert torch.equal(m(ids).logits, before)
    assert plan.notes == {"rows": 49152, "tied": True}
    out = save_model(m, "smollm2-135m", tmp_path / "smol")
    m2 = AutoModelForCausalLM.from_pretrained(out).eval()
    with torch.no_grad():
        assert torch.equal(m2(ids).logits, before)
    hf = AutoTokenizer.from_pretrained(out)
    assert hf("Tokenizers turn text", add_special_tokens=False).input_ids == tok.encode("Tokenizers turn text")
    assert load_tokenizer(out).vocab.fingerprint() == tok.vocab.fingerprint()
