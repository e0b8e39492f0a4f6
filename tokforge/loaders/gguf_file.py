"""The vocabulary inside a GGUF file -> `Tokenizer`.

The `Vocab` is read straight from the GGUF metadata with the ``gguf`` library (no weights are
touched, a second or two even for 262k tokens). The encoder is built only when you first
encode: transformers converts the GGUF tokenizer metadata into an HF fast tokenizer.

GGUF token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
``tokenizer.ggml.model`` is ``gpt2`` (byte-level BPE pieces) or ``llama`` (SentencePiece pieces).
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

from ..errors import LoadError
from ..tokenizer import Tokenizer
from ..vocab import TokenKind, Vocab, spm_piece_bytes, unbytelevel

MAGIC = b"GGUF"
_TYPE_KIND = {1: TokenKind.NORMAL, 2: TokenKind.SPECIAL, 3: TokenKind.SPECIAL, 4: TokenKind.ADDED,
              5: TokenKind.UNUSED, 6: TokenKind.BYTE_FALLBACK}


# GGUF value types (gguf spec): scalar struct formats; 8 = string, 9 = array.
_SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
STRING, ARRAY = 8, 9


class _Cursor:
    """Little-endian reader over a memory map; only the key/value section is ever read."""

    def __init__(self, buf, where: str):
        self.buf, self.pos, self.where = buf, 0, where

    def take(self, fmt: str):
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.buf):
            raise LoadError("truncated GGUF file", where=self.where,
                            fix="re-download it; for split artifacts concatenate all parts in order")
        (v,) = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += size
        return v

    def string(self) -> bytes:
        n = self.take("Q")
        if self.pos + n > len(self.buf):
            raise LoadError("truncated GGUF file", where=self.where, fix="re-download it")
        s = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return s

    def value(self, vtype: int):
        if vtype == STRING:
            return self.string()
        if vtype == ARRAY:
            etype, count = self.take("I"), self.take("Q")
            if etype in _SCALAR:  # read the whole array in one unpack
                fmt = f"<{count}{_SCALAR[etype]}"
                size = struct.calcsize(fmt)
                if self.pos + size > len(self.buf):
                    raise LoadError("truncated GGUF file", where=self.where, fix="re-download it")
                out = list(struct.unpack_from(fmt, self.buf, self.pos))
                self.pos += size
                return out
            return [self.value(etype) for _ in range(count)]
        if vtype not in _SCALAR:
            raise LoadError(f"corrupt GGUF file (unknown value type {vtype})", where=self.where, fix="re-download it")
        return self.take(_SCALAR[vtype])


def read_kv(path: Path) -> dict:
    """All key/value metadata of a GGUF file (tensors are not read)."""
    where = str(path)
    try:
        fh = open(path, "rb")
    except OSError as e:
        raise LoadError(f"cannot open GGUF file ({e.strerror})", where=where) from None
    with fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        if buf[:4] != MAGIC:
            raise LoadError("not a GGUF file (bad magic)", where=where, fix="pass a .gguf file")
        cur = _Cursor(buf, where)
        cur.pos = 4
        version = cur.take("I")
        if version not in (2, 3):
            raise LoadError(f"unsupported GGUF version {version}", where=where, fix="tokforge reads GGUF v2 and v3")
        cur.take("Q")  # tensor count
        n_kv = cur.take("Q")
        kv = {}
        for _ in range(n_kv):
            key = cur.string().decode("utf-8", errors="replace")
            kv[key] = cur.value(cur.take("I"))
    return kv


def read_metadata(path: Path) -> dict:
    """Tokenizer metadata of a GGUF file: model, pre, tokens (list[str]), types (list[int]), ids."""
    kv = read_kv(path)
    if "tokenizer.ggml.tokens" not in kv:
        raise LoadError("GGUF file has no tokenizer vocabulary", where=str(path),
                        fix="use a GGUF file exported with its tokenizer (tokenizer.ggml.tokens)")
    text = lambda k: kv[k].decode("utf-8") if isinstance(kv.get(k), bytes) else kv.get(k)  # noqa: E731
    tokens = [t.decode("utf-8", errors="surrogateescape") for t in kv["tokenizer.ggml.tokens"]]
    meta = {"model": text("tokenizer.ggml.model"), "pre": text("tokenizer.ggml.pre"), "tokens": tokens,
            "types": kv.get("tokenizer.ggml.token_type") or [1] * len(tokens), "arch": text("general.architecture"),
            "add_space_prefix": kv.get("tokenizer.ggml.add_space_prefix")}
    for role in ("bos", "eos", "unknown", "padding", "mask", "cls", "seperator"):
        v = kv.get(f"tokenizer.ggml.{role}_token_id")
        if v is not None:
            meta[f"{role}_id"] = int(v)
    return meta


ROLE_NAMES = {"bos": "bos", "eos": "eos", "unknown": "unk", "padding": "pad", "mask": "mask", "cls": "cls", "seperator": "sep"}


def vocab_from_metadata(meta: dict, name: str) -> Vocab:
    family = "byte_bpe" if meta["model"] == "gpt2" else "sentencepiece"
    tokens, kinds = [], []
    for piece, t in zip(meta["tokens"], meta["types"]):
        k = _TYPE_KIND.get(t, TokenKind.NORMAL)
        if k & TokenKind.SPECIAL:
            b = piece.encode("utf-8", errors="surrogateescape")
        elif k == TokenKind.ADDED:
            b = piece.encode("utf-8", errors="surrogateescape")
        elif family == "byte_bpe":
            b = unbytelevel(piece)
            b = b if b is not None else piece.encode("utf-8", errors="surrogateescape")
        else:
            b, is_byte = spm_piece_bytes(piece)
            if k == TokenKind.BYTE_FALLBACK and not is_byte:
                k = TokenKind.NORMAL
        tokens.append(b)
        kinds.append(k)
    roles = {ROLE_NAMES[r]: meta[f"{r}_id"] for r in ROLE_NAMES if f"{r}_id" in meta and 0 <= meta[f"{r}_id"] < len(tokens)}
    return Vocab(tokens, kinds, roles=roles, name=name, family=family)


def load(path: str | Path, name: str | None = None) -> Tokenizer:
    path = Path(path)
    meta = read_metadata(path)
    vocab = vocab_from_metadata(meta, name or path.stem)

    def build_backend():
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        except Exception as e:
            raise LoadError(f"transformers cannot build an encoder from this GGUF ({str(e).splitlines()[0][:120]})",
                            where=str(path), fix="the vocabulary is still available as tokenizer.vocab") from None
        finally:
            hf_logging.set_verbosity(verbosity)
        return tok.backend_tokenizer

    tok: Tokenizer

    def encode(text: str, add_special: bool) -> list[int]:
        return tok.backend.encode(text, add_special_tokens=add_special).ids

    def encode_batch(texts, add_special: bool) -> list[list[int]]:
        return [e.ids for e in tok.backend.encode_batch(list(texts), add_special_tokens=add_special)]

    # llama.cpp's SentencePiece family adds a space prefix unless the file says not to.
    dummy = vocab.family == "sentencepiece" and meta.get("add_space_prefix") not in (False, 0)
    tok = Tokenizer(vocab, encode, name=vocab.name, backend_factory=build_backend, encode_batch_fn=encode_batch,
                    dummy_prefix=dummy, source=str(path))
    return tok
