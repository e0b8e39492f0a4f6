"""Shared fixtures: real artifacts from the tokforge cache (pulled once per machine) and the
shared FLORES-200 data (tests skip with a reason when it is absent).

The data folder is ``$TOKFORGE_DATA``; when it is unset, the tests use ``shared/data`` beside the
checkout (``../shared/data``), so CI on a checkout next to ``shared/`` finds it. Subprocesses
(the CLI, notebooks) inherit the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tokforge import corpus, models

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
if not os.environ.get(corpus.DATA_ENV) and SHARED_DATA.is_dir():
    os.environ[corpus.DATA_ENV] = str(SHARED_DATA)


@pytest.fixture(scope="session")
def flores():
    """Path to FLORES-200; skip if the shared data folder is absent."""
    d = corpus.flores_dir()
    if d is None:
        pytest.skip("FLORES-200 not found: expected $TOKFORGE_DATA/flores200 (or ../shared/data/flores200)")
    return d


@pytest.fixture(scope="session")
def shakespeare():
    p = corpus.tinyshakespeare_path()
    if p is None:
        pytest.skip("tinyshakespeare not found: expected $TOKFORGE_DATA/english/tinyshakespeare.txt")
    return p


_TOK_CACHE: dict = {}


def real_tokenizer(name: str):
    """A built-in artifact's Tokenizer, loaded once per test session."""
    if name not in _TOK_CACHE:
        _TOK_CACHE[name] = models.load_tokenizer(name)
    return _TOK_CACHE[name]


_LM_CACHE: dict = {}


def real_lm(name: str):
    """(model, tokenizer) of a built-in causal LM on CPU, loaded once per test session."""
    if name not in _LM_CACHE:
        _LM_CACHE[name] = models.load_causal_lm(name)
    return _LM_CACHE[name]


@pytest.fixture(scope="session")
def gpt2():
    return real_tokenizer("gpt2")


@pytest.fixture(scope="session")
def smollm2_tok():
    return real_tokenizer("smollm2-135m")


@pytest.fixture(scope="session")
def gemma3_tok():
    return real_tokenizer("gemma3-270m")


@pytest.fixture(scope="session")
def smollm2():
    return real_lm("smollm2-135m")


@pytest.fixture(scope="session")
def gemma3():
    return real_lm("gemma3-270m")


@pytest.fixture(scope="session")
def mistral_v1():
    return real_tokenizer("mistral-v1")
