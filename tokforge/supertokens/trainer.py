"""The public entry point: `train_supertokens` checks the options, trains (or extends a base tokenizer)
with `train.train_spec`, writes the folder if asked and returns a tokforge `Tokenizer`.

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
from .merges import MergeFilter
from .train import Method, SuperConfig, train_spec


def train_supertokens(
    corpus: Sequence[str | os.PathLike],
    vocab_size: int,
    *,
    transition: int | None = None,
    method: str | Method = Method.SUPERBPE,
    max_words: int = 4,
    inner_punct: str | None = None,
    end_punct: str | None = None,
    merge_filter: MergeFilter | None = None,
    seed: int = 0,
    base: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
    progress: bool = True,
):
    """Train (or extend ``base`` with) supertokens; write ``out`` if given; return a tokforge `Tokenizer`."""
    import json

    from ..loaders.hf_json import from_backend
    from . import export
    from .pretok import DEFAULT_END_PUNCT, DEFAULT_INNER_PUNCT

    try:
        method = Method(method)
    except ValueError:
        raise InputError(f"unknown method {method!r}", fix="known: " + ", ".join(m.value for m in Method)) from None
    cfg = SuperConfig(
        vocab_size,
        transition,
        method,
        max_words,
        DEFAULT_INNER_PUNCT if inner_punct is None else inner_punct,
        DEFAULT_END_PUNCT if end_punct is None else end_punct,
        merge_filter,
        seed,
        progress=progress,
    )
    if base is not None:  # a built-in name or hub id -> the path it was loaded from
        from ..loaders import load_tokenizer

        base = load_tokenizer(base).source
    spec = train_spec(corpus, cfg, base)
    meta = {k: v for k, v in asdict(cfg).items() if k not in ("merge_filter", "progress")}
    transition = cfg.transition_size if base is None and method is Method.SUPERBPE else None
    meta.update(
        method=method.value,
        transition=transition,
        base=str(base) if base else None,
        stage1_size=cfg.stage1_size,
        corpus=[str(p) for p in corpus],
        custom_filter=merge_filter is not None,
        vocab_size_actual=len(spec["model"]["vocab"])
        + sum(1 for a in spec.get("added_tokens") or [] if a["content"] not in spec["model"]["vocab"]),
    )
    if out is not None:
        export.save(spec, out, meta, export.base_config(base) if base else None, force=force)
        from ..loaders import load_tokenizer

        return load_tokenizer(out)
    from tokenizers import Tokenizer as HFTokenizer

    return from_backend(HFTokenizer.from_str(json.dumps(spec)), spec, "supertokens")
