"""Healing a transplanted model by self-distillation from the original (``tokforge heal``).

``heal(model, tokenizer, teacher, teacher_tokenizer, texts, HealConfig(...))`` trains the new
embedding rows (or more) so that the model with its new tokenizer matches the original model on
the same text: ALM-style chunk likelihood matching (`losses.alm_loss`), next-token cross-entropy
(`losses.lm_loss`), or exact byte-level KL (`losses.bytes_loss`). See docs/transplant.md.
"""

from __future__ import annotations

from ..registry import lazy_attributes

LAZY = {
    **{name: f"tokforge.heal.api:{name}" for name in ("heal", "heal_dir", "load_pair")},
    "HealConfig": "tokforge.heal.config:HealConfig",
    "Source": "tokforge.heal.data:Source",
}
__all__ = list(LAZY)

__getattr__, __dir__ = lazy_attributes(__name__, LAZY)
