"""`tokforge transplant` on the real SmolLM2-135M with a BPE trained on FLORES (slow)."""

from __future__ import annotations

import json

import pytest
import torch

from cli.main import main
from test_transplant_methods import train_bpe

pytestmark = pytest.mark.slow


def test_cli_transplant_smollm2_hybrid_reload_generate(flores, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tokforge.corpus import read_flores

    d = read_flores(flores, "dev", ["eng_Latn", "fra_Latn", "deu_Latn"], limit=400)
    train_bpe(tmp_path / "bpe", [s for v in d.values() for s in v], 3000)
    out = tmp_path / "model"
    args = ["transplant", "smollm2-135m", "--tokenizer", str(tmp_path / "bpe"), "--out", str(out),
            "--method", "hybrid", "--eval", f"flores200:{flores}", "--langs", "eng_Latn,fra_Latn", "--limit", "8"]
    assert main(args) == 0
    report = json.loads((out / "transplant_report.json").read_text())
    cmp = report["evaluation"]["comparison"]
    assert set(cmp) == {"eng_Latn", "fra_Latn", "mean"}
    # a 3k vocabulary splits text finer than SmolLM2's 49k, and the copied/combined rows keep the
    # model far better than chance (log2(3000)/bytes-per-token would be > 3 bits/byte)
    assert cmp["eng_Latn"]["tokens_per_byte_new"] > cmp["eng_Latn"]["tokens_per_byte_original"]
    assert 1.0 < cmp["eng_Latn"]["bpb_ratio"] < 2.5
    assert report["plan"]["notes"]["tokenadapt"]["w"] == 0.3
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    assert model.config.vocab_size == len(tok) == 3000
    ids = tok("The weather today is", return_tensors="pt", add_special_tokens=False).input_ids
    with torch.no_grad():
        gen = model.generate(ids, max_new_tokens=8, do_sample=False)
    assert gen.shape[1] > ids.shape[1] and tok.decode(gen[0]).startswith("The weather today is")
    assert main(args) == 2  # existing output directory is refused without --force
