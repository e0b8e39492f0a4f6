"""Byte-level LMs on FLORES-200 devtest: speed against token-level scoring and genlm-bytes,
ensembles, truncated prompts, and prompts that end inside a word or a character.

    python -m bench bytelevel                      # the committed run (arguments in bench/__main__.py)
    python bench/bytelevel.py --per-lang 4 --speed-texts 4 --chain-texts 1 --canon-prefixes 1 \\
        --genlm-prefixes 1 --gen-prompts 8 --out /tmp/bytelevel.json          # a small trial
    python bench/bytelevel.py --quick   # a smoke test: QUICK's sizes unless given, a temporary results folder

Sections (all in one run, the same texts and start context for every method):

* ``speed``: bytes/s of token-level scoring (one forward over the tokenizer's encoding) and of
  tokforge's byte level - ``logprob`` (whole-text probability) and ``score`` (every per-byte
  distribution) - one text at a time and batched; ratios are best-of-N CPU seconds
  (process time, robust on a shared machine), wall seconds beside them. Also: a chain of
  ``next_byte_logprobs`` vs one ``score`` of the same bytes, and ``leaves="canonical"`` vs
  ``leaves="model"`` on fresh prefixes.
* ``genlm_bytes``: the GenLM group's beam-search byte LM (PyPI ``genlm-bytes``, a bench-only
  dependency) at several beam widths on the same prefixes: seconds per fresh prefix and the
  total-variation distance of its next-byte distribution to tokforge's exact one and to
  tokforge's ``MarginalByteLM`` at the same beam (bytes only; genlm-bytes has no end-of-text here).
* ``ensemble``: bits/byte of SmolLM2, Gemma-3 and every ensemble mode on held-out sentences
  (the odd half); ``fit`` weights are chosen on the even half, the untuned modes use equal weights.
* ``truncated_prompts``: log-prob of the 16 bytes after a random cut, byte level vs naive.
* ``midword_generation``: SmolLM2 continuing FLORES prompts cut inside a word or a UTF-8
  character (4 scripts): valid UTF-8 and word continuation, exact byte-level sampling vs
  naive token-level prompting.

Writes bench/results/bytelevel.json.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import json
import math
import random
import sys
import time
import unicodedata
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import apply_quick, results_path, write_json, write_results  # noqa: E402

MODELS = ("smollm2-135m", "gemma3-270m")
# --quick: every section on a few texts (options given on the command line win)
QUICK = {
    "langs": "eng_Latn,zho_Hans",
    "per_lang": 2,
    "max_bytes": 32,
    "speed_texts": 2,
    "reps": 1,
    "chain_texts": 1,
    "canon_prefixes": 1,
    "genlm_prefixes": 1,
    "beams": "1",
    "gen_prompts": 4,
    "gen_bytes": 4,
}


# -- data --------------------------------------------------------------------------------------------
def cut_to_chars(b: bytes) -> bytes:
    while b:
        try:
            b.decode("utf-8")
            return b
        except UnicodeDecodeError:
            b = b[:-1]
    return b


def load_items(root, langs, per_lang, max_bytes, cont, seed):
    """(lang, sentence bytes cut to ``max_bytes`` at a character boundary, random cut point)."""
    from tokforge import corpus

    data = corpus.read_flores(root, "devtest", langs, limit=per_lang)
    rng = random.Random(seed)
    items = []
    for lang in langs:
        for s in data[lang][:per_lang]:
            b = cut_to_chars(s.encode("utf-8")[:max_bytes])
            cuts = [i for i in range(4, len(b) - cont) if (b[i] & 0xC0) != 0x80]
            items.append((lang, b, rng.choice(cuts)))
    return items


def fresh_prefixes(items, langs, n: int, seed: int) -> list[bytes]:
    """About ``n`` prefixes, evenly over languages, cut 1-3 bytes past each item's cut point (inside a word
    or a character, as a prompt would be)."""
    rng = random.Random(seed)
    out = []
    for lang in langs:
        for _, b, cut in [x for x in items if x[0] == lang][: max(1, n // len(langs))]:
            out.append(b[: cut + rng.randint(1, 3)])
    return out


# -- token-level baselines ------------------------------------------------------------------------------
def token_batch(lm, texts, batch: int = 8) -> list[float]:
    """log p(enc(text)) for every text, texts padded into batches of ``batch`` forwards."""
    out = []
    S = len(lm.start_ids)
    for a in range(0, len(texts), batch):
        seqs = [lm.start_ids + lm.canon.canonical(lm.prefix + t) for t in texts[a : a + batch]]
        L = max(len(s) for s in seqs)
        ids = torch.zeros(len(seqs), L, dtype=torch.long)
        mask = torch.zeros(len(seqs), L, dtype=torch.long)
        for n, s in enumerate(seqs):
            ids[n, : len(s)] = torch.tensor(s)
            mask[n, : len(s)] = 1
        with torch.no_grad():
            logits = lm.model(input_ids=ids.to(lm.device), attention_mask=mask.to(lm.device)).logits
        lp = torch.log_softmax(logits.float(), -1)
        for n, s in enumerate(seqs):
            tgt = torch.tensor(s[S:], device=lp.device)
            out.append(float(lp[n, S - 1 : len(s) - 1].gather(1, tgt[:, None]).sum()))
    return out


def naive_continuation(lm, prompt: bytes, cont: bytes) -> float:
    """Token level: prompt and continuation tokenized separately, continuation tokens scored."""
    p_ids = lm.canon.canonical(lm.prefix + prompt)
    c_ids = lm.tokenizer.encode(cont.decode("utf-8"))
    seq = lm.start_ids + p_ids + c_ids
    with torch.no_grad():
        lp = torch.log_softmax(lm.model(input_ids=torch.tensor([seq], device=lm.device)).logits[0].double(), -1)
    start = len(lm.start_ids) + len(p_ids)
    return float(sum(lp[start - 1 + i, t] for i, t in enumerate(c_ids)))


# -- timing -----------------------------------------------------------------------------------------------
def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def interleaved(methods: dict, reps: int) -> dict:
    """Best-of-``reps`` wall and CPU seconds per method, methods interleaved within each rep."""
    best = {k: [math.inf, math.inf, None] for k in methods}
    for _ in range(reps):
        for k, fn in methods.items():
            out, w, c = timed(fn)
            best[k] = [min(best[k][0], w), min(best[k][1], c), out]
    return best


def speed(lm, texts, reps: int) -> dict:
    nbytes = sum(len(t) for t in texts)
    f = {}

    def counted(key, fn):
        def run():
            f0 = lm.forwards
            out = fn()
            f[key] = (lm.forwards - f0) / nbytes
            return out

        return run

    best = interleaved(
        {
            "token_level": lambda: [lm.token_logprob(t) for t in texts],
            "token_level_batch": lambda: token_batch(lm, texts),
            "logprob": counted("logprob", lambda: [lm.logprob(t) for t in texts]),
            "logprob_batch": counted("logprob_batch", lambda: lm.logprob_batch(texts)),
            "score": counted("score", lambda: [lm.score(t) for t in texts]),
            "score_batch": counted("score_batch", lambda: lm.score_batch(texts)),
        },
        reps,
    )
    tokens = sum(len(lm.canon.canonical(lm.prefix + t)) for t in texts)
    rows = {
        k: {"cpu_seconds": v[1], "wall_seconds": v[0], "bytes_per_cpu_second": nbytes / v[1]} for k, v in best.items()
    }
    for k in f:
        rows[k]["forward_positions_per_byte"] = f[k]
    rows["token_level"]["forward_positions_per_byte"] = tokens / nbytes
    base = {
        "logprob": "token_level",
        "score": "token_level",
        "logprob_batch": "token_level_batch",
        "score_batch": "token_level_batch",
    }
    for k, b in base.items():
        rows[k]["throughput_vs_" + b] = best[b][1] / best[k][1]
        rows[k]["throughput_vs_" + b + "_wall"] = best[b][0] / best[k][0]
    chain = [float(s.sum()) for s in best["score"][2]]
    return {
        "texts": len(texts),
        "bytes": nbytes,
        "methods": rows,
        "max_abs_logprob_minus_per_byte_chain": max(abs(a - b) for a, b in zip(best["logprob"][2], chain)),
        "max_abs_logprob_batch_minus_logprob": max(
            abs(a - b) for a, b in zip(best["logprob"][2], best["logprob_batch"][2])
        ),
    }


def chain_vs_score(make, texts) -> dict:
    """A fresh chain of next_byte_logprobs over every prefix vs one score() of the same text."""
    t_chain = t_score = 0.0
    for t in texts:
        lm = make()
        lm.logprob(b"warm")
        _, _, c = timed(lambda: [lm.next_byte_logprobs(t[:i]) for i in range(len(t) + 1)])
        t_chain += c
        lm = make()
        lm.logprob(b"warm")
        _, _, c = timed(lambda: lm.score(t))
        t_score += c
    return {
        "texts": len(texts),
        "chain_cpu_seconds": t_chain,
        "score_cpu_seconds": t_score,
        "chain_over_score": t_chain / t_score,
    }


def canonical_vs_model(model, tok, prefixes) -> dict:
    from tokforge.bytelevel.bytelm import ByteLM

    out = {}
    for leaves in ("model", "canonical"):
        lm = ByteLM(model, tok, leaves=leaves)
        lm.logprob(b"warm")
        secs = []
        for p in prefixes:
            lm._fresh()
            _, _, c = timed(lambda: lm.next_byte_logprobs(p))
            secs.append(c)
        out[leaves] = {"cpu_seconds_per_prefix": secs, "mean": sum(secs) / len(secs)}
    out["canonical_over_model"] = out["canonical"]["mean"] / out["model"]["mean"]
    return out


# -- genlm-bytes -------------------------------------------------------------------------------------------
def tv_bytes(p: torch.Tensor, q: torch.Tensor) -> float:
    """Total variation between two next-byte distributions restricted to the 256 bytes."""
    p, q = p[:256].double().exp(), q[:256].double().exp()
    return 0.5 * float((p / p.sum() - q / q.sum()).abs().sum())


def genlm_section(name, model, tok, prefixes, beams) -> dict:
    try:
        from genlm.backend.llm import AsyncTransformer
        from genlm.bytes import BeamParams, ByteBeamState
        from transformers import AutoTokenizer
    except ImportError as e:
        print(
            f"warning: genlm-bytes is not installed ({e}); its table is skipped "
            "(pip install -e '.[bench]' in an environment where it installs)",
            file=sys.stderr,
        )
        return {"skipped": f"genlm-bytes not importable: {e}"}
    from tokforge import models
    from tokforge.bytelevel.bytelm import ByteLM
    from tokforge.bytelevel.marginal import MarginalByteLM

    llm = AsyncTransformer(model, AutoTokenizer.from_pretrained(str(models.pull(name))))
    ours = ByteLM(model, tok)
    ours.logprob(b"warm")
    rows = {"tokforge_exact": {"cpu_seconds": [], "wall_seconds": []}}
    exact = []
    for p in prefixes:
        ours._fresh()
        lp, w, c = timed(lambda: ours.next_byte_logprobs(p))
        exact.append(lp)
        rows["tokforge_exact"]["cpu_seconds"].append(c)
        rows["tokforge_exact"]["wall_seconds"].append(w)

    async def run_beam(K):
        st0 = await ByteBeamState.initial(llm, BeamParams(K=K))  # the byte trie is built once per beam
        got = []
        for p in prefixes:
            llm.clear_cache()  # a fresh prefix: no token-level outputs cached from the previous one
            w, c = time.perf_counter(), time.process_time()
            st = await st0.prefill(p)
            lp = torch.tensor((await st.logp_next()).ps)
            got.append((lp, time.perf_counter() - w, time.process_time() - c))
        await st0.cleanup()
        return got

    for K in beams:
        marg = MarginalByteLM(model, tok, beam=K)
        row = {
            "cpu_seconds": [],
            "wall_seconds": [],
            "tv_to_tokforge_exact": [],
            "tv_to_tokforge_marginal": [],
            "marginal_pruned_any": False,
        }
        for p, ex, (got, w, c) in zip(prefixes, exact, asyncio.run(run_beam(K))):
            row["cpu_seconds"].append(c)
            row["wall_seconds"].append(w)
            row["tv_to_tokforge_exact"].append(tv_bytes(got, ex))
            marg.pruned = 0
            row["tv_to_tokforge_marginal"].append(tv_bytes(got, marg.next_byte_logprobs(p)))
            row["marginal_pruned_any"] |= marg.pruned > 0
        for k in ("tv_to_tokforge_exact", "tv_to_tokforge_marginal"):
            row[k + "_max"] = max(row[k])
        rows[f"genlm_beam_{K}"] = row
    ours_cpu = sum(rows["tokforge_exact"]["cpu_seconds"])
    for K in beams:
        r = rows[f"genlm_beam_{K}"]
        r["genlm_cpu_over_tokforge"] = sum(r["cpu_seconds"]) / ours_cpu
        r["genlm_wall_over_tokforge"] = sum(r["wall_seconds"]) / sum(rows["tokforge_exact"]["wall_seconds"])
    import importlib.metadata as md

    return {
        "genlm_bytes_version": md.version("genlm-bytes"),
        "prefixes": [p.decode("utf-8", "replace") for p in prefixes],
        "beams": list(beams),
        "rows": rows,
    }


# -- ensembles -------------------------------------------------------------------------------------------------
def ensemble_section(lms, dists, items) -> dict:
    from tokforge.bytelevel.ensemble import Ensemble

    names = list(lms)
    halves = {
        "select": [i for i in range(len(items)) if i % 2 == 0],
        "heldout": [i for i in range(len(items)) if i % 2 == 1],
    }

    def bpb(rows_of, idx) -> float:
        nats = -sum(float(rows_of(i)[torch.arange(len(items[i][1])), list(items[i][1])].sum()) for i in idx)
        return nats / sum(len(items[i][1]) for i in idx) / math.log(2)

    members = [lms[n] for n in names]
    table = {n: {h: bpb(lambda i, n=n: dists[n][i], idx) for h, idx in halves.items()} for n in names}
    for mode in ("mixture", "product", "bayes", "switch"):
        e = Ensemble(members, [0.5, 0.5], mode=mode)
        table[f"{mode}(0.5,0.5)"] = {
            h: bpb(lambda i: e.combine_rows([dists[n][i] for n in names], items[i][1]), idx)
            for h, idx in halves.items()
        }
    fitted = {}
    for mode in ("mixture", "product"):
        sel = halves["select"]
        e = Ensemble(members, [0.5, 0.5], mode=mode).fit(
            [items[i][1] for i in sel], distributions=[[dists[n][i] for i in sel] for n in names]
        )
        fitted[mode] = e.weights
        table[f"{mode} fit on select half"] = {
            h: bpb(lambda i: e.combine_rows([dists[n][i] for n in names], items[i][1]), idx)
            for h, idx in halves.items()
        }
    best_single = min(names, key=lambda n: table[n]["heldout"])
    gain = {k: 1 - v["heldout"] / table[best_single]["heldout"] for k, v in table.items() if k not in names}
    return {
        "bits_per_byte": table,
        "fitted_weights": fitted,
        "best_single_on_heldout": best_single,
        "heldout_gain_vs_best_single": gain,
        "switch_rate": Ensemble(members, mode="switch").switch_rate,
        "note": "untuned modes use weights (0.5, 0.5); fit() chooses weights on the select half only",
    }


# -- prompts that end inside a word or a character ---------------------------------------------------
def _is_word(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def midword_prompts(root, langs, n_per_lang, seed):
    """(lang, prompt bytes, cut kind): cut inside a word of >= 3 letters, or inside a character."""
    from tokforge import corpus

    rng = random.Random(seed)
    data = corpus.read_flores(root, "devtest", langs, limit=200)
    out = []
    for lang in langs:
        got = 0
        for s in data[lang][50:]:  # other sentences than the other sections'
            b = s.encode("utf-8")[:160]
            # Han: always inside a character; Latin: inside a word; other scripts (2-byte letters): alternate
            mid_char = lang.endswith(("_Hans", "_Hant")) or (not lang.endswith("_Latn") and got % 2 == 1)
            spots = []
            for i in range(12, len(b) - 4):
                if mid_char:
                    if (b[i] & 0xC0) == 0x80 and i < len(b) and _word_at(b, i):
                        spots.append(i)
                elif (b[i] & 0xC0) != 0x80 and _between_letters(b, i):
                    spots.append(i)
            if spots:
                cut = rng.choice(spots)
                out.append((lang, b[:cut], "inside a character" if mid_char else "inside a word"))
                got += 1
            if got == n_per_lang:
                break
    return out


def _char_at(b: bytes, i: int) -> tuple[int, str] | None:
    """(start, character) of the character containing byte ``i``."""
    s = i
    while s > 0 and (b[s] & 0xC0) == 0x80:
        s -= 1
    for k in range(1, 5):
        try:
            return s, b[s : s + k].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def _word_at(b: bytes, i: int) -> bool:
    c = _char_at(b, i)
    return c is not None and _is_word(c[1]) and c[0] > 0


def _between_letters(b: bytes, i: int) -> bool:
    a, c = _char_at(b, i - 1), _char_at(b, i)
    if not a or not c or c[0] != i:
        return False
    before = _char_at(b, a[0] - 1) if a[0] > 0 else None
    return _is_word(a[1]) and _is_word(c[1]) and before is not None and _is_word(before[1])


def _judge(prompt: bytes, out: bytes) -> tuple[bool, bool]:
    """(prompt + out is valid UTF-8 up to a character cut by the length limit, the character at
    the cut is completed into a letter/mark, i.e. the word goes on)."""
    full = prompt + out
    try:
        codecs.getincrementaldecoder("utf-8")().decode(full, final=False)
        valid = True
    except UnicodeDecodeError:
        valid = False
    s = len(cut_to_chars(prompt))  # where the character cut by the prompt's end starts
    cont = False
    for k in range(1, 5):
        try:
            cont = _is_word(full[s : s + k].decode("utf-8"))
            break
        except UnicodeDecodeError:
            continue
    return valid, cont


def naive_generate(lm, prompt: bytes, max_bytes: int, seed: int, raw_bytes: bool) -> bytes:
    """Token-level prompting, then ordinary sampling of whole tokens. The prompt is encoded as
    text (a cut last character is dropped, as ``bytes.decode(errors="ignore")`` does), or with
    ``raw_bytes`` its cut last character is appended as single-byte tokens."""
    good = cut_to_chars(prompt)
    ids = lm.canon.canonical(lm.prefix + good)
    for b in prompt[len(good) :] if raw_bytes else b"":
        t = lm.vocab.id_of(bytes([b]))
        if t is None:
            return b""
        ids.append(t)
    gen = torch.Generator().manual_seed(seed)
    seq, out = lm.start_ids + ids, b""
    text = set(lm.index.order.tolist())
    with torch.no_grad():
        while len(out) < max_bytes:
            logits = lm.model(input_ids=torch.tensor([seq], device=lm.device)).logits[0, -1].double().cpu()
            nxt = int(torch.multinomial(torch.softmax(logits, -1).float(), 1, generator=gen))
            if nxt not in text:
                break
            out += lm.vocab.tokens[nxt]
            seq.append(nxt)
    return out[:max_bytes]


METHODS = {
    "byte_level_exact": lambda lm, p, n, k: lm.generate(p, max_bytes=k, seed=n),
    "naive_text_prompt": lambda lm, p, n, k: naive_generate(lm, p, k, n, raw_bytes=False),
    "naive_raw_byte_tokens": lambda lm, p, n, k: naive_generate(lm, p, k, n, raw_bytes=True),
}


def midword_section(lm, prompts, max_bytes: int) -> dict:
    """Counts over the prompts; every output is judged as prompt bytes + generated bytes."""
    rows = {}
    for method, fn in METHODS.items():
        per = {}
        for n, (lang, p, kind) in enumerate(prompts):
            valid, cont = _judge(p, fn(lm, p, n, max_bytes))
            for key in (kind, "all"):
                r = per.setdefault(key, {"prompts": 0, "valid_utf8": 0, "continues_the_word": 0})
                r["prompts"] += 1
                r["valid_utf8"] += valid
                r["continues_the_word"] += cont
        rows[method] = per
    langs = {}
    for lang, _, kind in prompts:
        langs.setdefault(lang, {}).setdefault(kind, 0)
        langs[lang][kind] += 1
    return {
        "model": lm.name,
        "max_bytes": max_bytes,
        "temperature": 1.0,
        "prompts_per_language": langs,
        "counts": rows,
        "examples": [(lang, p[-24:].decode("utf-8", "replace")) for lang, p, _ in prompts[::25]],
    }


# -- main -----------------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--langs", default="eng_Latn,fra_Latn,deu_Latn,zho_Hans")
    ap.add_argument("--per-lang", type=int, default=50)
    ap.add_argument("--max-bytes", type=int, default=100, help="cut sentences to this many bytes")
    ap.add_argument("--cont", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--speed-texts", type=int, default=24, help="texts (evenly over languages) for the speed table")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--chain-texts", type=int, default=4)
    ap.add_argument("--canon-prefixes", type=int, default=6)
    ap.add_argument("--genlm-prefixes", type=int, default=12)
    ap.add_argument("--beams", default="1,4,8")
    ap.add_argument("--gen-langs", default="eng_Latn,rus_Cyrl,arb_Arab,zho_Hans")
    ap.add_argument("--gen-prompts", type=int, default=100)
    ap.add_argument("--gen-bytes", type=int, default=12)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default=None, help="results file (default bench/results/bytelevel.json)")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK} unless given; a temporary results folder")
    a = ap.parse_args()
    if a.quick:
        apply_quick(a, QUICK)
    torch.set_num_threads(a.threads)

    from tokforge import corpus, models
    from tokforge.bytelevel.bytelm import ByteLM
    from tokforge.progress import bar

    root = corpus.flores_dir()
    if root is None:
        raise SystemExit("error: FLORES-200 not found (expected $TOKFORGE_DATA/flores200)")
    langs = a.langs.split(",")
    items = load_items(root, langs, a.per_lang, a.max_bytes, a.cont, a.seed)
    texts = [b for _, b, _ in items]
    per = max(1, a.speed_texts // len(langs))
    speed_texts = [b for lang in langs for b in [x for l2, x, _ in items if l2 == lang][:per]]
    prefixes = fresh_prefixes(items, langs, a.genlm_prefixes, a.seed)
    out = {
        "setup": {
            "split": "devtest",
            "langs": langs,
            "sentences": len(items),
            "per_lang": a.per_lang,
            "max_bytes_per_sentence": a.max_bytes,
            "speed_texts": len(speed_texts),
            "reps": a.reps,
            "threads": a.threads,
            "device": a.device,
            "leaves": "model",
            "gpu": "not run: no GPU was lent to this task" if a.device == "cpu" else a.device,
            "timing": "best of reps; ratios from CPU (process) seconds on a shared machine",
        }
    }
    lms, dists, trunc, speed_rows, chain_rows, canon_rows, genlm_rows, dist_cost = {}, {}, {}, {}, {}, {}, {}, {}
    for name in MODELS:
        model, tok = models.load_causal_lm(name, device=a.device)
        lm = lms[name] = ByteLM(model, tok, name=name)
        lm.logprob(b"warm up")
        print(f"[{name}] speed", flush=True)
        speed_rows[name] = speed(lm, speed_texts, a.reps)
        print(f"[{name}] per-byte distributions of {len(texts)} sentences", flush=True)
        f0 = lm.forwards
        with bar(len(texts), f"{name} distributions") as pb:
            got = []
            for k in range(0, len(texts), 8):
                got += lm.distributions_batch(texts[k : k + 8])
                pb.update(len(texts[k : k + 8]))
        dists[name] = got
        dist_cost[name] = {"forward_positions_per_byte": (lm.forwards - f0) / sum(map(len, texts))}
        t = trunc[name] = {"naive": [], "byte": []}
        for (lang, b, cut), d in zip(items, got):
            end = cut + a.cont
            while end < len(b) and (b[end] & 0xC0) == 0x80:
                end += 1
            cont = b[cut:end]
            t["byte"].append(float(d[torch.arange(cut, end), list(cont)].sum()))
            t["naive"].append(naive_continuation(lm, b[:cut], cont))
        print(f"[{name}] chain vs score, canonical vs model", flush=True)
        chain_rows[name] = chain_vs_score(lambda: ByteLM(model, tok, name=name), speed_texts[: a.chain_texts])
        canon_rows[name] = canonical_vs_model(model, tok, prefixes[: a.canon_prefixes])
        print(f"[{name}] genlm-bytes", flush=True)
        genlm_rows[name] = genlm_section(
            name, model, tok, prefixes[: a.genlm_prefixes], [int(k) for k in a.beams.split(",")]
        )
    out["speed"] = {
        "per_model": speed_rows,
        "chain_vs_score": chain_rows,
        "canonical_vs_model": canon_rows,
        "distributions_200": dist_cost,
    }
    out["genlm_bytes"] = genlm_rows
    out["truncated_prompts"] = {
        n: {
            "mean_logprob_naive_token": sum(v["naive"]) / len(items),
            "mean_logprob_byte_level": sum(v["byte"]) / len(items),
            "byte_level_better_fraction": sum(x > y for x, y in zip(v["byte"], v["naive"])) / len(items),
        }
        for n, v in trunc.items()
    }
    print("ensembles", flush=True)
    out["ensemble"] = ensemble_section(lms, dists, items)
    print("mid-word generation", flush=True)
    gl = a.gen_langs.split(",")
    prompts = midword_prompts(root, gl, max(1, a.gen_prompts // len(gl)), a.seed)
    out["midword_generation"] = midword_section(lms["smollm2-135m"], prompts, a.gen_bytes)
    if a.out:
        write_json(results_path("bytelevel", a.out), out)
    else:
        write_results("bytelevel", out)
    print(json.dumps({k: out[k] for k in ("speed", "ensemble", "midword_generation")}, indent=1)[:6000])


if __name__ == "__main__":
    main()
