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

from tokforge import corpus  # noqa: E402
from tokforge.loaders.hf_json import from_backend  # noqa: E402
from tokforge.supertokens import pretok, train_supertokens  # noqa: E402
from tokforge.supertokens.report import compression  # noqa: E402
from tokforge.supertokens.train import checked_lines, train_bpe  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "supertokens.json"


def split_data(tmp: Path) -> tuple[Path, list[str]]:
    ts = corpus.tinyshakespeare_path()
    fl = corpus.flores_dir()
    if ts is None or fl is None:
        sys.exit("needs ../shared/data/english/tinyshakespeare.txt and FLORES-200")
    lines = ts.read_text(encoding="utf-8").split("\n")
    cut = int(len(lines) * 0.9)
    dev = corpus.read_flores(fl, "dev", ["eng_Latn"])["eng_Latn"]
    devtest = corpus.read_flores(fl, "devtest", ["eng_Latn"])["eng_Latn"]
    train = tmp / "train.txt"
    train.write_text("\n".join(lines[:cut]) + "\n" + "\n".join(dev) + "\n", encoding="utf-8")
    held = [ln for ln in lines[cut:] + devtest if ln.strip()]
    return train, held


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="8000,16000,32000")
    ap.add_argument("--extend", type=int, default=2048, help="supertokens added to SmolLM2 (0: skip)")
    ap.add_argument("--fracs", default="0.5,0.7,0.8,0.9", help="transition sizes as fractions of the vocab size")
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
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(), "rayon_threads": os.environ["RAYON_NUM_THREADS"]}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
