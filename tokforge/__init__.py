"""tokforge: tokenizer engineering on one canonical byte-level vocabulary.

``import tokforge`` is light: torch, transformers and faiss load only inside the features
that need them.
"""

from __future__ import annotations

from .errors import TokforgeError
from .loaders import load_tokenizer
from .tokenizer import Tokenizer
from .vocab import TokenKind, Vocab

__version__ = "0.1.0"
__all__ = ["TokforgeError", "TokenKind", "Tokenizer", "Vocab", "load_tokenizer", "__version__"]
