"""The healing loop: self-distillation of a transplanted model from its original, on HF ``accelerate``.

One step: the next ``batch_size`` training windows (`data.Windows`; each process of a multi-process
run takes its share), encoded by both tokenizers with their BOS in front; the student's logits (with
gradients to its trainable rows, `student.Student`) and the teacher's (no gradients); the chosen
losses (`losses`) averaged over windows; one optimiser step (`student.RowAdam` for embedding rows and,
with ``calibrator=True``, for the calibrator's maps at their own rate; AdamW for the body with
``train="all"``) after a linear warm-up. ``accelerate launch -m tokforge heal
...`` runs the same loop data-parallel: gradients are averaged over processes, and since every loss
is a mean over windows and every process gets as many windows, the result matches one process.

A checkpoint is written every ``save_every`` steps; a resumed run continues exactly (same windows,
same optimiser state). Every step is a line of ``log.jsonl``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..errors import InputError
from ..io import torch_save_atomic
from . import losses as L
from .config import CHECKPOINT, LOG, HealConfig, check_settings, settings_of
from .student import RowAdam, Student, lr_factor


def checkpoint_settings(path: Path) -> dict:
    """The settings stored in a checkpoint (read before anything is written on resume)."""
    return torch.load(path, map_location="cpu", weights_only=False)["settings"]


def encode_windows(tokenizer, windows: list[str], device) -> tuple[torch.Tensor, torch.Tensor, list[int], list]:
    """(input ids ``[B, T]`` with the BOS (else EOS) in front, mask, token counts, token ids per window)."""
    ctx = tokenizer.bos_id if tokenizer.bos_id is not None else tokenizer.eos_id
    if ctx is None:
        raise InputError("tokenizer has neither a BOS nor an EOS token to start windows with", where=tokenizer.name)
    ids = tokenizer.encode_batch(windows)
    T = 1 + max(len(x) for x in ids)
    inp = torch.zeros(len(ids), T, dtype=torch.long)
    mask = torch.zeros(len(ids), T, dtype=torch.long)
    for r, x in enumerate(ids):
        inp[r, : len(x) + 1] = torch.tensor([ctx] + x)
        mask[r, : len(x) + 1] = 1
    return inp.to(device), mask.to(device), [len(x) for x in ids], ids


class Healer:
    """Student, teacher, data and optimisers for one run (one per process).

    ``student`` and ``teacher`` are ``(model, Tokenizer)`` pairs; ``rows`` is ``(input rows, output rows
    or None)`` that train (`api.trainable_rows`); ``calibrated``: the rows the calibrator moves (with
    ``cfg.calibrator``: the rows not copied by bytes, `api.calibrated_rows`)."""

    def __init__(self, student, teacher, windows, cfg: HealConfig, rows, accelerator, *, calibrated=None):
        (model, tokenizer), (teacher_model, teacher_tokenizer) = student, teacher
        self.cfg, self.acc = cfg, accelerator
        self.device = accelerator.device
        self.precision = cfg.resolved_precision(str(self.device))
        self.tok, self.t_tok = tokenizer, teacher_tokenizer
        self.teacher = teacher_model.to(self.device).eval()
        self._flags = [(p, p.requires_grad) for p in self.teacher.parameters()]
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        self.weights = cfg.weights
        model = model.to(self.device).eval()  # eval: no dropout; the loss decides what learns
        self.rows = rows
        trainable_in, trainable_out = rows
        self.student = Student(
            model,
            torch.as_tensor(trainable_in),
            None if trainable_out is None else torch.as_tensor(trainable_out),
            train_body=cfg.train == "all",
            calibrated=calibrated if cfg.calibrator else None,
        )
        self._optimisers()
        self._originals: list = []
        if self.precision == "bf16":  # frozen weights held in bf16 while training: no per-step casts
            self._originals += _to_bf16(self.teacher, keep=())
            if cfg.train != "all":
                keep = self.student.row_params() + self.student.calibrator_params()
                self._originals += _to_bf16(self.student.model, keep=keep)
        self.student_ddp = accelerator.prepare_model(self.student)
        rows = (self.student.model.get_output_embeddings() or self.student.model.get_input_embeddings()).weight.shape[0]
        self.s_fb = L.first_byte_table(tokenizer.vocab, rows).to(self.device)
        self.t_fb = L.first_byte_table(
            teacher_tokenizer.vocab, self.teacher.get_output_embeddings().weight.shape[0]
        ).to(self.device)
        self.windows = windows
        self.step = 0
        self.skipped = 0
        # rows whose tokens were in some step's student inputs (this process's; united over processes by
        # `sync_shown` before every checkpoint); unknown after resuming a checkpoint that lacks it
        self.shown = torch.zeros(self.student.emb.shape[0], dtype=torch.bool, device=self.device)
        self.shown_known = True
        self.selector = None  # select.BestRows, when the run keeps its best rows (`api._train` sets it)
        self.byte_kl = None
        if self.weights.get("bytes"):
            from .bytes_loss import ByteKL

            self.byte_kl = ByteKL(
                self.student, tokenizer, self.teacher, teacher_tokenizer, cfg.byte_positions, call=self.student_ddp
            )

    def _optimisers(self) -> None:
        cfg = self.cfg
        self.row_opt = RowAdam(self.student.row_params(), lr=cfg.lr)
        body = self.student.body_params()
        self.body_opt = torch.optim.AdamW(body, lr=cfg.body_lr, weight_decay=0.0) if body else None
        cal = self.student.calibrator_params()
        self.cal_opt = RowAdam(cal, lr=cfg.calibrator_lr) if cal else None  # after the others: checkpoint order
        self.base_lrs = [cfg.lr] + ([cfg.body_lr] if self.body_opt is not None else [])
        self.base_lrs += [cfg.calibrator_lr] if self.cal_opt is not None else []
        self.lr = 0.0  # the row learning rate of the last step

    def restore(self) -> None:
        """Give frozen weights held in bfloat16 their exact float32 values back (teacher and student), and
        the teacher its own requires_grad flags."""
        self.student.unlimit()
        for p, data in self._originals:
            p.data = data
        self._originals = []
        for p, flag in self._flags:  # the teacher is the caller's model: leave it as it came
            p.requires_grad_(flag)
        self._flags = []

    @property
    def opts(self) -> list:
        return [o for o in (self.row_opt, self.body_opt, self.cal_opt) if o is not None]

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")

    def seen_rows(self, ids: torch.Tensor) -> torch.Tensor | None:
        """With ``rows="seen"``: a bool mask of the rows whose tokens occur in this step's student inputs,
        on every process (the union over processes, so data-parallel replicas stay equal); else None."""
        if self.cfg.rows != "seen":
            return None
        seen = torch.zeros(self.student.emb.shape[0], dtype=torch.float32, device=self.device)
        seen[ids.flatten()] = 1.0
        return self.acc.reduce(seen, "sum") > 0

    def teacher_reading(self, windows: list[str]) -> tuple:
        """(input ids, token counts, ids, float32 logits) of the teacher on ``windows``, without gradients."""
        t_inp, t_mask, t_n, t_ids = encode_windows(self.t_tok, windows, self.device)
        with torch.no_grad(), self._autocast():
            t_logits = self.teacher(input_ids=t_inp, attention_mask=t_mask).logits.float()
        return t_inp, t_n, t_ids, t_logits

    def losses(self, windows: list[str]) -> dict:
        """Loss terms of this process's windows (each a mean over windows, `losses.LOSSES`), plus counts
        for the log."""
        w = self.weights
        s_inp, s_mask, s_n, s_ids = encode_windows(self.tok, windows, self.device)
        seen = self.seen_rows(s_inp)  # a collective; None unless rows="seen"
        kept = seen is not None and self.cfg.head_grad == "kept"
        self.student.limit_rows(seen.nonzero()[:, 0] if kept else None)
        with self._autocast():
            s_logits = self.student_ddp(s_inp, s_mask)
        s_lsm = [torch.log_softmax(s_logits[b, : s_n[b] + 1], -1) for b in range(len(windows))]
        s_lp = [L.token_logprobs(lsm, s_inp[b], s_n[b]) for b, lsm in enumerate(s_lsm)]
        step = L.Step(self, windows, s_inp, s_n, s_ids, s_lsm, s_lp)
        out = {k: L.LOSSES[k](step) for k in w if w[k]}
        self.skipped += step.skipped
        out["loss"] = sum(w[k] * out[k] for k in list(out))
        out["_counts"] = {
            "nll_nats": -sum(float(lp.detach().sum()) for lp in s_lp),
            "tokens": sum(s_n),
            "bytes": sum(len(t.encode("utf-8")) for t in windows),
            "chunks": step.chunks,
        }
        out["_seen"] = seen
        self.shown[s_inp[s_mask.bool()]] = True
        return out

    def set_lr(self, done: float) -> None:
        """Learning rates of the coming step (`lr_factor`; ``done``: share of the budget used so far)."""
        f = lr_factor(self.cfg.schedule, self.cfg.warmup, self.step, done)
        for o, base in zip(self.opts, self.base_lrs):
            for g in o.param_groups:
                g["lr"] = base * f
        self.lr = self.cfg.lr * f

    def train_step(self, windows: list[str], done: float = 0.0) -> dict:
        """One optimiser step on this process's ``windows``; ``done`` is the share of the budget used
        before it (the ``linear`` schedule's clock)."""
        t0 = time.perf_counter()
        self.set_lr(done)
        out = self.losses(windows)
        for o in self.opts:
            o.zero_grad(set_to_none=True)
        self.acc.backward(out["loss"])
        self.student.mask_grads(out.pop("_seen"))
        params = [p for p in self.student.parameters() if p.requires_grad]
        gnorm = self.acc.clip_grad_norm_(params, self.cfg.grad_clip) if self.cfg.grad_clip else torch.tensor(0.0)
        for o in self.opts:
            o.step()
        c = out.pop("_counts")
        stats = torch.tensor(
            [c["nll_nats"], c["tokens"], c["bytes"], c["chunks"]], dtype=torch.float64, device=self.device
        )
        stats = self.acc.reduce(stats, "sum")
        rec = {
            "step": self.step,
            **{k: round(float(self.acc.reduce(v.detach().float(), "mean")), 6) for k, v in out.items()},
            "train_bits_per_byte": round(float(stats[0] / stats[2] / np.log(2)), 5),
            "tokens": int(stats[1]),
            "chunks": int(stats[3]),
            "grad_norm": round(float(gnorm), 4),
            "lr": self.lr,
            "seconds": round(time.perf_counter() - t0, 3),
        }
        self.step += 1
        return rec

    def sync_shown(self) -> None:
        """Unite ``shown`` over processes (a collective: call on every process)."""
        self.shown = self.acc.reduce(self.shown.float(), "sum") > 0

    def trained_rows(self) -> np.ndarray | None:
        """Bool per student row: its token was in the inputs of some step, on any process; None when
        unknown (resumed from a checkpoint that did not record it). A collective: call on every process."""
        self.sync_shown()
        return self.shown.cpu().numpy() if self.shown_known else None

    # -- checkpoints ---------------------------------------------------------------------------
    def settings(self) -> dict:
        return settings_of(self.cfg)

    def state(self) -> dict:
        return {
            "step": self.step,
            "settings": self.settings(),
            "weights": {n: p.detach().cpu() for n, p in self.student.model.named_parameters() if p.requires_grad},
            "opts": [o.state_dict() for o in self.opts],
            "skipped": self.skipped,
            "shown": self.shown.nonzero()[:, 0].cpu(),
            **({"select": self.selector.state(self.step)} if self.selector is not None else {}),
        }

    def save_checkpoint(self, path: Path) -> None:
        torch_save_atomic(self.state(), path)

    def load_checkpoint(self, path: Path) -> None:
        st = torch.load(path, map_location=self.device, weights_only=False)
        check_settings(st["settings"], self.cfg)
        with torch.no_grad():
            named = dict(self.student.model.named_parameters())
            for n, v in st["weights"].items():
                named[n].copy_(v)
        for o, s in zip(self.opts, st["opts"]):
            o.load_state_dict(s)
        self.step, self.skipped = int(st["step"]), int(st.get("skipped", 0))
        if self.selector is not None:
            self.selector.load_state(st["select"], st["weights"])
        self.shown.zero_()
        self.shown_known = "shown" in st
        if self.shown_known:
            self.shown[st["shown"].to(self.device)] = True


def _to_bf16(model, keep) -> list:
    """Hold the float32 weights of ``model`` (except ``keep``) in bfloat16; returns (param, original)
    pairs for `Healer.restore`, which puts the exact original weights back."""
    keep = {id(p) for p in keep}
    saved = []
    for p in model.parameters():
        if id(p) not in keep and p.dtype == torch.float32:
            saved.append((p, p.data))
            p.data = p.data.to(torch.bfloat16)
    return saved


class _Budget:
    """How much of a run's budget (``steps``, or ``minutes`` on the chosen clock) is used; the time
    spent scoring selection text is not counted."""

    def __init__(self, healer: Healer):
        cfg = healer.cfg
        self.healer = healer
        self.seconds = cfg.minutes * 60 if cfg.minutes is not None else None
        self.total = None if self.seconds is not None else cfg.steps
        self.clock = _clock(cfg.clock)
        self.start = self.clock()

    def used(self) -> float:
        """Share of the budget used before the next step (every process agrees: the largest share)."""
        h = self.healer
        if self.seconds is None:
            return h.step / self.total
        share = torch.tensor((self.clock() - self.start) / self.seconds, device=h.device)
        return float(h.acc.reduce(share, "max"))

    def left(self) -> str:
        return f"{max(0.0, self.seconds - (self.clock() - self.start)) / 60:.1f}min"

    def paused(self, fn):
        """``fn()``, with its time left out of the budget."""
        c = self.clock()
        out = fn()
        self.start += self.clock() - c
        return out


def run(healer: Healer, out: Path, progress: bool = True, on_step: Callable[[dict], None] | None = None) -> dict:
    """Train until ``steps`` or ``minutes``; checkpoint and log on the main process. Returns the last record.

    ``healer.selector`` (`select.BestRows`, if set) scores the student before the first step, every
    ``selector.every`` steps and after the last; its time does not count against ``minutes``."""
    from ..progress import bar

    acc, selector = healer.acc, healer.selector
    main = acc.is_main_process
    budget = _Budget(healer)
    t_start = time.perf_counter()
    if selector is not None and not selector.history:
        budget.paused(lambda: selector.score(healer.step))
    log = open(out / LOG, "a", encoding="utf-8") if main else None
    try:
        with bar(budget.total, "heal", enabled=progress and main, unit="steps", initial=healer.step) as b:
            last = _steps(healer, budget, b, log, out, on_step)
    finally:
        if log is not None:
            log.close()
    if selector is not None and selector.history[-1]["step"] != healer.step:
        budget.paused(lambda: selector.score(healer.step))
    healer.sync_shown()
    if main:
        healer.save_checkpoint(out / CHECKPOINT)
    acc.wait_for_everyone()
    last["train_seconds"] = round(time.perf_counter() - t_start, 1)
    last["budget_clock_seconds"] = round(budget.clock() - budget.start, 1)
    return last


def _steps(healer: Healer, budget: _Budget, b, log, out: Path, on_step) -> dict:
    """The loop of `run`: one step at a time until the budget is used; returns the last record."""
    batches = healer.windows.batches(
        healer.cfg.batch_size, healer.step, healer.acc.process_index, healer.acc.num_processes
    )
    selector = healer.selector
    last: dict = {}
    t_start = time.perf_counter()
    done_tokens = 0
    while budget.total is None or healer.step < budget.total:
        done = budget.used()
        if done >= 1.0:
            break
        last = healer.train_step(next(batches), done)
        done_tokens += last["tokens"]
        if selector is not None and healer.step % selector.every == 0:
            last["select_ratio"] = budget.paused(lambda: selector.score(healer.step))["select_ratio"]
        if log is not None:
            log.write(json.dumps(last) + "\n")
            log.flush()
        b.update(1)
        post = {
            "loss": last["loss"],
            "bits/byte": last["train_bits_per_byte"],
            "tok/s": round(done_tokens / max(time.perf_counter() - t_start, 1e-9)),
        }
        if budget.seconds is not None:
            post["left"] = budget.left()
        b.set_postfix(**post)
        if healer.step % healer.cfg.save_every == 0:
            healer.sync_shown()  # every process: the checkpoint holds the rows all of them showed
            if healer.acc.is_main_process:
                healer.save_checkpoint(out / CHECKPOINT)
        if on_step:
            on_step(last)
    return last


def _clock(kind: str):
    """Seconds of wall time, or of this process's CPU time per torch thread (``cpu``)."""
    if kind == "wall":
        return time.perf_counter
    threads = max(1, torch.get_num_threads())
    return lambda: time.process_time() / threads
