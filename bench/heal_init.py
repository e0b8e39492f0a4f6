"""Benchmark: can the rows a heal run trains teach a start for the rows it never sees? (bench/results/heal_init.json)

bench/heal.py's gap breakdown puts about half of English's remaining gap on Gemma-3's vocabulary in new
rows that the training text never contains, so training never moves them. A learned initialiser would
set them from what training did to the rows it did see. This bench tests the simplest one: heal the
hybrid transplant (`lm`, --lr, --minutes of CPU time, rows only, as bench/heal_train.py), take the change
of every new row that training moved (healed row minus its calibrated start), and fit a ridge regression
from the start row (plus a constant) to that change. First on 80% of those rows, scored on the other 20%
(R^2: 1 is a perfect prediction, 0 is no better than the mean change), then on all of them, and applied
with a scale in --scales to every new row training never showed. Every model is scored on the FLORES dev
held-out sentences (would choose) and on devtest (reports), as bits/byte over the original model's.

    python bench/heal_init.py --minutes 2 --scales 1
    python bench/heal_init.py --quick      # a smoke test of the same code: QUICK unless given, a temporary folder
"""

from __future__ import annotations

import argparse
import copy
import gc
import platform
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import apply_quick, write_results  # noqa: E402
from heal import LANGS, QUICK_SIZES, heal_texts, one_run, size_arguments, sizes, student  # noqa: E402

from tokforge import models  # noqa: E402
from tokforge.evaluate.bits import evaluate_languages, public  # noqa: E402
from tokforge.heal.config import HealConfig  # noqa: E402
from tokforge.heal.report import heal_comparison  # noqa: E402

VOCABS = {"gemma3": "Gemma-3's vocabulary", "bpe32k": "the 32k BPE's vocabulary"}
# --quick: a few CPU seconds of healing on the 32k BPE, two sentences per language, one scale
QUICK = {
    **QUICK_SIZES,
    "target": "bpe32k",
    "minutes": 0.05,
    "scales": "1",
    "eval_limit": 2,
    "dev_heldout": 2,
    "threads": 1,
}


def say(msg: str) -> None:
    print(f"[heal_init bench] {msg}", file=sys.stderr, flush=True)


def ridge(x: torch.Tensor, y: torch.Tensor, lam: float) -> torch.Tensor:
    """Weights ``A`` of ``[x, 1] @ A ~ y`` minimising squared error + ``lam * |A|^2`` (float64)."""
    xa = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
    return torch.linalg.solve(xa.T @ xa + lam * torch.eye(xa.shape[1], dtype=x.dtype), xa.T @ y)


def predict(x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1) @ a


def r2(y: torch.Tensor, pred: torch.Tensor) -> float:
    """Share of the variance of ``y`` (around its own mean) that ``pred`` explains."""
    return 1.0 - float(((y - pred) ** 2).sum() / ((y - y.mean(0)) ** 2).sum())


