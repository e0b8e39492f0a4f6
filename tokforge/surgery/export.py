"""Export a model with its new tokenizer as an HF directory (no torch import here: the model does the saving).

``save_model(model, tokenizer, out_dir)`` writes safetensors + config + generation config + the new
tokenizer's HF files into a temporary folder and renames it into place; an existing ``out_dir`` is an
error unless ``force``. ``hf_tokenizer(source)`` is the transformers tokenizer it writes.

Example (after `tokforge.surgery.apply.apply_plan`)::

    save_model(model, "path/to/new/tokenizer.json", "out/model")
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from ..io import atomic_dir


def hf_tokenizer(source):
    """``(transformers fast tokenizer, tokforge Tokenizer)`` for ``source`` (a `Tokenizer`, built-in name, or path).

    Any format tokforge loads (see `tokforge.loaders.to_hf.to_hf_tokenizer`): HF folders keep all their
    settings (chat template, special tokens); tiktoken, Tekken and SentencePiece files are converted."""
    from ..loaders import load_tokenizer
    from ..loaders.to_hf import to_hf_tokenizer

    tok = load_tokenizer(source)
    return to_hf_tokenizer(tok), tok


def save_model(
    model, tokenizer_source, out_dir: str | os.PathLike, force: bool = False, extra_files: dict[str, str] | None = None
) -> Path:
    """Write ``model`` + the new tokenizer's HF files to ``out_dir`` atomically; return the path.

    ``extra_files`` maps file names to text written beside them (e.g. a report)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise InputError(
            "output directory already exists", where=str(out_dir), fix="choose another out=DIR or pass force=True"
        )
    hf_tok, tok = hf_tokenizer(tokenizer_source)
    rows = model.get_input_embeddings().weight.shape[0]
    if len(tok.vocab) > rows:
        raise InputError(
            "tokenizer has more ids than the model has embedding rows",
            where=f"{len(tok.vocab)} ids vs {rows} rows",
            fix="apply a plan for this tokenizer first",
        )
    with atomic_dir(out_dir, force=force) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        hf_tok.save_pretrained(tmp)
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
    return out_dir
