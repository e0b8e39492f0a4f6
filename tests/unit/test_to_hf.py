"""Tiny synthetic tests (the real-artifact ones: tests/real/test_to_hf_real.py). Every tokenizer tokforge
loads becomes an HF fast tokenizer that encodes the same ids.

tiktoken rank files (GPT-2, Whisper) and Tekken are converted by tokforge.loaders.to_hf; SentencePiece
.model files through transformers' proto converter; HF tokenizer.json folders load as they are. The
round trip is checked on 30 FLORES-200 languages (every 7th language, 40 sentences each), saved to
disk and read back by AutoTokenizer and by tokforge.
"""

from __future__ import annotations

from tokforge.loaders import tiktoken_file
from tokforge.loaders.to_hf import tiktoken_regex_for_hf, to_hf_tokenizer


def test_dollar_means_end_of_text_as_in_tiktoken():
    """tiktoken's regex engine reads ``$`` as end of text, Oniguruma (HF) as end of line."""
    ranks = {bytes([b]): b for b in range(256)}
    ranks[b"a "] = 256
    tok = tiktoken_file.from_ranks(ranks, name="dollar", pattern=r"\S\s*$|\S|\s")
    text = "a \nb"
    assert tok.encode(text) == [ord("a"), ord(" "), ord("\n"), ord("b")]  # "a " is not at the end of the text
    assert to_hf_tokenizer(tok)(text, add_special_tokens=False)["input_ids"] == tok.encode(text)
    assert tiktoken_regex_for_hf(r"\S\s*$|\S|\s") == r"\S\s*\z|\S|\s"

    from tokenizers import Regex, pre_tokenizers

    raw = pre_tokenizers.Split(Regex(r"\S\s*$|\S|\s"), behavior="isolated")
    assert [w for w, _ in raw.pre_tokenize_str(text)][0] == "a "  # unconverted, HF would split differently
