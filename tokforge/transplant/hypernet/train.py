"""Training a hypernetwork against a frozen causal LM on tokenizers sampled on the fly.

One step: draw a batch of text windows (seeded by ``(seed, step)``), add it to the sampler's
window, sample a UnigramLM tokenizer, encode the batch with it, predict input/output rows for
the batch's tokens plus random negatives from the sampled vocabulary, and minimise

    cross-entropy of the frozen LM (softmax over those rows)
    + aux_weight * mean squared error to the original rows (tokens the original vocabulary has),

with AdamW, linear warm-up + cosine decay and gradient clipping. Optionally ``recon_steps`` steps of
the reconstruction objective (:mod:`.recon`, no LM forward) come first, with their own schedule.
Every random draw is seeded by
``(seed, step)``, so a run resumed from ``checkpoint.pt`` continues exactly as if uninterrupted.
Per-step losses go to ``log.jsonl``; the result is saved with :mod:`.io`. The settings are a
`api.HypernetConfig`; the entry point is `api.train_hypernet`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from tokforge.errors import InputError
from tokforge.io import torch_save_atomic, trim_step_log

from . import lm
from .config import CHECKPOINT, LOG, HypernetConfig
from .decompose import DecompositionCache, text_index
from .model import HyperNet, HyperNetConfig, source_matrices
from .sampler import TokenizerSampler


class TextWindows:
    """Random windows of ~``chars`` characters from a corpus, starting at a word boundary."""

    def __init__(self, texts: Sequence[str], chars: int):
        self.text = "\n".join(t for t in texts if t.strip())
        if len(self.text) < 2 * chars:
            raise InputError(
                "training corpus is too small",
                where=f"{len(self.text)} characters",
                fix=f"give at least {2 * chars} characters of text",
            )
        self.chars = chars

    def draw(self, rng: np.random.Generator, n: int) -> list[str]:
        out = []
        for s in rng.integers(0, len(self.text) - self.chars, size=n).tolist():
            b = self.text.find(" ", s, s + 64)
            s = s if b < 0 else b + 1
            out.append(self.text[s : s + self.chars])
        return out


def _lr_lambda(cfg: HypernetConfig) -> Callable[[int], float]:
    """Linear warm-up, then cosine down to 10%; the reconstruction warm-up and the LM phase each
    get their own schedule."""

    def phase(step: int, n: int) -> float:
        if step < cfg.warmup:
            return (step + 1) / cfg.warmup
        t = (step - cfg.warmup) / max(1, n - cfg.warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))

    def f(step: int) -> float:
        if step < cfg.recon_steps:
            return phase(step, cfg.recon_steps)
        return phase(step - cfg.recon_steps, cfg.steps)

    return f


def _pad(seqs: list[list[int]], seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.zeros((len(seqs), seq_len), dtype=np.int64)
    mask = np.zeros((len(seqs), seq_len), dtype=np.int64)
    for r, s in enumerate(seqs):
        s = s[:seq_len]
        ids[r, : len(s)] = s
        mask[r, : len(s)] = 1
    return ids, mask


def _with_context(net: HyperNet, old_id: int, pred_in, pred_out, ids: np.ndarray, mask: np.ndarray):
    """Append the original row ``old_id`` to the predicted rows and put it in front of every sequence."""
    ctx_in = net.src_in[old_id][None]
    pred_in2 = torch.cat([pred_in, ctx_in])
    pred_out2 = pred_in2 if net.cfg.tied else torch.cat([pred_out, net.src_out[old_id][None]])
    col = np.full((ids.shape[0], 1), pred_in.shape[0], dtype=ids.dtype)
    return pred_in2, pred_out2, np.concatenate([col, ids], 1), np.concatenate([np.ones_like(col), mask], 1)


class Trainer:
    """Holds the frozen model, the hypernetwork, the sampler and the optimiser for one run."""

    def __init__(self, model, tokenizer, texts: Sequence[str], cfg: HypernetConfig, device: str = "cpu"):
        if not isinstance(cfg, HypernetConfig):
            raise InputError(f"cfg must be a HypernetConfig, not {type(cfg).__name__}", fix="pass HypernetConfig(...)")
        self.cfg, self.device = cfg, device
        self.model, self.tokenizer = model.to(device), tokenizer
        lm.freeze(self.model)
        emb, head, tied = source_matrices(self.model)
        with torch.random.fork_rng(devices=[]):  # seeded init, global RNG state left as it was
            torch.manual_seed(cfg.seed)
            net = HyperNet(HyperNetConfig(**cfg.net_sizes()).for_model(emb.shape[1], tied), emb, head)
        self.net = net.to(device)
        self.windows = TextWindows(texts, chars=cfg.seq_len * 6)
        self.sampler = TokenizerSampler(cfg.sampler)
        self.decomp = DecompositionCache(tokenizer)
        self.old_index = text_index(tokenizer.vocab)
        self.opt = torch.optim.AdamW(self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, _lr_lambda(cfg))
        self.step = 0
        self._recon = None
        roles = tokenizer.vocab.roles
        self.context_id = roles.get("bos", roles.get("eos"))

    # -- data -------------------------------------------------------------------------------
    def batch_text(self, step: int) -> list[str]:
        return self.windows.draw(np.random.default_rng([self.cfg.seed, 0, step]), self.cfg.batch_size)

    def prefill(self, upto: int) -> None:
        """Fill the sampler's window as it stood before step ``upto`` (fresh start or resume)."""
        w = self.sampler.cfg.window
        warm = [self.windows.draw(np.random.default_rng([self.cfg.seed, 1, k]), self.cfg.batch_size) for k in range(w)]
        for t in (warm + [self.batch_text(s) for s in range(max(0, upto - w), upto)])[-w:]:
            self.sampler.add_text(t)

    def predict(self, pieces: Sequence[bytes]) -> tuple[torch.Tensor, torch.Tensor]:
        ids, lens = self.decomp(pieces)
        return self.net(torch.from_numpy(ids).to(self.device), torch.from_numpy(lens).to(self.device))

    # -- one step ---------------------------------------------------------------------------
    def losses(self, step: int) -> dict:
        text = self.batch_text(step)
        self.sampler.add_text(text)
        tok = self.sampler.sample([self.cfg.seed, 2, step])
        ids, mask = _pad(tok.encode_batch(text), self.cfg.seq_len)
        used = np.unique(ids[mask.astype(bool)])
        rng = np.random.default_rng([self.cfg.seed, 3, step])
        neg = rng.choice(len(tok), size=min(self.cfg.negatives, len(tok)), replace=False)
        cand = np.concatenate([used, np.setdiff1d(neg, used)])
        local = np.zeros(len(tok), dtype=np.int64)
        local[cand] = np.arange(len(cand))
        pieces = [tok.vocab.tokens[i] for i in cand.tolist()]
        pred_in, pred_out = self.predict(pieces)
        ids = local[ids]
        if self.context_id is not None:  # the original BOS (else EOS) row as context, as evaluation does
            pred_in, pred_out, ids, mask = _with_context(self.net, self.context_id, pred_in, pred_out, ids, mask)
        t_ids = torch.from_numpy(ids).to(self.device)
        t_mask = torch.from_numpy(mask).to(self.device)
        lm_loss = lm.next_token_loss(self.model, pred_in, pred_out, t_ids, t_mask)
        aux = self.aux_loss(pieces, pred_in, pred_out)
        return {
            "loss": lm_loss + self.cfg.aux_weight * aux,
            "lm": lm_loss,
            "aux": aux,
            "vocab": len(tok),
            "rows": len(cand),
        }

    def aux_loss(self, pieces: Sequence[bytes], pred_in: torch.Tensor, pred_out: torch.Tensor) -> torch.Tensor:
        """MSE (in units of the matrices' RMS) to the original rows of tokens both vocabularies share."""
        pairs = [(n, self.old_index[p]) for n, p in enumerate(pieces) if p in self.old_index]
        if not pairs:
            return pred_in.sum() * 0.0
        rows = torch.tensor([a for a, _ in pairs], device=self.device)
        old = torch.tensor([b for _, b in pairs], device=self.device)
        net = self.net
        loss = ((pred_in[rows] - net.src_in[old]) / net.rms_in).pow(2).mean()
        if not net.cfg.tied:
            loss = loss + ((pred_out[rows] - net.src_out[old]) / net.rms_out).pow(2).mean()
        return loss

    @property
    def total_steps(self) -> int:
        return self.cfg.recon_steps + self.cfg.steps

    def recon_losses(self, step: int) -> dict:
        from .recon import recon_loss, self_spellings

        if self._recon is None:
            self._recon = [
                torch.from_numpy(a).to(self.device) for a in self_spellings(self.tokenizer.vocab, identity=True)
            ]
        ids, spell, lens = self._recon
        pick = torch.from_numpy(
            np.random.default_rng([self.cfg.seed, 4, step]).integers(0, len(ids), size=self.cfg.recon_batch)
        ).to(self.device)
        loss = recon_loss(self.net, ids[pick], spell[pick], lens[pick])
        zero = loss.detach() * 0.0
        return {"loss": loss, "lm": zero, "aux": loss, "vocab": 0, "rows": int(pick.numel()), "phase": "recon"}

    def train_step(self) -> dict:
        self.net.train()
        t0 = time.perf_counter()
        out = self.recon_losses(self.step) if self.step < self.cfg.recon_steps else self.losses(self.step)
        self.opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        gnorm = torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.cfg.grad_clip)
        self.opt.step()
        self.sched.step()
        rec = {
            "step": self.step,
            "loss": out["loss"].item(),
            "lm": out["lm"].item(),
            "aux": out["aux"].item(),
            "lr": self.sched.get_last_lr()[0],
            "grad_norm": float(gnorm),
            "vocab": out["vocab"],
            "rows": out["rows"],
            "phase": out.get("phase", "lm"),
            "seconds": round(time.perf_counter() - t0, 3),
        }
        self.step += 1
        return rec

    # -- checkpoints --------------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "step": self.step,
            "net": self.net.state_dict(),
            "opt": self.opt.state_dict(),
            "sched": self.sched.state_dict(),
            "cfg": self.cfg.train_settings(),
            "hypernet": dataclasses.asdict(self.net.cfg),
            "sampler": dataclasses.asdict(self.sampler.cfg),
        }

    def save_checkpoint(self, path: Path) -> None:
        torch_save_atomic(self.state(), path)

    def load_checkpoint(self, path: Path) -> None:
        st = torch.load(path, map_location=self.device, weights_only=False)
        free = ("steps", "recon_steps", "save_every")  # a run may be extended or cut short on resume
        cfg = {k: v for k, v in self.cfg.train_settings().items() if k not in free}
        st["cfg"] = {k: v for k, v in st["cfg"].items() if k not in free}
        st["hypernet"] = HyperNetConfig.from_dict(st["hypernet"], str(path))  # saved as a dict
        for key, mine in (("cfg", cfg), ("hypernet", self.net.cfg), ("sampler", dataclasses.asdict(self.sampler.cfg))):
            if st[key] != mine:
                raise InputError(
                    f"checkpoint was written with other {key} settings",
                    where=str(path),
                    fix="resume with the same settings, or choose another out=DIR",
                )
        self.net.load_state_dict(st["net"])
        self.opt.load_state_dict(st["opt"])
        self.sched.load_state_dict(st["sched"])
        self.step = int(st["step"])


