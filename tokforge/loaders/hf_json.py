"""HF ``tokenizer.json`` (a file, or a model directory holding one) -> `Tokenizer`.

Token bytes by model family, decided from the file itself:
* byte-level BPE (a ``ByteLevel`` pre-tokenizer or decoder): GPT-2's byte-to-unicode map undone;
* SentencePiece-style (``Metaspace``/``Replace ▁`` decoders, ``byte_fallback``): ``▁`` -> space,
  ``<0xNN>`` -> that byte;
* WordPiece: ``##`` dropped. WordPiece is lossy (it normalizes and drops whitespace), so
  ``lossless`` is False: ``decode_bytes(encode(x))`` is the normalized text without whitespace.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import LoadError
from ..tokenizer import Tokenizer
from ..vocab import TokenKind, Vocab, spm_piece_bytes, unbytelevel

ROLE_KEYS = ("bos", "eos", "pad", "unk", "mask", "cls", "sep")
# Special-token spellings recognised when no tokenizer_config.json names the roles.
ROLE_GUESSES = {
    "bos": ("<s>", "<bos>", "<|begin_of_text|>", "<|startoftext|>", "<|im_start|>"),
    "eos": ("</s>", "<eos>", "<|endoftext|>", "<|end_of_text|>", "<|im_end|>", "<|eot_id|>"),
    "pad": ("<pad>", "[PAD]", "<|pad|>"),
    "unk": ("<unk>", "[UNK]", "<|unk|>"),
    "mask": ("<mask>", "[MASK]"),
    "cls": ("[CLS]",),
    "sep": ("[SEP]",),
}


def _walk(obj):
    """Yield every dict inside a tokenizer.json component (Sequence components nest)."""
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


def _types(obj) -> set[str]:
    return {d["type"] for d in _walk(obj) if isinstance(d.get("type"), str)}


def family_of(spec: dict) -> str:
    model = spec.get("model") or {}
    kinds = _types(spec.get("pre_tokenizer")) | _types(spec.get("decoder"))
    if model.get("type") == "WordPiece":
        return "wordpiece"
    if "ByteLevel" in kinds:
        return "byte_bpe"
    if model.get("type") == "Unigram":
        return "unigram"
    return "sentencepiece" if ("Metaspace" in kinds or model.get("byte_fallback") or _has_metaspace_replace(spec)) else "bpe"


def _has_metaspace_replace(spec: dict) -> bool:
    for d in _walk([spec.get("decoder"), spec.get("normalizer")]):
        if d.get("type") in ("Replace", "Prepend") and "\u2581" in json.dumps(d, ensure_ascii=False):
            return True
    return False


def dummy_prefix_of(spec: dict) -> bool:
    """True when the backend puts a ``▁`` in front of the text (and its decoder strips it)."""
    for d in _walk([spec.get("normalizer"), spec.get("pre_tokenizer")]):
        if d.get("type") == "Prepend" and d.get("prepend") == "\u2581":
            return True
        if d.get("type") == "Metaspace" and d.get("prepend_scheme", "always" if d.get("add_prefix_space") else "never") != "never":
            return True
    return False


def piece_to_bytes(piece: str, family: str, byte_fallback: bool) -> tuple[bytes, bool]:
    if family == "byte_bpe":
        b = unbytelevel(piece)
        return (b if b is not None else piece.encode("utf-8")), False
    if family == "wordpiece":
        return (piece[2:] if piece.startswith("##") else piece).encode("utf-8"), False
    if family in ("sentencepiece", "unigram", "bpe"):
        b, is_byte = spm_piece_bytes(piece)
        return b, is_byte and byte_fallback
    return piece.encode("utf-8"), False


def roles_from_config(d: dict | None, lookup) -> dict[str, int]:
    roles: dict[str, int] = {}
    for role in ROLE_KEYS:
        tok = (d or {}).get(f"{role}_token")
        if isinstance(tok, dict):
            tok = tok.get("content")
        if isinstance(tok, str) and lookup(tok) is not None:
            roles[role] = lookup(tok)
    return roles


def guess_roles(specials: dict[str, int]) -> dict[str, int]:
    roles = {}
    for role, names in ROLE_GUESSES.items():
        for n in names:
            if n in specials:
                roles[role] = specials[n]
                break
    return roles


def build_vocab(spec: dict, backend, name: str, config: dict | None = None) -> Vocab:
    family = family_of(spec)
    model = spec.get("model") or {}
    byte_fallback = bool(model.get("byte_fallback")) or family == "sentencepiece"
    n = backend.get_vocab_size(with_added_tokens=True)
    pieces: list[str | None] = [None] * n
    for piece, i in backend.get_vocab(with_added_tokens=True).items():
        if 0 <= i < n:
            pieces[i] = piece
    added = {a["id"]: a for a in spec.get("added_tokens") or []}
    base_ids = set()
    if model.get("type") == "Unigram":
        base_ids = set(range(len(model.get("vocab") or [])))
    elif isinstance(model.get("vocab"), dict):
        base_ids = set(model["vocab"].values())
    tokens, kinds = [], []
    for i, piece in enumerate(pieces):
        if piece is None:  # a hole in the id space: keep ids aligned, mark unused
            tokens.append(b"")
            kinds.append(TokenKind.UNUSED)
            continue
        k = TokenKind.NORMAL
        if i in added:
            a = added[i]
            if a.get("special"):
                k |= TokenKind.SPECIAL
            if i not in base_ids or not a.get("special"):
                k |= TokenKind.ADDED
            b = a.get("content", piece).encode("utf-8")  # added tokens match raw text
        else:
            b, is_byte = piece_to_bytes(piece, family, byte_fallback)
            if is_byte:
                k |= TokenKind.BYTE_FALLBACK
        tokens.append(b)
        kinds.append(k)
    unk = model.get("unk_token")
    specials = {pieces[i]: i for i in added if added[i].get("special") and i < n}
    if isinstance(unk, str) and unk in (backend.get_vocab(with_added_tokens=True)):
        uid = backend.token_to_id(unk)
        kinds[uid] |= TokenKind.SPECIAL
        specials.setdefault(unk, uid)
    roles = guess_roles(specials)
    roles.update(roles_from_config(config, backend.token_to_id))
    for i in roles.values():
        kinds[i] |= TokenKind.SPECIAL
    return Vocab(tokens, kinds, roles=roles, name=name, family=family)


def from_backend(backend, spec: dict, name: str, config: dict | None = None, source: str = "") -> Tokenizer:
    vocab = build_vocab(spec, backend, name, config)
    # Encode whole texts exactly: a saved padding/truncation setting (MiniLM pads to 128) is not encoding.
    backend.no_padding()
    backend.no_truncation()

    def encode(text: str, add_special: bool) -> list[int]:
        return backend.encode(text, add_special_tokens=add_special).ids

    def encode_batch(texts, add_special: bool) -> list[list[int]]:
        return [e.ids for e in backend.encode_batch(texts, add_special_tokens=add_special)]

    return Tokenizer(vocab, encode, name=name, backend=backend, encode_batch_fn=encode_batch,
                     dummy_prefix=dummy_prefix_of(spec), lossless=vocab.family != "wordpiece", source=source)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise LoadError("tokenizer file is not UTF-8 JSON", where=str(path), fix="pass a tokenizer.json file") from None
    except json.JSONDecodeError as e:
        raise LoadError(f"corrupt JSON (line {e.lineno}, column {e.colno}: {e.msg})", where=str(path),
                        fix="re-download or re-export the tokenizer.json") from None


def load(path: str | Path, name: str | None = None) -> Tokenizer:
    from tokenizers import Tokenizer as HFTokenizer

    path = Path(path)
    folder = path if path.is_dir() else path.parent
    file = path / "tokenizer.json" if path.is_dir() else path
    spec = _read_json(file)
    if not isinstance(spec, dict) or "model" not in spec:
        raise LoadError("JSON file is not an HF tokenizer.json (no 'model' key)", where=str(file),
                        fix="pass a tokenizer.json saved by HF tokenizers/transformers")
    try:
        backend = HFTokenizer.from_str(json.dumps(spec))
    except Exception as e:  # the Rust side reports malformed specs as plain Exceptions
        raise LoadError(f"HF tokenizers cannot read this tokenizer.json ({str(e).splitlines()[0][:160]})",
                        where=str(file), fix="check that it was written by a compatible tokenizers version") from None
    config = None
    for cfg_name in ("tokenizer_config.json", "special_tokens_map.json"):
        cfg = folder / cfg_name
        if cfg.is_file():
            try:
                d = json.loads(cfg.read_text(encoding="utf-8"))
                config = {**(d or {}), **(config or {})}
            except (ValueError, UnicodeDecodeError):
                pass
    return from_backend(backend, spec, name or (folder.name if path.is_dir() else file.stem), config, source=str(path))
