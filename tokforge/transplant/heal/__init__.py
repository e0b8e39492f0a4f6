"""Healing a transplanted model by self-distillation from the original (``tokforge heal``).

``heal(model, tokenizer, teacher, teacher_tokenizer, texts, HealConfig(...))`` trains the new
embedding rows (or more) so that the model with its new tokenizer matches the original model on
the same text: ALM-style chunk likelihood matching (`losses.alm_loss`), next-token cross-entropy
(`losses.lm_loss`), or exact byte-level KL (`losses.bytes_loss`). See docs/transplant.md.
"""

from __future__ import annotations

import importlib

LAZY = {"heal": "api:heal", "heal_dir": "api:heal_dir", "HealConfig": "train:HealConfig", "Source": "data:Source"}
__all__ = list(LAZY)


def __getattr__(name: str):
    target = LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'tokforge.transplant.heal' has no attribute {name!r}")
    mod, _, attr = target.partition(":")
    return getattr(importlib.import_module(f"{__name__}.{mod}"), attr)
