"""The transplant method registry: an unknown method name lists the known ones, and ``METHODS`` is a
plain dict holding the five builders. The builders themselves are tested on real tokenizers in
tests/real/test_transplant_methods_real.py."""

from __future__ import annotations

import pytest

from tokforge.errors import UnknownNameError
from tokforge.transplant.registry import METHODS, get_method


def test_unknown_method_lists_known():
    with pytest.raises(
        UnknownNameError, match=r"known: blend, fvt, hybrid, .*mean, .*tokenadapt-global, tokenadapt-local"
    ):
        get_method("nope")


def test_registry_is_a_plain_dict_of_builders():
    assert isinstance(METHODS, dict) and {"mean", "fvt", "tokenadapt-local", "tokenadapt-global", "hybrid"} <= set(
        METHODS
    )
