"""Model surgery: describe a new vocabulary's embedding rows (`EmbeddingPlan`, no torch) and
apply it to a transformers causal LM (`apply.apply_plan`, `apply.save_model`; torch inside).

>>> from tokforge.surgery import EmbeddingPlan, Source
>>> Source.COPY.name
'COPY'
"""

from __future__ import annotations

from .plan import EmbeddingPlan, SidePlan, Source, match_by_bytes

__all__ = ["EmbeddingPlan", "SidePlan", "Source", "match_by_bytes"]
