"""Give a pretrained causal LM a new tokenizer.

``tokforge.transplant_model(model, tokenizer, config=TransplantConfig(method=...)) -> TransplantResult``
(defined in `api`) builds an `EmbeddingPlan` with a method from `registry.METHODS` and applies it;
``tokforge.heal_model`` then trains the new rows by self-distillation (`tokforge.heal`) and
``tokforge.evaluate_model`` measures bits per byte (`tokforge.evaluate`). This package re-exports
nothing, so importing it pulls in no torch, transformers or faiss.
"""
