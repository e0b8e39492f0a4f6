"""Supertokens benchmark: held-out tokens of SuperBPE vs plain byte-level BPE of the same size vs
BPE without whitespace pre-tokenization (and TokenAdapt-style chunked BPE), with training times;
SmolLM2's tokenizer extended with supertokens; and SmolLM2 transplanted onto SmolLM2 + 512/2,048
supertokens (fvt, hybrid), bits/byte and tokens/byte before/after, no training.

Train: first 90% of tinyshakespeare lines + FLORES dev English. Held out: the last 10% of
tinyshakespeare + FLORES devtest English (token counts also per source). Corpus files are written
to a temporary folder outside the repo (never committed). Writes bench/results/supertokens.json.

    python bench/supertokens.py                  # 8k/16k/32k, t sweep, extend, transplant (about an hour on 2 cores)
    python bench/supertokens.py --sizes 8000 --transplant ''   # quicker
    python bench/supertokens.py --quick          # a smoke test of the same code: tiny sizes, a temporary folder
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "2")  # HF tokenizers' thread pool: 2 shared cores

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from tokforge import corpus  # noqa: E402
from tokforge.loaders.hf_json import from_backend  # noqa: E402
from tokforge.supertokens import pretok  # noqa: E402
from tokforge.supertokens.report import compression  # noqa: E402
from tokforge.supertokens.train import SuperConfig, checked_lines, train_bpe  # noqa: E402
from tokforge.supertokens.trainer import train_supertokens  # noqa: E402

# --quick: one small size, one transition, a few supertokens, a few held-out lines for the transplant, and
# the first QUICK_TRAIN_BYTES of the training text for the trainings this bench times
QUICK = {"sizes": "2000", "fracs": "0.8", "extend": 128, "transplant": "128", "transplant_limit": 5}
QUICK_TRAIN_BYTES = 200_000


def split_data(tmp: Path) -> tuple[Path, list[str]]:
    return common.supertoken_train_file(tmp)


def held_sets(held: list[str]) -> dict[str, list[str]]:
    """The held-out lines by source: tinyshakespeare's last 10% and FLORES devtest English."""
    devtest = set(corpus.read_flores(corpus.flores_dir(), "devtest", ["eng_Latn"])["eng_Latn"])
    return {
        "shakespeare_heldout": [x for x in held if x not in devtest],
        "flores_devtest_eng": [x for x in held if x in devtest],
    }


def by_set(tok, sets: dict[str, list[str]]) -> dict:
    """Held-out tokens per source (the in-domain / out-of-domain split of the saving)."""
    return {"tokens_by_set": {k: compression(tok, v)["tokens"] for k, v in sets.items()}}


def ratios(rows: list[dict]) -> None:
    """Tokens (overall and per source) relative to the first row, in place."""
    base = rows[0]
    for r in rows:
        r["tokens_vs_plain"] = round(r["tokens"] / base["tokens"], 4)
        if "tokens_by_set" in r:
            r["tokens_vs_plain_by_set"] = {
                k: round(v / base["tokens_by_set"][k], 4) for k, v in r["tokens_by_set"].items()
            }
        if "train_s" in r and "train_s" in base:
            r["train_time_vs_plain"] = round(r["train_s"] / max(base["train_s"], 1e-9), 2)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def hf_row(name, hf, held, secs, sets):
    tok = from_backend(hf, json.loads(hf.to_str()), name)
    return {
        "name": name,
        "vocab": len(tok.vocab),
        "train_s": round(secs, 2),
        **compression(tok, held),
        **by_set(tok, sets),
    }


