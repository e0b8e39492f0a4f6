"""Evidence for the ZeTT-style hypernetwork: train against frozen SmolLM2-135M on CPU, then transplant
SmolLM2 to tokenizers NOT seen in training and compare bits/byte on FLORES devtest English.

    python bench/hypernet.py train   # resumable; writes $TOKFORGE_CACHE/bench/hypernet-smollm2
    python bench/hypernet.py eval    # writes bench/results/hypernet.json
    python bench/hypernet.py         # both
    python bench/hypernet.py --quick # both, a few steps into a temporary folder, 3 sentences, the 32k BPE only

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

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "hypernet.json"
CACHE = artifacts.cache_dir() / "bench"
RECON_DIR, FULL_DIR = CACHE / "hypernet-smollm2-recon", CACHE / "hypernet-smollm2"
RECON_STEPS = int(os.environ.get("HYPERNET_RECON_STEPS", "300"))
LM_STEPS = int(os.environ.get("HYPERNET_STEPS", "12"))
THREADS = 2  # torch threads (--quick: 1)
QUICK = {"recon_steps": 3, "lm_steps": 2, "limit": 3, "targets": ["bpe32k-flores-dev"], "threads": 1}  # --quick
_PART = None  # the part of the results file this process writes (None: all of it)
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

    torch.set_num_threads(THREADS)
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


def targets(only: list[str] | None = None) -> dict:
    """Tokenizers the hypernetwork never saw in training (``only``: some of them)."""
    from tokforge.loaders import load_tokenizer

    makers = {
        "bpe32k-flores-dev": lambda: load_tokenizer(bpe32k(), name="bpe32k-flores-dev"),
        "gemma3-262k": lambda: load_tokenizer("gemma3-270m"),
        # SmolLM2 + 2,048 multi-word tokens, built by the supertokens bench's recipe (common.supertokens_ext)
        "supertokens-smollm2-ext": lambda: load_tokenizer(common.supertokens_ext(2048), name="supertokens-smollm2-ext"),
    }
    return {k: make() for k, make in makers.items() if only is None or k in only}


def _row(base: dict, after: dict, t: float) -> dict:
    b, a = base["eng_Latn"], after["eng_Latn"]
    return {
        "bits_per_byte": a["bits_per_byte"],
        "vs_original": round(a["bits_per_byte"] / b["bits_per_byte"], 4),
        "tokens_per_byte": a["tokens_per_byte"],
        "plan_s": round(t, 1),
    }


def evaluate(limit: int = 40, only_targets: list[str] | None = None) -> dict:
    import copy
    import gc

    from tokforge.evaluate.bits import evaluate_languages
    from tokforge.surgery.apply import apply_plan
    from tokforge.transplant.registry import METHODS, TransplantContext, get_method

    torch.set_num_threads(THREADS)
    model, tok = models.load_causal_lm("smollm2-135m")
    texts = {"eng_Latn": corpus.read_flores(corpus.flores_dir(), "devtest", ["eng_Latn"], limit)["eng_Latn"]}
    base = evaluate_languages(model, tok, texts)
    global _PART
    only = os.environ.get("HYPERNET_METHODS")
    keep = os.environ.get("HYPERNET_TARGETS")
    _PART = f"targets {keep or 'all'}, methods {only or 'all'}" if only or keep else None
    _merge(
        lambda res: res.update(
            {
                "setup": {
                    "model": "smollm2-135m",
                    "eval": f"FLORES devtest eng_Latn, first {limit} sentences, joined by "
                    "newlines, BOS context (tokforge.evaluate.bits)",
                    "threads": THREADS,
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
    for key, new in targets(only_targets).items():
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
    HYPERNET_TARGETS/HYPERNET_METHODS may share it: each records its provenance as its own part);
    ``fresh`` starts from an empty file (a full run)."""
    res = json.loads(RESULT.read_text()) if RESULT.is_file() and not fresh else {}
    update(res)
    prov = common.make_provenance() if _PART is None else common.part_provenance(res.get("provenance"), _PART)
    common.write_json(RESULT, res, provenance=prov, indent=1)


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


def main() -> None:
    import argparse
    import tempfile

    global RESULT, RECON_DIR, FULL_DIR, RECON_STEPS, LM_STEPS, THREADS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("stage", nargs="?", default="all", choices=["train", "eval", "all"])
    ap.add_argument("--out", default=None, help="results file (default bench/results/hypernet.json)")
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK}, the hypernetwork trained into a temporary folder (never the cache); a temporary results folder",
    )
    a = ap.parse_args()
    if a.quick:
        common.set_quick()
    RESULT = common.results_path("hypernet", a.out)
    with tempfile.TemporaryDirectory(prefix="tokforge-hypernet-quick-") as tmp:
        if a.quick:
            RECON_DIR, FULL_DIR = Path(tmp) / "recon", Path(tmp) / "full"
            RECON_STEPS, LM_STEPS, THREADS = QUICK["recon_steps"], QUICK["lm_steps"], QUICK["threads"]
            a.stage = "all"  # a quick eval needs the quick training
        if a.stage in ("train", "all"):
            train()
        if a.stage in ("eval", "all"):
            evaluate(*((QUICK["limit"], QUICK["targets"]) if a.quick else ()))


if __name__ == "__main__":
    main()
