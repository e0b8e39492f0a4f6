"""The static report (``--static``): one HTML file for an :class:`AuditReport`: cards, charts (matplotlib PNGs
embedded as base64), tables. No network access needed to view it."""

from __future__ import annotations

import base64
import io
import math

from . import plots
from .assets import CSS, STATIC_CSS
from .fmt import cell as _fmt
from .fmt import escape as _e
from .fmt import notable_html, plural
from .fmt import token_html as _tok
from .report import AuditReport

_PNG_DIR: list = []


def _img(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    if _PNG_DIR and _PNG_DIR[0] is not None:  # --static: the PNGs also as files beside the page
        n = len(list(_PNG_DIR[0].glob("chart-*.png"))) + 1
        (_PNG_DIR[0] / f"chart-{n:02d}.png").write_bytes(buf.getvalue())
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<div class="fig"><img alt="chart" src="data:image/png;base64,{data}"></div>'


def _table(df, pct: bool = False, digits: int = 3) -> str:
    if df is None or df.empty:
        return "<p class='note'>(nothing to show)</p>"
    cols = [str(c) for c in df.columns]
    out = [
        "<div class='scroll'><table class='data'><tr><th></th>" + "".join(f"<th>{_e(c)}</th>" for c in cols) + "</tr>"
    ]
    for idx, row in df.iterrows():
        cells = []
        for v in row.tolist():
            if isinstance(v, float) and math.isfinite(v):
                cells.append(f"{100 * v:.1f}%" if pct else f"{v:.{digits}f}")
            else:
                cells.append(_e(_fmt(v)))
        out.append(f"<tr><td>{_e(idx)}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "\n".join(out) + "</table></div>"


def _card(t: dict, summary_row) -> str:
    c, r = t["census"], t["census"].get("reachability") or {}
    corp = t.get("corpus") or {}
    rows = [
        ("vocabulary", f"{c['vocab_size']:,}"),
        ("text tokens", f"{c['n_text']:,}"),
        ("special / added", f"{c['n_special']:,} / {c['n_added']:,}"),
        ("byte fallback", f"{c['n_byte_fallback']}"),
        ("single-byte tokens", f"{c['byte_coverage']}/256"),
        ("partial UTF-8", f"{c['n_partial_utf8']:,}"),
        ("duplicate ids", f"{c['n_duplicate_ids']:,}"),
        ("unreachable", f"{r['unreachable']:,} of {r['tested']:,}" if r.get("tested") else "not tested"),
        ("mean token bytes", f"{c['mean_token_bytes']:.2f}"),
    ]
    if corp:
        rows += [
            ("bytes / token", _fmt(corp.get("bytes_per_token"))),
            ("utilisation", _fmt(corp.get("utilisation"))),
            ("Rényi eff. (2.5)", _fmt(corp.get("renyi_efficiency"))),
        ]
        if summary_row is not None and summary_row["parity_mean"] is not None and not _nan(summary_row["parity_mean"]):
            rows += [
                ("parity mean", f"{summary_row['parity_mean']:.2f}x"),
                ("worst language", f"{summary_row['worst_lang']} {summary_row['parity_max']:.2f}x"),
            ]
    body = "".join(f"<tr><td>{_e(k)}</td><td class='v'>{_e(v)}</td></tr>" for k, v in rows)
    return (
        f"<div class='card'><h3>{_e(t['name'])}</h3><div class='fam'>{_e(c['family'])}"
        f"{' · dummy prefix' if c.get('dummy_prefix') else ''}</div><table>{body}</table></div>"
    )


def _nan(x) -> bool:
    return isinstance(x, float) and not math.isfinite(x)


def render_html(rep: AuditReport, png_dir=None) -> str:
    """The whole static report as one HTML string (``png_dir``: also write each chart there). Needs
    matplotlib (the "plots" extra): without it, one line says so."""
    from ..extras import require

    require("matplotlib", "audit plots")
    _PNG_DIR[:] = [png_dir]
    try:
        return _render(rep)
    finally:
        _PNG_DIR[:] = []


def _vocab_sections(rep: AuditReport) -> list[str]:
    """Qtok categories, Unicode scripts and token lengths."""
    return [
        "<h2>Qtok categories</h2><p class='note'>Qtok's 12 categories with Qtok's own definitions "
        "(percent of distinct token strings), comparable with Qtok's basic_stats.tsv.</p>",
        _img(plots.qtok_bars(rep.qtok_table(True))),
        _table(rep.qtok_table(True), digits=2),
        "<h2>Unicode scripts</h2><p class='note'>Text tokens by the Unicode Script property of their letters "
        "(Common = digits, punctuation, spaces only; Mixed = letters of 2+ scripts). "
        "Cells: percent of each vocabulary.</p>",
        _img(plots.script_heatmap(rep.script_table())),
        "<h2>Token length</h2>"
        + _img(plots.length_lines({t["name"]: t["census"]["byte_length_hist"] for t in rep.tokenizers})),
    ]


def _language_sections(rep: AuditReport, par) -> list[str]:
    """Parity and fertility per language (nothing without a corpus)."""
    corpus, sec = rep.corpus or {}, []
    if not par.empty:
        sec.append(
            f"<h2>Parity across languages</h2><p class='note'>Tokens needed for the same content relative to "
            f"<b>{_e(corpus.get('baseline'))}</b> (tokenization premium, Petrov et al. 2023), corpus: "
            f"{_e(corpus.get('name'))}. Languages sorted by the mean over tokenizers; "
            "1.0 = as cheap as the baseline.</p>"
        )
        sec.append(_img(plots.language_chart(par, "parity (x baseline)", baseline=corpus.get("baseline"), log=True)))
    fert = rep.fertility_table()
    if not fert.empty:
        lt = rep.language_table()
        unspaced = sorted(set(lt.loc[lt.fertility_unit == "char", "language"]))
        sec.append(
            "<h2>Fertility</h2><p class='note'>Tokens per whitespace word; for text without spaces "
            f"({_e(', '.join(unspaced)) or 'none here'}) tokens per character (marked *).</p>"
        )
        fert.index = [f"{x}*" if x in unspaced else x for x in fert.index]
        sec.append(_img(plots.language_chart(fert, "fertility (log scale)", log=True)))
    return sec


def _overlap_sections(rep: AuditReport) -> list[str]:
    """Vocabulary overlap, word coverage and the diff."""
    sec = []
    if len(rep.tokenizers) > 1:
        sec.append(
            "<h2>Vocabulary overlap</h2><p class='note'>First: Jaccard similarity of the text-token byte sets. "
            "Second: share of the row tokenizer's tokens that the column tokenizer also has.</p>"
        )
        sec.append(_img(plots.overlap_heatmaps(rep.overlap_table("jaccard"), rep.overlap_table("share"))))
    cov = rep.coverage_table()
    if not cov.empty:
        sec.append(
            "<h2>Language word coverage</h2><p class='note'>Share of each language's 5,000 most frequent words "
            "(wordfreq lists) that are a single token.</p>" + _img(plots.coverage_heatmap(cov))
        )
    if rep.diff:
        d = rep.diff
        sec.append(
            f"<h2>Diff {_e(d['a'])} vs {_e(d['b'])}</h2><p class='note'>{d['n_common']:,} shared; "
            f"{d['n_only_a']:,} only in {_e(d['a'])}, {d['n_only_b']:,} only in {_e(d['b'])} (shortest first).</p>"
            f"<details><summary>only in {_e(d['a'])}</summary>{''.join(_tok(s) for s in d['only_a'][:400])}</details>"
            f"<details><summary>only in {_e(d['b'])}</summary>{''.join(_tok(s) for s in d['only_b'][:400])}</details>"
        )
    return sec


def _table_sections(rep: AuditReport, summary, par) -> list[str]:
    """The tables behind the charts, folded."""
    sec = ["<h2>Tables</h2><details><summary>Summary</summary>" + _table(summary.set_index("tokenizer")) + "</details>"]
    if not par.empty:
        sec.append(
            "<details><summary>Parity per language</summary>" + _table(par.sort_index(), digits=2) + "</details>"
        )
    if not rep.language_table().empty:
        for col in ("bytes_per_token", "split_word_share", "renyi_efficiency"):
            sec.append(
                f"<details><summary>{_e(col)} per language</summary>"
                f"{_table(rep.wide_table(col).sort_index())}</details>"
            )
    return sec


def _render(rep: AuditReport) -> str:
    summary, par = rep.summary_table(), rep.parity_table()
    srows = {row["tokenizer"]: row for _, row in summary.iterrows()}
    sec = []
    if rep.warnings:
        sec.append("<div class='warn'><b>Warnings</b><br>" + "<br>".join(_e(w) for w in rep.warnings) + "</div>")
    sec.append(
        "<h2>Summary</h2><div class='cards'>"
        + "".join(_card(t, srows.get(t["name"])) for t in rep.tokenizers)
        + "</div>"
    )
    sec += _vocab_sections(rep) + _language_sections(rep, par) + _overlap_sections(rep)
    sec.append("<h2>Notable tokens</h2>" + "".join(notable_html(t) for t in rep.tokenizers))
    sec += _table_sections(rep, summary, par)
    sec.append(
        "<p class='note'>Full data: report.json (schema in the tokforge docs) and the CSV files beside this page.</p>"
    )
    title = "tokforge audit: " + (", ".join(rep.names) if len(rep.names) <= 4 else plural(len(rep.names), "tokenizer"))
    head = f"<header><h1>{_e(title)}</h1><p>{_e(rep.subtitle())}</p></header>"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{CSS}{STATIC_CSS}</style></head><body>{head}<main>{''.join(sec)}</main></body></html>"
    )
