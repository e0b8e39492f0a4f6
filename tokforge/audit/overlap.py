"""Overlap between vocabularies, compared by token bytes (never by display strings).

Only text tokens count (special and unused tokens are left out): ``<s>`` in one vocabulary and
``<|endoftext|>`` in another are control symbols, not shared text.

>>> a, b = {b"a", b"b", b"ab"}, {b"a", b"b", b"c", b"bc"}
>>> jaccard(a, b), share(a, b), share(b, a)
(0.4, 0.666667, 0.5)
"""

from __future__ import annotations

from ..vocab import Vocab


def text_set(vocab: Vocab) -> set[bytes]:
    return {vocab.tokens[i] for i in vocab.text_ids().tolist()}


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    u = len(a | b)
    return round(len(a & b) / u, 6) if u else 0.0


def share(a: set[bytes], b: set[bytes]) -> float:
    """Share of ``a`` that is also in ``b`` (asymmetric)."""
    return round(len(a & b) / len(a), 6) if a else 0.0


def overlap_tables(sets: dict[str, set[bytes]], known: dict | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """``{"jaccard": {A: {B: x}}, "share": {A: {B: share of A in B}}}`` for every pair (the values of
    `jaccard` and `share`, from one intersection per pair: a union's size is ``|A| + |B| - |A & B|``).
    ``known``: ``{(A, B): |A & B|}`` of pairs counted before (the reference panel's, cached).

    >>> overlap_tables({"x": {b"a", b"b"}, "y": {b"a", b"c", b"d"}})["jaccard"]["x"]
    {'x': 1.0, 'y': 0.25}
    """
    names = list(sets)
    common: dict[tuple[str, str], int] = {}
    for i, a in enumerate(names):
        for b in names[i:]:
            n = (known or {}).get((a, b))
            if n is None:
                n = len(sets[a]) if a == b else len(sets[a] & sets[b])
            common[a, b] = common[b, a] = n

    def jac(a: str, b: str) -> float:
        u = len(sets[a]) + len(sets[b]) - common[a, b]
        return round(common[a, b] / u, 6) if u else 0.0

    def sh(a: str, b: str) -> float:
        return round(common[a, b] / len(sets[a]), 6) if sets[a] else 0.0

    return {
        "jaccard": {a: {b: jac(a, b) for b in names} for a in names},
        "share": {a: {b: sh(a, b) for b in names} for a in names},
    }


def diff(a: Vocab, b: Vocab, limit: int | None = None) -> dict:
    """Tokens only in ``a`` and only in ``b`` (bytes shown as text; invalid UTF-8 as hex).

    >>> d = diff(Vocab([b"a", b"xy"]), Vocab([b"a", b"z"]))
    >>> d["only_a"], d["only_b"], d["n_common"]
    (['xy'], ['z'], 1)
    """
    sa, sb = text_set(a), text_set(b)
    only_a = sorted(sa - sb, key=lambda t: (len(t), t))
    only_b = sorted(sb - sa, key=lambda t: (len(t), t))
    show = lambda ts: [_show(t) for t in (ts[:limit] if limit else ts)]  # noqa: E731
    return {
        "only_a": show(only_a),
        "only_b": show(only_b),
        "n_only_a": len(only_a),
        "n_only_b": len(only_b),
        "n_common": len(sa & sb),
    }


def _show(t: bytes) -> str:
    try:
        return t.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + t.hex()
