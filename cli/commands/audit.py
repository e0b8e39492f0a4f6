"""``tokforge audit TOKENIZER [TOKENIZER ...]``: tokenizer quality report (Qtok and beyond)."""

from __future__ import annotations

import click


@click.command("audit")
@click.argument("tokenizers", nargs=-1, required=True)
@click.option("--corpus", "corpora", multiple=True, metavar="SPEC",
              help="flores200:DIR, a text file, or a folder of LANG.txt (repeatable). "
                   "Default: built-in parallel text from the pycountry package.")
@click.option("--out", default="tokforge-audit", show_default=True, type=click.Path(file_okay=False),
              help="Output folder for report.json, CSV tables and report.html.")
@click.option("--baseline", default="eng_Latn", show_default=True, help="Language that parity is relative to.")
@click.option("--split", default="devtest", type=click.Choice(["dev", "devtest"]), show_default=True,
              help="FLORES-200 split.")
@click.option("--langs", default=None, help="Comma-separated language codes to keep (e.g. eng_Latn,rus_Cyrl).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Keep the first N lines per language.")
@click.option("--diff", nargs=2, default=None, metavar="A B", help="List tokens only in A and only in B.")
@click.option("--no-corpus", is_flag=True, help="Vocabulary metrics only.")
@click.option("--no-html", is_flag=True, help="Skip report.html.")
def command(tokenizers, corpora, out, baseline, split, langs, limit, diff, no_corpus, no_html):
    """Audit one or more TOKENIZERS (files, folders, built-in names) and write a report."""
    from rich.console import Console

    from tokforge.audit import audit

    lang_list = [x.strip() for x in langs.split(",") if x.strip()] if langs else None
    corpus = False if no_corpus else (list(corpora) or None)
    rep = audit(list(tokenizers), corpus, baseline=baseline, split=split, langs=lang_list, limit=limit,
                diff=tuple(diff) if diff else None)
    path = rep.save(out, html=not no_html)
    con = Console()
    rep.print(con)
    con.print(f"report: {path}/report.html, {path}/report.json ({rep.seconds:.1f} s)", highlight=False)
