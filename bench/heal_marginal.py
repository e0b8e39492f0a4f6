"""Benchmark: how much of a transplanted model's gap is probability on other tokenizations of the same bytes
(bench/results/heal_marginal.json).

`tokforge.evaluate.bits` (and every ratio in heal.json) scores the canonical tokenization of the text:
log p(enc(text)). A transplanted model may put part of its probability on *other* token sequences that
spell the same bytes (for SmolLM2 given Gemma-3's vocabulary, the old SmolLM2 pieces " nom" + "inations"
instead of the new token " nominations"), which a user who samples from it receives as the same text.
The probability of the text itself is the marginal over all tokenizations. This bench scores both, per
sentence, for the original and the transplanted model, on the same bytes after the same start (each
model's BOS):

* canonical: `ByteLM.token_logprob` (the evaluator's quantity, sentence by sentence);
* marginal: `MarginalByteLM(beam=B).logprob`, a lower bound of the marginal (segmentations past the
  beam are dropped; ``pruned`` counts them), so its bits/byte are an upper bound.

Students: the TokenAdapt hybrid transplant (heal.py's start, cached by heal.py) and the same after the
calibration that starts every heal run (`tokforge.heal.calibrate`). Text: the first
--sentences FLORES devtest sentences of each --langs language (the sentences heal.json evaluates on).

    python bench/heal_marginal.py --targets gemma3 --sentences 10 --beam 8
    python bench/heal_marginal.py --quick      # a smoke test of the same code: QUICK unless given, a temporary folder
"""

from __future__ import annotations

import argparse
import copy
import math
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import apply_quick, pick, write_results  # noqa: E402
from heal import LANGS, student, training_texts  # noqa: E402

from tokforge import corpus, models  # noqa: E402
from tokforge.heal.config import HealConfig  # noqa: E402

LN2 = math.log(2)
HEAL_WINDOWS = HealConfig().calibrate  # the windows every heal run of bench/heal.py calibrates on
# --quick: one sentence, a narrow beam, the 32k BPE student calibrated on 2 windows
QUICK = {"targets": "bpe32k", "sentences": 1, "beam": 2, "calibrate": 2, "threads": 1}


def say(msg: str) -> None:
    print(f"[heal_marginal bench] {msg}", file=sys.stderr, flush=True)


def score(model, tok, texts: dict[str, list[str]], beam: int) -> dict:
    """Per language: canonical and beam-marginal bits/byte over the sentences (each after the BOS alone)."""
    from tokforge.bytelevel.bytelm import ByteLM
    from tokforge.bytelevel.marginal import MarginalByteLM
    from tokforge.progress import bar

    canon_lm, marg_lm = ByteLM(model, tok), MarginalByteLM(model, tok, beam=beam)
    out = {}
    for lang, sents in texts.items():
        t = time.perf_counter()
        c = g = 0.0
        n = 0
        per = []
        with bar(len(sents), f"{lang} (canonical + beam {beam})", unit="sentence") as b:
            for s in sents:
                d = s.encode("utf-8")
                lc, lg = canon_lm.token_logprob(d), marg_lm.logprob(d)
                c, g, n = c + lc, g + lg, n + len(d)
                per.append(
                    {"bytes": len(d), "canonical_bits": round(-lc / LN2, 3), "marginal_bits": round(-lg / LN2, 3)}
                )
                b.update(1)
        out[lang] = {
            "sentences": len(sents),
            "bytes": n,
            "canonical_bpb": round(-c / n / LN2, 5),
            "marginal_bpb": round(-g / n / LN2, 5),
            "seconds": round(time.perf_counter() - t, 1),
            "per_sentence": per,
        }
    out["_pruned"] = marg_lm.pruned
    return out


