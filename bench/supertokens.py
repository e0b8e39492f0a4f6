"""Supertokens benchmark: held-out tokens of SuperBPE vs plain byte-level BPE of the same size vs
BPE without whitespace pre-tokenization (and TokenAdapt-style chunked BPE), with training times.

Train: first 90% of tinyshakespeare lines + FLORES dev English. Held out: the last 10% of
tinyshakespeare + FLORES devtest English. Corpus files are written to a temporary folder outside
the repo (never committed). Writes bench/results/supertokens.json.

    python bench/supertokens.py                  # 8k/16k/32k, t sweep (a few minutes on 2 cores)
    python bench/supertokens.py --sizes 8000     # quicker
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
from tokforge.supertokens import pretok, train_supertokens  # noqa: E402
from tokforge.supertokens.report import compression  # noqa: E402
from tokforge.supertokens.train import checked_lines, train_bpe  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "supertokens.json"


def split_data(tmp: Path) -> tuple[Path, list[str]]:
    return common.supertoken_train_file(tmp)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def hf_row(name, hf, held, secs):
    tok = from_backend(hf, json.loads(hf.to_str()), name)
    return {"name": name, "vocab": len(tok.vocab), "train_s": round(secs, 2), **compression(tok, held)}


def run_size(v: int, train: Path, held: list[str], fracs: list[float]) -> list[dict]:
    rows = []
    hf, s = timed(lambda: train_bpe(checked_lines([train]), v, pretok.stage1_pretokenizer(), min_frequency=1))
    rows.append(hf_row("plain_bpe", hf, held, s))
    hf, s = timed(lambda: train_bpe(checked_lines([train]), v, pretok.stage1_pretokenizer(), min_frequency=2))
    rows.append(hf_row("plain_bpe_minfreq2", hf, held, s))
    hf, s = timed(lambda: train_bpe(checked_lines([train]), v, pretok.chunk_pretokenizer(), min_frequency=1))
    rows.append(hf_row("bpe_no_whitespace_pretok", hf, held, s))
    for f in fracs:
        tok, s = timed(lambda: train_supertokens([train], v, transition=int(v * f), show_progress=False))
        rows.append({"name": f"superbpe_t{f:.2f}", "transition": int(v * f), "vocab": len(tok.vocab),
                     "train_s": round(s, 2), **compression(tok, held)})
    tok, s = timed(lambda: train_supertokens([train], v, transition=int(v * 0.8), end_punct=".!?", show_progress=False))
    rows.append({"name": "superbpe_t0.80_end_punct", "transition": int(v * 0.8), "vocab": len(tok.vocab),
                 "train_s": round(s, 2), **compression(tok, held)})
    tok, s = timed(lambda: train_supertokens([train], v, method="chunked", seed=0, show_progress=False))
    rows.append({"name": "chunked_seed0", "vocab": len(tok.vocab), "train_s": round(s, 2), **compression(tok, held)})
    base = rows[0]
    for r in rows:
        r["tokens_vs_plain"] = round(r["tokens"] / base["tokens"], 4)
        r["train_time_vs_plain"] = round(r["train_s"] / max(base["train_s"], 1e-9), 2)
    return rows


def run_extend(train: Path, held: list[str], extra: int) -> list[dict]:
    """SmolLM2's 49,152-token tokenizer vs the same plus ``extra`` supertokens (its merges kept)."""
    from tokforge import models

    base_dir = models.pull("smollm2-135m")
    base = models.load_tokenizer("smollm2-135m")
    tok, s = timed(lambda: train_supertokens([train], len(base.vocab) + extra, base=base_dir, show_progress=False))
    rows = [{"name": "smollm2", "vocab": len(base.vocab), **compression(base, held)},
            {"name": f"smollm2+{extra}_supertokens", "vocab": len(tok.vocab), "train_s": round(s, 2), **compression(tok, held)}]
    for r in rows:
        r["tokens_vs_plain"] = round(r["tokens"] / rows[0]["tokens"], 4)
    return rows


