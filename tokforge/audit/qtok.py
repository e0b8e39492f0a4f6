"""Qtok's 12 token categories (Chelombitko et al. 2024, "Qtok: A Comprehensive Framework for
Evaluating Multilingual Tokenizer Quality"), reimplemented on the canonical byte vocabulary.

Qtok first turns every vocabulary entry into a *Qtok string*, then classifies that string.
Both steps follow Qtok 0.11 (``qtoklib/tokenizer.py`` and ``qtoklib/classification.py``):

Qtok string of a token (:func:`qtok_string`)
  * special/added tokens: their literal text;
  * byte-fallback ``<0xNN>``: GPT-2's byte-to-unicode character for byte NN (one character);
  * byte-level vocabularies (byte_bpe, tiktoken): the token's bytes read as UTF-8; bytes that
    are not valid UTF-8, or text holding U+FFFD, give ``"<0y" + raw + ">"`` (Qtok's "unicode
    flank" marker);
  * other vocabularies (SentencePiece...): the piece with a leading ``▁`` turned into a space
    (inner ``▁`` kept); a single-character piece whose character is in GPT-2's byte alphabet
    becomes its hex byte, upper-cased (``"a"`` -> ``"0X61"``), exactly as Qtok does.
  Qtok keeps one entry per distinct string, so duplicates count once.

Category of a Qtok string ``s`` (:func:`classify`); "first name word" is the first word of
``unicodedata.name(c)`` (``"LATIN SMALL LETTER A"`` -> ``LATIN``):
  * one character: in GPT-2's byte alphabet -> ``pure_unicode``; no Unicode name ->
    ``char_errors``; first name word in Qtok's script list -> ``char_alpha``; else ``char_other``;
  * starts with a space: any character without a name -> ``spaced_errors``; all characters after
    the space share one first name word from the script list -> ``spaced_alpha``; else
    ``spaced_other``;
  * otherwise: ``<...>`` (not containing ``<0y``) or ``[...]``, unless an HTML tag such as
    ``<br>``/``</p>`` -> ``control_tokens``; starts with ``<0y`` -> ``unicode_flanks``; a
    character without a name -> ``inner_errors``; one shared script word -> ``inner_alpha``;
    else ``inner_other``.
Percentages are over all classified strings of one tokenizer, as in Qtok's ``basic_stats.tsv``.

>>> classify(" the"), classify("ing"), classify("a")
(('spaced_alpha', 'LATIN'), ('inner_alpha', 'LATIN'), ('pure_unicode', ''))
>>> classify("ж"), classify("<|endoftext|>")
(('char_alpha', 'CYRILLIC'), ('control_tokens', ''))
>>> classify("\\n\\n"), classify(" 12"), classify("<0y\\xe2\\x80>")
(('inner_errors', ''), ('spaced_other', ''), ('unicode_flanks', ''))
"""

from __future__ import annotations

import unicodedata
from collections import Counter

from ..vocab import TokenKind, Vocab, bytes_to_unicode

CATEGORIES = (
    "control_tokens",
    "pure_unicode",
    "char_alpha",
    "spaced_alpha",
    "inner_alpha",
    "char_other",
    "spaced_other",
    "inner_other",
    "unicode_flanks",
    "char_errors",
    "spaced_errors",
    "inner_errors",
)

# Qtok's list of first Unicode-name words that count as an alphabet ("LANGUAGES").
SCRIPT_WORDS = frozenset(
    """
ADLAM CHAKMA OL BAMUM OGHAM BOPOMOFO COPTIC RUNIC HALFWIDTH MODI KAITHI LEPCHA SHAVIAN LIMBU BATAK
PHOENICIAN GLAGOLITIC MANDAIC BALINESE SAMARITAN PHAGS-PA OLD BLACK-LETTER SUNDANESE INSCRIPTIONAL
LISU CHAM TAGALOG DESERET TAGBANWA BUGINESE THAANA MONGOLIAN DINGBAT JAVANESE EGYPTIAN GEORGIAN NKO
TIFINAGH GURMUKHI BENGALI SINHALA ORIYA TAI KANGXI CANADIAN CHEROKEE LAO TELUGU SYRIAC TAMIL BRAILLE
ETHIOPIC MYANMAR HEBREW ARABIC TIBETAN HIRAGANA CYRILLIC GREEK CJK LATIN KATAKANA KHMER THAI ARMENIAN
YI HANGUL GOTHIC MALAYALAM DEVANAGARI GUJARATI KANNADA MEETEI ARABIC-INDIC
""".split()
)

HTML_TAGS = frozenset("br h1 h2 h3 h4 h5 h6 b img li tr td p th u em".split())
BYTE_LEVEL_FAMILIES = frozenset({"byte_bpe", "tiktoken"})
_BYTE_CHAR = bytes_to_unicode()  # byte -> character
_CHAR_BYTE = {c: b for b, c in _BYTE_CHAR.items()}
_ALPHABET = frozenset(_CHAR_BYTE)  # GPT-2's 256 byte characters
_SPM_SPACE = "\u2581"
_SPECIAL_ADDED, _FALLBACK = int(TokenKind.SPECIAL | TokenKind.ADDED), int(TokenKind.BYTE_FALLBACK)

