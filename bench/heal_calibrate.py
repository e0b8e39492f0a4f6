"""Benchmark: the calibration stage of `tokforge heal` alone, one shared shift against one shift per
group of rows by piece count (bench/results/heal_calibrate.json).

Every heal run starts by shifting the rows a transplant could not copy by bytes
(`tokforge.heal.calibrate`): ``--calibrate-by shared`` fits one shift for all of them,
``--calibrate-by pieces`` one per group of rows by how many SmolLM2 tokens spell the row's bytes
(<=2, 3, 4, 5-6, 7+). This bench fits each on the first N training windows of bench/heal.py (the same
training text) for N in --windows, and scores the result without any training step on the FLORES dev
held-out sentences (what heal.py chooses on) and on FLORES devtest (what heal.py reports): bits/byte
over the original model's (`tokforge.evaluate.bits`). The dev column chooses; devtest reports.

Students: the TokenAdapt hybrid transplants of SmolLM2-135M that bench/heal.py starts from (cached).

    python bench/heal_calibrate.py --targets gemma3 --windows 16
    python bench/heal_calibrate.py --quick     # a smoke test of the same code: QUICK unless given, a temporary folder
"""

from __future__ import annotations

import argparse
import copy
import gc
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import apply_quick, pick, write_results  # noqa: E402
from heal import LANGS, heal_texts, student  # noqa: E402

from tokforge import models  # noqa: E402
from tokforge.evaluate.bits import evaluate_languages, public  # noqa: E402
from tokforge.heal.config import CALIBRATE_BY, HealConfig  # noqa: E402
from tokforge.heal.report import heal_comparison  # noqa: E402

# --quick: both modes fitted on 2 windows of the 32k BPE student, two sentences per language
QUICK = {"targets": "bpe32k", "windows": "2", "eval_limit": 2, "dev_heldout": 2}


def say(msg: str) -> None:
    print(f"[heal_calibrate bench] {msg}", file=sys.stderr, flush=True)


def main() -> None:
    from tokforge.heal.calibrate import calibrate
    from tokforge.heal.data import windows_of

    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default="gemma3,bpe32k")
    ap.add_argument("--modes", default=",".join(CALIBRATE_BY), help=f"calibrate_by values among {CALIBRATE_BY}")
    ap.add_argument("--windows", default="16,64", help="training windows each shift is fitted on")
    ap.add_argument("--eval-limit", type=int, default=25, help="first FLORES devtest sentences per language")
    ap.add_argument("--dev-heldout", type=int, default=25, help="as bench/heal.py: last dev sentences per language")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="results file (default bench/results/heal_calibrate.json)")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK} unless given; a temporary results folder")
    a = ap.parse_args()
    if a.quick:
        apply_quick(a, QUICK)
    torch.set_num_threads(a.threads)
    modes = pick(a.modes, CALIBRATE_BY, "--modes")
    sizes = [int(x) for x in a.windows.split(",") if x.strip()]
    flores, train, dev_eval, evals = heal_texts(a.dev_heldout, a.eval_limit)
    teacher, t_tok = models.load_causal_lm("smollm2-135m")
    say("original model on dev held-out and devtest")
    t_dev, t_test = (public(evaluate_languages(teacher, t_tok, x)) for x in (dev_eval, evals))
    res = {
        "setup": {
            "model": "smollm2-135m",
            "start": "TokenAdapt hybrid transplant (bench/heal.py's cached students)",
            "fit": "first N training windows of bench/heal.py (FLORES dev without its last "
            f"{a.dev_heldout} sentences per language + first 90% of tinyshakespeare), N in {sizes}",
            "dev": f"FLORES dev, last {a.dev_heldout} sentences of {LANGS} (never in the fit): chooses",
            "devtest": f"FLORES devtest {LANGS}, first {a.eval_limit} sentences each: reports",
            "threads": a.threads,
            "machine": platform.platform(),
            "torch": torch.__version__,
        },
        "targets": {},
    }
    for target in [x.strip() for x in a.targets.split(",") if x.strip()]:
        s_model, s_tok = student(target, teacher, t_tok, flores)
        say(f"{target}: the transplant, before any shift")
        dev0, test0 = (public(evaluate_languages(s_model, s_tok, x)) for x in (dev_eval, evals))
        runs = {}
        for n in sizes:
            for mode in modes:
                say(f"{target}: {mode}, {n} windows")
                cfg = HealConfig(calibrate=n, calibrate_by=mode)
                m = copy.deepcopy(s_model)
                t = time.perf_counter()
                cal = calibrate(m, s_tok, t_tok, windows_of(train, cfg, evals), cfg)
                fit_s = round(time.perf_counter() - t, 1)
                dev1, test1 = (public(evaluate_languages(m, s_tok, x)) for x in (dev_eval, evals))
                runs[f"{mode}:{n}"] = {
                    "calibrate_by": mode,
                    "windows": n,
                    "fit_seconds": fit_s,
                    "calibration": cal,
                    "dev": heal_comparison(t_dev, dev0, dev1),
                    "devtest": heal_comparison(t_test, test0, test1),
                }
                say(f"  dev mean {runs[f'{mode}:{n}']['dev']['mean']['ratio_after']}")
                del m
                gc.collect()
        best = min(runs, key=lambda k: runs[k]["dev"]["mean"]["ratio_after"])
        res["targets"][target] = {"vocab_size": len(s_tok.vocab), "runs": runs, "best_on_dev": best}
        del s_model
        gc.collect()
    say(f"wrote {write_results('heal_calibrate', res, a.out)}")


if __name__ == "__main__":
    main()
