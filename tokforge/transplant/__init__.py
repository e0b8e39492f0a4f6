"""Give a pretrained causal LM a new tokenizer, then heal it against the original.

``transplant(model, tokenizer, method=...) -> (model, report)`` builds and applies an
`EmbeddingPlan` (methods: `registry.METHODS`); ``heal.heal(model, tokenizer, teacher, teacher_tokenizer,
texts, HealConfig(...)) -> (model, report)`` (the `heal` subpackage) trains the new rows by self-distillation;
``evaluate_languages`` measures bits per byte (`evaluate`). Names load on first use, so importing
this package pulls in no torch, transformers or faiss.
"""

from __future__ import annotations

from ..registry import lazy_attributes

LAZY = {
    "transplant": "tokforge.transplant.api:transplant",
    "METHODS": "tokforge.transplant.registry:METHODS",
    "TransplantContext": "tokforge.transplant.registry:TransplantContext",
}
__all__ = list(LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, LAZY)
