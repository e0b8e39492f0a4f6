"""Model surgery: describe a new vocabulary's embedding rows (`EmbeddingPlan`, no torch), apply it to a
transformers causal LM (`apply.apply_plan`; torch inside) and export the result as an HF directory
(`export.save_model`). ``apply_plan``, ``embedding_modules``, ``save_model`` and ``hf_tokenizer`` are
attributes of this package too, imported on first use (so ``import tokforge.surgery`` stays torch-free).

>>> from tokforge.surgery import EmbeddingPlan, Source
>>> Source.COPY.name
'COPY'
"""

from __future__ import annotations

from ..registry import lazy_attributes
from .plan import EmbeddingPlan, SidePlan, Source, match_by_bytes

# name -> "module:attribute", imported on first access
LAZY = {
    "apply_plan": "tokforge.surgery.apply:apply_plan",
    "embedding_modules": "tokforge.surgery.apply:embedding_modules",
    "save_model": "tokforge.surgery.export:save_model",
    "hf_tokenizer": "tokforge.surgery.export:hf_tokenizer",
}

__all__ = ["EmbeddingPlan", "SidePlan", "Source", "match_by_bytes", *LAZY]

__getattr__, __dir__ = lazy_attributes(__name__, LAZY)
