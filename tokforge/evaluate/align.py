"""Where two tokenizations of the same text agree: common token boundaries and the chunks between them.

Both models read the same bytes. Tokenization A ends its tokens at byte offsets ``a_ends`` (the
cumulative byte lengths of its tokens), tokenization B at ``b_ends``. A *chunk* is the span
between two consecutive offsets that both have as a token boundary; inside a chunk each side has
a whole number of tokens, so the log-probability of the chunk's tokens is comparable across the
two models (ALM, Minixhofer et al. 2025). No torch here.

>>> text = b"the cat sat"
>>> a = np.array([3, 7, 11])          # "the", " cat", " sat"
>>> b = np.array([3, 4, 7, 11])       # "the", " ", "cat", " sat"
>>> c = chunks(text, a, b)
>>> c.ends.tolist(), c.a_first.tolist(), c.a_last.tolist(), c.b_first.tolist(), c.b_last.tolist()
([3, 7, 11], [0, 1, 2], [0, 1, 2], [0, 1, 3], [0, 2, 3])
>>> c.next_byte.tolist()               # the byte after each chunk (-1 at the end of the text)
[32, 32, -1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WHITESPACE = frozenset(b" \t\n\r")


def token_ends(vocab_tokens, ids, dummy_prefix: bool = False) -> np.ndarray:
    """Byte offset where each token ends in the decoded text (a SentencePiece dummy-prefix space
    at the very start is not text: offsets move back by one, never below 0).

    >>> token_ends([b" a", b"bc"], [0, 1], dummy_prefix=True).tolist()
    [1, 3]
    """
    lens = np.fromiter((len(vocab_tokens[i]) for i in ids), dtype=np.int64, count=len(ids))
    ends = np.cumsum(lens)
    if dummy_prefix and len(ids) and vocab_tokens[ids[0]].startswith(b" "):
        ends = np.maximum(ends - 1, 0)
    return ends


@dataclass
class Chunks:
    """Chunk ``k`` spans bytes ``[ends[k-1], ends[k])`` (``ends[-1]`` of the previous chunk, 0 first);
    side A's tokens ``a_first[k]..a_last[k]`` (inclusive) and side B's ``b_first[k]..b_last[k]`` lie
    inside it. ``next_byte[k]`` is the text byte right after the chunk, -1 at the end."""

    ends: np.ndarray
    a_first: np.ndarray
    a_last: np.ndarray
    b_first: np.ndarray
    b_last: np.ndarray
    next_byte: np.ndarray

    def __len__(self) -> int:
        return int(self.ends.size)


def chunks(text: bytes, a_ends: np.ndarray, b_ends: np.ndarray, mode: str = "all") -> Chunks:
    """The chunks of ``text`` (see `Chunks`). ``mode="all"``: every common boundary ends a chunk;
    ``"space"``: only common boundaries followed by whitespace (or the end of the text), where
    pretokenizers always split, so the two sides' tokenization biases are alike."""
    a_ends, b_ends = np.asarray(a_ends, np.int64), np.asarray(b_ends, np.int64)
    common = np.intersect1d(a_ends[a_ends > 0], b_ends[b_ends > 0])
    if mode == "space":
        keep = [c == len(text) or text[c] in WHITESPACE for c in common.tolist()]
        common = common[np.asarray(keep, dtype=bool)] if common.size else common
    elif mode != "all":
        raise ValueError(f"unknown chunk mode {mode!r}")
    a_last = np.searchsorted(a_ends, common, side="left")  # the token ending exactly at the boundary
    b_last = np.searchsorted(b_ends, common, side="left")
    a_first = np.concatenate([[0], a_last[:-1] + 1]) if common.size else a_last
    b_first = np.concatenate([[0], b_last[:-1] + 1]) if common.size else b_last
    nxt = np.array([text[c] if c < len(text) else -1 for c in common.tolist()], dtype=np.int64)
    return Chunks(
        common,
        a_first.astype(np.int64),
        a_last.astype(np.int64),
        b_first.astype(np.int64),
        b_last.astype(np.int64),
        nxt,
    )
