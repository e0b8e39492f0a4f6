"""Benchmark: what the default marginal bits/byte costs against the canonical evaluation of the yardstick
(bench/results/marginal_cost.json).

Issue 27 asks that the marginal bits/byte (`tokforge.evaluate.marginal`: the probability of a text over all
its tokenizations, a beam bound) of the default subset - ``DEFAULT_LIMIT`` texts in all, split over the
languages - cost no more than the canonical evaluation of all the yardstick's sentences (--limit FLORES
devtest sentences x five languages, `tokforge.evaluate.bits.evaluate_languages`, as the transplant and heal
benches run it). Both run here, in one process on one torch thread, on the same model; the cost is CPU
seconds of this process (`time.process_time`), so other work on the machine moves both alike. Models:
SmolLM2-135M itself (49k vocabulary) and its TokenAdapt hybrid transplant into Gemma-3's 262k vocabulary
(heal.py's cached start), the model a transplant or heal report scores.

    python bench/marginal_cost.py
    python bench/marginal_cost.py --quick        # 2 sentences per language, SmolLM2 only: a smoke test
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import pick, results_path, set_quick, write_json  # noqa: E402
from heal import LANGS, student  # noqa: E402

from tokforge import corpus, models  # noqa: E402
from tokforge.evaluate.bits import evaluate_languages  # noqa: E402
from tokforge.evaluate.marginal import DEFAULT_BEAM, DEFAULT_DELTA, DEFAULT_LIMIT, marginal_bits_per_byte  # noqa: E402

MODELS = {"smollm2": "SmolLM2-135M, its own 49k vocabulary", "gemma3": "hybrid transplant into Gemma-3's 262k"}


def say(msg: str) -> None:
    print(f"[marginal_cost bench] {msg}", file=sys.stderr, flush=True)


def cpu(fn):
    t = time.process_time()
    out = fn()
    return out, round(time.process_time() - t, 2)


def one_model(model, tok, texts: dict, a) -> dict:
    canon, canon_s = cpu(lambda: evaluate_languages(model, tok, texts))
    say(f"  canonical, {sum(map(len, texts.values()))} sentences: {canon_s} CPU s")
    marg, marg_s = cpu(lambda: marginal_bits_per_byte(model, tok, texts, limit=a.marginal, beam=a.beam, delta=a.delta))
    say(f"  marginal, {a.marginal} texts in all: {marg_s} CPU s")
    return {
        "canonical_cpu_s": canon_s,
        "canonical_tokens": sum(s["tokens"] for s in canon.values()),
        "marginal_cpu_s": marg_s,
        "ratio": round(marg_s / canon_s, 3),
        "marginal": {lang: {k: v for k, v in b.items() if k not in ("bound", "context")} for lang, b in marg.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="smollm2,gemma3", help=f"some of {list(MODELS)}")
    ap.add_argument("--limit", type=int, default=100, help="canonical: FLORES devtest sentences per language")
    ap.add_argument("--marginal", type=int, default=DEFAULT_LIMIT, help="marginal: texts in all (split over languages)")
    ap.add_argument("--beam", type=int, default=DEFAULT_BEAM)
    ap.add_argument("--delta", type=float, default=DEFAULT_DELTA)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="results file (default bench/results/marginal_cost.json)")
    ap.add_argument("--quick", action="store_true", help="2 sentences per language, 5 marginal texts, SmolLM2 only")
    a = ap.parse_args()
    if a.quick:
        a.limit, a.marginal, a.models = 2, 5, "smollm2"
        set_quick()  # a temporary results folder unless --out; never bench/results
    out = results_path("marginal_cost", a.out)
    names = pick(a.models, MODELS, "--models")
    torch.set_num_threads(a.threads)
    flores = corpus.flores_dir()
    if flores is None:
        sys.exit("FLORES-200 not found (expected $TOKFORGE_DATA/flores200)")
    texts = corpus.read_flores(flores, "devtest", LANGS, a.limit)
    teacher, t_tok = models.load_causal_lm("smollm2-135m")
    res = {
        "setup": {
            "canonical": f"FLORES devtest, first {a.limit} sentences of {LANGS}, `evaluate_languages`",
            "marginal": f"the first of those sentences, {a.marginal} in all split over the languages, "
            f"beam {a.beam}, delta {a.delta} nats",
            "clock": "CPU seconds of this process (time.process_time)",
            "goal": "marginal CPU s / canonical CPU s <= 1 (issue 27)",
            "threads": a.threads,
            "machine": platform.platform(),
            "torch": torch.__version__,
        },
        "models": {},
    }
    for name in names:
        say(MODELS[name])
        model, tok = (teacher, t_tok) if name == "smollm2" else student(name, teacher, t_tok, flores)
        res["models"][name] = {"model": MODELS[name], **one_model(model, tok, texts, a)}
        res["written"] = time.strftime("%Y-%m-%d %H:%M:%S")
        write_json(out, res, ensure_ascii=False)
    say(f"wrote {out}")


if __name__ == "__main__":
    main()
