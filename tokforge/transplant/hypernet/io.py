"""Saving and loading a trained hypernetwork: ``hypernet.safetensors`` + ``config.json``.

The config records the sizes and the identity of the base model it was trained for: a name,
the vocabulary fingerprint, the embedding width/tying and a sha256 over a fixed sample of the
embedding rows. Loading it for another model is refused with a one-line error, because the
network's inputs are that model's rows and nothing else. ``config.json`` is written last, so a
folder without it is never mistaken for a finished hypernetwork.

>>> sorted(identity_keys())
['d_model', 'embedding_sha256', 'name', 'tied', 'vocab_fingerprint', 'vocab_size']
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from tokforge.errors import InputError, LoadError
from tokforge.io import atomic_write_bytes, atomic_write_text, read_json

FORMAT = "tokforge.hypernet"
VERSION = 1
WEIGHTS = "hypernet.safetensors"
CONFIG = "config.json"
_HASH_ROWS = 4096


def identity_keys() -> tuple[str, ...]:
    return ("name", "vocab_size", "vocab_fingerprint", "d_model", "tied", "embedding_sha256")


def embedding_hash(matrix) -> str:
    """sha256 over the shape and every ``V // 4096``-th row in float32 (cheap, order-sensitive)."""
    import torch

    m = matrix.detach()
    step = max(1, m.shape[0] // _HASH_ROWS)
    rows = m[::step].to("cpu", torch.float32).contiguous()
    h = hashlib.sha256(f"{tuple(m.shape)}".encode())
    h.update(rows.numpy().tobytes())
    return h.hexdigest()


def base_identity(model, tokenizer) -> dict:
    """Who a hypernetwork belongs to: the base model's name, vocabulary and embedding hash."""
    from .model import source_matrices

    emb, _, tied = source_matrices(model)
    return {
        "name": tokenizer.name,
        "vocab_size": int(emb.shape[0]),
        "vocab_fingerprint": tokenizer.vocab.fingerprint(),
        "d_model": int(emb.shape[1]),
        "tied": bool(tied),
        "embedding_sha256": embedding_hash(emb),
    }


def config_dict(net, identity: dict, training: dict | None = None) -> dict:
    """What ``config.json`` holds: format, version, the network's sizes, the base model's identity, training."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "hypernet": dataclasses.asdict(net.cfg),
        "base": identity,
        "training": training or {},
    }


def save(out_dir, net, identity: dict, training: dict | None = None) -> Path:
    """Write weights, then the config (the completion marker). Returns ``out_dir``."""
    from safetensors.torch import save

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in net.state_dict().items()}
    atomic_write_bytes(out / WEIGHTS, save(tensors))
    atomic_write_text(out / CONFIG, json.dumps(config_dict(net, identity, training), indent=2))
    return out


def read_config(path) -> dict:
    p = Path(path) / CONFIG
    fix = "pass a folder written by train_hypernet (tokforge hypernet train)"
    cfg = read_json(p, f"a trained hypernetwork's {CONFIG}", fix=fix, error=LoadError)
    if cfg.get("format") != FORMAT or cfg.get("version") != VERSION:
        raise LoadError(
            "not a tokforge hypernetwork config (format/version)",
            where=str(p),
            fix=f"expected format {FORMAT!r} version {VERSION}",
        )
    return cfg


def check_identity(saved: dict, actual: dict, where: str) -> None:
    """Refuse a hypernetwork trained for another base model (one line naming the first difference)."""
    for key in identity_keys():
        if key == "name":
            continue
        if saved.get(key) != actual.get(key):
            raise InputError(
                f"hypernetwork was trained for a different base model ({key} differs: "
                f"{str(saved.get(key))[:16]} vs {str(actual.get(key))[:16]})",
                where=f"{where} (trained for {saved.get('name')!r}, given {actual.get('name')!r})",
                fix="train one for this model (train_hypernet, tokforge hypernet train)",
            )


def load(path, model, tokenizer, device: str = "cpu"):
    """The :class:`HyperNet` saved in ``path``, bound to ``model``'s frozen matrices, on ``device``."""
    from safetensors.torch import load_file

    from .model import HyperNet, HyperNetConfig, source_matrices

    cfg = read_config(path)
    check_identity(cfg["base"], base_identity(model, tokenizer), str(path))
    emb, head, _ = source_matrices(model)
    net = HyperNet(HyperNetConfig.from_dict(cfg["hypernet"], str(Path(path) / CONFIG)), emb, head)
    try:
        state = load_file(str(Path(path) / WEIGHTS))
        net.load_state_dict(state)
    except (OSError, RuntimeError) as e:
        raise LoadError(
            f"cannot load hypernetwork weights ({str(e).splitlines()[0][:120]})",
            where=str(Path(path) / WEIGHTS),
            fix="train it again (train_hypernet, tokforge hypernet train)",
        ) from None
    return net.to(device).eval()
