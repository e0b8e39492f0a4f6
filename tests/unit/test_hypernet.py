"""Hypernetwork pieces that need no model (training, step 0 == FVT and save/load run on real
tokenizers: tests/real/test_hypernet_real.py): the doctests of the decompose, model, sampler and io
modules, the sampler's check of its vocabulary bounds, and `HypernetConfig` (frozen, validated on
construction)."""

from __future__ import annotations

import doctest
import importlib

import pytest

from tokforge.errors import InputError
from tokforge.transplant.hypernet.sampler import SamplerConfig, TokenizerSampler  # noqa: E402


@pytest.mark.parametrize("mod", ["decompose", "model", "sampler", "io"])
def test_doctests(mod):
    m = importlib.import_module(f"tokforge.transplant.hypernet.{mod}")
    assert doctest.testmod(m).failed == 0


def test_sampler_rejects_bad_config():
    with pytest.raises(InputError, match="min_vocab"):
        TokenizerSampler(SamplerConfig(min_vocab=100, max_vocab=50))


def test_config_is_frozen_and_checked_on_construction():
    from tokforge.transplant.hypernet.config import HypernetConfig

    cfg = HypernetConfig(steps=3, hidden=32, heads=2, min_vocab=600, max_vocab=900)
    assert cfg.sampler == SamplerConfig(min_vocab=600, max_vocab=900) and cfg.net_sizes()["hidden"] == 32
    assert "hidden" not in cfg.train_settings() and cfg.train_settings()["steps"] == 3 and cfg.check() is cfg
    with pytest.raises(Exception, match="cannot assign"):
        cfg.steps = 4
    for bad, match in [
        (dict(hidden=30, heads=4), "divisible by its number of heads"),
        (dict(min_vocab=2000, max_vocab=1000), "min_vocab <= max_vocab"),
        (dict(steps=0), "at least one step"),
        (dict(seq_len=1), "seq_len must be at least 2"),
        (dict(batch_size=0), "batch_size must be at least 1"),
    ]:
        with pytest.raises(InputError, match=match):
            HypernetConfig(**bad)
