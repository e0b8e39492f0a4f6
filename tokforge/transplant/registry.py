"""Transplant methods: a plain dict from name to plan builder.

Builder signature: ``build(ctx: TransplantContext) -> EmbeddingPlan`` returning a plan whose every
row has a source (copies of shared tokens included). Builders read what they need from the
context; model weights are only needed by builders that predict vectors (``ctx.model``).
To add a method, add one entry to ``METHODS`` (``lazy("pkg.module:function")`` keeps heavy
imports out until the method is used).

>>> {"mean", "fvt", "hybrid"} <= set(METHODS)
True
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import lookup


@dataclass
class TransplantContext:
    """Everything a plan builder may use.

    ``old_tokenizer``/``new_tokenizer``: tokforge `Tokenizer`s; ``model``: the original causal LM
    (or None); ``donor``: ``(model, tokenizer)`` of a model that already speaks the new tokenizer,
    or None; ``options``: method options (``w``, ``k``, ``temperature``, ``threshold``...)."""

    old_tokenizer: Any
    new_tokenizer: Any
    model: Any = None
    donor: Any = None
    options: dict = field(default_factory=dict)
    device: str = "cpu"
    seed: int = 0
    progress: bool = True

    def opt(self, name: str, default):
        v = self.options.get(name)
        return default if v is None else v


Builder = Callable[[TransplantContext], Any]


def lazy(target: str) -> Builder:
    """A builder imported on first call: ``lazy("tokforge.transplant.omp:build")``."""
    mod, fn = target.split(":")

    def build(ctx: TransplantContext):
        return getattr(importlib.import_module(mod), fn)(ctx)

    build.__name__ = fn
    build.__qualname__ = target
    return build


METHODS: dict[str, Builder] = {
    "mean": lazy("tokforge.transplant.baseline:build_mean"),
    "fvt": lazy("tokforge.transplant.baseline:build_fvt"),
    "tokenadapt-local": lazy("tokforge.transplant.tokenadapt:build_local"),
    "tokenadapt-global": lazy("tokforge.transplant.tokenadapt:build_global"),
    "hybrid": lazy("tokforge.transplant.tokenadapt:build_hybrid"),
    "omp": lazy("tokforge.transplant.omp:build"),
    "hypernet": lazy("tokforge.transplant.hypernet.plan:build"),
}


def get_method(name: str) -> Builder:
    """The builder for ``name``; unknown names list the known ones."""
    return lookup(METHODS, name, "transplant method")
