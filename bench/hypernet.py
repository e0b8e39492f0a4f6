"""Evidence for the ZeTT-style hypernetwork: train against frozen SmolLM2-135M on CPU, then transplant
SmolLM2 to tokenizers NOT seen in training and compare bits/byte on FLORES devtest English.

    python bench/hypernet.py train   # resumable; writes $TOKFORGE_CACHE/bench/hypernet-smollm2
    python bench/hypernet.py eval    # writes bench/results/hypernet.json
    python bench/hypernet.py         # both

Training text: FLORES-200 *dev* English + the first 300 kB of tinyshakespeare (the evaluation uses
*devtest*). Unseen tokenizers: a 32k byte-level BPE trained here on FLORES dev text of 8 languages
(`common.bpe32k`, shared with the transplant bench), Gemma-3's 262k SentencePiece vocabulary, and a
supertoken tokenizer (SmolLM2 + 2,048 supertokens, built here by `common.supertokens_ext`).
Methods side by side: original, mean, fvt,
TokenAdapt hybrid (when registered), hypernet. Threads: 2 (shared machine); step time is printed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from tokforge import artifacts, corpus, models
from tokforge.io import atomic_write_text

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "hypernet.json"
CACHE = artifacts.cache_dir() / "bench"
RECON_DIR, FULL_DIR = CACHE / "hypernet-smollm2-recon", CACHE / "hypernet-smollm2"
RECON_STEPS = int(os.environ.get("HYPERNET_RECON_STEPS", "300"))
LM_STEPS = int(os.environ.get("HYPERNET_STEPS", "12"))
TRAIN = dict(
    batch_size=4, seq_len=48, lr=1e-3, warmup=20, negatives=512, aux_weight=0.1, save_every=5, seed=0, recon_batch=256
)
NET = dict(hidden=128, layers=2, heads=4, max_len=8)
SAMPLER = dict(min_vocab=4000, max_vocab=32000, window=32)


def training_texts() -> list[str]:
    fl = corpus.flores_dir()
    texts = corpus.read_flores(fl, "dev", ["eng_Latn"])["eng_Latn"] if fl else []
    sh = corpus.tinyshakespeare_path()
    if sh:
        texts += [ln for ln in corpus.read_text(sh)[:300_000].split("\n\n") if ln.strip()]
    return texts


def train() -> dict:
    """Phase 1: reconstruction warm-up only (no LM forward). Phase 2: resume it with the ZeTT LM objective."""
    import shutil

    from tokforge.transplant.hypernet.api import train_hypernet
    from tokforge.transplant.hypernet.config import CHECKPOINT, HypernetConfig

    torch.set_num_threads(2)
    pair = models.load_causal_lm("smollm2-135m")
    texts, times = training_texts(), {}
    sizes = {**NET, **SAMPLER, **TRAIN}
    t0 = time.time()
    recon = HypernetConfig(steps=0, recon_steps=RECON_STEPS, **sizes)
    train_hypernet(pair, texts, config=recon, out=RECON_DIR, resume=True)
    times["recon_s"] = time.time() - t0
    if not (FULL_DIR / CHECKPOINT).exists():
        FULL_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copy(RECON_DIR / CHECKPOINT, FULL_DIR / CHECKPOINT)
        shutil.copy(RECON_DIR / "log.jsonl", FULL_DIR / "log.jsonl")
    t0 = time.time()
    full = HypernetConfig(steps=LM_STEPS, recon_steps=RECON_STEPS, **sizes)
    train_hypernet(pair, texts, config=full, out=FULL_DIR, resume=True)
    times["lm_s"] = time.time() - t0
    print(f"trained: {times}", file=sys.stderr)
    return times


def bpe32k() -> Path:
    """The shared 32k FLORES-dev BPE (bench/common.py)."""
    return common.bpe32k(corpus.flores_dir())


def targets() -> dict:
    """Tokenizers the hypernetwork never saw in training."""
    from tokforge.loaders import load_tokenizer

    out = {
        "bpe32k-flores-dev": load_tokenizer(bpe32k(), name="bpe32k-flores-dev"),
        "gemma3-262k": load_tokenizer("gemma3-270m"),
    }
    # SmolLM2 + 2,048 multi-word tokens, built by the supertokens bench's recipe (common.supertokens_ext)
    out["supertokens-smollm2-ext"] = load_tokenizer(common.supertokens_ext(2048), name="supertokens-smollm2-ext")
    return out


def _row(base: dict, after: dict, t: float) -> dict:
    b, a = base["eng_Latn"], after["eng_Latn"]
    return {
        "bits_per_byte": a["bits_per_byte"],
        "vs_original": round(a["bits_per_byte"] / b["bits_per_byte"], 4),
        "tokens_per_byte": a["tokens_per_byte"],
        "plan_s": round(t, 1),
    }


def evaluate(limit: int = 40) -> dict:
    import copy
    import gc

    from tokforge.evaluate.bits import evaluate_languages
    from tokforge.surgery.apply import apply_plan
    from tokforge.transplant.registry import METHODS, TransplantContext, get_method

    torch.set_num_threads(2)
    model, tok = models.load_causal_lm("smollm2-135m")
    texts = {"eng_Latn": corpus.read_flores(corpus.flores_dir(), "devtest", ["eng_Latn"], limit)["eng_Latn"]}
    base = evaluate_languages(model, tok, texts)
    only = os.environ.get("HYPERNET_METHODS")
    keep = os.environ.get("HYPERNET_TARGETS")
    _merge(
        lambda res: res.update(
            {
                "setup": {
                    "model": "smollm2-135m",
                    "eval": f"FLORES devtest eng_Latn, first {limit} sentences, joined by "
                    "newlines, BOS context (tokforge.evaluate.bits)",
                    "threads": 2,
                    "train": _trained_with(),
                    "train_log": _train_summary(),
                },
                "original": base["eng_Latn"],
            }
        ),
        fresh=not only and not keep,
    )
    methods = ["mean", "fvt", "hypernet-recon", "hypernet"] + (["hybrid"] if "hybrid" in METHODS else [])
    methods = [m for m in methods if not only or m in only.split(",")]
    for key, new in targets().items():
        if keep and key not in keep.split(","):
            continue
        for name in methods:
            # only the hypernet methods take this option (unknown options are errors)
            opts = (
                {"hypernet": str(RECON_DIR if name == "hypernet-recon" else FULL_DIR)}
                if name.startswith("hypernet")
                else {}
            )
            ctx = TransplantContext(tok, new, model=model, options=opts, progress=False)
            t = time.perf_counter()
            plan = get_method("hypernet" if name.startswith("hypernet") else name)(ctx)
            t = time.perf_counter() - t
            m = copy.deepcopy(model)
            apply_plan(m, plan, new)
            row = _row(base, evaluate_languages(m, new, texts), t)
            print(f"{key} {name}: {row}", file=sys.stderr, flush=True)
            _merge(
                lambda res: (
                    res.setdefault("targets", {}).setdefault(key, {"vocab_size": len(new.vocab)}).update({name: row})
                )
            )
            del m, plan
            gc.collect()


def _merge(update, fresh: bool = False) -> None:
    """Re-read the results file, apply ``update`` and write it back (several eval runs restricted by
    HYPERNET_TARGETS/HYPERNET_METHODS may share it); ``fresh`` starts from an empty file (a full run)."""
    res = json.loads(RESULT.read_text()) if RESULT.is_file() and not fresh else {}
    update(res)
    atomic_write_text(RESULT, json.dumps(res, indent=1) + "\n")


def _trained_with() -> dict:
    """The options the evaluated hypernetwork was really trained with (from its config.json)."""
    from tokforge.transplant.hypernet.io import read_config

    for d in (FULL_DIR, RECON_DIR):
        if (d / "config.json").is_file():
            cfg = read_config(d)
            return {**cfg["training"], "net": cfg["hypernet"], "folder": d.name}
    return {}


def _train_summary() -> dict:
    """First/last losses of both training phases and the mean step time, from the training logs."""
    out = {}
    for name, d in (("recon", RECON_DIR), ("lm", FULL_DIR)):
        p = d / "log.jsonl"
        if not p.is_file():
            continue
        rows = [json.loads(ln) for ln in p.read_text().splitlines() if ln]
        rows = [r for r in rows if r.get("phase", "lm") == name]
        if rows:
            key = "aux" if name == "recon" else "lm"
            out[name] = {
                "steps": len(rows),
                f"first_{key}": rows[0][key],
                f"last_{key}": rows[-1][key],
                "mean_step_s": round(sum(r["seconds"] for r in rows) / len(rows), 2),
                "total_s": round(sum(r["seconds"] for r in rows), 1),
            }
            if name == "lm" and all("vocab" in r for r in rows):
                out[name]["sampled_vocab_min"] = min(r["vocab"] for r in rows)
                out[name]["sampled_vocab_max"] = max(r["vocab"] for r in rows)
            if name == "lm" and all("aux" in r for r in rows):
                out[name]["first_aux"], out[name]["last_aux"] = rows[0]["aux"], rows[-1]["aux"]
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stage", nargs="?", default="all", choices=["train", "eval", "all"])
    stage = ap.parse_args().stage
    if stage in ("train", "all"):
        train()
    if stage in ("eval", "all"):
        evaluate()