def run(tr: Trainer, work: Path, *, resume: bool = False, progress: bool = True, on_step=None) -> dict:
    """Train ``tr`` to its last step, checkpointing into ``work`` (continued from ``work/checkpoint.pt``
    when ``resume`` and there is one); returns the training record saved in ``config.json``."""
    ckpt = work / CHECKPOINT
    if resume and ckpt.exists():
        tr.load_checkpoint(ckpt)
    work.mkdir(parents=True, exist_ok=True)
    trim_step_log(work / LOG, tr.step) if tr.step else (work / LOG).write_text("")
    tr.prefill(tr.step)
    last = _loop(tr, work, progress, on_step)
    return {
        **tr.cfg.train_settings(),
        "sampler": dataclasses.asdict(tr.sampler.cfg),
        "device": str(tr.device),
        "final": last,
    }


def _loop(tr: Trainer, out: Path, progress: bool, on_step: Callable[[dict], None] | None) -> dict:
    from tqdm.auto import tqdm

    last: dict = {}
    bar = tqdm(total=tr.total_steps, initial=tr.step, disable=not progress, desc="hypernet", unit="step")
    with open(out / LOG, "a", encoding="utf-8") as log:
        while tr.step < tr.total_steps:
            last = tr.train_step()
            log.write(json.dumps(last) + "\n")
            log.flush()
            bar.update(1)
            bar.set_postfix(lm=f"{last['lm']:.3f}", aux=f"{last['aux']:.3f}", V=last["vocab"])
            if on_step:
                on_step(last)
            if tr.step % tr.cfg.save_every == 0 or tr.step == tr.total_steps:
                tr.save_checkpoint(out / CHECKPOINT)
    bar.close()
    return last


@torch.no_grad()
def held_out_loss(
    net: HyperNet, model, old_tokenizer, pieces: Sequence[bytes], encoded: list[list[int]], seq_len: int
) -> float:
    """Next-token cross-entropy (nats/token) of ``model`` on ``encoded`` (ids into ``pieces``) with the
    rows ``net`` predicts for the whole vocabulary ``pieces`` (full softmax)."""
    device = next(net.parameters()).device
    dec = DecompositionCache(old_tokenizer)
    ids, lens = dec(list(pieces))
    net.eval()
    pred_in, pred_out = net(torch.from_numpy(ids).to(device), torch.from_numpy(lens).to(device))
    x, m = _pad(encoded, seq_len)
    return float(
        lm.next_token_loss(model, pred_in, pred_out, torch.from_numpy(x).to(device), torch.from_numpy(m).to(device))
    )
