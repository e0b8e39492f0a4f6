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


def test_reading_an_hf_corpus_puts_back_the_callers_datasets_settings(tmp_path):
    """Reading an ``hf:`` corpus used to turn datasets' logging to ``error`` and its progress bars off for the
    rest of the process."""
    import datasets
    from datasets.utils import logging as ds_logging

    from tokforge.audit.hf_source import HFCorpus

    datasets.Dataset.from_list([{"text": "one line"}, {"text": "two lines"}]).save_to_disk(str(tmp_path / "d"))
    before = ds_logging.get_verbosity()
    ds_logging.set_verbosity_info()
    datasets.enable_progress_bars()
    try:
        rows = [line for _, batch, _ in HFCorpus(str(tmp_path / "d")).iter_batches() for line in batch]
        assert len(rows) == 2
        assert ds_logging.get_verbosity() == ds_logging.INFO and datasets.is_progress_bar_enabled()
    finally:
        ds_logging.set_verbosity(before)
