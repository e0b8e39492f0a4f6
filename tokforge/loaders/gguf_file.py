"""The vocabulary inside a GGUF file -> `Tokenizer`.

The `Vocab` is read straight from the GGUF metadata with the ``gguf`` library (no weights are
touched, a second or two even for 262k tokens). The encoder is built only when you first
encode: transformers converts the GGUF tokenizer metadata into an HF fast tokenizer.

GGUF token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
``tokenizer.ggml.model`` is ``gpt2`` (byte-level BPE pieces) or ``llama`` (SentencePiece pieces); any
other model (``bert``, ``t5``, ``rwkv``...), an unknown token type, or a piece whose bytes would be a
guess (not UTF-8, outside GPT-2's byte alphabet) is a `LoadError`.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

from ..errors import LoadError
from ..tokenizer import Tokenizer
from ..vocab import TokenKind, Vocab, spm_piece_bytes, unbytelevel

MAGIC = b"GGUF"
_TYPE_KIND = {
    1: TokenKind.NORMAL,
    2: TokenKind.SPECIAL,
    3: TokenKind.SPECIAL,
    4: TokenKind.ADDED,
    5: TokenKind.UNUSED,
    6: TokenKind.BYTE_FALLBACK,
}


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
            raise LoadError(
                "truncated GGUF file",
                where=self.where,
                fix="re-download it; for split artifacts concatenate all parts in order",
            )
        (v,) = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += size
        return v

    def string(self) -> bytes:
        n = self.take("Q")
        if self.pos + n > len(self.buf):
            raise LoadError("truncated GGUF file", where=self.where, fix="re-download it")
        s = bytes(self.buf[self.pos : self.pos + n])
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


FAMILIES = {"gpt2": "byte_bpe", "llama": "sentencepiece"}  # tokenizer.ggml.model -> Vocab.family


def read_metadata(path: Path) -> dict:
    """Tokenizer metadata of a GGUF file: model, pre, tokens (list[str]), types (list[int]), ids."""
    kv = read_kv(path)
    where = str(path)
    tokens = kv.get("tokenizer.ggml.tokens")
    if tokens is None:
        raise LoadError(
            "GGUF file has no tokenizer vocabulary",
            where=where,
            fix="use a GGUF file exported with its tokenizer (tokenizer.ggml.tokens)",
        )
    if not isinstance(tokens, list) or not all(isinstance(t, bytes) for t in tokens):
        raise LoadError("GGUF tokenizer.ggml.tokens is not a list of strings", where=where, fix="re-download it")
    types = kv.get("tokenizer.ggml.token_type", [1] * len(tokens))
    if not isinstance(types, list) or len(types) != len(tokens) or not all(isinstance(t, int) for t in types):
        raise LoadError(
            "GGUF tokenizer.ggml.token_type does not give one integer per token", where=where, fix="re-download it"
        )

    def text(k):
        v = kv.get(k)
        try:
            return v.decode("utf-8") if isinstance(v, bytes) else v
        except UnicodeDecodeError:
            raise LoadError(f"GGUF metadata {k} is not UTF-8", where=where, fix="re-download it") from None

    model = text("tokenizer.ggml.model")
    if model not in FAMILIES:
        raise LoadError(
            f"unsupported GGUF tokenizer model {model!r}",
            where=where,
            fix="tokforge reads tokenizer.ggml.model " + " and ".join(FAMILIES) + " vocabularies",
        )
    meta = {
        "model": model,
        "pre": text("tokenizer.ggml.pre"),
        "tokens": [t.decode("utf-8", errors="surrogateescape") for t in tokens],
        "types": types,
        "arch": text("general.architecture"),
        "add_space_prefix": kv.get("tokenizer.ggml.add_space_prefix"),
    }
    for role in ("bos", "eos", "unknown", "padding", "mask", "cls", "seperator"):
        v = kv.get(f"tokenizer.ggml.{role}_token_id")
        if v is not None:
            if not isinstance(v, int):
                raise LoadError(
                    f"GGUF tokenizer.ggml.{role}_token_id is not an integer", where=where, fix="re-download it"
                )
            meta[f"{role}_id"] = v
    return meta


ROLE_NAMES = {
    "bos": "bos",
    "eos": "eos",
    "unknown": "unk",
    "padding": "pad",
    "mask": "mask",
    "cls": "cls",
    "seperator": "sep",
}


def vocab_from_metadata(meta: dict, name: str, where: str = "") -> Vocab:
    family = FAMILIES.get(meta["model"])
    if family is None:
        raise LoadError(
            f"unsupported GGUF tokenizer model {meta['model']!r}",
            where=where or name,
            fix="tokforge reads tokenizer.ggml.model " + " and ".join(FAMILIES) + " vocabularies",
        )
    tokens, kinds = [], []
    for i, (piece, t) in enumerate(zip(meta["tokens"], meta["types"])):
        if t not in _TYPE_KIND:
            raise LoadError(
                f"GGUF token {i} has unknown type {t}",
                where=where or name,
                fix="types are 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte",
            )
        k = _TYPE_KIND[t]
        if k & (TokenKind.SPECIAL | TokenKind.ADDED):  # literal text; raw bytes kept as they are
            b = piece.encode("utf-8", errors="surrogateescape")
        elif family == "byte_bpe":
            b = unbytelevel(piece)
            if b is None:
                raise LoadError(
                    f"GGUF gpt2 token {i} {piece!r} is outside GPT-2's byte alphabet",
                    where=where or name,
                    fix="a literal token needs type 4 (user-defined) or 3 (control)",
                )
        else:
            try:
                b, is_byte = spm_piece_bytes(piece)
                if not (is_byte and k == TokenKind.BYTE_FALLBACK):  # only byte-typed <0xNN> pieces are one byte
                    b = piece.replace("\u2581", " ").encode("utf-8")
                    k = TokenKind.NORMAL if k == TokenKind.BYTE_FALLBACK else k
            except UnicodeEncodeError:
                raise LoadError(
                    f"GGUF token {i} is not UTF-8 text", where=where or name, fix="re-download it"
                ) from None
        tokens.append(b)
        kinds.append(k)
    roles = {}
    for r, role in ROLE_NAMES.items():
        if f"{r}_id" in meta:
            if not 0 <= meta[f"{r}_id"] < len(tokens):
                raise LoadError(
                    f"GGUF {r}_token_id {meta[f'{r}_id']} is outside the vocabulary ({len(tokens)} tokens)",
                    where=where or name,
                    fix="re-download it",
                )
            roles[role] = meta[f"{r}_id"]
    return Vocab(tokens, kinds, roles=roles, name=name, family=family)


def load(path: str | Path, name: str | None = None) -> Tokenizer:
    path = Path(path)
    meta = read_metadata(path)
    vocab = vocab_from_metadata(meta, name or path.stem, str(path))

    def build_backend():
        from ..extras import require

        require("torch", "encoding with a GGUF tokenizer")  # transformers' GGUF reader imports torch
        require("transformers", "encoding with a GGUF tokenizer")
        from transformers import AutoTokenizer

        from ..hflog import quiet_transformers

        try:
            with quiet_transformers():
                tok = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        except Exception as e:
            raise LoadError(
                f"transformers cannot build an encoder from this GGUF ({str(e).splitlines()[0][:120]})",
                where=str(path),
                fix="the vocabulary is still available as tokenizer.vocab",
            ) from None
        return tok.backend_tokenizer

    tok: Tokenizer

    def encode(text: str, add_special: bool) -> list[int]:
        return tok.backend.encode(text, add_special_tokens=add_special).ids

    def encode_batch(texts, add_special: bool) -> list[list[int]]:
        return [e.ids for e in tok.backend.encode_batch(list(texts), add_special_tokens=add_special)]

    # llama.cpp's SentencePiece family adds a space prefix unless the file says not to.
    dummy = vocab.family == "sentencepiece" and meta.get("add_space_prefix") not in (False, 0)
    tok = Tokenizer(
        vocab,
        encode,
        name=vocab.name,
        backend_factory=build_backend,
        encode_batch_fn=encode_batch,
        dummy_prefix=dummy,
        source=str(path),
    )
    return tok
