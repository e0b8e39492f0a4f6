"""Writing a supertoken tokenizer folder that both transformers and tokforge load.

``DIR/tokenizer.json`` (stock ``tokenizers`` format), ``DIR/tokenizer_config.json`` +
``special_tokens_map.json`` (so ``AutoTokenizer.from_pretrained(DIR)`` finds a fast tokenizer and
its special tokens), and ``DIR/supertokens.json`` (how it was trained: sizes, method, controls).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..io import atomic_dir


def hf_config(spec: dict, base_config: dict | None = None) -> dict:
    """tokenizer_config.json: the base's roles if extending, else ``<|endoftext|>`` as bos/eos/unk."""
    cfg = {
        k: v
        for k, v in (base_config or {}).items()
        if k.endswith("_token") or k in ("model_max_length", "chat_template")
    }
    specials = [a["content"] for a in spec.get("added_tokens") or [] if a.get("special")]
    if not cfg and specials:
        cfg = {"bos_token": specials[0], "eos_token": specials[0], "unk_token": specials[0]}
    cfg.update(
        {"tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": False, "add_prefix_space": False}
    )
    cfg.setdefault("model_max_length", 1_000_000)
    return cfg


def save(spec: dict, out: str | os.PathLike, meta: dict, base_config: dict | None = None, force: bool = False) -> Path:
    """Write the folder atomically (nothing half-written is left at ``out``)."""
    cfg = hf_config(spec, base_config)
    with atomic_dir(out, force=force) as d:
        (d / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        (d / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False), encoding="utf-8")
        smap = {k: v for k, v in cfg.items() if k.endswith("_token")}
        (d / "special_tokens_map.json").write_text(json.dumps(smap, indent=2, ensure_ascii=False), encoding="utf-8")
        (d / "supertokens.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    return Path(out)


def base_config(base: str | os.PathLike) -> dict | None:
    """The tokenizer_config.json beside a base tokenizer.json (or in its folder), if any."""
    p = Path(base)
    folder = p if p.is_dir() else p.parent
    f = folder / "tokenizer_config.json"
    if f.is_file():
        try:
            return json.loads(f.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
    return None
