r"""The canonicality rule over a `Vocab`, backed by the tokenizer's own encoder (no torch in here).

Canonicality rule (:meth:`Canon.valid`): appending token ``t`` to a sequence ``s`` is valid when,
for some probe ``y`` in ``PROBES`` (or a UTF-8 completion of a cut character), the tokenizer's
own encoding of ``bytes(window) + y`` keeps ``s[-1]`` and ``t`` as tokens at their byte offsets;
``window`` is the last ``WINDOW`` tokens of ``s`` plus ``t`` (left context for pretokenizers).
Windows no probe can turn into valid UTF-8 are accepted (the tokenizer cannot be asked). On a
byte-level BPE most pairs are decided without the encoder, with the same answers (`bigram`).

>>> completions(b"caf\xc3")[:2]
[b'caf\xc3\x80', b'caf\xc3\x81']
"""

from __future__ import annotations

import numpy as np

from ..vocab import valid_utf8

PROBES = (b"", b"a", b".", b" ", b"0", b"\n")
WINDOW = 6


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
        if not seq or fast is None:
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
