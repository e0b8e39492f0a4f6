"""Tiny synthetic tests (the real-artifact ones: tests/real/test_transplant_api_real.py): batch OMP against
textbook OMP; TransplantConfig checks on construction; transplant_model on tiny random models given as a
(model, tokenizer) pair, as a saved HF folder and as a TransplantResult; TransplantResult.save."""

from __future__ import annotations

import json

import pytest
import torch

from tokforge import TransplantConfig, transplant_model
from tokforge.errors import InputError, UnknownNameError


def naive_omp(target, atoms, k):
    """Textbook OMP for one row: pick the atom most correlated with the residual, refit by lstsq."""
    sel, resid = [], target.clone()
    for _ in range(k):
        corr = (atoms @ resid).abs()
        corr[sel] = -1
        sel.append(int(corr.argmax()))
        A = atoms[sel].T.double()
        coef = torch.linalg.lstsq(A, target.double()[:, None]).solution[:, 0]
        resid = target - (A @ coef).float()
    return sel, coef


def test_batch_omp_equals_textbook_omp():
    from tokforge.transplant.omp import batch_omp

    g = torch.Generator().manual_seed(0)
    atoms, tgt = torch.randn(6, 40, 24, generator=g), torch.randn(6, 24, generator=g)
    sel, coef = batch_omp(tgt, atoms, 8)
    for r in range(6):
        s, c = naive_omp(tgt[r], atoms[r], 8)
        assert sel[r].tolist() == s
        assert torch.allclose(coef[r].double(), c, atol=1e-4)


def test_config_checks_method_and_options_on_construction():
    with pytest.raises(
        UnknownNameError, match=r"unknown transplant method 'magic' \(known: blend, fvt, hybrid, hypernet, mean"
    ):
        TransplantConfig(method="magic")
    with pytest.raises(InputError, match=r"unknown option 'kk' for method hybrid \(valid: w, k, temperature"):
        TransplantConfig(method="hybrid", options={"kk": 3})
    with pytest.raises(InputError, match="option k of method hybrid must be int"):
        TransplantConfig(options={"k": "three"})
    with pytest.raises(InputError, match="eval_limit"):
        TransplantConfig(eval_limit=0)
    cfg = TransplantConfig(method="hybrid", options={"k": "5"}, eval_langs="eng_Latn, fra_Latn")
    assert cfg.options.k == 5 and cfg.eval_langs == ("eng_Latn", "fra_Latn") and cfg.check() is cfg
    with pytest.raises(Exception, match="cannot assign"):
        cfg.method = "fvt"  # frozen


@pytest.fixture(scope="module")
def tiny_pair():
    from tokforge.bytelevel.tiny import tiny_lm, tiny_tokenizer

    m, tok = tiny_lm("byte_bpe", vocab_size=300, dtype=torch.float32)
    return m, tok, tiny_tokenizer("spm", 300)


def test_result_save_reloads_and_folder_pair_and_result_are_models(tiny_pair, tmp_path):
    from transformers import AutoModelForCausalLM

    m, tok, new = tiny_pair
    quick = TransplantConfig(method="mean", evaluate=False)
    rows = m.get_input_embeddings().weight.detach().clone()
    result = transplant_model((m, tok), new, config=quick, progress=False)
    assert torch.equal(m.get_input_embeddings().weight, rows) and result.model is not m  # the input is not changed
    assert result.tokenizer is new and result.report["plan"] == result.plan.summary() and "out" not in result.report
    out = result.save(tmp_path / "a")
    assert json.loads((out / "transplant_report.json").read_text())["method"] == "mean"
    with pytest.raises(InputError, match=r"already exists.*force=True"):
        result.save(out)
    result.save(out, force=True)
    ids = torch.tensor([new.encode("the cat sat")])
    with torch.no_grad():
        assert torch.equal(AutoModelForCausalLM.from_pretrained(out)(ids).logits, result.model(ids).logits)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folders left
    back = transplant_model(str(out), tok, config=TransplantConfig(method="fvt", evaluate=False), progress=False)
    assert back.report["model"] == str(out) and back.report["old_vocab_fingerprint"] == new.vocab.fingerprint()
    assert back.model.get_input_embeddings().weight.shape[0] == len(tok.vocab)
    again = transplant_model(result, tok, config=TransplantConfig(method="fvt", evaluate=False), progress=False)
    assert again.report["new_tokenizer"] == tok.name and again.report["shared_text_tokens"] > 0


def test_cheap_checks_come_before_the_model_loads(tiny_pair, tmp_path):
    _, _, new = tiny_pair
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("x")
    quick = TransplantConfig(method="fvt", evaluate=False)
    with pytest.raises(InputError, match="already exists"):
        transplant_model("/no/such/model", new, config=quick, out=tmp_path / "taken")
    with pytest.raises(InputError, match=r"needs a donor.*donor=MODEL"):
        transplant_model("/no/such/model", new, config=TransplantConfig(method="omp", evaluate=False))
    with pytest.raises(InputError, match="model must be a built-in name"):
        transplant_model(3.5, new, config=quick)
