"""Benchmark: what a heal run trains, at equal time (bench/results/heal_train.json).

bench/heal.py trains the rows the transplant did not copy (``--train embeddings``, the default). Its gap
breakdown shows that most of English's remaining gap sits in new rows that the training text never
shows, which row training cannot reach. Two settings could: ``--train-copied`` (the copied rows may
give way to the new ones) and ``--train all`` (the decoder body too, at ``HealConfig.body_lr``: what
the body learns about reading and predicting new rows applies to every row). This bench runs each
for the same --minutes (``--clock cpu``), from the same start as bench/heal.py (its cached TokenAdapt
hybrid students, its training text, its calibration), with the ``lm`` loss at --lr (the rate
bench/heal.py's sweep chose on both targets), and scores every run on the FLORES dev held-out sentences
(the column that would choose) and on FLORES devtest (reported), as bits/byte over the original
model's. For English devtest it also splits the remaining gap by class (`tokforge.evaluate.gap`).

    python bench/heal_train.py --targets gemma3 --modes embeddings,all --minutes 2
    python bench/heal_train.py --quick     # a smoke test of the same code: QUICK unless given, a temporary folder
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import apply_quick, pick, write_results  # noqa: E402
from heal import LANGS, QUICK_SIZES, heal_texts, one_run, size_arguments, sizes, student  # noqa: E402

from tokforge import models  # noqa: E402
from tokforge.evaluate.bits import evaluate_languages, public  # noqa: E402
from tokforge.evaluate.gap import gap_breakdown  # noqa: E402
from tokforge.heal.config import HealConfig  # noqa: E402
from tokforge.heal.report import heal_comparison  # noqa: E402

# name -> the HealConfig fields it sets
MODES = {
    "embeddings": {"train": "embeddings"},
    "embeddings+copied": {"train": "embeddings", "train_copied": True},
    "all": {"train": "all"},
}


# --quick: every mode for a few CPU seconds on the 32k BPE, two sentences per language
QUICK = {**QUICK_SIZES, "targets": "bpe32k", "minutes": 0.05, "eval_limit": 2, "dev_heldout": 2, "threads": 1}


def say(msg: str) -> None:
    print(f"[heal_train bench] {msg}", file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default="gemma3")
    ap.add_argument("--modes", default=",".join(MODES), help=f"what trains, among {list(MODES)}")
    ap.add_argument("--minutes", type=float, default=10.0, help="budget of each run (--clock)")
    ap.add_argument("--clock", default="cpu", choices=["cpu", "wall"])
    ap.add_argument("--lr", type=float, default=5e-3, help="row learning rate (bench/heal.py's sweep chose 5e-3)")
    ap.add_argument("--eval-limit", type=int, default=25, help="first FLORES devtest sentences per language")
    ap.add_argument("--dev-heldout", type=int, default=25, help="as bench/heal.py: last dev sentences per language")
    ap.add_argument("--threads", type=int, default=2)
    size_arguments(ap)
    ap.add_argument("--out", default=None, help="results file (default bench/results/heal_train.json)")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK} unless given; a temporary results folder")
    a = ap.parse_args()
    if a.quick:
        apply_quick(a, QUICK)
    torch.set_num_threads(a.threads)
    modes = pick(a.modes, MODES, "--modes")
    flores, train, dev_eval, evals = heal_texts(a.dev_heldout, a.eval_limit)
    train_lines = [ln for v in train.values() for ln in v]
    teacher, t_tok = models.load_causal_lm("smollm2-135m")
    say("original model on dev held-out and devtest")
    t_dev, t_test = (public(evaluate_languages(teacher, t_tok, x)) for x in (dev_eval, evals))
    res = {
        "setup": {
            "model": "smollm2-135m",
            "start": "TokenAdapt hybrid transplant (bench/heal.py's cached students), then heal's calibration",
            "train": f"bench/heal.py's training text (FLORES dev {LANGS} without the last {a.dev_heldout} sentences "
            "of each + first 90% of tinyshakespeare)",
            "loss": "lm",
            "lr": a.lr,
            "body_lr": HealConfig().body_lr,
            "minutes": a.minutes,
            "sizes": sizes(a),
            "clock": a.clock,
            "modes": {m: MODES[m] for m in modes},
            "dev": f"FLORES dev, last {a.dev_heldout} sentences of {LANGS} (never trained on)",
            "devtest": f"FLORES devtest {LANGS}, first {a.eval_limit} sentences each",
            "threads": a.threads,
            "machine": platform.platform(),
            "torch": torch.__version__,
        },
        "targets": {},
    }
    for target in [x.strip() for x in a.targets.split(",") if x.strip()]:
        s_model, s_tok = student(target, teacher, t_tok, flores)
        say(f"{target}: the transplant before healing")
        dev0, test0 = (public(evaluate_languages(s_model, s_tok, x)) for x in (dev_eval, evals))
        eng = {"eng_Latn": evals["eng_Latn"]}
        runs = {}
        for mode in modes:
            say(f"{target}: --train {mode}, lm, {a.minutes} min")
            cfg = HealConfig(loss="lm", minutes=a.minutes, clock=a.clock, lr=a.lr, **sizes(a), **MODES[mode])
            t = time.perf_counter()
            base = {"teacher": t_test, "before": test0}
            rep, healed, _ = one_run(s_model, s_tok, (teacher, t_tok), cfg, train, evals, base)
            dev1 = public(evaluate_languages(healed, s_tok, dev_eval))
            gap = gap_breakdown((teacher, t_tok), (healed, s_tok), eng, train_texts=train_lines, on_mismatch="warn")
            runs[mode] = {
                "config": MODES[mode],
                "steps": rep["steps"],
                "wall_seconds": round(time.perf_counter() - t, 1),
                "trainable": rep["trainable"],
                "rows_shown": rep["train"].get("rows_shown"),
                "dev": heal_comparison(t_dev, dev0, dev1),
                "devtest": rep["evaluation"]["comparison"],
                "english_gap": gap["eng_Latn"],
            }
            say(
                f"  {rep['steps']} steps; dev mean {runs[mode]['dev']['mean']['ratio_after']}, English devtest "
                f"{runs[mode]['devtest']['eng_Latn']['ratio_after']}"
            )
            del healed
            gc.collect()
        res["targets"][target] = {"vocab_size": len(s_tok.vocab), "runs": runs}
        del s_model
        gc.collect()
    say(f"wrote {write_results('heal_train', res, a.out)}")


if __name__ == "__main__":
    main()
