"""Shared bench helpers: timing and writing results (ratios against a baseline in the same run)."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def best_of(fn, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def write_results(name: str, data: dict) -> Path:
    from tokforge.io import atomic_write_text

    data = {"machine": {"python": platform.python_version(), "processor": platform.machine()},
            "written": time.strftime("%Y-%m-%d %H:%M:%S"), **data}
    return atomic_write_text(RESULTS / f"{name}.json", json.dumps(data, indent=2) + "\n")
