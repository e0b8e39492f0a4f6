"""Tiny real tokenizers (trained on the spot with HF tokenizers) and tiny random Llama models,
for fast tests, doctests and the notebook. Not a stand-in for the real artifacts: the tests
run the same checks on SmolLM2 and Gemma-3 too.

``tiny_lm(kind="byte_bpe")``: GPT-2-style byte-level BPE with the GPT-2 regex pretokenizer.
``tiny_lm(kind="spm")``: SentencePiece-style BPE with byte fallback and a dummy prefix.
"""

from __future__ import annotations

import json

TEXT = (
    "the cat sat on the mat. the dog ate the hat! that is a test of the tiny tokenizer, "
    "naïve café, 12345, thé théâtre  two  spaces\n\nnew lines\n"
)
_TOK: dict = {}


def tiny_tokenizer(kind: str = "byte_bpe", vocab_size: int = 300, fim: bool = False):
    """A real BPE tokenizer trained on a few sentences, as a tokforge `Tokenizer`."""
    key = (kind, vocab_size, fim)
    if key in _TOK:
        return _TOK[key]
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    from ..loaders.hf_json import from_backend

    specials = ["<|endoftext|>", "<s>"] + (["<fim_prefix>", "<fim_middle>", "<fim_suffix>"] if fim else [])
    if kind == "byte_bpe":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    elif kind == "spm":
        tok = Tokenizer(models.BPE(byte_fallback=True, unk_token=None))
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
        tok.decoder = decoders.Sequence(
            [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
        )
        alphabet = []
        specials += [f"<0x{b:02X}>" for b in range(256)]
    else:
        raise ValueError(f"unknown tiny tokenizer kind {kind!r}")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, initial_alphabet=alphabet, show_progress=False
    )
    tok.train_from_iterator([TEXT] * 3, trainer)
    spec = json.loads(tok.to_str())
    if kind == "spm":  # byte pieces are ordinary vocabulary entries in SentencePiece, not specials
        byte_pieces = {f"<0x{b:02X}>" for b in range(256)}
        spec["added_tokens"] = [a for a in spec["added_tokens"] if a["content"] not in byte_pieces]
        tok = Tokenizer.from_str(json.dumps(spec))
    config = {"eos_token": "<|endoftext|>", "bos_token": "<s>"}
    _TOK[key] = from_backend(tok, spec, f"tiny-{kind}", config)
    return _TOK[key]


def tiny_lm(
    kind: str = "byte_bpe", seed: int = 0, vocab_size: int = 300, fim: bool = False, extra_rows: int = 0, dtype=None
):
    """``(model, tokenizer)``: a 2-layer random Llama over :func:`tiny_tokenizer` (float64 by default,
    so brute-force comparisons are not limited by float32 rounding)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = tiny_tokenizer(kind, vocab_size, fim)
    cfg = LlamaConfig(
        vocab_size=len(tok.vocab) + extra_rows,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():  # sharper than the default init, so probabilities are not all alike
        model.model.embed_tokens.weight.normal_(0, 1.0, generator=torch.Generator().manual_seed(seed))
    model.eval()
    return model.to(dtype or torch.float64), tok


def save_tiny(path, kind: str = "byte_bpe", seed: int = 0, fim: bool = False):
    """Write :func:`tiny_lm` as an HF model folder (``config.json``, weights, ``tokenizer.json``),
    loadable with ``models.load_causal_lm(path)`` and the CLI's ``-m PATH``. Returns ``path``."""
    from pathlib import Path

    path = Path(path)
    model, tok = tiny_lm(kind, seed=seed, fim=fim)
    model.save_pretrained(path)
    tok.backend.save(str(path / "tokenizer.json"))
    (path / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|endoftext|>", "bos_token": "<s>"}))
    return path
