"""Decompose new tokens into the ORIGINAL tokenizer's ids: the hypernetwork's (and fvt's) input.

A new token's bytes are encoded with the original tokenizer (exactly: the ids' bytes must
concatenate back to the token's bytes); when the backend cannot do that (invalid UTF-8, a
dummy-prefix space that does not come off cleanly) a greedy longest-match over the original
text tokens is used instead. The result is cut to ``max_len`` ids and right-padded with
``PAD`` (-1 on the way out, never a real id). No torch here.

>>> from tokforge.vocab import Vocab
>>> from tokforge.tokenizer import Tokenizer
>>> old = Vocab([b"a", b"b", b"ab", b" ", b"\\xe2"])
>>> tok = Tokenizer(old, lambda s, sp: greedy_ids(s.encode(), _index(old), 2), name="toy")
>>> ids, lens = decompose([b"abab", b"ba", b"\\xe2a", b"zz"], tok, max_len=3)
>>> ids.tolist(), lens.tolist()
([[2, 2, -1], [1, 0, -1], [4, 0, -1], [-1, -1, -1]], [2, 2, 2, 0])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from tokforge.tokenizer import Tokenizer
from tokforge.vocab import TokenKind, Vocab

PAD = -1


def _index(vocab: Vocab) -> dict[bytes, int]:
    """Bytes -> id over tokens that text can produce (normal, byte-fallback, added; no specials)."""
    out: dict[bytes, int] = {}
    for i in vocab.text_ids().tolist():
        t = vocab.tokens[i]
        if t and t not in out:
            out[t] = i
    fb = vocab.byte_fallback_ids()
    for b, i in fb.items():  # a single byte: prefer the real text token when both exist
        out.setdefault(bytes([b]), i)
    return out


def greedy_ids(data: bytes, index: dict[bytes, int], max_piece: int) -> list[int]:
    """Left-to-right longest match; bytes with no token at all are skipped.

    >>> greedy_ids(b"abc", {b"a": 0, b"ab": 1, b"c": 2}, 2)
    [1, 2]
    """
    out, i, n = [], 0, len(data)
    while i < n:
        for j in range(min(n, i + max_piece), i, -1):
            k = index.get(data[i:j])
            if k is not None:
                out.append(k)
                i = j
                break
        else:
            i += 1
    return out


def _exact(ids: list[int], want: bytes, toks: list[bytes], dummy_prefix: bool) -> list[int] | None:
    """``ids`` if they spell ``want`` (after dropping a lone dummy-prefix space), else None."""
    got = b"".join(toks[i] for i in ids)
    if got == want:
        return ids
    if dummy_prefix and got == b" " + want:
        if ids and toks[ids[0]] == b" ":
            return ids[1:]
    return None


def decompose(tokens: Sequence[bytes], old: Tokenizer, max_len: int,
              batch: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """``(ids [N, max_len] int64 padded with -1, lengths [N] int32)`` for byte strings ``tokens``."""
    vocab = old.vocab
    toks = vocab.tokens
    index = _index(vocab)
    max_piece = max((len(t) for t in index), default=1)
    ids = np.full((len(tokens), max_len), PAD, dtype=np.int64)
    lens = np.zeros(len(tokens), dtype=np.int32)
    texts, where = [], []
    for n, t in enumerate(tokens):
        try:
            texts.append(t.decode("utf-8"))
            where.append(n)
        except UnicodeDecodeError:
            _put(ids, lens, n, greedy_ids(t, index, max_piece))
    for s in range(0, len(texts), batch):
        enc = old.encode_batch(texts[s:s + batch]) if texts[s:s + batch] else []
        for n, e in zip(where[s:s + batch], enc):
            got = _exact(list(e), tokens[n], toks, old.dummy_prefix)
            _put(ids, lens, n, got if got is not None else greedy_ids(tokens[n], index, max_piece))
    return ids, lens


def _put(ids: np.ndarray, lens: np.ndarray, n: int, seq: list[int]) -> None:
    seq = seq[: ids.shape[1]]
    ids[n, : len(seq)] = seq
    lens[n] = len(seq)


class DecompositionCache:
    """Memoised :func:`decompose` for training, where the same pieces recur from step to step."""

    def __init__(self, old: Tokenizer, max_len: int):
        self.old, self.max_len = old, max_len
        self._memo: dict[bytes, tuple[np.ndarray, int]] = {}

    def __call__(self, tokens: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
        todo = [t for t in dict.fromkeys(tokens) if t not in self._memo]
        if todo:
            ids, lens = decompose(todo, self.old, self.max_len)
            for t, row, ln in zip(todo, ids, lens.tolist()):
                self._memo[t] = (row, ln)
        rows = [self._memo[t] for t in tokens]
        out = np.stack([r for r, _ in rows]) if rows else np.zeros((0, self.max_len), np.int64)
        return out, np.array([ln for _, ln in rows], dtype=np.int32)


def special_ids(vocab: Vocab) -> np.ndarray:
    """Ids a hypernetwork does not predict: special and unused tokens."""
    bad = np.uint8(TokenKind.SPECIAL | TokenKind.UNUSED)
    return np.flatnonzero(vocab.kinds & bad)
