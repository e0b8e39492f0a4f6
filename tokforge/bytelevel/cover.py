"""Covers of a byte string and the canonicality rule, over a `Vocab` (no torch in here).

A *node* is a token sequence that decodes to exactly ``data[:j]`` and passes the canonicality
rule; a *cover* of ``x`` is a node at ``j <= len(x)`` followed by one token whose bytes start
with ``x[j:]``. Summing model probabilities over covers gives the byte-level probability
(Phan et al. 2024, the Byte-Token Representation Lemma).

The canonicality rule (`Canon`) lives in `canon.py`.

>>> from tokforge.vocab import Vocab
>>> ix = TokenIndex(Vocab([b"a", b"b", b"ab", b"<s>"], [0, 0, 0, 1], family="byte_bpe"))
>>> ix.ids_of(b"ab"), ix.maxlen, ix.prefix_range(b"a")
([2], 2, (0, 2))
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..vocab import TokenKind, Vocab
from .canon import Canon

SUPPORTED = ("byte_bpe", "tiktoken", "sentencepiece", "bpe")


def check_family(vocab: Vocab, where: str = "") -> None:
    """Raise a clear error for tokenizer families the byte-level layer cannot treat exactly."""
    if vocab.family not in SUPPORTED:
        raise InputError(
            f"byte-level probabilities need a BPE tokenizer (byte-level BPE or SentencePiece-BPE "
            f"with byte fallback), got family {vocab.family or '?'!r}",
            where=where or vocab.name,
            fix="use a causal LM with a byte-level BPE or SentencePiece tokenizer",
        )


class TokenIndex:
    """Text tokens by bytes: exact lookup, and contiguous ranges of tokens sharing a prefix."""

    def __init__(self, vocab: Vocab):
        bad = int(TokenKind.SPECIAL | TokenKind.UNUSED)
        ids = [i for i in range(len(vocab)) if not (int(vocab.kinds[i]) & bad) and vocab.tokens[i]]
        ids.sort(key=lambda i: (vocab.tokens[i], i))
        self.order = np.asarray(ids, dtype=np.int64)  # position in sorted order -> token id
        self.keys = [vocab.tokens[i] for i in ids]
        self.by_bytes: dict[bytes, list[int]] = {}
        for i in ids:
            self.by_bytes.setdefault(vocab.tokens[i], []).append(i)
        self.maxlen = max((len(k) for k in self.keys), default=0)
        self._bounds: dict[bytes, np.ndarray] = {}

    def ids_of(self, b: bytes) -> list[int]:
        return self.by_bytes.get(b, [])

    def prefix_range(self, r: bytes) -> tuple[int, int]:
        """Sorted positions ``[lo, hi)`` of tokens whose bytes start with ``r``."""
        lo = bisect.bisect_left(self.keys, r)
        return lo, self._upper(r)

    def _upper(self, r: bytes) -> int:
        s = r.rstrip(b"\xff")
        if not s:
            return len(self.keys)
        succ = s[:-1] + bytes([s[-1] + 1])
        return bisect.bisect_left(self.keys, succ)

    def byte_bounds(self, r: bytes) -> np.ndarray:
        """257 sorted positions: tokens starting with ``r + bytes([b])`` are ``[out[b], out[b+1])``."""
        got = self._bounds.get(r)
        if got is None:
            got = np.asarray(
                [bisect.bisect_left(self.keys, r + bytes([b])) for b in range(256)] + [self._upper(r)], dtype=np.int64
            )
            if len(self._bounds) < 200_000:
                self._bounds[r] = got
        return got


@dataclass
class Node:
    """A valid token sequence decoding to ``data[:j]``: its last token, parent node and depth."""

    tok: int
    parent: int
    j: int
    depth: int
    window: tuple[int, ...] = field(default=())


class Covers:
    """All nodes over a byte stream that may grow (``extend``), built position by position.

    ``nodes[0]`` is the root; nodes are in topological order (parents first). ``children[k]``
    maps a token to the child node; ``rejected[i]`` lists ``(k, t)`` where token ``t`` after node
    ``k`` lands exactly at byte ``i`` but the rule rejects the sequence (in the model-leaves view
    such a cover stops the stream there). Validity checks of one position go to the encoder in
    one batch.
    """

    def __init__(self, index: TokenIndex, canon: Canon, max_nodes: int = 200_000):
        self.index, self.canon, self.max_nodes = index, canon, max_nodes
        self.stream = b""
        self.nodes = [Node(-1, -1, 0, 0, ())]
        self.by_j: list[list[int]] = [[0]]
        self.children: list[dict[int, int]] = [{}]
        self.rejected: dict[int, list[tuple[int, int]]] = {}
        self._seen = [0]  # per node: token lengths already examined
        self._open = [True]  # per node: may a longer piece still start a token?

    def extend(self, stream: bytes) -> "Covers":
        """Make the nodes those of ``stream``; reuses everything when it extends the old stream."""
        if not stream.startswith(self.stream):
            self.__init__(self.index, self.canon, self.max_nodes)
        old = len(self.stream)
        if len(stream) == old:
            return self
        self.stream = stream
        self.by_j.extend([] for _ in range(len(stream) - old))
        for j in range(max(0, old - self.index.maxlen), len(stream) + 1):
            if self.by_j[j]:
                self._expand_position(j)
        return self

    def _expand_position(self, j: int) -> None:
        data, index, w = self.stream, self.index, self.canon.window
        N = len(data)
        cands = []  # (node, token, end)
        for k in self.by_j[j]:
            if not self._open[k]:
                continue
            L = self._seen[k]
            while L < min(index.maxlen, N - j):
                L += 1
                piece = data[j : j + L]
                lo, hi = index.prefix_range(piece)
                if lo >= hi:
                    self._open[k] = False
                    break
                cands.extend((k, t, j + L) for t in index.ids_of(piece))
            self._seen[k] = L
        if not cands:
            return
        ok = self.canon.valid_pairs([(seq_for(self.nodes[k], w), t) for k, t, _ in cands])
        for (k, t, e), good in zip(cands, ok):
            if not good:
                self.rejected.setdefault(e, []).append((k, t))
                continue
            node = self.nodes[k]
            self.nodes.append(Node(t, k, e, node.depth + 1, (node.window + (t,))[-(w + 1) :]))
            self.by_j[e].append(len(self.nodes) - 1)
            self.children[k][t] = len(self.nodes) - 1
            self.children.append({})
            self._seen.append(0)
            self._open.append(True)
        if len(self.nodes) > self.max_nodes:
            raise InputError(
                "too many cover nodes", where=f"{len(self.nodes)} nodes at byte {j}", fix="score shorter texts"
            )


def build_nodes(data: bytes, index: TokenIndex, canon: Canon, max_nodes: int = 200_000) -> list[Node]:
    """All nodes over ``data`` in topological order; ``nodes[0]`` is the root (empty sequence).

    >>> from tokforge.vocab import Vocab
    >>> import re
    >>> class T:  # a toy encoder: greedy "ab", else single letters (other characters dropped)
    ...     vocab = Vocab([b"a", b"b", b"ab"], family="byte_bpe"); dummy_prefix = False
    ...     def encode(self, s): return [{"a": 0, "b": 1, "ab": 2}[m] for m in re.findall("ab|a|b", s)]
    ...     def encode_batch(self, xs): return [self.encode(x) for x in xs]
    >>> [(n.tok, n.j) for n in build_nodes(b"ab", TokenIndex(T.vocab), Canon(T()))]
    [(-1, 0), (0, 1), (2, 2)]
    """
    return Covers(index, canon, max_nodes).extend(data).nodes


def seq_for(node: Node, w: int) -> tuple[int, ...]:
    """The sequence view the rule sees: the last ``w`` tokens, padded in length so that
    ``len(seq) <= w`` exactly when the sequence is that short (the window reaches the start)."""
    win = node.window[-w:]
    if node.depth > w:
        return (-1,) + win  # longer than the window: only the last w tokens count
    return win


def node_tokens(nodes: list[Node], k: int) -> list[int]:
    """The full token sequence of node ``k`` (walks the parents)."""
    out = []
    while k > 0:
        out.append(nodes[k].tok)
        k = nodes[k].parent
    return out[::-1]
