"""The student and the teacher of `heal_model`, checked and their tokenizers loaded before any weights
load (`plan_models`): the teacher defaults to the original recorded with a transplant (a folder's
``transplant_report.json`` or a `TransplantResult`'s report), and one whose vocabulary is not that
original is an error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import read_json
from ..models import check_model_spec, model_pair


def check_spec(spec, name: str) -> None:
    """A heal model argument: of a model's type (`models.check_model_spec`), and a name or folder that exists."""
    from ..artifacts import ARTIFACTS

    check_model_spec(spec, name)
    if model_pair(spec) is not None:
        return
    if str(spec) not in ARTIFACTS and not (Path(spec) / "config.json").is_file():
        raise InputError(
            f"{name} is not a built-in name or an HF model directory (no config.json)",
            where=str(spec),
            fix="pass a folder written by tokforge transplant" if name == "model" else f"pass {name}=MODEL",
        )


def _recorded(spec) -> tuple[dict | None, str]:
    """(the transplant report of a model argument, or None; where it is)."""
    if model_pair(spec) is not None:
        rep = getattr(spec, "report", None)
        return (rep if isinstance(rep, dict) and "old_vocab_fingerprint" in rep else None), "the transplant result"
    path = Path(spec) / "transplant_report.json"
    if path.is_file():
        return read_json(path, "transplant_report.json", fix="re-run tokforge transplant into that folder"), str(path)
    return None, str(spec)


def _default_teacher(teacher, rec: dict | None, where: str):
    if teacher is not None:
        return teacher
    if rec is None:
        raise InputError(
            "the model is not a transplant (no transplant_report.json), so heal has no teacher",
            where=where,
            fix="pass teacher=MODEL (the model whose tokenizer it replaced)",
        )
    teacher = rec.get("model")
    if not teacher or str(teacher).startswith("<"):
        raise InputError(
            "the transplant report does not name a loadable original model", where=where, fix="pass teacher=MODEL"
        )
    return teacher


def _tokenizer(spec):
    from ..loaders import load_tokenizer

    pair = model_pair(spec)
    return load_tokenizer(pair[1] if pair is not None else str(spec))


def _load(spec, tok, device: str):
    from ..models import load_causal_lm, resolve_model

    if model_pair(spec) is not None:
        return resolve_model(spec, device=device)
    return load_causal_lm(spec, device=device, tokenizer=tok)


@dataclass(frozen=True)
class _Models:
    """A student and a teacher as given, with their tokenizers loaded (no weights yet)."""

    student: Any
    s_tok: Any
    teacher: Any
    t_tok: Any
    meta: dict

    def load(self, device: str) -> tuple[tuple, tuple]:
        """``((student, its tokenizer), (teacher, its tokenizer))`` on ``device``."""
        return _load(self.student, self.s_tok, device), _load(self.teacher, self.t_tok, device)


def plan_models(model, teacher) -> _Models:
    """The student and teacher of `heal_model`, checked before any weights load: the teacher defaults
    to the original recorded with a transplant, and one whose vocabulary is not that original is an error."""
    check_spec(model, "model")
    rec, where = _recorded(model)
    teacher = _default_teacher(teacher, rec, where)
    check_spec(teacher, "teacher")
    t_tok = _tokenizer(teacher)
    want = (rec or {}).get("old_vocab_fingerprint")
    if want is not None and t_tok.vocab.fingerprint() != want:
        raise InputError(
            "teacher's vocabulary is not the original recorded in transplant_report.json",
            where=f"{teacher if isinstance(teacher, (str, Path)) else t_tok.name} vs {rec.get('old_tokenizer')}",
            fix="pass the model the student was transplanted from (or leave teacher out)",
        )
    s_tok = _tokenizer(model)
    meta = {}
    if isinstance(model, (str, Path)):
        meta = {
            "teacher": str(teacher) if isinstance(teacher, (str, Path)) else t_tok.name,
            "student": str(model),
            "student_tokenizer": s_tok.name,
            "transplant": {k: rec.get(k) for k in ("method", "old_tokenizer", "new_tokenizer")} if rec else None,
        }
    return _Models(model, s_tok, teacher, t_tok, meta)
