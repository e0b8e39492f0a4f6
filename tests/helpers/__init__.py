"""Helpers shared by the tests, one module per job (fixtures live in tests/conftest.py):

- `paths`: the checkout, the shared data folder, the notebooks folder.
- `texts`: short sample texts and the audit tests' languages.
- `artifacts`: built-in tokenizers and causal LMs, loaded once per session (conftest's fixtures use it).
- `tiny`: small synthetic tokenizers, vocabularies and random Llamas.
- `cli`: run the command line in a subprocess and read its tables.
- `bytelm`: compare two `ByteLM` objects; a `ByteLM` of a saved model folder.
- `notebooks`: run a notebook with nbclient as CI does.
- `chromium`: drive headless Chromium over the DevTools protocol (the report test).
- `brute`: brute-force byte-level probabilities, the reference `tokforge.bytelevel` is checked against.
- `tokenadapt_loop`: the per-token TokenAdapt hybrid heuristic (reference for tests and bench/transplant.py).

Nothing here imports torch at module level except the modules whose job needs it (`bytelm`, `brute`,
`tokenadapt_loop`)."""
