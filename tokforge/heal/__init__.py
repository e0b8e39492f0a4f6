"""Healing a transplanted model by self-distillation from the original (``tokforge heal``).

``tokforge.heal_model(model, texts, teacher=..., config=HealConfig(...))`` (`api`) trains the new
embedding rows (or more) so that the model with its new tokenizer matches the original model on
the same text: ALM-style chunk likelihood matching, next-token cross-entropy, or exact byte-level KL
(`losses.LOSSES`; ``lm`` by default). ``HealConfig(calibrator=True)`` also trains one shared map of
the rows not copied (`calibrator`), so rows no step shows move too. See docs/transplant.md.
"""
