"""Benchmark: heal SmolLM2-135M after a transplant, per loss, at equal wall time (bench/results/heal.json).

Targets: Gemma-3's 262k SentencePiece vocabulary and the 32k byte-level BPE the transplant bench
builds (`common.bpe32k`), each starting from the TokenAdapt hybrid transplant. Training text:
FLORES-200 *dev* (eng, fra, deu, rus, zho) plus the first 90% of tinyshakespeare's lines;
evaluation: FLORES *devtest* of the same languages (first --eval-limit sentences), bits per byte
over the original model's (`tokforge.evaluate.bits`). Nothing is tuned on devtest.

Per target: first the row learning rate, chosen among --lrs by a short --sweep-loss run of
--sweep-minutes each, scored on the last --dev-heldout sentences of FLORES *dev* per language (held
out of the training text for the whole bench). The sweep runs use --sweep-schedule (default
``constant``: warm-up, then the full rate), because they stand for the first minutes of the goal
run, whose linear decay has barely begun by then; a short run that decays to zero within its own few
steps never takes a step at the full rate and so favours rates too high for the goal run. Then every
loss in --losses for --minutes each at that rate (the ablation, scored on devtest and on the dev
held-out sentences), then the loss whose ablation did best on the *dev* held-out sentences (lowest
mean ratio; devtest never chooses) for --main-minutes (the goal run). With --select-every K the goal
run scores itself on the same dev held-out sentences before its first step and every K steps, and
ends with the best-scoring rows (`tokforge.heal.select`: early stopping on dev; its
scoring time is not training time).
Last, `tokforge.evaluate.gap.gap_breakdown` splits the gap to the
original on devtest by what the tokenizations do, before healing and after the goal run.

Each target's entry in the results file is written after every run; targets may run as separate
processes at the same time (`--targets gemma3` and `--targets bpe32k`, one core each): every write
re-reads the file under a lock and replaces only its own target.

    python bench/heal.py                                   # both targets, the full protocol
    python bench/heal.py --targets gemma3 --losses alm --minutes 2 --main-minutes 0   # a quick look
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, bpe32k  # noqa: E402

from tokforge import artifacts, corpus, models  # noqa: E402
from tokforge.evaluate.bits import evaluate_languages, public  # noqa: E402
from tokforge.evaluate.gap import gap_breakdown  # noqa: E402
from tokforge.heal.config import SCHEDULES, HealConfig  # noqa: E402
from tokforge.heal.report import heal_comparison  # noqa: E402
from tokforge.io import atomic_write_text  # noqa: E402

LANGS = ["eng_Latn", "fra_Latn", "deu_Latn", "rus_Cyrl", "zho_Hans"]


def say(msg: str) -> None:
    print(f"[heal bench] {msg}", file=sys.stderr, flush=True)


def student(target: str, teacher, t_tok, flores: Path):
    """The hybrid transplant of SmolLM2 into the target vocabulary (built once, cached)."""
    from tokforge.loaders import load_tokenizer
    from tokforge.transplant.api import TransplantConfig, transplant_model

    d = artifacts.cache_dir() / "bench" / f"heal-student-{target}"
    if not (d / "config.json").is_file():
        new = "gemma3-270m" if target == "gemma3" else str(bpe32k(flores))
        say(f"transplanting SmolLM2 -> {target} (hybrid, once)")
        config = TransplantConfig(method="hybrid", evaluate=False)
        transplant_model((teacher, t_tok), new, config=config, progress=False, out=d, force=True)
    return models.load_causal_lm(d, tokenizer=load_tokenizer(d, name=f"smollm2-{target}"))


def main() -> None:

    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default="gemma3,bpe32k")
    ap.add_argument(
        "--losses",
        default="lm,alm,bytes,alm=1,lm=0.1",
        help="loss specs separated by ';' or ',' between names (alm=1,lm=0.1 is one combination)",
    )
    ap.add_argument("--minutes", type=float, default=10.0, help="wall time of each ablation run")
    ap.add_argument("--main-minutes", type=float, default=30.0, help="wall time of the goal run (0: skip)")
    ap.add_argument("--eval-limit", type=int, default=50)
    ap.add_argument(
        "--clock",
        default="cpu",
        choices=["cpu", "wall"],
        help="what the minutes count: CPU time per thread (fair on a shared machine) or wall time",
    )
    ap.add_argument("--lrs", default="5e-3,1e-3", help="row learning rates to choose from on FLORES dev")
    ap.add_argument("--sweep-loss", default="lm", help="loss of the learning-rate runs")
    ap.add_argument("--sweep-minutes", type=float, default=5.0, help="budget of each learning-rate run")
    ap.add_argument(
        "--sweep-schedule",
        default="constant",
        choices=list(SCHEDULES),
        help="schedule of the learning-rate runs (constant: they stand for the goal run's first minutes)",
    )
    ap.add_argument(
        "--select-every",
        type=int,
        default=0,
        help="goal run: keep the best rows on the dev held-out lines, scored every K steps",
    )
    ap.add_argument("--dev-heldout", type=int, default=25, help="last dev sentences per language kept for the sweep")
    ap.add_argument("--rows", default="seen", choices=["seen", "all"], help="HealConfig.rows")
    ap.add_argument("--warmup", type=int, default=HealConfig().warmup, help="HealConfig.warmup (steps)")
    ap.add_argument("--schedule", default="linear", choices=list(SCHEDULES), help="HealConfig.schedule")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=str(RESULTS / "heal.json"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    losses = split_losses(a.losses)
    flores, train, dev_eval, evals = heal_texts(a.dev_heldout, a.eval_limit)
    lines = train["shakespeare"]
    lrs = [float(x) for x in a.lrs.split(",")]
    train_lines = [ln for v in train.values() for ln in v]
    out = Path(a.out)
    setup = {
        "model": "smollm2-135m",
        "start": "TokenAdapt hybrid transplant",
        "train": f"FLORES dev {LANGS} without the last {a.dev_heldout} sentences of each + first 90% of "
        f"tinyshakespeare lines ({len(lines)})",
        "lr_choice": f"among {lrs} by {a.sweep_loss} for {a.sweep_minutes} min each ({a.sweep_schedule} schedule "
        f"after the warm-up), scored on the last {a.dev_heldout} FLORES dev sentences per language (never trained on)",
        "eval": f"FLORES devtest {LANGS}, first {a.eval_limit} sentences each",
        "goal_loss_choice": "the ablation loss with the lowest mean ratio on the dev held-out sentences",
        "goal_selection": (
            f"the goal run ends with the rows of its best step on the dev held-out sentences, scored before the "
            f"first step and every {a.select_every} steps (scoring time not counted in the budget)"
            if a.select_every
            else "none: the goal run ends with its last step's rows"
        ),
        "ablation_minutes": a.minutes,
        "main_minutes": a.main_minutes,
        "threads": a.threads,
        "clock": f"{a.clock}: minutes of "
        + (
            "this process's CPU time per torch thread (on an idle 2-core "
            "machine that is about wall time; fair when other work shares the machine)"
            if a.clock == "cpu"
            else "wall time"
        ),
        "rows": a.rows,
        "schedule": f"{a.schedule} after a {a.warmup}-step warm-up (linear: to zero at the end of each run's budget)",
        "machine": platform.platform(),
        "torch": torch.__version__,
    }
    teacher, t_tok = models.load_causal_lm("smollm2-135m")
    say("teacher evaluation (once: the same for every target)")
    t_eval = public(evaluate_languages(teacher, t_tok, evals))
    t_dev = public(evaluate_languages(teacher, t_tok, dev_eval))
    for target in a.targets.split(","):
        s_model, s_tok = student(target, teacher, t_tok, flores)
        say(f"{target}: baseline evaluation")
        base = {
            "teacher": t_eval,
            "before": public(evaluate_languages(s_model, s_tok, evals)),
        }
        row = {"setup": setup, "vocab_size": len(s_tok.vocab), "baseline": base, "runs": {}}
        row["lr_sweep"] = sweep = {}
        dev_base = {
            "teacher": t_dev,
            "before": public(evaluate_languages(s_model, s_tok, dev_eval)),
        }
        for lr in lrs:
            say(f"{target}: lr {lr} ({a.sweep_loss}, {a.sweep_minutes} min, {a.sweep_schedule}, scored on dev)")
            cfg = HealConfig(
                loss=a.sweep_loss,
                steps=None,
                minutes=a.sweep_minutes,
                clock=a.clock,
                lr=lr,
                rows=a.rows,
                schedule=a.sweep_schedule,
                warmup=a.warmup,
            )
            rep, _ = one_run(s_model, s_tok, teacher, t_tok, train, cfg, dev_eval, dev_base)
            sweep[str(lr)] = {
                "steps": rep["steps"],
                "dev": rep["evaluation"]["comparison"]["mean"],
                "calibration": rep.get("calibration"),
            }
            say(f"  dev mean ratio {sweep[str(lr)]['dev']['ratio_before']} -> {sweep[str(lr)]['dev']['ratio_after']}")
            save(out, target, row)
        lr = min(lrs, key=lambda x: sweep[str(x)]["dev"]["ratio_after"])
        row["lr"] = lr
        say(f"{target}: row lr {lr}")
        say(f"{target}: calibration only (no training step)")
        row["runs"]["calibration"] = calibration_only(s_model, s_tok, t_tok, train, evals, base)
        plan = [(loss, a.minutes, "ablation") for loss in losses]
        for loss, minutes, kind in plan + [(None, a.main_minutes, "main")]:
            if minutes <= 0:
                continue
            if loss is None:  # the goal run: the ablation loss best on the dev held-out lines, longer
                ablations = [r for r in row["runs"].values() if r["kind"] == "ablation"]
                loss = min(ablations, key=lambda r: r["dev"]["ratio_after"])["loss"]
            say(f"{target}: {loss} for {minutes} min ({kind})")
            cfg = HealConfig(
                loss=loss,
                steps=None,
                minutes=minutes,
                clock=a.clock,
                lr=lr,
                rows=a.rows,
                schedule=a.schedule,
                warmup=a.warmup,
                select_every=a.select_every if kind == "main" else 0,
            )
            t = time.perf_counter()
            select = dev_eval if cfg.select_every else None
            rep, healed = one_run(s_model, s_tok, teacher, t_tok, train, cfg, evals, base, select)
            cmp = rep["evaluation"]["comparison"]
            dev_after = public(evaluate_languages(healed, s_tok, dev_eval)) if kind == "ablation" else None
            row["runs"][f"{kind}:{loss}"] = {
                "loss": loss,
                "kind": kind,
                "minutes": minutes,
                "steps": rep["steps"],
                "train_seconds": rep["train"]["seconds"],
                "wall_seconds": round(time.perf_counter() - t, 1),
                "budget_clock": a.clock,
                "budget_clock_seconds": rep["train"]["last_step"].get("budget_clock_seconds"),
                "tokens_last_step": rep["train"]["last_step"].get("tokens"),
                "precision": rep["precision"],
                "comparison": cmp,
                "calibration": rep.get("calibration"),
                "config": rep["config"],
            }
            if "selection" in rep:
                row["runs"][f"{kind}:{loss}"]["selection"] = rep["selection"]
            if dev_after is not None:
                row["runs"][f"{kind}:{loss}"]["dev"] = heal_comparison(t_dev, dev_base["before"], dev_after)["mean"]
            save(out, target, row)
            if kind == "main":  # after the save: the goal run's numbers are kept whatever happens here
                say(f"{target}: where the gap is, before and after the goal run")
                kw = dict(train_texts=train_lines, on_mismatch="warn")
                row["gap"] = {
                    "before": gap_breakdown((teacher, t_tok), (s_model, s_tok), evals, **kw),
                    "after_goal_run": gap_breakdown((teacher, t_tok), (healed, s_tok), evals, **kw),
                }
                save(out, target, row)
            say(f"  mean ratio {cmp['mean']['ratio_before']} -> {cmp['mean']['ratio_after']} in {rep['steps']} steps")
            del healed
            gc.collect()
        del s_model
        gc.collect()
    say(f"wrote {out}")


def heal_texts(dev_heldout: int, eval_limit: int) -> tuple[Path, dict, dict, dict]:
    """(FLORES folder, training lines, dev held-out lines, devtest lines) of the heal benches
    (`training_texts`, then the first ``eval_limit`` FLORES devtest sentences of LANGS); exits without the data."""
    flores, shakes = corpus.flores_dir(), corpus.tinyshakespeare_path()
    if flores is None or shakes is None:
        sys.exit("FLORES-200 and tinyshakespeare are needed ($TOKFORGE_DATA)")
    train, dev_eval = training_texts(flores, shakes, dev_heldout)
    return flores, train, dev_eval, corpus.read_flores(flores, "devtest", LANGS, eval_limit)


def training_texts(flores: Path, shakes: Path, dev_heldout: int = 25) -> tuple[dict, dict]:
    """(training lines, dev held-out lines) per source: FLORES dev of LANGS without the last ``dev_heldout``
    sentences of each, plus the first 90% of tinyshakespeare's non-empty lines; and those last sentences."""
    lines = [ln for ln in corpus.read_text(shakes).split("\n") if ln.strip()]
    dev = corpus.read_flores(flores, "dev", LANGS)
    train = {k: v[:-dev_heldout] for k, v in dev.items()}
    train["shakespeare"] = lines[: int(0.9 * len(lines))]
    return train, {k: v[-dev_heldout:] for k, v in dev.items()}


