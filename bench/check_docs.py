"""Every measured number in README.md and docs/*.md must be in a bench results file.

``python -m bench check`` (and ``tests/test_docs_numbers.py`` in CI) reads the prose and tables of
README.md and docs/*.md (code blocks, inline code, links and HTML comments are not prose), finds
every number that claims a measurement, and looks for it in ``bench/results/*.json`` within its
printed rounding (``1.144`` matches 1.14426; ``94.5%`` matches 0.9451 or 94.5; ``+14.0%`` matches
a ratio of 1.1401; ``11.6x`` matches 11.63). A number that is not found fails the check, with its
file, line and context.

What counts as a measurement: decimals (``1.144``), percentages (``94.5%``), multipliers
(``11.6x``). Plain integers (vocabulary sizes, sentence counts, years) do not count, nor do
version strings (``2.13.0``), nor numbers right after a word that marks a setting or a goal
(``goal``, ``target``, ``<=``, ``>=``, ``default``, ``threshold``...). Write a setting as inline code
(`` `p=0.1` ``) to exempt it. ``SOURCES`` maps a page to the results files its numbers may come
from (README: all of them).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

SOURCES: dict[str, list[str]] = {
    "docs/transplant.md": ["transplant.json", "heal.json", "hypernet.json", "supertokens.json"],
    "docs/hypernet.md": ["hypernet.json", "transplant.json"],
    "docs/audit.md": ["audit.json", "audit_scale.json"],
    "docs/bytelevel.md": ["bytelevel.json"],
    "docs/stochastok.md": ["stochastok.json"],
    "docs/supertokens.md": ["supertokens.json"],
}
EXEMPT_BEFORE = re.compile(r"(goal|goals|target|targets|threshold|limit|default|defaults|at most|at least|<=|>=|≤|≥|"
                           r"under|within|seed|version|python|torch|top-|p\s*=|w\s*=|k\s*=|tau\s*=|lr\s*=)\W{0,3}$",
                           re.IGNORECASE)
EXEMPT_AFTER = re.compile(r"^\W{0,3}(goal|target|threshold|limit)", re.IGNORECASE)
NUMBER = re.compile(r"(?<![\w.\-/])([+\-−]?)(\d[\d,]*(?:\.\d+)?)(%|x\b|×)?(?![\w.]*\d)")


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of prose and tables: fenced code, inline code, HTML comments, link
    targets and image references removed."""
    text = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    out, fence = [], False
    for n, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        if fence:
            continue
        line = re.sub(r"`[^`]*`", " ", line)
        line = re.sub(r"\]\([^)]*\)", "]", line)
        out.append((n, line))
    return out


def claims(line: str) -> list[tuple[str, float, int, str]]:
    """(printed token, value, decimals, kind) of every measurement-like number in a line."""
    got = []
    for m in NUMBER.finditer(line):
        sign, num, suffix = m.groups()
        if EXEMPT_BEFORE.search(line[max(0, m.start() - 24):m.start()]) or EXEMPT_AFTER.search(line[m.end():]):
            continue
        if "," in num and "." not in num and not suffix:
            continue  # 49,152: a count
        kind = "pct" if suffix == "%" else "mult" if suffix in ("x", "×") else "dec" if "." in num else None
        if kind is None:
            continue
        clean = num.replace(",", "")
        dec = len(clean.split(".")[1]) if "." in clean else 0
        got.append((m.group(0), float(clean), dec, kind))
    return got


def numbers_in(obj) -> list[float]:
    if isinstance(obj, bool):
        return []
    if isinstance(obj, (int, float)):
        return [float(obj)]
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in numbers_in(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in numbers_in(v)]
    return []


def candidates(values: list[float], kind: str) -> list[float]:
    out = [abs(v) for v in values]
    if kind == "pct":
        out += [abs(100 * v) for v in values] + [abs(100 * (v - 1)) for v in values]
    return out


def found(value: float, dec: int, pool: list[float]) -> bool:
    tol = 0.5 * 10 ** -dec + 1e-9
    return any(abs(c - value) <= tol for c in pool)


def check(root: Path = ROOT) -> list[str]:
    """Problems found (empty: every measured number is in a results file)."""
    results = {p.name: numbers_in(json.loads(p.read_text())) for p in sorted((root / "bench" / "results").glob("*.json"))}
    pages = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    bad = []
    for page in pages:
        rel = page.relative_to(root).as_posix()
        names = SOURCES.get(rel, list(results))
        missing = [n for n in names if n not in results]
        values = [v for n in names if n in results for v in results[n]]
        pools = {k: candidates(values, k) for k in ("dec", "pct", "mult")}
        for n, line in prose_lines(page.read_text(encoding="utf-8")):
            for tok, value, dec, kind in claims(line):
                if not found(value, dec, pools[kind]):
                    where = line.strip()[:100]
                    bad.append(f"{rel}:{n}: {tok!r} is not in {', '.join(n_ for n_ in names if n_ in results)}"
                               f"{' (missing: ' + ', '.join(missing) + ')' if missing else ''} -- {where}")
    return bad


def main() -> int:
    bad = check()
    for b in bad:
        print(b)
    print(f"{len(bad)} number(s) not found in bench/results" if bad else "every measured number is in bench/results")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
