"""`AuditReport`: the result of an audit as plain data, pandas tables, files and a terminal table.

``report.json`` schema (``format: "tokforge.audit"``, ``version: 1``; NaN is written as null):

* ``tokenizers``: list of ``{name, source, qtok, census, coverage, corpus?}``
    * ``qtok``: ``counts``/``percent`` of Qtok's 12 categories, ``alpha_scripts``, ``total``, ``examples``
    * ``census``: ``vocab_size, family, n_text, n_special, n_added, n_unused, n_byte_fallback,
      byte_coverage, n_partial_utf8, n_duplicate_ids, byte_length_hist, mean_token_bytes,
      max_token_bytes, longest_tokens, scripts, reachability{tested, unreachable, untested, examples}``
    * ``coverage``: ``{wordfreq language: {vocab_share, word_coverage}}``
    * ``corpus``: totals over the whole corpus: ``tokens, bytes, bytes_per_token, utilisation,
      renyi_efficiency, unk_rate``
* ``languages``: one row per (tokenizer, language): ``tokens, bytes, chars, words, lines,
  bytes_per_token, chars_per_token, fertility, fertility_unit, split_word_share, unk_rate,
  utilisation, renyi_efficiency, parity?``
* ``overlap``: ``jaccard[A][B]`` and ``share[A][B]`` (share of A's text tokens also in B)
* ``diff``: ``{a, b, only_a, only_b, n_only_a, n_only_b, n_common}`` or null
* ``corpus``: ``{name, parallel, baseline, languages, split}`` or null; ``warnings``: list of str
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from .fmt import cell, plural

FORMAT = "tokforge.audit"
# report.html renderers (lazy "module:attribute": the pages import the report, not the other way round)
PAGES = {"interactive": "tokforge.audit.html:render_html", "static": "tokforge.audit.static_html:render_html"}
VERSION = 2
SUMMARY_COLUMNS = [
    "tokenizer",
    "role",
    "family",
    "vocab",
    "text",
    "special",
    "byte_fb",
    "partial_utf8",
    "dups",
    "unreachable",
    "mean_bytes",
    "bytes/token",
    "parity_mean",
    "parity_median",
    "parity_max",
    "worst_lang",
    "utilisation",
    "renyi",
]


def check_out(out_dir: str | Path) -> Path:
    """Refuse an ``--out`` that exists and is not an earlier audit report (which a new one replaces)."""
    from ..io import check_out_dir

    return check_out_dir(out_dir, marker="report.json", kind="audit report")


def _clean(x):
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python, tuples -> lists."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


@dataclass
class AuditReport:
    tokenizers: list[dict]
    languages: list[dict] = field(default_factory=list)
    overlap: dict = field(default_factory=dict)
    diff: dict | None = None
    warnings: list[str] = field(default_factory=list)
    corpus: dict | None = None
    seconds: float = 0.0
    failed: list[dict] = field(default_factory=list)
    viewer: dict | None = None
    language_info: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [t["name"] for t in self.tokenizers]

    # -- data ---------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        from .. import __version__

        return _clean(
            {
                "format": FORMAT,
                "version": VERSION,
                "tokforge_version": __version__,
                "corpus": self.corpus,
                "tokenizers": self.tokenizers,
                "languages": self.languages,
                "overlap": self.overlap,
                "diff": self.diff,
                "warnings": self.warnings,
                "failed": self.failed,
                "viewer": self.viewer,
                "language_info": self.language_info,
                "seconds": self.seconds,
            }
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    @classmethod
    def from_dict(cls, d: dict) -> "AuditReport":
        from ..errors import LoadError

        if d.get("format") != FORMAT or d.get("version") != VERSION:
            raise LoadError(
                "not a tokforge audit report of a version this tokforge reads",
                where=f"format={d.get('format')} version={d.get('version')}",
            )
        return cls(
            d["tokenizers"],
            d["languages"],
            d["overlap"],
            d.get("diff"),
            d.get("warnings", []),
            d.get("corpus"),
            d.get("seconds", 0.0),
            d.get("failed", []),
            d.get("viewer"),
            d.get("language_info", {}),
        )

    # -- tables ---------------------------------------------------------------------------------
    def summary_table(self):
        """One row per tokenizer: the numbers a reader looks at first (a DataFrame of ``summary_rows``)."""
        import pandas as pd

        from .tables import summary_rows

        return pd.DataFrame(summary_rows(self), columns=SUMMARY_COLUMNS)

    def qtok_table(self, percent: bool = True):
        """Tokenizers x Qtok's 12 categories (percent of classified strings, or counts)."""
        import pandas as pd

        from .qtok import CATEGORIES

        key = "percent" if percent else "counts"
        return pd.DataFrame({t["name"]: t["qtok"][key] for t in self.tokenizers}).T[list(CATEGORIES)]

    def script_table(self):
        """Tokenizers x Unicode scripts (token counts)."""
        import pandas as pd

        df = pd.DataFrame({t["name"]: t["census"]["scripts"] for t in self.tokenizers}).T.fillna(0).astype(int)
        return df[df.sum().sort_values(ascending=False).index]

    def language_table(self):
        """Long table: one row per (tokenizer, language), with the language's name, script, resource level."""
        import pandas as pd

        df = pd.DataFrame(self.languages)
        if not df.empty:
            from .languages import info

            for col in ("name", "script", "resource"):
                df.insert(
                    2 if col == "name" else df.columns.get_loc("name") + 1,
                    col,
                    [(self.language_info.get(x) or info(x))[col] for x in df.language],
                )
        return df

    def subtitle(self) -> str:
        """One line that the terminal and the HTML page share: what was audited, on what."""
        n_ref = sum(bool(t.get("reference")) for t in self.tokenizers)
        who = plural(len(self.tokenizers) - n_ref, "tokenizer") + (f" + {n_ref} reference" if n_ref else "")
        c = self.corpus
        on = (
            "no corpus (vocabulary only)"
            if not c
            else (f"{c['name']}, {plural(len(c['languages']), 'language')}, {plural(c.get('lines') or 0, 'line')}")
        )
        return f"{who} · {on} · {self.seconds:.1f} s"

    def wide_table(self, col: str):
        """One metric per language (rows) and tokenizer (columns)."""
        import pandas as pd

        df = self.language_table()
        if df.empty or col not in df:
            return pd.DataFrame()
        return df.pivot(index="language", columns="tokenizer", values=col)[
            [n for n in self.names if n in set(df.tokenizer)]
        ]

    def parity_table(self):
        """Languages x tokenizers: tokens relative to the baseline language (empty if not parallel)."""
        return self.wide_table("parity")

    def fertility_table(self):
        return self.wide_table("fertility")

    def coverage_table(self, col: str = "word_coverage"):
        import pandas as pd

        return pd.DataFrame({t["name"]: {k: v[col] for k, v in t["coverage"].items()} for t in self.tokenizers})

    def overlap_table(self, kind: str = "jaccard"):
        import pandas as pd

        return pd.DataFrame(self.overlap.get(kind, {})).T

    # -- output ---------------------------------------------------------------------------------
    def save(self, out_dir: str | Path, html: bool = True, static: bool = False) -> Path:
        """Write report.json, CSV tables and report.html into ``out_dir`` (built aside, then moved).

        ``static``: report.html with matplotlib PNGs (also written as ``*.png`` files) instead of the
        interactive page. A sharded run (``shard=(i, n)``) also writes ``corpus_stats.json.gz`` for
        ``--merge``."""
        from ..io import atomic_dir

        out = check_out(out_dir)
        with atomic_dir(out, force=True) as tmp:
            (tmp / "report.json").write_text(self.to_json(), encoding="utf-8")
            from .tables import write_all

            write_all(self, tmp)
            if self.diff:
                d = self.diff
                (tmp / "diff.txt").write_text(
                    f"# only in {d['a']} ({d['n_only_a']})\n"
                    + "\n".join(map(repr, d["only_a"]))
                    + f"\n# only in {d['b']} ({d['n_only_b']})\n"
                    + "\n".join(map(repr, d["only_b"]))
                    + "\n",
                    encoding="utf-8",
                )
            stats = getattr(self, "_corpus_stats", None)
            if stats is not None and (self.corpus or {}).get("shard"):
                stats.save(tmp / "corpus_stats.json.gz")
            if html:
                from ..registry import get

                page = get(PAGES, "static" if static else "interactive", "report page")
                kw = {"png_dir": tmp} if static else {}
                (tmp / "report.html").write_text(page(self, **kw), encoding="utf-8")
        return out

    def print(self, console=None) -> None:
        """Compact rich table on the terminal, then the warnings."""
        from rich.console import Console
        from rich.table import Table

        from .tables import summary_rows

        con = console or Console()
        con = con if con.is_terminal else Console(width=max(con.width, 140))  # no truncated names in logs/pipes
        rows = summary_rows(self)
        cols = {
            "tokenizer": "tokenizer",
            "role": "role",
            "vocab": "vocab",
            "unreachable": "unreach.",
            "bytes/token": "bytes/token",
            "parity_mean": "parity mean",
            "worst_lang": "worst language",
            "parity_max": "worst x",
            "renyi": "Rényi eff.",
        }
        t = Table(*cols.values(), title="tokforge audit: " + self.subtitle())
        for row in rows:
            t.add_row(*[cell(row[c], 2) for c in cols], style="dim" if row["role"] == "reference" else None)
        con.print(t)
        if self.diff:
            d = self.diff
            con.print(
                f"diff: {d['n_only_a']:,} tokens only in {d['a']}, {d['n_only_b']:,} only in {d['b']}, "
                f"{d['n_common']:,} shared"
            )
        for w in self.warnings:
            con.print(f"[yellow]warning:[/] {w}", markup=True, highlight=False)
