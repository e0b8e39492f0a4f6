"""The public entry point: `train_supertokens` trains (or extends a base tokenizer) with
`train.train_spec`, writes the folder if asked and returns a tokforge `Tokenizer`.

>>> from tokforge.supertokens.trainer import train_supertokens
>>> train_supertokens([], 300)
Traceback (most recent call last):
...
tokforge.errors.InputError: no corpus files given (pass one or more UTF-8 text files)
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Sequence

from ..errors import InputError
from .train import Method, SuperConfig, train_spec


def train_supertokens(
    files: Sequence[str | os.PathLike],
    vocab_size: int,
    *,
    config: SuperConfig | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
    progress: bool = True,
):
    """Train supertokens on the UTF-8 text ``files`` (or extend ``config.base``) up to ``vocab_size``
    tokens; write the folder ``out`` if given (``force``: replace it); return a tokforge `Tokenizer`."""
    import json

    from ..loaders.hf_json import from_backend
    from . import export

    cfg = config if config is not None else SuperConfig()
    if not isinstance(cfg, SuperConfig):
        raise InputError("config must be a SuperConfig", where=type(cfg).__name__)
    files = [files] if isinstance(files, (str, os.PathLike)) else list(files)
    base = None
    if cfg.base is not None:  # a built-in name, hub id or Tokenizer -> the path it was loaded from
        from ..loaders import load_tokenizer

        base = load_tokenizer(cfg.base).source
    spec, stage1_size = train_spec(files, vocab_size, cfg, base, progress)
    meta = _meta(cfg, vocab_size, base, stage1_size, files, spec)
    if out is not None:
        export.save(spec, out, meta, export.base_config(base) if base else None, force=force)
        from ..loaders import load_tokenizer

        return load_tokenizer(out)
    from tokenizers import Tokenizer as HFTokenizer

    return from_backend(HFTokenizer.from_str(json.dumps(spec)), spec, "supertokens")


def _meta(cfg: SuperConfig, vocab_size: int, base, stage1_size, files, spec: dict) -> dict:
    """What the exported folder records about its training."""
    meta = {k: v for k, v in asdict(cfg).items() if k not in ("merge_filter", "base")}
    meta.update(
        vocab_size=vocab_size,
        special_tokens=list(cfg.special_tokens),
        method=cfg.method.value,
        transition=cfg.transition_size(vocab_size) if base is None and cfg.method is Method.SUPERBPE else None,
        base=str(base) if base else None,
        stage1_size=stage1_size,
        corpus=[str(p) for p in files],
        custom_filter=cfg.merge_filter is not None,
        vocab_size_actual=len(spec["model"]["vocab"])
        + sum(1 for a in spec.get("added_tokens") or [] if a["content"] not in spec["model"]["vocab"]),
    )
    return meta
