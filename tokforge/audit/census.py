"""Vocabulary census beyond Qtok: Unicode scripts, byte lengths, partial UTF-8, byte fallback,
special/added tokens, duplicates, and tokens that encoding their own text never gives back.

Scripts come from the real Unicode ``Script`` property (via the ``regex`` module's
``\\p{Script=...}``), not from the first word of a character's name. A token's script is the one
script of its letters once ``Common`` (digits, punctuation, spaces) and ``Inherited`` (combining
marks) are set aside; ``Common`` if nothing is left, ``Mixed`` if two or more remain.

>>> token_script("Привет", char_scripts("Привет")), token_script(" 42!", char_scripts(" 42!"))
('Cyrillic', 'Common')
>>> token_script("aж", char_scripts("aж"))
'Mixed'
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import numpy as np

from ..tokenizer import Tokenizer
from ..vocab import TokenKind, Vocab

NEUTRAL = frozenset({"Common", "Inherited", "Unknown"})
_SCRIPT_PATTERNS: list | None = None
FALLBACK_SCRIPTS = """Common Inherited Latin Greek Cyrillic Armenian Hebrew Arabic Syriac Thaana Devanagari Bengali
Gurmukhi Gujarati Oriya Tamil Telugu Kannada Malayalam Sinhala Thai Lao Tibetan Myanmar Georgian Hangul
Ethiopic Cherokee Khmer Mongolian Hiragana Katakana Bopomofo Han Yi Tifinagh Nko Javanese Balinese
Sundanese Ol_Chiki Canadian_Aboriginal Coptic Glagolitic Runic Ogham Vai Bamum Adlam Braille""".split()
_CHAR_SCRIPT: dict[str, str] = {}


def _script_patterns() -> list:
    """(display name, compiled ``\\p{Script=X}`` class) for every script the regex module knows."""
    global _SCRIPT_PATTERNS
    if _SCRIPT_PATTERNS is None:
        import regex

        try:  # every script the installed regex module knows (its property table)
            from regex import _regex_core

            values = _regex_core.PROPERTIES["SCRIPT"][1]  # long and short aliases -> id
        except (ImportError, AttributeError, KeyError):  # table moved: fall back to the major scripts
            values = {name.upper(): i for i, name in enumerate(FALLBACK_SCRIPTS)}
        names = {}
        for alias, sid in values.items():
            if len(alias) != 4 or alias in ("LAOO", "YIII", "NKOO", "VAII"):  # prefer long names
                names.setdefault(sid, alias)
        pats = []
        for sid, alias in sorted(names.items()):
            pats.append((_display(alias), regex.compile(r"\p{Script=%s}" % alias)))
        _SCRIPT_PATTERNS = pats
    return _SCRIPT_PATTERNS


def _display(alias: str) -> str:
    special = {
        "HANI": "Han",
        "LAOO": "Lao",
        "YIII": "Yi",
        "NKOO": "Nko",
        "VAII": "Vai",
        "ZZZZ": "Unknown",
        "CANADIANABORIGINAL": "Canadian Aboriginal",
        "OLCHIKI": "Ol Chiki",
        "MEETEIMAYEK": "Meetei Mayek",
        "EGYPTIANHIEROGLYPHS": "Egyptian Hieroglyphs",
        "OLDTURKIC": "Old Turkic",
        "TAILE": "Tai Le",
        "TAIVIET": "Tai Viet",
        "NEWTAILUE": "New Tai Lue",
        "TAITHAM": "Tai Tham",
        "OLDITALIC": "Old Italic",
    }
    return special.get(alias, alias.replace("_", " ").title())


def char_scripts(text_or_chars: Iterable[str]) -> dict[str, str]:
    """Script of every distinct character (cached across calls). One regex pass per script."""
    new = "".join(sorted(set(text_or_chars) - _CHAR_SCRIPT.keys()))
    if new:
        for name, pat in _script_patterns():
            for c in pat.findall(new):
                _CHAR_SCRIPT.setdefault(c, name)
        for c in new:
            _CHAR_SCRIPT.setdefault(c, "Unknown")
    return _CHAR_SCRIPT


def token_script(text: str, scripts: dict[str, str]) -> str:
    found = {scripts[c] for c in text} - NEUTRAL
    if not found:
        return "Common"
    return found.pop() if len(found) == 1 else "Mixed"


def script_census(vocab: Vocab) -> tuple[dict[str, int], list[str]]:
    """Count of text tokens per script (plus ``partial UTF-8`` / ``byte fallback`` / ``special``),
    and the script (or group) of every id."""
    texts: list[str | None] = []
    for b in vocab.tokens:
        try:
            texts.append(b.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(None)
    scripts = char_scripts("".join(t for t in texts if t))
    kinds = vocab.kinds
    per_id = []
    is_text = np.zeros(len(vocab), dtype=bool)
    is_text[vocab.text_ids()] = True
    fb = int(TokenKind.BYTE_FALLBACK)
    for t, k, txt in zip(texts, kinds.tolist(), is_text.tolist()):
        if not txt:
            per_id.append("special/unused")
        elif k & fb:
            per_id.append("byte fallback")
        elif t is None:
            per_id.append("partial UTF-8")
        else:
            per_id.append(token_script(t, scripts))
    return dict(Counter(per_id).most_common()), per_id


def byte_length_hist(vocab: Vocab, cap: int = 16) -> dict[str, int]:
    """Text tokens by byte length; lengths above ``cap`` pooled as ``">cap"``.

    >>> byte_length_hist(Vocab([b"a", b"ab", b"abc", b"xyz"]), cap=2)
    {'1': 1, '2': 1, '>2': 2}
    """
    lens = np.array([len(vocab.tokens[i]) for i in vocab.text_ids()], dtype=np.int64)
    out = {str(n): int((lens == n).sum()) for n in range(1, cap + 1) if (lens == n).any()}
    if (lens > cap).any():
        out[f">{cap}"] = int((lens > cap).sum())
    return out


def reachability(tok: Tokenizer, batch: int = 8192) -> dict:
    """Tokens that encoding their own text does not give back (weight-free).

    A text token whose bytes are valid UTF-8 is *reachable* when ``encode(text) == [id]``. With a
    dummy-prefix tokenizer (Llama/Mistral SentencePiece) ``encode(x)`` means ``encode(" " + x)``,
    so only tokens starting with a space can be tested (as ``encode(text[1:])``); the others are
    counted as untested, like partial-UTF-8 tokens and tokens of normalizing tokenizers.
    """
    v = tok.vocab
    if not tok.lossless:
        return {
            "tested": 0,
            "unreachable": 0,
            "untested": len(v),
            "examples": [],
            "ids": [],
            "note": "not tested: the tokenizer normalizes text (decode(encode(x)) != x)",
        }
    ids, texts = [], []
    skip = np.uint8(TokenKind.BYTE_FALLBACK | TokenKind.PARTIAL_UTF8 | TokenKind.ADDED)
    text_ids = v.text_ids()
    for i in text_ids[(v.kinds[text_ids] & skip) == 0].tolist():
        t = v.tokens[i].decode("utf-8")
        if tok.dummy_prefix:
            if not t.startswith(" ") or len(t) < 2:
                continue
            t = t[1:]
        ids.append(i)
        texts.append(t)
    bad: list[int] = []
    for s in range(0, len(texts), batch):
        enc = tok.encode_batch(texts[s : s + batch])
        bad.extend(i for i, e in zip(ids[s : s + batch], enc) if len(e) != 1 or e[0] != i)
    examples = [v.tokens[i].decode("utf-8", errors="replace") for i in bad[:25]]
    note = "dummy prefix: only tokens starting with a space are testable" if tok.dummy_prefix else ""
    return {
        "tested": len(ids),
        "unreachable": len(bad),
        "untested": len(v) - len(ids),
        "examples": examples,
        "ids": bad,
        "note": note,
    }


def census(tok: Tokenizer, check_reachable: bool = True) -> dict:
    """Everything about a vocabulary that needs no text corpus (scripts, lengths, kinds...)."""
    v = tok.vocab
    scripts, _ = script_census(v)
    text_ids = v.text_ids()
    lens = np.array([len(v.tokens[i]) for i in text_ids], dtype=np.int64)
    longest = sorted(text_ids.tolist(), key=lambda i: -len(v.tokens[i]))[:15]
    partial = v.ids_with(TokenKind.PARTIAL_UTF8)
    dups = v.duplicates()
    fb = v.byte_fallback_ids()
    return {
        "vocab_size": len(v),
        "family": v.family,
        "dummy_prefix": bool(tok.dummy_prefix),
        "lossless": bool(tok.lossless),
        "n_text": int(len(text_ids)),
        "n_special": int(len(v.ids_with(TokenKind.SPECIAL))),
        "n_added": int(len(v.ids_with(TokenKind.ADDED))),
        "n_unused": int(len(v.ids_with(TokenKind.UNUSED))),
        "n_byte_fallback": len(fb),
        "byte_coverage": _byte_coverage(v, fb),
        "n_partial_utf8": int(len(partial)),
        "partial_examples": [v.tokens[i].hex() for i in partial[:15].tolist()],
        "n_duplicate_ids": int(sum(len(ids) for ids in dups.values())),
        "duplicate_examples": [[b.decode("utf-8", errors="replace"), ids] for b, ids in list(dups.items())[:10]],
        "byte_length_hist": byte_length_hist(v),
        "mean_token_bytes": round(float(lens.mean()), 3) if len(lens) else 0.0,
        "max_token_bytes": int(lens.max()) if len(lens) else 0,
        "longest_tokens": [v.tokens[i].decode("utf-8", errors="replace") for i in longest],
        "scripts": scripts,
        "reachability": reachability(tok) if check_reachable else None,
    }


def _byte_coverage(v: Vocab, fb: dict[int, int]) -> int:
    """How many of the 256 byte values have a single token (byte-fallback or a 1-byte token)."""
    have = set(fb)
    for i in v.text_ids().tolist():
        if len(v.tokens[i]) == 1:
            have.add(v.tokens[i][0])
    return len(have)
