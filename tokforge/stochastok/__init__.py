"""StochasTok (Sims et al. 2025): seeded stochastic token splitting for any tokenizer.

A fraction of tokens is split into two in-vocabulary pieces whose bytes concatenate to the
original token, so a model sees inside its tokens while the text stays exactly the same.

>>> from tokforge.stochastok import StochasTok
>>> st = StochasTok("gpt2", p=0.1)                      # doctest: +SKIP
>>> st.expand(st.tokenizer.encode("Hello world"), seed=0)  # doctest: +SKIP

See ``docs/stochastok.md``. numpy only: the torch collator lives in `.integrations`.
"""

from __future__ import annotations

from .contract import contract
from .core import IGNORE_INDEX, StochasTok, labels_to_mask
from .table import SplitTable, load_table

__all__ = ["IGNORE_INDEX", "SplitTable", "StochasTok", "contract", "labels_to_mask", "load_table"]
