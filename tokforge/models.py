"""Loading the built-in artifacts: tokenizers and causal LMs (``load_tokenizer``, ``load_causal_lm``).

The artifact table (`tokforge.artifacts`) and the fetching (`tokforge.fetch`) live in their own
modules; they are re-exported here, so ``tokforge.models.pull("gpt2")`` and
``tokforge.models.ARTIFACTS`` work as before.

>>> sorted(ARTIFACTS)[:3]
['gemma3-270m', 'gpt2', 'minilm']
"""

from __future__ import annotations

import os
from pathlib import Path

from .artifacts import ARTIFACTS, cache_dir
from .fetch import pull, sha256_file

__all__ = ["ARTIFACTS", "cache_dir", "load_causal_lm", "load_tokenizer", "pull", "sha256_file"]


def load_tokenizer(name: str):
    """The `Tokenizer` of a built-in artifact."""
    from .loaders import load_builtin

    return load_builtin(name)


def load_causal_lm(name_or_path: str | os.PathLike, device: str = "cpu", dtype=None, tokenizer=None):
    """``(model, tokenizer)``: a transformers causal LM and its tokforge `Tokenizer`.

    ``name_or_path`` is a built-in artifact name or an HF model directory; pass ``tokenizer`` when it
    is already loaded.
    """
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    from .errors import LoadError
    from .loaders import load_tokenizer as _load

    src = str(name_or_path)
    if src in ARTIFACTS:
        if ARTIFACTS[src]["kind"] != "causal_lm":
            raise LoadError(
                "artifact is not a causal LM",
                where=src,
                fix="causal LMs: " + ", ".join(k for k, v in ARTIFACTS.items() if v["kind"] == "causal_lm"),
            )
        path, name = pull(src), src
    else:
        path, name = Path(src).expanduser(), Path(src).name
        if not (path / "config.json").is_file():
            raise LoadError(
                "not an HF model directory (no config.json)",
                where=src,
                fix="pass a folder saved with save_pretrained or a built-in name",
            )
    hf_logging.set_verbosity_error()
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype or "float32").to(device)
    model.eval()
    return model, (tokenizer if tokenizer is not None else _load(path, name=name))
