"""Covers of a byte string and the canonicality rule, over a `Vocab` (no torch in here).

A *node* is a token sequence that decodes to exactly ``data[:j]`` and passes the canonicality
rule; a *cover* of ``x`` is a node at ``j <= len(x)`` followed by one token whose bytes start
with ``x[j:]``. Summing model probabilities over covers gives the byte-level probability
(Phan et al. 2024, the Byte-Token Representation Lemma).

Canonicality rule (:meth:`Canon.valid`): appending token ``t`` to a sequence ``s`` is valid when,
for some probe ``y`` in ``PROBES`` (or a UTF-8 completion of a cut character), the tokenizer's
own encoding of ``bytes(window) + y`` keeps ``s[-1]`` and ``t`` as tokens at their byte offsets;
``window`` is the last ``WINDOW`` tokens of ``s`` plus ``t`` (left context for pretokenizers).
Windows no probe can turn into valid UTF-8 are accepted (the tokenizer cannot be asked). On a
byte-level BPE most pairs are decided without the encoder, with the same answers (`bigram`).

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
from ..vocab import TokenKind, Vocab, valid_utf8

SUPPORTED = ("byte_bpe", "tiktoken", "sentencepiece", "bpe")
PROBES = (b"", b"a", b".", b" ", b"0", b"\n")
WINDOW = 6


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


def _cut_tail(b: bytes) -> int:
    """How many continuation bytes the last (cut) UTF-8 character still needs; 0 if none."""
    for back in range(1, min(4, len(b)) + 1):
        c = b[-back]
        if c & 0xC0 == 0x80:
            continue
        need = 1 if c >= 0xC0 and c < 0xE0 else 2 if c >= 0xE0 and c < 0xF0 else 3 if c >= 0xF0 else 0
        return max(0, need - (back - 1))
    return 0


def completions(b: bytes, limit: int = 64) -> list[bytes]:
    """Valid-UTF-8 versions of ``b`` whose last character was cut: append the missing bytes.

    >>> completions("é".encode()[:1])[:1]
    [b'\\xc3\\x80']
    """
    need = _cut_tail(b)
    if not need:
        return [b] if valid_utf8(b) else []
    out = []
    for first in range(0x80, 0xC0):
        c = b + bytes([first]) + b"\x80" * (need - 1)
        if valid_utf8(c):
            out.append(c)
            if len(out) >= limit:
                break
    return out


class Canon:
    """The canonicality rule, backed by the real encoder, with caching."""

    def __init__(self, tokenizer, window: int = WINDOW, probes: tuple[bytes, ...] = PROBES):
        self.tok = tokenizer
        self.vocab = tokenizer.vocab
        self.dummy = bool(tokenizer.dummy_prefix)
        self.window, self.probes = window, probes
        self._cache: dict = {}
        self._enc_cache: dict[bytes, list[int] | None] = {}
        self._bigram: object = False  # not built yet; then a `bigram.BigramTest` or None

    # -- encoding of stream bytes ----------------------------------------------------------
    def stream_prefix(self) -> bytes:
        """Bytes the token stream has before the text (SentencePiece dummy prefix: a space)."""
        return b" " if self.dummy else b""

    def encode_stream(self, b: bytes, at_start: bool = True) -> tuple[list[int], int] | None:
        """(ids, shift): the tokenizer's encoding of stream bytes ``b``; the ids cover
        ``shift`` extra leading bytes (a dummy space the encoder added). None if not UTF-8."""
        got = self._text(b, at_start)
        if got is None:
            return None
        text, shift = got
        ids = self._enc_cache.get(text) if len(text) < 64 else None
        if ids is None:
            ids = self.tok.encode(text)
            if len(text) < 64 and len(self._enc_cache) < 500_000:
                self._enc_cache[text] = ids
        return ids, shift

    def canonical(self, data: bytes) -> list[int] | None:
        """The canonical token sequence of stream bytes ``data`` (None if not UTF-8)."""
        got = self.encode_stream(data, at_start=True)
        return None if got is None else got[0]

    # -- the rule ----------------------------------------------------------------------------
    @property
    def bigram(self):
        """The fast sufficient test of byte-level BPE (`bigram.BigramTest`), or None for other tokenizers."""
        if self._bigram is False:
            from .bigram import BigramTest

            self._bigram = BigramTest.build(self.tok)
        return self._bigram

    def valid(self, seq: tuple[int, ...], t: int) -> bool:
        """May token ``t`` follow the (valid) sequence ``seq``? Depends on ``seq[-WINDOW:]`` only."""
        said = self.bigram.decide(seq[-1], t) if seq and self.bigram is not None else None
        if said is not None:
            return said
        ctx = seq[-self.window :]
        at_start = len(seq) <= self.window
        key = (ctx, t, at_start)
        got = self._cache.get(key)
        if got is None:
            got = self._check(ctx, t, at_start)
            self._remember(key, got)
        return got

    def valid_many(self, seq: tuple[int, ...], ids) -> np.ndarray:
        """``[valid(seq, t) for t in ids]``, with the encoder called in batches (one per probe)."""
        fast = self.bigram
        if not seq or fast is None or not hasattr(fast, "decide_many"):
            return self.valid_pairs([(seq, int(t)) for t in ids])
        said = fast.decide_many(seq[-1], ids)
        out = np.array([bool(x) for x in said], dtype=bool)
        ask = [n for n, x in enumerate(said) if x is None]
        if ask:
            out[ask] = self.valid_pairs([(seq, int(ids[n])) for n in ask])
        return out

    def valid_pairs(self, pairs: list[tuple[tuple[int, ...], int]]) -> np.ndarray:
        """``[valid(seq, t) for seq, t in pairs]``: cache hits first, then one batched encoder
        call per probe for the rest (cut characters take the one-by-one path)."""
        out = np.zeros(len(pairs), dtype=bool)
        todo: dict[int, tuple] = {}
        toks = self.vocab.tokens
        ctx_bytes: dict[tuple[int, ...], bytes] = {}
        fast = self.bigram
        for n, (seq, t) in enumerate(pairs):
            said = fast.decide(seq[-1], t) if seq and fast is not None else None
            if said is not None:
                out[n] = said
                continue
            ctx = seq[-self.window :]
            at_start = len(seq) <= self.window
            key = (ctx, t, at_start)
            got = self._cache.get(key)
            if got is not None:
                out[n] = got
                continue
            cb = ctx_bytes.get(ctx)
            if cb is None:
                cb = ctx_bytes[ctx] = b"".join(toks[i] for i in ctx)
            wb = cb + toks[t]
            strip = 0
            if not at_start:
                while strip < min(3, len(wb)) and wb[strip] & 0xC0 == 0x80:
                    strip += 1
            if _cut_tail(wb) or strip > len(cb) - (len(toks[ctx[-1]]) if ctx else 0) or not valid_utf8(wb[strip:]):
                out[n] = self.valid(seq, t)  # cut characters: the slow path tries completions
                continue
            t_off = len(wb) - len(toks[t])
            want = {t_off - strip: t}
            if ctx:
                want[t_off - len(toks[ctx[-1]]) - strip] = ctx[-1]
            todo[n] = (key, wb[strip:], want, at_start and strip == 0)
        for y in self.probes:
            if not todo:
                break
            asked = [(n, self._text(todo[n][1] + y, todo[n][3])) for n in todo]
            asked = [(n, tx) for n, tx in asked if tx is not None]
            encs = self.tok.encode_batch([tx[0] for _, tx in asked]) if asked else []
            for (n, (_, shift)), ids_ in zip(asked, encs):
                key, _, want, _ = todo[n]
                if _keeps(toks, ids_, shift, want):
                    out[n] = True
                    self._remember(key, True)
                    del todo[n]
        for key, _, _, _ in todo.values():
            self._remember(key, False)
        return out

    def _remember(self, key, value: bool) -> None:
        if len(self._cache) < 2_000_000:
            self._cache[key] = value

    def _text(self, b: bytes, at_start: bool) -> tuple[str, int] | None:
        """(text to encode, shift) for stream bytes ``b``, as :meth:`encode_stream` does."""
        shift = 0
        if self.dummy:
            if b.startswith(b" "):
                b = b[1:]
            elif at_start:
                return None
            else:
                shift = 1
        try:
            return b.decode("utf-8"), shift
        except UnicodeDecodeError:
            return None

    def _check(self, ctx: tuple[int, ...], t: int, at_start: bool) -> bool:
        toks = self.vocab.tokens
        wb = b"".join(toks[i] for i in ctx) + toks[t]
        if self.dummy and at_start and not wb.startswith(b" "):
            return False  # the stream of a dummy-prefix tokenizer starts with its space
        t_off = len(wb) - len(toks[t])
        s_off = t_off - len(toks[ctx[-1]]) if ctx else None
        strip = 0
        if not at_start:  # a window may start inside a character: drop its continuation bytes
            while strip < min(3, len(wb)) and wb[strip] & 0xC0 == 0x80:
                strip += 1
        if s_off is not None and s_off < strip:
            s_off = None
        want = {t_off - strip: t}
        if s_off is not None:
            want[s_off - strip] = ctx[-1]
        asked = False
        for y in self.probes:
            for cand in completions(wb[strip:] + y, limit=64 if y == b"" else 1):
                got = self.encode_stream(cand, at_start=at_start and strip == 0)
                if got is None:
                    continue
                asked = True
                if _keeps(toks, got[0], got[1], want):
                    return True
        return not asked


def _keeps(toks: list[bytes], ids: list[int], shift: int, want: dict[int, int]) -> bool:
    """Does the encoding ``ids`` have token ``want[o]`` starting at byte offset ``o`` (all o)?"""
    pos = -shift
    found = 0
    for i in ids:
        w = want.get(pos)
        if w is not None:
            if i != w:
                return False
            found += 1
            if found == len(want):
                return True
        pos += len(toks[i])
    return False


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
