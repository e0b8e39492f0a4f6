"""The canonical byte-level vocabulary: token id -> bytes, plus what kind of token it is.

Every feature of tokforge reads tokenizers through a :class:`Vocab`. Only loaders build one.
Tokens are compared by their bytes, never by display strings (no guessing of ``Ġ``/``▁``).

Contract
--------
* ``vocab.token_bytes(i)`` is exactly the bytes token ``i`` stands for in decoded text:
  GPT-2's byte-to-unicode mapping undone, SentencePiece's ``▁`` turned into a space,
  byte-fallback pieces ``<0xNN>`` turned into the single byte. Special tokens keep their
  literal text (``b"<|endoftext|>"``) and are marked :attr:`TokenKind.SPECIAL`.
* Kinds are flags: a token can be ``ADDED | SPECIAL``. ``PARTIAL_UTF8`` is computed here,
  never by a loader: it marks tokens whose bytes are not valid UTF-8 on their own.
* ``roles`` maps a role (``bos``, ``eos``, ``pad``, ``unk``, ...) to a token id.

>>> v = Vocab([b"a", b"b", b"ab", b"\\xe2", b"<s>"], [0, 0, 0, 0, TokenKind.SPECIAL], roles={"bos": 4})
>>> v.token_bytes(2), v.id_of(b"ab"), len(v)
(b'ab', 2, 5)
>>> bool(v.kind(3) & TokenKind.PARTIAL_UTF8), v.is_special(4), v.roles["bos"]
(True, True, 4)
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from .errors import InputError, LoadError

FORMAT = "tokforge.vocab"
FORMAT_VERSION = 1


class TokenKind(enum.IntFlag):
    """What a token is. ``NORMAL`` is 0: a token with no flag set."""

    NORMAL = 0
    SPECIAL = 1  # control tokens: bos/eos/pad/unk/<|endoftext|>/[CLS]...; never produced from text
    ADDED = 2  # added on top of the model vocabulary (HF added_tokens, SPM user-defined)
    BYTE_FALLBACK = 4  # SentencePiece <0xNN>: stands for exactly one byte
    PARTIAL_UTF8 = 8  # bytes are not valid UTF-8 on their own (computed by Vocab)
    UNUSED = 16  # placeholder pieces a tokenizer never emits (SPM "unused" type)


def valid_utf8(b: bytes) -> bool:
    """True when ``b`` decodes as UTF-8 on its own.

    >>> valid_utf8("é".encode()), valid_utf8("é".encode()[:1])
    (True, False)
    """
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


class Vocab:
    """Token id -> bytes, with kinds and special-token roles. No torch in here.

    ``tokens[i]`` is the byte string of token ``i``; ``kinds[i]`` its :class:`TokenKind`.
    ``family`` says how the tokenizer builds text from tokens (``byte_bpe``, ``sentencepiece``,
    ``tiktoken``, ``wordpiece``, ``unigram``); features such as byte-level probabilities use it.
    """

    def __init__(
        self,
        tokens: Sequence[bytes],
        kinds: Sequence[int] | None = None,
        roles: Mapping[str, int] | None = None,
        name: str = "",
        family: str = "",
    ):
        self.tokens: list[bytes] = [bytes(t) for t in tokens]
        n = len(self.tokens)
        k = np.zeros(n, dtype=np.uint8) if kinds is None else np.asarray(kinds, dtype=np.uint8).copy()
        if k.shape != (n,):
            raise InputError("kinds must have one entry per token", where=f"{len(k)} kinds for {n} tokens")
        special, partial = int(TokenKind.SPECIAL), int(TokenKind.PARTIAL_UTF8)  # plain ints: enum ops are slow
        for i, (t, ki) in enumerate(zip(self.tokens, k.tolist())):
            if not ki & special and not valid_utf8(t):
                k[i] = ki | partial
        k.setflags(write=False)
        self.kinds = k
        self.roles: dict[str, int] = dict(roles or {})
        for role, i in self.roles.items():
            if not 0 <= i < n:
                raise InputError(f"role {role!r} points outside the vocabulary", where=f"id {i} of {n}")
        self.name = name
        self.family = family
        self._index: dict[bytes, int] | None = None

    # -- basic access ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        return f"Vocab({self.name or 'unnamed'}, {len(self)} tokens, family={self.family or '?'})"

    def _check(self, i: int) -> int:
        if not 0 <= int(i) < len(self.tokens):
            raise InputError("token id out of range", where=f"id {i} (vocabulary has {len(self)} ids)")
        return int(i)

    def token_bytes(self, i: int) -> bytes:
        """Bytes token ``i`` stands for."""
        return self.tokens[self._check(i)]

    def kind(self, i: int) -> TokenKind:
        return TokenKind(int(self.kinds[self._check(i)]))

    def is_special(self, i: int) -> bool:
        return bool(self.kinds[self._check(i)] & TokenKind.SPECIAL)

    def id_of(self, b: bytes, default: int | None = None) -> int | None:
        """The id a byte string maps to; text tokens win over special ones, then the lowest id.

        A byte string with no token gives ``default`` (``None``)."""
        if self._index is None:
            self._index = self._build_index()
        return self._index.get(bytes(b), default)

    def _build_index(self) -> dict[bytes, int]:
        # Preference: normal > byte-fallback > added > unused > special; ties -> lowest id.
        def rank(i: int) -> int:
            k = int(self.kinds[i])
            if k & TokenKind.SPECIAL:
                return 4
            if k & TokenKind.UNUSED:
                return 3
            if k & TokenKind.ADDED:
                return 2
            if k & TokenKind.BYTE_FALLBACK:
                return 1
            return 0

        index: dict[bytes, int] = {}
        best: dict[bytes, int] = {}
        for i, t in enumerate(self.tokens):
            r = rank(i)
            if t not in index or r < best[t]:
                index[t], best[t] = i, r
        return index

    # -- views ----------------------------------------------------------------------------
    def ids_with(self, flag: int) -> np.ndarray:
        """Ids whose kind has ``flag`` set (``ids_with(TokenKind.SPECIAL)``)."""
        return np.flatnonzero(self.kinds & np.uint8(flag))

    def text_ids(self, nonempty: bool = False) -> np.ndarray:
        """Ids of tokens that can appear when encoding text: not special, not unused (and, with
        ``nonempty``, not the empty byte string). The one definition every feature uses.

        >>> Vocab([b"a", b"", b"<s>"], [0, 0, TokenKind.SPECIAL]).text_ids().tolist()
        [0, 1]
        >>> Vocab([b"a", b"", b"<s>"], [0, 0, TokenKind.SPECIAL]).text_ids(nonempty=True).tolist()
        [0]
        """
        bad = np.uint8(TokenKind.SPECIAL | TokenKind.UNUSED)
        ids = np.flatnonzero((self.kinds & bad) == 0)
        if nonempty and ids.size:
            ids = ids[np.fromiter((len(self.tokens[i]) > 0 for i in ids.tolist()), dtype=bool, count=ids.size)]
        return ids

    def text_index(self) -> dict[bytes, int]:
        """Bytes -> lowest id among non-empty text tokens (`text_ids`).

        >>> Vocab([b"<s>", b"a", b"a"], [TokenKind.SPECIAL, 0, 0]).text_index()
        {b'a': 1}
        """
        out: dict[bytes, int] = {}
        for i in self.text_ids(nonempty=True).tolist():
            out.setdefault(self.tokens[i], i)
        return out

    def unreachable_ids(self) -> np.ndarray:
        """Ids encoding never emits although they are not special: UNUSED pieces, and byte-fallback
        tokens whose byte a text token (normal or added) also holds (SentencePiece falls back to
        ``<0xNN>`` only for bytes no piece covers). A model must not give them the rows of the
        tokens they shadow.

        >>> v = Vocab([b",", b",", b"\\xff"], [0, TokenKind.BYTE_FALLBACK, TokenKind.BYTE_FALLBACK])
        >>> v.unreachable_ids().tolist()
        [1]
        """
        normal = {
            t
            for t, k in zip(self.tokens, self.kinds.tolist())
            if not k & (TokenKind.SPECIAL | TokenKind.UNUSED | TokenKind.BYTE_FALLBACK)
        }
        fb = self.ids_with(TokenKind.BYTE_FALLBACK)
        shadowed = [int(i) for i in fb.tolist() if self.tokens[i] in normal]
        return np.union1d(self.ids_with(TokenKind.UNUSED), np.asarray(shadowed, dtype=np.int64)).astype(np.int64)

    @property
    def special_ids(self) -> list[int]:
        return self.ids_with(TokenKind.SPECIAL).tolist()

    def byte_fallback_ids(self) -> dict[int, int]:
        """Byte value -> id of its byte-fallback token (empty if the tokenizer has none)."""
        return {self.tokens[i][0]: int(i) for i in self.ids_with(TokenKind.BYTE_FALLBACK)}

    def missing_bytes(self) -> set[int]:
        """Byte values no single token stands for (neither a 1-byte token nor byte fallback).

        A byte-level BPE tokenizer silently drops such bytes (SmolLM2 has no token for
        0x04, 0xF1, ...), so texts containing them do not round-trip.
        """
        have = {t[0] for t, k in zip(self.tokens, self.kinds.tolist()) if len(t) == 1 and not k & TokenKind.SPECIAL}
        return set(range(256)) - have

    def duplicates(self) -> dict[bytes, list[int]]:
        """Byte strings held by more than one id."""
        seen: dict[bytes, list[int]] = {}
        for i, t in enumerate(self.tokens):
            seen.setdefault(t, []).append(i)
        return {t: ids for t, ids in seen.items() if len(ids) > 1}

    def fingerprint(self) -> str:
        """sha256 over tokens and kinds: a cache key that changes when the vocabulary does."""
        h = hashlib.sha256()
        for t, k in zip(self.tokens, self.kinds.tolist()):
            h.update(len(t).to_bytes(4, "little") + t + bytes([k]))
        return h.hexdigest()

    # -- on disk ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "name": self.name,
            "family": self.family,
            "roles": self.roles,
            "tokens": [t.hex() for t in self.tokens],
            "kinds": [int(k) & ~TokenKind.PARTIAL_UTF8 for k in self.kinds.tolist()],
        }

    @classmethod
    def from_dict(cls, d: dict, where: str = "<dict>") -> "Vocab":
        if d.get("format") != FORMAT:
            raise LoadError("not a tokforge vocabulary file", where=where, fix=f"expected format {FORMAT!r}")
        if d.get("version") != FORMAT_VERSION:
            raise LoadError(
                f"unsupported vocabulary file version {d.get('version')}",
                where=where,
                fix=f"this tokforge reads version {FORMAT_VERSION}",
            )
        return cls(
            [bytes.fromhex(t) for t in d["tokens"]], d["kinds"], d.get("roles"), d.get("name", ""), d.get("family", "")
        )

    def save(self, path: str | os.PathLike) -> Path:
        """Write the versioned JSON format (temp file, then rename)."""
        from .io import atomic_write_text

        return atomic_write_text(path, json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocab":
        from .io import read_json

        return cls.from_dict(read_json(path, "vocabulary file", error=LoadError), where=str(path))


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (used by byte-level BPE vocabularies).

    >>> m = bytes_to_unicode(); m[ord("a")], m[ord(" ")], m[10]
    ('a', 'Ġ', 'Ċ')
    """
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


