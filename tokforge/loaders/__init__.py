"""Loaders: one file per format, each ``load(path, name=None) -> Tokenizer``.

``load_tokenizer(source)`` accepts a path (file or model directory), a built-in artifact
name (``tokforge models list``), a `Tokenizer` (returned as is), or an HF hub id (through
transformers; needs the network). The format of a path is detected from its name and its
first bytes; ``format=`` forces one of ``LOADERS``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

from ..errors import LoadError
from ..io import read_json
from ..registry import get as registry_get
from ..tokenizer import Tokenizer
from . import gguf_file, hf_json, sentencepiece, tekken, tiktoken_file

LOADERS: dict[str, Callable[..., Tokenizer]] = {
    "hf": hf_json.load,
    "sentencepiece": sentencepiece.load,
    "tiktoken": tiktoken_file.load,
    "tekken": tekken.load,
    "gguf": gguf_file.load,
}


def detect_format(path: Path) -> str:
    """Which loader reads ``path`` (a file or a model directory)."""
    if path.is_dir():
        if (path / "tokenizer.json").is_file():
            return "hf"
        for n in ("tokenizer.model", "spiece.model", "sentencepiece.bpe.model"):
            if (path / n).is_file():
                return "sentencepiece"
        if (path / "tekken.json").is_file():
            return "tekken"
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return "gguf"
        raise LoadError(
            "directory holds no tokenizer (tokenizer.json, tokenizer.model, tekken.json or one .gguf)",
            where=str(path),
            fix="point at the tokenizer file itself",
        )
    with open(path, "rb") as f:
        head = f.read(64)
    if head[:4] == b"GGUF":
        return "gguf"
    suffix = path.suffix.lower()
    if suffix == ".tiktoken":
        return "tiktoken"
    if suffix == ".json" or head.lstrip()[:1] == b"{":
        spec = read_json(path, "tokenizer JSON", fix="re-download or re-export the tokenizer file", error=LoadError)
        if tekken.is_tekken(spec):
            return "tekken"
        if isinstance(spec, dict) and "model" in spec:
            return "hf"
        raise LoadError(
            "JSON file is neither an HF tokenizer.json nor Tekken",
            where=str(path),
            fix="pass a tokenizer.json or a tekken JSON file",
        )
    if suffix == ".model" or ".model." in path.name or head[:1] == b"\n":
        return "sentencepiece"
    first = head.split(b"\n", 1)[0].split()
    if len(first) == 2 and first[1].isdigit():
        return "tiktoken"
    raise LoadError(
        "cannot tell the tokenizer format",
        where=str(path),
        fix="name the file .json/.model/.tiktoken/.gguf or pass format= one of " + ", ".join(LOADERS),
    )


def _resolve(dir_path: Path, fmt: str) -> Path:
    if not dir_path.is_dir():
        return dir_path
    if fmt == "sentencepiece":
        for n in ("tokenizer.model", "spiece.model", "sentencepiece.bpe.model"):
            if (dir_path / n).is_file():
                return dir_path / n
    if fmt == "tekken":
        return dir_path / "tekken.json"
    if fmt == "gguf":
        return sorted(dir_path.glob("*.gguf"))[0]
    return dir_path


def load_tokenizer(source, format: str | None = None, name: str | None = None) -> Tokenizer:
    """Load any tokenizer into a `Tokenizer` (see the module docstring for ``source``)."""
    if isinstance(source, Tokenizer):
        return source
    src = os.fspath(source)
    path = Path(src).expanduser()
    if path.exists():
        fmt = format or detect_format(path)
        name = name or _artifact_name(path)
        loader = registry_get(LOADERS, fmt, "tokenizer format")
        try:
            return loader(_resolve(path, fmt), name=name)
        except LoadError:
            raise
        except (OSError, ValueError, KeyError, IndexError) as e:
            raise LoadError(
                f"cannot load {fmt} tokenizer ({e.__class__.__name__}: {str(e)[:100]})",
                where=str(path),
                fix="check that the file is complete and of that format",
            ) from None
    from ..artifacts import ARTIFACTS

    if src in ARTIFACTS:
        return load_builtin(src)
    if (
        format is not None
        or src.startswith((".", "/", "~"))
        or Path(src).suffix in (".json", ".model", ".tiktoken", ".gguf")
    ):
        raise LoadError("tokenizer file not found", where=src, fix="check the path")
    return _from_hub(src, name)


def _hub_resolvable() -> bool:
    """False at once when offline (no DNS for the hub), instead of transformers' minute of retries.

    A local cache still works offline when ``HF_HUB_OFFLINE=1`` is set, so then we let it try."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return True
    import socket
    from urllib.parse import urlparse

    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        socket.getaddrinfo(host, 443)
        return True
    except OSError:
        return False


def load_builtin(name: str) -> Tokenizer:
    """The `Tokenizer` of a built-in artifact (fetched once; a causal LM's converted tokenizer folder)."""
    from ..artifacts import ARTIFACTS
    from ..fetch import pull

    spec = registry_get(ARTIFACTS, name, "artifact")
    path = pull(name, part="tokenizer") if spec["kind"] == "causal_lm" else pull(name, part="file")
    return load_tokenizer(path, name=name)


def _artifact_name(path: Path) -> str | None:
    """A path inside the artifact cache is named after its artifact (not "hf" or "raw")."""
    from ..artifacts import cache_dir

    try:
        rel = path.resolve().relative_to((cache_dir() / "artifacts").resolve())
    except ValueError:
        return None
    return rel.parts[0] if rel.parts else None


def _from_hub(repo_id: str, name: str | None) -> Tokenizer:
    """An HF hub id through transformers (online only)."""
    from .. import artifacts

    if not _hub_resolvable():
        raise LoadError(
            "not a file, not a built-in artifact, and the HF hub is unreachable (offline)",
            where=repo_id,
            fix="pass a local path, one of: " + ", ".join(artifacts.ARTIFACTS) + "; or go online for hub ids",
        )
    try:
        from transformers import AutoTokenizer

        from ..hflog import quiet_transformers

        with quiet_transformers():
            tok = AutoTokenizer.from_pretrained(repo_id)
    except Exception as e:  # transformers raises OSError/ValueError/HTTP errors for missing or offline
        first = (str(e).strip().splitlines() or [e.__class__.__name__])[0][:140]

        raise LoadError(
            f"not a file, not a built-in artifact, and the HF hub could not provide it ({first})",
            where=repo_id,
            fix="pass a local path, one of: " + ", ".join(artifacts.ARTIFACTS) + "; or go online for hub ids",
        ) from None
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None:
        raise LoadError(
            "hub tokenizer has no fast (tokenizers) backend",
            where=repo_id,
            fix="download its tokenizer.json and load that file",
        )
    spec = json.loads(backend.to_str())
    cfg = {f"{r}_token": getattr(tok, f"{r}_token", None) for r in hf_json.ROLE_KEYS}
    return hf_json.from_backend(backend, spec, name or repo_id, cfg, source=repo_id)
