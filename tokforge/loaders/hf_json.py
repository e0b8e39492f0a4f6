"""HF ``tokenizer.json`` (a file, or a model directory holding one) -> `Tokenizer`.

Token bytes by model family, decided from the file itself:
* byte-level BPE (a ``ByteLevel`` pre-tokenizer or decoder): GPT-2's byte-to-unicode map undone;
* SentencePiece-style (``Metaspace``/``Replace ▁`` decoders, ``byte_fallback``): ``▁`` -> space,
  ``<0xNN>`` -> that byte;
* WordPiece: ``##`` dropped. WordPiece is lossy (it normalizes and drops whitespace), so
  ``lossless`` is False: ``decode_bytes(encode(x))`` is the normalized text without whitespace.

Nothing is guessed: a byte-level piece outside GPT-2's byte alphabet, two pieces sharing an id, an added
token whose id the backend does not give it, or an unreadable ``tokenizer_config.json`` is a `LoadError`.
``lossless`` is False when a normalizer rewrites text (NFKC, lowercase, accents, stripping...), a
pre-tokenizer drops text (whitespace splitters, ``removed`` splits), or a non-byte-level model lacks
byte fallback for some byte (unknown characters then become ``<unk>``); see :func:`lossless_of`.
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
    return (
        "sentencepiece"
        if ("Metaspace" in kinds or model.get("byte_fallback") or _has_metaspace_replace(spec))
        else "bpe"
    )


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
        if (
            d.get("type") == "Metaspace"
            and d.get("prepend_scheme", "always" if d.get("add_prefix_space") else "never") != "never"
        ):
            return True
    return False


def piece_to_bytes(piece: str, family: str, byte_fallback: bool) -> tuple[bytes, bool]:
    """The bytes a model piece stands for, and whether it is a byte-fallback piece.

    >>> piece_to_bytes("Ġthe", "byte_bpe", False), piece_to_bytes("<0x0A>", "sentencepiece", True)
    ((b' the', False), (b'\\n', True))
    >>> piece_to_bytes("€", "byte_bpe", False)
    Traceback (most recent call last):
    ValueError: '€' is not in GPT-2's byte alphabet
    """
    if family == "byte_bpe":
        b = unbytelevel(piece)
        if b is None:  # the ByteLevel pre-tokenizer never produces it; its bytes would be a guess
            raise ValueError(f"{piece!r} is not in GPT-2's byte alphabet")
        return b, False
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


def _check_ids(spec: dict, backend, name: str) -> None:
    """Every id means one piece: model pieces have distinct ids, added tokens have the ids the file gives them."""
    vocab = (spec.get("model") or {}).get("vocab")
    if isinstance(vocab, dict) and len(set(vocab.values())) != len(vocab):
        seen: dict = {}
        for piece, i in vocab.items():
            if i in seen:
                raise LoadError(
                    f"pieces {seen[i]!r} and {piece!r} share id {i}",
                    where=name,
                    fix="re-download or re-export the tokenizer.json",
                )
            seen[i] = piece
    for a in spec.get("added_tokens") or []:
        got = backend.token_to_id(a.get("content", ""))
        if got != a.get("id"):
            raise LoadError(
                f"added token {a.get('content')!r} has id {a.get('id')} in the file, {got} in the tokenizer",
                where=name,
                fix="re-download or re-export the tokenizer.json",
            )


def build_vocab(spec: dict, backend, name: str, config: dict | None = None) -> Vocab:
    family = family_of(spec)
    model = spec.get("model") or {}
    byte_fallback = bool(model.get("byte_fallback")) or family == "sentencepiece"
    _check_ids(spec, backend, name)
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
            try:
                b, is_byte = piece_to_bytes(piece, family, byte_fallback)
            except ValueError as e:
                raise LoadError(
                    f"byte-level BPE piece {i} {e}",
                    where=name,
                    fix="list it in added_tokens if it is a literal token, else re-export the file",
                ) from None
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


def _components(obj, key: str) -> list[dict]:
    """The components of a normalizer/pre-tokenizer, Sequences flattened (``key``: the Sequence's list)."""
    if not isinstance(obj, dict):
        return []
    if obj.get("type") == "Sequence":
        return [c for sub in obj.get(key) or [] for c in _components(sub, key)]
    return [obj]


def _keeps_text(norm: dict) -> bool:
    """A normalizer step whose effect the vocabulary's bytes undo (SentencePiece's ``▁``, byte-level)."""
    t, pattern = norm.get("type"), norm.get("pattern") or {}
    if t == "Replace":
        return (pattern.get("String"), norm.get("content")) == (" ", "\u2581") or (
            pattern.get("Regex"),
            norm.get("content"),
        ) == ("\\A\u2581", "\u2581\u2581")
    if t == "Prepend":
        return norm.get("prepend") == "\u2581"
    if t == "Precompiled":
        return not norm.get("precompiled_charsmap")
    return t == "ByteLevel"


def _drops_text(pre: dict) -> bool:
    """A pre-tokenizer step that removes characters (whitespace splitters, ``removed`` splits)."""
    t = pre.get("type")
    if t in ("Whitespace", "WhitespaceSplit", "BertPreTokenizer", "CharDelimiterSplit"):
        return True
    return t in ("Split", "Punctuation") and str(pre.get("behavior", "")).lower() == "removed"


def lossless_of(spec: dict, vocab: Vocab) -> bool:
    """True when ``decode_bytes(encode(x)) == x.encode()`` can hold for every text.

    >>> v = Vocab([bytes([b]) for b in range(256)], family="byte_bpe")
    >>> lossless_of({"normalizer": None}, v), lossless_of({"normalizer": {"type": "NFKC"}}, v)
    (True, False)
    >>> lossless_of({"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}]}}, v)
    False
    """
    if vocab.family == "wordpiece":
        return False
    if not all(_keeps_text(c) for c in _components(spec.get("normalizer"), "normalizers")):
        return False
    if any(_drops_text(c) for c in _components(spec.get("pre_tokenizer"), "pretokenizers")):
        return False
    if vocab.family == "byte_bpe":  # every byte has a symbol (missing ones: vocab.missing_bytes())
        return True
    return bool((spec.get("model") or {}).get("byte_fallback")) and len(vocab.byte_fallback_ids()) == 256


def from_backend(backend, spec: dict, name: str, config: dict | None = None, source: str = "") -> Tokenizer:
    vocab = build_vocab(spec, backend, name, config)
    # Encode whole texts exactly: a saved padding/truncation setting (MiniLM pads to 128) is not encoding.
    backend.no_padding()
    backend.no_truncation()

    def encode(text: str, add_special: bool) -> list[int]:
        return backend.encode(text, add_special_tokens=add_special).ids

    def encode_batch(texts, add_special: bool) -> list[list[int]]:
        return [e.ids for e in backend.encode_batch(texts, add_special_tokens=add_special)]

    return Tokenizer(
        vocab,
        encode,
        name=name,
        backend=backend,
        encode_batch_fn=encode_batch,
        dummy_prefix=dummy_prefix_of(spec),
        lossless=lossless_of(spec, vocab),
        source=source,
    )


def _read_json(path: Path, what: str = "tokenizer.json") -> tuple[object, str]:
    """(parsed JSON, its text); an unreadable or corrupt file is a `LoadError` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text), text
    except OSError as e:
        raise LoadError(
            f"cannot read {path.name} ({e.strerror or e.__class__.__name__})",
            where=str(path),
            fix=f"check the file's permissions or re-export the {what}",
        ) from None
    except UnicodeDecodeError:
        raise LoadError(f"{path.name} is not UTF-8 JSON", where=str(path), fix=f"re-export the {what}") from None
    except json.JSONDecodeError as e:
        raise LoadError(
            f"corrupt JSON in {path.name} (line {e.lineno}, column {e.colno}: {e.msg})",
            where=str(path),
            fix=f"re-download or re-export the {what}",
        ) from None


def read_config(folder: Path) -> dict | None:
    """The special-token settings beside a tokenizer.json (``tokenizer_config.json`` wins over
    ``special_tokens_map.json``); a file that is there but unreadable is a `LoadError`, never skipped."""
    config = None
    for cfg_name in ("tokenizer_config.json", "special_tokens_map.json"):
        cfg = folder / cfg_name
        if cfg.is_file():
            d, _ = _read_json(cfg, f"{cfg_name} (or delete it: it only names the special-token roles)")
            if not isinstance(d, dict):
                raise LoadError(
                    f"{cfg_name} is not a JSON object",
                    where=str(cfg),
                    fix="re-export it, or delete it (it only names the special-token roles)",
                )
            config = {**d, **(config or {})}
    return config


def load(path: str | Path, name: str | None = None) -> Tokenizer:
    from tokenizers import Tokenizer as HFTokenizer

    path = Path(path)
    folder = path if path.is_dir() else path.parent
    file = path / "tokenizer.json" if path.is_dir() else path
    spec, text = _read_json(file)
    if not isinstance(spec, dict) or "model" not in spec:
        raise LoadError(
            "JSON file is not an HF tokenizer.json (no 'model' key)",
            where=str(file),
            fix="pass a tokenizer.json saved by HF tokenizers/transformers",
        )
    try:
        backend = HFTokenizer.from_str(text)
    except Exception as e:  # the Rust side reports malformed specs as plain Exceptions
        raise LoadError(
            f"HF tokenizers cannot read this tokenizer.json ({(str(e).splitlines() or [''])[0][:160]})",
            where=str(file),
            fix="check that it was written by a compatible tokenizers version",
        ) from None
    config = read_config(folder)
    try:
        return from_backend(
            backend, spec, name or (folder.name if path.is_dir() else file.stem), config, source=str(path)
        )
    except LoadError as e:
        raise LoadError(e.what, where=f"{file} ({e.where})" if e.where else str(file), fix=e.fix) from None