def run_transplant(held: list[str], extras: list[int], methods=("fvt", "hybrid")) -> list[dict]:
    """SmolLM2 given its own tokenizer plus N supertokens (`common.supertokens_ext`): bits/byte and tokens
    per byte before/after on the held-out Shakespeare lines and on FLORES devtest English
    (`tokforge.transplant.evaluate`), no training."""
    import copy

    from tokforge import models
    from tokforge.loaders import load_tokenizer
    from tokforge.surgery.apply import apply_plan
    from tokforge.transplant.evaluate import compare, evaluate_languages
    from tokforge.transplant.registry import TransplantContext, get_method

    model, tok = models.load_causal_lm("smollm2-135m")
    fl = corpus.flores_dir()
    sets = {"shakespeare_heldout": [x for x in held if x not in set(corpus.read_flores(fl, "devtest", ["eng_Latn"])[
        "eng_Latn"])], "eng_Latn": corpus.read_flores(fl, "devtest", ["eng_Latn"])["eng_Latn"]}
    sets = {k: v[:200] for k, v in sets.items()}
    base = evaluate_languages(model, tok, sets)
    rows = []
    for extra in extras:
        new = load_tokenizer(common.supertokens_ext(extra), name=f"smollm2+{extra}")
        for method in methods:
            m = copy.deepcopy(model)
            apply_plan(m, get_method(method)(TransplantContext(tok, new, model=m, progress=False)), new)
            cmp = compare(base, evaluate_languages(m, new, sets))
            rows.append({"supertokens": extra, "method": method, "comparison": cmp})
            print(f"transplant +{extra} {method}: " + ", ".join(f"{k}: tokens/byte x{v['length_ratio']}, bits/byte "
                                                              f"x{v['bpb_ratio']}" for k, v in cmp.items()), flush=True)
            del m
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="8000,16000,32000")
    ap.add_argument("--extend", type=int, default=2048, help="supertokens added to SmolLM2 (0: skip)")
    ap.add_argument("--fracs", default="0.5,0.7,0.8,0.9", help="transition sizes as fractions of the vocab size")
    ap.add_argument("--transplant", default="512,2048",
                    help="put SmolLM2 + N supertokens into SmolLM2 (fvt, hybrid) and evaluate; '' to skip")
    a = ap.parse_args()
    fracs = [float(x) for x in a.fracs.split(",")]
    with tempfile.TemporaryDirectory() as d:
        train, held = split_data(Path(d))
        results = {"train_bytes": train.stat().st_size, "heldout_bytes": sum(len(x.encode()) + 1 for x in held),
                   "heldout_lines": len(held), "sizes": {}}
        for v in [int(x) for x in a.sizes.split(",")]:
            rows = run_size(v, train, held, fracs)
            results["sizes"][str(v)] = rows
            for r in rows:
                print(f"{v:>6} {r['name']:<26} vocab={r['vocab']:>6} tokens={r['tokens']:>7} x{r['tokens_vs_plain']:.3f} "
                      f"B/tok={r['bytes_per_token']:.3f} multi={r['multiword_share']:.1%} train={r['train_s']:.1f}s "
                      f"(x{r['train_time_vs_plain']:.1f})", flush=True)
        if a.extend:
            rows = run_extend(train, held, a.extend)
            results["extend_smollm2"] = rows
            for r in rows:
                print(f"extend {r['name']:<28} vocab={r['vocab']:>6} tokens={r['tokens']:>7} x{r['tokens_vs_plain']:.3f} "
                      f"B/tok={r['bytes_per_token']:.3f} multi={r['multiword_share']:.1%}", flush=True)
        if a.transplant:
            results["extend_transplant"] = run_transplant(held, [int(x) for x in a.transplant.split(",")])
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(), "rayon_threads": os.environ["RAYON_NUM_THREADS"]}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
