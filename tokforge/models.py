"""Loading causal LMs: ``load_causal_lm`` (a built-in name or an HF model folder) and ``resolve_model``,
which every feature uses for its model argument (``tokforge.load_model`` is this function).

A model argument is, everywhere in tokforge: a built-in artifact name (`tokforge.artifacts.ARTIFACTS`),
a path to an HF model folder, a ``(model, Tokenizer)`` pair, or an object with ``.model`` and
``.tokenizer`` (a `TransplantResult` or `HealResult`). Tokenizers load with `tokforge.load_tokenizer`.

>>> resolve_model(42)
Traceback (most recent call last):
...
tokforge.errors.InputError: model must be a built-in name, an HF model folder or a (model, tokenizer) pair: int ...
"""

from __future__ import annotations

import os
from pathlib import Path

from .artifacts import ARTIFACTS
from .errors import InputError
from .fetch import pull


def check_model_spec(spec, name: str = "model") -> None:
    """Nothing for what `resolve_model` takes (a pair, a result object, a name or a path), without loading
    anything; else the one error for a bad model argument, naming the parameter ``name``."""
    if model_pair(spec) is None and not isinstance(spec, (str, os.PathLike)):
        raise InputError(
            f"{name} must be a built-in name, an HF model folder or a (model, tokenizer) pair",
            where=type(spec).__name__,
            fix=f'e.g. {name}="smollm2-135m"',
        )


def model_pair(spec):
    """``(model, tokenizer)`` of a pair or of an object with ``.model``/``.tokenizer``; None for anything else."""
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        return spec[0], spec[1]
    if hasattr(spec, "model") and hasattr(spec, "tokenizer"):
        return spec.model, spec.tokenizer
    return None


def resolve_model(spec, *, device: str | None = None, dtype=None):
    """``(model, Tokenizer)`` for a model argument (see the module docstring). A pair's model moves to
    ``device`` when one is given; a name or folder loads there (default ``"cpu"``), in float32 unless
    ``dtype`` says otherwise."""
    pair = model_pair(spec)
    if pair is not None:
        from .loaders import load_tokenizer

        model, tok = pair
        return (model.to(device) if device is not None else model), load_tokenizer(tok)
    check_model_spec(spec)
    from .extras import require

    require("transformers", "loading a model")
    return load_causal_lm(spec, device=device or "cpu", dtype=dtype)


def load_causal_lm(name_or_path: str | os.PathLike, device: str = "cpu", dtype=None, tokenizer=None):
    """``(model, tokenizer)``: a transformers causal LM and its tokforge `Tokenizer`.

    ``name_or_path`` is a built-in artifact name or an HF model directory; pass ``tokenizer`` when it
    is already loaded.
    """
    from transformers import AutoModelForCausalLM

    from .errors import LoadError
    from .hflog import quiet_transformers
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
    with quiet_transformers():
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype or "float32").to(device)
    model.eval()
    return model, (tokenizer if tokenizer is not None else _load(path, name=name))
