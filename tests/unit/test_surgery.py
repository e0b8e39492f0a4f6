"""Tiny synthetic tests (the real-artifact ones: tests/real/test_surgery_real.py). EmbeddingPlan and
apply_plan on tiny random models (fast); real SmolLM2 in test_surgery_real.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers.tiny import tiny_llama

from tokforge.errors import InputError
from tokforge.surgery.apply import apply_plan
from tokforge.surgery.export import save_model
from tokforge.surgery.plan import EmbeddingPlan, Source, match_by_bytes
from tokforge.vocab import TokenKind, Vocab

S = TokenKind.SPECIAL


def tiny_vocab(n_extra: int = 0) -> Vocab:
    toks = (
        [b"<s>", b"</s>"]
        + [bytes([c]) for c in range(97, 123)]
        + [b" the", b"ab"]
        + [b"x%d" % i for i in range(n_extra)]
    )
    return Vocab(toks, [S, S] + [0] * (len(toks) - 2), roles={"bos": 0, "eos": 1}, name="tiny")


def tiny_lm(vocab_size: int, tied: bool, seed: int = 0):
    m = tiny_llama(vocab_size, tied, seed, bos_token_id=0, eos_token_id=1, pad_token_id=None)
    if not tied:  # make the head clearly different from the embedding
        with torch.no_grad():
            m.lm_head.weight.normal_()
    return m


def logits(m, ids):
    with torch.no_grad():
        return m(torch.tensor([ids])).logits[0]


def test_match_by_bytes_roles_then_bytes_and_specials_by_text():
    old = Vocab([b"<|endoftext|>", b"<|im_start|>", b" the", b"a", b"<x>"], [S, S, 0, 0, S], roles={"eos": 0, "bos": 1})
    new = Vocab(
        [b"<pad>", b"<eos>", b"<bos>", b"a", b" the", b"<x>", b"<|im_start|>", b""],
        [S, S, S, 0, 0, 0, S, TokenKind.UNUSED],
        roles={"pad": 0, "eos": 1, "bos": 2},
    )
    n, o = match_by_bytes(old, new)
    # eos and bos by role; "a"/" the" by bytes; "<x>" is text in new but special in old: no match;
    # "<|im_start|>" special in both (and bos already took that old row: a row may be copied twice)
    assert dict(zip(n.tolist(), o.tolist())) == {1: 0, 2: 1, 3: 3, 4: 2, 6: 1}


def test_plan_builders_summary_and_validation():
    old, new = tiny_vocab(), tiny_vocab(3)
    plan = EmbeddingPlan.from_matches(old, new)
    assert plan.unset_ids().tolist() == [30, 31, 32]
    with pytest.raises(InputError, match="no source"):
        plan.validate()
    plan.set_combination([30, 31], [0, 2, 3], [2, 3, 4], [0.25, 0.75, 1.0], method="fvt", confidence=0.4)
    plan.fill_unset()
    s = plan.summary()["input"]
    assert s["sources"] == {"COPY": 30, "COMBINE": 2, "MEAN": 1}
    assert s["methods"] == {"copy": 30, "fvt": 2, "mean": 1}
    indptr, ind, w = plan.input.csr()
    assert indptr[30:33].tolist() == [0, 2, 3] and ind.tolist() == [2, 3, 4] and w.tolist() == [0.25, 0.75, 1.0]
    # re-setting a row replaces its old combination entries
    plan.set_copy([30], [5])
    assert plan.input.csr()[1].tolist() == [4] and plan.input.method_of(30) == "copy"


def test_plan_rejects_bad_ids_and_csr():
    plan = EmbeddingPlan.identity(tiny_vocab())
    with pytest.raises(InputError, match="old id out of range"):
        plan.set_copy([0], [999])
    with pytest.raises(InputError, match="malformed CSR"):
        plan.set_combination([0, 1], [0, 1], [2], [1.0], method="x")
    with pytest.raises(InputError, match="no old rows"):
        plan.set_combination([0, 1], [0, 0, 1], [2], [1.0], method="x")


def test_given_on_one_side_splits_the_plan():
    v = tiny_vocab()
    plan = EmbeddingPlan.identity(v)
    assert plan.shared
    plan.set_given([5], np.ones((1, 32)), method="hypernet", side="output")
    assert not plan.shared
    assert plan.input.source[5] == Source.COPY and plan.output.source[5] == Source.GIVEN
    assert plan.summary()["output"]["methods"] == {"identity": len(v) - 1, "hypernet": 1}


@pytest.mark.parametrize("tied", [True, False])
def test_identity_plan_keeps_logits_exactly(tied):
    v = tiny_vocab()
    m = tiny_lm(len(v), tied)
    ids = [0, 5, 9, 28, 29, 3]
    before = logits(m, ids)
    apply_plan(m, EmbeddingPlan.identity(v))
    assert torch.equal(logits(m, ids), before)
    assert (m.lm_head.weight is m.model.embed_tokens.weight) == tied


@pytest.mark.parametrize("tied", [True, False])
def test_permuted_vocabulary_gives_permuted_logits(tied):
    old = tiny_vocab()
    perm = np.random.default_rng(0).permutation(len(old))  # new id j holds old token perm[j]
    new = Vocab(
        [old.tokens[i] for i in perm],
        [old.kinds[i] for i in perm],
        roles={r: int(np.flatnonzero(perm == i)[0]) for r, i in old.roles.items()},
    )
    m = tiny_lm(len(old), tied)
    old_ids = [0, 5, 9, 28, 29]
    before = logits(m, old_ids)
    apply_plan(m, EmbeddingPlan.from_matches(old, new))
    inv = np.argsort(perm)
    after = logits(m, inv[old_ids].tolist())
    # same rows in another order: equal up to BLAS summation order
    assert torch.allclose(after[:, inv], before, atol=1e-6, rtol=0)
    assert m.config.bos_token_id == int(inv[0]) and m.generation_config.eos_token_id == int(inv[1])


def test_combinations_given_mean_and_untied_sides():
    old, new = tiny_vocab(), tiny_vocab(3)
    m = tiny_lm(len(old), tied=False)
    E, H = m.model.embed_tokens.weight.detach().clone(), m.lm_head.weight.detach().clone()
    plan = EmbeddingPlan.from_matches(old, new)
    plan.set_combination([30], [0, 2], [2, 3], [0.25, 0.75], method="fvt")
    plan.set_given([31], np.full((1, 32), 2.0), method="hypernet", side="input")
    plan.set_given([31], np.full((1, 32), -1.0), method="hypernet", side="output")
    plan.fill_unset()
    apply_plan(m, plan)
    E2, H2 = m.model.embed_tokens.weight, m.lm_head.weight
    assert E2.shape == (33, 32) and H2.shape == (33, 32) and m.config.vocab_size == 33
    assert torch.allclose(E2[30], 0.25 * E[2] + 0.75 * E[3], atol=1e-6)
    assert torch.allclose(H2[30], 0.25 * H[2] + 0.75 * H[3], atol=1e-6)
    assert torch.all(E2[31] == 2.0) and torch.all(H2[31] == -1.0)
    assert torch.allclose(E2[32], E.mean(0), atol=1e-6) and torch.allclose(H2[32], H.mean(0), atol=1e-6)
    assert torch.equal(E2[:30], E) and torch.equal(H2[:30], H)
    logits(m, [30, 31, 32])  # runs with the new rows


def test_padding_dtype_and_bad_models():
    v = tiny_vocab()
    m = tiny_lm(len(v), tied=True).to(torch.bfloat16)
    apply_plan(m, EmbeddingPlan.identity(v), pad_to_multiple_of=64)
    w = m.get_input_embeddings().weight
    assert w.shape == (64, 32) and w.dtype == torch.bfloat16 and m.config.vocab_size == 64
    with pytest.raises(InputError, match="no input embedding"):
        apply_plan(torch.nn.Linear(2, 2), EmbeddingPlan.identity(v))
    small = tiny_lm(10, tied=True)
    with pytest.raises(InputError, match="more old rows"):  # a plan for a bigger vocabulary (mergekit #657)
        apply_plan(small, EmbeddingPlan.identity(v))


def test_save_and_reload_tiny_model(tmp_path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tokforge import load_tokenizer

    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    hf.train_from_iterator(
        ["the cat sat on the mat", "a dog and a cat"] * 20,
        trainers.BpeTrainer(
            vocab_size=300, special_tokens=["<s>", "</s>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    hf.save(str(tmp_path / "tokenizer.json"))
    tok = load_tokenizer(tmp_path / "tokenizer.json")
    assert tok.vocab.roles == {"bos": 0, "eos": 1}
    m = tiny_lm(len(tok.vocab), tied=False)
    apply_plan(m, EmbeddingPlan.identity(tok.vocab), tok)
    out = save_model(m, tok, tmp_path / "out")
    ids = tok.encode("the cat sat")
    m2 = AutoModelForCausalLM.from_pretrained(out)
    assert torch.equal(logits(m2, ids), logits(m, ids))
    assert AutoTokenizer.from_pretrained(out)("the cat sat", add_special_tokens=False).input_ids == ids
    assert load_tokenizer(out).encode("the cat sat") == ids
    with pytest.raises(InputError, match="already exists"):
        save_model(m, tok, out)
    save_model(m, tok, out, force=True)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dirs left


def test_one_home_per_object_and_no_torch_for_plans_and_export():
    import subprocess
    import sys

    import tokforge.surgery as surgery
    from tokforge.surgery import apply, export

    assert not hasattr(apply, "save_model") and callable(export.save_model)  # one home: export.py
    for name in ("apply_plan", "save_model", "EmbeddingPlan", "match_by_bytes"):
        assert not hasattr(surgery, name), name  # the package re-exports nothing
    code = "import sys, tokforge.surgery.export, tokforge.surgery.plan; print('torch' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
