"""Benchmark: SmolLM2-135M given (a) Gemma-3's 262k vocabulary, (b) a 32k byte-level BPE trained on
FLORES dev text of several languages (`common.bpe32k`). One run writes bench/results/transplant.json:

1. **Methods**: for every method, bits/byte of the transplanted model over the original's on FLORES
   devtest (first --limit sentences per language; `tokforge.evaluate.bits`: bytes the model
   saw, strided windows), tokens per byte, next-byte top-1 agreement, plan time. OMP uses Gemma-3
   itself as the donor on the Gemma-3 target.
2. **Cold vs warm**: `tokforge transplant` as a user runs it (a fresh process, ``--eval none``),
   first with an empty auxiliary-embedding cache (the artifacts themselves already downloaded),
   then again with the cache warm, for ``hybrid`` and ``omp`` into Gemma-3's vocabulary.
3. **Loop vs vectorised**: the TokenAdapt hybrid as one vectorised plan against a straight per-token
   loop (`tests/helpers/tokenadapt_loop.py`) on a sample of tokens, on the same cached embeddings.

    python bench/transplant.py
    python bench/transplant.py --targets bpe32k --methods fvt,hybrid --cold none --loop-sample 0
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, bpe32k  # noqa: E402

from tokforge import artifacts, corpus, models  # noqa: E402
from tokforge.evaluate.bits import compare, evaluate_languages, public  # noqa: E402
from tokforge.io import atomic_write_text  # noqa: E402
from tokforge.loaders import load_tokenizer  # noqa: E402
from tokforge.surgery.apply import apply_plan  # noqa: E402
from tokforge.transplant.registry import TransplantContext, get_method  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def say(msg: str) -> None:
    print(f"[transplant bench] {msg}", file=sys.stderr, flush=True)


def run_methods(res, key, model, old_tok, new_tok, methods, texts, base, donor=None):
    ctx = TransplantContext(old_tok, new_tok, donor=donor, progress=False)
    rows = res["targets"].setdefault(key, {"vocab_size": len(new_tok.vocab), "methods": {}})
    for name in methods:
        if name == "omp" and donor is None:
            continue
        say(f"{key}: {name}")
        ctx.options = None  # each method parses its own options (all defaults here)
        t = time.perf_counter()
        plan = get_method(name)(ctx)
        plan_s = time.perf_counter() - t
        m = copy.deepcopy(model)
        t = time.perf_counter()
        apply_plan(m, plan, new_tok)
        apply_s = time.perf_counter() - t
        after = evaluate_languages(m, new_tok, texts, next_bytes=True)
        cmp = compare(base, after)
        rows["methods"][name] = {
            "comparison": cmp,
            "new": public(after),
            "plan_s": round(plan_s, 2),
            "apply_s": round(apply_s, 2),
            "sources": plan.summary()["input"]["sources"],
            "methods": plan.summary()["input"]["methods"],
            "notes": {k: v for k, v in plan.notes.items() if k in ("tokenadapt", "omp", "unreachable")},
        }
        say(f"  mean ratio {cmp['mean']['bpb_ratio']}  plan {plan_s:.1f}s")
        save(res)
        del m
        gc.collect()
    return ctx


def cold_warm(res, method: str, extra: list[str]) -> None:
    """Wall time of `tokforge transplant` with an empty auxiliary cache, then warm (fresh processes)."""
    real = artifacts.cache_dir()
    with tempfile.TemporaryDirectory(prefix="tokforge-cold-") as d:
        cache = Path(d) / "cache"
        cache.mkdir()
        (cache / "artifacts").symlink_to(real / "artifacts")  # downloads and GGUF conversions are not the point
        env = {**os.environ, "TOKFORGE_CACHE": str(cache), "TOKFORGE_PROGRESS": "0"}
        times = {}
        for run in ("cold", "warm"):
            out = Path(d) / f"out-{run}"
            cmd = [
                sys.executable,
                "-m",
                "tokforge",
                "transplant",
                "smollm2-135m",
                "--tokenizer",
                "gemma3-270m",
                "--method",
                method,
                "--eval",
                "none",
                "--out",
                str(out),
                *extra,
            ]
            say(f"{method} {run}: {' '.join(cmd[2:])}")
            import resource

            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
            times[f"{run}_s"] = round(time.perf_counter() - t, 1)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            # CPU seconds of the command (all threads): less disturbed by other load than wall time
            times[f"{run}_cpu_s"] = round(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, 1)
            times[f"{run}_load_avg_before"] = round(os.getloadavg()[0], 2)
            if proc.returncode != 0:
                raise SystemExit(f"transplant failed: {proc.stderr[-1500:]}")
            rep = json.loads((out / "transplant_report.json").read_text())
            times[f"{run}_plan_s"] = rep["timing"]["plan_s"]
            import shutil

            shutil.rmtree(out)
        res["cold_vs_warm"][method] = {
            **times,
            "command": " ".join(cmd[2:-2]),
            "goal_cold_s": 300 if method == "hybrid" else 600,
        }
        say(f"  {times}")
        save(res)


def loop_vs_vectorised(res, key, ctx, model, n_sample: int, seed: int):
    """Time the vectorised hybrid (all tokens) against the per-token loop on a sample, extrapolated."""
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers.tokenadapt_loop import hybrid_rows_loop

    from tokforge.surgery.plan import Source

    ctx.options = None
    ctx.memo = {"aux": ctx.memo["aux"]} if "aux" in ctx.memo else {}  # keep embeddings, drop neighbours
    t = time.perf_counter()
    plan = get_method("hybrid")(ctx)
    vec_s = time.perf_counter() - t
    todo = np.flatnonzero(plan.input.source == Source.COMBINE)
    sample = np.sort(np.random.default_rng(seed).choice(todo, size=min(n_sample, todo.size), replace=False))
    E = model.get_input_embeddings().weight.detach()
    t = time.perf_counter()
    rows = hybrid_rows_loop(ctx, sample, E)
    loop_s = time.perf_counter() - t
    m = copy.deepcopy(model)
    apply_plan(m, plan, ctx.new_tokenizer)
    got = m.get_input_embeddings().weight.detach()
    diffs = np.array([float((got[i] - (r if r is not None else E.mean(0))).abs().max()) for i, r in rows.items()])
    per_token = loop_s / sample.size
    res["loop_vs_vectorised"][key] = {
        "tokens_combined": int(todo.size),
        "vectorised_s_all_tokens": round(vec_s, 2),
        "loop_sample_tokens": int(sample.size),
        "loop_s_sample": round(loop_s, 2),
        "loop_s_extrapolated_all_tokens": round(per_token * todo.size, 1),
        "speedup": round(per_token * todo.size / vec_s, 1),
        "max_abs_row_difference": float(diffs.max()),
        "rows_differing_over_1e-4": int((diffs > 1e-4).sum()),
    }
    say(f"  loop vs vectorised: {res['loop_vs_vectorised'][key]['speedup']}x")
    save(res)


OUT = RESULTS / "transplant.json"


def save(res):
    res["written"] = time.strftime("%Y-%m-%d %H:%M:%S")
    atomic_write_text(OUT, json.dumps(res, indent=2, ensure_ascii=False) + "\n")


def main():
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("--langs", default="eng_Latn,fra_Latn,rus_Cyrl", help="languages for the 32k BPE target")
    ap.add_argument("--gemma-langs", default="eng_Latn,fra_Latn", help="languages for the Gemma-3 target")
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--targets", default="gemma3,bpe32k")
    ap.add_argument("--methods", default="mean,fvt,tokenadapt-local,tokenadapt-global,hybrid,omp")
    ap.add_argument("--loop-sample", type=int, default=500)
    ap.add_argument(
        "--cold",
        default="hybrid,omp",
        help="methods whose cold/warm command-line runs are timed ('none': skip). OMP keeps no cache, so its "
        "plan time in the methods table is its cold time too",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(OUT), help="results file")
    a = ap.parse_args()
    OUT = Path(a.out)
    torch.set_num_threads(a.threads)
    flores = corpus.flores_dir()
    if flores is None:
        sys.exit("FLORES-200 not found (expected $TOKFORGE_DATA/flores200)")
    langs, g_langs, methods = a.langs.split(","), a.gemma_langs.split(","), a.methods.split(",")
    texts = corpus.read_flores(flores, "devtest", sorted(set(langs) | set(g_langs)), a.limit)
    res = {
        "setup": {
            "model": "smollm2-135m",
            "eval": f"FLORES devtest, first {a.limit} sentences per language; bpe32k: {langs}, gemma3: {g_langs}",
            "threads": a.threads,
            "machine": platform.platform(),
            "torch": torch.__version__,
        },
        "original": {},
        "targets": {},
        "cold_vs_warm": {},
        "loop_vs_vectorised": {},
    }
    cold = [] if a.cold == "none" else a.cold.split(",")
    unknown = [m for m in cold if m not in ("hybrid", "omp")]
    if unknown:
        sys.exit(f"--cold: unknown method {unknown[0]!r} (known: hybrid, omp, none)")
    for method in cold:  # first, before this process warms any cache
        cold_warm(res, method, ["--donor", "gemma3-270m"] if method == "omp" else [])
    model, tok = models.load_causal_lm("smollm2-135m")
    say("original model")
    base = evaluate_languages(model, tok, texts, next_bytes=True)
    res["original"] = public(base)
    save(res)
    for key in a.targets.split(","):
        if key == "gemma3":
            new_tok = load_tokenizer("gemma3-270m")
            donor = models.load_causal_lm("gemma3-270m", tokenizer=new_tok) if "omp" in methods else None
        elif key == "bpe32k":
            new_tok, donor = load_tokenizer(bpe32k(flores), name="bpe32k-flores-dev"), None
        else:
            sys.exit(f"unknown target {key!r} (known: gemma3, bpe32k)")
        use = g_langs if key == "gemma3" else langs
        ctx = run_methods(
            res, key, model, tok, new_tok, methods, {k: texts[k] for k in use}, {k: base[k] for k in use}, donor
        )
        del donor
        gc.collect()
        if a.loop_sample > 0:
            loop_vs_vectorised(res, key, ctx, model, a.loop_sample, a.seed)
    say(f"wrote {OUT}")


if __name__ == "__main__":
    main()
