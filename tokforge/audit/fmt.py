"""Formatting shared by the audit's printed table and its HTML pages (no dependency on the report).

>>> cell(1.23456), cell(12345), cell(None), plural(2, "language")
('1.235', '12,345', '-', '2 languages')
>>> token_html("a<b")
'<code class="tok">a&lt;b</code>'
"""

from __future__ import annotations

import html
import math


def plural(n: int, word: str) -> str:
    """``1 tokenizer``, ``3 tokenizers``.

    >>> plural(1, "tokenizer"), plural(2, "language")
    ('1 tokenizer', '2 languages')
    """
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def cell(x, digits: int = 3) -> str:
    """A table cell: floats to ``digits`` decimals, ints with thousands separators, missing as ``-``."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def escape(x) -> str:
    """Any value as HTML-escaped text."""
    return html.escape(str(x))


def token_html(s: str) -> str:
    """One token's text as an HTML chip (escaped, control characters shown as escapes)."""
    return f'<code class="tok">{escape(repr(s)[1:-1])}</code>'


def notable_html(t: dict) -> str:
    """A tokenizer's notable tokens (unreachable, partial UTF-8, longest, duplicates, Qtok examples) as HTML."""
    c = t["census"]
    r = c.get("reachability") or {}
    parts = [f"<details><summary>{escape(t['name'])}</summary>"]
    if r.get("examples"):
        parts.append(
            f"<p class='note'>Unreachable (encoding the token's own text gives other tokens; "
            f"{r['unreachable']:,} of {r['tested']:,} tested{'; ' + escape(r['note']) if r.get('note') else ''}):</p>"
            + "".join(token_html(s) for s in r["examples"])
        )
    elif r.get("note"):
        parts.append(f"<p class='note'>Reachability: {escape(r['note'])}</p>")
    if c["partial_examples"]:
        parts.append(
            f"<p class='note'>Partial UTF-8 ({c['n_partial_utf8']:,}; hex):</p>"
            + "".join(token_html(h) for h in c["partial_examples"])
        )
    parts.append("<p class='note'>Longest tokens:</p>" + "".join(token_html(s) for s in c["longest_tokens"]))
    if c["duplicate_examples"]:
        parts.append(
            f"<p class='note'>Byte strings held by several ids ({c['n_duplicate_ids']:,} ids):</p>"
            + "".join(f"{token_html(s)} ids {escape(ids)} " for s, ids in c["duplicate_examples"])
        )
    ex = t["qtok"]["examples"]
    parts.append(
        "<p class='note'>Qtok category examples:</p>"
        + "".join(f"<div><b>{escape(k)}</b>: {''.join(token_html(s) for s in v)}</div>" for k, v in ex.items() if v)
    )
    return "".join(parts) + "</details>"
