"""Tests on real artifacts (the synthetic ones: tests/unit/test_to_hf.py). Every tokenizer tokforge loads
becomes an HF fast tokenizer that encodes the same ids.

tiktoken rank files (GPT-2, Whisper) and Tekken are converted by tokforge.loaders.to_hf; SentencePiece
.model files through transformers' proto converter; HF tokenizer.json folders load as they are. The
round trip is checked on 30 FLORES-200 languages (every 7th language, 40 sentences each), saved to
disk and read back by AutoTokenizer and by tokforge.
"""

from __future__ import annotations

import pytest
from helpers.artifacts import real_tokenizer

from tokforge import TokenKind, corpus, load_tokenizer
from tokforge.loaders.to_hf import to_hf_tokenizer

CONVERTED = ["gpt2", "whisper-multilingual", "tekken", "mistral-v1", "mistral-v3"]


@pytest.fixture(scope="module")
def flores_lines(flores):
    langs = corpus.flores_languages(flores)[::7]
    assert len(langs) == 30
    data = corpus.read_flores(flores, "devtest", langs, limit=40)
    return [s for ss in data.values() for s in ss]


_HF: dict = {}


def hf_of(name):
    if name not in _HF:
        _HF[name] = to_hf_tokenizer(real_tokenizer(name))
    return _HF[name]


@pytest.mark.parametrize("name", CONVERTED + ["smollm2-135m"])
def test_same_ids_and_byte_exact_decode_on_flores(name, flores_lines):
    tok, hf = real_tokenizer(name), hf_of(name)
    ours = tok.encode_batch(flores_lines)
    theirs = hf(flores_lines, add_special_tokens=False)["input_ids"]
    for text, a, b in zip(flores_lines, ours, theirs):
        assert a == b, text
        assert hf.decode(b).encode("utf-8") == text.encode("utf-8") == tok.decode_bytes(a)


@pytest.mark.parametrize("name", CONVERTED)
def test_roles_and_special_tokens_carried(name):
    tok, hf = real_tokenizer(name), hf_of(name)
    v = tok.vocab
    for role in ("bos", "eos", "pad", "unk"):
        assert getattr(hf, f"{role}_token_id") == v.roles.get(role), role
    assert len(hf) == len(v)
    specials = v.ids_with(TokenKind.SPECIAL).tolist()
    assert {i for i in specials} == {i for i, t in hf.added_tokens_decoder.items() if t.special}
    assert all(hf.convert_ids_to_tokens(i) == v.tokens[i].decode() for i in specials)
    # add_special_tokens=True adds what tokforge adds: bos for Tekken and SentencePiece, nothing for GPT-2
    assert hf("Hello world")["input_ids"] == tok.encode("Hello world", add_special_tokens=True)


def test_gpt2_golden():
    hf = hf_of("gpt2")
    assert hf("Hello world")["input_ids"] == [15496, 995]
    assert hf.eos_token == "<|endoftext|>" and hf.eos_token_id == 50256


@pytest.mark.parametrize("name", ["gpt2", "tekken", "mistral-v1"])
def test_saved_tokenizer_json_reloads_the_same(name, tmp_path, flores_lines):
    from transformers import AutoTokenizer

    tok = real_tokenizer(name)
    hf_of(name).save_pretrained(tmp_path)
    assert (tmp_path / "tokenizer.json").is_file()
    auto = AutoTokenizer.from_pretrained(tmp_path)
    back = load_tokenizer(tmp_path)
    lines = flores_lines[::10]
    assert auto(lines, add_special_tokens=False)["input_ids"] == tok.encode_batch(lines) == back.encode_batch(lines)
    assert back.vocab.tokens == tok.vocab.tokens and back.vocab.roles == tok.vocab.roles
    assert back.lossless and back.dummy_prefix == tok.dummy_prefix
    assert {r: getattr(auto, f"{r}_token_id") for r in ("bos", "eos")} == {
        r: tok.vocab.roles.get(r) for r in ("bos", "eos")
    }


def test_hf_folder_loads_as_is(smollm2_tok):
    hf = to_hf_tokenizer("smollm2-135m")
    assert hf.chat_template  # the folder's settings come along
    ids = hf("Hello world", add_special_tokens=False)["input_ids"]
    assert ids == smollm2_tok.encode("Hello world")


def test_surgery_saves_a_tiktoken_target(gpt2, tmp_path):
    """``tokforge transplant ... --tokenizer gpt2`` used to stop: "convert it to an HF tokenizer.json first"."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from tokforge.surgery.export import save_model

    tok = gpt2
    torch.manual_seed(0)
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tok.vocab),
            hidden_size=8,
            intermediate_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
        )
    )
    save_model(model, "gpt2", tmp_path / "out")
    auto = AutoTokenizer.from_pretrained(tmp_path / "out")
    assert auto("Hello world")["input_ids"] == [15496, 995] and auto.eos_token_id == 50256
    assert AutoModelForCausalLM.from_pretrained(tmp_path / "out").config.vocab_size == len(tok.vocab)
