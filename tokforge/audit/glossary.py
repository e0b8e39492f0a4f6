"""Every metric of the report in one sentence, with its reference, its direction and its range.

``glossary_rows(report)`` adds the range the metric takes across the report's tokenizers (the
panel's range), so a reader sees at once whether 0.45 is high or low here.

>>> [g["metric"] for g in GLOSSARY][:3]
['bytes per token', 'parity', 'fertility']
"""

from __future__ import annotations

import json
import math
from pathlib import Path

GLOSSARY: list[dict] = json.loads((Path(__file__).parent / "glossary.json").read_text(encoding="utf-8"))
"""The metrics as plain data (``glossary.json``): metric, key (``[where, column]`` in the report, or
null), definition, direction, reference."""


def _range(rep, key) -> str:
    if key is None:
        return "-"
    where, col = key
    vals = []
    if where == "corpus":
        vals = [(t.get("corpus") or {}).get(col) for t in rep.tokenizers]
    elif where == "census":
        vals = [t["census"].get(col) for t in rep.tokenizers]
    elif where == "languages":
        vals = [r.get(col) for r in rep.languages]
    elif where == "summary":
        from .tables import summary_rows

        vals = [r.get(col) for r in summary_rows(rep)]
    vals = [float(v) for v in vals if isinstance(v, (int, float)) and v is not None and math.isfinite(float(v))]
    if not vals:
        return "-"
    lo, hi = min(vals), max(vals)
    fmt = (lambda x: f"{x:,.0f}") if all(v == int(v) for v in vals) and hi > 10 else (lambda x: f"{x:.3g}")
    return f"{fmt(lo)} – {fmt(hi)}"


def glossary_rows(rep) -> list[dict]:
    """GLOSSARY plus each metric's range over the report's tokenizers (or languages)."""
    return [{**g, "range": _range(rep, g["key"])} for g in GLOSSARY]
