"""Byte-level LM evidence on FLORES-200 devtest: truncated prompts, ensembles, speed.

    python bench/bytelevel.py --per-lang 3 --langs eng_Latn,fra_Latn,deu_Latn

One byte-level pass per (sentence, model) gives every next-byte distribution of the
sentence; from it we read (1) the log-prob of the 16 bytes after a random cut point (vs the
naive token-level score: prompt and continuation tokenized separately), (2) bits per byte of
each model and of their mixture/product ensembles, (3) throughput vs token-level scoring.
Results: bench/results/bytelevel.json.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import torch


def naive_continuation(lm, prompt: bytes, cont: bytes) -> float:
    """Token-level: tokenize prompt and continuation separately, score the continuation tokens."""
    p_ids = lm.canon.canonical(lm.prefix + prompt)
    c_ids = lm.tokenizer.encode(cont.decode("utf-8"))
    seq = lm.start_ids + p_ids + c_ids
    with torch.no_grad():
        lp = torch.log_softmax(lm.model(input_ids=torch.tensor([seq])).logits[0].double(), -1)
    start = len(lm.start_ids) + len(p_ids)
    return float(sum(lp[start - 1 + i, t] for i, t in enumerate(c_ids)))


def token_forward_seconds(lm, data: bytes, reps: int = 2) -> float:
    ids = lm.start_ids + lm.canon.canonical(lm.prefix + data)
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        with torch.no_grad():
            torch.log_softmax(lm.model(input_ids=torch.tensor([ids])).logits[0].float(), -1)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--langs", default="eng_Latn,fra_Latn,deu_Latn,spa_Latn,zho_Hans")
    ap.add_argument("--per-lang", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cont", type=int, default=16)
    ap.add_argument("--max-bytes", type=int, default=120, help="cut sentences to this many bytes (CPU time)")
    ap.add_argument("--out", default="bench/results/bytelevel.json")
    a = ap.parse_args()
    torch.set_num_threads(2)
    from tqdm import tqdm

    from tokforge import corpus, models
    from tokforge.bytelevel import ByteLM, Ensemble
    from tokforge.io import atomic_write_text

    root = corpus.flores_dir()
    if root is None:
        raise SystemExit("FLORES-200 not found")
    langs = a.langs.split(",")
    data = corpus.read_flores(root, "devtest", langs, limit=a.per_lang)
    rng = random.Random(a.seed)
    items = []
    for lang in langs:
        for s in data[lang][: a.per_lang]:
            b = s.encode("utf-8")[: a.max_bytes]
            while b:  # end on a character boundary
                try:
                    b.decode("utf-8")
                    break
                except UnicodeDecodeError:
                    b = b[:-1]
            cuts = [i for i in range(4, len(b) - a.cont) if (b[i] & 0xC0) != 0x80]  # character boundaries
            items.append((lang, b, rng.choice(cuts)))
    lms = {}
    for name in ("smollm2-135m", "gemma3-270m"):
        m, t = models.load_causal_lm(name)
        lms[name] = ByteLM(m, t)
    dists: dict[str, list[torch.Tensor]] = {n: [] for n in lms}
    trunc: dict[str, dict[str, list[float]]] = {n: {"naive": [], "byte": []} for n in lms}
    speed = {}
    for name, lm in lms.items():
        f0, bytes_done, t_byte, t_tok = lm.forwards, 0, 0.0, 0.0
        for lang, b, cut in tqdm(items, desc=name):
            t0 = time.perf_counter()
            d = lm.distributions(b)
            t_byte += time.perf_counter() - t0
            t_tok += token_forward_seconds(lm, b)
            bytes_done += len(b)
            dists[name].append(d)
            end = cut + a.cont
            while end < len(b) and (b[end] & 0xC0) == 0x80:  # extend to a character boundary
                end += 1
            cont = b[cut:end]
            byte_lp = float(d[torch.arange(cut, end), torch.tensor(list(cont))].sum())
            trunc[name]["byte"].append(byte_lp)
            trunc[name]["naive"].append(naive_continuation(lm, b[:cut], cont))
        speed[name] = {"byte_level_seconds": t_byte, "token_level_seconds": t_tok,
                       "throughput_ratio_byte_vs_token": t_tok / t_byte,
                       "forward_positions_per_byte": (lm.forwards - f0) / bytes_done}
    names = list(lms)
    ens = {"mixture": Ensemble(list(lms.values()), [0.5, 0.5], "mixture"),
           "product": Ensemble(list(lms.values()), [0.5, 0.5], "product")}
    total_bytes = sum(len(b) for _, b, _ in items)

    def bpb(ds) -> float:
        nats = -sum(float(d[torch.arange(len(b)), torch.tensor(list(b))].sum()) for d, (_, b, _) in zip(ds, items))
        return nats / total_bytes / math.log(2)

    bits = {n: bpb(dists[n]) for n in names}
    for k, e in ens.items():
        bits[f"{k}(0.5,0.5)"] = bpb([e.combine([dists[n][i] for n in names]) for i in range(len(items))])
    # weight sweep (weight of the first model); chosen on even-indexed sentences, reported on odd ones
    sweep, held = {}, {}
    halves = {"select": [i for i in range(len(items)) if i % 2 == 0], "heldout": [i for i in range(len(items)) if i % 2]}

    def bpb_on(ds_all, idx) -> float:
        nats = -sum(float(ds_all[i][torch.arange(len(items[i][1])), torch.tensor(list(items[i][1]))].sum()) for i in idx)
        return nats / sum(len(items[i][1]) for i in idx) / math.log(2)

    for mode in ("mixture", "product"):
        for w in (0.1, 0.2, 0.3, 0.4, 0.5):
            e = Ensemble(list(lms.values()), [w, 1 - w], mode)
            comb = [e.combine([dists[n][i] for n in names]) for i in range(len(items))]
            sweep[f"{mode}({w:.1f},{1 - w:.1f})"] = {h: bpb_on(comb, idx) for h, idx in halves.items()}
    best = min(sweep, key=lambda k: sweep[k]["select"])
    singles = {n: {h: bpb_on(dists[n], idx) for h, idx in halves.items()} for n in names}
    held = {"chosen_on_select_half": best, "heldout_bpb": sweep[best]["heldout"],
            "heldout_bpb_single": {n: v["heldout"] for n, v in singles.items()}}
    out = {
        "setup": {"split": "devtest", "langs": langs, "sentences": len(items), "per_lang": a.per_lang,
                  "continuation_bytes": f"{a.cont} (extended to the next character boundary)", "max_bytes_per_sentence": a.max_bytes, "cut": "random character boundary, seed %d" % a.seed,
                  "leaves": "model", "threads": 2, "device": "cpu"},
        "truncated_prompts": {n: {"mean_logprob_naive_token": sum(v["naive"]) / len(items),
                                  "mean_logprob_byte_level": sum(v["byte"]) / len(items),
                                  "byte_level_better_fraction": sum(x > y for x, y in zip(v["byte"], v["naive"])) / len(items)}
                              for n, v in trunc.items()},
        "bits_per_byte": bits,
        "ensemble_weight_sweep_bpb": sweep,
        "ensemble_selected": held,
        "speed": speed,
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(a.out, json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
