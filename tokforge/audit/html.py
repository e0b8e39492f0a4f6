"""The interactive report: one self-contained HTML file (no network), charts in Vega-Lite.

Why Vega-Lite: the whole runtime (Vega, Vega-Lite and vega-embed, BSD-3-Clause) inlines as
~0.9 MB of JavaScript, against ~4.6 MB for plotly.js (MIT); the charts are plain JSON specs
written here without any plotting library; and the same package that bundles the runtime
(``vl-convert-python``) can also render those specs to PNG/SVG offline. The bundle is built once
per vl-convert version and kept in the tokforge cache folder.

Sections: caveats and warnings, summary table, languages (parity/fertility/bytes-per-token charts
filterable by script and resource level, sortable and searchable table), Qtok categories, scripts,
token lengths, word coverage, overlap, token viewer, numbers/code/whitespace, notable tokens,
glossary. Reference-panel tokenizers are drawn grey/dashed and marked "reference" everywhere.
"""

from __future__ import annotations

import json
import math

from .assets import CSS, JS
from .charts import colors as _colors
from .charts import language_label as _label
from .charts import specs as _specs
from .fmt import escape as _e
from .fmt import notable_html, plural
from .fmt import token_html as _tok
from .glossary import glossary_rows
from .report import SUMMARY_COLUMNS, AuditReport

SMALL_LINES = 500  # fewer lines per language than this: the caveat says the numbers are indicative


