"""Tests on real artifacts (the synthetic ones: tests/unit/test_bytelevel_api.py). `ByteLM` takes a tokenizer
the way every feature does (a `Tokenizer`, a built-in name or a path), and
`ByteLM.from_pretrained` loads a model and its tokenizer together."""

from __future__ import annotations

import pytest
from helpers.bytelm import same_scores

from tokforge.bytelevel.bytelm import ByteLM


@pytest.mark.slow
def test_builtin_name_equals_tokenizer_on_smollm2(smollm2):
    model, tok = smollm2
    data = "Hello wor".encode()
    same_scores(ByteLM(model, "smollm2-135m"), ByteLM(model, tok), data, tol=1e-6)
    same_scores(ByteLM.from_pretrained("smollm2-135m"), ByteLM(model, tok), data, tol=1e-4)
