"""Bits per byte of a causal LM on text, on the bytes the model really saw (`bits`; `api.evaluate_model`
is the public entry), where the gap between two models sits (`gap`), byte alignment of two
tokenizations (`align`) and tokenizer round trips (`roundtrip`). Used by transplant, heal, hypernet
and the benches. Torch is imported inside.
"""
