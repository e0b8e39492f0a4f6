"""Transplant methods: a plain dict from name to `Method` (builder + typed options).

Builder signature: ``build(ctx: TransplantContext) -> EmbeddingPlan`` returning a plan whose every
row has a source (copies of shared tokens included). Builders read what they need from the
context, and their options with ``ctx.opts(OptionsClass)``; model weights are only needed by
builders that predict vectors (``ctx.model``). To add a method, add one entry to ``METHODS``
(the builder as ``"pkg.module:function"`` text keeps heavy imports out until the method is used).

>>> {"mean", "fvt", "hybrid"} <= set(METHODS)
True
>>> METHODS["hybrid"].options.__name__, METHODS["omp"].needs_donor
('TokenAdaptOptions', True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..registry import get as registry_get
from ..registry import resolve
from . import options as O


@dataclass
class TransplantContext:
    """Everything a plan builder may use.

    ``old_tokenizer``/``new_tokenizer``: tokforge `Tokenizer`s; ``model``: the original causal LM
    (or None); ``donor``: ``(model, tokenizer)`` of a model that already speaks the new tokenizer,
    or None; ``options``: the method's options (a dataclass from `options`, or a dict that
    ``opts`` parses); ``memo``: results builders share within one context (auxiliary embeddings,
    neighbours)."""

    old_tokenizer: Any
    new_tokenizer: Any
    model: Any = None
    donor: Any = None
    options: Any = None
    device: str = "cpu"
    seed: int = 0
    progress: bool = True
    memo: dict = field(default_factory=dict)

    def opts(self, cls, method: str = ""):
        """The options as ``cls`` (parsed and type-checked once; unknown names are an error)."""
        if not isinstance(self.options, cls):
            self.options = O.parse(cls, self.options, method or cls.__name__)
        return self.options


Builder = Callable[[TransplantContext], Any]


@dataclass(frozen=True)
class Method:
    """A registry entry: the plan builder (``"module:function"``, imported on first use), its options
    dataclass, and what it needs."""

    builder: str
    options: type = O.NoOptions
    needs_donor: bool = False
    needs_model: bool = False
    about: str = ""

    @property
    def build(self) -> Builder:
        return resolve(self.builder)


METHODS: dict[str, Method] = {
    "mean": Method("tokforge.transplant.baseline:build_mean", about="mean old row (Hewitt 2021)"),
    "fvt": Method("tokforge.transplant.baseline:build_fvt", about="mean of the old-token spelling (FVT)"),
    "tokenadapt-local": Method(
        "tokforge.transplant.tokenadapt:build_local", O.TokenAdaptOptions, about="TokenAdapt local heuristic"
    ),
    "tokenadapt-global": Method(
        "tokforge.transplant.tokenadapt:build_global", O.TokenAdaptOptions, about="TokenAdapt global heuristic"
    ),
    "hybrid": Method(
        "tokforge.transplant.tokenadapt:build_hybrid", O.TokenAdaptOptions, about="TokenAdapt hybrid (local + global)"
    ),
    "omp": Method(
        "tokforge.transplant.omp:build",
        O.OMPOptions,
        needs_donor=True,
        about="orthogonal matching pursuit over a donor model's embeddings",
    ),
    "hypernet": Method(
        "tokforge.transplant.hypernet.plan:build",
        O.HypernetOptions,
        needs_model=True,
        about="ZeTT-style hypernetwork (tokforge hypernet train)",
    ),
}


def get(name: str) -> Method:
    """The registry entry for ``name``; unknown names list the known ones."""
    return registry_get(METHODS, name, "transplant method")


def get_method(name: str) -> Builder:
    """The builder for ``name``; unknown names list the known ones."""
    return get(name).build


def parse_options(name: str, raw: dict | None):
    """Method ``name``'s options dataclass from ``raw`` (one-line errors for unknown or ill-typed options)."""
    return O.parse(get(name).options, raw, name)
