"""Shared bench helpers: timing and writing results (ratios against a baseline in the same run)."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
# The data folder is $TOKFORGE_DATA; unset, the benches use shared/data beside the checkout.
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
if not os.environ.get("TOKFORGE_DATA") and SHARED_DATA.is_dir():
    os.environ["TOKFORGE_DATA"] = str(SHARED_DATA)


def best_of(fn, repeat: int = 3, clock=time.perf_counter) -> float:
    """Best time of ``repeat`` calls, in seconds (wall by default; ``time.process_time`` for CPU)."""
    best = float("inf")
    for _ in range(repeat):
        t = clock()
        fn()
        best = min(best, clock() - t)
    return best


def pick(spec: str, known, what: str) -> list[str]:
    """The comma-separated names of ``spec``, each one of ``known`` (else exit naming the known ones).

    >>> pick("a, b", ["a", "b", "c"], "--x")
    ['a', 'b']
    """
    names = [x.strip() for x in spec.split(",") if x.strip()]
    bad = [x for x in names if x not in known]
    if bad:
        sys.exit(f"unknown {what} {bad}: use some of {list(known)}")
    return names


def write_results(name: str, data: dict) -> Path:
    from tokforge.io import atomic_write_text

    data = {
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "written": time.strftime("%Y-%m-%d %H:%M:%S"),
        **data,
    }
    return atomic_write_text(RESULTS / f"{name}.json", json.dumps(data, indent=2) + "\n")


BPE_LANGS = ["eng_Latn", "fra_Latn", "deu_Latn", "spa_Latn", "rus_Cyrl", "zho_Hans", "arb_Arab", "hin_Deva"]


def bpe32k(flores: Path) -> Path:
    """A 32k byte-level BPE trained on FLORES dev text of ``BPE_LANGS`` (cached; shared by the
    transplant and hypernet benches so both evaluate the same unseen tokenizer)."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers, trainers
    from tokenizers import models as tm

    from tokforge import artifacts, corpus

    out = artifacts.cache_dir() / "bench" / "bpe32k-flores-dev"
    if (out / "tokenizer.json").is_file():
        return out
    texts = [s for v in corpus.read_flores(flores, "dev", BPE_LANGS).values() for s in v]
    hf = Tokenizer(tm.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    hf.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=32000,
            special_tokens=["<|endoftext|>", "<s>", "</s>"],
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    out.mkdir(parents=True, exist_ok=True)
    hf.save(str(out / "tokenizer.json"))
    return out


def supertoken_train_file(tmp: Path) -> tuple[Path, list[str]]:
    """(training file, held-out lines) of the supertokens bench: the first 90% of tinyshakespeare lines +
    FLORES dev English to train; the last 10% + FLORES devtest English held out. The file is written
    to ``tmp`` (outside the repo)."""
    from tokforge import corpus

    ts, fl = corpus.tinyshakespeare_path(), corpus.flores_dir()
    if ts is None or fl is None:
        raise SystemExit("needs $TOKFORGE_DATA/english/tinyshakespeare.txt and $TOKFORGE_DATA/flores200")
    lines = ts.read_text(encoding="utf-8").split("\n")
    cut = int(len(lines) * 0.9)
    dev = corpus.read_flores(fl, "dev", ["eng_Latn"])["eng_Latn"]
    devtest = corpus.read_flores(fl, "devtest", ["eng_Latn"])["eng_Latn"]
    train = tmp / "train.txt"
    train.write_text("\n".join(lines[:cut]) + "\n" + "\n".join(dev) + "\n", encoding="utf-8")
    return train, [ln for ln in lines[cut:] + devtest if ln.strip()]


def supertokens_ext(extra: int = 2048) -> Path:
    """SmolLM2's tokenizer plus ``extra`` supertokens learned on the supertokens bench's training text
    (cached; the hypernet bench's third unseen tokenizer and the supertokens bench's transplant target)."""
    import tempfile

    from tokforge import artifacts, load_tokenizer
    from tokforge.fetch import pull
    from tokforge.supertokens import train_supertokens

    out = artifacts.cache_dir() / "bench" / f"supertokens-smollm2-ext{extra}"
    if (out / "tokenizer.json").is_file():
        return out
    base = load_tokenizer("smollm2-135m")
    with tempfile.TemporaryDirectory() as d:
        train, _ = supertoken_train_file(Path(d))
        train_supertokens(
            [train], len(base.vocab) + extra, base=pull("smollm2-135m"), out=out, force=True, progress=False
        )
    return out
