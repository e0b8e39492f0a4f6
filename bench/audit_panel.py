"""What the reference panel costs an audit (issue 29): ``tokforge audit TOKENIZER`` with the default panel, its
measurements cached (warm), against the same audit with ``--reference none``, both fresh processes (imports,
loading, the audit, report.json, CSV tables and report.html), interleaved, median of at least 3 runs of each;
without a corpus, on the built-in corpus, and on FLORES-200 devtest (204 languages). Goal: the panel costs at
most 1.3x, wall-clock and CPU time of the process. The first run of each corpus uses ``--panel-cache refresh``
(the panel measured and stored, the cost of a first audit with an empty cache); it is recorded beside.

The tokenizer is the bench's 32k byte-level BPE trained on FLORES dev (`bench.common.bpe32k`), in no panel.
A timed run that wrote to the panel cache missed it (the measuring code changed during the bench): it is
counted under ``cache_misses`` and one more pair of runs is made (at most three more).

Run: ``python bench/audit.py --only panel`` (keeps the rest of bench/results/audit.json); a full
``python -m bench audit`` runs it too.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.3


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cache_files() -> set[str]:
    from tokforge.audit.panel_keys import cache_root

    root = cache_root()
    return {str(p) for p in root.rglob("*")} if root.is_dir() else set()


def _run(args: list[str], out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``tokforge audit`` process."""
    cmd = [sys.executable, "-m", "tokforge_cli.main", "audit", *args, "--out", str(out)]
    c, w = _cpu_children(), time.perf_counter()
    subprocess.run(
        cmd, check=True, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return time.perf_counter() - w, _cpu_children() - c


def _scenario(tok: str, corpus_args: list[str], repeat: int, tmp: Path) -> dict:
    none = [tok, *corpus_args, "--reference", "none"]
    panel = [tok, *corpus_args, "--reference", "default"]
    refresh_s, _ = _run([*panel, "--panel-cache", "refresh"], tmp / "refresh")
    runs: dict[str, list[tuple[float, float]]] = {"none": [], "panel": []}
    misses = 0
    while len(runs["panel"]) < repeat and misses <= 3:
        runs["none"].append(_run(none, tmp / "none"))
        before = _cache_files()
        got = _run([*panel, "--panel-cache", "on"], tmp / "panel")
        if _cache_files() - before:  # a miss: this pair is not counted
            misses += 1
            runs["none"].pop()
            continue
        runs["panel"].append(got)
    if not runs["panel"]:
        raise SystemExit("the panel cache missed on every run: is someone editing the measuring modules?")
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in runs.items()}
    ratio_wall, ratio_cpu = med["panel"][0] / med["none"][0], med["panel"][1] / med["none"][1]
    return {
        "args": corpus_args,
        "runs": len(runs["panel"]),
        "reference_none_s": round(med["none"][0], 3),
        "panel_cached_s": round(med["panel"][0], 3),
        "ratio_wall": round(ratio_wall, 3),
        "reference_none_cpu_s": round(med["none"][1], 3),
        "panel_cached_cpu_s": round(med["panel"][1], 3),
        "ratio_cpu": round(ratio_cpu, 3),
        "met": ratio_wall <= GOAL and ratio_cpu <= GOAL,
        "panel_refresh_s": round(refresh_s, 3),
        "cache_misses": misses,
        "all_runs": {k: [[round(w, 3), round(c, 3)] for w, c in v] for k, v in runs.items()},
    }


def bench_panel(flores: Path | None, repeat: int, langs: list[str] | None = None, limit: int | None = None) -> dict:
    """The panel's cost on each corpus (``langs``, ``limit``: a FLORES subset for --quick)."""
    import bench.common

    if flores is None:
        return {"skipped": "no FLORES-200 (the tokenizer is trained on it)"}
    tok = str(bench.common.bpe32k(flores) / "tokenizer.json")
    fl = ["--corpus", f"flores200:{flores}"]
    if langs:
        fl += ["--langs", ",".join(langs), "--limit", str(limit)]
    corpora = {"no corpus (--no-corpus)": ["--no-corpus"], "built-in corpus": [], "FLORES-200 devtest": fl}
    out = {"tokenizer": "32k byte-level BPE (FLORES dev, 8 languages)", "goal_ratio": GOAL, "stat": "median"}
    with tempfile.TemporaryDirectory() as d:
        for name, args in corpora.items():
            out[name] = _scenario(tok, args, repeat, Path(d))
            print("panel", name, {k: v for k, v in out[name].items() if k != "all_runs"}, flush=True)
    return out
