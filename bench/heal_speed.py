"""Heal throughput: training tokens per second of `heal_model`'s steps, by precision, at equal loss.

Issue 29's goal: 2x the tokens per second of the float32 baseline at equal loss, on both vocabularies
(SmolLM2-135M transplanted into Gemma-3's 262k vocabulary and into the 32k BPE; the heal bench's hybrid
students, cached). Each lever runs the same ``steps`` optimiser steps on the same windows (same seed,
``loss=lm``, batch 8 x 512 bytes, no calibration, no selection) in this process, one after the other,
interleaved ``repeat`` times; a step's time is the CPU time of this process (``--threads`` torch threads)
and the first step of each run is left out (warm-up). "Equal loss": the per-step training losses of a
lever against the baseline's on the same windows (largest relative difference, and the mean of the
last step's), reported as measured; the goal is met only when the loss difference is below
``LOSS_TOLERANCE``.

    python bench/heal_speed.py --targets gemma3,bpe32k --steps 6 --threads 1
    python bench/heal_speed.py --quick      # 32k BPE, 3 steps: a smoke test
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import apply_quick, pick, write_results  # noqa: E402
from heal import heal_texts, student  # noqa: E402

from tokforge import models  # noqa: E402
from tokforge.heal.api import HealRun, heal_model  # noqa: E402
from tokforge.heal.config import HealConfig  # noqa: E402

# name -> (HealConfig.precision, HealConfig.head_grad), what it is
LEVERS = {
    "fp32-all": (
        "fp32",
        "all",
        "the baseline: float32, the head's weight gradient for every row (heal before the lever)",
    ),
    "fp32": ("fp32", "kept", "float32, the head's weight gradient only for the rows the step keeps (the default)"),
    "bf16-all": ("bf16", "all", "frozen weights in bfloat16 with bfloat16 autocast, every row's head gradient"),
    "bf16": ("bf16", "kept", "bfloat16 frozen weights and autocast, and the head gradient of the kept rows only"),
}
GOAL = 2.0  # tokens per second over the baseline's
LOSS_TOLERANCE = 0.01  # largest relative difference of a step's loss from the baseline's on the same windows
QUICK = {"targets": "bpe32k", "steps": 3, "repeat": 1}


def one_run(s_model, s_tok, teacher, train: dict, lever: str, steps: int) -> dict:
    """Per step: CPU seconds, tokens and loss of ``steps`` steps of `heal_model` with ``lever``'s settings."""
    precision, head_grad, _ = LEVERS[lever]
    cpu, rows = [time.process_time()], []

    def on_step(rec):
        cpu.append(time.process_time())
        rows.append({"tokens": rec["tokens"], "loss": rec["loss"], "wall_s": rec["seconds"]})

    cfg = HealConfig(
        loss="lm",
        steps=steps,
        warmup=0,
        calibrate=0,
        precision=precision,
        head_grad=head_grad,
        seed=0,
        eval_limit=1,
        save_every=10_000,
    )
    heal_model(
        (copy.deepcopy(s_model), s_tok),
        train,
        teacher=teacher,
        config=cfg,
        eval_texts={"eng_Latn": ["A short line to evaluate."]},
        progress=False,
        device="cpu",
        on_step=on_step,
        run=HealRun(gap=False, marginal=0),
    )
    for r, a, b in zip(rows, cpu, cpu[1:]):
        r["cpu_s"] = round(b - a, 3)
    return {"steps": rows}


def summary(runs: list[dict]) -> dict:
    """Tokens per CPU second over the steps after the first of each run (the median over runs)."""
    speeds = [
        sum(r["tokens"] for r in run["steps"][1:]) / max(1e-9, sum(r["cpu_s"] for r in run["steps"][1:]))
        for run in runs
    ]
    return {
        "tokens_per_cpu_s": round(statistics.median(speeds), 2),
        "runs_tokens_per_cpu_s": [round(s, 2) for s in speeds],
    }


def loss_gap(base: dict, other: dict) -> dict:
    """How far ``other``'s per-step losses are from ``base``'s on the same windows (first runs of each)."""
    a = [r["loss"] for r in base["steps"]]
    b = [r["loss"] for r in other["steps"]]
    rel = [abs(x - y) / abs(x) for x, y in zip(a, b)]
    return {"max_rel_loss_diff": round(max(rel), 5), "last_loss_base": a[-1], "last_loss": b[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--targets", default="gemma3,bpe32k")
    ap.add_argument("--levers", default="fp32-all,fp32,bf16", help="first is the baseline: " + ", ".join(LEVERS))
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=2, help="interleaved runs of each lever (median)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help=f"a smoke test: {QUICK}")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    if a.quick:
        apply_quick(a, QUICK)
    levers = pick(a.levers, LEVERS, "lever")
    targets = pick(a.targets, ("gemma3", "bpe32k"), "target")
    torch.set_num_threads(a.threads)
    flores, train, _, _ = heal_texts(25, 1)
    teacher = models.load_causal_lm("smollm2-135m")
    res = {
        "settings": {
            "steps": a.steps,
            "repeat": a.repeat,
            "threads": a.threads,
            "clock": "CPU seconds of this process per step; the first step of each run left out",
            "loss": "lm, batch 8 x 512 bytes, warmup 0, no calibration, no selection, seed 0",
            "levers": {k: LEVERS[k][2] for k in levers},
            "goal": GOAL,
            "loss_tolerance": LOSS_TOLERANCE,
            "torch": torch.__version__,
        },
        "targets": {},
    }
    for target in targets:
        s_model, s_tok = student(target, *teacher, flores)
        runs: dict[str, list] = {k: [] for k in levers}
        for i in range(a.repeat):
            for lever in levers:
                print(f"[heal_speed] {target} {lever} run {i + 1}/{a.repeat}", file=sys.stderr, flush=True)
                runs[lever].append(one_run(s_model, s_tok, teacher, train, lever, a.steps))
        base = levers[0]
        row = {"vocab": len(s_tok.vocab), "levers": {}}
        for lever in levers:
            s = summary(runs[lever])
            s["speedup"] = round(s["tokens_per_cpu_s"] / summary(runs[base])["tokens_per_cpu_s"], 3)
            s.update(loss_gap(runs[base][0], runs[lever][0]))
            s["goal_met"] = lever != base and s["speedup"] >= GOAL and s["max_rel_loss_diff"] <= LOSS_TOLERANCE
            s["runs"] = runs[lever]
            row["levers"][lever] = s
        res["targets"][target] = row
        del s_model
    print(f"[heal_speed] wrote {write_results('heal_speed', res, a.out)}", file=sys.stderr)


if __name__ == "__main__":
    main()
