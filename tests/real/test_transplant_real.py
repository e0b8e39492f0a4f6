"""`tokforge transplant` on the real SmolLM2-135M with a BPE trained on FLORES (slow)."""

from __future__ import annotations

import json

import pytest
import torch
from helpers.tiny import train_bpe
from tokforge_cli.main import main


def test_cli_transplant_smollm2_hybrid_reload_generate(flores, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tokforge.corpus import read_flores

    d = read_flores(flores, "dev", ["eng_Latn", "fra_Latn", "deu_Latn"], limit=400)
    train_bpe(tmp_path / "bpe", [s for v in d.values() for s in v], 3000)
    out = tmp_path / "model"
    args = [
        "transplant",
        "smollm2-135m",
        "--tokenizer",
        str(tmp_path / "bpe"),
        "--out",
        str(out),
        "--method",
        "hybrid",
        "--eval",
        f"flores200:{flores}",
        "--langs",
        "eng_Latn,fra_Latn",
        "--limit",
        "8",
        "--marginal",
        "2",
    ]
    assert main(args) == 0
    report = json.loads((out / "transplant_report.json").read_text())
    cmp = report["evaluation"]["comparison"]
    assert set(cmp) == {"eng_Latn", "fra_Latn", "mean"}
    for side in ("original", "new"):  # both numbers, canonical and over all tokenizations, on the same texts
        for lang in ("eng_Latn", "fra_Latn"):
            m = report["evaluation"][side][lang]["marginal"]
            assert m["sentences"] == 1 and m["marginal_bits_per_byte"] <= m["canonical_bits_per_byte"]
    # a 3k vocabulary splits text finer than SmolLM2's 49k, and the copied/combined rows keep the
    # model far better than chance (log2(3000)/bytes-per-token would be > 3 bits/byte)
    assert cmp["eng_Latn"]["tokens_per_byte_new"] > cmp["eng_Latn"]["tokens_per_byte_original"]
    # the TokenAdapt rows beat the mean-row baseline on the same texts (computed here, same convention)
    from tokforge import TransplantConfig, transplant_model

    mean = TransplantConfig(
        method="mean",
        eval_spec=f"flores200:{flores}",
        eval_langs=["eng_Latn", "fra_Latn"],
        eval_limit=8,
        marginal=0,
    )
    base = transplant_model("smollm2-135m", str(tmp_path / "bpe"), config=mean, progress=False).report
    for lang in ("eng_Latn", "fra_Latn"):
        assert cmp[lang]["bpb_original"] == base["evaluation"]["comparison"][lang]["bpb_original"]
        assert 1.0 < cmp[lang]["bpb_ratio"] < base["evaluation"]["comparison"][lang]["bpb_ratio"]
    assert report["plan"]["notes"]["tokenadapt"]["w"] == 0.3
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    assert model.config.vocab_size == len(tok) == 3000
    ids = tok("The weather today is", return_tensors="pt", add_special_tokens=False).input_ids
    with torch.no_grad():
        gen = model.generate(ids, max_new_tokens=8, do_sample=False)
    assert gen.shape[1] > ids.shape[1] and tok.decode(gen[0]).startswith("The weather today is")
    assert main(args) == 2  # existing output directory is refused without --force


@pytest.mark.parametrize("target", ["gemma3-270m", "mistral-v1", "gpt2", "tekken", "whisper-multilingual"])
def test_no_reachable_token_shares_a_copied_row(target, smollm2_tok):
    """Every family: tokens the new tokenizer emits copy distinct rows; byte-fallback twins of normal
    tokens (and UNUSED pieces) get the mean row instead of their twin's."""
    from helpers.artifacts import real_tokenizer

    from tokforge.surgery.plan import EmbeddingPlan, Source

    new = real_tokenizer(target).vocab
    plan = EmbeddingPlan.from_matches(smollm2_tok.vocab, new)
    unreachable = set(new.unreachable_ids().tolist()) - set(new.roles.values())
    copies = plan.input.ids(Source.COPY)
    reachable = [i for i in copies.tolist() if i not in unreachable and not new.is_special(i)]
    src = plan.input.copy_from[reachable]
    assert len(set(src.tolist())) == len(src)
    for i in unreachable:
        assert plan.input.source[i] == Source.MEAN and plan.input.method_of(i) == "unreachable"
    if target in ("gemma3-270m", "mistral-v1"):
        assert len(unreachable) > 100  # e.g. <0x2C> beside ","


def test_byte_fallback_twin_never_outscores_its_token(flores, mistral_v1):
    """SmolLM2 given Mistral's SentencePiece vocabulary: where the text's next token is a normal token
    with a byte-fallback twin (",", ".", " "...), the twin scores below it, and all twins together
    take a negligible share of those tokens' probability."""
    from tokforge import models
    from tokforge.corpus import read_flores
    from tokforge.surgery.apply import apply_plan
    from tokforge.transplant.registry import TransplantContext, get_method

    m, old = models.load_causal_lm("smollm2-135m")
    new = mistral_v1
    apply_plan(m, get_method("fvt")(TransplantContext(old, new, progress=False)), new)
    v = new.vocab
    normal = {v.tokens[i]: i for i in v.text_ids().tolist() if not v.kinds[i] & 4}
    twin_of = {normal[v.tokens[t]]: t for t in v.unreachable_ids().tolist() if v.tokens[t] in normal}
    text = "\n".join(read_flores(flores, "devtest", ["eng_Latn"], limit=6)["eng_Latn"])
    ids = [new.bos_id] + new.encode(text)
    with torch.no_grad():
        lp = torch.log_softmax(m(torch.tensor([ids])).logits[0, :-1, : len(v)].float(), -1)
    pos = [p for p in range(len(ids) - 1) if ids[p + 1] in twin_of]
    assert len(pos) > 30
    tgt = torch.tensor([ids[p + 1] for p in pos])
    twin = torch.tensor([twin_of[ids[p + 1]] for p in pos])
    p_tok, p_twin = lp[pos, tgt], lp[pos, twin]
    assert (p_twin < p_tok).all()
    assert float(p_twin.exp().sum() / p_tok.exp().sum()) < 0.01