_NAME_CACHE: dict[str, str | None] = {}


def _first_word(c: str) -> str | None:
    """First word of the character's Unicode name; None if it has no name (controls, unassigned)."""
    w = _NAME_CACHE.get(c, "")
    if w == "":
        name = unicodedata.name(c, None)
        w = name.split()[0] if name else None
        _NAME_CACHE[c] = w
    return w


def qtok_string(b: bytes, kind: int, family: str) -> str:
    """The string Qtok would see for a token (see module docstring).

    >>> qtok_string(b" hello", 0, "byte_bpe"), qtok_string(b"\\xe2\\x80", 0, "byte_bpe")
    (' hello', '<0y\\xe2\\x80>')
    >>> qtok_string(b"a", 0, "sentencepiece"), qtok_string(b"\\n", TokenKind.BYTE_FALLBACK, "sentencepiece")
    ('0X61', 'Ċ')
    """
    if kind & _SPECIAL_ADDED:
        return b.decode("utf-8", errors="replace")
    if kind & _FALLBACK:
        return _BYTE_CHAR[b[0]]
    if family in BYTE_LEVEL_FAMILIES:
        try:
            s = b.decode("utf-8")
        except UnicodeDecodeError:
            s = "\ufffd"
        # Qtok marks any token whose decoded text holds U+FFFD (even a real one) as a flank
        return "<0y" + b.decode("latin-1") + ">" if "\ufffd" in s else s
    s = b.decode("utf-8", errors="replace")
    if s.startswith(" ") and len(s) > 1:
        return " " + s[1:].replace(" ", _SPM_SPACE)
    s = s.replace(" ", _SPM_SPACE)
    if len(s) == 1 and s in _ALPHABET:
        return hex(_CHAR_BYTE[s]).upper()
    return s


def _one_script(chars: str) -> str:
    """The shared first name word of ``chars`` if it is one of Qtok's script words, else ''."""
    words = {_first_word(c) for c in chars}
    if len(words) == 1:
        w = next(iter(words))
        if w in SCRIPT_WORDS:
            return w
    return ""


def classify(s: str) -> tuple[str, str]:
    """(category, script word or '') of one Qtok string."""
    if len(s) > 1 and s.isascii() and (s[1:] if s[0] == " " else s).isalpha():  # fast path, same answer:
        return ("spaced_alpha" if s[0] == " " else "inner_alpha"), "LATIN"  # ASCII letters are all LATIN
    if len(s) == 1:
        if s in _ALPHABET:
            return "pure_unicode", ""
        w = _first_word(s)
        if w is None:
            return "char_errors", ""
        return ("char_alpha", w) if w in SCRIPT_WORDS else ("char_other", "")
    if s.startswith(" "):
        if any(_first_word(c) is None for c in s):
            return "spaced_errors", ""
        w = _one_script(s[1:])
        return ("spaced_alpha", w) if w else ("spaced_other", "")
    if (s.startswith("<") and s.endswith(">") and "<0y" not in s) or (s.startswith("[") and s.endswith("]")):
        if s[1:-1].lower().replace("/", "") not in HTML_TAGS:
            return "control_tokens", ""
    if s.startswith("<0y"):
        return "unicode_flanks", ""
    if any(_first_word(c) is None for c in s):
        return "inner_errors", ""
    w = _one_script(s)
    return ("inner_alpha", w) if w else ("inner_other", "")


def qtok_strings(vocab: Vocab) -> dict[str, int]:
    """Distinct Qtok string -> first id holding it (Qtok's vocabulary dict)."""
    out: dict[str, int] = {}
    kinds = vocab.kinds.tolist()
    for i, (b, k) in enumerate(zip(vocab.tokens, kinds)):
        out.setdefault(qtok_string(b, k, vocab.family), i)
    return out


def qtok_categories(vocab: Vocab) -> dict:
    """Counts and percentages of Qtok's 12 categories, plus alphabet counts by script word.

    Returns ``{"counts": {cat: n}, "percent": {cat: %}, "alpha_scripts": {word: n}, "total": n,
    "examples": {cat: [first few strings]}, "token_category": {id: cat}}``.
    """
    counts: Counter = Counter()
    scripts: Counter = Counter()
    examples: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    ids: dict[int, str] = {}
    for s, i in qtok_strings(vocab).items():
        cat, word = classify(s)
        counts[cat] += 1
        ids[i] = cat
        if word:
            scripts[word] += 1
        if len(examples[cat]) < 5:
            examples[cat].append(s)
    total = sum(counts.values())
    return {
        "counts": {c: int(counts[c]) for c in CATEGORIES},
        "percent": {c: round(100 * counts[c] / total, 2) if total else 0.0 for c in CATEGORIES},
        "alpha_scripts": dict(scripts.most_common()),
        "total": total,
        "examples": examples,
        "token_category": ids,
    }
