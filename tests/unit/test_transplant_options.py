"""Tiny synthetic tests (the real-artifact ones: tests/real/test_transplant_options_real.py). Method options
are typed: unknown or ill-typed options are one-line errors, on the API and the CLI."""

from __future__ import annotations

import dataclasses

import pytest

from tokforge.errors import InputError
from tokforge.transplant.options import HypernetOptions, OMPOptions, TokenAdaptOptions, parse
from tokforge.transplant.registry import METHODS, TransplantContext, parse_options


def test_every_method_has_an_options_dataclass():
    for name, m in METHODS.items():
        assert dataclasses.is_dataclass(m.options), name
        assert parse_options(name, {}) == m.options()


def test_values_are_converted_to_the_field_types():
    assert parse(TokenAdaptOptions, {"k": "7", "w": "0.25", "encoder": "none"}, "hybrid") == TokenAdaptOptions(
        w=0.25, k=7, encoder=None
    )
    assert parse(HypernetOptions, {"copy_overlap": "no", "hypernet": "/x"}, "hypernet").copy_overlap is False
    assert parse(OMPOptions, {"k": 8.0}, "omp").k == 8


@pytest.mark.parametrize(
    "raw, match",
    [
        (
            {"kk": "3"},
            r"unknown option 'kk' for method hybrid \(valid: w, k, temperature, threshold, encoder, threads\)",
        ),
        ({"k": "three"}, r"option k of method hybrid must be int: k='three'"),
        ({"k": 2.5}, "must be int"),
        ({"w": "high"}, "must be float"),
        ({"pca_dim": "8"}, "unknown option 'pca_dim'"),  # an option of another method
    ],
)
def test_bad_options_are_errors(raw, match):
    with pytest.raises(InputError, match=match):
        parse_options("hybrid", raw)


def test_options_of_a_method_without_options():
    with pytest.raises(InputError, match=r"unknown option 'k' for method fvt \(valid: none"):
        parse_options("fvt", {"k": 1})


def test_context_parses_dict_options_once():
    ctx = TransplantContext(None, None, options={"k": "5"})
    assert ctx.opts(TokenAdaptOptions).k == 5 and isinstance(ctx.options, TokenAdaptOptions)
