"""Shared fixtures: one per real artifact (from the tokforge cache, pulled once per machine, loaded
once per session through tests/helpers/artifacts.py), the shared text data (tests skip with a reason
when it is absent), and a few built-on-the-spot tokenizers.

The data folder is ``$TOKFORGE_DATA``; when it is unset, the tests use ``shared/data`` beside the
checkout (``../shared/data``), so CI on a checkout next to ``shared/`` finds it. Subprocesses
(the CLI, notebooks) inherit the variable.

Every test under tests/real is marked slow (``-m "not slow"`` is the fast tier)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.artifacts import real_lm, real_tokenizer
from helpers.paths import SHARED_DATA
from helpers.texts import AUDIT_LANGS

from tokforge import corpus

if not os.environ.get(corpus.DATA_ENV) and SHARED_DATA.is_dir():
    os.environ[corpus.DATA_ENV] = str(SHARED_DATA)


# -- shared text data --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def flores():
    """Path to FLORES-200; skip if the shared data folder is absent."""
    d = corpus.flores_dir()
    if d is None:
        pytest.skip("FLORES-200 not found: expected $TOKFORGE_DATA/flores200 (or ../shared/data/flores200)")
    return d


@pytest.fixture(scope="session")
def shakespeare():
    """Path to tinyshakespeare; skip if the shared data folder is absent."""
    p = corpus.tinyshakespeare_path()
    if p is None:
        pytest.skip("tinyshakespeare not found: expected $TOKFORGE_DATA/english/tinyshakespeare.txt")
    return p


@pytest.fixture(scope="module")
def audit_corp():
    """300 FLORES-200 lines in each of the audit tests' four languages."""
    from tokforge.audit.sources import default_corpus

    return default_corpus(AUDIT_LANGS, limit=300)


# -- real artifacts: one fixture each; a causal LM's tokenizer is its ``*_tok`` fixture's object -------


@pytest.fixture(scope="session")
def gpt2():
    """GPT-2's tiktoken tokenizer."""
    return real_tokenizer("gpt2")


@pytest.fixture(scope="session")
def mistral_v1():
    """Mistral v1's SentencePiece tokenizer (dummy prefix, byte fallback)."""
    return real_tokenizer("mistral-v1")


@pytest.fixture(scope="session")
def smollm2_tok():
    """SmolLM2-135M's byte-level BPE tokenizer."""
    return real_tokenizer("smollm2-135m")


@pytest.fixture(scope="session")
def gemma3_tok():
    """Gemma-3-270M's SentencePiece tokenizer."""
    return real_tokenizer("gemma3-270m")


@pytest.fixture(scope="session")
def smollm2():
    """(model, tokenizer) of SmolLM2-135M on CPU, shared by the session: tests must not change it."""
    return real_lm("smollm2-135m")


@pytest.fixture(scope="session")
def gemma3():
    """(model, tokenizer) of Gemma-3-270M on CPU, shared by the session: tests must not change it."""
    return real_lm("gemma3-270m")


# -- tokenizers and models built on the spot -------------------------------------------------------------


@pytest.fixture(scope="module")
def bytelevel_tiny_dirs(tmp_path_factory):
    """Two tiny random models saved as HF folders: a byte-level BPE one and a SentencePiece one."""
    from tokforge.bytelevel.tiny import save_tiny

    root = tmp_path_factory.mktemp("tiny")
    return str(save_tiny(root / "bpe", "byte_bpe", seed=0)), str(save_tiny(root / "spm", "spm", seed=1))


@pytest.fixture(scope="module")
def flores_bpe_pair(flores, tmp_path_factory):
    """Two small BPE tokenizers trained on FLORES-200: English (420 tokens) and English+French (520)."""
    from helpers.tiny import train_bpe

    from tokforge.corpus import read_flores

    d = read_flores(flores, "dev", ["eng_Latn", "fra_Latn"], limit=300)
    root = tmp_path_factory.mktemp("tok")
    old = train_bpe(root / "old", d["eng_Latn"], 420)
    new = train_bpe(root / "new", d["eng_Latn"][:150] + d["fra_Latn"], 520)
    return old, new


def pytest_collection_modifyitems(config, items):
    """Every test under tests/real needs real artifacts: mark it slow (``-m "not slow"`` skips them)."""
    real = Path(__file__).resolve().parent / "real"
    for item in items:
        if real in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.slow)
