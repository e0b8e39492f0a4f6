"""New tokens spelled with the old tokenizer: the old ids whose bytes concatenate to each new token.

Valid UTF-8 tokens are encoded in one batch by the old tokenizer's own backend; the result is
checked against the bytes (a SentencePiece dummy-prefix space is dropped). Tokens that do not
round-trip (partial UTF-8, normalisation) are spelled byte by byte with the old single-byte tokens
(byte-level BPE bytes or SentencePiece ``<0xNN>`` fallbacks). Rows that still cannot be spelled
have no decomposition (``ok`` False).

>>> from tokforge.vocab import Vocab
>>> old = Vocab([b"a", b"b", b"ab", b"\\xc3", b"\\xa9"])
>>> indptr, ind, ok = byte_spelling(old, [b"ba", b"\\xc3\\xa9", b"z"])
>>> indptr.tolist(), ind.tolist(), ok.tolist()
([0, 2, 4, 4], [1, 0, 3, 4], [True, True, False])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..vocab import TokenKind, Vocab


def _byte_ids(old: Vocab) -> np.ndarray:
    """Old id for each byte value (-1 if none): a normal single-byte token, else a byte fallback."""
    out = np.full(256, -1, dtype=np.int64)
    for b, i in old.byte_fallback_ids().items():
        out[b] = i
    for i in old.text_ids().tolist():
        t = old.tokens[i]
        if len(t) == 1 and not old.kinds[i] & TokenKind.BYTE_FALLBACK and out[t[0]] < 0:
            out[t[0]] = i
    return out


def byte_spelling(old: Vocab, tokens: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, indices, ok): each token spelled with old single-byte tokens."""
    table = _byte_ids(old)
    lens = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    flat = np.frombuffer(b"".join(tokens), dtype=np.uint8)
    ids = table[flat]
    indptr = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.cumsum(lens, out=indptr[1:])
    bad_row = np.repeat(np.arange(len(tokens)), lens)[ids < 0]
    ok = lens > 0
    ok[bad_row] = False
    keep = np.repeat(ok, lens)
    lens = np.where(ok, lens, 0)
    indptr[1:] = np.cumsum(lens)
    return indptr, ids[keep], ok


def decompose(old_tokenizer, tokens: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, indices, ok): old-tokenizer spelling of each byte string in ``tokens``."""
    old = old_tokenizer.vocab
    texts, where = [], []
    for r, t in enumerate(tokens):
        try:
            texts.append(t.decode("utf-8"))
            where.append(r)
        except UnicodeDecodeError:
            pass
    enc = old_tokenizer.encode_batch(texts) if texts else []
    spelled: list[list[int] | None] = [None] * len(tokens)
    toks = old.tokens
    for r, ids in zip(where, enc):
        if old_tokenizer.dummy_prefix and ids and toks[ids[0]] == b" " and not tokens[r].startswith(b" "):
            ids = ids[1:]
        elif old_tokenizer.dummy_prefix and ids and toks[ids[0]].startswith(b" ") and not tokens[r].startswith(b" "):
            continue  # the prefix space is glued to a word: spell by bytes instead
        if ids and b"".join(toks[i] for i in ids) == tokens[r]:
            spelled[r] = ids
    missing = [r for r, s in enumerate(spelled) if s is None]
    if missing:
        bp, bi, bok = byte_spelling(old, [tokens[r] for r in missing])
        for j, r in enumerate(missing):
            if bok[j]:
                spelled[r] = bi[bp[j] : bp[j + 1]].tolist()
    ok = np.array([s is not None for s in spelled], dtype=bool)
    counts = np.fromiter((len(s) if s else 0 for s in spelled), dtype=np.int64, count=len(spelled))
    indptr = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.fromiter((i for s in spelled if s for i in s), dtype=np.int64, count=int(indptr[-1]))
    return indptr, indices, ok
