"""Mistral Tekken JSON -> `Tokenizer` (tiktoken underneath, as mistral-common does).

Tekken puts ``num_special_tokens`` control tokens first (ids 0..n_special-1, ``<s>``=1,
``</s>``=2 ...) and shifts every byte-level rank by that count; only the first
``vocab_size - n_special`` ranks are used.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from ..errors import LoadError
from ..io import read_json
from ..tokenizer import Tokenizer
from .tiktoken_file import from_ranks

# mistral-common's default names for the first special ids when the file lists none (v3 files).
DEFAULT_SPECIALS = [
    "<unk>",
    "<s>",
    "</s>",
    "[INST]",
    "[/INST]",
    "[AVAILABLE_TOOLS]",
    "[/AVAILABLE_TOOLS]",
    "[TOOL_RESULTS]",
    "[/TOOL_RESULTS]",
    "[TOOL_CALLS]",
    "[IMG]",
    "<pad>",
    "[IMG_BREAK]",
    "[IMG_END]",
    "[PREFIX]",
    "[MIDDLE]",
    "[SUFFIX]",
    "[SYSTEM_PROMPT]",
    "[/SYSTEM_PROMPT]",
    "[TOOL_CONTENT]",
]


def is_tekken(spec: object) -> bool:
    cfg = spec.get("config") if isinstance(spec, dict) else None
    return isinstance(cfg, dict) and "vocab" in spec and "pattern" in cfg


def load(path: str | Path, name: str | None = None) -> Tokenizer:
    path = Path(path)
    spec = read_json(path, "Tekken JSON", fix="re-download the file", error=LoadError)
    if not is_tekken(spec):
        raise LoadError("not a Tekken tokenizer file (needs 'config.pattern' and 'vocab')", where=str(path))
    cfg = spec["config"]
    try:
        n_special = int(cfg.get("default_num_special_tokens", 1000))
        size = int(cfg.get("default_vocab_size", len(spec["vocab"]) + n_special))
        pattern = cfg["pattern"]
        if not isinstance(pattern, str) or not isinstance(spec["vocab"], list) or not 0 <= n_special < size:
            raise ValueError
    except (TypeError, ValueError):
        raise LoadError(
            "malformed Tekken config (pattern, default_vocab_size, default_num_special_tokens)",
            where=str(path),
            fix="re-download the file",
        ) from None
    if size - n_special > len(spec["vocab"]):
        raise LoadError(
            f"Tekken vocab has {len(spec['vocab'])} entries, config asks for {size - n_special}",
            where=str(path),
            fix="re-download the file",
        )
    ranks = {}
    try:
        for i, entry in enumerate(spec["vocab"][: size - n_special]):
            tok = base64.b64decode(entry["token_bytes"], validate=True)
            if int(entry["rank"]) != i:
                raise LoadError(
                    f"Tekken vocab entry {i} has rank {entry['rank']}", where=str(path), fix="re-download the file"
                )
            if tok in ranks:
                raise LoadError(
                    f"Tekken vocab entry {i} repeats the token of entry {ranks[tok]}",
                    where=str(path),
                    fix="re-download the file",
                )
            ranks[tok] = i
    except (KeyError, ValueError, TypeError, binascii.Error):
        raise LoadError("malformed Tekken vocab entry", where=str(path), fix="re-download the file") from None
    names = _special_names(spec.get("special_tokens"), n_special, str(path))
    roles = {
        r: names.index(t)
        for r, t in (("unk", "<unk>"), ("bos", "<s>"), ("eos", "</s>"), ("pad", "<pad>"))
        if t in names
    }
    return from_ranks(
        ranks,
        name=name or path.stem,
        pattern=pattern,
        special_tokens={},
        id_offset=n_special,
        specials_below=names,
        source=str(path),
        family="tiktoken",
        roles=roles,
    )


def _special_names(listed, n_special: int, where: str) -> list[str]:
    """Names of the ids below ``n_special``: the file's list, else mistral-common's defaults."""
    names = [f"<SPECIAL_{i}>" for i in range(n_special)]
    if not listed:
        names[: len(DEFAULT_SPECIALS)] = DEFAULT_SPECIALS[:n_special]
        return names
    try:
        for s in listed:
            rank, text = int(s["rank"]), s["token_str"]
            if not 0 <= rank < n_special or not isinstance(text, str):
                raise ValueError
            names[rank] = text
    except (KeyError, ValueError, TypeError):
        raise LoadError(
            "malformed Tekken special token (needs a rank below default_num_special_tokens and a token_str)",
            where=where,
            fix="re-download the file",
        ) from None
    if len(set(names)) != len(names):
        raise LoadError("Tekken special tokens repeat a name", where=where, fix="re-download the file")
    return names
