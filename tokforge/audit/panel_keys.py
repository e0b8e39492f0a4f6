"""Cache keys of the reference panel's measurements (`tokforge.audit.panel_cache`): what makes a number differ.

- **The tokenizer** (:func:`identity`): a built-in artifact's name, the path it loads from, and the sha256
  of the tokenizer files there (weights left out), remembered per file size and mtime so the files are
  read again only when they change; with the tokforge version, a hash of the source of the modules that
  compute the numbers (so an edited metric is never served from an older cache), the versions of the
  libraries they call (tokenizers, tiktoken, sentencepiece, numpy, regex, wordfreq, langcodes,
  pycountry), Python's version and its Unicode database.
- **The vocabulary settings** (:func:`vocab_key`): reachability, coverage languages, coverage top N.
- **The corpus** (:func:`corpus_key`): the sha256 of an in-memory corpus's text and alignment keys,
  language by language in order (FLORES: its split, languages and limit are in the text read), and
  the baseline language. A streamed ``hf:`` corpus is not identified cheaply: not cached.
- **The token viewer** (:func:`viewer_key`): its sample texts.

>>> vocab_key(reachability=False, coverage_langs=None, coverage_top=1000) == vocab_key(False, None, 1000)
True
"""

from __future__ import annotations

import hashlib
import json
import sys
from array import array
from functools import lru_cache
from pathlib import Path

FORMAT = 1  # the layout of a cached entry; bump it when that changes
# modules whose code shapes a cached number (relative to the tokforge package)
MEASURING = (
    "__init__.py",
    "vocab.py",
    "tokenizer.py",
    "fetch.py",
    "loaders",
    "audit/core.py",
    "audit/inputs.py",
    "audit/census.py",
    "audit/coverage.py",
    "audit/qtok.py",
    "audit/probes.py",
    "audit/accum.py",
    "audit/corpus_metrics.py",
    "audit/overlap.py",
    "audit/languages.py",
    "audit/sources.py",
    "audit/hf_source.py",
)
LIBRARIES = ("tokenizers", "tiktoken", "sentencepiece", "numpy", "regex", "wordfreq", "langcodes", "pycountry")
WEIGHTS = (".safetensors", ".bin", ".gguf", ".pt", ".pth", ".h5", ".msgpack", ".onnx", ".ckpt")


def _sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """tokforge's version, the source of the measuring modules, library and Python versions (once per process)."""
    import unicodedata
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(f"{FORMAT} {__version__} {sys.version_info[:2]} {unicodedata.unidata_version}\n".encode())
    for rel in MEASURING:
        p = root / rel
        for f in sorted(p.glob("*.py")) if p.is_dir() else [p]:
            h.update(f"{f.relative_to(root).as_posix()}\n".encode() + f.read_bytes())
    for lib in LIBRARIES:
        try:
            h.update(f"{lib} {version(lib)}\n".encode())
        except PackageNotFoundError:
            h.update(f"{lib} -\n".encode())
    return h.hexdigest()


def artifact_path(name: str) -> Path | None:
    """The path the built-in artifact ``name`` loads from (fetched once, as loading it would), or None when
    ``name`` is not a built-in artifact or a local path of that name shadows it (then it is loaded as a path)."""
    from ..artifacts import ARTIFACTS

    if name not in ARTIFACTS or Path(name).expanduser().exists():
        return None
    from ..fetch import pull

    return pull(name, part="tokenizer" if ARTIFACTS[name]["kind"] == "causal_lm" else "file")


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(f for f in path.iterdir() if f.is_file() and not f.name.endswith(WEIGHTS))


def content_sha(path: Path, memo: Path) -> str:
    """sha256 of the tokenizer files at ``path``; ``memo`` (a JSON file) remembers it per file size and mtime."""
    from ..io import atomic_write_text

    files = _files(path)
    stats = [[str(f), f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    try:
        old = json.loads(memo.read_text(encoding="utf-8"))
        if old.get("stats") == stats:
            return old["sha256"]
    except (OSError, ValueError, AttributeError, KeyError):
        pass
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}\n".encode())
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    sha = h.hexdigest()
    try:
        atomic_write_text(memo, json.dumps({"stats": stats, "sha256": sha}))
    except OSError:
        pass  # only a memo: next time the files are hashed again
    return sha


def identity(name: str, path: Path, root: Path) -> str:
    """The cache identity of panel tokenizer ``name`` loaded from ``path`` (``root``: the panel cache folder)."""
    return _sha([name, str(path), content_sha(path, root / f"{name}.files.json"), code_version()])


def vocab_key(reachability: bool, coverage_langs, coverage_top: int) -> str:
    """The key of a vocabulary entry: the audit settings that change it."""
    return "vocab-" + _sha([bool(reachability), list(coverage_langs) if coverage_langs else None, coverage_top])[:32]


def corpus_key(corp, baseline: str) -> str | None:
    """The key of a tokenizer's rows on ``corp`` (an in-memory `Corpus`), None for any other corpus."""
    from .sources import Corpus

    if not isinstance(corp, Corpus):
        return None
    h = hashlib.sha256(f"{bool(corp.parallel)} {baseline}\n".encode())
    for lang, lines in corp.texts.items():
        h.update(f"\n{lang} {len(lines)}\n".encode())
        _lines(h, lines)
        if corp.keys is not None:
            _lines(h, corp.keys[lang])
    return "corpus-" + h.hexdigest()[:32]


def _lines(h, lines) -> None:
    """Lines into a hash, unambiguously: their lengths, then their text."""
    h.update(array("q", map(len, lines)).tobytes())
    h.update("".join(lines).encode("utf-8", "surrogatepass"))


def viewer_key(texts: dict[str, str]) -> str:
    return "viewer-" + _sha(list(texts.items()))[:32]


def cache_root() -> Path:
    """``$TOKFORGE_CACHE/audit/panel`` (default ``~/.cache/tokforge/audit/panel``)."""
    from ..artifacts import cache_dir

    return cache_dir() / "audit" / "panel"


def same(a, b) -> bool:
    """Equal in value and type, all the way down (NaN equals NaN): what reading JSON back must give.

    >>> same({"a": [1, 2.0, float("nan")]}, {"a": [1, 2.0, float("nan")]}), same([1], [1.0]), same((1,), [1])
    (True, False, False)
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    return a == b


def dump_exact(value) -> str | None:
    """JSON text of ``value`` when it reads back exactly (:func:`same`), else None (then it is not cached)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    return text if same(json.loads(text), value) else None
