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

The calibrator lever (issue 27; --calibrator-minutes, 0 skips it): from the best zero-shot start (the
transplant among --starts with the lowest mean ratio on the dev held-out sentences), the goal loss at the
chosen row rate for --calibrator-minutes, once without and once with ``HealConfig(calibrator=True)`` (its
rate chosen among --calibrator-lrs on dev when there are several): equal time, the same steps budget clock.

The yardstick: --eval-limit (100) devtest sentences of each of the five languages; every ratio on devtest
gets a 95% paired bootstrap interval over sentences (`stats.py`), and the per-sentence bits and bytes of
every evaluation are kept in the results file (``sentences``), so any two rows can be compared later
(``calibrator_effect``: with minus without, paired). The bench evaluates every model itself (one pass,
per sentence): `heal_model` only scores a one-sentence probe per language.

Each target's entry in the results file is written after every run; targets may run as separate
processes at the same time (`--targets gemma3` and `--targets bpe32k`, one core each): every write
re-reads the file under a lock and replaces only its own target.

    python bench/heal.py                                   # both targets, the full protocol
    python bench/heal.py --targets gemma3 --losses alm --minutes 2 --main-minutes 0   # a quick look
    python bench/heal.py --quick     # a smoke test of the same code path: tiny budgets, 3 sentences
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import gc
import json
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import apply_quick, bpe32k, cache_lock, part_provenance, results_path, write_json  # noqa: E402
from stats import bootstrap, bootstrap_diff, evaluate_sentences, interval_note, marginal_argument, marginal_ratios  # noqa: E402

from tokforge import artifacts, corpus, models  # noqa: E402
from tokforge.evaluate.bits import evaluate_languages, public  # noqa: E402
from tokforge.evaluate.gap import gap_breakdown  # noqa: E402
from tokforge.evaluate.marginal import marginal_bits_per_byte  # noqa: E402
from tokforge.heal.config import SCHEDULES, HealConfig  # noqa: E402
from tokforge.heal.report import heal_comparison  # noqa: E402

LANGS = ["eng_Latn", "fra_Latn", "deu_Latn", "rus_Cyrl", "zho_Hans"]
# the zero-shot starts the calibrator rows choose among on dev (methods that need a donor: Gemma-3 only)
STARTS = "hybrid,omp,blend:mode=average,blend:mode=confidence"
# --quick's HealConfig sizes (shared with the other heal benches): short windows, small steps, a short calibration
QUICK_SIZES = {"batch_size": 2, "seq_bytes": 128, "calibrate": 2}
QUICK = {
    **QUICK_SIZES,
    "targets": "bpe32k",
    "losses": "lm",
    "minutes": 0.05,
    "main_minutes": 0.05,
    "eval_limit": 3,
    "dev_heldout": 3,
    "lrs": "5e-3,1e-3",
    "sweep_minutes": 0.05,
    "calibrator_minutes": 0.05,
    "starts": "hybrid",
    "resamples": 200,
    "marginal": 0,  # the marginal rows cost more than the rest here (transplant's and heal_marginal's --quick run it)
    "threads": 1,  # two torch threads on a machine whose other core is busy run slower than one
}


def say(msg: str) -> None:
    print(f"[heal bench] {msg}", file=sys.stderr, flush=True)


def student(target: str, teacher, t_tok, flores: Path, start: str = "hybrid"):
    """The ``start`` transplant of SmolLM2 into the target vocabulary (built once, cached): a method name,
    with options as ``name:k=v;k=v``; OMP-based starts use Gemma-3 as the donor (Gemma-3 target only)."""
    from tokforge.loaders import load_tokenizer
    from tokforge.transplant.api import TransplantConfig, transplant_model

    name, _, raw = start.partition(":")
    opts = dict(kv.split("=", 1) for kv in raw.split(";") if kv) if raw else None
    tag = "" if start == "hybrid" else "-" + start.replace(":", "-").replace(";", "-").replace("=", "-")
    d = artifacts.cache_dir() / "bench" / f"heal-student-{target}{tag}"
    with cache_lock(d.name):  # benches running at once build it once and never read it half-written
        if not (d / "config.json").is_file():
            new = "gemma3-270m" if target == "gemma3" else str(bpe32k(flores))
            say(f"transplanting SmolLM2 -> {target} ({start}, once)")
            config = TransplantConfig(method=name, options=opts, evaluate=False)
            donor = "gemma3-270m" if needs_donor(start) else None
            transplant_model((teacher, t_tok), new, config=config, donor=donor, progress=False, out=d, force=True)
    return models.load_causal_lm(d, tokenizer=load_tokenizer(d, name=f"smollm2-{target}{tag}"))


