"""``tokforge supertokens train|report``: tokenizers whose tokens may span several words."""

from __future__ import annotations

from pathlib import Path

import click

from tokforge.errors import InputError
from tokforge.supertokens.train import Method

from ..options import examples, format_option, quiet, verbose_option


def _filter(spec: str | None):
    """``module:function`` -> the callable (a per-merge hook ``f(left: bytes, right: bytes) -> bool``)."""
    if not spec:
        return None
    import importlib

    mod, _, fn = spec.partition(":")
    try:
        return getattr(importlib.import_module(mod), fn)
    except (ImportError, AttributeError, ValueError) as e:
        raise InputError(
            f"cannot import merge filter ({e.__class__.__name__})",
            where=spec,
            fix="pass --filter module:function with the module on PYTHONPATH",
        ) from None


def _check_files(paths, what: str) -> None:
    """Cheap checks before any training or loading: every file exists and is not empty."""
    for p in paths:
        f = Path(p)
        if not f.is_file():
            raise InputError(f"{what} file not found", where=str(p), fix="pass existing text files")
        if f.stat().st_size == 0:
            raise InputError(f"{what} file is empty", where=str(p))


def _heldout_lines(paths) -> list[str]:
    from tokforge.supertokens.pretok import iter_lines

    return [ln for ln in iter_lines(paths) if ln.strip()]


def _print_rows(rows) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table("tokenizer", "vocab", "tokens", "ratio", "B/tok", "tok/word", "multi-word")
    for r in rows:
        t.add_row(
            r["name"],
            f"{r['vocab']:,}",
            f"{r['tokens']:,}",
            f"{r['tokens_vs_first']:.3f}",
            f"{r['bytes_per_token']:.3f}",
            f"{r['tokens_per_word']:.3f}",
            f"{r['multiword_share']:.1%}",
        )
    Console(width=max(Console().width, 100)).print(t)


@click.group(
    "supertokens",
    epilog=examples(
        "tokforge supertokens train ../shared/data/english/tinyshakespeare.txt --vocab-size 4000 --out my-super",
        "tokforge supertokens train ../shared/data/english/tinyshakespeare.txt --vocab-size 51000 --base gpt2"
        " --out gpt2-super --force",
        "tokforge supertokens report gpt2 my-super --heldout ../shared/data/english/tinyshakespeare.txt",
    ),
)
def command():
    """Train, extend and measure supertoken (multi-word) tokenizers."""


@command.command(
    "train",
    epilog=examples(
        "tokforge supertokens train ../shared/data/english/tinyshakespeare.txt --vocab-size 4000 --out my-super",
        "tokforge supertokens train ../shared/data/english/tinyshakespeare.txt --vocab-size 4000 --method chunked"
        " --out my-chunked --heldout ../shared/data/english/tinyshakespeare.txt",
        "tokforge supertokens train ../shared/data/english/tinyshakespeare.txt --vocab-size 51000 --base gpt2"
        " --out gpt2-super --force",
    ),
)
@click.argument("corpus", nargs=-1, required=True)
@click.option("--vocab-size", type=int, required=True, help="Final vocabulary size (with specials).")
@click.option("--transition", type=int, default=None, help="SuperBPE stage-1 size t (default 0.8 x vocab size).")
@click.option(
    "--method",
    type=click.Choice([m.value for m in Method]),
    default="superbpe",
    show_default=True,
    help="superbpe: two-stage curriculum; chunked: BPE over random word chunks.",
)
@click.option("--max-words", type=int, default=4, show_default=True, help="Most words in one supertoken.")
@click.option(
    "--inner-punct", default=None, help="Punctuation allowed inside supertokens (default ,;:'-; '' for none)."
)
@click.option(
    "--end-punct", default=None, help="Sentence punctuation that may close a supertoken, e.g. '.!?' (default none)."
)
@click.option(
    "--base",
    default=None,
    help="Extend this byte-level BPE tokenizer (file, folder or built-in name) instead of training stage 1.",
)
@click.option(
    "--filter", "filter_", default=None, help="Per-merge hook module:function(left_bytes, right_bytes) -> bool."
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--out", required=True, help="Output folder (tokenizer.json + tokenizer_config.json).")
@click.option("--force", is_flag=True, help="Replace an existing --out folder.")
@click.option(
    "--heldout", multiple=True, help="Held-out text file(s): print a compression report vs plain BPE of the same size."
)
@verbose_option
def train(
    corpus,
    vocab_size,
    transition,
    method,
    max_words,
    inner_punct,
    end_punct,
    base,
    filter_,
    seed,
    out,
    force,
    heldout,
    verbose,
):
    """Train a supertoken tokenizer on CORPUS text files (streamed) and write it to --out."""
    from tokforge import load_tokenizer
    from tokforge.io import check_out_dir
    from tokforge.supertokens.train import SuperConfig
    from tokforge.supertokens.trainer import train_supertokens

    quiet(verbose)
    _check_files(corpus, "corpus")
    _check_files(heldout, "held-out")
    check_out_dir(out, force)
    base_path = load_tokenizer(base).source if base else None
    cfg = SuperConfig(
        transition=transition,
        method=method,
        max_words=max_words,
        inner_punct=inner_punct,
        end_punct=end_punct,
        merge_filter=_filter(filter_),
        seed=seed,
        base=base_path,
    )
    tok = train_supertokens(list(corpus), vocab_size, config=cfg, out=out, force=force)
    click.echo(f"wrote {out}: {len(tok.vocab):,} tokens ({method}{', extending ' + base if base else ''})")
    if heldout:
        from tokforge.supertokens.report import compare, plain_bpe

        ref = load_tokenizer(base_path) if base_path else plain_bpe(corpus, vocab_size)
        _print_rows(compare({f"base {base}" if base else "plain BPE": ref, str(out): tok}, _heldout_lines(heldout)))


@command.command(
    "report",
    epilog=examples(
        "tokforge supertokens report gpt2 smollm2-135m --heldout ../shared/data/english/tinyshakespeare.txt",
        "tokforge supertokens report smollm2-135m gemma3-270m --heldout ../shared/data/english/tinyshakespeare.txt"
        " --heldout ../shared/data/english/tinyshakespeare.txt",
    ),
)
@click.argument("tokenizers", nargs=-1, required=True)
@click.option("--heldout", multiple=True, required=True, help="Held-out text file(s).")
@format_option
@verbose_option
def report(tokenizers, heldout, fmt, verbose):
    """Compression of TOKENIZERS (folders, files, built-in names) on --heldout text; ratios vs the first."""
    from tokforge import load_tokenizer
    from tokforge.supertokens.report import compare

    quiet(verbose)
    _check_files(heldout, "held-out")
    toks = {t: load_tokenizer(t, format=fmt) for t in tokenizers}
    _print_rows(compare(toks, _heldout_lines(heldout)))
