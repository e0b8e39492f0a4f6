"""Tests on real artifacts (the synthetic ones: tests/unit/test_bad_input.py). Bad input: one line saying what
is wrong, where and what to do; exit code 2 from the CLI."""

import os
import subprocess
import sys

import pytest
from helpers.cli import run_cli
from helpers.paths import REPO

from tokforge import load_tokenizer, models
from tokforge.errors import LoadError


def test_truncated_gguf(tmp_path):
    src = models.pull("smollm2-135m", part="file")
    p = tmp_path / "cut.gguf"
    with open(src, "rb") as f:
        p.write_bytes(f.read(200_000))  # cut inside the vocabulary array
    with pytest.raises(LoadError, match="truncated GGUF file"):
        load_tokenizer(p)


def test_unknown_name_offline_is_one_line():
    """A name that is no file and no artifact goes to the hub; offline that is one clear line."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # fail fast instead of waiting for the network
    r = subprocess.run(
        [sys.executable, "-m", "tokforge_cli.main", "inspect", "no-such-org/no-such-tokenizer-xyz"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    msg = r.stderr.strip()
    assert len(msg.splitlines()) == 1
    assert "no-such-org/no-such-tokenizer-xyz" in msg and "gpt2" in msg  # lists the built-in names


def test_cli_unknown_artifact():
    r = run_cli("models", "pull", "nope")  # a choice built from the registry: click lists the known names
    assert r.returncode == 2 and "'nope' is not one of" in r.stderr and "'gemma3-270m', 'gpt2'" in r.stderr


def test_cli_inspect_real(gpt2):
    r = run_cli("inspect", "gpt2", "Hello world")
    assert r.returncode == 0, r.stderr
    assert "15496" in r.stdout and "round trip exact" in r.stdout
