"""Supertokens: tokenizers whose tokens may span several words (``" of the"``, ``"First Citizen:"``).

>>> from tokforge.supertokens import train_supertokens            # doctest: +SKIP
>>> tok = train_supertokens(["corpus.txt"], vocab_size=16000, transition=9600, out="st16k")  # doctest: +SKIP

See docs/supertokens.md. ``method="superbpe"`` is SuperBPE's two-stage curriculum (stage-1
merges kept verbatim); ``method="chunked"`` is TokenAdapt-style BPE over random word chunks;
``base=tokenizer.json`` extends an existing byte-level BPE with supertokens.
"""

from __future__ import annotations

from .merges import MergeFilter, MergeLearner
from .pretok import chunk_pretokenizer, chunk_regex, word_count
from .train import TRAINERS, Method, SuperConfig, extend_tokenizer, train_bpe, train_spec
from .trainer import train_supertokens

__all__ = [
    "TRAINERS",
    "Method",
    "MergeFilter",
    "MergeLearner",
    "SuperConfig",
    "chunk_pretokenizer",
    "chunk_regex",
    "extend_tokenizer",
    "train_supertokens",
    "train_spec",
    "train_bpe",
    "word_count",
]