def size_arguments(ap: argparse.ArgumentParser) -> None:
    """--batch-size, --seq-bytes and --calibrate: HealConfig's sizes, its defaults unless given (--quick:
    QUICK_SIZES)."""
    d = HealConfig()
    ap.add_argument("--batch-size", type=int, default=d.batch_size, help="HealConfig.batch_size (windows per step)")
    ap.add_argument("--seq-bytes", type=int, default=d.seq_bytes, help="HealConfig.seq_bytes (bytes per window)")
    ap.add_argument("--calibrate", type=int, default=d.calibrate, help="HealConfig.calibrate (calibration windows)")


def sizes(a: argparse.Namespace) -> dict:
    """The HealConfig fields of `size_arguments`."""
    return {"batch_size": a.batch_size, "seq_bytes": a.seq_bytes, "calibrate": a.calibrate}


def needs_donor(start: str) -> bool:
    """Whether the start's method needs a donor model (a blend: whether one of its methods does)."""
    from tokforge.transplant.registry import get, parse_options

    name, _, raw = start.partition(":")
    opts = dict(kv.split("=", 1) for kv in raw.split(";") if kv) if raw else None
    return get(name).needs_donor or bool(getattr(parse_options(name, opts), "needs_donor", False))


def check_levers(a) -> None:
    """Exit before any work when a selected lever is not in the library yet (naming what is missing)."""
    from tokforge.transplant.registry import METHODS, parse_options

    fields = {f.name for f in dataclasses.fields(HealConfig)}
    if a.calibrator_minutes > 0 and not {"calibrator", "calibrator_lr"} <= fields:
        sys.exit(
            "--calibrator-minutes: tokforge.heal.config.HealConfig has no 'calibrator'/'calibrator_lr' fields yet "
            "(the shared calibrator of issue 27); pass --calibrator-minutes 0 to skip those rows"
        )
    for start in a.starts.split(","):
        name, _, raw = start.partition(":")
        if name not in METHODS:
            sys.exit(
                f"--starts: method {name!r} is not in tokforge.transplant.registry.METHODS yet "
                f"(known: {', '.join(sorted(METHODS))}); drop {start!r} from --starts"
            )
        try:
            parse_options(name, dict(kv.split("=", 1) for kv in raw.split(";") if kv) if raw else None)
        except Exception as e:  # noqa: BLE001  (a typed-option error: say which start it came from)
            sys.exit(f"--starts: {start!r}: {e}")


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default="gemma3,bpe32k")
    ap.add_argument(
        "--losses",
        default="lm,alm,bytes,alm=1,lm=0.1",
        help="loss specs separated by ';' or ',' between names (alm=1,lm=0.1 is one combination)",
    )
    ap.add_argument("--minutes", type=float, default=10.0, help="wall time of each ablation run")
    ap.add_argument("--main-minutes", type=float, default=30.0, help="wall time of the goal run (0: skip)")
    ap.add_argument("--eval-limit", type=int, default=100, help="FLORES devtest sentences per language")
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
    ap.add_argument(
        "--calibrator-minutes",
        type=float,
        default=30.0,
        help="budget of each calibrator row (without, then with HealConfig(calibrator=True)); 0: skip them",
    )
    ap.add_argument(
        "--calibrator-lrs", default="1e-3", help="calibrator learning rates (several: chosen on FLORES dev)"
    )
    ap.add_argument(
        "--lever-loss", default=None, help="loss of the calibrator rows (default: the goal run's loss, else lm)"
    )
    ap.add_argument(
        "--starts",
        default=STARTS,
        help="zero-shot starts the calibrator rows choose among on FLORES dev (name:k=v;k=v; a start that needs "
        "a donor is tried on Gemma-3's vocabulary only)",
    )
    ap.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples of the intervals")
    marginal_argument(ap, "devtest texts")
    ap.add_argument(
        "--no-calibration-row",
        dest="calibration_row",
        action="store_false",
        help="skip the calibration-only row (every run still starts with the calibration)",
    )
    ap.add_argument("--threads", type=int, default=2)
    size_arguments(ap)
    ap.add_argument("--out", default=None, help="results file (default bench/results/heal.json; --quick: a temp one)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke test of the same code path: {QUICK} unless given, written outside bench/results",
    )
    a = ap.parse_args()
    if a.quick:
        apply_quick(a, QUICK)  # a temporary results folder unless --out; never bench/results
    a.out = results_path("heal", a.out)
    return a


