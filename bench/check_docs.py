"""The number rule: every measured number in README.md and docs/*.md comes from a renderer.

A page may carry a measured number in exactly two places, both written by ``bench/render.py`` from
``bench/results/*.json``:

- a rendered table: ``<!-- bench:NAME -->`` ... ``<!-- /bench -->`` (``render.RENDERERS[NAME]``);
- a rendered inline value: ``<!-- v:NAME -->1.110<!-- /v -->`` (``render.VALUES[NAME]``: a results
  file, a path into it and a format).

``python bench/render.py --check`` fails when a region differs from what the results give (so a
one-digit edit to a rendered number fails). This module fails on a measured-looking number anywhere
else in the prose or hand-written tables (``python -m bench check``; ``tests/docs/test_docs_numbers.py``).

Measured-looking: a decimal (``1.144``), a percentage (``94.5%``), a ratio (``11.6x``, ``3×``), or a
number (also a range ``24-31``) followed by a unit (``30 s``, ``396 s``, ``2 GB``, ``1.7 MB/s``,
``10 minutes``, ``14 M tok/s``, ``465 bits``), or a count ``96 of 100``. Not prose, so exempt: fenced
code blocks, inline code, HTML comments, link targets. Not measurements, so exempt: numbers inside
names (``FLORES-200``, ``SmolLM2-135M``, ``UTF-8``), version strings (``2.13.0``), dates, and the
phrases in ``ALLOWED`` (versions after a package name, paper years). A setting written in prose
belongs in inline code (`` `p=0.1` ``); a goal, when quoted, is a rendered value too (``render.GOALS``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

UNITS = (
    r"(?:s|ms|µs|us|sec|secs|seconds?|min|mins|minutes?|h|hours?|days?|"
    r"[KMGT]i?B(?:/s)?|[kKMG]?B/s|bytes/s|"
    r"[kMG]?\s?tok(?:ens)?/s|M\s+tokens|"
    r"bits?|nats?|bits/byte|steps?|epochs?|points?|"
    r"MiB|GiB|KB|MB|GB|TB)"
)
# a number: not glued to a word or a name (SmolLM2-135M, Gemma-3, FLORES-200, UTF-8, v2), nor a version
NUM = r"\d[\d,]*(?:\.\d+)?"
NUMBER = re.compile(
    r"(?<![\w.\-/:#])(?<!\w-)"  # not inside a name or a path
    rf"(?P<num>[+\-−]?{NUM})"
    rf"(?P<range>\s?(?:-|–|to)\s?{NUM})?"
    r"(?P<suffix>%|x\b|×)?"
    r"(?![\w.]*\d)"  # not a version (2.13.0) or a longer token
    r"(?!-\w)"  # not the start of a name (2-core, 4-step, 16k-token)
)
UNIT_AFTER = re.compile(rf"^\s?{UNITS}(?![\w])")
OF_AFTER = re.compile(rf"^\s+of\s+(?:its\s+|the\s+)?{NUM}\b")
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")

# Phrases that hold a number that is not a measurement. Keep this short; prefer inline code.
ALLOWED = [
    r"\bPython\s+3\.\d+",  # Python 3.11
    r"\b(?:qtok|Qtok|genlm-bytes|torch|transformers|tokenizers)\s+\d+\.\d+(?:\.\d+)?",  # package versions
    r"\bet al\.,?\s+\d{4}",  # paper citations
    r"\(\d{4}\)",  # a year in brackets
    r"\barXiv:\d{4}\.\d{4,5}",
]
ALLOWED_RE = re.compile("|".join(ALLOWED))

REGIONS = [
    re.compile(r"<!-- bench:[\w.-]+ -->.*?<!-- /bench -->", re.S),
    re.compile(r"<!-- v:[\w.-]+ -->.*?<!-- /v -->", re.S),
]


def _blank(m: re.Match) -> str:
    return " " + "\n" * m.group(0).count("\n")


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of the prose and hand-written tables of a page: rendered regions, fenced code,
    inline code, HTML comments, link targets, dates and allowed phrases blanked."""
    for region in REGIONS:
        text = region.sub(_blank, text)
    text = re.sub(r"<!--.*?-->", _blank, text, flags=re.S)
    out, fence = [], False
    for n, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            continue
        if fence:
            continue
        line = re.sub(r"`[^`]*`", " ", line)
        line = re.sub(r"\]\([^)]*\)", "] ", line)  # link targets
        line = re.sub(r"<https?://[^>]*>|https?://\S+", " ", line)
        line = DATE.sub(" ", line)
        line = ALLOWED_RE.sub(" ", line)
        out.append((n, line))
    return out


def claims(line: str) -> list[str]:
    """The measured-looking numbers in one line of prose, as printed."""
    got = []
    for m in NUMBER.finditer(line):
        num, rng, suffix = m.group("num"), m.group("range"), m.group("suffix")
        after = line[m.end() :]
        if suffix or "." in num or (rng and "." in rng) or UNIT_AFTER.match(after) or OF_AFTER.match(after):
            got.append(m.group(0).strip())
    return got


def pages(root: Path = ROOT) -> list[Path]:
    return [root / "README.md"] + sorted((root / "docs").glob("*.md"))


def check(root: Path = ROOT) -> list[str]:
    """Problems found: ``FILE:LINE: 'NUMBER' ... -- context`` for every measured-looking number outside
    a rendered region (empty: the pages follow the rule)."""
    bad = []
    for page in pages(root):
        if not page.exists():
            continue
        rel = page.relative_to(root).as_posix()
        for n, line in prose_lines(page.read_text(encoding="utf-8")):
            for tok in claims(line):
                bad.append(
                    f"{rel}:{n}: {tok!r} looks measured but is not rendered "
                    f"(use <!-- v:NAME -->...<!-- /v --> or a bench table) -- {line.strip()[:100]}"
                )
    return bad


def main() -> int:
    bad = check()
    for b in bad:
        print(b)
    sys.path.insert(0, str(ROOT / "bench"))
    import render

    stale = render.stale()
    for p in stale:
        print(f"{p}: a rendered region differs from bench/results (run python bench/render.py)")
    if bad or stale:
        print(f"{len(bad)} unrendered number(s), {len(stale)} stale page(s)")
        return 1
    print("every measured number is rendered from bench/results, and every rendered region is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