def _num(v, digits: int = 3) -> tuple[str, str]:
    """(shown text, sort value) for a table cell."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-", ""
    if isinstance(v, bool):
        return str(v), str(v)
    if isinstance(v, int):
        return f"{v:,}", str(v)
    if isinstance(v, float):
        return f"{v:.{digits}f}", repr(v)
    return str(v), str(v)


def _table(
    tid: str,
    cols: list[str],
    rows: list[list],
    *,
    left: int = 1,
    attrs: list[dict] | None = None,
    ref_rows: set[int] = frozenset(),
    digits: int = 3,
) -> str:
    head = "".join(f"<th class='{'l' if i < left else ''}'>{_e(c)}</th>" for i, c in enumerate(cols))
    body = []
    for r, row in enumerate(rows):
        a = "".join(f" data-{k}='{_e(v)}'" for k, v in (attrs[r] if attrs else {}).items())
        cells = []
        for i, v in enumerate(row):
            shown, key = _num(v, digits)
            cells.append(f"<td class='{'l' if i < left else ''}' data-v='{_e(key)}'>{_e(shown)}</td>")
        body.append(f"<tr{' class=ref' if r in ref_rows else ''}{a}>{''.join(cells)}</tr>")
    return (
        f"<div class='scroll'><table class='data' id='{tid}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _tools(tid: str, selects: dict[str, list[str]] | None = None) -> str:
    sel = "".join(
        f"<label>{_e(k)} <select name='{_e(k)}'><option value='all'>all</option>"
        + "".join(f"<option>{_e(o)}</option>" for o in opts)
        + "</select></label>"
        for k, opts in (selects or {}).items()
    )
    return f"<div class='tools' data-for='{tid}'><input type='search' placeholder='search…'>{sel}</div>"


def _caveats(rep: AuditReport) -> list[str]:
    out = []
    c = rep.corpus
    if not c:
        out.append("No corpus: only vocabulary properties are shown (no parity, fertility or bytes/token).")
        return out
    n_lang = max(len(c.get("languages") or []), 1)
    per = (c.get("lines") or 0) / n_lang
    if "pycountry" in (c.get("name") or ""):
        out.append(
            "The corpus is tokforge's built-in default: country, currency and script names in ~110 languages. "
            "These are short phrases, not running text; parity and fertility here are indicative only. "
            'Use a FLORES-200 corpus (corpus="flores200:DIR") or your own text for numbers to publish.'
        )
    elif per < SMALL_LINES:
        out.append(
            f"Small corpus: {per:,.0f} lines per language on average (fewer than {SMALL_LINES}); "
            "per-language numbers can move by several percent with other text."
        )
    if not c.get("parallel"):
        out.append(
            "The corpus is not parallel (no aligned lines across languages), so parity is not computed and "
            "per-language numbers compare different content."
        )
    if c.get("shard"):
        out.append(
            f"This report covers shard {c['shard'][0]} of {c['shard'][1]} only; merge the shards "
            "(AuditConfig(merge=[DIR, ...])) for the whole corpus."
        )
    return out


def _summary(rep: AuditReport) -> str:
    from .tables import summary_rows

    srows = summary_rows(rep)
    cols = SUMMARY_COLUMNS
    rows = [[r[c] for c in cols] for r in srows]
    for r in rows:
        if r[15]:
            r[15] = _label(rep, r[15])
    ref = {i for i, r in enumerate(rows) if r[1] == "reference"}
    return _tools("tbl-summary") + _table("tbl-summary", cols, rows, left=3, ref_rows=ref)


def _lang_table(rep: AuditReport) -> str:
    from .tables import wide

    if not rep.languages:
        return ""
    col = "parity" if any(r.get("parity") is not None for r in rep.languages) else "bytes_per_token"
    order, w = wide(rep.languages, col, rep.names)
    names = [n for n in rep.names if any(n in w[k] for k in order)]
    rows, attrs = [], []
    for code in order:
        li = rep.language_info.get(code) or {"name": code, "script": "-", "resource": "-"}
        vals = [w[code].get(n) for n in names]
        rows.append([li["name"], code, li["script"], li["resource"], *vals])
        attrs.append({"script": li["script"], "resource": li["resource"]})
    scripts = sorted({a["script"] for a in attrs})
    what = "parity (x baseline)" if col == "parity" else "bytes per token"
    return (
        f"<p class='note'>Per language: {what} for each tokenizer. Click a column to sort; type to search; "
        "filter by script or resource level.</p>"
        + _tools("tbl-languages", {"script": scripts, "resource": ["high", "low"]})
        + _table(
            "tbl-languages", ["language", "code", "script", "resource", *names], rows, left=4, attrs=attrs, digits=2
        )
    )


def _viewer(rep: AuditReport) -> str:
    v = rep.viewer or {}
    texts, splits = v.get("texts", {}), v.get("splits", {})
    if not texts:
        return ""
    out = [
        "<p class='legend'><span><span class='tk t0'>token</span><span class='tk t1'>next token</span></span>"
        "<span><span class='tk tf'>&lt;0xE4&gt;</span> byte-fallback token</span>"
        "<span><span class='tk tp'>e4 bd</span> partial UTF-8 (bytes of an unfinished character, hex)</span>"
        "<span><span class='tk ts'>&lt;s&gt;</span> special</span></p>"
    ]
    for key, text in texts.items():
        title = {"code": "Code (Python, spaces and tabs)", "numbers": "Numbers"}.get(key, _label(rep, key))
        rows = []
        for name, per in splits.items():
            pieces = per.get(key, [])
            spans = "".join(
                f"<span class='tk { ({'f': 'tf', 'p': 'tp', 's': 'ts'}.get(k) or ('t' + str(i % 2))) }' "
                f"title='{_e(repr(p))}'>{_e(p)}</span>"
                for i, (p, k) in enumerate(pieces)
            )
            rows.append(
                f"<div class='vname'>{_e(name)}: {plural(len(pieces), 'token')}, "
                f"{len(text.encode()) / max(len(pieces), 1):.2f} bytes/token</div><div class='vrow'>{spans}</div>"
            )
        out.append(
            f"<details{' open' if key in ('eng_Latn', 'code') else ''}><summary>{_e(title)}</summary>"
            + "".join(rows)
            + "</details>"
        )
    return "".join(out)


def _probes(rep: AuditReport) -> str:
    rows, ref = [], set()
    for i, t in enumerate(rep.tokenizers):
        p = t.get("probes")
        if not p:
            continue
        ws = p["whitespace"]
        rows.append(
            [
                t["name"],
                p["digit_grouping"],
                " | ".join(p["digits"]),
                p["numbers_tokens"],
                *[ws["spaces"].get(str(n)) for n in (1, 4, 16)],
                ws["tabs"].get("1"),
                ws["tabs"].get("4"),
                ws["newlines"].get("1"),
                ws["newlines"].get("4"),
                p["code_bytes_per_token"],
                round(p["indent_tokens"] / max(p["indent_lines"], 1), 2),
            ]
        )
        if t.get("reference"):
            ref.add(len(rows) - 1)
    cols = [
        "tokenizer",
        "digit grouping",
        "20 digits split as",
        "tokens: numbers sentence",
        "a␠b",
        "a␠×4b",
        "a␠×16b",
        "a⇥b",
        "a⇥×4b",
        "a↵b",
        "a↵×4b",
        "code bytes/token",
        "tokens per indent",
    ]
    return (
        "<p class='note'>Digit grouping of <code>12345678901234567890</code>: <b>1-digit</b> (every digit a token), "
        "<b>3-digit</b> (groups of three from the left), or <b>free</b> (whatever merges were learnt; the same "
        "number can split differently in another context). Whitespace columns: tokens of <code>a</code>, the run, "
        "<code>b</code> together. Code: a 15-line Python sample written for tokforge (see the token viewer).</p>"
        + _table("tbl-probes", cols, rows, left=3, ref_rows=ref, digits=2)
        + "<div class='chart' id='chart-spaces'></div>"
    )


def _glossary(rep: AuditReport) -> str:
    rows = glossary_rows(rep)
    body = "".join(
        f"<tr><td class='l'><b>{_e(r['metric'])}</b></td><td class='l' style='white-space:normal;max-width:560px'>"
        f"{_e(r['definition'])}</td><td class='l'>{_e(r['direction'])}</td><td class='l'>{_e(r['range'])}</td>"
        f"<td class='l' style='white-space:normal;max-width:260px'>{_e(r['reference'])}</td></tr>"
        for r in rows
    )
    return (
        "<div class='scroll'><table class='data' id='tbl-glossary'><thead><tr><th class='l'>metric</th>"
        "<th class='l'>definition</th><th class='l'>better</th><th class='l'>range in this report</th>"
        f"<th class='l'>reference</th></tr></thead><tbody>{body}</tbody></table></div>"
    )


def _notable(rep: AuditReport) -> str:
    return "".join(notable_html(t) for t in rep.tokenizers)


NAV = (
    ("summary", "Summary"),
    ("languages", "Languages"),
    ("qtok", "Qtok"),
    ("scripts", "Scripts"),
    ("coverage", "Coverage"),
    ("overlap", "Overlap"),
    ("viewer", "Token viewer"),
    ("numbers", "Numbers & code"),
    ("notable", "Notable tokens"),
    ("glossary", "Glossary"),
)
NO_CHARTS = (
    "Charts need the vl-convert-python package, which is not installed (pip install 'tokforge[plots]'); "
    "the tables below are complete."
)


def _alerts(rep: AuditReport, charts: bool) -> list[str]:
    """Failed tokenizers, caveats and warnings, above the summary."""
    sec = []
    if rep.failed:
        sec.append(
            "<div class='err'><b>Failed</b> (the report covers the others):<br>"
            + "<br>".join(_e(f"{f['tokenizer']}: {f['error']}") for f in rep.failed)
            + "</div>"
        )
    cav = _caveats(rep) + ([] if charts else [NO_CHARTS])
    if cav:
        sec.append(
            "<div class='warn' id='caveats'><b>Read with care</b><br>" + "<br>".join(_e(x) for x in cav) + "</div>"
        )
    if rep.warnings:
        sec.append(
            "<details><summary>Warnings ("
            + str(len(rep.warnings))
            + ")</summary><div class='warn'>"
            + "<br>".join(_e(w) for w in rep.warnings)
            + "</div></details>"
        )
    return sec


def _summary_section(rep: AuditReport) -> list[str]:
    c = rep.corpus or {}
    return [
        "<h2 id='summary'>Summary</h2><p class='note'>One row per tokenizer; reference rows (grey) are the "
        "built-in panel for context. Parity columns: over all languages but the baseline "
        f"(<b>{_e(_label(rep, c.get('baseline', '')))}</b>). Definitions in the <a href='#glossary'>glossary</a>.</p>",
        _summary(rep),
    ]


def _language_section(rep: AuditReport, specs: dict) -> list[str]:
    if not rep.languages:
        return []
    sec = [
        "<h2 id='languages'>Languages</h2><p class='note'>Each point is one tokenizer on one language, "
        "languages sorted by the mean over tokenizers. Hover for names and values, drag or scroll on the "
        "y axis to zoom, click a legend entry to highlight one tokenizer, choose a script or resource level "
        "to filter.</p>"
    ]
    sec += [
        f"<div class='chart' id='chart-{c}'></div>"
        for c in ("parity", "fertility", "bytes_per_token")
        if f"chart-{c}" in specs
    ]
    return sec + [_lang_table(rep)]


def _vocab_sections(specs: dict) -> list[str]:
    """Qtok categories, scripts, lengths, coverage and overlap: the vocabulary charts."""
    sec = [
        "<h2 id='qtok'>Qtok categories</h2><p class='note'>Qtok's 12 categories with Qtok's own definitions "
        "(percent of distinct token strings), comparable with Qtok's basic_stats.tsv.</p>"
        "<div class='chart' id='chart-qtok'></div>",
        "<h2 id='scripts'>Unicode scripts</h2><p class='note'>Text tokens by the Unicode Script property of their "
        "letters (Common = digits, punctuation, spaces only; Mixed = letters of 2+ scripts).</p>"
        "<div class='chart' id='chart-scripts'></div><h3>Token length</h3><div class='chart' id='chart-lengths'></div>",
    ]
    if "chart-coverage" in specs:
        sec.append(
            "<h2 id='coverage'>Word coverage</h2><p class='note'>Share of each language's 5,000 most frequent "
            "words (wordfreq lists) that are a single token.</p><div class='chart' id='chart-coverage'></div>"
        )
    if "chart-overlap" in specs:
        sec.append(
            "<h2 id='overlap'>Vocabulary overlap</h2><p class='note'>Jaccard similarity of the text-token byte "
            "sets (x 100).</p><div class='chart' id='chart-overlap'></div>"
        )
    return sec


def _diff_section(rep: AuditReport) -> list[str]:
    d = rep.diff
    if not d:
        return []
    return [
        f"<h2 id='diff'>Diff {_e(d['a'])} vs {_e(d['b'])}</h2><p class='note'>{d['n_common']:,} shared; "
        f"{d['n_only_a']:,} only in {_e(d['a'])}, {d['n_only_b']:,} only in {_e(d['b'])}.</p>"
        f"<details><summary>only in {_e(d['a'])}</summary>{''.join(_tok(s) for s in d['only_a'][:400])}</details>"
        f"<details><summary>only in {_e(d['b'])}</summary>{''.join(_tok(s) for s in d['only_b'][:400])}</details>"
    ]


def _token_sections(rep: AuditReport) -> list[str]:
    """Token viewer, numbers and code, diff, notable tokens, glossary and the footer."""
    return [
        "<h2 id='viewer'>Token viewer</h2><p class='note'>How each tokenizer splits sample text: one sentence per "
        "script family (from the corpus when it has the language, else written for tokforge), code and "
        "numbers. Hover a token for its exact text.</p>" + _viewer(rep),
        "<h2 id='numbers'>Numbers, code, whitespace</h2>" + _probes(rep),
        *_diff_section(rep),
        "<h2 id='notable'>Notable tokens</h2>" + _notable(rep),
        "<h2 id='glossary'>Glossary</h2>" + _glossary(rep),
        "<p class='note'>Full data: report.json (schema in tokforge/audit/report.py) and the CSV files beside "
        "this page. Made by tokforge audit; opens offline.</p>",
    ]


def _scripts(specs: dict, js: str | None) -> str:
    """The chart specs and the inlined Vega bundle and page script (none without the bundle)."""
    if js is None:
        return ""
    spec_json = json.dumps(specs, ensure_ascii=False).replace("</", "<\\/")
    return f"<script type='application/json' id='specs'>{spec_json}</script><script>{js}</script>"


def render_html(rep: AuditReport) -> str:
    """The whole interactive report as one HTML string (the JavaScript inlined). Without vl-convert-python
    (the "plots" extra) the page has its tables but no charts, and a warning says so."""
    from .vega_bundle import bundle

    js = bundle()
    specs = _specs(rep, _colors(rep))
    sec = _alerts(rep, charts=js is not None) + _summary_section(rep) + _language_section(rep, specs)
    sec += _vocab_sections(specs) + _token_sections(rep)
    audited = [t["name"] for t in rep.tokenizers if not t.get("reference")]
    title = "tokforge audit: " + (", ".join(audited) if len(audited) <= 4 else plural(len(audited), "tokenizer"))
    nav = "".join(f"<a href='#{a}'>{b}</a>" for a, b in NAV)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{CSS}</style></head><body><header><h1>{_e(title)}</h1><p>{_e(rep.subtitle())}</p></header>"
        f"<nav>{nav}</nav><main>{''.join(sec)}</main>"
        f"{_scripts(specs, js)}<script>{JS}</script></body></html>"
    )


__all__ = ["render_html"]
