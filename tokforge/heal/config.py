"""How a model is healed (`HealConfig`) and which of its settings a resumed run must keep.

Torch-free on purpose: the command line builds its choices from the names here, and ``tokforge
--help`` must not import torch. ``parse_losses("alm=1,lm=0.1")`` -> ``{"alm": 1.0, "lm": 0.1}``;
unknown names list the known ones.

>>> HealConfig(rows="seen").check().rows
'seen'
>>> parse_losses("alm"), parse_losses("alm=1, lm=0.1")
({'alm': 1.0}, {'alm': 1.0, 'lm': 0.1})
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import InputError, UnknownNameError

TRAIN_MODES = ("embeddings", "embeddings+head", "all")
ROW_MODES = ("seen", "all")
LOSSES = ("lm", "alm", "bytes")
DIVERGENCES = ("binary_kl", "abs", "sq")
SCHEDULES = ("linear", "rsqrt", "constant")
CALIBRATE_BY = ("shared", "pieces")


def parse_losses(spec: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, w = part.partition("=")
        name = name.strip()
        if name not in LOSSES:
            raise UnknownNameError("heal loss", name, LOSSES)
        try:
            weight = float(w) if w else 1.0
        except ValueError:
            raise InputError("loss weight must be a number", where=part, fix="e.g. --loss alm=1,lm=0.1") from None
        if weight < 0 or name in out:
            raise InputError("each loss once, with a weight >= 0", where=part)
        out[name] = weight
    if not out or not any(out.values()):
        raise InputError("no loss chosen", where=spec, fix="e.g. --loss alm, or --loss alm=1,lm=0.1")
    return out


FREE_ON_RESUME = ("steps", "minutes", "save_every", "clock")


@dataclass(frozen=True)
class HealConfig:
    """How a model is healed. ``steps`` or ``minutes`` bounds the run (``minutes`` wins when both)."""

    loss: str = "alm"  # "alm", "lm", "bytes" or weighted: "alm=1,lm=0.1"
    steps: int | None = 200
    minutes: float | None = None
    batch_size: int = 8  # windows per step (all processes together)
    seq_bytes: int = 512  # bytes per window
    lr: float = 5e-3  # embedding rows (chosen on FLORES dev held-out lines)
    body_lr: float = 2e-5  # decoder body, with train="all"
    warmup: int = 10
    schedule: str = "linear"  # after warm-up: "linear" to zero at the end of --steps/--minutes, "rsqrt",
    # or "constant" (runs saved before this setting existed were "constant")
    grad_clip: float = 1.0
    train: str = "embeddings"  # "embeddings", "embeddings+head", "all"
    train_copied: bool = False  # also train rows copied by bytes from the original
    rows: str = "seen"  # which trainable rows a step updates: "seen" (tokens in this step's windows) or "all"
    calibrate: int = 16  # training windows that fit the shared shift of rows not copied (0: no shift)
    calibrate_by: str = "shared"  # one shift for all those rows, or "pieces": one per group of rows
    # by how many original tokens spell them (`heal.calibrate.piece_groups`)
    divergence: str = "binary_kl"  # ALM: "binary_kl", "abs", "sq"
    tau: float = 1.0  # ALM binarisation temperature
    chunks: str = "all"  # ALM chunk boundaries: "all" common boundaries, or "space"
    byte_positions: int = 4  # bytes loss: sampled positions per window
    save_every: int = 50
    select_every: int = 0  # score on selection text every K steps and end with the best rows (0: off)
    seed: int = 0
    precision: str = "auto"  # "auto" (bf16 on CUDA, fp32 on CPU), "bf16", "fp32"
    clock: str = "wall"  # what --minutes counts: "wall" time, or "cpu" time of this process
    # divided by its threads (fair budgets on a machine shared with others)

    def check(self) -> "HealConfig":
        w = parse_losses(self.loss)
        if self.minutes is None and (self.steps is None or self.steps < 1):
            raise InputError("heal needs --steps N (>= 1) or --minutes M", where=f"steps={self.steps}")
        if self.minutes is not None and self.minutes <= 0:
            raise InputError("--minutes must be positive", where=f"minutes={self.minutes}")
        if self.train not in TRAIN_MODES:
            raise InputError(f"unknown --train {self.train!r}", fix="use one of: " + ", ".join(TRAIN_MODES))
        if self.divergence not in DIVERGENCES:
            raise InputError(f"unknown divergence {self.divergence!r}", fix="use one of: " + ", ".join(DIVERGENCES))
        if self.chunks not in ("all", "space"):
            raise InputError(f"unknown chunk mode {self.chunks!r}", fix="use all or space")
        if self.schedule not in SCHEDULES:
            raise UnknownNameError("learning-rate schedule", self.schedule, SCHEDULES)
        if self.rows not in ROW_MODES:
            raise InputError(f"unknown rows mode {self.rows!r}", fix="use one of: " + ", ".join(ROW_MODES))
        if self.clock not in ("wall", "cpu"):
            raise InputError(f"unknown clock {self.clock!r}", fix="use wall or cpu")
        if self.precision not in ("auto", "bf16", "fp32"):
            raise InputError(f"unknown precision {self.precision!r}", fix="use auto, bf16 or fp32")
        if self.select_every < 0:
            raise InputError(
                "select_every must be 0 (off) or a number of steps", where=f"select_every={self.select_every}"
            )
        if self.calibrate_by not in CALIBRATE_BY:
            raise UnknownNameError("calibration grouping", self.calibrate_by, CALIBRATE_BY)
        if self.calibrate < 0:
            raise InputError("calibrate must be 0 (off) or a number of windows", where=f"calibrate={self.calibrate}")
        for k in ("batch_size", "save_every", "byte_positions"):
            if getattr(self, k) < 1:
                raise InputError(f"{k} must be at least 1", where=f"{k}={getattr(self, k)}")
        if self.lr <= 0 or self.tau <= 0:
            raise InputError("lr and tau must be positive", where=f"lr={self.lr}, tau={self.tau}")
        if "bytes" in w and w["bytes"] > 0:
            pass  # checked against the tokenizers by the trainer (byte-level needs BPE families)
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
    # checkpoints from before a setting: a constant rate, no selection, one shared shift
    saved = {"schedule": "constant", "select_every": 0, "calibrate_by": "shared", **saved}
    mine = settings_of(cfg)
    if saved != mine:
        diff = sorted(k for k in set(saved) | set(mine) if saved.get(k) != mine.get(k))
        raise InputError(
            "--resume with changed settings",
            where=", ".join(diff),
            fix="resume with the settings of the first run, or start a new --out",
        )