def ratios(teacher: dict, stu: dict) -> dict:
    """Per language: the student's bits/byte over the original's, canonical and marginal, and the share of
    the canonical gap that the marginal removes."""
    out = {}
    for lang, t in teacher.items():
        if lang.startswith("_"):
            continue
        s = stu[lang]
        rc, rm = s["canonical_bpb"] / t["canonical_bpb"], s["marginal_bpb"] / t["marginal_bpb"]
        out[lang] = {
            "ratio_canonical": round(rc, 4),
            "ratio_marginal": round(rm, 4),
            "gap_share_on_other_tokenizations": round((rc - rm) / (rc - 1), 3) if rc > 1 else None,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", default="gemma3,bpe32k")
    ap.add_argument("--langs", default="eng_Latn", help=f"comma-separated, among {LANGS}")
    ap.add_argument("--sentences", type=int, default=10, help="first FLORES devtest sentences per language")
    ap.add_argument("--beam", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--calibrate", type=int, default=HEAL_WINDOWS, help="training windows of the calibration")
    ap.add_argument("--out", default=None, help="results file (default bench/results/heal_marginal.json)")
    ap.add_argument("--quick", action="store_true", help=f"{QUICK} unless given; a temporary results folder")
    a = ap.parse_args()
    if a.quick:
        apply_quick(a, QUICK)
    torch.set_num_threads(a.threads)
    langs = pick(a.langs, LANGS, "--langs")
    flores = corpus.flores_dir()
    shakes = corpus.tinyshakespeare_path()
    if flores is None or shakes is None:
        sys.exit("FLORES-200 and tinyshakespeare are needed ($TOKFORGE_DATA)")
    texts = corpus.read_flores(flores, "devtest", langs, a.sentences)
    teacher, t_tok = models.load_causal_lm("smollm2-135m")
    say("original model")
    res = {
        "setup": {
            "model": "smollm2-135m",
            "text": f"FLORES devtest {langs}, first {a.sentences} sentences each, each scored after the BOS alone",
            "marginal": f"tokforge.bytelevel.marginal.MarginalByteLM, beam {a.beam}: a lower bound of the "
            "probability over all tokenizations (bits/byte: an upper bound)",
            "canonical": "ByteLM.token_logprob: log p(canonical tokenization), the evaluator's quantity",
            "calibration": f"tokforge.heal.calibrate on the first {a.calibrate} training windows of bench/heal.py",
            "threads": a.threads,
            "machine": platform.platform(),
            "torch": torch.__version__,
        },
        "original": score(teacher, t_tok, texts, a.beam),
        "targets": {},
    }
    for target in [x.strip() for x in a.targets.split(",") if x.strip()]:
        s_model, s_tok = student(target, teacher, t_tok, flores)
        say(f"{target}: transplant")
        before = score(s_model, s_tok, texts, a.beam)
        say(f"{target}: after calibration")
        cal_model = copy.deepcopy(s_model)
        cal = calibrated(cal_model, s_tok, t_tok, flores, shakes, a.calibrate)
        after = score(cal_model, s_tok, texts, a.beam)
        res["targets"][target] = {
            "vocab_size": len(s_tok.vocab),
            "transplant": {"scores": before, "vs_original": ratios(res["original"], before)},
            "calibrated": {"scores": after, "vs_original": ratios(res["original"], after), "calibration": cal},
        }
        say(f"{target}: {res['targets'][target]['transplant']['vs_original']}")
        del s_model, cal_model
    say(f"wrote {write_results('heal_marginal', res, a.out)}")


def calibrated(model, s_tok, t_tok, flores: Path, shakes: Path, windows: int = HEAL_WINDOWS) -> dict:
    """Calibrate ``model`` in place as every heal run of bench/heal.py starts (same windows; ``windows``:
    how many, HealConfig's default as heal.py)."""
    from tokforge.heal.calibrate import calibrate
    from tokforge.heal.data import windows_of

    train, _ = training_texts(flores, shakes, 25)
    evals = corpus.read_flores(flores, "devtest", LANGS, 25)
    cfg = HealConfig(calibrate=windows)
    return calibrate(model, s_tok, t_tok, windows_of(train, cfg, evals), cfg)


if __name__ == "__main__":
    main()
