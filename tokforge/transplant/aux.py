"""Auxiliary embeddings of token strings (default: the built-in all-MiniLM-L6-v2), cached on disk.

TokenAdapt compares tokens in the space of a sentence encoder. Each token's bytes are read as
UTF-8 (invalid bytes replaced), run through the encoder, mean-pooled and L2-normalised. The
encoder's own tokenizer lower-cases and drops surrounding whitespace, so many tokens
(``" The"``, ``"the"``...) give identical inputs: those are encoded once. Inputs are bucketed by
length, so no padding is computed.

The encoder runs under bfloat16 autocast where the processor has native bfloat16 (CPUs with
AVX512-BF16 or AMX, CUDA devices): about 1.6x faster here, with cosine >= 0.9999 to float32.
The result is rounded to ``float16`` on every path (fresh or cached, so the first and second runs
of a transplant are identical) and cached under
``<tokforge cache>/transplant/aux/<encoder hash>/<precision>-<vocab fingerprint>.npy``; the encoder
hash is the sha256 of its weights file, so a different encoder never reuses a cache.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import LoadError
from ..progress import bar

MAX_PIECES = 16  # encoder tokens per token string (CLS/SEP included)


def encoder_path(name_or_path: str | None = None) -> Path:
    """Folder of the auxiliary encoder (``None`` or ``"minilm"``: the built-in artifact)."""
    from .. import models

    if name_or_path in (None, "minilm"):
        return models.pull("minilm")
    p = Path(name_or_path).expanduser()
    if not (p / "config.json").is_file():
        raise LoadError(
            "auxiliary encoder folder has no config.json",
            where=str(p),
            fix="pass a sentence-encoder folder (transformers AutoModel) or 'minilm'",
        )
    return p


def encoder_hash(path: Path) -> str:
    """sha256 of the encoder's weights (the built-in MiniLM's is known: no need to read 90 MB)."""
    from .. import artifacts, fetch

    spec = artifacts.ARTIFACTS["minilm"]["sha256"]
    builtin = artifacts.cache_dir() / "artifacts" / "minilm" / "raw" / artifacts.ARTIFACTS["minilm"]["file"]
    if Path(path).resolve() == builtin.resolve():
        return spec["model.safetensors"]
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (path / name).is_file():
            return fetch.sha256_file(path / name)
    raise LoadError("auxiliary encoder has no weights file", where=str(path))


def cache_path(vocab, enc_hash: str, precision: str = "fp32") -> Path:
    from ..artifacts import cache_dir

    return cache_dir() / "transplant" / "aux" / enc_hash[:16] / f"{precision}-{vocab.fingerprint()[:32]}.npy"


def precision_for(device: str) -> str:
    """``bf16`` where the device computes bfloat16 natively (CUDA, or a CPU with AVX512-BF16/AMX), else ``fp32``."""
    if str(device).startswith("cuda"):
        return "bf16"
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return "fp32"
    return "bf16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "fp32"


def token_texts(vocab) -> list[str]:
    return [t.decode("utf-8", "replace") for t in vocab.tokens]


def encode_texts(
    texts: list[str],
    path: Path,
    batch_size: int = 1024,
    progress: bool = True,
    device: str = "cpu",
    precision: str = "fp32",
) -> np.ndarray:
    """(len(texts), dim) float32, L2-normalised mean-pooled encoder states (``precision``: fp32 or bf16
    autocast), rounded to float16."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from ..hflog import quiet_transformers

    with quiet_transformers():
        tk = AutoTokenizer.from_pretrained(str(path))
        model = AutoModel.from_pretrained(str(path)).eval().to(device)
    ids = tk(texts, truncation=True, max_length=MAX_PIECES, add_special_tokens=True)["input_ids"]
    uniq: dict[tuple, int] = {}
    which = np.fromiter((uniq.setdefault(tuple(x), len(uniq)) for x in ids), dtype=np.int64, count=len(ids))
    seqs = list(uniq)
    lens = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    out = np.zeros((len(seqs), model.config.hidden_size), dtype=np.float32)
    batches = [
        (L, idx[i : i + batch_size])
        for L in np.unique(lens)
        for idx in [np.flatnonzero(lens == L)]
        for i in range(0, idx.size, batch_size)
    ]
    dev_type = torch.device(device).type
    with (
        torch.inference_mode(),
        torch.autocast(dev_type, dtype=torch.bfloat16, enabled=precision == "bf16"),
        bar(len(seqs), "aux embeddings", enabled=progress, unit="strings") as b,
    ):
        for L, idx in batches:
            x = torch.tensor([seqs[i] for i in idx.tolist()], device=device)
            h = model(input_ids=x, attention_mask=torch.ones_like(x)).last_hidden_state.float().mean(1)
            out[idx] = torch.nn.functional.normalize(h, dim=-1).cpu().numpy()
            b.update(len(idx))
    return out[which].astype(np.float16).astype(np.float32)


def vocab_embeddings(
    vocab,
    encoder: str | None = None,
    progress: bool = True,
    device: str = "cpu",
    use_cache: bool = True,
    precision: str | None = None,
) -> np.ndarray:
    """(len(vocab), dim) float32 auxiliary embeddings of every token string (float16 values), cached on disk."""
    path = encoder_path(encoder)
    precision = precision or precision_for(device)
    cache = cache_path(vocab, encoder_hash(path), precision)
    if use_cache and cache.is_file():
        return np.load(cache).astype(np.float32)
    emb = encode_texts(token_texts(vocab), path, progress=progress, device=device, precision=precision)
    if use_cache:
        import io

        from ..io import atomic_write_bytes

        buf = io.BytesIO()
        np.save(buf, emb.astype(np.float16))
        atomic_write_bytes(cache, buf.getvalue())
    return emb


def fingerprint_key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
