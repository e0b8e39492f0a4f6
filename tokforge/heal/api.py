"""``heal_model(model, texts, teacher=...)``: the library entry point of ``tokforge heal`` (``tokforge.heal_model``).

``heal_model`` trains ``model`` (a causal LM with a new tokenizer) to match ``teacher`` (the original
model with its own tokenizer) on ``texts``, evaluates both before and after on held-out text, and
returns a `HealResult` (``.model``, ``.tokenizer``, ``.report``, ``.save(out)``). With ``out`` it also
saves an HF folder (model, tokenizer files, ``heal_report.json``, ``log.jsonl``) that
``AutoModelForCausalLM``/``AutoTokenizer`` load, and checkpoints there so that ``resume=True`` continues.

A model or teacher is a built-in name, an HF model folder, a ``(model, Tokenizer)`` pair or an object
with ``.model`` and ``.tokenizer`` (a `TransplantResult`). When ``model`` is a folder written by
``tokforge transplant`` (or a `TransplantResult`), the teacher defaults to the original recorded in
its ``transplant_report.json``, and a teacher whose vocabulary is not that original is refused. Every
check on the input (settings, output folder, texts, the teacher's vocabulary) runs before any weights
load and before the output folder is touched.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import InputError
from ..evaluate.marginal import DEFAULT_LIMIT
from ..io import atomic_write_text, trim_step_log
from .config import CHECKPOINT, LOG, HealConfig
from .data import Windows, check_texts, windows_of
from .models import check_spec, plan_models
from .report import REPORT, build_report, save

STATE = "heal_state.json"


@dataclass(frozen=True)
class HealRun:
    """Options of `heal_model` that benches and the command lines use.

    ``baseline`` (``{"teacher": ..., "before": ...}`` from `evaluate.bits.public`) skips the evaluations
    before training when several runs share the same start. ``gap`` (default on): the report says where
    the remaining gap is (`tokforge.evaluate.gap`, ``evaluation.gap_after``), one more pass of each model
    over the evaluation text. ``meta`` goes into the report (``eval_source``/``select_source`` name the
    texts); ``extra_files`` maps file names to text saved beside the model; ``accelerator``: an
    ``accelerate.Accelerator`` to run on (default: one for ``device``)."""

    baseline: dict | None = None
    gap: bool = True
    meta: dict | None = None
    extra_files: dict[str, str] | None = None
    accelerator: Any = None
    marginal: int = DEFAULT_LIMIT  # evaluation texts in all also scored by marginal bits/byte, before and after; 0: off


@dataclass(frozen=True)
class HealResult:
    """A healed model, its tokenizer and ``heal_report.json``'s content (empty on the non-main
    processes of a multi-process run). ``files``: the step log and other files `save` writes beside them."""

    model: Any
    tokenizer: Any
    report: dict
    files: dict[str, str] = field(default_factory=dict, repr=False)

    def save(self, out, force: bool = False) -> Path:
        """An HF model folder at ``out`` (model, tokenizer files, ``heal_report.json``, ``log.jsonl``),
        written atomically; an existing folder is replaced only with ``force``."""
        return save(self.model, self.tokenizer, Path(out), self.report, self.files, force=force)


@dataclass(frozen=True)
class _Texts:
    windows: Windows
    eval: dict[str, list[str]]
    eval_source: str
    select: dict[str, list[str]] | None


@dataclass
class _Job:
    cfg: HealConfig
    run: HealRun
    texts: _Texts
    out: Path | None
    resume: bool
    progress: bool
    on_step: Callable[[dict], None] | None
    meta: dict = field(default_factory=dict)


def heal_model(  # noqa: PLR0913  (the documented public signature; rarely used options go into HealRun)
    model,
    texts,
    *,
    teacher=None,
    config: HealConfig | None = None,
    eval_texts: dict[str, list[str]] | None = None,
    select_texts: dict[str, list[str]] | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    device: str = "auto",
    progress: bool = True,
    on_step: Callable[[dict], None] | None = None,
    run: HealRun | None = None,
) -> HealResult:
    """Heal ``model`` by self-distillation from ``teacher`` (see the module docstring).

    ``texts``: training text, a list of strings, ``{lang: [lines]}`` or a list of `data.Source` (corpus
    specs, streamed). ``eval_texts`` (``{lang: [lines]}``): evaluation before and after; default: lines
    held out of ``texts`` by hash (``config.heldout``, the first ``config.eval_limit`` per language).
    ``select_texts`` (with ``config.select_every``): the run ends with the rows that scored best on them
    (`select`); they are kept out of the training text. ``on_step(record)`` is called after every step
    (after its checkpoint, when one is due); an exception there stops the run, and ``resume=True``
    (with the same ``out``) continues it from the last checkpoint. ``device``: ``auto`` (the default) is
    ``cuda`` when one is available, else ``cpu``, as accelerate chooses; under ``accelerate launch`` each
    process runs on its own GPU."""
    from .. import devices
    from ..extras import require

    cfg = config or HealConfig()
    run = run or HealRun()
    out = Path(out) if out is not None else None
    check_spec(model, "model")
    if teacher is not None:
        check_spec(teacher, "teacher")
    _prepare_out(out, resume, force, cfg)
    check_texts(cfg.select_every, select_texts, eval_texts)
    require("torch", "heal_model")  # after the cheap checks: importing torch takes seconds
    require("accelerate", "heal_model")
    windows = windows_of(texts, cfg, eval_texts, select_texts)
    windows.check()
    models = plan_models(model, teacher)
    texts = _eval_texts(windows, cfg, eval_texts, select_texts, run.meta)
    accelerator = run.accelerator or _accelerator(devices.resolve(device))
    student, teacher = models.load(str(accelerator.device))  # each process on its own device
    job = _Job(cfg, run, texts, out, resume, progress, on_step, {**models.meta, **(run.meta or {})})
    return _heal(student, teacher, job, accelerator)


# -- checks before anything loads ---------------------------------------------------------------------
def _prepare_out(out: Path | None, resume: bool, force: bool, cfg: HealConfig) -> None:
    from .config import check_settings

    if out is None:
        if resume:
            raise InputError("resume=True needs out=DIR (the folder of the run to continue)")
        return
    if resume:
        if not (out / CHECKPOINT).is_file():
            raise InputError(
                "nothing to resume: the output folder has no checkpoint",
                where=str(out),
                fix="start without resume=True" + (" (the run there has finished)" if (out / REPORT).is_file() else ""),
            )
        check_settings(_checkpoint_settings(out / CHECKPOINT), cfg)
    elif out.exists() and not force:
        raise InputError(
            "output directory already exists",
            where=str(out),
            fix="choose another out=DIR, pass force=True to replace it, or resume=True to continue its run",
        )


def _checkpoint_settings(path: Path) -> dict:
    from .train import checkpoint_settings

    return checkpoint_settings(path)


def _eval_texts(windows: Windows, cfg: HealConfig, eval_texts, select_texts, meta: dict | None) -> _Texts:
    """The evaluation text (held out of the training text unless given) with the windows and selection."""
    if eval_texts is None:
        eval_texts = windows.heldout_lines(cfg.eval_limit)
        if not eval_texts:
            raise InputError(
                "no held-out text to evaluate on",
                where=windows.describe(),
                fix="pass eval_texts=TEXTS, or raise heldout=FRACTION",
            )
        source = (
            f"held out from the training corpus ({cfg.heldout:.0%} of lines by hash, "
            f"first {cfg.eval_limit} per language)"
        )
    else:
        source = (meta or {}).get("eval_source", "given")
    return _Texts(windows, eval_texts, source, select_texts)


def trainable_rows(student_vocab, teacher_vocab, n_rows: int, cfg: HealConfig, tied: bool, copied=None):
    """(input rows, output rows or None when tied) the run trains: rows not copied by bytes/role from
    the original (all rows with ``train_copied``); with ``embeddings+head``/``all``, every output row.
    ``copied``: the student ids `match_by_bytes` copies (computed here when not given)."""
    from ..surgery.plan import match_by_bytes

    everything = np.arange(n_rows, dtype=np.int64)
    if cfg.train_copied or cfg.train == "all" or (cfg.train == "embeddings+head" and tied):
        in_rows = everything
    else:
        if copied is None:
            copied, _ = match_by_bytes(teacher_vocab, student_vocab)
        in_rows = np.setdiff1d(everything[: len(student_vocab)], copied)
    if tied:
        return in_rows, None
    out_rows = everything if cfg.train in ("embeddings+head", "all") else in_rows
    return in_rows, out_rows


def calibrated_rows(student_vocab, copied) -> np.ndarray:
    """The rows the calibrator moves (`calibrator`): every token row not copied by bytes from the
    original (the rows the calibration shift moves, less padding rows past the vocabulary)."""
    return np.setdiff1d(np.arange(len(student_vocab), dtype=np.int64), copied)


# -- the run ---------------------------------------------------------------------------------------------
def _heal(student, teacher, job: _Job, accelerator) -> HealResult:
    """Calibrate, train and evaluate (the phases below); every process of a multi-process run calls it."""
    from ..surgery.apply import embedding_modules
    from ..surgery.plan import match_by_bytes
    from .calibrate import calibrate
    from .train import Healer

    (model, tok), (_, t_tok) = student, teacher
    cfg = job.cfg
    _, head, tied = embedding_modules(model)
    if head is None:
        raise InputError(
            "heal needs a causal LM with an output head (it trains on next-token logits)",
            where=type(model).__name__,
            fix="pass a model loaded with AutoModelForCausalLM (a folder from tokforge transplant)",
        )
    n_rows = model.get_input_embeddings().weight.shape[0]
    shift = bool(cfg.calibrate) and not job.resume  # a resumed run has the shift in its checkpoint
    # the calibration and the calibrator need the rows copied by bytes: match once for them and the rows to train
    copied = match_by_bytes(t_tok.vocab, tok.vocab)[0] if shift or cfg.calibrator else None
    rows = trainable_rows(tok.vocab, t_tok.vocab, n_rows, cfg, tied, copied)
    calibrated = calibrated_rows(tok.vocab, copied) if cfg.calibrator else None
    main = accelerator.is_main_process
    state = _start_state(job, student, teacher, main)
    if shift:  # before training
        state["calibration"] = calibrate(
            model, tok, t_tok, job.texts.windows, cfg, device=accelerator.device, copied=copied
        )
    if job.out is not None and main and not job.resume:
        _new_run_dir(job.out, state)
    accelerator.wait_for_everyone()
    healer = Healer(student, teacher, job.texts.windows, cfg, rows, accelerator, calibrated=calibrated)
    last, log = _train(healer, job)
    trained = healer.trained_rows()  # collective: every process
    model = healer.student.merge()  # with a calibrator: its maps folded into the rows
    report = _report(job, healer, model, state, last, trained) if main else {}
    files = {LOG: log, **(job.run.extra_files or {})}
    if job.out is not None and main:
        save(model, tok, job.out, report, files, force=True)
    accelerator.wait_for_everyone()
    return HealResult(model, tok, report, files)


def _accelerator(device: str):
    """The `accelerate.Accelerator` for a resolved ``device``: ``cpu`` forces the CPU, ``cuda`` lets accelerate
    give each process its GPU (``accelerate launch``: one process per GPU)."""
    from accelerate import Accelerator

    if device.startswith("cuda:"):  # one process on a chosen GPU: accelerate uses the current one
        import torch

        torch.cuda.set_device(int(device.split(":", 1)[1]))
    return Accelerator(cpu=device == "cpu")


def _start_state(job: _Job, student, teacher, main: bool) -> dict:
    """The evaluations before training: from the run folder when resuming, the baseline when given,
    else measured now (on the main process)."""
    from ..evaluate.bits import evaluate_languages, public
    from ..evaluate.marginal import add_marginal

    out = job.out
    if job.resume and out is not None and (out / STATE).is_file():
        return json.loads((out / STATE).read_text())
    if job.run.baseline is not None:
        return {"teacher": job.run.baseline["teacher"], "before": job.run.baseline["before"], "eval_seconds": 0.0}
    t0 = time.perf_counter()
    texts, ecfg = job.texts.eval, job.cfg.eval
    teacher_eval = evaluate_languages(*teacher, texts, cfg=ecfg) if main else {}
    before = (
        add_marginal(evaluate_languages(*student, texts, cfg=ecfg), *student, texts, job.run.marginal) if main else {}
    )
    return {
        "teacher": public(teacher_eval),
        "before": public(before),
        "eval_seconds": round(time.perf_counter() - t0, 1),
    }


def _new_run_dir(out: Path, state: dict) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / LOG).write_text("")
    atomic_write_text(out / STATE, json.dumps(state))


def _train(healer, job: _Job) -> tuple[dict, str]:
    """(the last step's record, the step log): the training loop with its selection, in the run folder
    (``out``, or a scratch folder removed at the end), resumed from its checkpoint with ``resume``."""
    from .select import BestRows
    from .train import run

    if job.cfg.select_every:
        healer.selector = BestRows(healer, job.texts.select, job.cfg.select_every, job.cfg.eval)
    if job.resume:
        healer.load_checkpoint(job.out / CHECKPOINT)
        trim_step_log(job.out / LOG, healer.step) if healer.acc.is_main_process else None
    run_dir = job.out if job.out is not None else Path(_scratch())
    try:
        last = run(healer, run_dir, job.progress, job.on_step)
        log = (run_dir / LOG).read_text(encoding="utf-8") if (run_dir / LOG).is_file() else ""
    finally:
        healer.restore()
        if job.out is None:  # checkpoints nobody can resume from: a full model each, so never left behind
            shutil.rmtree(run_dir, ignore_errors=True)
    if healer.selector is not None:
        healer.selector.restore()
    return last, log


def _report(job: _Job, healer, model, state: dict, last: dict, trained) -> dict:
    """``heal_report.json``: the evaluation after training, the selection, the rows shown, the gap."""
    from ..evaluate.bits import evaluate_languages, public
    from ..evaluate.gap import gap_breakdown
    from ..evaluate.marginal import add_marginal

    texts, ecfg, tok = job.texts.eval, job.cfg.eval, healer.tok
    t = time.perf_counter()
    after_stats = evaluate_languages(model, tok, texts, cfg=ecfg, per_token=job.run.gap)
    add_marginal(after_stats, model, tok, texts, job.run.marginal)
    eval_after_s = round(time.perf_counter() - t, 1)
    report = build_report(
        healer,
        state,
        public(after_stats),
        last,
        meta=job.meta,
        eval_source=job.texts.eval_source,
        eval_after_s=eval_after_s,
    )
    report["calibrator"] = _calibrator_report(healer, trained)
    if healer.selector is not None:
        report["selection"] = {"texts": job.meta.get("select_source", "given"), **healer.selector.summary()}
    if trained is not None:  # how much of the table the run reached
        report["train"]["rows_shown"] = int(trained.sum())
        report["train"]["trainable_input_rows_shown"] = int(trained[np.asarray(healer.rows[0])].sum())
    if job.run.gap:
        t = time.perf_counter()
        report["evaluation"]["gap_after"] = gap_breakdown(
            (healer.teacher, healer.t_tok),
            (model, tok),
            texts,
            trained=trained,
            cfg=ecfg,
            on_mismatch="warn",
            student_stats=after_stats,
        )
        report["evaluation"]["seconds_gap"] = round(time.perf_counter() - t, 1)
    return report


def _calibrator_report(healer, trained) -> dict:
    """``calibrator`` of ``heal_report.json``: on or off, its rate, and per map the norms of ``W`` and
    ``b`` and how far it moved the rows it calibrates (those no step showed, and all)."""
    from .calibrator import summary

    cfg = healer.cfg
    if not cfg.calibrator:
        return {"on": False, "lr": cfg.calibrator_lr}
    return summary(healer.student.baked, trained, cfg.calibrator_lr)


def _scratch() -> str:
    """A folder for the checkpoints and log of a run without ``out`` (removed when the run ends)."""
    import tempfile

    d = tempfile.mkdtemp(prefix="tokforge-heal-")
    Path(d, LOG).write_text("")
    return d