def main() -> None:
    from tokforge.heal.calibrate import calibrate
    from tokforge.heal.data import windows_of
    from tokforge.surgery.plan import match_by_bytes

    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0, help="CPU minutes of the heal run")
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--ridge", type=float, default=0.1, help="ridge penalty")
    ap.add_argument("--scales", default="0.5,1", help="multiples of the predicted change applied to unseen rows")
    ap.add_argument("--eval-limit", type=int, default=25)
    ap.add_argument("--dev-heldout", type=int, default=25)
    ap.add_argument("--threads", type=int, default=2)
    size_arguments(ap)
    ap.add_argument("--target", default="gemma3", choices=["gemma3", "bpe32k"], help="the student's vocabulary")
    ap.add_argument("--out", default=None, help="results file (default bench/results/heal_init.json)")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK} unless given; a temporary results folder")
    a = ap.parse_args()
    if a.quick:
        apply_quick(a, QUICK)
    torch.set_num_threads(a.threads)
    scales = [float(x) for x in a.scales.split(",") if x.strip()]
    flores, train, dev_eval, evals = heal_texts(a.dev_heldout, a.eval_limit)
    teacher, t_tok = models.load_causal_lm("smollm2-135m")
    say("original model on dev held-out and devtest")
    t_dev, t_test = (public(evaluate_languages(teacher, t_tok, x)) for x in (dev_eval, evals))
    s_model, s_tok = student(a.target, teacher, t_tok, flores)
    dev0, test0 = (public(evaluate_languages(s_model, s_tok, x)) for x in (dev_eval, evals))

    def scored(m) -> dict:
        d, t = (public(evaluate_languages(m, s_tok, x)) for x in (dev_eval, evals))
        return {"dev": heal_comparison(t_dev, dev0, d), "devtest": heal_comparison(t_test, test0, t)}

    cfg = HealConfig(loss="lm", lr=a.lr, minutes=a.minutes, clock="cpu", **sizes(a))
    # the calibrated start, then heal from it without calibrating again (what heal(cfg) does, in two parts)
    start = copy.deepcopy(s_model)
    copied = match_by_bytes(t_tok.vocab, s_tok.vocab)[0]
    calibrate(start, s_tok, t_tok, windows_of(train, cfg, evals), cfg, copied=copied)
    say(f"heal: lm, {a.minutes} min")
    base = {"teacher": t_test, "before": test0}
    rep, healed, _ = one_run(start, s_tok, (teacher, t_tok), replace(cfg, calibrate=0), train, evals, base)
    w0 = start.get_input_embeddings().weight.detach().double()
    w1 = healed.get_input_embeddings().weight.detach().double()
    del start, s_model
    new = np.setdiff1d(np.arange(w0.shape[0]), copied)
    moved = new[(w1[new] != w0[new]).any(1).numpy()]
    unseen = torch.from_numpy(np.setdiff1d(new, moved))
    x, y = w0[moved], w1[moved] - w0[moved]
    perm = np.random.default_rng(0).permutation(len(moved))
    fit, held = perm[: len(moved) * 4 // 5], perm[len(moved) * 4 // 5 :]
    a_fit = ridge(x[fit], y[fit], a.ridge)
    fit_report = {
        "new_rows": int(len(new)),
        "moved_rows": int(len(moved)),
        "unseen_rows": int(len(unseen)),
        "ridge": a.ridge,
        "r2_fit_rows": round(r2(y[fit], predict(x[fit], a_fit)), 4),
        "r2_held_out_rows": round(r2(y[held], predict(x[held], a_fit)), 4),
        "r2_held_out_mean_change": round(r2(y[held], y[fit].mean(0).expand_as(y[held])), 4),
        "mean_change_norm": round(float(y.norm(dim=1).mean()), 5),
    }
    say(f"fit: {fit_report}")
    change = predict(w0[unseen], ridge(x, y, a.ridge)).float()
    runs = {"healed": {"scale": 0.0, "steps": rep["steps"], **scored(healed)}}
    for s in scales:
        m = copy.deepcopy(healed)
        with torch.no_grad():
            m.get_input_embeddings().weight[unseen] += s * change
        runs[f"healed + {s:g} x predicted change"] = {"scale": s, **scored(m)}
        del m
        gc.collect()
    for k, r in runs.items():
        say(
            f"{k}: dev mean {r['dev']['mean']['ratio_after']}, "
            f"devtest English {r['devtest']['eng_Latn']['ratio_after']}"
        )
    res = {
        "setup": {
            "model": "smollm2-135m",
            "start": f"TokenAdapt hybrid transplant into {VOCABS[a.target]} (bench/heal.py's cached student)",
            "heal": f"lm, lr {a.lr}, {a.minutes} CPU minutes, new rows only (calibrated first)",
            "train": "bench/heal.py's training text",
            "sizes": sizes(a),
            "fit": "ridge regression from the calibrated start row (+ a constant) to its change, on the new rows "
            "training moved; R^2 on a random 20% of them when fitted on the other 80%",
            "dev": f"FLORES dev, last {a.dev_heldout} sentences of {LANGS} (never trained on)",
            "devtest": f"FLORES devtest {LANGS}, first {a.eval_limit} sentences each",
            "threads": a.threads,
            "machine": platform.platform(),
            "torch": torch.__version__,
        },
        "fit": fit_report,
        "runs": runs,
    }
    say(f"wrote {write_results('heal_init', res, a.out)}")


if __name__ == "__main__":
    main()
