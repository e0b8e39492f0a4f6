"""The public surface: ``dir(tokforge)`` is exactly ``tokforge.__all__``, every name there resolves,
docs/api.md documents each of them, and each object has one public path (the root), so no subpackage
re-exports a root name under a second name."""

from __future__ import annotations

import importlib
import re

import pytest
from helpers.paths import REPO

import tokforge

DOC = REPO / "docs" / "api.md"


def test_dir_is_the_documented_surface():
    assert dir(tokforge) == sorted(tokforge.__all__)
    assert len(set(tokforge.__all__)) == len(tokforge.__all__)


@pytest.mark.parametrize("name", tokforge.__all__)
def test_every_public_name_resolves(name):
    assert getattr(tokforge, name) is not None


def test_docs_api_documents_every_public_name():
    text = DOC.read_text(encoding="utf-8")
    missing = [n for n in tokforge.__all__ if not re.search(rf"`(tokforge\.)?{re.escape(n)}\b", text)]
    assert not missing, f"docs/api.md does not mention: {missing}"


def test_feature_callables_are_named_with_the_feature_word():
    """A function named exactly like its subpackage is shadowed once the subpackage is imported."""
    for name in ("audit_tokenizers", "transplant_model", "heal_model", "evaluate_model", "train_hypernet"):
        fn = getattr(tokforge, name)
        importlib.import_module(fn.__module__)
        assert getattr(tokforge, name) is fn


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        tokforge.nope  # noqa: B018
