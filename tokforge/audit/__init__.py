"""Tokenizer audit: Qtok's categories and much more, for many tokenizers side by side.

>>> from tokforge.audit import audit            # doctest: +SKIP
>>> report = audit(["gpt2", "smollm2-135m"])    # doctest: +SKIP
>>> report.save("tokforge-audit")               # doctest: +SKIP
"""

from .core import audit
from .report import AuditReport
from .sources import Corpus, default_corpus, load_corpus

__all__ = ["AuditReport", "Corpus", "audit", "default_corpus", "load_corpus"]