_BYTE_TO_UNICODE = bytes_to_unicode()
_UNICODE_TO_BYTE = {c: b for b, c in _BYTE_TO_UNICODE.items()}


def bytelevel(b: bytes) -> str:
    """GPT-2's byte-to-unicode spelling of ``b`` (the inverse of :func:`unbytelevel`).

    >>> bytelevel(b" of"), unbytelevel(bytelevel(bytes(range(256)))) == bytes(range(256))
    ('Ġof', True)
    """
    return "".join(_BYTE_TO_UNICODE[x] for x in b)


def unbytelevel(s: str) -> bytes | None:
    """Undo GPT-2's byte-to-unicode mapping; ``None`` if ``s`` is not in that alphabet.

    >>> unbytelevel("Ġhello"), unbytelevel("Ċ"), unbytelevel("€")
    (b' hello', b'\\n', None)
    """
    try:
        return bytes(_UNICODE_TO_BYTE[c] for c in s)
    except KeyError:
        return None


def spm_piece_bytes(piece: str) -> tuple[bytes, bool]:
    """SentencePiece piece -> (bytes, is_byte_fallback). ``▁`` is a space; ``<0xNN>`` one byte.

    >>> spm_piece_bytes("▁the"), spm_piece_bytes("<0x0A>")
    ((b' the', False), (b'\\n', True))
    """
    if len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
        try:
            return bytes([int(piece[3:5], 16)]), True
        except ValueError:
            pass
    return piece.replace("\u2581", " ").encode("utf-8"), False


def concat(vocab: Vocab, ids: Iterable[int]) -> bytes:
    """Concatenate the bytes of ``ids`` (special tokens included as their literal text)."""
    toks = vocab.tokens
    n = len(toks)
    out = []
    for i in ids:
        if not 0 <= i < n:
            raise InputError("token id out of range", where=f"id {i} (vocabulary has {n} ids)")
        out.append(toks[i])
    return b"".join(out)
