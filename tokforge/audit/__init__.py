"""Tokenizer audit: Qtok's categories and much more, for many tokenizers side by side.

The public entry is the root: ``tokforge.audit_tokenizers``, ``tokforge.AuditConfig`` and
``tokforge.AuditReport`` (defined in `core`, `config` and `report`).

>>> import tokforge                                                        # doctest: +SKIP
>>> report = tokforge.audit_tokenizers(["gpt2", "smollm2-135m"])          # doctest: +SKIP
>>> report.save("tokforge-audit")                                         # doctest: +SKIP
"""
