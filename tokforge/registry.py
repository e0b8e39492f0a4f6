"""Registries are plain dicts from a name to an object, or to ``"module:attribute"`` text that is
imported on first use (so a registry can list heavy features without importing them).

``get(registry, name, kind)`` returns the object; an unknown name is an `UnknownNameError` that lists
the known ones. tokforge's registries: ``transplant.registry.METHODS``, ``loaders.LOADERS``,
``supertokens.train.TRAINERS``, ``artifacts.ARTIFACTS``.

>>> get({"upper": "builtins:str"}, "upper", "thing") is str
True
>>> get({"a": 1}, "b", "thing")
Traceback (most recent call last):
...
tokforge.errors.UnknownNameError: unknown thing 'b' (known: a)
"""

from __future__ import annotations

import importlib

from .errors import lookup


def resolve(value):
    """``"module:attribute"`` -> that attribute (imported now); anything else is returned as is."""
    if isinstance(value, str) and ":" in value and " " not in value:
        mod, _, attr = value.partition(":")
        return getattr(importlib.import_module(mod), attr)
    return value


def get(registry: dict, name, kind: str):
    """The registry's object for ``name`` (resolved if it is lazy ``module:attribute`` text)."""
    return resolve(lookup(registry, name, kind))
