"""Typed options of the transplant methods: one frozen dataclass per method, parsed from strings
(``blend``'s, which names other methods, is `registry.BlendOptions`).

``parse(cls, {"k": "3"}, method="hybrid")`` converts each value to the field's type; an unknown
name or a value of the wrong type is a one-line error listing the valid options. No torch here:
the CLI checks options before it loads any model.

>>> parse(TokenAdaptOptions, {"k": "5", "w": 0.5}, "hybrid")
TokenAdaptOptions(w=0.5, k=5, temperature=0.3, threshold=0.6, encoder=None, threads=2)
>>> parse(NoOptions, {}, "fvt")
NoOptions()
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class NoOptions:
    """The method takes no options."""


@dataclass(frozen=True)
class TokenAdaptOptions:
    """TokenAdapt local/global/hybrid (defaults follow the paper's code).

    ``w``: weight of the global estimate in the hybrid; ``k``: neighbours of the global heuristic;
    ``temperature``: softmax temperature of both; ``threshold``: least cosine similarity of a global
    neighbour; ``encoder``: auxiliary sentence encoder folder (default: built-in MiniLM);
    ``threads``: faiss threads."""

    w: float = 0.3
    k: int = 3
    temperature: float = 0.3
    threshold: float = 0.6
    encoder: str | None = None
    threads: int = 2


@dataclass(frozen=True)
class OMPOptions:
    """Orthogonal matching pursuit over a donor's embeddings: ``k`` atoms per token, ``candidates``
    pre-selected by projected similarity, ``pca_dim`` of the projection, ``batch`` tokens per solve."""

    k: int = 32
    candidates: int = 256
    pca_dim: int = 128
    batch: int = 256


@dataclass(frozen=True)
class HypernetOptions:
    """``hypernet``: trained hypernetwork folder (required); ``copy_overlap``: copy rows of tokens both
    vocabularies share instead of predicting them."""

    hypernet: str | None = None
    copy_overlap: bool = True


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _convert(value, kind, name: str, method: str):
    """``value`` as ``kind`` (int, float, bool, str, or one of those | None)."""
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if args:  # X | None
        if value is None or (isinstance(value, str) and value.lower() == "none"):
            return None
        kind = args[0]
    bad = InputError(f"option {name} of method {method} must be {kind.__name__}", where=f"{name}={value!r}")
    if kind is bool:
        if isinstance(value, bool):
            return value
        s = str(value).strip().lower()
        if s in _TRUE or s in _FALSE:
            return s in _TRUE
        raise bad
    if kind is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise bad
        try:
            return int(value) if not isinstance(value, str) else int(value.strip())
        except ValueError:
            raise bad from None
    if kind is float:
        if isinstance(value, bool):
            raise bad
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad from None
    return str(value)


def names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def parse(cls, raw: dict | None, method: str):
    """An instance of the options dataclass ``cls`` from ``raw`` (strings or values); already an
    instance: returned as is. A class with a ``from_raw(raw, method)`` classmethod parses itself
    (`registry.BlendOptions`: nested options of other methods)."""
    if isinstance(raw, cls):
        return raw
    custom = getattr(cls, "from_raw", None)
    if custom is not None:
        return custom(raw, method)
    raw = dict(raw or {})
    valid = names(cls)
    unknown = [k for k in raw if k not in valid]
    if unknown:
        raise InputError(
            f"unknown option {unknown[0]!r} for method {method}",
            fix="valid: " + (", ".join(valid) if valid else "none (this method takes no options)"),
        )
    hints = typing.get_type_hints(cls)
    return cls(**{k: _convert(v, hints[k], k, method) for k, v in raw.items()})


def from_pairs(pairs) -> dict[str, str]:
    """``["k=3", "w=0.5"]`` -> ``{"k": "3", "w": "0.5"}`` (values are converted by `parse`).

    >>> from_pairs(["k=3", "encoder=/x=y"])
    {'k': '3', 'encoder': '/x=y'}
    """
    out = {}
    for p in pairs:
        if "=" not in p:
            raise InputError("method option must look like NAME=VALUE", where=p, fix="e.g. k=3")
        k, v = p.split("=", 1)
        out[k.strip()] = v
    return out
