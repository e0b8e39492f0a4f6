"""Optional dependencies, grouped in pip extras. ``pip install tokforge`` is the core (load, inspect,
audit without plots); features that need more say which extra brings it, in one line.

``EXTRAS`` maps each extra to the modules it provides; ``require(module, feature)`` imports a module
or raises `MissingExtraError` naming the extra to install.

>>> require("json", "a doctest").__name__
'json'
>>> require("no_such_module_xyz", "transplant")
Traceback (most recent call last):
...
tokforge.errors.MissingExtraError: transplant needs no_such_module_xyz, which is not installed (pip install ...)
"""

from __future__ import annotations

import importlib

from .errors import MissingExtraError

# extra -> the top-level modules it brings (pyproject.toml's [project.optional-dependencies] installs them)
EXTRAS = {
    "models": ("torch", "transformers", "safetensors", "accelerate", "faiss"),
    "plots": ("matplotlib", "vl_convert"),
    "data": ("datasets",),
    "cluster": ("distributed",),
}


def extra_of(module: str) -> str | None:
    """The extra that brings ``module`` (its top-level package), or None."""
    top = module.partition(".")[0]
    return next((name for name, mods in EXTRAS.items() if top in mods), None)


def require(module: str, feature: str):
    """Import ``module`` for ``feature``; if it is missing, one line says which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        top = module.partition(".")[0]
        if getattr(e, "name", None) not in (None, top, module):
            raise  # the module is there but one of its own imports failed: not a missing extra
        extra = extra_of(module) or "..."
        raise MissingExtraError(
            f"{feature} needs {top}, which is not installed", fix=f"pip install 'tokforge[{extra}]'"
        ) from None
