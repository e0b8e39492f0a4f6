"""ZeTT-style hypernetwork (Minixhofer, Ponti & Vulić 2024, *Zero-Shot Tokenizer Transfer*) in PyTorch.

A small transformer reads a new token as the ORIGINAL tokenizer would spell it (its original
embedding rows) and predicts the token's input embedding and, for untied models, its output
embedding. It starts as the ``fvt`` subword mean plus a zero-initialised correction and is trained
against the frozen base model on tokenizers sampled on the fly.

Modules: ``api`` (``tokforge.train_hypernet``, ``HypernetConfig``, ``HypernetResult``), ``decompose``
(new token -> original ids), ``model`` (the network), ``sampler`` (random UnigramLM tokenizers), ``lm``
(frozen LM forward with predicted matrices), ``train`` (the training loop), ``io`` (safetensors + JSON,
base-model identity), ``plan`` (an `EmbeddingPlan` for transplant). This package re-exports nothing;
importing it (and ``api``) stays light; torch is imported by the modules that need it.
"""
