"""Benchmark: SmolLM2-135M given (a) Gemma-3's 262k vocabulary, (b) a 32k byte-level BPE trained on
FLORES dev text of several languages (`common.bpe32k`). One run writes bench/results/transplant.json:

1. **Methods**: for every method, bits/byte of the transplanted model over the original's on FLORES
   devtest (first --limit sentences of each of five languages; `tokforge.evaluate.bits`: bytes the model
   saw, strided windows), with a 95% paired bootstrap interval over sentences (`stats.py`: per-sentence
   bits and bytes are kept in the results file), tokens per byte, next-byte top-1 agreement, plan time.
   OMP uses Gemma-3 itself as the donor on the Gemma-3 target; so does ``blend`` (OMP and hybrid plans
   mixed, ``blend:mode=...`` rows), which needs a donor and is skipped where there is none (32k BPE).
   Nothing here chooses: every method runs with its defaults. A method with options is written
   ``name:key=value;key=value``.
2. **Cold vs warm**: `tokforge transplant` as a user runs it (a fresh process, ``--eval none``),
   first with an empty auxiliary-embedding cache (the artifacts themselves already downloaded),
   then again with the cache warm, for ``hybrid`` and ``omp`` into Gemma-3's vocabulary.
3. **Loop vs vectorised**: the TokenAdapt hybrid as one vectorised plan against a straight per-token
   loop (`tests/helpers/tokenadapt_loop.py`) on a sample of tokens, on the same cached embeddings.

    python bench/transplant.py
    python bench/transplant.py --targets bpe32k --methods fvt,hybrid --cold none --loop-sample 0
    python bench/transplant.py --quick      # 3 sentences, 32k BPE, a few methods, no cold runs: a smoke test
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
from common import RESULTS, apply_quick, bpe32k, part_provenance, results_path, write_json  # noqa: E402
from stats import bootstrap, bootstrap_diff, evaluate_sentences, interval_note, marginal_argument, marginal_ratios  # noqa: E402

from tokforge import artifacts, corpus, models  # noqa: E402
from tokforge.evaluate.bits import compare, public  # noqa: E402
from tokforge.evaluate.marginal import marginal_bits_per_byte  # noqa: E402
from tokforge.loaders import load_tokenizer  # noqa: E402
from tokforge.surgery.apply import apply_plan  # noqa: E402
from tokforge.transplant.registry import METHODS, TransplantContext, get, get_method, parse_options  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LANGS = ["eng_Latn", "fra_Latn", "deu_Latn", "rus_Cyrl", "zho_Hans"]
# The blend rows (issue 27): the mean of the OMP and hybrid plans, and a per-row choice by each method's
# confidence. The option names must match the blend method's options class in tokforge.transplant.
BLEND = "blend:mode=average,blend:mode=confidence"
METHODS_DEFAULT = "mean,fvt,tokenadapt-local,tokenadapt-global,hybrid,omp," + BLEND
QUICK = {
    "limit": 3,
    "targets": "bpe32k",
    "methods": "mean,fvt",
    "loop_sample": 20,
    "cold": "none",
    "resamples": 200,
    "marginal": 1,  # one text per language (the marginal splits its limit over them, at least one each)
    "threads": 1,  # two torch threads on a machine whose other core is busy run slower than one
}


def say(msg: str) -> None:
    print(f"[transplant bench] {msg}", file=sys.stderr, flush=True)


def method_specs(spec: str) -> list[tuple[str, str, dict | None]]:
    """``"hybrid,blend:mode=average"`` -> ``[(label, method, options)]``; exits on an unknown method or
    option before anything runs (a method not in the registry yet is named as missing).

    >>> method_specs("hybrid")
    [('hybrid', 'hybrid', None)]
    """
    out = []
    for label in [x.strip() for x in spec.split(",") if x.strip()]:
        name, _, raw = label.partition(":")
        if name not in METHODS:
            sys.exit(
                f"--methods: method {name!r} is not in tokforge.transplant.registry.METHODS yet "
                f"(known: {', '.join(sorted(METHODS))}); drop {label!r} from --methods"
            )
        opts = dict(kv.split("=", 1) for kv in raw.split(";") if kv) if raw else None
        try:
            parse_options(name, opts)
        except Exception as e:  # noqa: BLE001  (a typed-option error: say which row it came from)
            sys.exit(f"--methods: {label!r}: {e}")
        out.append((label, name, opts))
    return out


def needs_donor(name: str, opts: dict | None) -> bool:
    """Whether the method needs a donor model (a blend: whether one of its methods does)."""
    return get(name).needs_donor or bool(getattr(parse_options(name, opts), "needs_donor", False))


def run_methods(res, key, model, old_tok, new_tok, methods, texts, base, donor=None, resamples=2000, marginal=0):
    ctx = TransplantContext(old_tok, new_tok, model=model, donor=donor, progress=False)  # as `transplant_model`
    rows = res["targets"].setdefault(key, {"vocab_size": len(new_tok.vocab), "methods": {}})
    base, orig = base
    for label, name, opts in methods:
        if needs_donor(name, opts) and donor is None:
            continue
        say(f"{key}: {label}")
        ctx.options = opts  # each method parses its own options
        t = time.perf_counter()
        plan = get_method(name)(ctx)
        plan_s = time.perf_counter() - t
        if name != "blend":  # a later blend row of this context reuses this plan (blend's own memo key)
            ctx.memo.setdefault(("blend plan", name, parse_options(name, opts)), plan)
        m = copy.deepcopy(model)
        t = time.perf_counter()
        apply_plan(m, plan, new_tok)
        apply_s = time.perf_counter() - t
        t = time.perf_counter()
        after, sents = evaluate_sentences(m, new_tok, texts, next_bytes=True)
        eval_s = time.perf_counter() - t
        cmp = compare(base, after)
        row = rows["methods"][label] = {
            "comparison": cmp,
            "interval": bootstrap(orig, sents, n=resamples),
            "new": public(after),
            "plan_s": round(plan_s, 2),
            "apply_s": round(apply_s, 2),
            "eval_s": round(eval_s, 1),
            "sources": plan.summary()["input"]["sources"],
            "methods": plan.summary()["input"]["methods"],
            "notes": {k: v for k, v in plan.notes.items() if k in ("tokenadapt", "omp", "unreachable", "blend")},
            "sentences": sents,
        }
        if marginal:  # probability over all tokenizations of the first texts (the default subset)
            row["marginal"] = marginal_bits_per_byte(m, new_tok, texts, limit=marginal)
            row["marginal_ratio"] = marginal_ratios(res["original_marginal"], row["marginal"])
            say(f"  marginal mean ratio {row['marginal_ratio']['marginal']['mean']}")
        if label != "hybrid" and "hybrid" in rows["methods"]:  # beats hybrid by more than the noise?
            row["minus_hybrid"] = bootstrap_diff(orig, sents, rows["methods"]["hybrid"]["sentences"], n=resamples)
        say(f"  mean ratio {cmp['mean']['bpb_ratio']} {row['interval']['mean']}  plan {plan_s:.1f}s")
        save(res)
        del m
        gc.collect()
    return ctx


def cold_warm(res, method: str, extra: list[str], write=None) -> None:
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
        (write or save)(res)


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
    write_json(OUT, res, ensure_ascii=False)


def only_cold(cold: list[str]) -> None:
    """The cold/warm timings alone, into the existing results file (its other parts and their provenance
    stay; this run's provenance is recorded as the ``cold`` part)."""
    if not cold or not OUT.is_file():
        sys.exit(f"--only-cold needs --cold METHODS and an existing results file ({OUT})")
    res = json.loads(OUT.read_text(encoding="utf-8"))
    old = res.pop("provenance", None)
    res["cold_vs_warm"] = {}
    for method in cold:
        cold_warm(res, method, ["--donor", "gemma3-270m"] if method == "omp" else [], write=lambda r: None)
    res["written"] = time.strftime("%Y-%m-%d %H:%M:%S")
    write_json(OUT, res, provenance=part_provenance(old, "cold"), ensure_ascii=False)
    say(f"wrote the cold runs into {OUT}")


def main():
    global OUT
    ap = argparse.ArgumentParser()
    ap.add_argument("--langs", default=",".join(LANGS), help="evaluation languages (both targets)")
    ap.add_argument("--limit", type=int, default=100, help="FLORES devtest sentences per language")
    ap.add_argument("--targets", default="gemma3,bpe32k")
    ap.add_argument("--methods", default=METHODS_DEFAULT, help="methods, ',' between; options as name:k=v;k=v")
    ap.add_argument("--loop-sample", type=int, default=500)
    ap.add_argument(
        "--cold",
        default="hybrid,omp",
        help="methods whose cold/warm command-line runs are timed ('none': skip). OMP keeps no cache, so its "
        "plan time in the methods table is its cold time too",
    )
    ap.add_argument(
        "--only-cold",
        action="store_true",
        help="time only the --cold runs and put them into the existing results file (the rest of it stays)",
    )
    ap.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples of the intervals")
    marginal_argument(ap, "texts")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help=f"results file (default {OUT}; with --quick a temporary one)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke test of the same code path: {QUICK} unless given, written outside bench/results",
    )
    a = ap.parse_args()
    if a.quick:
        apply_quick(a, QUICK)  # a temporary results folder unless --out; never bench/results
    OUT = results_path("transplant", a.out)
    torch.set_num_threads(a.threads)
    flores = corpus.flores_dir()
    if flores is None:
        sys.exit("FLORES-200 not found (expected $TOKFORGE_DATA/flores200)")
    langs, methods = a.langs.split(","), method_specs(a.methods)
    texts = corpus.read_flores(flores, "devtest", langs, a.limit)
    res = {
        "setup": {
            "model": "smollm2-135m",
            "eval": f"FLORES devtest, first {a.limit} sentences per language: {langs} (both targets)",
            "interval": interval_note(a.resamples),
            "marginal": f"marginal bits/byte (`tokforge.evaluate.marginal`, default beam) of the first "
            f"{a.marginal} texts in all, split over the languages; 0: off",
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
    if a.only_cold:
        only_cold(cold)
        return
    for method in cold:  # first, before this process warms any cache
        cold_warm(res, method, ["--donor", "gemma3-270m"] if method == "omp" else [])
    model, tok = models.load_causal_lm("smollm2-135m")
    say("original model")
    base, orig = evaluate_sentences(model, tok, texts, next_bytes=True)
    res["original"] = public(base)
    res["original_sentences"] = orig
    if a.marginal:
        say("original model: marginal bits/byte")
        res["original_marginal"] = marginal_bits_per_byte(model, tok, texts, limit=a.marginal)
    save(res)
    for key in a.targets.split(","):
        if key == "gemma3":
            new_tok = load_tokenizer("gemma3-270m")
            need = any(needs_donor(name, opts) for _, name, opts in methods)
            donor = models.load_causal_lm("gemma3-270m", tokenizer=new_tok) if need else None
        elif key == "bpe32k":
            new_tok, donor = load_tokenizer(bpe32k(flores), name="bpe32k-flores-dev"), None
        else:
            sys.exit(f"unknown target {key!r} (known: gemma3, bpe32k)")
        ctx = run_methods(res, key, model, tok, new_tok, methods, texts, (base, orig), donor, a.resamples, a.marginal)
        del donor
        gc.collect()
        if a.loop_sample > 0:
            loop_vs_vectorised(res, key, ctx, model, a.loop_sample, a.seed)
    say(f"wrote {OUT}")


if __name__ == "__main__":
    main()
