"""Vega-Lite chart specs of the interactive audit report (data only: the page in `html.py` embeds them).

``specs(rep, colors(rep))`` -> ``{chart id: Vega-Lite spec}``; one colour per tokenizer, stable across charts.
"""

from __future__ import annotations

import math

from .report import AuditReport

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def language_label(rep: AuditReport, code: str) -> str:
    """``English (eng_Latn)``: a language's name and code, or the code alone when the name is unknown."""
    li = rep.language_info.get(code)
    return f"{li['name']} ({code})" if li and li["name"] != code else code


def colors(rep: AuditReport) -> dict:
    """Fixed colours per tokenizer: audited ones bright, the reference panel grey-blue tones."""
    bright = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b"]
    muted = ["#9aa5b1", "#b8a99a", "#a3b59a", "#b39ab5", "#9ab5b3", "#c2b280"]
    dom, rng, i, j = [], [], 0, 0
    for t in rep.tokenizers:
        dom.append(t["name"])
        if t.get("reference"):
            rng.append(muted[j % len(muted)])
            j += 1
        else:
            rng.append(bright[i % len(bright)])
            i += 1
    return {"domain": dom, "range": rng}


def _lang_data(rep: AuditReport, col: str) -> tuple[list[dict], list[str]]:
    """One point per (language, tokenizer) with a finite ``col``, and the languages by mean value."""
    info, ref = rep.language_info, {t["name"] for t in rep.tokenizers if t.get("reference")}
    data, by_lang = [], {}
    for r in rep.languages:
        v = r.get(col)
        if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
            continue
        li = info.get(r["language"], {})
        lab = f"{li.get('name', r['language'])} ({r['language']})"
        data.append(
            {
                "language": lab,
                "code": r["language"],
                "script": li.get("script", "-"),
                "resource": li.get("resource", "-"),
                "tokenizer": r["tokenizer"],
                "value": v,
                "panel": "reference" if r["tokenizer"] in ref else "audited",
            }
        )
        by_lang.setdefault(lab, []).append(v)
    return data, sorted(by_lang, key=lambda k: sum(by_lang[k]) / len(by_lang[k]))


def _lang_params(scripts: list[str]) -> list[dict]:
    """Script and resource-level selectors, legend highlighting and y zoom."""
    return [
        {
            "name": "script",
            "value": "all",
            "bind": {"input": "select", "options": ["all"] + scripts, "name": "script "},
        },
        {
            "name": "resource",
            "value": "all",
            "bind": {"input": "select", "options": ["all", "high", "low"], "name": " resource level "},
        },
        {"name": "pick", "select": {"type": "point", "fields": ["tokenizer"]}, "bind": "legend"},
        {"name": "zoom", "select": {"type": "interval", "encodings": ["y"]}, "bind": "scales"},
    ]


def _lang_encoding(order: list[str], title: str, log: bool, colors: dict) -> dict:
    return {
        "x": {
            "field": "language",
            "type": "nominal",
            "sort": order,
            "title": None,
            "axis": {"labelAngle": -60, "labelFontSize": 9, "labelLimit": 160},
        },
        "y": {
            "field": "value",
            "type": "quantitative",
            "title": title,
            "scale": {"type": "log"} if log else {"zero": False},
        },
        "color": {"field": "tokenizer", "type": "nominal", "scale": colors, "legend": {"orient": "top"}},
        "shape": {
            "field": "panel",
            "type": "nominal",
            "scale": {"domain": ["audited", "reference"], "range": ["circle", "triangle-up"]},
        },
        "opacity": {"condition": {"param": "pick", "value": 0.9}, "value": 0.08},
        "tooltip": [
            {"field": "language"},
            {"field": "script"},
            {"field": "resource", "title": "resource level"},
            {"field": "tokenizer"},
            {"field": "value", "format": ".3f", "title": title},
        ],
    }


def _lang_chart(rep: AuditReport, col: str, title: str, log: bool, colors: dict) -> dict | None:
    """Points per language for one metric (None when no language has it)."""
    data, order = _lang_data(rep, col)
    if not data:
        return None
    return {
        "$schema": SCHEMA,
        "width": max(700, 13 * len(order)),
        "height": 300,
        "data": {"values": data},
        "params": _lang_params(sorted({d["script"] for d in data})),
        "transform": [
            {
                "filter": "(script == 'all' || datum.script == script) && "
                "(resource == 'all' || datum.resource == resource)"
            }
        ],
        "mark": {"type": "point", "filled": True, "size": 38},
        "encoding": _lang_encoding(order, title, log, colors),
        "config": {"axis": {"grid": True}},
    }


def _chart(values: list[dict], width, height, mark, encoding: dict, **extra) -> dict:
    """One Vega-Lite spec over ``values`` (``extra``: params, layer, ...)."""
    return {
        "$schema": SCHEMA,
        "data": {"values": values},
        "width": width,
        "height": height,
        "mark": mark,
        **extra,
        "encoding": encoding,
    }


def _heat(
    data: list[dict],
    x: str,
    y: str,
    title: str,
    *,
    domain_max: float | None = None,
    scheme: str = "blues",
    xsort=None,
    ysort=None,
) -> dict:
    return {
        "$schema": SCHEMA,
        "data": {"values": data},
        "width": {"step": 26},
        "height": {"step": 22},
        "layer": [
            {
                "mark": "rect",
                "encoding": {
                    "x": {"field": x, "type": "nominal", "sort": xsort, "axis": {"labelAngle": -50}, "title": None},
                    "y": {"field": y, "type": "nominal", "sort": ysort, "title": None},
                    "color": {
                        "field": "value",
                        "type": "quantitative",
                        "title": title,
                        "scale": {"scheme": scheme, **({"domain": [0, domain_max]} if domain_max else {})},
                    },
                    "tooltip": [{"field": y}, {"field": x}, {"field": "value", "format": ".1f", "title": title}],
                },
            },
            {
                "mark": {"type": "text", "fontSize": 8},
                "encoding": {
                    "x": {"field": x, "type": "nominal", "sort": xsort},
                    "y": {"field": y, "type": "nominal", "sort": ysort},
                    "text": {"field": "value", "format": ".0f"},
                },
            },
        ],
    }


