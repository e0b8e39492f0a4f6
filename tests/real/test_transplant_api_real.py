"""Tests on real artifacts (the synthetic ones: tests/unit/test_transplant_api.py). transplant() and OMP on
small real tokenizers with tiny random models; bad-input errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from helpers.tiny import tiny_llama

from tokforge.errors import InputError
from tokforge.surgery.plan import Source
from tokforge.transplant.registry import TransplantContext, get_method


def tiny_lm(n: int, seed: int = 0, hidden: int = 16):
    return tiny_llama(
        n,
        seed=seed,
        hidden_size=hidden,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        bos_token_id=0,
        eos_token_id=1,
    )


def test_omp_recovers_an_exact_sparse_combination(flores_bpe_pair):
    old, new = flores_bpe_pair
    donor = tiny_lm(len(new.vocab), seed=1, hidden=24)
    ctx = TransplantContext(old, new, progress=False, options={"k": 2, "candidates": 400, "pca_dim": 24})
    probe = get_method("fvt")(ctx)
    todo = probe.input.ids(Source.COMBINE)
    a_new, b_new = probe.input.ids(Source.COPY)[10:12]  # two shared text tokens
    E = donor.get_input_embeddings().weight
    with torch.no_grad():
        E[todo[0]] = 2 * E[a_new] - 0.5 * E[b_new]
    ctx.donor = (donor, new)
    plan = get_method("omp")(ctx)
    indptr, ind, w = plan.input.csr()
    i = todo[0]
    got = dict(zip(ind[indptr[i] : indptr[i + 1]].tolist(), np.round(w[indptr[i] : indptr[i + 1]], 4).tolist()))
    a_old, b_old = probe.input.copy_from[a_new], probe.input.copy_from[b_new]
    assert got == {a_old: 2.0, b_old: -0.5}
    assert plan.input.confidence[i] > 0.999 and plan.notes["omp"]["k"] == 2


def test_transplant_api_tiny_model_end_to_end(flores_bpe_pair, tmp_path):
    from transformers import AutoModelForCausalLM

    from tokforge import TransplantConfig, transplant_model

    old, new = flores_bpe_pair
    m = tiny_lm(len(old.vocab))
    (tmp_path / "en.txt").write_text("The cat sat on the mat.\nA dog barked twice.\n")
    cfg = TransplantConfig(method="fvt", eval_spec=str(tmp_path / "en.txt"))
    result = transplant_model((m, old), new, config=cfg, progress=False, out=tmp_path / "out")
    model, report = result.model, result.report
    assert (
        result.tokenizer is new and result.plan.summary() == report["plan"] and report["out"] == str(tmp_path / "out")
    )
    cmp = report["evaluation"]["comparison"]["en"]
    assert cmp["bpb_original"] > 0 and cmp["bpb_new"] > 0 and cmp["tokens_per_byte_new"] > 0
    assert report["plan"]["input"]["sources"]["COPY"] > 100
    saved = json.loads((tmp_path / "out" / "transplant_report.json").read_text())
    assert saved["method"] == "fvt" and saved["plan"]["n_new"] == len(new.vocab)
    m2 = AutoModelForCausalLM.from_pretrained(tmp_path / "out")
    ids = torch.tensor([new.encode("the cat")])
    with torch.no_grad():
        assert torch.equal(m2(ids).logits, model(ids).logits)
    with pytest.raises(InputError, match="already exists"):  # checked before the model is touched
        transplant_model((m, old), new, config=TransplantConfig(method="fvt", evaluate=False), out=tmp_path / "out")


def test_bad_inputs(flores_bpe_pair, tmp_path):
    from tokenizers import Tokenizer, models

    from tokforge import TransplantConfig, load_tokenizer, transplant_model

    old, new = flores_bpe_pair
    hf = Tokenizer(models.WordLevel({"<unk>": 0, "ꙮꙮ": 1, "ꙮꙮꙮ": 2}, unk_token="<unk>"))
    hf.save(str(tmp_path / "alien.json"))
    alien = load_tokenizer(tmp_path / "alien.json")
    m = tiny_lm(len(old.vocab))

    def run(tokenizer, method, donor=None):
        cfg = TransplantConfig(method=method, evaluate=False)
        return transplant_model((m, old), tokenizer, config=cfg, donor=donor, progress=False)

    with pytest.raises(InputError, match="shares no text token"):
        run(alien, "fvt")
    with pytest.raises(InputError, match=r"needs a donor.*pass donor=MODEL"):
        run(new, "omp")
    with pytest.raises(InputError, match=r"donor's tokenizer is not the new tokenizer.*donor=MODEL"):
        run(new, "omp", donor=(tiny_lm(len(old.vocab)), old))
    with pytest.raises(InputError, match="fewer embedding rows"):
        run(new, "omp", donor=(tiny_lm(10), new))
    with pytest.raises(InputError, match="model must be a built-in name"):
        transplant_model(42, new, config=TransplantConfig(method="fvt", evaluate=False))
    with pytest.raises(InputError, match="config must be a TransplantConfig"):
        transplant_model((m, old), new, config={"method": "fvt"})


def test_next_byte_offsets_golden(gpt2, mistral_v1):
    from tokforge.evaluate.bits import next_byte_alignment, token_offsets

    assert token_offsets(gpt2, gpt2.encode("Hello world")).tolist() == [0, 5]
    mistral = mistral_v1  # "▁Hello", "▁world": the dummy-prefix space is not text
    assert token_offsets(mistral, mistral.encode("Hello world")).tolist() == [0, 5]
    o = {(0, 0): (72, 72), (0, 5): (32, 32), (0, 9): (100, 100)}
    n = {(0, 0): (72, 72), (0, 5): (120, 32)}
    assert next_byte_alignment(o, n) == {
        "aligned_positions": 2,
        "next_byte_agreement": 0.5,
        "next_byte_acc_original": 1.0,
        "next_byte_acc_new": 0.5,
    }


def test_same_tokenizer_agrees_on_every_next_byte(flores_bpe_pair, tmp_path):
    from tokforge import TransplantConfig, transplant_model

    old, _ = flores_bpe_pair
    (tmp_path / "en.txt").write_text("The cat sat on the mat.\nA dog barked twice.\n")
    cfg = TransplantConfig(method="fvt", eval_spec=str(tmp_path / "en.txt"))
    report = transplant_model((tiny_lm(len(old.vocab)), old), old, config=cfg, progress=False).report
    cmp = report["evaluation"]["comparison"]["en"]
    assert cmp["bpb_ratio"] == 1.0 and cmp["next_byte_agreement"] == 1.0
    assert cmp["next_byte_acc_new"] == cmp["next_byte_acc_original"]
    assert cmp["aligned_positions"] == report["evaluation"]["original"]["en"]["tokens"]
    assert "_next" not in report["evaluation"]["original"]["en"]  # predictions stay out of the report
