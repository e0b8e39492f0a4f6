"""Supertokens: tokenizers whose tokens may span several words (``" of the"``, ``"First Citizen:"``).

The public entry is the root: ``tokforge.train_supertokens`` (defined in `trainer`) and
``tokforge.SuperConfig`` (defined in `train`).

>>> import tokforge                                                        # doctest: +SKIP
>>> cfg = tokforge.SuperConfig(transition=12800)                           # doctest: +SKIP
>>> tok = tokforge.train_supertokens(["corpus.txt"], 16000, config=cfg, out="st16k")  # doctest: +SKIP

See docs/supertokens.md. ``method="superbpe"`` is SuperBPE's two-stage curriculum (stage-1
merges kept verbatim); ``method="chunked"`` is TokenAdapt-style BPE over random word chunks;
``base=tokenizer.json`` extends an existing byte-level BPE with supertokens.
"""
