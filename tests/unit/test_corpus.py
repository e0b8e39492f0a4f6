"""Tiny synthetic tests (the real-artifact ones: tests/real/test_corpus_real.py). tokforge.corpus: data
locations come from arguments or $TOKFORGE_DATA, never from the repo layout."""

import pytest

from tokforge import corpus
from tokforge.errors import InputError


def test_parse_langs_is_strict():
    assert corpus.parse_langs(" eng_Latn ,fra_Latn") == ["eng_Latn", "fra_Latn"] and corpus.parse_langs(" ") is None
    with pytest.raises(InputError, match="empty language in --viewer-langs"):
        corpus.parse_langs("eng_Latn,", "--viewer-langs")
    with pytest.raises(InputError, match="language repeated in --langs: eng_Latn"):
        corpus.parse_langs("eng_Latn,eng_Latn")
