"""Load time per tokenizer format, and GGUF vocabulary reading vs transformers' conversion.

Claim: reading the vocabulary of a GGUF file with tokforge's metadata reader is many times
faster than building a tokenizer from it with transformers (what you would otherwise wait for
when you only need the vocabulary). Every time is the best of ``REPEAT`` runs, on both sides of the
ratio. Run: ``python -m bench load``; writes bench/results/load.json. ``--quick``: two tokenizers, one
GGUF file, best of 1, written to a temporary folder (a smoke test of the same code).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import best_of, set_quick, write_results  # noqa: E402

from tokforge import load_tokenizer, models  # noqa: E402

REPEAT = 3  # best of REPEAT runs, on both sides of every ratio
TOKENIZERS = ("gpt2", "tekken", "mistral-v1", "smollm2-135m", "gemma3-270m", "minilm")
GGUF = ("smollm2-135m", "gemma3-270m")


def main(quick: bool = False) -> None:
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    repeat = 1 if quick else REPEAT
    rows = {}
    for name in TOKENIZERS[::3] if quick else TOKENIZERS:
        path = (
            models.pull(name, part="tokenizer") if models.ARTIFACTS[name]["kind"] == "causal_lm" else models.pull(name)
        )
        t = best_of(lambda: load_tokenizer(path), repeat=repeat)
        rows[f"{name} ({load_tokenizer(path).vocab.family}, {path.name})"] = {"load_s": round(t, 3)}
        print(f"{name:14s} {t:7.3f} s", flush=True)
    gguf = {}
    for name in GGUF[:1] if quick else GGUF:
        f = models.pull(name, part="file")
        ours = best_of(lambda: load_tokenizer(f).vocab, repeat=repeat)
        hf = best_of(lambda: AutoTokenizer.from_pretrained(str(f.parent), gguf_file=f.name), repeat=repeat)
        gguf[name] = {
            "tokforge_vocab_s": round(ours, 3),
            "transformers_convert_s": round(hf, 3),
            "speedup": round(hf / ours, 1),
            "vocab_size": len(load_tokenizer(f).vocab),
        }
        print(
            f"{name}: tokforge GGUF vocab {ours:.2f} s, transformers conversion {hf:.2f} s -> {hf / ours:.1f}x",
            flush=True,
        )
    res = {"best_of": repeat, "quick": quick, "load_time_per_format": rows, "gguf_vocab_vs_transformers": gguf}
    out = write_results("load", res)
    print(f"wrote {out}")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="gpt2 and smollm2-135m, one GGUF file, best of 1; a temp folder"
    )
    quick = ap.parse_args().quick
    if quick:
        set_quick()
    main(quick)
