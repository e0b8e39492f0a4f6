"""Keep the best rows a run reached on selection text (early stopping on held-out text).

``HealConfig(select_every=K)`` with ``heal_model(..., select_texts=...)``: before the first step and every
``K`` steps (and after the last), the student is scored on the selection text (per language, its
bits/byte over the teacher's: the mean of those ratios, lower is better); the trainable weights of the
best-scoring step are kept, and the run ends with them. The selection text must share no line with
the training text or the final evaluation text, or the choice would leak (`heal_model` checks the first).

Why: the right length of a run depends on the learning rate, and a rate that wins a short run can
overshoot a long one (see docs/transplant.md). Choosing the step on held-out text is what a user
would do by hand from the log; the history of scores goes into ``heal_report.json``.

The scoring is deterministic, so every process of a multi-process run takes the same decision
without talking to the others. The kept weights live in memory and go into each checkpoint (only
when they differ from the checkpoint's own weights), so ``resume=True`` continues exactly.
"""

from __future__ import annotations

import torch

from ..evaluate.bits import evaluate_languages, public


def mean_ratio(teacher: dict, student: dict) -> float:
    """Mean over languages of student bits/byte over teacher bits/byte.

    >>> mean_ratio({"a": {"bits_per_byte": 1.0}, "b": {"bits_per_byte": 2.0}},
    ...            {"a": {"bits_per_byte": 1.5}, "b": {"bits_per_byte": 2.0}})
    1.25
    """
    ratios = [student[k]["bits_per_byte"] / teacher[k]["bits_per_byte"] for k in teacher]
    return round(float(sum(ratios) / len(ratios)), 6)


class BestRows:
    """Scores a `train.Healer`'s student every ``every`` steps and keeps the best trainable weights."""

    def __init__(self, healer, texts: dict[str, list[str]], every: int, eval_cfg=None):
        self.healer, self.texts, self.every, self.eval_cfg = healer, texts, every, eval_cfg
        self.history: list[dict] = []
        self.best: dict | None = None  # {"step", "score", "weights"}
        self.teacher = public(evaluate_languages(healer.teacher, healer.t_tok, texts, cfg=eval_cfg))

    def state(self, step: int) -> dict:
        """For a checkpoint at ``step``: the scores so far, and the best weights unless they are step's."""
        best = self.best
        if best is not None and best["step"] == step:
            best = {k: v for k, v in best.items() if k != "weights"}
        return {"history": list(self.history), "best": best}

    def load_state(self, st: dict, weights: dict[str, torch.Tensor]) -> None:
        self.history, self.best = list(st["history"]), st["best"]
        if self.best is not None and "weights" not in self.best:  # the checkpoint's own weights
            self.best = {**self.best, "weights": {n: v.to("cpu", copy=True) for n, v in weights.items()}}

    def _weights(self) -> dict[str, torch.Tensor]:
        m = self.healer.student.model
        return {n: p.detach().to("cpu", copy=True) for n, p in m.named_parameters() if p.requires_grad}

    @torch.no_grad()
    def score(self, step: int) -> dict:
        """Score the student now; keep its weights if they are the best so far. Returns the history record."""
        model = self.healer.student.model
        stats = public(evaluate_languages(model, self.healer.tok, self.texts, cfg=self.eval_cfg))
        rec = {"step": step, "select_ratio": mean_ratio(self.teacher, stats)}
        self.history.append(rec)
        if self.best is None or rec["select_ratio"] < self.best["score"]:
            self.best = {"step": step, "score": rec["select_ratio"], "weights": self._weights()}
        return rec

    @torch.no_grad()
    def restore(self) -> None:
        """Put the best weights back into the student (a no-op when the last step was the best)."""
        if self.best is None or self.best["step"] == self.healer.step:
            return
        named = dict(self.healer.student.model.named_parameters())
        for n, v in self.best["weights"].items():
            named[n].copy_(v.to(named[n].device, named[n].dtype))

    def summary(self) -> dict:
        return {
            "every": self.every,
            "best_step": None if self.best is None else self.best["step"],
            "best_select_ratio": None if self.best is None else self.best["score"],
            "history": list(self.history),
        }
