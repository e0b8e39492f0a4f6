"""Model surgery: describe a new vocabulary's embedding rows (`plan.EmbeddingPlan`, no torch), apply it to a
transformers causal LM (`apply.apply_plan`; torch inside), run the model in pieces (`forward`) and export the
result as an HF directory (`export.save_model`). Each object has one home, its module; this package
re-exports nothing, so ``import tokforge.surgery`` stays torch-free.

>>> from tokforge.surgery.plan import Source
>>> Source.COPY.name
'COPY'
"""
