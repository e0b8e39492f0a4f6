"""Tests on real artifacts (the synthetic ones: tests/unit/test_audit_vocab.py). Qtok categories (golden cases
from Qtok's rules), script census, reachability, real vocabularies."""

from __future__ import annotations

import pytest

from tokforge import TokenKind
from tokforge.audit import census as cs
from tokforge.audit import qtok


def test_qtok_on_real_vocabularies(gpt2, smollm2_tok):
    g = qtok.qtok_categories(gpt2.vocab)
    assert g["total"] == 50257
    assert g["counts"]["control_tokens"] == 2  # <|endoftext|> and "[]" (Qtok's bracket rule)
    real_fffd = sum("\ufffd".encode() in t for t in gpt2.vocab.tokens)  # Qtok counts these as flanks too
    assert g["counts"]["unicode_flanks"] == gpt2.vocab.ids_with(TokenKind.PARTIAL_UTF8).size + real_fffd
    # the 94 printable ASCII bytes are single-character tokens of GPT-2's byte alphabet, plus Latin-1 letters
    assert 94 < g["counts"]["pure_unicode"] < 188
    s = qtok.qtok_categories(smollm2_tok.vocab)
    assert s["percent"]["spaced_alpha"] > 60 and abs(sum(s["percent"].values()) - 100) < 0.1


def test_census_real_tokenizers(gpt2, smollm2_tok, gemma3_tok):
    g = cs.census(gpt2, check_reachable=False)
    assert g["n_partial_utf8"] == 344 and g["n_byte_fallback"] == 0 and g["byte_coverage"] == 256
    assert g["scripts"]["Latin"] > 45000
    s = cs.census(smollm2_tok, check_reachable=False)
    assert s["n_special"] == 17 and s["scripts"]["Cyrillic"] > 10
    m = cs.census(gemma3_tok, check_reachable=False)
    assert m["n_byte_fallback"] == 256 and m["vocab_size"] == 262144
    assert m["scripts"]["Han"] > 10000 and m["scripts"]["Devanagari"] > 5000
    assert m["n_duplicate_ids"] > 0  # byte-fallback <0x01> and a normal piece "\x01" hold the same byte


def test_reachability_real(smollm2_tok, gpt2):
    # docs/audit.md: every tested SmolLM2 and GPT-2 token is reachable (0 of 48,822 and 0 of 49,912)
    r = cs.reachability(smollm2_tok)
    assert (r["tested"], r["unreachable"], r["examples"]) == (48822, 0, [])
    g = cs.reachability(gpt2)
    assert (g["tested"], g["unreachable"]) == (49912, 0)


@pytest.mark.parametrize("name", ["mistral-v1"])
def test_reachability_dummy_prefix(name):
    from helpers.artifacts import real_tokenizer

    tok = real_tokenizer(name)
    r = cs.reachability(tok)
    assert tok.dummy_prefix and "dummy prefix" in r["note"]
    assert 10000 < r["tested"] < len(tok.vocab) and r["unreachable"] < 0.01 * r["tested"]


@pytest.mark.parametrize("name", ["smollm2-135m", "gemma3-270m"])
def test_qtok_counts_equal_qtoks_own(name, tmp_path):
    """Same tokenizer.json through Qtok itself (when installed) and through tokforge: identical counts."""
    pytest.importorskip("qtok")
    import shutil

    from qtok.qtoklib.classification import get_classification
    from qtok.qtoklib.tables import get_stats_table
    from qtok.qtoklib.tokenizer import load_vocab

    from tokforge import load_tokenizer, models

    src = models.pull(name) / "tokenizer.json"
    tj = tmp_path / "tokenizer.json"
    shutil.copy(src, tj)  # Qtok may rewrite the file it reads
    v = load_vocab(str(tj))
    meta, _ = get_classification(v)
    table, _ = get_stats_table({name: v}, v, meta)
    theirs = dict(zip(table[0][1:], table[2][1:]))
    assert qtok.qtok_categories(load_tokenizer(str(src)).vocab)["counts"] == theirs
