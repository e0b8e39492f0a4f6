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
from .train import LOG

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
    cfg, state, after, last, healer, windows, tied, in_rows, out_rows, meta, eval_source, eval_after_s
) -> dict:
    teacher, before = state["teacher"], state["before"]
    cmp = heal_comparison(teacher, before, after)
    return {
        **(meta or {}),
        "config": dataclasses.asdict(cfg),
        "losses": cfg.weights,
        "precision": healer.precision,
        "processes": healer.acc.num_processes,
        "steps": healer.step,
        "calibration": state.get("calibration"),
        "tied": bool(tied),
        "trainable": {
            "input_rows": int(len(in_rows)),
            "output_rows": None if out_rows is None else int(len(out_rows)),
            "body": cfg.train == "all",
        },
        "train": {
            "windows_per_epoch": windows.stats.get("windows_per_epoch"),
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
            "comparison": cmp,
            "seconds_before": state.get("eval_seconds"),
            "seconds_after": eval_after_s,
        },
    }


def save(model, tokenizer, out: Path, report: dict, extra: dict[str, str] | None = None) -> None:
    """Model + tokenizer + report + log into ``out`` (replacing the run folder, checkpoint included);
    ``extra`` maps file names to text written beside them."""
    from ..surgery.export import hf_tokenizer

    hf_tok, _ = hf_tokenizer(tokenizer)
    log = (out / LOG).read_text() if (out / LOG).is_file() else ""
    with atomic_dir(out, force=True) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        hf_tok.save_pretrained(tmp)
        (tmp / REPORT).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        (tmp / LOG).write_text(log, encoding="utf-8")
        for name, text in (extra or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
