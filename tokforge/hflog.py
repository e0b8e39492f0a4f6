"""Transformers' (and datasets') logging around tokforge's own calls into them: turned down for the call,
restored after.

Loading a model through transformers prints notes (configuration dumps, weight-loading bars) that say
nothing to a tokforge user, so the library quiets them *for the length of its call* and puts back the
level it found (a caller's own ``set_verbosity_info()`` survives every tokforge call). Verbose mode
(`set_verbose`, the command line's ``--verbose``, or ``TOKFORGE_VERBOSE=1`` in the environment, which
worker processes inherit) leaves transformers' level alone, so its warnings show.

>>> set_verbose(False); verbose()
False
"""

from __future__ import annotations

import os
from contextlib import contextmanager

ENV = "TOKFORGE_VERBOSE"


def set_verbose(on: bool) -> None:
    """Show third-party logging from tokforge's calls (``True``) or quiet it for their length (``False``)."""
    if on:
        os.environ[ENV] = "1"
    else:
        os.environ.pop(ENV, None)


def verbose() -> bool:
    return os.environ.get(ENV) == "1"


@contextmanager
def quiet_transformers():
    """Transformers' verbosity at ``error`` inside the block (unless `verbose`), the caller's level after it."""
    if verbose():
        yield
        return
    from transformers.utils import logging as hf_logging

    before = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(before)


@contextmanager
def quiet_datasets():
    """HF datasets' verbosity at ``error`` and its progress bars off inside the block (unless `verbose`), the
    caller's settings after it."""
    if verbose():
        yield
        return
    import datasets
    from datasets.utils import logging as ds_logging

    before, bars = ds_logging.get_verbosity(), datasets.is_progress_bar_enabled()
    ds_logging.set_verbosity_error()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        ds_logging.set_verbosity(before)
        if bars:
            datasets.enable_progress_bars()
