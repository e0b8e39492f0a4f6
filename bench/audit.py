"""Benchmark for `tokforge audit`; ratios measured in one run, written to bench/results/audit.json.

1. Vocabulary audit of Gemma-3's 262,144 tokens (Qtok categories + census incl. reachability +
   wordfreq coverage): seconds (wall, and CPU time of the process).
2. Corpus metrics on all 204 FLORES-200 languages (devtest) vs the backend's raw batch encoding
   of the same lines: ratio (target <= 1.3), from interleaved runs (minimum of each); wall-clock
   and CPU-time ratios (CPU time is far less disturbed by other load on a shared machine). Baselines: ``Tokenizer.encode_batch`` (the adapter)
   and the bare backend call (``tokenizers.Tokenizer.encode_batch`` / tiktoken
   ``encode_ordinary_batch``), as users call them, plus the adapter with Python's garbage collector
   paused (tokforge pauses it while encoding; the strict comparison).
3. Against Qtok (``pip install qtok``, not a tokforge dependency) on the same tokenizer.json
   (SmolLM2): Qtok CLI wall time vs ``tokforge audit`` of the vocabulary with its report (JSON,
   CSV, HTML). Target: >= 10x faster.

Run: ``python bench/audit.py [--threads 2] [--repeat 3] [--skip-qtok]``.
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


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_vocab(repeat: int) -> dict:
    from tokforge import models
    from tokforge.audit.census import census
    from tokforge.audit.coverage import coverage
    from tokforge.audit.qtok import qtok_categories

    tok = models.load_tokenizer("gemma3-270m")
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


def bench_corpus(flores: Path, repeat: int) -> dict:
    """Interleaved runs (raw, bare, metrics) x repeat; minimum wall and CPU time of each."""
    from tokforge import models
    from tokforge.audit import corpus_metrics as cm
    from tokforge.audit.core import corpus_rows
    from tokforge.audit.sources import load_corpus

    corp = load_corpus(f"flores200:{flores}")
    lines = [s for v in corp.texts.values() for s in v]
    out = {"languages": len(corp.texts), "lines": len(lines), "bytes": sum(len(s.encode()) for s in lines)}
    for name in ("gpt2", "smollm2-135m", "gemma3-270m"):
        tok = models.load_tokenizer(name)
        tok.encode_batch(lines[:2000])  # warm-up

        def metrics():  # text statistics included: a one-tokenizer audit pays for them too
            stats = {lang: cm.text_stats(v) for lang, v in corp.texts.items()}
            corpus_rows(tok, corp, stats, "eng_Latn")

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
        out[name] = {"raw_encode_batch_s": round(wall["raw"], 3), "bare_backend_s": round(wall["bare"], 3),
                     "metrics_incl_encoding_s": round(wall["metrics"], 3),
                     "ratio_vs_encode_batch": round(wall["metrics"] / wall["raw"], 3),
                     "ratio_vs_bare_backend": round(wall["metrics"] / wall["bare"], 3),
                     "raw_encode_batch_gc_paused_s": round(wall["raw_nogc"], 3),
                     "ratio_vs_encode_batch_gc_paused": round(wall["metrics"] / wall["raw_nogc"], 3),
                     "cpu_ratio_vs_encode_batch": round(cpu["metrics"] / cpu["raw"], 3),
                     "cpu_ratio_vs_encode_batch_gc_paused": round(cpu["metrics"] / cpu["raw_nogc"], 3),
                     "cpu_ratio_vs_bare_backend": round(cpu["metrics"] / cpu["bare"], 3)}
        print(name, out[name], flush=True)
    return out


def bench_qtok(repeat: int) -> dict:
    from tokforge import models
    from tokforge.audit import audit

    tj = models.pull("smollm2-135m") / "tokenizer.json"
    qtok_bin = shutil.which("qtok")
    if qtok_bin is None:
        return {"skipped": "qtok is not installed (pip install qtok)"}
    tmp = Path(tempfile.mkdtemp())
    try:
        def run_qtok():
            out = tmp / "qtok_out"
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run([qtok_bin, "-i", str(tj), "-l", "smollm2", "-o", str(out)], check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def run_ours():  # a fresh process too, like Qtok: imports, loading, audit, JSON/CSV/HTML
            subprocess.run([sys.executable, "-m", "cli.main", "audit", str(tj), "--no-corpus", "--out",
                            str(tmp / "ours")], check=True, cwd=ROOT, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        audit([str(tj)], False, progress=False)  # warm the on-disk wordfreq cache, as any earlier run does

        q = best(run_qtok, repeat)
        o = best(run_ours, repeat)
        return {"tokenizer": "smollm2-135m tokenizer.json", "qtok_s": round(q, 3), "tokforge_s": round(o, 3),
                "speedup": round(q / o, 2),
                "note": "both as fresh processes: load tokenizer.json, classify the vocabulary, write tables + "
                        "HTML report; tokforge also does the script census, reachability and wordfreq coverage"}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-qtok", action="store_true")
    ap.add_argument("--only-qtok", action="store_true", help="rerun the Qtok comparison only; keep the rest")
    args = ap.parse_args()
    os.environ.setdefault("RAYON_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from tokforge import corpus as tc
    from tokforge.io import atomic_write_text

    path = ROOT / "bench" / "results" / "audit.json"
    if args.only_qtok:
        res = json.loads(path.read_text())
        res["vs_qtok"] = bench_qtok(max(1, args.repeat - 1))
        print("qtok", res["vs_qtok"], flush=True)
        atomic_write_text(path, json.dumps(res, indent=2) + "\n")
        return
    res = {"machine_cores": os.cpu_count(), "threads": args.threads, "repeat": args.repeat}
    res["vocab_audit_gemma3"] = bench_vocab(args.repeat)
    print("vocab", res["vocab_audit_gemma3"], flush=True)
    flores = tc.flores_dir()
    res["corpus_metrics_flores204"] = bench_corpus(flores, args.repeat) if flores else {"skipped": "no FLORES-200"}
    res["vs_qtok"] = {"skipped": "--skip-qtok"} if args.skip_qtok else bench_qtok(max(1, args.repeat - 1))
    print("qtok", res["vs_qtok"], flush=True)
    atomic_write_text(path, json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