def run_size(v: int, train: Path, held: list[str], fracs: list[float]) -> list[dict]:
    rows, sets = [], held_sets(held)
    hf, s = timed(lambda: train_bpe(checked_lines([train]), v, pretok.stage1_pretokenizer(), min_frequency=1))
    rows.append(hf_row("plain_bpe", hf, held, s, sets))
    hf, s = timed(lambda: train_bpe(checked_lines([train]), v, pretok.stage1_pretokenizer(), min_frequency=2))
    rows.append(hf_row("plain_bpe_minfreq2", hf, held, s, sets))
    hf, s = timed(lambda: train_bpe(checked_lines([train]), v, pretok.chunk_pretokenizer(), min_frequency=1))
    rows.append(hf_row("bpe_no_whitespace_pretok", hf, held, s, sets))
    for f in fracs:
        cfg = SuperConfig(transition=int(v * f))
        tok, s = timed(lambda: train_supertokens([train], v, config=cfg, progress=False))
        rows.append(
            {
                "name": f"superbpe_t{f:.2f}",
                "transition": int(v * f),
                "vocab": len(tok.vocab),
                "train_s": round(s, 2),
                **compression(tok, held),
                **by_set(tok, sets),
            }
        )
    cfg = SuperConfig(transition=int(v * 0.8), end_punct=".!?")
    tok, s = timed(lambda: train_supertokens([train], v, config=cfg, progress=False))
    rows.append(
        {
            "name": "superbpe_t0.80_end_punct",
            "transition": int(v * 0.8),
            "vocab": len(tok.vocab),
            "train_s": round(s, 2),
            **compression(tok, held),
            **by_set(tok, sets),
        }
    )
    cfg = SuperConfig(method="chunked", seed=0)
    tok, s = timed(lambda: train_supertokens([train], v, config=cfg, progress=False))
    rows.append(
        {
            "name": "chunked_seed0",
            "vocab": len(tok.vocab),
            "train_s": round(s, 2),
            **compression(tok, held),
            **by_set(tok, sets),
        }
    )
    ratios(rows)
    return rows


def run_extend(train: Path, held: list[str], extra: int) -> list[dict]:
    """SmolLM2's 49,152-token tokenizer vs the same plus ``extra`` supertokens (its merges kept)."""
    from tokforge import load_tokenizer
    from tokforge.fetch import pull

    base_dir = pull("smollm2-135m")
    base = load_tokenizer("smollm2-135m")
    sets = held_sets(held)
    cfg = SuperConfig(base=base_dir)
    tok, s = timed(lambda: train_supertokens([train], len(base.vocab) + extra, config=cfg, progress=False))
    rows = [
        {"name": "smollm2", "vocab": len(base.vocab), **compression(base, held), **by_set(base, sets)},
        {
            "name": f"smollm2+{extra}_supertokens",
            "vocab": len(tok.vocab),
            "train_s": round(s, 2),
            **compression(tok, held),
            **by_set(tok, sets),
        },
    ]
    ratios(rows)
    return rows


