"""Options and help conventions shared by the commands (one place, so every command reads alike).

* ``examples(...)``: the text a command's ``--help`` ends with (2-3 runnable examples);
* ``format_option``: ``--format`` with the loaders' registry as choices;
* ``verbose_option`` + ``quiet(verbose)``: third-party chatter (transformers' weight-loading bars,
  datasets' bars, pip's download lines, tokforge's own notes) only with ``--verbose``.
"""

from __future__ import annotations

import os

import click

from tokforge.evaluate.marginal import DEFAULT_LIMIT


def examples(*lines: str) -> str:
    """Help epilog: ``Examples:`` and one command per line (click keeps ``\\b`` blocks as written)."""
    return "\b\nExamples:\n" + "\n".join(f"  {ln}" for ln in lines)


def format_option(f):
    from tokforge.loaders import LOADERS

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted(LOADERS)),
        default=None,
        help="Force the tokenizer file format instead of detecting it.",
    )(f)


def marginal_option(default: int = DEFAULT_LIMIT):
    """``--marginal N``: how many evaluation texts in all also get marginal bits/byte (`evaluate.marginal`);
    ``default``: the library's default of the command's function."""
    return click.option(
        "--marginal",
        default=default,
        show_default=True,
        type=click.IntRange(0),
        help="Evaluation texts in all (split over the languages) also scored by marginal bits/byte"
        " (all tokenizations, beam bound; 0: off).",
    )


def verbose_option(f):
    return click.option(
        "--verbose",
        "-v",
        is_flag=True,
        help="Show third-party output (download and weight-loading bars, library warnings).",
    )(f)


def quiet(verbose: bool) -> None:
    """Silence transformers/datasets/huggingface_hub progress bars and info logs unless ``verbose``; with it,
    tokforge's own calls leave transformers' logging alone too (`tokforge.hflog`), so its warnings show."""
    from tokforge.hflog import set_verbose

    set_verbose(verbose)
    if verbose:
        return
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    os.environ.setdefault("TOKFORGE_QUIET", "1")
    import importlib.util

    if importlib.util.find_spec("transformers") and "transformers" in __import__("sys").modules:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
