"""``tokforge audit TOKENIZER [TOKENIZER ...]``: tokenizer quality report (Qtok and beyond)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from tokforge.corpus import SPLITS

from ..options import examples, format_option, quiet, verbose_option

EPILOG = examples(
    "tokforge audit gpt2 smollm2-135m gemma3-270m --reference none",
    "tokforge audit path/to/tokenizer.json --corpus flores200:../shared/data/flores200 --langs eng_Latn,hin_Deva",
    "tokforge audit my.model --no-corpus --out my-audit",
)


def _shard(value: str | None) -> tuple[int, int]:
    if not value:
        return (0, 1)
    m = re.fullmatch(r"(\d+)/(\d+)", value)
    if not m or not int(m[1]) < int(m[2]):
        raise click.BadParameter("expected I/N with 0 <= I < N, e.g. 0/4", param_hint="--shard")
    return int(m[1]), int(m[2])


def _check_inputs(corpora, merge, out) -> None:
    """Cheap checks before any tokenizer is loaded or text read."""
    from tokforge.errors import InputError

    for spec in corpora:
        if spec.startswith("flores200:") or spec.startswith("hf:"):
            where = spec.split(":", 1)[1]
            if spec.startswith("flores200:") and not Path(where).is_dir():
                raise InputError(
                    "FLORES-200 folder not found", where=where, fix="pass flores200:DIR holding dev/ devtest/"
                )
            continue
        p = Path(spec)
        if not p.exists():
            raise InputError(
                "corpus not found", where=spec, fix="pass a text file, a folder of LANG.txt, flores200:DIR or hf:PATH"
            )
        if p.is_file() and p.stat().st_size == 0:
            raise InputError("corpus file is empty", where=spec)
    for m in merge:
        if not (Path(m) / "corpus_stats.json.gz").is_file():
            raise InputError(
                "not a shard folder (no corpus_stats.json.gz)",
                where=m,
                fix="pass --out folders of tokforge audit --shard I/N runs",
            )
    from tokforge.audit.report import check_out

    check_out(out)


@click.command("audit", epilog=EPILOG)
@click.argument("tokenizers", nargs=-1, required=True)
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    metavar="SPEC",
    help="flores200:DIR, hf:PATH (HF dataset folder or parquet/jsonl/arrow/csv/txt files, streamed), a text "
    "file, or a folder of LANG.txt (repeatable). Default: built-in parallel phrases from pycountry.",
)
@click.option(
    "--out",
    default="tokforge-audit",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Output folder for report.json, CSV tables and report.html.",
)
@click.option(
    "--reference",
    type=click.Choice(["default", "none"]),
    default="default",
    show_default=True,
    help="default: add the built-in panel (gpt2, whisper-multilingual, mistral-v3, tekken, smollm2-135m, "
    "gemma3-270m) as context rows; none: only the tokenizers given.",
)
@click.option(
    "--panel-cache",
    type=click.Choice(["on", "off", "refresh"]),
    default=None,
    help="The reference panel's measurements, kept in the tokforge cache: on (read and write), off (measure the "
    "panel every time), refresh (measure again, overwrite). Default: $TOKFORGE_AUDIT_CACHE, else on.",
)
@click.option("--baseline", default="eng_Latn", show_default=True, help="Language that parity is relative to.")
@click.option(
    "--split", default="devtest", type=click.Choice(list(SPLITS)), show_default=True, help="FLORES-200 split."
)
@click.option("--langs", default=None, help="Comma-separated FLORES codes to keep (e.g. eng_Latn,rus_Cyrl).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Keep the first N lines per language.")
@click.option(
    "--viewer-langs",
    default=None,
    help="Languages for the token viewer (default: English, Russian, Chinese, Hindi, Arabic; plus code and numbers).",
)
@click.option("--text-column", default="text", show_default=True, help="hf: corpora: column with the text.")
@click.option("--lang-column", default=None, help="hf: corpora: column with the language (default: the path's name).")
@click.option(
    "--num-proc",
    type=click.IntRange(min=1),
    default=None,
    help="Workers for the corpus pass: each reads and encodes its own share of the corpus, the results are "
    "merged (default 1; with --cluster local, 2).",
)
@click.option(
    "--cluster",
    default=None,
    metavar="local|ADDRESS",
    help="Run the corpus pass as Dask tasks, one per share: 'local' (a local cluster of --num-proc workers) or "
    "a running scheduler's tcp://HOST:PORT (one task per worker thread, or --num-proc tasks; needs "
    "tokforge[cluster]).",
)
@click.option(
    "--shard",
    default=None,
    metavar="I/N",
    help="Encode only shard I of N of the corpus and write corpus_stats.json.gz for --merge.",
)
@click.option(
    "--merge",
    multiple=True,
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Merge the corpus statistics of these --shard output folders instead of reading a corpus.",
)
@click.option("--diff", nargs=2, default=None, metavar="A B", help="List tokens only in A and only in B.")
@click.option("--no-corpus", is_flag=True, help="Vocabulary metrics only (Qtok's scope).")
@click.option(
    "--reachability/--no-reachability",
    default=None,
    help="Check that every token's own text encodes back to it (one encode of the whole vocabulary). "
    "Default: on with a corpus, off with --no-corpus.",
)
@click.option("--no-html", is_flag=True, help="Skip report.html.")
@click.option(
    "--static",
    is_flag=True,
    help="report.html with PNG charts (also written as chart-NN.png) instead of the interactive page.",
)
@format_option
@verbose_option
def command(
    tokenizers,
    corpus,
    out,
    reference,
    panel_cache,
    baseline,
    split,
    langs,
    limit,
    viewer_langs,
    text_column,
    lang_column,
    num_proc,
    cluster,
    shard,
    merge,
    diff,
    no_corpus,
    reachability,
    no_html,
    static,
    fmt,
    verbose,
):
    """Audit one or more TOKENIZERS (files, folders, built-in names) and write a report.

    The report folder holds report.html (interactive, self-contained, opens offline), report.json and CSV
    tables. The terminal shows the same summary. A tokenizer that fails to load is reported, the others
    are still audited, and the exit code is 2.
    """
    from rich.console import Console

    from tokforge.audit.config import AuditConfig
    from tokforge.audit.core import audit_tokenizers
    from tokforge.corpus import parse_langs
    from tokforge.errors import LoadError

    quiet(verbose)
    cfg = AuditConfig(
        baseline=baseline,
        split=split,
        langs=parse_langs(langs),
        limit=limit,
        diff=tuple(diff) if diff else None,
        reachability=reachability,
        reference=reference,
        panel_cache=panel_cache,
        viewer_langs=parse_langs(viewer_langs, "--viewer-langs"),
        shard=_shard(shard),
        merge=merge,
        text_column=text_column,
        lang_column=lang_column,
        format=fmt,
        num_proc=num_proc,
        cluster=cluster,
    )
    _check_inputs(corpus, merge, out)
    spec = False if no_corpus else (list(corpus) or None)
    if isinstance(spec, list) and len(spec) == 1:
        spec = spec[0]
    rep = audit_tokenizers(list(tokenizers), spec, config=cfg)
    path = rep.save(out, html=not no_html, static=static)
    con = Console()
    rep.print(con if con.is_terminal else None)
    con.print(f"report: {path}/report.html, {path}/report.json", highlight=False)
    if rep.failed:
        names = ", ".join(f["tokenizer"] for f in rep.failed)
        raise LoadError(
            f"{len(rep.failed)} of {len(tokenizers)} tokenizers failed ({names}); "
            f"the report of the others was written to {path}",
            fix="see the warnings above",
        )
