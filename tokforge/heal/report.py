"""What a healing run hands back: the before/after comparison, ``heal_report.json`` and the saved folder.

``heal_comparison(teacher, before, after)`` is the per-language table (bits/byte of the original, the
student before and after, their ratios, the share of the gap closed) that the report, the command
line and the bench share; `build_report` assembles ``heal_report.json``; `save` writes the healed
model, its tokenizer files, the report and the step log into the output folder in one atomic step.

>>> t, b, a = {"en": {"bits_per_byte": 1.0}}, {"en": {"bits_per_byte": 1.2}}, {"en": {"bits_per_byte": 1.1}}
>>> heal_comparison(t, b, a)["en"]["gap_closed"]
0.5
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from ..evaluate.bits import CONVENTION
from ..io import atomic_dir

REPORT = "heal_report.json"


def heal_comparison(teacher: dict, before: dict, after: dict) -> dict:
    """Per language (and their mean): bits/byte of the teacher, before and after; ratios; gap closed."""
    cmp = {}
    for lang in after:
        t, b, a = teacher[lang]["bits_per_byte"], before[lang]["bits_per_byte"], after[lang]["bits_per_byte"]
        cmp[lang] = {
            "bpb_teacher": t,
            "bpb_before": b,
            "bpb_after": a,
            "ratio_before": round(b / t, 4),
            "ratio_after": round(a / t, 4),
            "gap_closed": round((b - a) / (b - t), 4) if b != t else None,
        }
    if cmp:
        cmp["mean"] = {
            k: round(float(np.mean([r[k] for r in cmp.values() if r.get(k) is not None])), 4)
            for k in ("bpb_teacher", "bpb_before", "bpb_after", "ratio_before", "ratio_after")
        }
    return cmp


def build_report(
    healer, state: dict, after: dict, last: dict, *, meta: dict | None, eval_source: str, eval_after_s
) -> dict:
    """``heal_report.json`` of a finished run: ``healer`` (a `train.Healer`) has the settings, rows and
    counts; ``state`` the evaluations before training and the calibration; ``after`` the evaluation after."""
    cfg, (in_rows, out_rows) = healer.cfg, healer.rows
    teacher, before = state["teacher"], state["before"]
    return {
        **(meta or {}),
        "config": dataclasses.asdict(cfg),
        "losses": cfg.weights,
        "precision": healer.precision,
        "processes": healer.acc.num_processes,
        "steps": healer.step,
        "calibration": state.get("calibration"),
        "tied": bool(healer.student.tied),
        "trainable": {
            "input_rows": int(len(in_rows)),
            "output_rows": None if out_rows is None else int(len(out_rows)),
            "body": cfg.train == "all",
        },
        "train": {
            "windows_per_epoch": healer.windows.stats.get("windows_per_epoch"),
            "seconds": last.get("train_seconds"),
            "windows_not_aligned": healer.skipped,
            "last_step": {k: v for k, v in last.items() if k != "step"},
        },
        "evaluation": {
            "convention": CONVENTION,
            "texts": eval_source,
            "teacher": teacher,
            "before": before,
            "after": after,
            "comparison": heal_comparison(teacher, before, after),
            "seconds_before": state.get("eval_seconds"),
            "seconds_after": eval_after_s,
        },
    }


def save(model, tokenizer, out: Path, report: dict, files: dict[str, str] | None = None, force: bool = True) -> Path:
    """Model + tokenizer + ``heal_report.json`` into ``out`` in one atomic step; ``files`` maps file
    names (``log.jsonl``, ...) to text written beside them. An existing ``out`` (a run folder, checkpoint
    included) is replaced only with ``force``."""
    from ..surgery.export import hf_tokenizer

    hf_tok, _ = hf_tokenizer(tokenizer)
    with atomic_dir(out, force=force) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        hf_tok.save_pretrained(tmp)
        (tmp / REPORT).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        for name, text in (files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
    return Path(out)
