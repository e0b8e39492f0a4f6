"""Shared fixtures: real artifacts from the tokforge cache (pulled once per machine) and the
shared FLORES-200 data (tests skip with a reason when it is absent).

The data folder is ``$TOKFORGE_DATA``; when it is unset, the tests use ``shared/data`` beside the
checkout (``../shared/data``), so CI on a checkout next to ``shared/`` finds it. Subprocesses
(the CLI, notebooks) inherit the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _helpers import AUDIT_LANGS, SHARED_DATA, real_lm, real_tokenizer, train_bpe

from tokforge import corpus
from tokforge.bytelevel.tiny import save_tiny

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


@pytest.fixture(scope="module")
def audit_corp():
    from tokforge.audit import default_corpus

    return default_corpus(AUDIT_LANGS, limit=300)


@pytest.fixture(scope="module")
def bytelevel_tiny_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    return str(save_tiny(root / "bpe", "byte_bpe", seed=0)), str(save_tiny(root / "spm", "spm", seed=1))


@pytest.fixture(scope="module")
def flores_bpe_pair(flores, tmp_path_factory):
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
