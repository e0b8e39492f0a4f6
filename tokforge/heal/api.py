"""``heal(...)`` and ``heal_dir(...)``: the library entry points of ``tokforge heal``.

``heal(model, tokenizer, teacher, teacher_tokenizer, texts, HealConfig(...), out=DIR)`` trains
``model`` (a transformers causal LM speaking ``tokenizer``) to match ``teacher`` (the original model
with its own tokenizer) on ``texts``, evaluates both before and after on held-out text, and returns
``(model, report)``; with ``out`` it also saves an HF directory (model, tokenizer files,
``heal_report.json``, ``log.jsonl``) that ``AutoModelForCausalLM``/``AutoTokenizer`` load.

``heal_dir(student_dir, teacher=None, ...)`` does the same from a folder written by
``tokforge transplant``: the teacher defaults to the original model recorded in its
``transplant_report.json``, and a teacher whose vocabulary is not the recorded original is refused.
Every check on the input runs before the output folder is touched.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..evaluate.bits import EvalConfig, evaluate_languages, public
from ..evaluate.gap import gap_breakdown
from ..io import atomic_write_text, read_json, trim_step_log
from .calibrate import calibrate  # noqa: F401  (heal's first stage; the bench calls it alone)
from .data import Source, Windows
from .report import REPORT, build_report, heal_comparison, save  # noqa: F401  (heal_comparison: public here too)
from .select import BestRows, check_texts, lines_of
from .train import CHECKPOINT, LOG, HealConfig, Healer, run

STATE = "heal_state.json"


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


def _windows(texts, cfg: HealConfig, eval_texts, heldout: float, select_texts=None) -> Windows:
    if isinstance(texts, Windows):
        return texts
    if isinstance(texts, dict):
        sources = [texts]
    elif isinstance(texts, (list, tuple)) and texts and all(isinstance(t, str) for t in texts):
        sources = [{"text": list(texts)}]
    elif isinstance(texts, (list, tuple)) and all(isinstance(t, (Source, dict)) for t in texts):
        sources = list(texts)
    else:
        raise InputError(
            "texts must be a list of strings, a dict of lines per language, or Sources", where=type(texts).__name__
        )
    exclude = lines_of(eval_texts) | lines_of(select_texts)
    return Windows(sources, cfg.seq_bytes, 0.0 if eval_texts else heldout, exclude, cfg.seed)


def _prepare_out(out: Path | None, resume: bool, force: bool, cfg: HealConfig) -> None:
    from .config import check_settings
    from .train import checkpoint_settings

    if out is None:
        if resume:
            raise InputError("--resume needs --out (the folder of the run to continue)")
        return
    if resume:
        if not (out / CHECKPOINT).is_file():
            raise InputError(
                "nothing to resume: the output folder has no checkpoint",
                where=str(out),
                fix="start without --resume" + (" (the run there has finished)" if (out / REPORT).is_file() else ""),
            )
        check_settings(checkpoint_settings(out / CHECKPOINT), cfg)
    elif out.exists() and not force:
        raise InputError(
            "output directory already exists",
            where=str(out),
            fix="choose another --out, pass --force to replace it, or --resume to continue its run",
        )


def heal(
    model,
    tokenizer,
    teacher,
    teacher_tokenizer,
    texts,
    cfg: HealConfig | None = None,
    *,
    eval_texts: dict[str, list[str]] | None = None,
    eval_limit: int = 40,
    heldout: float = 0.1,
    out: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
    device: str = "cpu",
    accelerator=None,
    meta: dict | None = None,
    eval_cfg: EvalConfig | None = None,
    on_step=None,
    baseline: dict | None = None,
    extra_files: dict[str, str] | None = None,
    gap: bool = True,
    select_texts: dict[str, list[str]] | None = None,
):
    """Heal ``model`` by self-distillation from ``teacher`` (see the module docstring); ``(model, report)``.

    ``on_step(record)`` is called after every step (after its checkpoint, when one is due); an
    exception there stops the run, and ``resume=True`` continues it from the last checkpoint.
    ``baseline`` (``{"teacher": ..., "before": ...}`` from `evaluate.public`) skips the evaluations
    before training when several runs share the same start (benches). ``gap`` (default on): the report
    says where the remaining gap is (`tokforge.evaluate.gap`, ``evaluation.gap_after``): one more pass
    of each model over the evaluation text. ``select_texts`` (with ``cfg.select_every``): the run ends
    with the rows that scored best on them (`select`); they are kept out of the training text."""
    from .. import devices

    cfg = (cfg or HealConfig()).check()
    out = Path(out) if out is not None else None
    _prepare_out(out, resume, force, cfg)
    check_texts(cfg.select_every, select_texts, eval_texts)
    windows = _windows(texts, cfg, eval_texts, heldout, select_texts)
    if eval_texts is None:
        eval_texts = windows.heldout_lines(eval_limit)
        if not eval_texts:
            raise InputError(
                "no held-out text to evaluate on",
                where=windows.describe(),
                fix="pass an evaluation set (--eval) or raise --heldout",
            )
        eval_source = (
            f"held out from the training corpus ({heldout:.0%} of lines by hash, first {eval_limit} per language)"
        )
    else:
        eval_source = (meta or {}).get("eval_source", "given")
    windows.check()
    if accelerator is None:
        from accelerate import Accelerator

        dev = devices.resolve(device)
        accelerator = Accelerator(cpu=dev == "cpu")
    from ..surgery.apply import embedding_modules
    from ..surgery.plan import match_by_bytes

    _, _, tied = embedding_modules(model)
    n_rows = model.get_input_embeddings().weight.shape[0]
    shift = bool(cfg.calibrate) and not resume  # a resumed run has the shift in its checkpoint
    # the calibration needs the rows copied by bytes; when it runs, match once for it and for the rows to train
    copied = match_by_bytes(teacher_tokenizer.vocab, tokenizer.vocab)[0] if shift else None
    in_rows, out_rows = trainable_rows(tokenizer.vocab, teacher_tokenizer.vocab, n_rows, cfg, tied, copied)
    main = accelerator.is_main_process
    t0 = time.perf_counter()
    state = json.loads((out / STATE).read_text()) if resume and out is not None and (out / STATE).is_file() else None
    if state is None and baseline is not None:
        state = {"teacher": baseline["teacher"], "before": baseline["before"], "eval_seconds": 0.0}
    if state is None:
        teacher_eval = evaluate_languages(teacher, teacher_tokenizer, eval_texts, cfg=eval_cfg) if main else {}
        before = evaluate_languages(model, tokenizer, eval_texts, cfg=eval_cfg) if main else {}
        state = {
            "teacher": public(teacher_eval),
            "before": public(before),
            "eval_seconds": round(time.perf_counter() - t0, 1),
        }
    if shift:  # before training
        state["calibration"] = calibrate(model, tokenizer, teacher_tokenizer, windows, cfg, accelerator.device, copied)
    if out is not None and main and not resume:
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        (out / LOG).write_text("")
        atomic_write_text(out / STATE, json.dumps(state))
    accelerator.wait_for_everyone()
    healer = Healer(model, tokenizer, teacher, teacher_tokenizer, windows, cfg, in_rows, out_rows, accelerator)
    if cfg.select_every:
        healer.selector = BestRows(healer, select_texts, cfg.select_every, eval_cfg)
    if resume:
        healer.load_checkpoint(out / CHECKPOINT)
        trim_step_log(out / LOG, healer.step) if main else None
    run_dir = out if out is not None else Path(_scratch())
    try:
        last = run(healer, run_dir, progress, on_step)
    finally:
        healer.restore()
        if out is None:  # checkpoints nobody can resume from: a full model each, so never left behind
            shutil.rmtree(run_dir, ignore_errors=True)
    if healer.selector is not None:
        healer.selector.restore()
    model = healer.student.merge()
    trained = healer.trained_rows()  # collective: every process
    report = {}
    if main:
        t = time.perf_counter()
        after_stats = evaluate_languages(model, tokenizer, eval_texts, cfg=eval_cfg, per_token=gap)
        after = public(after_stats)
        eval_after_s = round(time.perf_counter() - t, 1)
        report = build_report(
            cfg,
            state,
            after,
            last,
            healer,
            windows,
            tied,
            in_rows,
            out_rows,
            meta,
            eval_source,
            eval_after_s,
        )
        if healer.selector is not None:
            report["selection"] = {"texts": (meta or {}).get("select_source", "given"), **healer.selector.summary()}
        if trained is not None:  # how much of the table the run reached
            report["train"]["rows_shown"] = int(trained.sum())
            report["train"]["trainable_input_rows_shown"] = int(trained[np.asarray(in_rows)].sum())
        if gap:
            t = time.perf_counter()
            report["evaluation"]["gap_after"] = gap_breakdown(
                teacher,
                teacher_tokenizer,
                model,
                tokenizer,
                eval_texts,
                trained=trained,
                cfg=eval_cfg,
                on_mismatch="warn",
                student_stats=after_stats,
            )
            report["evaluation"]["seconds_gap"] = round(time.perf_counter() - t, 1)
        if out is not None:
            save(model, tokenizer, out, report, extra_files)
    accelerator.wait_for_everyone()
    return model, report


def _scratch() -> str:
    """A folder for the checkpoints and log of a run without ``out`` (removed when the run ends)."""
    import tempfile

    d = tempfile.mkdtemp(prefix="tokforge-heal-")
    Path(d, LOG).write_text("")
    return d


# -- from a transplanted folder ----------------------------------------------------------------------
def load_pair(student_dir: str | Path, teacher: str | None = None, device: str = "cpu"):
    """``(student, student_tokenizer, teacher, teacher_tokenizer, meta)`` for ``tokforge heal DIR``.

    The teacher defaults to the original recorded in ``DIR/transplant_report.json``; a folder without
    that report needs an explicit teacher; a teacher whose vocabulary is not the recorded original is
    an error. All checks run before any model weights load."""
    from .. import models
    from ..loaders import load_tokenizer

    d = Path(student_dir)
    if not (d / "config.json").is_file():
        raise InputError(
            "student is not an HF model directory (no config.json)",
            where=str(d),
            fix="pass a folder written by tokforge transplant",
        )
    rep_path = d / "transplant_report.json"
    rep = None
    if rep_path.is_file():
        rep = read_json(rep_path, "transplant_report.json", fix="re-run tokforge transplant into that folder")
    if teacher is None:
        if rep is None:
            raise InputError(
                "the student folder is not a transplant (no transplant_report.json)",
                where=str(d),
                fix="pass --teacher MODEL (the model whose tokenizer it replaced)",
            )
        teacher = rep.get("model")
        if not teacher or teacher.startswith("<"):
            raise InputError(
                "transplant_report.json does not name a loadable original model",
                where=str(rep_path),
                fix="pass --teacher MODEL",
            )
    t_tok = models.load_tokenizer(teacher) if teacher in models.ARTIFACTS else load_tokenizer(teacher)
    want = (rep or {}).get("old_vocab_fingerprint")
    if want is not None and t_tok.vocab.fingerprint() != want:
        raise InputError(
            "teacher's vocabulary is not the original recorded in transplant_report.json",
            where=f"{teacher} vs {rep.get('old_tokenizer')}",
            fix="pass the model the student was transplanted from (or omit --teacher)",
        )
    s_tok = load_tokenizer(d)
    t_model, t_tok = models.load_causal_lm(teacher, device=device, tokenizer=t_tok)
    s_model, s_tok = models.load_causal_lm(d, device=device, tokenizer=s_tok)
    meta = {
        "teacher": str(teacher),
        "student": str(d),
        "student_tokenizer": s_tok.name,
        "transplant": {k: rep.get(k) for k in ("method", "old_tokenizer", "new_tokenizer")} if rep else None,
    }
    return s_model, s_tok, t_model, t_tok, meta


def heal_dir(
    student_dir: str | Path,
    sources,
    cfg: HealConfig | None = None,
    *,
    teacher: str | None = None,
    eval_spec: str | None = None,
    eval_langs: list[str] | None = None,
    eval_limit: int = 40,
    heldout: float = 0.1,
    out: str | Path,
    resume: bool = False,
    force: bool = False,
    device: str = "cpu",
    progress: bool = True,
    on_step=None,
    keep_files: tuple[str, ...] = (),
    select_spec: str | None = None,
    select_limit: int = 25,
):
    """``tokforge heal``: check everything cheap (settings, output folder, corpus, evaluation text, the
    teacher's vocabulary), then load both models and `heal`. Returns ``(model, report)``; the report is
    empty on the non-main processes of a multi-process run."""
    from .. import corpus, devices

    cfg = (cfg or HealConfig()).check()
    device = devices.resolve(device)
    out = Path(out)
    _prepare_out(out, resume, force, cfg)
    eval_texts, eval_source = None, None
    if eval_spec is not None:
        split = "devtest"
        eval_texts = corpus.read_corpus(eval_spec, split=split, langs=eval_langs, limit=eval_limit)
        eval_source = f"{eval_spec} ({split})" if eval_spec.startswith("flores200:") else eval_spec
    select_texts, select_source = None, None
    if select_spec is not None:  # FLORES: its dev split (the training split by default: these lines leave it)
        select_texts = corpus.read_corpus(select_spec, split="dev", langs=eval_langs, limit=select_limit)
        select_source = f"{select_spec} (dev, first {select_limit} per language)"
    check_texts(cfg.select_every, select_texts, eval_texts)
    windows = _windows(list(sources), cfg, eval_texts, heldout, select_texts)
    windows.check()
    s_model, s_tok, t_model, t_tok, meta = load_pair(student_dir, teacher, device)
    if eval_source:
        meta["eval_source"] = eval_source
    if select_source:
        meta["select_source"] = select_source
    return heal(
        s_model,
        s_tok,
        t_model,
        t_tok,
        windows,
        cfg,
        eval_texts=eval_texts,
        eval_limit=eval_limit,
        heldout=heldout,
        out=out,
        resume=resume,
        force=force,
        progress=progress,
        device=device,
        meta=meta,
        on_step=on_step,
        select_texts=select_texts,
        extra_files={
            n: (Path(student_dir) / n).read_text(encoding="utf-8")
            for n in keep_files
            if (Path(student_dir) / n).is_file()
        },
    )
