"""How a model is healed (`HealConfig`) and which of its settings a resumed run must keep.

Torch-free on purpose: the command line builds its choices from the names here, and ``tokforge
--help`` must not import torch. ``LOSS_NAMES`` are the keys of `losses.LOSSES` (a test checks they
agree). ``parse_losses("alm=1,lm=0.1")`` -> ``{"alm": 1.0, "lm": 0.1}``; unknown names list the known ones.

A `HealConfig` is checked when it is made: a bad value raises at once, with the field's name.

>>> HealConfig(rows="seen").rows
'seen'
>>> parse_losses("alm"), parse_losses("alm=1, lm=0.1")
({'alm': 1.0}, {'alm': 1.0, 'lm': 0.1})
>>> HealConfig(rows="some")
Traceback (most recent call last):
...
tokforge.errors.UnknownNameError: unknown rows mode 'some' (known: all, seen)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..errors import InputError, UnknownNameError
from ..evaluate.bits import EvalConfig

CHECKPOINT = "checkpoint.pt"  # in a run folder: the last checkpoint (`train.Healer.save_checkpoint`)
LOG = "log.jsonl"  # in a run folder: one line per step
TRAIN_MODES = ("embeddings", "embeddings+head", "all")
ROW_MODES = ("seen", "all")
LOSS_NAMES = ("lm", "alm", "bytes")  # the keys of losses.LOSSES, here without torch
DIVERGENCES = ("binary_kl", "abs", "sq")
SCHEDULES = ("linear", "rsqrt", "constant")
CALIBRATE_BY = ("shared", "pieces")
# the LM head's weight gradient under rows="seen": only for the rows the step keeps (`seen_head`), or the full
# product (the same update up to rounding; kept for measuring the difference, bench/heal_speed.py)
HEAD_GRADS = ("kept", "all")
CHUNK_MODES = ("all", "space")
PRECISIONS = ("auto", "bf16", "fp32")
CLOCKS = ("wall", "cpu")

# field -> (what it is called in an error, its choices)
CHOICES = {
    "train": ("train mode", TRAIN_MODES),
    "rows": ("rows mode", ROW_MODES),
    "head_grad": ("head gradient", HEAD_GRADS),
    "divergence": ("ALM divergence", DIVERGENCES),
    "schedule": ("learning-rate schedule", SCHEDULES),
    "calibrate_by": ("calibration grouping", CALIBRATE_BY),
    "chunks": ("chunk mode", CHUNK_MODES),
    "precision": ("precision", PRECISIONS),
    "clock": ("clock", CLOCKS),
}


def parse_losses(spec: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, w = part.partition("=")
        name = name.strip()
        if name not in LOSS_NAMES:
            raise UnknownNameError("heal loss", name, LOSS_NAMES)
        try:
            weight = float(w) if w else 1.0
        except ValueError:
            raise InputError("loss weight must be a number", where=part, fix="e.g. alm=1,lm=0.1") from None
        if weight < 0 or name in out:
            raise InputError("each loss once, with a weight >= 0", where=part)
        out[name] = weight
    if not out or not any(out.values()):
        raise InputError("no loss chosen", where=spec, fix="e.g. loss='alm', or weighted: alm=1,lm=0.1")
    return out


DEFAULT_STEPS = 200  # a run's length when neither steps nor minutes is given

# settings a resumed run may change (how long it runs, how often it saves, how much text the end evaluates)
FREE_ON_RESUME = ("steps", "minutes", "save_every", "clock", "eval_limit", "select_limit", "head_grad")
# settings that checkpoints from before them did not record, with the value those runs had
BEFORE = {
    "schedule": "constant",
    "select_every": 0,
    "calibrate_by": "shared",
    "heldout": 0.1,
    "eval": dataclasses.asdict(EvalConfig()),
    "calibrator": False,
    "calibrator_lr": 1e-4,  # irrelevant there (no calibrator); the current default, so a resume never trips on it
}


@dataclass(frozen=True)
class HealConfig:
    """How a model is healed. ``steps`` or ``minutes`` bounds the run, not both (neither: `DEFAULT_STEPS` steps)."""

    loss: str = "lm"  # "lm", "alm", "bytes" or weighted: "alm=1,lm=0.1" (lm: what every heal bench
    # ablation chose, bench/results/heal.json)
    steps: int | None = None  # DEFAULT_STEPS when minutes is not given either
    minutes: float | None = None
    batch_size: int = 8  # windows per step (all processes together)
    seq_bytes: int = 512  # bytes per window
    lr: float = 5e-3  # embedding rows (chosen on FLORES dev held-out lines)
    body_lr: float = 2e-5  # decoder body, with train="all"
    warmup: int = 10
    schedule: str = "linear"  # after warm-up: "linear" to zero at the end of steps/minutes, "rsqrt",
    # or "constant" (runs saved before this setting existed were "constant")
    grad_clip: float = 1.0
    train: str = "embeddings"  # "embeddings", "embeddings+head", "all"
    train_copied: bool = False  # also train rows copied by bytes from the original
    rows: str = "seen"  # which trainable rows a step updates: "seen" (tokens in this step's windows) or "all"
    head_grad: str = "kept"  # HEAD_GRADS: the head's weight gradient for the rows a step keeps, or all rows
    calibrate: int = 16  # training windows that fit the shared shift of rows not copied (0: no shift)
    calibrate_by: str = "shared"  # one shift for all those rows, or "pieces": one per group of rows
    # by how many original tokens spell them (`heal.calibrate.piece_groups`)
    calibrator: bool = False  # train a shared map r -> r + r W + b of the rows not copied (`heal.calibrator`)
    calibrator_lr: float = 1e-4  # its learning rate (same schedule as the rows; the heal_calibrator bench's choice
    # on dev; in an earlier sweep 1e-3 and 3e-3 left dev worse than the start after 5 steps on Gemma-3's vocabulary)
    divergence: str = "binary_kl"  # ALM: "binary_kl", "abs", "sq"
    tau: float = 1.0  # ALM binarisation temperature
    chunks: str = "all"  # ALM chunk boundaries: "all" common boundaries, or "space"
    byte_positions: int = 4  # bytes loss: sampled positions per window
    save_every: int = 50
    select_every: int = 0  # score on selection text every K steps and end with the best rows (0: off)
    seed: int = 0
    precision: str = "auto"  # "auto" (bf16 on CUDA, fp32 on CPU), "bf16", "fp32"
    clock: str = "wall"  # what minutes counts: "wall" time, or "cpu" time of this process
    # divided by its threads (fair budgets on a machine shared with others)
    heldout: float = 0.1  # share of training lines held out (by hash) to evaluate on, without eval_texts
    eval_limit: int = 40  # evaluation lines per language held out of the training text
    select_limit: int = 25  # selection lines per language read from a selection spec (the command line)
    eval: EvalConfig = field(default_factory=EvalConfig)  # how every evaluation reads its text

    def __post_init__(self) -> None:
        parse_losses(self.loss)
        for name, (kind, known) in CHOICES.items():
            if getattr(self, name) not in known:
                raise UnknownNameError(kind, getattr(self, name), known)
        self._check_budget()
        self._check_numbers()
        if not isinstance(self.calibrator, bool):
            raise InputError("calibrator must be True or False", where=f"calibrator={self.calibrator!r}")
        if not isinstance(self.eval, EvalConfig):
            raise InputError("eval must be an EvalConfig", where=type(self.eval).__name__)

    def _check_budget(self) -> None:
        if self.steps is not None and self.minutes is not None:
            raise InputError(
                "steps and minutes both bound the run: give one",
                where=f"steps={self.steps}, minutes={self.minutes}",
                fix="drop steps (a time budget) or minutes (a step budget)",
            )
        if self.steps is None and self.minutes is None:
            object.__setattr__(self, "steps", DEFAULT_STEPS)
        if self.minutes is None and self.steps < 1:
            raise InputError("heal needs steps (>= 1) or minutes", where=f"steps={self.steps}", fix="set steps=N")
        if self.minutes is not None and self.minutes <= 0:
            raise InputError("minutes must be positive", where=f"minutes={self.minutes}")

    def _check_numbers(self) -> None:
        for k in ("select_every", "calibrate", "warmup"):
            if getattr(self, k) < 0:
                raise InputError(f"{k} must be 0 (off) or a positive number", where=f"{k}={getattr(self, k)}")
        for k in ("batch_size", "save_every", "byte_positions", "eval_limit", "select_limit"):
            if getattr(self, k) < 1:
                raise InputError(f"{k} must be at least 1", where=f"{k}={getattr(self, k)}")
        for k in ("lr", "tau", "calibrator_lr"):
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or v == float("inf"):
                raise InputError(f"{k} must be positive", where=f"{k}={getattr(self, k)}")
        if self.body_lr < 0 or self.grad_clip < 0:
            raise InputError("body_lr and grad_clip must be >= 0", where=f"{self.body_lr}, {self.grad_clip}")
        if self.seq_bytes < 16:
            raise InputError("windows must hold at least 16 bytes", where=f"seq_bytes={self.seq_bytes}")
        if not 0 <= self.heldout < 1:
            raise InputError("held-out fraction must be in [0, 1)", where=f"heldout={self.heldout}")

    def check(self) -> "HealConfig":
        """Kept for old callers: a `HealConfig` is checked when it is made."""
        return self

    @property
    def weights(self) -> dict[str, float]:
        return parse_losses(self.loss)

    def resolved_precision(self, device: str) -> str:
        """``auto``: bf16 on CUDA; fp32 on CPU, where casting the full-vocabulary logits costs more than
        bf16 matmuls save (a step of SmolLM2 with Gemma-3's 262k rows: 26 s fp32 vs 37 s bf16, 2 cores)."""
        if self.precision != "auto":
            return self.precision
        return "bf16" if str(device).startswith("cuda") else "fp32"


def settings_of(cfg: HealConfig) -> dict:
    """The settings a resumed run must share with the run it continues."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in FREE_ON_RESUME}


def check_settings(saved: dict, cfg: HealConfig) -> None:
    """Refuse to resume a run whose checkpoint was written with other settings than ``cfg``."""
    saved = {k: v for k, v in {**BEFORE, **saved}.items() if k not in FREE_ON_RESUME}
    mine = settings_of(cfg)
    if saved != mine:
        diff = sorted(k for k in set(saved) | set(mine) if saved.get(k) != mine.get(k))
        raise InputError(
            "resume=True with changed settings",
            where=", ".join(diff),
            fix="resume with the settings of the first run, or start a new out=DIR",
        )
