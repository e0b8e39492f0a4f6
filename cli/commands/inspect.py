"""``tokforge inspect TOKENIZER [TEXT]``: vocabulary summary and how a text splits."""

from __future__ import annotations

from collections import Counter

import click
from rich.console import Console
from rich.table import Table

from ..options import examples, format_option, quiet, verbose_option


def _kind_names(k: int) -> str:
    from tokforge import TokenKind

    names = [f.name.lower() for f in TokenKind if f and k & f]
    return "+".join(names) or "normal"


@click.command(
    "inspect",
    epilog=examples(
        "tokforge inspect gpt2 'Hello, world!'",
        "tokforge inspect gemma3-270m 'Привет, мир' --special",
        "tokforge inspect path/to/tokenizer.model --format sentencepiece",
    ),
)
@click.argument("tokenizer")
@click.argument("text", required=False)
@click.option("--special", is_flag=True, help="Add the tokenizer's special tokens (e.g. BOS) when encoding.")
@format_option
@verbose_option
def command(tokenizer, text, special, fmt, verbose):
    """Summarise TOKENIZER (file, folder, built-in name or hub id); split TEXT if given."""
    from tokforge import load_tokenizer

    quiet(verbose)
    tok = load_tokenizer(tokenizer, format=fmt)
    v = tok.vocab
    con = Console()
    con.print(
        f"[bold]{tok.name}[/]  {len(v):,} tokens  family={v.family}  "
        f"dummy_prefix={tok.dummy_prefix}  lossless={tok.lossless}  source={tok.source}"
    )
    counts = Counter(_kind_names(int(k)) for k in v.kinds.tolist())
    con.print("kinds: " + ", ".join(f"{k}={n:,}" for k, n in counts.most_common()))
    con.print("roles: " + (", ".join(f"{r}={i} {v.tokens[i]!r}" for r, i in v.roles.items()) or "none"))
    if text is None:
        return
    ids = tok.encode(text, add_special_tokens=special)
    t = Table("#", "id", "bytes", "kind")
    for n, i in enumerate(ids):
        t.add_row(str(n), str(i), repr(v.tokens[i]), _kind_names(int(v.kinds[i])))
    con.print(t)
    nbytes = len(text.encode("utf-8"))
    con.print(
        f"{len(ids)} tokens, {nbytes} bytes, {nbytes / max(len(ids), 1):.2f} bytes/token; "
        f"round trip {'exact' if tok.decode_bytes(ids) == text.encode() else 'LOSSY'}"
    )
