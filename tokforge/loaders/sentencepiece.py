"""SentencePiece ``.model`` (protobuf) -> `Tokenizer`, using the sentencepiece library.

Pieces become bytes with ``▁`` -> space; byte-fallback pieces ``<0xNN>`` become that byte and
are marked :attr:`TokenKind.BYTE_FALLBACK`; control/unknown pieces are SPECIAL, user-defined
pieces ADDED, unused pieces UNUSED. ``add_dummy_prefix`` becomes ``Tokenizer.dummy_prefix``.
A model whose normalizer rewrites text (e.g. ``nmt_nfkc``) or collapses whitespace is lossy, and so
is one without byte fallback for all 256 bytes (it encodes unknown characters as ``<unk>``).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import LoadError
from ..tokenizer import Tokenizer
from ..vocab import TokenKind, Vocab, spm_piece_bytes

# sentencepiece_model.proto: ModelProto.SentencePiece.Type
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def _parse(data: bytes, where: str):
    from sentencepiece import sentencepiece_model_pb2 as pb

    proto = pb.ModelProto()
    try:
        proto.ParseFromString(data)
    except Exception:
        raise LoadError(
            "corrupt SentencePiece model (protobuf does not parse)", where=where, fix="re-download the .model file"
        ) from None
    if not proto.pieces:
        raise LoadError("not a SentencePiece model (no pieces)", where=where, fix="pass a SentencePiece .model file")
    return proto


def vocab_from_proto(proto, name: str, where: str = "") -> Vocab:
    tokens, kinds, roles = [], [], {}
    for i, p in enumerate(proto.pieces):
        t = p.type or NORMAL
        if not isinstance(p.piece, str):  # protobuf hands back bytes for a piece that is not UTF-8
            raise LoadError(
                f"SentencePiece piece {i} is not UTF-8 text", where=where or name, fix="re-download the .model file"
            )
        if t in (CONTROL, UNKNOWN):
            tokens.append(p.piece.encode("utf-8"))
            kinds.append(TokenKind.SPECIAL)
            continue
        b, is_byte = spm_piece_bytes(p.piece)
        k = TokenKind.NORMAL
        if is_byte and t != BYTE:  # a "<0x41>" that is not a byte piece matches its literal text
            b = p.piece.encode("utf-8")
        elif t == BYTE and is_byte:
            k = TokenKind.BYTE_FALLBACK
        elif t == USER_DEFINED:
            k = TokenKind.ADDED
        elif t == UNUSED:
            k = TokenKind.UNUSED
        tokens.append(b)
        kinds.append(k)
    ts = proto.trainer_spec
    for role, i in (("unk", ts.unk_id), ("bos", ts.bos_id), ("eos", ts.eos_id), ("pad", ts.pad_id)):
        if 0 <= i < len(tokens):
            roles[role] = i
            kinds[i] |= TokenKind.SPECIAL
    return Vocab(tokens, kinds, roles=roles, name=name, family="sentencepiece")


def is_lossless(proto, vocab: Vocab) -> bool:
    """True when ``decode_bytes(encode(x)) == x.encode()`` for every text: an identity normalizer that
    keeps whitespace, and byte fallback for all 256 bytes (else unknown characters become ``<unk>``).

    A literal ``▁`` (U+2581) in the text still decodes as a space: SentencePiece's own convention."""
    ns = proto.normalizer_spec
    identity = ns.name in ("identity", "") and not ns.precompiled_charsmap and not ns.normalization_rule_tsv
    return identity and not ns.remove_extra_whitespaces and len(vocab.byte_fallback_ids()) == 256


def load(path: str | Path, name: str | None = None) -> Tokenizer:
    import sentencepiece as spm

    path = Path(path)
    data = path.read_bytes()
    proto = _parse(data, str(path))
    sp = spm.SentencePieceProcessor()
    try:
        sp.LoadFromSerializedProto(data)
    except Exception as e:
        raise LoadError(
            f"sentencepiece rejects this model ({str(e)[:120]})", where=str(path), fix="re-download the .model file"
        ) from None
    vocab = vocab_from_proto(proto, name or path.name, str(path))
    lossless = is_lossless(proto, vocab)

    def encode(text: str, add_special: bool) -> list[int]:
        return sp.encode(text, add_bos=add_special and sp.bos_id() >= 0)

    def encode_batch(texts, add_special: bool) -> list[list[int]]:
        return sp.encode(list(texts), add_bos=add_special and sp.bos_id() >= 0)

    return Tokenizer(
        vocab,
        encode,
        name=vocab.name,
        backend=sp,
        encode_batch_fn=encode_batch,
        dummy_prefix=bool(proto.normalizer_spec.add_dummy_prefix),
        lossless=lossless,
        source=str(path),
    )
