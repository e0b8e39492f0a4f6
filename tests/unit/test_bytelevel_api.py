"""Tiny synthetic tests (the real-artifact ones: tests/real/test_bytelevel_api_real.py). `ByteLM` takes a
tokenizer the way every feature does (a `Tokenizer`, a built-in name or a path), and
`ByteLM.from_pretrained` loads a model and its tokenizer together."""

from __future__ import annotations

import json

import pytest
import torch
from helpers.bytelm import same_scores

from tokforge.bytelevel.bytelm import ByteLM
from tokforge.bytelevel.tiny import tiny_lm
from tokforge.errors import TokforgeError

TEXT = "the cat sat".encode()


def test_tokenizer_path_equals_tokenizer_object(tmp_path):
    model, tok = tiny_lm(seed=0)
    tok.backend.save(str(tmp_path / "tokenizer.json"))
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|endoftext|>", "bos_token": "<s>"}))
    by_path = ByteLM(model, tmp_path)
    assert by_path.tokenizer.bos_id == tok.bos_id is not None
    same_scores(by_path, ByteLM(model, tok), TEXT)
    same_scores(ByteLM(model, str(tmp_path / "tokenizer.json"), start_ids=[tok.bos_id]), ByteLM(model, tok), TEXT)
    with pytest.raises(TokforgeError):
        ByteLM(model, tmp_path / "missing")


def test_from_pretrained_loads_model_and_tokenizer(tmp_path):
    from tokforge.surgery.export import save_model

    model, tok = tiny_lm(seed=1)
    save_model(model, tok, tmp_path / "m")
    lm = ByteLM.from_pretrained(tmp_path / "m", dtype=torch.float64, leaves="canonical")
    assert lm.model.dtype == torch.float64 and lm.leaves.value == "canonical"
    same_scores(lm, ByteLM(model, tok, leaves="canonical"), TEXT)
    with pytest.raises(TokforgeError, match="not an HF model directory"):
        ByteLM.from_pretrained(tmp_path)


def test_model_spec_pair_folder_and_positional_options(tmp_path):
    """``ByteLM(spec)``: a ``(model, tokenizer)`` pair, an object with ``.model``/``.tokenizer`` or an HF
    folder gives the same scores as ``ByteLM(model, tokenizer)``; options after the first two are keywords."""
    from types import SimpleNamespace

    from tokforge.surgery.export import save_model

    model, tok = tiny_lm(seed=2)
    want = ByteLM(model, tok)
    same_scores(ByteLM((model, tok)), want, TEXT)
    same_scores(ByteLM(SimpleNamespace(model=model, tokenizer=tok)), want, TEXT)
    save_model(model, tok, tmp_path / "m")
    same_scores(ByteLM(tmp_path / "m"), want, TEXT, tol=1e-4)  # loaded in float32
    with pytest.raises(TypeError):
        ByteLM(model, tok, [tok.bos_id])  # start_ids is keyword-only
