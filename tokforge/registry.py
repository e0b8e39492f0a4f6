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


def lazy_attributes(module_name: str, table: dict[str, str]):
    """``(__getattr__, __dir__)`` for a package whose attributes ``table`` lists as lazy
    ``"module:attribute"`` text (or ``"module"``): each is imported on first access, then cached
    in the package. Keeps ``import tokforge`` light while features stay one attribute away.

    >>> getattr_, dir_ = lazy_attributes("demo", {"dumps": "json:dumps"})
    >>> getattr_("dumps").__name__
    'dumps'
    >>> getattr_("nope")
    Traceback (most recent call last):
    ...
    AttributeError: module 'demo' has no attribute 'nope'
    """
    import sys

    def __getattr__(name: str):
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = resolve(target) if ":" in target else importlib.import_module(target)
        mod = sys.modules.get(module_name)
        if mod is not None:
            setattr(mod, name, value)
        return value

    def __dir__():
        mod = sys.modules.get(module_name)
        return sorted(set(vars(mod) if mod else ()) | set(table))

    return __getattr__, __dir__
