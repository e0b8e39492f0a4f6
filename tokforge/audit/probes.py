"""Token viewer and the numbers/code/whitespace probes. All sample text is written for tokforge.

``split(tok, text)`` gives the pieces one tokenizer makes of a text, each marked as normal, special,
byte fallback (``<0xNN>`` tokens) or partial UTF-8 (a token whose bytes are not whole characters;
shown as hex). ``probes(tok)`` measures how digits group, what runs of spaces, tabs and newlines
cost, and bytes/token on a small program.

>>> digit_grouping(["12", "345", "67"]), digit_grouping(["1", "2", "3"]), digit_grouping(["123", "4567"])
('free', '1-digit', 'free')
>>> digit_grouping(["123", "456", "7"])
'3-digit'
"""

from __future__ import annotations

from ..vocab import TokenKind

# One sentence per script family, written for this project (default viewer rows).
SAMPLES = {
    "eng_Latn": "The ferry to the island leaves at dawn, so we packed our bags the night before.",
    "rus_Cyrl": "Паром на остров уходит на рассвете, поэтому мы собрали сумки накануне вечером.",
    "zho_Hans": "去岛上的渡船黎明时出发，所以我们前一天晚上就收拾好了行李。",
    "hin_Deva": "द्वीप जाने वाली नाव सुबह-सुबह निकलती है, इसलिए हमने रात को ही बैग बाँध लिए।",
    "arb_Arab": "تغادر العبّارة إلى الجزيرة عند الفجر، لذلك حزمنا حقائبنا في الليلة السابقة.",
}
CODE = '''def mean_bytes(tokens: list[bytes]) -> float:
    """Average length of the tokens, in bytes."""
    if not tokens:
        return 0.0
    total = 0
    for t in tokens:
        total += len(t)
    return total / len(tokens)


class Counter:
\tdef __init__(self):
\t\tself.n = 0  # tab-indented on purpose
'''
NUMBERS = "In 2024 the plant made 1234567 parts at 99.95% yield; order #00042 costs $3,141.59 (was 2718)."
DIGITS = "12345678901234567890"
WHITESPACE = {"spaces": [1, 2, 3, 4, 8, 16], "tabs": [1, 2, 4], "newlines": [1, 2, 4]}


def split(tok, text: str) -> list[list]:
    """``[[shown text, kind], ...]``; kind is '' (normal), 's' special, 'f' byte fallback, 'p' partial UTF-8."""
    v = tok.vocab
    out = []
    for i in tok.encode(text):
        b, k = v.tokens[i], int(v.kinds[i])
        if k & TokenKind.BYTE_FALLBACK:
            out.append([f"<0x{b.hex().upper()}>", "f"])
        elif k & TokenKind.SPECIAL:
            out.append([b.decode("utf-8", errors="replace"), "s"])
        else:
            try:
                out.append([b.decode("utf-8"), ""])
            except UnicodeDecodeError:
                out.append([" ".join(f"{x:02x}" for x in b), "p"])
    return out


def digit_grouping(digit_tokens: list[str]) -> str:
    """How a run of digits was cut: ``1-digit``, ``3-digit`` (left to right) or ``free``."""
    lens = [len(t) for t in digit_tokens]
    if all(n == 1 for n in lens):
        return "1-digit"
    if all(n == 3 for n in lens[:-1]) and 1 <= lens[-1] <= 3:
        return "3-digit"
    return "free"


def _digit_pieces(tok, text: str) -> list[str]:
    return [p.strip() for p, k in split(tok, text) if p.strip()]


def probes(tok) -> dict:
    """Numbers, whitespace and code measurements of one tokenizer."""
    digits = _digit_pieces(tok, DIGITS)
    ws = {}
    for kind, ns in WHITESPACE.items():
        ch = {"spaces": " ", "tabs": "\t", "newlines": "\n"}[kind]
        ws[kind] = {str(n): len(tok.encode("a" + ch * n + "b")) for n in ns}
    code_ids = tok.encode(CODE)
    indent = [ln[: len(ln) - len(ln.lstrip())] for ln in CODE.split("\n") if ln.strip() and ln[:1] in " \t"]
    return {
        "digits": digits,
        "digit_grouping": digit_grouping(digits) if "".join(digits) == DIGITS else "free",
        "numbers_tokens": len(tok.encode(NUMBERS)),
        "whitespace": ws,
        "code_tokens": len(code_ids),
        "code_bytes": len(CODE.encode()),
        "code_bytes_per_token": round(len(CODE.encode()) / max(len(code_ids), 1), 3),
        "indent_tokens": sum(len(tok.encode(x + "x")) - len(tok.encode("x")) for x in indent),
        "indent_lines": len(indent),
    }


def viewer_texts(corpus_texts: dict[str, list[str]] | None, langs: list[str] | None) -> dict[str, str]:
    """Sample per viewer row: tokforge's own sentence for its five languages, else the corpus's first line."""
    rows = {}
    for lang in langs or list(SAMPLES):
        lines = (corpus_texts or {}).get(lang)
        if lang in SAMPLES:
            rows[lang] = SAMPLES[lang]
        elif lines:
            rows[lang] = max(lines[:50], key=len)
    rows["code"] = CODE
    rows["numbers"] = NUMBERS
    return rows
