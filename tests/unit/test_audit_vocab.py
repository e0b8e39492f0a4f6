"""Tiny synthetic tests (the real-artifact ones: tests/real/test_audit_vocab_real.py). Qtok categories (golden
cases from Qtok's rules), script census, reachability, real vocabularies."""

from __future__ import annotations

import pytest
from helpers.tiny import greedy_tokenizer

from tokforge import TokenKind, Vocab
from tokforge.audit import census as cs
from tokforge.audit import qtok


@pytest.mark.parametrize(
    "s, want",
    [
        (" the", ("spaced_alpha", "LATIN")),
        (" привет", ("spaced_alpha", "CYRILLIC")),
        ("ing", ("inner_alpha", "LATIN")),
        ("的", ("char_alpha", "CJK")),
        ("a", ("pure_unicode", "")),  # single char in GPT-2's byte alphabet
        ("é", ("pure_unicode", "")),  # U+00E9 is also in that alphabet
        ("Ġ", ("pure_unicode", "")),
        ("ж", ("char_alpha", "CYRILLIC")),
        ("€", ("char_other", "")),  # EURO SIGN: first name word not a script
        ("\n", ("char_errors", "")),  # control characters have no Unicode name
        (" 12", ("spaced_other", "")),  # DIGIT is not a script word
        (" a\n", ("spaced_errors", "")),
        ("ab1", ("inner_other", "")),  # LATIN + DIGIT
        ("\n\n", ("inner_errors", "")),
        ("<|endoftext|>", ("control_tokens", "")),
        ("[CLS]", ("control_tokens", "")),
        ("<br>", ("inner_other", "")),  # HTML tags are not control tokens
        ("</p>", ("inner_other", "")),
        ("<0y\xe2\x80>", ("unicode_flanks", "")),
        ("aж", ("inner_other", "")),  # two scripts
    ],
)
def test_qtok_classify_golden(s, want):
    assert qtok.classify(s) == want


def test_qtok_strings_follow_qtok_per_family():
    assert qtok.qtok_string(b"\xe2\x80", 0, "byte_bpe") == "<0y\xe2\x80>"
    assert qtok.qtok_string(b" hi", 0, "tiktoken") == " hi"
    assert qtok.qtok_string(b"a", 0, "sentencepiece") == "0X61"  # Qtok's hex form of 1-char pieces
    assert qtok.qtok_string(b"  x", 0, "sentencepiece") == " \u2581x"  # only the leading ▁ becomes a space
    assert qtok.qtok_string(b"A", TokenKind.BYTE_FALLBACK, "sentencepiece") == "A"
    assert qtok.qtok_string(b"<s>", TokenKind.SPECIAL, "sentencepiece") == "<s>"


def test_qtok_categories_count_distinct_strings():
    v = Vocab(
        [b"<s>", b" the", b"the", b" the", b"\xe2\x82", b"\n"], [TokenKind.SPECIAL, 0, 0, 0, 0, 0], family="byte_bpe"
    )
    r = qtok.qtok_categories(v)
    assert r["total"] == 5  # the duplicate " the" counts once, as in Qtok's vocabulary dict
    c = r["counts"]
    assert (c["control_tokens"], c["spaced_alpha"], c["inner_alpha"], c["unicode_flanks"], c["char_errors"]) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert sum(c.values()) == 5 and r["percent"]["spaced_alpha"] == 20.0
    assert r["alpha_scripts"] == {"LATIN": 2}


def test_script_census_by_real_unicode_property():
    sc = cs.char_scripts("aж的ア٣ーⅫ")
    assert [sc[c] for c in "aж的ア٣"] == ["Latin", "Cyrillic", "Han", "Katakana", "Arabic"]
    # names mislead, the Script property does not: KATAKANA-HIRAGANA PROLONGED SOUND MARK is Common,
    # ROMAN NUMERAL TWELVE is Latin
    assert (sc["ー"], sc["Ⅻ"]) == ("Common", "Latin")
    v = Vocab(
        [b"<s>", b" hello", b"\xd0\xbf\xd1\x80", b"42", b"\xe2\x82", b"a\xd0\xb6"], [TokenKind.SPECIAL, 0, 0, 0, 0, 0]
    )
    counts, per_id = cs.script_census(v)
    assert per_id == ["special/unused", "Latin", "Cyrillic", "Common", "partial UTF-8", "Mixed"]
    assert counts["Latin"] == 1 and sum(counts.values()) == 6


def test_census_golden_tiny():
    toks = [b"<unk>", b"a", b"b", b"ab", b"abb", b"bb", b"\xe2", b"a"]
    tok = greedy_tokenizer(toks, [TokenKind.SPECIAL] + [0] * 7, roles={"unk": 0})
    c = cs.census(tok)
    assert (c["n_text"], c["n_special"], c["n_partial_utf8"], c["partial_examples"]) == (7, 1, 1, ["e2"])
    assert c["n_duplicate_ids"] == 2 and c["duplicate_examples"] == [["a", [1, 7]]]
    assert c["byte_length_hist"] == {"1": 4, "2": 2, "3": 1}
    assert c["max_token_bytes"] == 3 and c["mean_token_bytes"] == round(11 / 7, 3)  # 1+1+2+3+2+1+1 bytes
    r = c["reachability"]
    # tested: the 6 valid-UTF-8 text tokens; encode("a") gives id 1, so the duplicate id 7 is unreachable
    assert (r["tested"], r["unreachable"], r["ids"]) == (6, 1, [7])