def main() -> None:
    a = parse_args()
    check_levers(a)
    torch.set_num_threads(a.threads)
    losses = split_losses(a.losses)
    flores, train, dev_eval, evals = heal_texts(a.dev_heldout, a.eval_limit)
    lines = train["shakespeare"]
    lrs = [float(x) for x in a.lrs.split(",")]
    train_lines = [ln for v in train.values() for ln in v]
    out = a.out
    setup = {
        "model": "smollm2-135m",
        "start": "TokenAdapt hybrid transplant",
        "train": f"FLORES dev {LANGS} without the last {a.dev_heldout} sentences of each + first 90% of "
        f"tinyshakespeare lines ({len(lines)})",
        "lr_choice": f"among {lrs} by {a.sweep_loss} for {a.sweep_minutes} min each ({a.sweep_schedule} schedule "
        f"after the warm-up), scored on the last {a.dev_heldout} FLORES dev sentences per language (never trained on)",
        "eval": f"FLORES devtest {LANGS}, first {a.eval_limit} sentences each",
        "interval": interval_note(a.resamples),
        "goal_loss_choice": "the ablation loss with the lowest mean ratio on the dev held-out sentences",
        "goal_selection": (
            f"the goal run ends with the rows of its best step on the dev held-out sentences, scored before the "
            f"first step and every {a.select_every} steps (scoring time not counted in the budget)"
            if a.select_every
            else "none: the goal run ends with its last step's rows"
        ),
        "calibrator_rows": (
            f"from the start among {a.starts.split(',')} with the lowest mean ratio on the dev held-out sentences: "
            f"the goal loss for {a.calibrator_minutes} min without, then with the shared calibrator "
            f"(rate among {a.calibrator_lrs.split(',')}, chosen on dev)"
            if a.calibrator_minutes > 0
            else "not run"
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
        "sizes": sizes(a),
        "schedule": f"{a.schedule} after a {a.warmup}-step warm-up (linear: to zero at the end of each run's budget)",
        "machine": platform.platform(),
        "torch": torch.__version__,
    }
    teacher, t_tok = models.load_causal_lm("smollm2-135m")
    say("teacher evaluation (once: the same for every target)")
    t_eval, t_sents = evaluate_sentences(teacher, t_tok, evals)
    t_eval = public(t_eval)
    t_dev, t_dev_sents = evaluate_sentences(teacher, t_tok, dev_eval)
    t_dev = public(t_dev)
    texts = Texts(train, dev_eval, evals, train_lines)
    t_marg = marginal_bits_per_byte(teacher, t_tok, evals, limit=a.marginal) if a.marginal else None
    for target in a.targets.split(","):
        s_model, s_tok = student(target, teacher, t_tok, flores)
        say(f"{target}: baseline evaluation")
        before, b_sents = evaluate_sentences(s_model, s_tok, evals)
        base = {"teacher": t_eval, "before": public(before)}
        row = {"setup": setup, "vocab_size": len(s_tok.vocab), "baseline": base, "runs": {}}
        row["sentences"] = {"teacher": t_sents, "before": b_sents, "teacher_dev": t_dev_sents}
        row["baseline_interval"] = bootstrap(t_sents, b_sents, n=a.resamples)
        if t_marg:  # the teacher's and the start's marginal bits/byte on the first devtest texts
            row["marginal"] = {
                "teacher": t_marg,
                "before": marginal_bits_per_byte(s_model, s_tok, evals, limit=a.marginal),
            }
            row["marginal_ratio_before"] = marginal_ratios(t_marg, row["marginal"]["before"])
        dev_base = {"teacher": t_dev, "before": public(evaluate_languages(s_model, s_tok, dev_eval))}
        job = Job(a, out, target, row, (teacher, t_tok), texts)
        lr = row["lr"] = sweep_lr(job, s_model, s_tok, lrs, dev_base)
        say(f"{target}: row lr {lr}")
        if a.calibration_row:
            say(f"{target}: calibration only (no training step)")
            row["runs"]["calibration"] = calibration_only(s_model, s_tok, t_tok, train, evals, base, job)
        plan = [(loss, a.minutes, "ablation") for loss in losses]
        for loss, minutes, kind in plan + [(None, a.main_minutes, "main")]:
            if minutes <= 0:
                continue
            if loss is None:  # the goal run: the ablation loss best on the dev held-out lines, longer
                ablations = [r for r in row["runs"].values() if r["kind"] == "ablation"]
                loss = min(ablations, key=lambda r: r["dev"]["ratio_after"])["loss"]
            heal_row(job, (s_model, s_tok), base, b_sents, loss, minutes, kind, lr, t_dev=t_dev, dev_base=dev_base)
        if a.calibrator_minutes > 0:
            goal = [r["loss"] for r in row["runs"].values() if r["kind"] == "main"]
            loss = a.lever_loss or (goal[0] if goal else "lm")
            calibrator_rows(job, s_model, s_tok, base, b_sents, loss, lr, flores)
        del s_model
        gc.collect()
    say(f"wrote {out}")


@dataclasses.dataclass
class Texts:
    train: dict
    dev: dict
    evals: dict
    train_lines: list


@dataclasses.dataclass
class Job:
    """One target's run of the bench: arguments, results file, its row, the teacher, the texts."""

    a: argparse.Namespace
    out: Path
    target: str
    row: dict
    teacher: tuple
    texts: Texts


def config(job: Job, loss: str, minutes: float, lr: float, schedule: str, **kw) -> HealConfig:
    a = job.a
    return HealConfig(
        loss=loss,
        steps=None,
        minutes=minutes,
        clock=a.clock,
        lr=lr,
        rows=a.rows,
        schedule=schedule,
        warmup=a.warmup,
        **sizes(a),
        **kw,
    )


def sweep_lr(job: Job, s_model, s_tok, lrs: list[float], dev_base: dict, extra=None) -> float:
    """The rate among ``lrs`` whose short run scores best on the dev held-out lines (one rate: no run).
    ``extra``: (HealConfig field of the rate, fixed config fields) to sweep another rate than the rows'."""
    a, row = job.a, job.row
    if len(lrs) == 1:
        return lrs[0]
    field, fixed = extra or ("lr", {})
    key = "lr_sweep" if field == "lr" else f"{field}_sweep"
    sweep = row.setdefault(key, {})
    for lr in lrs:
        say(f"{job.target}: {field} {lr} ({a.sweep_loss}, {a.sweep_minutes} min, {a.sweep_schedule}, scored on dev)")
        kw = {**fixed, field: lr}
        cfg = config(job, a.sweep_loss, a.sweep_minutes, kw.pop("lr", row.get("lr")), a.sweep_schedule, **kw)
        rep, healed, _ = one_run(s_model, s_tok, job.teacher, cfg, job.texts.train, job.texts.dev, dev_base)
        del healed
        sweep[str(lr)] = {
            "steps": rep["steps"],
            "dev": rep["evaluation"]["comparison"]["mean"],
            "calibration": rep.get("calibration"),
        }
        say(f"  dev mean ratio {sweep[str(lr)]['dev']['ratio_before']} -> {sweep[str(lr)]['dev']['ratio_after']}")
        save(job.out, job.target, row)
    return min(lrs, key=lambda x: sweep[str(x)]["dev"]["ratio_after"])


def heal_row(job: Job, start, base, b_sents, loss, minutes, kind, lr, *, t_dev=None, dev_base=None, key=None, **kw):
    """One healing run scored on devtest (per sentence, with intervals), written into the target's row."""
    a, row, (s_model, s_tok) = job.a, job.row, start
    teacher, t_tok = job.teacher
    key = key or f"{kind}:{loss}"
    say(f"{job.target}: {key} for {minutes} min")
    cfg = config(job, loss, minutes, lr, a.schedule, select_every=a.select_every if kind != "ablation" else 0, **kw)
    t = time.perf_counter()
    select = job.texts.dev if cfg.select_every else None
    rep, healed, sents = one_run(s_model, s_tok, job.teacher, cfg, job.texts.train, job.texts.evals, base, select)
    cmp = rep["evaluation"]["comparison"]
    r = row["runs"][key] = {
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
        "interval": {
            "ratio_before": bootstrap(row["sentences"]["teacher"], b_sents, n=a.resamples),
            "ratio_after": bootstrap(row["sentences"]["teacher"], sents, n=a.resamples),
        },
        "calibration": rep.get("calibration"),
        "config": rep["config"],
        "sentences": sents,
    }
    if "selection" in rep:
        r["selection"] = rep["selection"]
    if a.marginal and kind != "ablation":
        r["marginal"] = marginal_bits_per_byte(healed, s_tok, job.texts.evals, limit=a.marginal)
        r["marginal_ratio"] = marginal_ratios(row["marginal"]["teacher"], r["marginal"])
    if kind == "ablation":
        dev_after, dev_sents = evaluate_sentences(healed, s_tok, job.texts.dev)
        r["dev"] = heal_comparison(t_dev, dev_base["before"], public(dev_after))["mean"]
        r["dev_interval"] = bootstrap(row["sentences"]["teacher_dev"], dev_sents, n=a.resamples)["mean"]
    save(job.out, job.target, row)
    if kind == "main":  # after the save: the goal run's numbers are kept whatever happens here
        say(f"{job.target}: where the gap is, before and after the goal run")
        gkw = dict(train_texts=job.texts.train_lines, on_mismatch="warn")
        row["gap"] = {
            "before": gap_breakdown((teacher, t_tok), (s_model, s_tok), job.texts.evals, **gkw),
            "after_goal_run": gap_breakdown((teacher, t_tok), (healed, s_tok), job.texts.evals, **gkw),
        }
        save(job.out, job.target, row)
    m = cmp["mean"]
    say(f"  mean ratio {m['ratio_before']} -> {m['ratio_after']} {r['interval']['ratio_after']['mean']}")
    del healed
    gc.collect()
    return r


def calibrator_rows(job: Job, hybrid_model, s_tok, base, b_sents, loss: str, lr: float, flores: Path) -> None:
    """The calibrator lever: from the best zero-shot start on dev, ``loss`` without and with the shared
    calibrator at equal time; ``calibrator_effect`` is the paired interval of (with - without)."""
    a, row, teacher = job.a, job.row, job.teacher
    dev_t = public(evaluate_languages(*teacher, job.texts.dev))
    starts = {}
    for start in a.starts.split(","):
        if needs_donor(start) and job.target != "gemma3":
            continue
        m = hybrid_model if start == "hybrid" else student(job.target, *teacher, flores, start)[0]
        dev = public(evaluate_languages(m, s_tok, job.texts.dev))
        starts[start] = heal_comparison(dev_t, dev, dev)["mean"]["ratio_before"]
        say(f"{job.target}: start {start}: dev mean ratio {starts[start]}")
        del m
        gc.collect()
    best = min(starts, key=starts.get)
    row["calibrator_start"] = {"chosen": best, "dev_mean_ratio": starts}
    save(job.out, job.target, row)
    model = hybrid_model if best == "hybrid" else student(job.target, *teacher, flores, best)[0]
    if best != "hybrid":  # the chosen start's own devtest baseline
        before, b_sents = evaluate_sentences(model, s_tok, job.texts.evals)
        base = {"teacher": base["teacher"], "before": public(before)}
    dev_base = {"teacher": dev_t, "before": public(evaluate_languages(model, s_tok, job.texts.dev))}
    c_lrs = [float(x) for x in a.calibrator_lrs.split(",")]
    c_lr = sweep_lr(job, model, s_tok, c_lrs, dev_base, ("calibrator_lr", {"calibrator": True}))
    row["calibrator_lr"] = c_lr
    rows = {}
    for on in (False, True):
        kw = {"calibrator": True, "calibrator_lr": c_lr} if on else {}
        key = f"calibrator:{'with' if on else 'without'}"
        rows[on] = heal_row(job, (model, s_tok), base, b_sents, loss, a.calibrator_minutes, "lever", lr, key=key, **kw)
        rows[on]["start"] = best
    row["calibrator_effect"] = {
        "with_minus_without": bootstrap_diff(
            row["sentences"]["teacher"], rows[True]["sentences"], rows[False]["sentences"], n=a.resamples
        ),
        "note": "ratio after healing with the calibrator minus without, same sentences resampled (paired); "
        "an interval wholly below 0 means the calibrator wins by more than the sentence noise",
    }
    save(job.out, job.target, row)


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
        # one provenance record per target (the other targets' are kept: another process may have written them)
        write_json(out, res, provenance=part_provenance(res.get("provenance"), target, list(res["targets"])))


def calibration_only(s_model, s_tok, t_tok, train, evals, baseline, job: Job) -> dict:
    """The first stage of every run alone: the shared shift of the rows not copied, then evaluation."""
    from tokforge.heal.calibrate import calibrate
    from tokforge.heal.data import windows_of

    cfg = HealConfig(**sizes(job.a))
    m = copy.deepcopy(s_model)
    t = time.perf_counter()
    cal = calibrate(m, s_tok, t_tok, windows_of(train, cfg, evals), cfg)
    after, sents = evaluate_sentences(m, s_tok, evals)
    del m
    gc.collect()
    teacher_s = job.row["sentences"]["teacher"]
    return {
        "loss": "none",
        "kind": "calibration",
        "minutes": 0,
        "steps": 0,
        "wall_seconds": round(time.perf_counter() - t, 1),
        "comparison": heal_comparison(baseline["teacher"], baseline["before"], public(after)),
        "interval": {
            "ratio_before": bootstrap(teacher_s, job.row["sentences"]["before"], n=job.a.resamples),
            "ratio_after": bootstrap(teacher_s, sents, n=job.a.resamples),
        },
        "calibration": cal,
        "sentences": sents,
    }


def one_run(s_model, s_tok, teacher, cfg, train, evals, baseline, select=None) -> tuple[dict, object, dict]:
    """Heal a copy of the student with ``cfg`` (choosing its step on ``select``), then score it on ``evals``
    against ``baseline`` once, per sentence: (report, the healed copy, per-sentence bits and bytes).
    `heal_model` itself scores only a one-sentence probe per language (the bench's own evaluation
    replaces its comparison), so no evaluation runs twice."""
    from tokforge.heal.api import HealRun, heal_model

    meta = {"select_source": "FLORES dev held-out sentences"} if select else None
    probe = {lang: lines[:1] for lang, lines in evals.items()}
    res = heal_model(
        (copy.deepcopy(s_model), s_tok),
        train,
        teacher=teacher,
        config=cfg,
        eval_texts=probe,
        select_texts=select,
        progress=False,
        # the bench scores the model (marginal bits/byte too, --marginal) and breaks the goal run's gap down itself
        run=HealRun(gap=False, meta=meta, marginal=0),
    )
    healed, rep = res.model, res.report
    t = time.perf_counter()
    after, sents = evaluate_sentences(healed, s_tok, evals)
    rep["evaluation"] = {
        "texts": "the bench's evaluation texts (heal_model's own scored a one-sentence probe per language)",
        "after": public(after),
        "comparison": heal_comparison(baseline["teacher"], baseline["before"], public(after)),
        "seconds": round(time.perf_counter() - t, 1),
    }
    gc.collect()
    return rep, healed, sents


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
