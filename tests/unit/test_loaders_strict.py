"""Tiny synthetic tests (the real-artifact ones: tests/real/test_loaders_strict_real.py). Loaders never guess:
each case that used to load with made-up bytes, a skipped file or a wrong
``lossless`` flag is now a `LoadError` (or an honest flag). Inputs are copies of the real artifacts
with one targeted change, written under tmp_path; one tiny GGUF is written with the gguf library."""

from __future__ import annotations

from tokforge import TokenKind, load_tokenizer


def test_gguf_llama_normal_piece_spelled_like_a_byte_keeps_its_text(tmp_path):
    """Only byte-typed (6) ``<0xNN>`` pieces stand for one byte; a normal one is literal text."""
    import gguf

    p = tmp_path / "tiny.gguf"
    w = gguf.GGUFWriter(p, "llama")
    w.add_tokenizer_model("llama")
    w.add_token_list(["<unk>", "<0x41>", "<0x42>", "\u2581a"])
    w.add_token_types([2, 6, 1, 1])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.close()
    v = load_tokenizer(p).vocab
    assert v.token_bytes(1) == b"A" and v.kind(1) == TokenKind.BYTE_FALLBACK
    assert v.token_bytes(2) == b"<0x42>" and v.kind(2) == TokenKind.NORMAL
    assert v.token_bytes(3) == b" a"
