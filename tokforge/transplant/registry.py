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

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import InputError, lookup
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


BLEND_MODES = ("average", "confidence")
_BLEND_FIELDS = ("methods", "mode", "weights")


def _split(value, what: str) -> tuple:
    """``"a, b"`` or a list -> a tuple of stripped items (strings stay strings)."""
    if isinstance(value, str):
        return tuple(x.strip() for x in value.split(",") if x.strip())
    if isinstance(value, (list, tuple)):
        return tuple(x.strip() if isinstance(x, str) else x for x in value)
    raise InputError(f"option {what} of method blend must be a comma-separated list", where=f"{what}={value!r}")


@dataclass(frozen=True)
class BlendOptions:
    """``blend``: every new row made from two or more methods' plans (`transplant.blend`).

    ``methods``: the blended methods (``"omp,hybrid"`` or a list; two or more, any method but
    ``blend``; a name may repeat); ``mode``: ``average`` (the weighted average of the methods' rows)
    or ``confidence`` (the row of the method most confident about it; ties go to the first listed);
    ``weights``: one per method (default equal; each >= 0, summing to more than 0; a zero leaves that
    method out); ``method_options``: each blended method's own options, given as dotted keys
    ``{"omp.k": 16}`` (on the CLI ``--option omp.k=16``) or as ``{"omp": {"k": 16}}``; stored parsed
    for every blended method.

    >>> o = parse_options("blend", {"methods": "fvt,hybrid", "hybrid.k": "5", "weights": "3,1"})
    >>> o.methods, o.weights, o.method_options["hybrid"].k, o.needs_donor
    (('fvt', 'hybrid'), (3.0, 1.0), 5, False)
    >>> parse_options("blend", {"methods": "fvt,omq"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tokforge.errors.UnknownNameError: unknown blended method 'omq' (known: fvt, hybrid, hypernet, mean, omp, ...)
    """

    methods: tuple = ("omp", "hybrid")
    mode: str = "average"
    weights: tuple | None = None
    method_options: dict = field(default_factory=dict)

    def __post_init__(self):
        methods = _split(self.methods, "methods")
        blendable = {k: v for k, v in METHODS.items() if k != "blend"}
        for name in methods:
            if name == "blend":
                raise InputError("a blend cannot contain a blend", where=f"methods={','.join(methods)}")
            lookup(blendable, name, "blended method")
        if len(methods) < 2:
            raise InputError(
                "method blend needs two or more methods", where=f"methods={','.join(methods)}", fix="methods=omp,hybrid"
            )
        lookup(dict.fromkeys(BLEND_MODES), self.mode, "blend mode")
        object.__setattr__(self, "methods", methods)
        object.__setattr__(self, "weights", self._checked_weights())
        object.__setattr__(self, "method_options", self._parsed_sub_options())

    def _checked_weights(self) -> tuple | None:
        w = self.weights
        if w is None or (isinstance(w, str) and w.strip().lower() in ("", "none")):
            return None
        try:
            w = tuple(float(x) for x in _split(w, "weights"))
        except (TypeError, ValueError):
            bad = f"weights={self.weights!r}"
            raise InputError("option weights of method blend must be floats", where=bad) from None
        if len(w) != len(self.methods):
            raise InputError(
                "method blend needs one weight per method",
                where=f"{len(w)} weights for {len(self.methods)} methods ({', '.join(self.methods)})",
            )
        if not all(math.isfinite(x) and x >= 0 for x in w) or sum(w) <= 0:
            raise InputError("blend weights must be >= 0 and sum to more than 0", where=f"weights={w}")
        return w

    def _parsed_sub_options(self) -> dict:
        raw = dict(self.method_options or {})
        stray = [k for k in raw if k not in self.methods]
        if stray:
            raise InputError(
                f"options for {stray[0]!r}, which the blend does not use",
                fix="blended: " + ", ".join(dict.fromkeys(self.methods)),
            )
        out = {n: O.parse(METHODS[n].options, raw.get(n), n) for n in dict.fromkeys(self.methods)}
        encoders = {o.encoder for o in out.values() if isinstance(o, O.TokenAdaptOptions)}
        if len(encoders) > 1:  # they share the auxiliary embeddings (TransplantContext.memo)
            raise InputError("blended TokenAdapt methods must use one encoder", where=str(sorted(map(str, encoders))))
        return out

    @classmethod
    def from_raw(cls, raw, method: str = "blend") -> "BlendOptions":
        """From ``{"methods": ..., "mode": ..., "weights": ..., "omp.k": ..., "hybrid": {...}}``."""
        top, sub = {}, {}
        for k, v in dict(raw or {}).items():
            name, dot, opt = str(k).partition(".")
            if dot:
                if not isinstance(sub.setdefault(name, {}), dict):
                    raise InputError(f"options of {name} given twice", where=k)
                sub[name][opt] = v
            elif k in _BLEND_FIELDS:
                top[k] = v
            elif k == "method_options" or k in METHODS:
                for n, o in v.items() if k == "method_options" else [(k, v)]:
                    if n in sub:
                        raise InputError(f"options of {n} given twice", where=str(k))
                    sub[n] = o
            else:
                raise InputError(
                    f"unknown option {k!r} for method {method}", fix="valid: methods, mode, weights, METHOD.OPTION"
                )
        return cls(**top, method_options=sub)

    @property
    def needs_donor(self) -> bool:
        return any(METHODS[n].needs_donor for n in self.methods)

    def active(self) -> tuple[tuple[str, ...], tuple[float, ...]]:
        """(methods, weights normalised to sum 1), methods of weight 0 left out."""
        w = self.weights or (1.0,) * len(self.methods)
        total = sum(w)
        kept = [(n, x / total) for n, x in zip(self.methods, w) if x > 0]
        return tuple(n for n, _ in kept), tuple(x for _, x in kept)

    def __hash__(self):
        return hash((self.methods, self.mode, self.weights, repr(sorted(self.method_options.items()))))


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
    "blend": Method(
        "tokforge.transplant.blend:build",
        BlendOptions,
        about="blend of other methods' plans: per-row average, or per-row choice by confidence",
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
