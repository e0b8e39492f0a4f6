"""Benchmark for `tokforge audit`; ratios measured in one run, written to bench/results/audit.json.

1. Vocabulary audit of Gemma-3's 262,144 tokens (Qtok categories + census incl. reachability +
   wordfreq coverage): seconds (wall, and CPU time of the process).
2. Corpus metrics on all 204 FLORES-200 languages (devtest) vs the backend's raw batch encoding
   of the same lines: ratio (target <= 1.3), from interleaved runs (minimum of each); wall-clock
   and CPU-time ratios (CPU time is far less disturbed by other load on a shared machine).
   Baselines: ``Tokenizer.encode_batch`` (the adapter)
   and the bare backend call (``tokenizers.Tokenizer.encode_batch`` / tiktoken
   ``encode_ordinary_batch``), as users call them, plus the adapter with Python's garbage collector
   paused (tokforge pauses it while encoding; the strict comparison).
3. Against Qtok 0.11 (``pip install qtok``; in tokforge's test extra) on the same tokenizer.json
   (SmolLM2): Qtok CLI wall time vs ``tokforge audit FILE --no-corpus --reference none`` (Qtok's
   scope: the vocabulary, tables and an HTML report), both fresh processes, interleaved, best of
   N. Also with ``--reachability`` (work Qtok does not do). Target: >= 10x faster.
4. The main job of docs/audit.md: GPT-2, SmolLM2 and Gemma-3 on all 204 FLORES-200 devtest
   languages, with reachability; every number of the docs table and of the README's parity
   sentence is stored under ``main_job`` (``bench/render.py`` renders the table into the docs).
5. What the reference panel costs, its measurements cached, against ``--reference none``
   (``reference_panel``; `bench/audit_panel.py`). Alone: ``--only panel`` (the rest of the file is kept).

Run: ``python -m bench audit`` (or ``python bench/audit.py [--threads 2] [--repeat 3] [--skip-qtok]``).
``--quick``: every section on the first lines of five languages, once each, written to a temporary folder.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import bench.common  # noqa: E402  (sets $TOKFORGE_DATA when unset)
from bench.audit_panel import bench_panel  # noqa: E402

# --quick: the languages the main job's table needs, the first QUICK_LIMIT devtest lines of each
QUICK_LANGS = ["eng_Latn", "fra_Latn", "rus_Cyrl", "hin_Deva", "zho_Hans"]
QUICK_LIMIT = 40


def best(fn, repeat: int) -> float:
    from bench.common import best_of

    return best_of(fn, repeat)


def bench_vocab(repeat: int) -> dict:
    from tokforge import load_tokenizer
    from tokforge.audit.census import census
    from tokforge.audit.coverage import coverage
    from tokforge.audit.qtok import qtok_categories

    tok = load_tokenizer("gemma3-270m")
    coverage(tok.vocab)  # warm the wordfreq lists (read once per process)
    parts = {
        "qtok_categories_s": best(lambda: qtok_categories(tok.vocab), repeat),
        "census_with_reachability_s": best(lambda: census(tok), repeat),
        "coverage_42_languages_s": best(lambda: coverage(tok.vocab), repeat),
    }
    parts = {k: round(v, 3) for k, v in parts.items()}
    parts["total_s"] = round(sum(parts.values()), 3)
    parts["total_cpu_s"] = round(_timed(lambda: (qtok_categories(tok.vocab), census(tok), coverage(tok.vocab)))[1], 3)
    parts["vocab_size"] = len(tok.vocab)
    return parts


def _bare_encode(tok):
    b = tok.backend
    if hasattr(b, "encode_ordinary_batch"):
        return lambda lines: b.encode_ordinary_batch(lines)
    if hasattr(b, "encode_batch"):
        return lambda lines: b.encode_batch(lines, add_special_tokens=False)
    return lambda lines: b.encode(lines)


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads)."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def bench_corpus(flores: Path, repeat: int, langs: list[str] | None = None, limit: int | None = None) -> dict:
    """Interleaved runs (raw, bare, metrics) x repeat; minimum wall and CPU time of each (``langs``,
    ``limit``: the first lines of some languages, else every line of every language)."""
    from tokforge import load_tokenizer
    from tokforge.audit.inputs import corpus_pass
    from tokforge.audit.sources import load_corpus

    corp = load_corpus(f"flores200:{flores}", langs=langs, limit=limit)
    lines = [s for v in corp.texts.values() for s in v]
    out = {"languages": len(corp.texts), "lines": len(lines), "bytes": sum(len(s.encode()) for s in lines)}
    for name in ("gpt2", "smollm2-135m", "gemma3-270m"):
        tok = load_tokenizer(name)
        tok.encode_batch(lines[:2000])  # warm-up

        def metrics():  # text statistics included: a one-tokenizer audit pays for them too
            corpus_pass([tok], corp, progress=False).rows(tok.name, "eng_Latn")

        def raw_nogc():
            gc.disable()
            try:
                tok.encode_batch(lines)
            finally:
                gc.enable()

        runs = {"raw": [], "raw_nogc": [], "bare": [], "metrics": []}
        for _ in range(repeat):
            runs["raw"].append(_timed(lambda: tok.encode_batch(lines)))
            runs["raw_nogc"].append(_timed(raw_nogc))
            runs["bare"].append(_timed(lambda: _bare_encode(tok)(lines)))
            runs["metrics"].append(_timed(metrics))
        wall = {k: min(w for w, _ in v) for k, v in runs.items()}
        cpu = {k: min(c for _, c in v) for k, v in runs.items()}
        out[name] = {
            "raw_encode_batch_s": round(wall["raw"], 3),
            "bare_backend_s": round(wall["bare"], 3),
            "metrics_incl_encoding_s": round(wall["metrics"], 3),
            "ratio_vs_encode_batch": round(wall["metrics"] / wall["raw"], 3),
            "ratio_vs_bare_backend": round(wall["metrics"] / wall["bare"], 3),
            "raw_encode_batch_gc_paused_s": round(wall["raw_nogc"], 3),
            "ratio_vs_encode_batch_gc_paused": round(wall["metrics"] / wall["raw_nogc"], 3),
            "cpu_ratio_vs_encode_batch": round(cpu["metrics"] / cpu["raw"], 3),
            "cpu_ratio_vs_encode_batch_gc_paused": round(cpu["metrics"] / cpu["raw_nogc"], 3),
            "cpu_ratio_vs_bare_backend": round(cpu["metrics"] / cpu["bare"], 3),
        }
        print(name, out[name], flush=True)
    return out


def bench_qtok(repeat: int) -> dict:
    from tokforge import models
    from tokforge.audit.core import audit_tokenizers

    tj = models.pull("smollm2-135m") / "tokenizer.json"
    qtok_bin = shutil.which("qtok")
    if qtok_bin is None:
        return {"skipped": "qtok is not installed (pip install qtok)"}
    tmp = Path(tempfile.mkdtemp())
    try:
        tj_copy = tmp / "tokenizer.json"  # Qtok may rewrite the file it reads
        shutil.copy(tj, tj_copy)

        def run_qtok():
            out = tmp / "qtok_out"
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run(
                [qtok_bin, "-i", str(tj_copy), "-l", "smollm2", "-o", str(out)],
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        def ours(*extra):  # a fresh process too, like Qtok: imports, loading, audit, JSON/CSV/HTML
            return lambda: subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tokforge_cli.main",
                    "audit",
                    str(tj),
                    "--no-corpus",
                    "--reference",
                    "none",
                    *extra,
                    "--out",
                    str(tmp / "ours"),
                ],
                check=True,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        # warm the on-disk caches (word lists, JS bundle), as any run does
        audit_tokenizers([str(tj)], False, progress=False)
        ours()()
        times = {"qtok": [], "ours": [], "ours_reach": []}
        for _ in range(repeat):  # interleaved: load on the shared machine hits both sides alike
            for k, fn in (("qtok", run_qtok), ("ours", ours()), ("ours_reach", ours("--reachability"))):
                t = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t)
        q, o, r = (min(times[k]) for k in ("qtok", "ours", "ours_reach"))
        return {
            "tokenizer": "smollm2-135m tokenizer.json",
            "repeat": repeat,
            "qtok_s": round(q, 3),
            "tokforge_s": round(o, 3),
            "speedup": round(q / o, 2),
            "tokforge_with_reachability_s": round(r, 3),
            "speedup_with_reachability": round(q / r, 2),
            "note": "both as fresh processes, best of the interleaved runs: load tokenizer.json, classify the "
            "vocabulary, write tables + an HTML report; tokforge also does the script census, wordfreq "
            "coverage, the token viewer and the numbers/whitespace probes (reachability only in the "
            "second pair)",
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


MAIN_JOB = ("gpt2", "smollm2-135m", "gemma3-270m")
PARTS = {"qtok": "vs_qtok", "panel": "reference_panel"}  # --only NAME: the key it rewrites in the results


def bench_main_job(flores: Path, langs: list[str] | None = None, limit: int | None = None) -> dict:
    """The docs' main job, every number the docs table shows (rounded as printed there); ``langs``, ``limit``:
    the first lines of some languages (--quick)."""
    from tokforge.audit.config import AuditConfig
    from tokforge.audit.core import audit_tokenizers

    t, c = time.perf_counter(), time.process_time()
    cfg = AuditConfig(reachability=True, langs=langs, limit=limit)
    rep = audit_tokenizers(list(MAIN_JOB), f"flores200:{flores}", config=cfg, progress=False)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    summ = {r["tokenizer"]: r for r in __import__("tokforge.audit.tables", fromlist=["x"]).summary_rows(rep)}
    rows = {(r["tokenizer"], r["language"]): r for r in rep.languages}
    out = {
        "corpus": rep.corpus["name"],
        "languages": len(rep.corpus["languages"]),
        "lines": rep.corpus["lines"],
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "tokenizers": {},
    }
    for e in rep.tokenizers:
        n, cen, reach = e["name"], e["census"], e["census"]["reachability"]
        s = summ[n]
        out["tokenizers"][n] = {
            "vocab": cen["vocab_size"],
            "bytes_per_token": round(e["corpus"]["bytes_per_token"], 2),
            "parity_mean": round(s["parity_mean"], 2),
            "parity_median": round(s["parity_median"], 2),
            "worst_language": s["worst_lang"],
            "worst_parity": round(s["parity_max"], 2),
            "fertility": {
                x: round(rows[n, x]["fertility"], 2) for x in ("eng_Latn", "fra_Latn", "rus_Cyrl", "hin_Deva")
            },
            "split_word_share": {
                x: round(rows[n, x]["split_word_share"], 2) for x in ("eng_Latn", "rus_Cyrl", "hin_Deva")
            },
            "utilisation": round(e["corpus"]["utilisation"], 2),
            "renyi": round(e["corpus"]["renyi_efficiency"], 2),
            "unreachable": reach["unreachable"],
            "tested": reach["tested"],
            "unreachable_examples": reach["examples"][:6],
            "partial_utf8": cen["n_partial_utf8"],
            "byte_fallback": cen["n_byte_fallback"],
            "qtok_percent": {
                k: round(e["qtok"]["percent"][k], 1) for k in ("spaced_alpha", "inner_alpha", "char_alpha")
            },
            "parity_zho_Hans": round(rows[n, "zho_Hans"]["parity"], 2),
        }
    j, sh = rep.overlap["jaccard"], rep.overlap["share"]
    out["jaccard"] = {
        f"{a}/{b}": round(j[a][b], 2)
        for a, b in (("gpt2", "smollm2-135m"), ("gpt2", "gemma3-270m"), ("smollm2-135m", "gemma3-270m"))
    }
    out["share_in_gemma3"] = {a: round(100 * sh[a]["gemma3-270m"]) for a in ("gpt2", "smollm2-135m")}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-qtok", action="store_true")
    ap.add_argument("--only-qtok", action="store_true", help="rerun the Qtok comparison only; keep the rest")
    ap.add_argument(
        "--only",
        choices=sorted(PARTS),
        default=None,
        help="rerun one part only (qtok: the Qtok comparison; panel: the reference panel's cost); keep the rest",
    )
    ap.add_argument("--out", default=None, help="results file (default bench/results/audit.json)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"once each, on the first {QUICK_LIMIT} lines of {QUICK_LANGS}; a temporary results folder",
    )
    args = ap.parse_args()
    if args.quick:
        bench.common.set_quick()
        args.repeat = 1
    sub = (QUICK_LANGS, QUICK_LIMIT) if args.quick else (None, None)
    os.environ.setdefault("RAYON_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from tokforge import corpus as tc

    path = bench.common.results_path("audit", args.out)
    q_repeat = 1 if args.quick else max(3, args.repeat)
    only = "qtok" if args.only_qtok else args.only
    if only:
        part = PARTS[only]
        res = json.loads(path.read_text()) if path.is_file() else {}
        res[part] = bench_qtok(q_repeat) if only == "qtok" else bench_panel(tc.flores_dir(), q_repeat, *sub)
        print(part, json.dumps(res[part])[:2000], flush=True)
        # the rest of the file keeps the record it was written with
        bench.common.write_json(path, res, provenance=bench.common.part_provenance(res.get("provenance"), part))
        return
    res = {"machine_cores": os.cpu_count(), "threads": args.threads, "repeat": args.repeat}
    res["vocab_audit_gemma3"] = bench_vocab(args.repeat)
    print("vocab", res["vocab_audit_gemma3"], flush=True)
    flores = tc.flores_dir()
    res["corpus_metrics_flores204"] = (
        bench_corpus(flores, args.repeat, *sub) if flores else {"skipped": "no FLORES-200"}
    )
    res["vs_qtok"] = {"skipped": "--skip-qtok"} if args.skip_qtok else bench_qtok(q_repeat)
    print("qtok", res["vs_qtok"], flush=True)
    res["main_job"] = bench_main_job(flores, *sub) if flores else {"skipped": "no FLORES-200"}
    print("main job", json.dumps(res["main_job"])[:2000], flush=True)
    res["reference_panel"] = bench_panel(flores, q_repeat, *sub)
    if args.quick:
        res["quick"] = {"langs": QUICK_LANGS, "limit": QUICK_LIMIT}
    bench.common.write_json(path, res)


if __name__ == "__main__":
    main()
