"""New tokens as the ORIGINAL tokenizer spells them, padded for the hypernetwork.

The spelling itself is :func:`tokforge.transplant.decompose.decompose` (the one ``fvt`` uses), so
at step 0 the hypernetwork's prediction is exactly ``fvt``. Here it becomes a padded id matrix
(``PAD`` = -1, never a real id) with one length per token; tokens with no spelling get length 0.
The network reads the first ``max_len`` ids; the subword mean it corrects uses all of them.

>>> from tokforge.vocab import Vocab
>>> from tokforge.tokenizer import Tokenizer
>>> old = Vocab([b"a", b"b", b"ab"])
>>> enc = lambda t, s: [{"a": 0, "b": 1}[c] for c in t if c in "ab"]
>>> ids, lens = padded_spelling(Tokenizer(old, enc, name="toy"), [b"ab", b"ba", b"z"])
>>> ids.tolist(), lens.tolist()
([[0, 1], [1, 0], [-1, -1]], [2, 2, 0])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from tokforge.transplant.decompose import decompose
from tokforge.vocab import Vocab

PAD = -1


def to_padded(indptr: np.ndarray, indices: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR spelling -> ``(ids [N, longest] int64 padded with -1, lengths [N] int64)``."""
    lens = np.where(ok, np.diff(indptr), 0).astype(np.int64)
    ids = np.full((len(lens), max(1, int(lens.max(initial=0)))), PAD, dtype=np.int64)
    rows = np.repeat(np.arange(len(lens)), lens)
    starts = np.repeat(indptr[:-1], lens)
    cols = np.arange(len(rows)) - np.repeat(np.cumsum(lens) - lens, lens)
    ids[rows, cols] = indices[starts + cols] if len(rows) else ids[rows, cols]
    return ids, lens


def padded_spelling(old_tokenizer, tokens: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Spell ``tokens`` with ``old_tokenizer`` and pad (see module doc)."""
    return to_padded(*decompose(old_tokenizer, list(tokens)))


class DecompositionCache:
    """Memoised spellings for training, where the same pieces recur from step to step."""

    def __init__(self, old_tokenizer):
        self.old = old_tokenizer
        self._memo: dict[bytes, list[int]] = {}

    def __call__(self, tokens: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
        todo = [t for t in dict.fromkeys(tokens) if t not in self._memo]
        if todo:
            indptr, ind, ok = decompose(self.old, todo)
            for r, t in enumerate(todo):
                self._memo[t] = ind[indptr[r] : indptr[r + 1]].tolist() if ok[r] else []
        rows = [self._memo[t] for t in tokens]
        lens = np.array([len(r) for r in rows], dtype=np.int64)
        ids = np.full((len(rows), max(1, int(lens.max(initial=0)))), PAD, dtype=np.int64)
        for n, r in enumerate(rows):
            ids[n, : len(r)] = r
        return ids, lens


def text_index(vocab: Vocab) -> dict[bytes, int]:
    """Bytes -> lowest id over the tokens text can produce (no special/unused, no empty tokens)."""
    return vocab.text_index()
