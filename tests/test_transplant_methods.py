"""Plan builders on small real tokenizers trained on FLORES (fast: tiny vocabularies, tiny models)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tokforge.errors import UnknownNameError
from tokforge.surgery import Source
from tokforge.transplant.registry import METHODS, TransplantContext, get_method
from tokforge.vocab import concat


def train_bpe(path, texts, vocab_size):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from tokforge import load_tokenizer

    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    hf.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=["<s>", "</s>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    path.mkdir(parents=True, exist_ok=True)
    hf.save(str(path / "tokenizer.json"))
    return load_tokenizer(path / "tokenizer.json")


@pytest.fixture(scope="module")
def pair(flores, tmp_path_factory):
    from tokforge.corpus import read_flores

    d = read_flores(flores, "dev", ["eng_Latn", "fra_Latn"], limit=300)
    root = tmp_path_factory.mktemp("tok")
    old = train_bpe(root / "old", d["eng_Latn"], 420)
    new = train_bpe(root / "new", d["eng_Latn"][:150] + d["fra_Latn"], 520)
    return old, new


@pytest.fixture(scope="module")
def ctx(pair):
    return TransplantContext(pair[0], pair[1], progress=False)


def test_unknown_method_lists_known():
    with pytest.raises(UnknownNameError, match=r"known: fvt, hybrid, .*mean, .*tokenadapt-global, tokenadapt-local"):
        get_method("nope")


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
    from reference_tokenadapt import hybrid_rows_loop
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


def test_global_threshold_and_weight_extremes(pair):
    strict = TransplantContext(*pair, options={"threshold": 1.01}, progress=False)
    plan = get_method("tokenadapt-global")(strict)
    assert plan.notes["tokenadapt"]["local_and_global"] == 0  # nothing passes: local fallback everywhere
    local = get_method("tokenadapt-local")(TransplantContext(*pair, progress=False))
    assert np.allclose(plan.input.csr()[2], local.input.csr()[2])
    loose = TransplantContext(*pair, options={"threshold": -1.0, "k": 2}, progress=False)
    g = get_method("tokenadapt-global")(loose)
    counts = np.diff(g.input.csr()[0])[g.input.ids(Source.COMBINE)]
    assert counts.max() == 2 and set(g.input.methods) >= {"tokenadapt-global"}


def test_registry_is_a_plain_dict_of_builders():
    assert isinstance(METHODS, dict) and {"mean", "fvt", "tokenadapt-local", "tokenadapt-global", "hybrid"} <= set(
        METHODS
    )
