"""The report's tables as plain Python (lists of rows) and their CSV files, without pandas.

``pandas`` takes most of a second to import; a vocabulary-only audit takes about as long in
total, so the files are written from plain rows here and pandas is only used when a caller asks
for a DataFrame (``AuditReport.summary_table()`` and friends).

>>> rows = [{"tokenizer": "a", "language": "x", "v": 1.0}, {"tokenizer": "b", "language": "x", "v": 2.0}]
>>> wide(rows, "v", ["a", "b"])
(['x'], {'x': {'a': 1.0, 'b': 2.0}})
>>> stats([3.0, 1.0, 2.0])
(2.0, 2.0, 3.0, 0)
"""

from __future__ import annotations

import csv
import math
from pathlib import Path


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def wide(rows: list[dict], col: str, names: list[str]) -> tuple[list[str], dict[str, dict[str, float]]]:
    """(languages in first-seen order, {language: {tokenizer: value}}) for one column."""
    order, out = [], {}
    for r in rows:
        v = r.get(col)
        if v is None:
            continue
        lang = r["language"]
        if lang not in out:
            order.append(lang)
            out[lang] = {}
        out[lang][r["tokenizer"]] = v
    return order, out


def stats(vals: list[float]) -> tuple[float, float, float, int] | None:
    """(mean, median, max, index of max) of the finite values; None when there are none."""
    v = [x for x in vals if _finite(x)]
    if not v:
        return None
    s = sorted(v)
    n = len(s)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return sum(v) / n, med, max(v), vals.index(max(v))


def summary_rows(rep) -> list[dict]:
    """One row per tokenizer: the numbers a reader looks at first (pure Python)."""
    base = (rep.corpus or {}).get("baseline")
    par: dict[str, list[tuple[str, float]]] = {}
    for r in rep.languages:
        if r.get("language") != base and _finite(r.get("parity")):
            par.setdefault(r["tokenizer"], []).append((r["language"], r["parity"]))
    rows = []
    for t in rep.tokenizers:
        c, reach = t["census"], t["census"].get("reachability") or {}
        corp = t.get("corpus") or {}
        p = par.get(t["name"], [])
        st = stats([v for _, v in p])
        rows.append(
            {
                "tokenizer": t["name"],
                "role": "reference" if t.get("reference") else "audited",
                "family": c["family"],
                "vocab": c["vocab_size"],
                "text": c["n_text"],
                "special": c["n_special"],
                "byte_fb": c["n_byte_fallback"],
                "partial_utf8": c["n_partial_utf8"],
                "dups": c["n_duplicate_ids"],
                "unreachable": f"{reach['unreachable']}/{reach['tested']}" if reach.get("tested") else "n/a",
                "mean_bytes": c["mean_token_bytes"],
                "bytes/token": corp.get("bytes_per_token"),
                "parity_mean": st[0] if st else None,
                "parity_median": st[1] if st else None,
                "parity_max": st[2] if st else None,
                "worst_lang": p[st[3]][0] if st else None,
                "utilisation": corp.get("utilisation"),
                "renyi": corp.get("renyi_efficiency"),
            }
        )
    return rows


def script_columns(rep) -> list[str]:
    """Scripts ordered by their total token count over the tokenizers."""
    tot: dict[str, int] = {}
    for t in rep.tokenizers:
        for s, n in t["census"]["scripts"].items():
            tot[s] = tot.get(s, 0) + n
    return sorted(tot, key=lambda s: -tot[s])


def language_rows(rep) -> list[dict]:
    from .languages import info

    out = []
    for r in rep.languages:
        li = rep.language_info.get(r["language"]) or info(r["language"])
        out.append(
            {
                "tokenizer": r["tokenizer"],
                "language": r["language"],
                "name": li["name"],
                "script": li["script"],
                "resource": li["resource"],
                **{k: v for k, v in r.items() if k not in ("tokenizer", "language")},
            }
        )
    return out


def _cell(v):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return v


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([_cell(v) for v in r])


def write_all(rep, folder: Path) -> None:
    """summary, qtok_percent, qtok_counts, scripts, languages, coverage, overlap_* CSV files."""
    from .qtok import CATEGORIES

    s = summary_rows(rep)
    cols = list(s[0]) if s else []
    write_csv(folder / "summary.csv", cols, [[r[c] for c in cols] for r in s])
    for key, name in (("percent", "qtok_percent"), ("counts", "qtok_counts")):
        write_csv(
            folder / f"{name}.csv",
            ["", *CATEGORIES],
            [[t["name"], *[t["qtok"][key][c] for c in CATEGORIES]] for t in rep.tokenizers],
        )
    sc = script_columns(rep)
    write_csv(
        folder / "scripts.csv",
        ["", *sc],
        [[t["name"], *[t["census"]["scripts"].get(x, 0) for x in sc]] for t in rep.tokenizers],
    )
    lr = language_rows(rep)
    if lr:
        lc = list(dict.fromkeys(k for r in lr for k in r))
        write_csv(folder / "languages.csv", lc, [[r.get(c) for c in lc] for r in lr])
    langs = list(dict.fromkeys(k for t in rep.tokenizers for k in t["coverage"]))
    if langs:
        write_csv(
            folder / "coverage.csv",
            ["", *rep.names],
            [[k, *[t["coverage"].get(k, {}).get("word_coverage") for t in rep.tokenizers]] for k in langs],
        )
    for kind in ("jaccard", "share"):
        m = rep.overlap.get(kind) or {}
        if m:
            write_csv(folder / f"overlap_{kind}.csv", ["", *m], [[a, *[row.get(b) for b in m]] for a, row in m.items()])
