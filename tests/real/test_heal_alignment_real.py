"""Chunk alignment on real tokenizations (GPT-2 and Mistral on FLORES); the tiny-model healing tests are
in tests/unit/test_heal.py."""

from __future__ import annotations

import numpy as np

from tokforge.evaluate.align import token_ends


def test_token_ends_of_real_tokenizations(gpt2, mistral_v1, flores):
    from tokforge.corpus import read_flores

    text = read_flores(flores, "devtest", ["fra_Latn"], limit=1)["fra_Latn"][0]
    for tok in (gpt2, mistral_v1):
        ids = tok.encode(text)
        ends = token_ends(tok.vocab.tokens, ids, tok.dummy_prefix)
        assert ends[-1] == len(text.encode()) and (np.diff(ends) >= 0).all()
