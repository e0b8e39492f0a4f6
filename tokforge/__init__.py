"""tokforge: tokenizer engineering on one canonical byte-level vocabulary.

``import tokforge`` is light (no torch, transformers or faiss); every feature is one attribute away
and loads on first use: ``tokforge.models``, ``tokforge.audit``, ``tokforge.transplant`` (with
``transplant.transplant`` and ``transplant.heal.heal``), ``tokforge.ByteLM``, ``tokforge.Ensemble``,
``tokforge.StochasTok``, ``tokforge.train_supertokens``. See docs/api.md for the public surface.

>>> import tokforge
>>> tokforge.load_tokenizer("gpt2").encode("Hello world")
[15496, 995]
"""

from __future__ import annotations

from .errors import TokforgeError
from .loaders import load_tokenizer
from .registry import lazy_attributes
from .tokenizer import Tokenizer
from .vocab import TokenKind, Vocab

__version__ = "0.2.0"

# name -> "module" (a subpackage) or "module:attribute", imported on first access
LAZY = {
    "models": "tokforge.models",
    "corpus": "tokforge.corpus",
    "audit": "tokforge.audit",
    "transplant": "tokforge.transplant",
    "bytelevel": "tokforge.bytelevel",
    "ByteLM": "tokforge.bytelevel:ByteLM",
    "Ensemble": "tokforge.bytelevel:Ensemble",
    "StochasTok": "tokforge.stochastok:StochasTok",
    "train_supertokens": "tokforge.supertokens:train_supertokens",
}

__all__ = ["TokforgeError", "TokenKind", "Tokenizer", "Vocab", "load_tokenizer", "__version__", *LAZY]

__getattr__, __dir__ = lazy_attributes(__name__, LAZY)
