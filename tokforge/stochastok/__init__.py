"""StochasTok (Sims et al. 2025): seeded stochastic token splitting for any tokenizer.

A fraction of tokens is split into two in-vocabulary pieces whose bytes concatenate to the
original token, so a model sees inside its tokens while the text stays exactly the same.
The public entry is the root: ``tokforge.StochasTok`` (defined in `core`).

>>> import tokforge                                                        # doctest: +SKIP
>>> st = tokforge.StochasTok("gpt2", p=0.1)                                # doctest: +SKIP
>>> st.expand(st.tokenizer.encode("Hello world"), seed=0)                  # doctest: +SKIP

See ``docs/stochastok.md``. numpy only: the torch collator lives in `.integrations`.
"""
