"""Mistral Tekken JSON -> `Tokenizer` (tiktoken underneath, as mistral-common does).

Tekken puts ``num_special_tokens`` control tokens first (ids 0..n_special-1, ``<s>``=1,
``</s>``=2 ...) and shifts every byte-level rank by that count; only the first
``vocab_size - n_special`` ranks are used.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from ..errors import LoadError
from ..tokenizer import Tokenizer
from .tiktoken_file import from_ranks

# mistral-common's default names for the first special ids when the file lists none (v3 files).
DEFAULT_SPECIALS = ["<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
                    "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]", "[IMG_END]",
                    "[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]"]


def is_tekken(spec: object) -> bool:
    return isinstance(spec, dict) and "config" in spec and "vocab" in spec and "pattern" in (spec.get("config") or {})


def load(path: str | Path, name: str | None = None) -> Tokenizer:
    path = Path(path)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise LoadError(f"corrupt Tekken JSON ({e.__class__.__name__})", where=str(path), fix="re-download the file") from None
    if not is_tekken(spec):
        raise LoadError("not a Tekken tokenizer file (needs 'config.pattern' and 'vocab')", where=str(path))
    cfg = spec["config"]
    n_special = int(cfg.get("default_num_special_tokens", 1000))
    size = int(cfg.get("default_vocab_size", len(spec["vocab"]) + n_special))
    ranks = {}
    try:
        for entry in spec["vocab"][: size - n_special]:
            ranks[base64.b64decode(entry["token_bytes"])] = int(entry["rank"])
    except (KeyError, ValueError, TypeError):
        raise LoadError("malformed Tekken vocab entry", where=str(path), fix="re-download the file") from None
    names = [f"<SPECIAL_{i}>" for i in range(n_special)]
    listed = spec.get("special_tokens")
    if listed:
        for s in listed:
            names[int(s["rank"])] = s["token_str"]
    else:
        names[: len(DEFAULT_SPECIALS)] = DEFAULT_SPECIALS
    roles = {r: names.index(t) for r, t in (("unk", "<unk>"), ("bos", "<s>"), ("eos", "</s>"), ("pad", "<pad>")) if t in names}
    return from_ranks(ranks, name=name or path.stem, pattern=cfg["pattern"], special_tokens={}, id_offset=n_special,
                      specials_below=names, source=str(path), family="tiktoken", roles=roles)