def _qtok_spec(rep: AuditReport) -> dict:
    q = [
        {"tokenizer": t["name"], "category": c, "value": v}
        for t in rep.tokenizers
        for c, v in t["qtok"]["percent"].items()
    ]
    return {
        "$schema": SCHEMA,
        "data": {"values": q},
        "width": 900,
        "height": {"step": 24},
        "mark": "bar",
        "params": [{"name": "cat", "select": {"type": "point", "fields": ["category"]}, "bind": "legend"}],
        "encoding": {
            "y": {"field": "tokenizer", "sort": rep.names, "title": None},
            "x": {
                "field": "value",
                "type": "quantitative",
                "stack": "zero",
                "title": "% of distinct token strings",
                "scale": {"domain": [0, 100]},
            },
            "color": {"field": "category", "scale": {"scheme": "tableau20"}},
            "opacity": {"condition": {"param": "cat", "value": 1}, "value": 0.2},
            "tooltip": [
                {"field": "tokenizer"},
                {"field": "category"},
                {"field": "value", "format": ".2f", "title": "%"},
            ],
        },
    }


def _scripts_spec(rep: AuditReport) -> dict | None:
    from .tables import script_columns

    top = script_columns(rep)[:16]
    if not top:
        return None
    data = []
    for t in rep.tokenizers:
        sc = t["census"]["scripts"]
        tot = sum(sc.values()) or 1
        data += [{"tokenizer": t["name"], "script": s, "value": 100 * sc.get(s, 0) / tot} for s in top]
    return _heat(data, "script", "tokenizer", "% of vocabulary", domain_max=100, xsort=top, ysort=rep.names)


def _lengths_spec(rep: AuditReport, colors: dict) -> dict:
    lens = []
    for t in rep.tokenizers:
        h = t["census"]["byte_length_hist"]
        tot = sum(h.values()) or 1
        lens += [
            {"tokenizer": t["name"], "bytes": k, "order": i, "value": 100 * v / tot}
            for i, (k, v) in enumerate(h.items())
        ]
    return _chart(
        lens,
        700,
        260,
        {"type": "line", "point": True},
        {
            "x": {"field": "bytes", "type": "ordinal", "sort": {"field": "order"}, "title": "token length in bytes"},
            "y": {"field": "value", "type": "quantitative", "title": "% of text tokens"},
            "color": {"field": "tokenizer", "scale": colors},
            "opacity": {"condition": {"param": "pick", "value": 1}, "value": 0.1},
            "tooltip": [{"field": "tokenizer"}, {"field": "bytes"}, {"field": "value", "format": ".2f", "title": "%"}],
        },
        params=[{"name": "pick", "select": {"type": "point", "fields": ["tokenizer"]}, "bind": "legend"}],
    )


def _coverage_spec(rep: AuditReport) -> dict | None:
    cov = [
        {"tokenizer": t["name"], "language": language_label(rep, k), "value": 100 * v["word_coverage"]}
        for t in rep.tokenizers
        for k, v in t["coverage"].items()
    ]
    if not cov:
        return None
    return _heat(
        cov, "language", "tokenizer", "% of top words = 1 token", domain_max=100, scheme="purples", ysort=rep.names
    )


def _overlap_spec(rep: AuditReport) -> dict | None:
    names = rep.names
    if len(names) < 2:
        return None
    jac = [
        {"a": a, "b": b, "value": 100 * v} for a, row in rep.overlap.get("jaccard", {}).items() for b, v in row.items()
    ]
    return _heat(jac, "b", "a", "Jaccard x 100", domain_max=100, scheme="greens", xsort=names, ysort=names)


def _spaces_spec(rep: AuditReport, colors: dict) -> dict | None:
    ws = []
    for t in rep.tokenizers:
        for n, c in (t.get("probes") or {}).get("whitespace", {}).get("spaces", {}).items():
            ws.append({"tokenizer": t["name"], "spaces": int(n), "value": c})
    if not ws:
        return None
    return _chart(
        ws,
        420,
        220,
        {"type": "line", "point": True},
        {
            "x": {
                "field": "spaces",
                "type": "quantitative",
                "scale": {"type": "log", "base": 2},
                "title": "spaces between a and b",
            },
            "y": {"field": "value", "type": "quantitative", "title": "tokens of 'a…b'"},
            "color": {"field": "tokenizer", "scale": colors},
            "tooltip": [{"field": "tokenizer"}, {"field": "spaces"}, {"field": "value"}],
        },
    )


def specs(rep: AuditReport, colors: dict) -> dict:
    """``{chart id: Vega-Lite spec}`` for the charts this report has data for."""
    out = {}
    for col, title, log in (
        ("parity", "parity (x baseline, log)", True),
        ("fertility", "fertility (log)", True),
        ("bytes_per_token", "bytes per token", False),
    ):
        out[f"chart-{col}"] = _lang_chart(rep, col, title, log, colors)
    out["chart-qtok"] = _qtok_spec(rep)
    out["chart-scripts"] = _scripts_spec(rep)
    out["chart-lengths"] = _lengths_spec(rep, colors)
    out["chart-coverage"] = _coverage_spec(rep)
    out["chart-overlap"] = _overlap_spec(rep)
    out["chart-spaces"] = _spaces_spec(rep, colors)
    return {k: v for k, v in out.items() if v}
