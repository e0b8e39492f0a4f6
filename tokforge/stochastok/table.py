"""The StochasTok split table: for every token, every way to cut it into two in-vocabulary tokens.

Built from the canonical byte-level `Vocab`, so it works for every backend (byte-level BPE,
tiktoken, SentencePiece with byte fallback). A token ``t`` gets the split ``(a, b)`` for every cut
point ``j`` with ``t[:j]`` and ``t[j:]`` both *producible* tokens (see :func:`producible_mask`).
Special, added, unused and control tokens are never split and never produced. When several ids
hold the same bytes, the piece uses the one `Vocab.id_of` would prefer (a normal token over a
byte-fallback ``<0xNN>``), so ``"a"`` never turns into ``<0x61>``.

The table is stored as CSR arrays (``offsets``, ``left``, ``right``): the splits of token ``t``
are ``zip(left[offsets[t]:offsets[t+1]], right[...])``. It is cached on disk under
``<tokforge cache>/stochastok/`` keyed by ``vocab.fingerprint()``.

>>> from tokforge import Vocab
>>> t = SplitTable.build(Vocab([b"a", b"b", b"ab", b"abb", b"<s>"], [0, 0, 0, 0, 1]))
>>> t.splits(3)   # "abb" = "a"+"bb"? no "bb" token; = "ab"+"b"
[(2, 1)]
>>> t.splits(2), t.splits(4), t.n_splittable
([(0, 1)], [], 2)
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import LoadError
from ..vocab import TokenKind, Vocab

TABLE_VERSION = 1
_NEVER = TokenKind.SPECIAL | TokenKind.ADDED | TokenKind.UNUSED


def producible_mask(vocab: Vocab) -> np.ndarray:
    """Bool per id: may this token be split or appear as a piece (not special/added/unused, not empty)?"""
    ok = (vocab.kinds & np.uint8(_NEVER)) == 0
    lengths = np.fromiter((len(t) for t in vocab.tokens), dtype=np.int64, count=len(vocab))
    return ok & (lengths > 0)


def _piece_index(vocab: Vocab, ok: np.ndarray) -> dict[bytes, int]:
    """bytes -> preferred producible id (normal before byte-fallback; then the lowest id)."""
    index: dict[bytes, int] = {}
    fallback = (vocab.kinds & np.uint8(TokenKind.BYTE_FALLBACK)) != 0
    toks = vocab.tokens
    for i in np.flatnonzero(ok & ~fallback).tolist():
        index.setdefault(toks[i], i)
    for i in np.flatnonzero(ok & fallback).tolist():
        index.setdefault(toks[i], i)
    return index


@dataclass(frozen=True)
class SplitTable:
    """CSR split table of one vocabulary (see the module docstring)."""

    offsets: np.ndarray  # int64, len V+1
    left: np.ndarray  # int32, one entry per split
    right: np.ndarray  # int32
    producible: np.ndarray  # bool, len V: ids that may be split or produced
    fingerprint: str

    @property
    def vocab_size(self) -> int:
        return len(self.offsets) - 1

    @cached_property
    def n_splits(self) -> np.ndarray:
        """Number of splits per id (int64, len V)."""
        return np.diff(self.offsets)

    @property
    def n_splittable(self) -> int:
        return int(np.count_nonzero(self.n_splits))

    def splits(self, token_id: int) -> list[tuple[int, int]]:
        """The (left, right) pairs token ``token_id`` can be split into."""
        a, b = int(self.offsets[token_id]), int(self.offsets[token_id + 1])
        return list(zip(self.left[a:b].tolist(), self.right[a:b].tolist()))

    @classmethod
    def build(cls, vocab: Vocab, progress: bool = False, fingerprint: str | None = None) -> "SplitTable":
        """Compute the table (a pass over every cut point of every producible token)."""
        ok = producible_mask(vocab)
        index = _piece_index(vocab, ok)
        toks = vocab.tokens
        ids = np.flatnonzero(ok).tolist()
        if progress:
            from tqdm import tqdm

            ids = tqdm(ids, desc="stochastok split table", unit="tok", mininterval=0.5)
        counts = np.zeros(len(vocab), dtype=np.int64)
        left: list[int] = []
        right: list[int] = []
        get = index.get
        for i in ids:
            t = toks[i]
            n0 = len(left)
            for j in range(1, len(t)):
                a = get(t[:j])
                if a is not None:
                    b = get(t[j:])
                    if b is not None:
                        left.append(a)
                        right.append(b)
            counts[i] = len(left) - n0
        offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(
            offsets,
            np.asarray(left, dtype=np.int32),
            np.asarray(right, dtype=np.int32),
            ok,
            fingerprint or vocab.fingerprint(),
        )

    # -- on disk ---------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(
            buf,
            version=np.int64(TABLE_VERSION),
            offsets=self.offsets,
            left=self.left,
            right=self.right,
            producible=self.producible,
            fingerprint=np.array(self.fingerprint),
        )
        return buf.getvalue()

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "SplitTable":
        try:
            with np.load(path, allow_pickle=False) as z:
                if int(z["version"]) != TABLE_VERSION:
                    raise LoadError(
                        f"split table version {int(z['version'])} is not {TABLE_VERSION}",
                        where=str(path),
                        fix="delete the file; it is rebuilt on the next use",
                    )
                return cls(z["offsets"], z["left"], z["right"], z["producible"], str(z["fingerprint"]))
        except (OSError, ValueError, KeyError) as e:
            raise LoadError(
                f"cannot read split table ({e.__class__.__name__})",
                where=str(path),
                fix="delete the file; it is rebuilt on the next use",
            ) from None


def cache_path(fingerprint: str) -> Path:
    """Where a table is cached: ``<cache>/stochastok/table-v1-<vocab fingerprint>.npz``."""
    from ..artifacts import cache_dir

    return cache_dir() / "stochastok" / f"table-v{TABLE_VERSION}-{fingerprint}.npz"


def load_table(vocab: Vocab, cache: bool = True, progress: bool = False) -> SplitTable:
    """The split table of ``vocab``: read from the cache, or built (and cached when ``cache``)."""
    fp = vocab.fingerprint()
    path = cache_path(fp) if cache else None
    if path is not None and path.is_file():
        try:
            table = SplitTable.from_file(path)
            if table.fingerprint == fp and table.vocab_size == len(vocab):
                return table
        except LoadError:
            pass  # a stale or corrupt cache entry is rebuilt below
    table = SplitTable.build(vocab, progress=progress, fingerprint=fp)
    if path is not None:
        from ..io import atomic_write_bytes

        atomic_write_bytes(path, table.to_bytes())
    return table
