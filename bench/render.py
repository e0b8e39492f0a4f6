"""Tables in README.md and docs/*.md rebuilt from bench/results/*.json.

A page marks a generated table with ``<!-- bench:NAME -->`` ... ``<!-- /bench -->``; ``RENDERERS[NAME]``
turns the results into the markdown in between. ``python bench/render.py`` rewrites every marked
region in place; ``python bench/render.py --check`` (and the docs test) fails when a page's table
differs from what the results give, so a table can never drift from its measurement.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REGION = re.compile(r"(<!-- bench:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /bench -->)", re.S)


def _load(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def _f(x, nd=3) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def heal_table(target: str) -> str:
    """Ratio to the original per language: before healing, then after each run (ablation and goal)."""
    res = _load("heal.json")
    row = res["targets"][target]
    runs = list(row["runs"].values())
    langs = [k for k in next(iter(runs))["comparison"] if k != "mean"] + ["mean"]
    head = "| run | minutes | steps | " + " | ".join(langs) + " |"
    lines = [head, "|" + "---|" * (3 + len(langs))]
    first = runs[0]["comparison"]
    lines.append("| before healing (hybrid transplant) | - | - | "
                 + " | ".join(_f(first[k]["ratio_before"]) for k in langs) + " |")
    for r in runs:
        label = f"{r['loss']} ({'goal run' if r['kind'] == 'main' else 'ablation'})"
        lines.append(f"| {label} | {r['minutes']:g} | {r['steps']} | "
                     + " | ".join(_f(r["comparison"][k]["ratio_after"]) for k in langs) + " |")
    return "\n".join(lines) + "\n"


def transplant_table(target: str) -> str:
    """Bits/byte ratio to the original per method and language, with next-byte agreement."""
    res = _load("transplant.json")
    methods = res["targets"][target]["methods"]
    langs = [k for k in next(iter(methods.values()))["comparison"] if k != "mean"]
    lines = ["| method | " + " | ".join(langs) + " | mean | next-byte top-1 agreement | tokens/byte vs original | plan s |",
             "|" + "---|" * (len(langs) + 5)]
    for name, m in methods.items():
        c = m["comparison"]
        lines.append(f"| {name} | " + " | ".join(_f(c[k]["bpb_ratio"]) for k in langs)
                     + f" | {_f(c['mean']['bpb_ratio'])} | {_f(c['mean'].get('next_byte_agreement'))} | "
                     f"{_f(c['mean']['length_ratio'])} | {m['plan_s']:.1f} |")
    return "\n".join(lines) + "\n"


def cold_warm_table() -> str:
    res = _load("transplant.json")["cold_vs_warm"]
    lines = ["| method | cold wall s | cold CPU s | warm wall s | warm CPU s | goal for cold wall s |",
             "|---|---|---|---|---|---|"]
    for name, r in res.items():
        lines.append(f"| {name} | {r['cold_s']:.1f} | {r['cold_cpu_s']:.1f} | {r['warm_s']:.1f} | {r['warm_cpu_s']:.1f} | "
                     f"{r['goal_cold_s']} |")
    return "\n".join(lines) + "\n"


RENDERERS = {
    "heal-gemma3": lambda: heal_table("gemma3"),
    "heal-bpe32k": lambda: heal_table("bpe32k"),
    "transplant-gemma3": lambda: transplant_table("gemma3"),
    "transplant-bpe32k": lambda: transplant_table("bpe32k"),
    "transplant-cold": cold_warm_table,
}


def pages() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def render(text: str) -> str:
    def sub(m):
        name = m.group("name")
        if name not in RENDERERS:
            raise SystemExit(f"unknown bench table {name!r} (known: {', '.join(RENDERERS)})")
        return m.group(1) + RENDERERS[name]() + m.group(4)
    return REGION.sub(sub, text)


def stale() -> list[str]:
    """Pages whose generated tables differ from the results."""
    return [p.relative_to(ROOT).as_posix() for p in pages() if render(p.read_text(encoding="utf-8")) !=
            p.read_text(encoding="utf-8")]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for p in bad:
            print(f"{p}: a generated table differs from bench/results (run python bench/render.py)")
        return 1 if bad else 0
    from tokforge.io import atomic_write_text

    for p in pages():
        text = p.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            atomic_write_text(p, new)
            print(f"rewrote tables in {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
