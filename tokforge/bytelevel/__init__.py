"""Exact byte-level probabilities from tokenized LMs (see docs/bytelevel.md).

``ByteLM`` and ``Ensemble`` need torch; they are imported on first use so that
``tokforge.bytelevel.cover`` stays torch-free.
"""

from __future__ import annotations

__all__ = ["ByteLM", "Ensemble", "Leaves", "MarginalByteLM", "MODES", "proxy_tune"]

MODES = ("mixture", "product", "bayes", "switch")  # how `Ensemble` combines its members (torch-free list)


def __getattr__(name):
    if name in ("ByteLM", "Leaves"):
        from . import bytelm

        return getattr(bytelm, name)
    if name == "MarginalByteLM":
        from .marginal import MarginalByteLM

        return MarginalByteLM
    if name in ("Ensemble", "proxy_tune"):
        from . import ensemble

        return getattr(ensemble, name)
    raise AttributeError(name)