def run_transplant(held: list[str], extras: list[int], methods=("fvt", "hybrid"), limit: int = 200) -> dict:
    """SmolLM2 given its own tokenizer plus N supertokens (`common.supertokens_ext`): bits/byte and tokens
    per byte before/after on the first ``limit`` held-out Shakespeare lines and FLORES devtest English
    sentences (`tokforge.evaluate.bits`, one document per text), no training."""
    import copy

    from tokforge import models
    from tokforge.evaluate.bits import CONVENTION, compare, evaluate_languages
    from tokforge.loaders import load_tokenizer
    from tokforge.surgery.apply import apply_plan
    from tokforge.transplant.registry import TransplantContext, get_method

    model, tok = models.load_causal_lm("smollm2-135m")
    sets = {
        "shakespeare_heldout": held_sets(held)["shakespeare_heldout"][:limit],
        "flores_devtest_eng": corpus.read_flores(corpus.flores_dir(), "devtest", ["eng_Latn"])["eng_Latn"][:limit],
    }
    base = evaluate_languages(model, tok, sets)
    rows = []
    for extra in extras:
        new, s_build = timed(lambda: load_tokenizer(common.supertokens_ext(extra), name=f"smollm2+{extra}"))
        for method in methods:
            m = copy.deepcopy(model)
            ctx = TransplantContext(tok, new, model=m, progress=False)
            plan, s_plan = timed(lambda: get_method(method)(ctx))
            apply_plan(m, plan, new)
            after, s_eval = timed(lambda: evaluate_languages(m, new, sets))  # noqa: F821 (m is bound above)
            cmp = compare(base, after)
            rows.append(
                {
                    "supertokens": extra,
                    "vocab": len(new.vocab),
                    "method": method,
                    "comparison": cmp,
                    "tokenizer_s": round(s_build, 1),
                    "plan_s": round(s_plan, 1),
                    "eval_s": round(s_eval, 1),
                }
            )
            print(
                f"transplant +{extra} {method}: "
                + ", ".join(
                    f"{k}: tokens/byte x{v['length_ratio']}, bits/byte x{v['bpb_ratio']}" for k, v in cmp.items()
                ),
                flush=True,
            )
            del m, plan
            s_build = 0.0  # built (or read from the cache) once per size
    return {
        "model": "smollm2-135m",
        "convention": CONVENTION,
        "texts": {k: {"lines": len(v), "bytes": sum(len(x.encode()) + 1 for x in v) - 1} for k, v in sets.items()},
        "original": {
            k: {x: v[x] for x in ("bits_per_byte", "tokens_per_byte", "bytes", "tokens")} for k, v in base.items()
        },
        "rows": rows,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="8000,16000,32000")
    ap.add_argument("--extend", type=int, default=2048, help="supertokens added to SmolLM2 (0: skip)")
    ap.add_argument("--fracs", default="0.5,0.7,0.8,0.9", help="transition sizes as fractions of the vocab size")
    ap.add_argument(
        "--transplant",
        default="512,2048",
        help="put SmolLM2 + N supertokens into SmolLM2 (fvt, hybrid) and evaluate; '' to skip",
    )
    ap.add_argument("--transplant-limit", type=int, default=200, help="held-out lines per source the transplant scores")
    ap.add_argument("--out", default=None, help="results file (default bench/results/supertokens.json)")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK}; a temporary results folder")
    a = ap.parse_args()
    if a.quick:
        common.set_quick()
        for k, v in QUICK.items():
            setattr(a, k, v)
        import torch

        torch.set_num_threads(1)  # the transplant's evaluation; two threads beside another bench run slower
    out = common.results_path("supertokens", a.out)
    fracs = [float(x) for x in a.fracs.split(",")]
    with tempfile.TemporaryDirectory() as d:
        train, held = split_data(Path(d))
        if a.quick:  # whole lines only
            head = train.read_text(encoding="utf-8")[:QUICK_TRAIN_BYTES]
            train.write_text(head[: head.rfind("\n") + 1], encoding="utf-8")
        results = {
            "train_bytes": train.stat().st_size,
            "heldout_bytes": sum(len(x.encode()) + 1 for x in held),
            "heldout_lines": len(held),
            "sizes": {},
        }
        for v in [int(x) for x in a.sizes.split(",")]:
            rows = run_size(v, train, held, fracs)
            results["sizes"][str(v)] = rows
            for r in rows:
                print(
                    f"{v:>6} {r['name']:<26} vocab={r['vocab']:>6} tokens={r['tokens']:>7} x{r['tokens_vs_plain']:.3f} "
                    f"B/tok={r['bytes_per_token']:.3f} multi={r['multiword_share']:.1%} train={r['train_s']:.1f}s "
                    f"(x{r['train_time_vs_plain']:.1f})",
                    flush=True,
                )
        if a.extend:
            rows = run_extend(train, held, a.extend)
            results["extend_smollm2"] = rows
            for r in rows:
                print(
                    f"extend {r['name']:<28} vocab={r['vocab']:>6} tokens={r['tokens']:>7} x{r['tokens_vs_plain']:.3f} "
                    f"B/tok={r['bytes_per_token']:.3f} multi={r['multiword_share']:.1%}",
                    flush=True,
                )
        if a.transplant:
            extras = [int(x) for x in a.transplant.split(",")]
            results["extend_transplant"] = run_transplant(held, extras, limit=a.transplant_limit)
    results["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "rayon_threads": os.environ["RAYON_NUM_THREADS"],
    }
    results["written"] = time.strftime("%Y-%m-%d %H:%M:%S")
    results["quick"] = a.quick
    print("wrote", common.write_json(out, results))


if __name__ == "__main__":
    main()
