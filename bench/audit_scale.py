"""Corpus pass at scale: ``tokforge audit --corpus hf:DIR`` on ~1 GB vs raw ``encode_batch``.

The corpus is FLORES-200 (dev + devtest, 204 languages) repeated with a different sentence
order in every copy (seeded shuffles), written as JSON-lines files (``text``, ``lang``) into the
tokforge cache folder (``$TOKFORGE_CACHE/bench/audit_scale/``), never into the repository.

Both sides run as fresh processes over the same files, read the same way (the same streaming
reader, the same 16,384-row batches):

* raw: ``Tokenizer.encode_batch`` of every batch, results dropped;
* audit: ``tokforge audit TOK --corpus hf:DIR --lang-column lang --reference none`` (every corpus
  metric per language, the vocabulary part, the report files).

Reported: MB/s of each, the ratio (goal <= 1.3) and the peak RSS of each process (goal < 2 GB
for the audit, whatever the corpus size). Results: ``bench/results/audit_scale.json``.

Run: ``python -m bench audit_scale`` (or ``python bench/audit_scale.py [--mb 1000] [--tokenizer gpt2]``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import bench.common  # noqa: E402,F401  (sets $TOKFORGE_DATA when unset)


def build_corpus(mb: int, seed: int = 0) -> Path:
    """~``mb`` MB of JSON lines from FLORES repeated in shuffled orders (cached; rebuilt if absent)."""
    from tokforge import artifacts, corpus

    out = artifacts.cache_dir() / "bench" / "audit_scale" / f"flores-x-{mb}mb-seed{seed}"
    if (out / "DONE").is_file():
        return out
    flores = corpus.flores_dir()
    if flores is None:
        raise SystemExit("no FLORES-200 (expected $TOKFORGE_DATA/flores200)")
    rows = []
    for split in ("dev", "devtest"):
        for lang, lines in corpus.read_flores(flores, split).items():
            rows += [json.dumps({"text": s, "lang": lang}, ensure_ascii=False) + "\n" for s in lines]
    one = sum(len(r.encode()) for r in rows)
    copies = max(1, round(mb * 1e6 / one))
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for c in range(copies):
        rng.shuffle(rows)  # a different sentence (and language) order in every copy
        with open(out / f"part-{c:03d}.jsonl", "w", encoding="utf-8") as f:
            f.writelines(rows)
    (out / "DONE").write_text(f"{copies} copies of {one} bytes\n")
    return out


def child(mode: str, data: Path, tok_name: str, out_dir: Path) -> dict:
    """One measured side, in this (fresh) process."""
    t, c = time.perf_counter(), time.process_time()
    text_bytes = 0
    if mode == "raw":
        from tokforge import load_tokenizer
        from tokforge.audit.hf_source import HFCorpus

        tok = load_tokenizer(tok_name)
        for _, lines, _ in HFCorpus(str(data), lang_column="lang").iter_batches():
            tok.encode_batch(lines)
    else:
        from tokforge_cli.main import main

        os.environ["TOKFORGE_PROGRESS"] = "0"
        rc = main(
            [
                "audit",
                tok_name,
                "--corpus",
                f"hf:{data}",
                "--lang-column",
                "lang",
                "--reference",
                "none",
                "--no-reachability",
                "--out",
                str(out_dir),
            ]
        )
        if rc != 0:
            raise SystemExit(f"audit exited {rc}")
        rep = json.loads((out_dir / "report.json").read_text())
        text_bytes = rep["corpus"]["bytes"]
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB -> MB on Linux
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(rss, 1),
        "text_bytes": text_bytes,
        "mb_per_s": round(text_bytes / 1e6 / wall, 3),
    }


def run_child(mode: str, data: Path, tok: str, out_dir: Path) -> dict:
    r = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--data", str(data), "--tokenizer", tok, "--out-dir", str(out_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=1000, help="corpus size in MB of JSON lines")
    ap.add_argument("--tokenizer", default="gpt2")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--child", choices=["raw", "audit"])
    ap.add_argument("--data")
    ap.add_argument("--out-dir")
    a = ap.parse_args()
    os.environ.setdefault("RAYON_NUM_THREADS", str(a.threads))
    if a.child:
        print(json.dumps(child(a.child, Path(a.data), a.tokenizer, Path(a.out_dir))))
        return
    import tempfile

    data = build_corpus(a.mb)
    size = sum(f.stat().st_size for f in data.glob("*.jsonl"))
    runs = {"raw": [], "audit": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(a.repeat):  # interleaved
            for mode in ("raw", "audit"):
                r = run_child(mode, data, a.tokenizer, Path(tmp) / "audit")
                print(mode, r, flush=True)
                runs[mode].append(r)
    best = {k: min(v, key=lambda r: r["wall_s"]) for k, v in runs.items()}
    text = best["audit"]["text_bytes"]  # the raw side does not count bytes (it would slow it down)
    best["raw"].update(text_bytes=text, mb_per_s=round(text / 1e6 / best["raw"]["wall_s"], 3))
    res = {
        "tokenizer": a.tokenizer,
        "corpus": f"FLORES-200 dev+devtest x {len(list(data.glob('*.jsonl')))} shuffled copies, JSON lines",
        "file_mb": round(size / 1e6, 1),
        "text_mb": round(best["audit"]["text_bytes"] / 1e6, 1),
        "repeat": a.repeat,
        "threads": a.threads,
        "raw_encode_batch": best["raw"],
        "audit": best["audit"],
        "ratio_wall": round(best["audit"]["wall_s"] / best["raw"]["wall_s"], 3),
        "ratio_cpu": round(best["audit"]["cpu_s"] / best["raw"]["cpu_s"], 3),
        "goal_ratio": 1.3,
        "goal_peak_rss_mb": 2048,
        "note": "both sides read the same files with the same streaming reader in 16,384-row batches; raw drops "
        "the ids, audit computes every per-language metric and writes the report",
    }
    res["ratio_met"] = res["ratio_wall"] <= 1.3
    res["rss_met"] = best["audit"]["peak_rss_mb"] < 2048
    from bench.common import write_results

    write_results("audit_scale", res)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