def save(out: Path, target: str, row: dict) -> None:
    """Replace ``target``'s entry in the results file (re-read under a lock: other targets' processes
    may write the same file)."""
    import fcntl

    with open(str(out) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        res = json.loads(out.read_text()) if out.is_file() else {}
        res.pop("setup", None)  # each target records its own setup
        res.setdefault("targets", {})[target] = row
        res["written"] = time.strftime("%Y-%m-%d %H:%M:%S")
        atomic_write_text(out, json.dumps(res, indent=2) + "\n")


def calibration_only(s_model, s_tok, t_tok, train, evals, baseline) -> dict:
    """The first stage of every run alone: the shared shift of the rows not copied, then evaluation."""
    from tokforge.heal.calibrate import calibrate
    from tokforge.heal.data import windows_of

    cfg = HealConfig()
    m = copy.deepcopy(s_model)
    t = time.perf_counter()
    cal = calibrate(m, s_tok, t_tok, windows_of(train, cfg, evals), cfg)
    after = public(evaluate_languages(m, s_tok, evals))
    del m
    gc.collect()
    return {
        "loss": "none",
        "kind": "calibration",
        "minutes": 0,
        "steps": 0,
        "wall_seconds": round(time.perf_counter() - t, 1),
        "comparison": heal_comparison(baseline["teacher"], baseline["before"], after),
        "calibration": cal,
    }


def one_run(s_model, s_tok, teacher, t_tok, train, cfg, evals, baseline, select=None) -> dict:
    """Heal a copy of the student with ``cfg`` (choosing its step on ``select``): (report, the healed copy)."""
    from tokforge.heal.api import HealRun, heal_model

    meta = {"select_source": "FLORES dev held-out sentences"} if select else None
    res = heal_model(
        (copy.deepcopy(s_model), s_tok),
        train,
        teacher=(teacher, t_tok),
        config=cfg,
        eval_texts=evals,
        select_texts=select,
        progress=False,
        # the bench breaks the goal run's gap down itself, against the whole training text
        run=HealRun(baseline=baseline, gap=False, meta=meta),
    )
    healed, rep = res.model, res.report
    gc.collect()
    return rep, healed


def split_losses(spec: str) -> list[str]:
    """``"lm,alm,bytes,alm=1,lm=0.1"`` -> ``["lm", "alm", "bytes", "alm=1,lm=0.1"]`` (a weighted part joins
    the weighted parts after it).

    >>> split_losses("lm,alm,alm=1,lm=0.1")
    ['lm', 'alm', 'alm=1,lm=0.1']
    """
    if ";" in spec:
        return [s.strip() for s in spec.split(";") if s.strip()]
    out: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if "=" in part and out and "=" in out[-1]:
            out[-1] += "," + part
        else:
            out.append(part)
    return out


if __name__ == "__main__":
    main()
