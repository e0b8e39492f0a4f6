"""``tokforge inspect TOKENIZER [TEXT]``: vocabulary summary and how a text splits."""

from __future__ import annotations

from collections import Counter

import click
from rich.console import Console
from rich.table import Table


def _kind_names(k: int) -> str:
    from tokforge import TokenKind

    names = [f.name.lower() for f in TokenKind if f and k & f]
    return "+".join(names) or "normal"


@click.command("inspect")
@click.argument("tokenizer")
@click.argument("text", required=False)
@click.option("--special", is_flag=True, help="Add the tokenizer's special tokens (e.g. BOS) when encoding.")
def command(tokenizer, text, special):
    """Summarise TOKENIZER (file, folder, built-in name or hub id); split TEXT if given."""
    from tokforge import load_tokenizer

    tok = load_tokenizer(tokenizer)
    v = tok.vocab
    con = Console()
    con.print(f"[bold]{tok.name}[/]  {len(v):,} tokens  family={v.family}  "
              f"dummy_prefix={tok.dummy_prefix}  lossless={tok.lossless}  source={tok.source}")
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
    con.print(f"{len(ids)} tokens, {nbytes} bytes, {nbytes / max(len(ids), 1):.2f} bytes/token; "
              f"round trip {'exact' if tok.decode_bytes(ids) == text.encode() else 'LOSSY'}")
