"""``contract``: the tokenizer's canonical encoding of the bytes a token sequence stands for.

The canonical encoding is defined by the real tokenizer, per the `Tokenizer` contract:

* The sequence is cut at special, added and unused tokens; they are kept as they are, and each
  text segment in between is re-encoded on its own with ``tokenizer.encode``.
* A segment whose bytes are not valid UTF-8 (a character cut at a chunk edge, e.g. a pretraining
  window that ends inside an emoji) cannot be given to an encoder that takes text. Its valid
  UTF-8 runs are encoded as text, and every stray byte becomes its single-byte token (the byte
  token of a byte-level BPE, ``<0xNN>`` of SentencePiece byte fallback).
* Dummy prefix (SentencePiece ``add_dummy_prefix``): at the start of the sequence the bytes are
  what `Tokenizer.decode_bytes` returns (it drops the leading space), so the result satisfies
  ``decode_bytes(contract(x)) == decode_bytes(x)``. After a special token or a stray byte the
  concatenated bytes are kept exactly: a leading space is left to the encoder's own dummy
  prefix; if there is none, the space the encoder adds is taken off its first token again.

So ``contract`` depends only on those bytes and on where the special tokens are: for any ``x``,
``contract(expand(x)) == contract(x)``, and ``contract(tokenizer.encode(text)) ==
tokenizer.encode(text)`` for a lossless tokenizer.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError
from ..tokenizer import Tokenizer
from ..vocab import TokenKind

_KEEP = TokenKind.SPECIAL | TokenKind.ADDED | TokenKind.UNUSED


def _runs(b: bytes) -> list[bytes | int]:
    """Valid UTF-8 runs (bytes) and stray bytes (int), in order."""
    out: list[bytes | int] = []
    while b:
        try:
            b.decode("utf-8")
            out.append(b)
            break
        except UnicodeDecodeError as e:
            if e.start:
                out.append(b[: e.start])
            out.extend(b[e.start : e.end])
            b = b[e.end :]
    return out


def _byte_token(tok: Tokenizer, byte: int) -> int:
    i = tok.vocab.id_of(bytes([byte]))
    if i is None or tok.vocab.kinds[i] & _KEEP:
        raise InputError(
            f"byte 0x{byte:02X} has no single-byte token in {tok.name}",
            where="contract",
            fix="this tokenizer cannot represent invalid UTF-8; pass whole characters",
        )
    return i


def _strip_dummy(tok: Tokenizer, ids: list[int]) -> list[int]:
    """Take the space an encoder's dummy prefix added off the first token."""
    first = tok.vocab.tokens[ids[0]]
    if first == b" ":
        return ids[1:]
    rest = first[1:]
    i = tok.vocab.id_of(rest)
    head = [i] if i is not None and not tok.vocab.kinds[i] & _KEEP else [_byte_token(tok, c) for c in rest]
    return head + ids[1:]


def _encode_run(tok: Tokenizer, b: bytes, at_start: bool) -> list[int]:
    """Canonical ids of one valid UTF-8 run (see the module docstring for the dummy prefix)."""
    if not tok.dummy_prefix:
        return tok.encode(b.decode("utf-8"))
    if b.startswith(b" "):
        if len(b) > 1:
            return tok.encode(b[1:].decode("utf-8"))  # the encoder's dummy prefix is this space
        return [] if at_start else [_byte_token(tok, 0x20)]
    ids = tok.encode(b.decode("utf-8"))
    if at_start or not ids or not tok.vocab.tokens[ids[0]].startswith(b" "):
        return ids
    return _strip_dummy(tok, ids)


def _segment(tok: Tokenizer, b: bytes, at_start: bool) -> list[int]:
    out: list[int] = []
    for k, run in enumerate(_runs(b)):
        if isinstance(run, int):
            out.append(_byte_token(tok, run))
        else:
            out.extend(_encode_run(tok, run, at_start and k == 0))
    return out


def contract(tok: Tokenizer, ids: Sequence[int]) -> list[int]:
    """The canonical encoding of the bytes of ``ids`` (checked ids; see the module docstring)."""
    arr = np.asarray(ids, dtype=np.int64).reshape(-1)
    keep = (tok.vocab.kinds[arr] & np.uint8(_KEEP)) != 0
    toks = tok.vocab.tokens
    out: list[int] = []
    seg_start = 0
    cuts = np.flatnonzero(keep).tolist() + [len(arr)]
    for cut in cuts:
        if cut > seg_start:
            seg = b"".join(toks[i] for i in arr[seg_start:cut].tolist())
            got = _segment(tok, seg, at_start=seg_start == 0)
            _check_same(tok, seg, got, seg_start == 0, seg_start)
            out.extend(got)
        if cut < len(arr):
            out.append(int(arr[cut]))
        seg_start = cut + 1
    return out


def _check_same(tok: Tokenizer, seg: bytes, got: list[int], at_start: bool, where: int) -> None:
    new = b"".join(tok.vocab.tokens[i] for i in got)
    if at_start and tok.dummy_prefix:
        same = new.removeprefix(b" ") == seg.removeprefix(b" ")
    else:
        same = new == seg
    if not same:
        raise InputError(
            f"{tok.name} does not reproduce these bytes when re-encoding (lossy tokenizer?)",
            where=f"segment at position {where}",
            fix="contract needs a lossless tokenizer (tokforge inspect shows round trip)",
        )
