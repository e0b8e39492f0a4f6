"""Give a pretrained causal LM a new tokenizer: plan builders (`registry.METHODS`), evaluation in
bits per byte (`evaluate`), and `api.transplant(...) -> (model, report)`. Heavy imports (torch,
transformers, faiss) happen inside the modules that need them."""
