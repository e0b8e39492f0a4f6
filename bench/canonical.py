"""Benchmark: what canonical leaves cost against model leaves when scoring text (bench/results/canonical.json).

``ByteLM(..., leaves="canonical")`` against ``leaves="model"`` on the same FLORES devtest sentences (cut
to --max-bytes at a character boundary, the same selection as bench/bytelevel.py) and the same start
context: CPU seconds of ``score`` (every byte's log-probability, from prefix masses) and of ``logprob``
(the whole text), per model, methods interleaved, best of --reps. The goal of issue 15: canonical at
most 2x model. Also the measure bench/bytelevel.py uses for that goal, in this run: one fresh prefix's
next-byte distribution (the same --prefixes prefixes as bench/bytelevel.py's, cut inside a word or a
character), canonical against model leaves; and the one-off CPU time of building the fast
canonicality test (`tokforge.bytelevel.bigram`), which the first canonical call pays. For comparison,
in the same run: ``score`` the way it was computed before prefix masses (the byte's entry of every
next-byte distribution, `ByteScoring.score`), with model leaves on every model and with canonical
leaves on --old-canonical-models (slow: every node's whole-vocabulary mask), on the first
--old-canonical-texts texts cut to --old-canonical-bytes.

    python bench/canonical.py                       # SmolLM2 and Gemma-3, 8 sentences
    python bench/canonical.py --quick               # SmolLM2, 2 short sentences: a smoke test (a temporary folder)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bytelevel import canonical_vs_model, cut_to_chars, fresh_prefixes, interleaved, load_items  # noqa: E402
from common import apply_quick, write_results  # noqa: E402

# --quick: the same measures on SmolLM2 alone, two short sentences, one fresh prefix (given options win)
QUICK = {
    "models": "smollm2-135m",
    "langs": "eng_Latn,zho_Hans",
    "per_lang": 1,
    "max_bytes": 40,
    "prefixes": 1,
    "old_canonical_bytes": 12,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="smollm2-135m,gemma3-270m")
    ap.add_argument("--langs", default="eng_Latn,fra_Latn,deu_Latn,zho_Hans")
    ap.add_argument("--per-lang", type=int, default=2)
    ap.add_argument("--max-bytes", type=int, default=100)
    ap.add_argument("--reps", type=int, default=1, help="more than 1 reuses the validity cache of rep 1")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--old-canonical-models", default="smollm2-135m")
    ap.add_argument("--old-canonical-texts", type=int, default=1)
    ap.add_argument("--old-canonical-bytes", type=int, default=40)
    ap.add_argument("--prefixes", type=int, default=6)
    ap.add_argument("--out", default=None, help="results file (default bench/results/canonical.json)")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK} unless given; a temporary results folder")
    a = ap.parse_args()
    if a.quick:
        apply_quick(a, QUICK)
    torch.set_num_threads(a.threads)

    from tokforge import corpus, models
    from tokforge.bytelevel.bytelm import ByteLM
    from tokforge.bytelevel.canon import Canon
    from tokforge.bytelevel.scoring import ByteScoring

    root = corpus.flores_dir()
    if root is None:
        raise SystemExit("error: FLORES-200 not found (expected $TOKFORGE_DATA/flores200)")
    langs = a.langs.split(",")
    texts = [b for _, b, _ in load_items(root, langs, a.per_lang, a.max_bytes, 16, a.seed)]
    # the fresh prefixes of bench/bytelevel.py (its defaults: 50 sentences per language, 8 genlm prefixes)
    items = load_items(root, langs, 50, a.max_bytes, 16, a.seed)
    prefixes = fresh_prefixes(items, langs, 8, a.seed)[: a.prefixes]
    load_start = os.getloadavg()
    rows = {}
    for name in a.models.split(","):
        print(f"[canonical] {name}", file=sys.stderr, flush=True)
        model, tok = models.load_causal_lm(name)
        lms = {leaves: ByteLM(model, tok, leaves=leaves) for leaves in ("model", "canonical")}
        for lm in lms.values():
            lm.logprob(b"warm")
        methods = {}
        for leaves, lm in lms.items():
            methods[f"score/{leaves}"] = lambda lm=lm: lm.score_batch(texts)
            methods[f"logprob/{leaves}"] = lambda lm=lm: lm.logprob_batch(texts)
        methods["score_via_distributions/model"] = lambda m=lms["model"]: [ByteScoring.score(m, t) for t in texts]
        best = interleaved(methods, a.reps)
        row = {k: {"cpu_seconds": c, "wall_seconds": w} for k, (w, c, _) in best.items()}
        row["score_model_over_via_distributions"] = (
            row["score/model"]["cpu_seconds"] / row["score_via_distributions/model"]["cpu_seconds"]
        )
        old = best["score_via_distributions/model"][2]
        row["max_abs_score_minus_via_distributions"] = max(
            float((x - y).abs().max()) for x, y in zip(best["score/model"][2], old)
        )
        if name in a.old_canonical_models.split(","):
            few = [cut_to_chars(t[: a.old_canonical_bytes]) for t in texts[: a.old_canonical_texts]]
            fresh = ByteLM(model, tok, leaves="canonical")  # its own validity cache, as a user's first call
            fresh.logprob(b"warm")
            new_lm = ByteLM(model, tok, leaves="canonical")
            new_lm.logprob(b"warm")
            both = interleaved(
                {
                    "score_via_distributions/canonical": lambda: [ByteScoring.score(fresh, t) for t in few],
                    "score/canonical (same texts)": lambda: new_lm.score_batch(few),
                },
                1,
            )
            row["old_canonical"] = {
                "texts": len(few),
                "bytes": sum(len(t) for t in few),
                **{k: {"cpu_seconds": c, "wall_seconds": w} for k, (w, c, _) in both.items()},
            }
            row["old_canonical"]["via_distributions_over_score"] = (
                both["score_via_distributions/canonical"][1] / both["score/canonical (same texts)"][1]
            )
        for what in ("score", "logprob"):
            row[f"{what}_canonical_over_model"] = row[f"{what}/canonical"]["cpu_seconds"] / max(
                row[f"{what}/model"]["cpu_seconds"], 1e-9
            )
        # both leaves score the same text; canonical gives no more probability than model leaves
        s_m, s_c = best["score/model"][2], best["score/canonical"][2]
        row["bits_per_byte"] = {
            leaves: -float(sum(x.sum() for x in s)) / sum(len(t) for t in texts) / float(torch.log(torch.tensor(2.0)))
            for leaves, s in (("model", s_m), ("canonical", s_c))
        }
        row["fresh_prefix"] = canonical_vs_model(model, tok, prefixes)
        c = time.process_time()
        fast = Canon(tok).bigram
        row["fast_rule"] = {"kind": type(fast).__name__, "build_cpu_seconds": time.process_time() - c}
        rows[name] = row
        del model, lms
    setup = {
        "split": "devtest",
        "langs": langs,
        "sentences": len(texts),
        "bytes": sum(len(t) for t in texts),
        "max_bytes_per_sentence": a.max_bytes,
        "reps": a.reps,
        "threads": a.threads,
        "timing": "best of reps, methods interleaved; ratios from CPU (process) seconds",
        "old_canonical_models": a.old_canonical_models.split(","),
        "fresh_prefixes": len(prefixes),
        "load_average_start_end": [round(load_start[0], 2), round(os.getloadavg()[0], 2)],
    }
    path = write_results("canonical", {"setup": setup, "models": rows}, a.out)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
