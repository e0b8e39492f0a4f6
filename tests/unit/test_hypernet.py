"""Tiny synthetic tests (the real-artifact ones: tests/real/test_hypernet_real.py). Hypernetwork (ZeTT-style):
sampler, step-0 == fvt, training lowers the loss, save/load, errors.

Fast: tiny random Llama models built on the fly over the REAL SmolLM2 tokenizer (49,152 tokens),
real new tokenizers (GPT-2) and FLORES/tinyshakespeare text."""

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
