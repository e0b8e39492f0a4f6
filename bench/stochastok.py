"""StochasTok throughput against a faithful re-implementation of the reference algorithm.

For each tokenizer, real FLORES-200 text (several languages) is encoded, cut into documents of
1k, 8k and 64k tokens and expanded with p = 0.1:

* ``reference``: the published algorithm (``int(p*n)`` attempts; each picks a random position
  of the current list with ``numpy.random.randint`` and, if that token has splits, a random
  split with ``random.choice``, then rebuilds the list) on Python lists, seeded here.
  Quadratic: every split copies the whole list.
* ``ours_single``: ``StochasTok.expand`` called once per document (numpy array in and out).
* ``ours_batch``: ``StochasTok.expand_batch`` over all documents of that length (what the
  datasets integration does with ``batch_size`` examples).

Times are CPU seconds of this process (``time.process_time``, one core: numpy runs these ops
single-threaded), best of a few repeats, so a busy machine hurts less than wall time would.
Also the split-table build time (no cache) per tokenizer. Results: bench/results/stochastok.json.

Run: ``python bench/stochastok.py [--quick]``
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, set_quick, write_results  # noqa: E402

from tokforge import corpus, load_tokenizer  # noqa: E402
from tokforge.stochastok.core import StochasTok  # noqa: E402
from tokforge.stochastok.table import SplitTable  # noqa: E402

TOKENIZERS = ["gpt2", "smollm2-135m", "gemma3-270m", "mistral-v1"]
LANGS = [
    "eng_Latn",
    "fra_Latn",
    "deu_Latn",
    "spa_Latn",
    "rus_Cyrl",
    "zho_Hans",
    "arb_Arab",
    "hin_Deva",
    "jpn_Jpan",
    "fin_Latn",
]
LENGTHS = [1000, 8000, 64000]
P = 0.1


def reference_expand(ids: list[int], expansions: dict, p: float, nprng, pyrng) -> list[int]:
    """The reference algorithm, re-implemented (random position, list rebuilt per split)."""
    for _ in range(int(len(ids) * p)):
        idx = nprng.randint(len(ids))
        tok = ids[idx]
        if tok in expansions:
            ids = ids[:idx] + list(pyrng.choice(expansions[tok])) + ids[idx + 1 :]
    return ids


def expansions_dict(table: SplitTable) -> dict[int, list[tuple[int, int]]]:
    return {t: table.splits(t) for t in np.flatnonzero(table.n_splits).tolist()}


def token_stream(tok, limit: int) -> np.ndarray:
    root = corpus.flores_dir()
    if root is None:
        sys.exit("FLORES-200 not found ($TOKFORGE_DATA/flores200)")
    texts = []
    for split in ("dev", "devtest"):
        data = corpus.read_flores(root, split, LANGS, None)
        texts += ["\n".join(data[lang]) for lang in LANGS]
    ids = np.concatenate([np.asarray(x, dtype=np.int64) for x in tok.encode_batch(texts)])
    return ids[:limit]


def bench_one(name: str, quick: bool) -> dict:
    tok = load_tokenizer(name)
    t = time.process_time()
    table = SplitTable.build(tok.vocab)
    build_s = time.process_time() - t
    st = StochasTok(tok, p=P, table=table)
    exp = expansions_dict(table)
    stream = token_stream(tok, 64000 * (2 if quick else 4))
    out = {
        "vocab_size": len(tok.vocab),
        "splittable_tokens": table.n_splittable,
        "table_splits": int(len(table.left)),
        "table_build_s": round(build_s, 3),
        "tokens_available": int(len(stream)),
        "lengths": {},
    }
    for L in LENGTHS:
        docs = [stream[i : i + L] for i in range(0, len(stream) - L + 1, L)]
        n_ref = {1000: 60, 8000: 6, 64000: 1}[L] if not quick else {1000: 20, 8000: 2, 64000: 1}[L]
        ref_docs = [d.tolist() for d in docs[:n_ref]]
        nprng, pyrng = np.random.RandomState(0), random.Random(0)
        ref_out: list = []
        t_ref = best_of(
            lambda: ref_out.append([reference_expand(d, exp, P, nprng, pyrng) for d in ref_docs]),
            1,
            clock=time.process_time,
        )
        ref_tokens = L * len(ref_docs)
        ref_split = (sum(map(len, ref_out[-1])) - ref_tokens) / ref_tokens
        reps = 3 if L < 64000 else 2
        t_single = best_of(
            lambda: [st.expand(d, seed=0, index=i) for i, d in enumerate(docs)], reps, clock=time.process_time
        )
        got: list = []
        t_batch = best_of(lambda: got.append(st.expand_batch(docs, seed=0)), reps, clock=time.process_time)
        n_tok = L * len(docs)
        ours_split = (sum(map(len, got[-1])) - n_tok) / n_tok
        same_docs = st.expand_batch(docs[:n_ref], seed=0)  # the documents the reference ran on
        ours_split_same = (sum(map(len, same_docs)) - ref_tokens) / ref_tokens
        same = all(np.array_equal(a, st.expand(d, seed=0, index=i)) for i, (a, d) in enumerate(zip(got[-1][:3], docs)))
        row = {
            "docs": len(docs),
            "reference_docs": len(ref_docs),
            "reference_Mtok_per_s": ref_tokens / t_ref / 1e6,
            "ours_single_Mtok_per_s": n_tok / t_single / 1e6,
            "ours_batch_Mtok_per_s": n_tok / t_batch / 1e6,
            "ratio_single_vs_reference": (n_tok / t_single) / (ref_tokens / t_ref),
            "ratio_batch_vs_reference": (n_tok / t_batch) / (ref_tokens / t_ref),
            "split_rate_reference": ref_split,
            "split_rate_ours_same_docs": ours_split_same,
            "split_rate_ours_all_docs": ours_split,
            "batch_equals_single": same,
        }
        out["lengths"][str(L)] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
        print(
            f"{name:14s} L={L:6d}  ref {row['reference_Mtok_per_s']:6.2f} M/s  single "
            f"{row['ours_single_Mtok_per_s']:6.2f} M/s  batch {row['ours_batch_Mtok_per_s']:6.2f} M/s  "
            f"x{row['ratio_single_vs_reference']:.1f}/x{row['ratio_batch_vs_reference']:.1f}  "
            f"split ref {ref_split:.3f} ours {ours_split_same:.3f} (all docs {ours_split:.3f})",
            flush=True,
        )
    return out


def main(argv: list[str]) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="fewer documents, two tokenizers (a smoke run; a temporary results folder)"
    )
    quick = ap.parse_args(argv).quick
    if quick:
        set_quick()
    load_start, t0 = os.getloadavg()[0], time.perf_counter()
    results = {name: bench_one(name, quick) for name in (TOKENIZERS[:2] if quick else TOKENIZERS)}
    path = write_results(
        "stochastok",
        {
            "what": "StochasTok expand throughput (million tokens/s of CPU time, one core) vs the reference algorithm, "
            "p=0.1, FLORES-200 text in 10 languages cut into documents of 1k/8k/64k tokens",
            "p": P,
            "quick": quick,
            "timer": "time.process_time (best of repeats; reference: one pass)",
            "load_average_1min": {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)},
            "cpus": os.cpu_count(),
            "wall_s": round(time.perf_counter() - t0, 1),
            "tokenizers": results,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
