"""`HypernetConfig`: the settings of a hypernetwork run (training, network sizes, the tokenizer
sampler), checked on construction, and the names of a run folder's files. Torch-free: the command line
and `api` read it without importing torch; `train` and `api` both import it (no cycle between them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tokforge.errors import InputError

from .sampler import SamplerConfig

CHECKPOINT = "checkpoint.pt"
LOG = "log.jsonl"

_NET_KEYS = ("hidden", "layers", "heads", "max_len")
_SAMPLER_KEYS = ("min_vocab", "max_vocab", "max_piece_len", "noise", "window")


@dataclass(frozen=True)
class HypernetConfig:
    """Training settings, network sizes and the tokenizer sampler's settings, checked on construction.

    Training: ``steps`` LM (ZeTT) steps after ``recon_steps`` warm-up steps of the reconstruction
    objective (``recon_batch`` rows each); ``batch_size`` windows of ``seq_len`` tokens; AdamW
    (``lr``, ``weight_decay``, ``warmup``, ``grad_clip``); ``negatives`` extra vocabulary rows per step;
    ``aux_weight`` of the loss to the original rows; a checkpoint every ``save_every`` steps; ``seed``.
    Network: ``hidden``, ``layers``, ``heads``, ``max_len`` (pieces read per token). Sampler: vocabularies
    of ``min_vocab``..``max_vocab`` pieces up to ``max_piece_len`` bytes, ``noise``, a ``window`` of batches.

    >>> HypernetConfig(steps=10, hidden=64).net_sizes()["hidden"]
    64
    >>> HypernetConfig(hidden=30, heads=4)
    Traceback (most recent call last):
    ...
    tokforge.errors.InputError: hypernetwork hidden size must be divisible by its number of heads: hidden=30, heads=4
    """

    steps: int = 300
    batch_size: int = 8
    seq_len: int = 64
    lr: float = 3e-4
    weight_decay: float = 0.01
    warmup: int = 20
    grad_clip: float = 1.0
    negatives: int = 1024
    aux_weight: float = 0.1
    save_every: int = 50
    seed: int = 0
    recon_steps: int = 0
    recon_batch: int = 256
    hidden: int = 256
    layers: int = 2
    heads: int = 4
    max_len: int = 8
    min_vocab: int = 8000
    max_vocab: int = 32000
    max_piece_len: int = 16
    noise: float = 1.0
    window: int = 32

    def __post_init__(self):
        if self.recon_steps < 0:
            raise InputError("recon_steps must be >= 0", where=f"recon_steps={self.recon_steps}")
        if self.steps < 0 or self.steps + self.recon_steps < 1:
            raise InputError(
                "training needs at least one step", where=f"steps={self.steps}, recon_steps={self.recon_steps}"
            )
        for k in ("batch_size", "seq_len", "save_every", "recon_batch", *_NET_KEYS):
            if getattr(self, k) < 1:
                raise InputError(f"hypernetwork setting {k} must be at least 1", where=f"{k}={getattr(self, k)}")
        if self.seq_len < 2:
            raise InputError("seq_len must be at least 2 (next-token prediction)", where=f"seq_len={self.seq_len}")
        if self.negatives < 0:
            raise InputError("negatives must be >= 0", where=f"negatives={self.negatives}")
        if self.hidden % self.heads:
            raise InputError(
                "hypernetwork hidden size must be divisible by its number of heads",
                where=f"hidden={self.hidden}, heads={self.heads}",
            )
        self.sampler.check()

    def check(self) -> "HypernetConfig":
        """Already checked on construction; kept for symmetry with the other configs."""
        return self

    def train_settings(self) -> dict:
        """The training settings alone (what a checkpoint records as ``cfg``)."""
        skip = set(_NET_KEYS) | set(_SAMPLER_KEYS)
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in skip}

    def net_sizes(self) -> dict:
        return {k: getattr(self, k) for k in _NET_KEYS}

    @property
    def sampler(self) -> SamplerConfig:
        return SamplerConfig(**{k: getattr(self, k) for k in _SAMPLER_KEYS})
