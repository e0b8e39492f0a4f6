"""Auxiliary embeddings of token strings (default: the built-in all-MiniLM-L6-v2), cached on disk.

TokenAdapt compares tokens in the space of a sentence encoder. Each token's bytes are read as
UTF-8 (invalid bytes replaced), run through the encoder, mean-pooled and L2-normalised. The
encoder's own tokenizer lower-cases and drops surrounding whitespace, so many tokens
(``" The"``, ``"the"``...) give identical inputs: those are encoded once. Inputs are bucketed by
length, so no padding is computed.

The result for a whole vocabulary is cached as ``float16`` under
``<tokforge cache>/transplant/aux/<encoder hash>/<vocab fingerprint>.npy``; the encoder hash is
the sha256 of its weights file, so a different encoder never reuses a cache.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import LoadError

MAX_PIECES = 16  # encoder tokens per token string (CLS/SEP included)


def encoder_path(name_or_path: str | None = None) -> Path:
    """Folder of the auxiliary encoder (``None`` or ``"minilm"``: the built-in artifact)."""
    from .. import models

    if name_or_path in (None, "minilm"):
        return models.pull("minilm")
    p = Path(name_or_path).expanduser()
    if not (p / "config.json").is_file():
        raise LoadError("auxiliary encoder folder has no config.json", where=str(p),
                        fix="pass a sentence-encoder folder (transformers AutoModel) or 'minilm'")
    return p


def encoder_hash(path: Path) -> str:
    """sha256 of the encoder's weights (the built-in MiniLM's is known, no need to read it)."""
    from .. import models

    spec = models.ARTIFACTS["minilm"]["sha256"]
    if path == models.pull("minilm"):
        return spec["model.safetensors"]
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (path / name).is_file():
            return models.sha256_file(path / name)
    raise LoadError("auxiliary encoder has no weights file", where=str(path))


def cache_path(vocab, enc_hash: str) -> Path:
    from ..models import cache_dir

    return cache_dir() / "transplant" / "aux" / enc_hash[:16] / f"{vocab.fingerprint()[:32]}.npy"


def token_texts(vocab) -> list[str]:
    return [t.decode("utf-8", "replace") for t in vocab.tokens]


def encode_texts(texts: list[str], path: Path, batch_size: int = 1024, progress: bool = True,
                 device: str = "cpu") -> np.ndarray:
    """(len(texts), dim) float32, L2-normalised mean-pooled encoder states."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    tk = AutoTokenizer.from_pretrained(str(path))
    model = AutoModel.from_pretrained(str(path)).eval().to(device)
    ids = tk(texts, truncation=True, max_length=MAX_PIECES, add_special_tokens=True)["input_ids"]
    uniq: dict[tuple, int] = {}
    which = np.fromiter((uniq.setdefault(tuple(x), len(uniq)) for x in ids), dtype=np.int64, count=len(ids))
    seqs = list(uniq)
    lens = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    out = np.zeros((len(seqs), model.config.hidden_size), dtype=np.float32)
    batches = [(L, idx[i:i + batch_size]) for L in np.unique(lens) for idx in [np.flatnonzero(lens == L)]
               for i in range(0, idx.size, batch_size)]
    bar = _bar(len(seqs), progress, "aux embeddings")
    with torch.inference_mode():
        for L, idx in batches:
            x = torch.tensor([seqs[i] for i in idx.tolist()], device=device)
            h = model(input_ids=x, attention_mask=torch.ones_like(x)).last_hidden_state.mean(1)
            out[idx] = torch.nn.functional.normalize(h, dim=-1).float().cpu().numpy()
            bar.update(len(idx))
    bar.close()
    return out[which]


def _bar(total: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit="tok", leave=False)


def vocab_embeddings(vocab, encoder: str | None = None, progress: bool = True, device: str = "cpu",
                     use_cache: bool = True) -> np.ndarray:
    """(len(vocab), dim) float32 auxiliary embeddings of every token string, cached on disk."""
    path = encoder_path(encoder)
    cache = cache_path(vocab, encoder_hash(path))
    if use_cache and cache.is_file():
        return np.load(cache).astype(np.float32)
    emb = encode_texts(token_texts(vocab), path, progress=progress, device=device)
    if use_cache:
        import io

        from ..io import atomic_write_bytes

        buf = io.BytesIO()
        np.save(buf, emb.astype(np.float16))
        atomic_write_bytes(cache, buf.getvalue())
    return emb


def fingerprint_key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
