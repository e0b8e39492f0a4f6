"""tiktoken rank files (``<base64 token> <rank>`` per line) -> `Tokenizer` over ``tiktoken.Encoding``.

The pre-tokenizer regex defaults to GPT-2's (``GPT2_PATTERN``); pass ``pattern=`` for others.
Special tokens default to ``<|endoftext|>`` right after the last rank (GPT-2: id 50256).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from ..errors import LoadError
from ..tokenizer import Tokenizer
from ..vocab import TokenKind, Vocab

# GPT-2's pre-tokenization regex (as tiktoken writes it: possessive quantifiers, same splits).
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
ENDOFTEXT = "<|endoftext|>"


def read_ranks(path: Path) -> dict[bytes, int]:
    """Parse a rank file; a bad line is reported with its number.

    Ranks must be the ids 0..n-1 (each once), as tiktoken requires.
    """
    ranks: dict[bytes, int] = {}
    try:
        lines = path.read_bytes().splitlines()
    except OSError as e:
        raise LoadError(f"cannot read tiktoken file ({e.strerror})", where=str(path)) from None
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            if len(parts) != 2:
                raise ValueError
            tok, rank = base64.b64decode(parts[0]), int(parts[1])  # lenient, as tiktoken
        except (ValueError, binascii.Error):
            raise _bad(path, f"bad line {lineno} in tiktoken file (expected '<base64> <rank>')") from None
        if tok in ranks:
            raise _bad(path, f"duplicate token on line {lineno} in tiktoken file")
        ranks[tok] = rank
    if not ranks:
        raise LoadError("empty tiktoken file", where=str(path), fix="pass a .tiktoken rank file")
    check_ranks(ranks, str(path))
    return ranks


def _bad(path: Path, what: str) -> LoadError:
    return LoadError(what, where=str(path), fix="fix or re-download the file")


def check_ranks(ranks: dict[bytes, int], where: str) -> None:
    """What tiktoken needs and does not check itself (it panics instead, past ``except Exception``):
    the ranks are the ids 0..n-1, each once, and every single byte has a rank.

    >>> check_ranks({bytes([b]): b for b in range(256)}, "x")
    >>> check_ranks({b"a": 0, b"b": 2}, "x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    tokforge.errors.LoadError: tiktoken ranks are not the ids 0..n-1 (2 tokens, highest rank 2): x ...
    """
    if sorted(ranks.values()) != list(range(len(ranks))):
        raise LoadError(
            f"tiktoken ranks are not the ids 0..n-1 ({len(ranks)} tokens, highest rank "
            f"{max(ranks.values(), default=-1)})",
            where=where,
            fix="fix or re-download the file",
        )
    missing = [b for b in range(256) if bytes([b]) not in ranks]
    if missing:
        shown = " ".join(f"0x{b:02X}" for b in missing[:8]) + (" ..." if len(missing) > 8 else "")
        raise LoadError(
            f"tiktoken vocabulary has no token for {len(missing)} single bytes ({shown}), so it cannot "
            "encode every text",
            where=where,
            fix="fix or re-download the file",
        )


def from_ranks(
    ranks: dict[bytes, int],
    *,
    name: str,
    pattern: str = GPT2_PATTERN,
    special_tokens: dict[str, int] | None = None,
    id_offset: int = 0,
    specials_below: list[str] | None = None,
    source: str = "",
    family: str = "tiktoken",
    roles: dict[str, int] | None = None,
) -> Tokenizer:
    """Build the Tokenizer. ``id_offset`` shifts every rank (Tekken puts its specials first)."""
    import tiktoken

    check_ranks(ranks, source or name)
    n = len(ranks) + id_offset
    specials = dict(special_tokens if special_tokens is not None else {ENDOFTEXT: n})
    bad = [s for s, i in specials.items() if n > i >= id_offset]
    if bad:
        raise LoadError(
            "special token ids overlap the ranks",
            where=", ".join(bad),
            fix="give special tokens ids past the last rank",
        )
    # Specials are never produced from text (encode_ordinary), so tiktoken needs none of them.
    try:
        enc = tiktoken.Encoding(name=f"tokforge:{name}", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})
    except ValueError as e:  # the pre-tokenizer pattern does not compile
        raise LoadError(
            f"tiktoken rejects this tokenizer ({str(e).splitlines()[0][:120]})",
            where=source or name,
            fix="check the pre-tokenizer pattern",
        ) from None
    size = max([n - 1, *specials.values()]) + 1
    tokens: list[bytes] = [b""] * size
    kinds = [TokenKind.UNUSED] * size
    for t, r in ranks.items():
        tokens[r + id_offset] = t
        # an empty rank (whisper's multilingual file has one) can never be produced
        kinds[r + id_offset] = TokenKind.NORMAL if t else TokenKind.UNUSED
    for s, i in specials.items():
        tokens[i] = s.encode("utf-8")
        kinds[i] = TokenKind.SPECIAL
    for i, s in enumerate(specials_below or []):
        tokens[i] = s.encode("utf-8")
        kinds[i] = TokenKind.SPECIAL
    if roles is None:
        roles = {"eos": specials[ENDOFTEXT]} if ENDOFTEXT in specials else {}
    vocab = Vocab(tokens, kinds, roles=roles, name=name, family=family)

    if id_offset:

        def encode(text: str, add_special: bool) -> list[int]:
            ids = [r + id_offset for r in enc.encode_ordinary(text)]
            return ([roles["bos"]] if add_special and "bos" in roles else []) + ids

        def encode_batch(texts, add_special: bool) -> list[list[int]]:
            return [encode(t, add_special) for t in texts]
    else:

        def encode(text: str, add_special: bool) -> list[int]:
            return enc.encode_ordinary(text)

        def encode_batch(texts, add_special: bool) -> list[list[int]]:
            return enc.encode_ordinary_batch(list(texts))

    return Tokenizer(vocab, encode, name=name, backend=enc, encode_batch_fn=encode_batch, source=source)


def load(
    path: str | Path, name: str | None = None, pattern: str = GPT2_PATTERN, special_tokens: dict[str, int] | None = None
) -> Tokenizer:
    path = Path(path)
    ranks = read_ranks(path)
    return from_ranks(ranks, name=name or path.stem, pattern=pattern, special_tokens=special_tokens, source=str(path))
