"""Transformers' logging around tokforge's calls (issue 29): turned down for the call and restored after,
and shown again with ``--verbose``. Both tests failed before: every library call left transformers at
``error`` for the rest of the process, ``--verbose`` included."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers.paths import REPO


@pytest.mark.parametrize("call", ["load_model", "to_hf_tokenizer"])
def test_library_calls_put_back_the_callers_transformers_verbosity(call):
    from transformers.utils import logging as hf_logging

    import tokforge
    from tokforge.loaders.to_hf import to_hf_tokenizer

    before = hf_logging.get_verbosity()
    hf_logging.set_verbosity_info()
    try:
        if call == "load_model":
            tokforge.load_model("smollm2-135m")
        else:
            to_hf_tokenizer("smollm2-135m")
        assert hf_logging.get_verbosity() == hf_logging.INFO
    finally:
        hf_logging.set_verbosity(before)


def test_verbose_shows_transformers_logging_again():
    """With ``TRANSFORMERS_VERBOSITY=info`` transformers notes the configuration file it loads: ``--verbose``
    shows it, the default keeps it quiet."""
    env = {**os.environ, "TRANSFORMERS_VERBOSITY": "info"}
    base = [sys.executable, "-m", "tokforge_cli.main", "bytelevel", "score", "Hi"]
    shown = subprocess.run(base + ["--verbose"], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    quiet = subprocess.run(base, capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
    assert shown.returncode == 0 and quiet.returncode == 0, shown.stderr[-400:] + quiet.stderr[-400:]
    assert "loading configuration file" in shown.stderr
    assert "loading configuration file" not in quiet.stderr
