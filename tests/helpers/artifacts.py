"""Built-in artifacts from the tokforge cache, loaded once per test session.

The one cache for real tokenizers and models: conftest.py's fixtures (``gpt2``, ``smollm2``, ...) return
these objects, and tests parametrized over artifact names call `real_tokenizer(name)` directly. A causal
LM's tokenizer is the same object as `real_tokenizer(name)`. A test that changes a model loads its own
copy with `tokforge.models.load_causal_lm`."""

from __future__ import annotations

from tokforge import load_tokenizer

_TOKENIZERS: dict = {}
_LMS: dict = {}


def real_tokenizer(name: str):
    """A built-in artifact's Tokenizer, loaded once per test session."""
    if name not in _TOKENIZERS:
        _TOKENIZERS[name] = load_tokenizer(name)
    return _TOKENIZERS[name]


def real_lm(name: str):
    """(model, tokenizer) of a built-in causal LM on CPU, loaded once per test session."""
    if name not in _LMS:
        from tokforge.models import load_causal_lm

        _LMS[name] = load_causal_lm(name, tokenizer=real_tokenizer(name))
    return _LMS[name]


def gguf_header(path) -> bytes:
    """The bytes of a GGUF file up to the end of its key/value metadata."""
    import mmap

    from tokforge.loaders import gguf_file

    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        cur = gguf_file._Cursor(buf, str(path))
        cur.pos = 4
        cur.take("I"), cur.take("Q")
        for _ in range(cur.take("Q")):
            cur.string()
            cur.value(cur.take("I"))
        return bytes(buf[: cur.pos])
