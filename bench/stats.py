"""The benches' yardstick: per-sentence bits and bytes, and seeded paired bootstrap intervals of ratios.

Evaluation keeps the library's convention (`tokforge.evaluate.bits`: the sentences of a language are one
document joined by newlines, so later sentences have context). `evaluate_sentences` asks for the per-token
log-probabilities of that document and gives every scored token to the sentence in which its first byte
lies (a newline belongs to the sentence it ends); a sentence's bytes are its part of the text the model
saw. The sums over sentences are the document's bits and bytes, so a ratio from the per-sentence numbers
is the bench's ratio.

`bootstrap` resamples the sentences of each language with replacement (``n`` resamples, ``seed``) and
recomputes the ratio of bits/byte (new over original, from the same resampled sentences: paired); the
five-language mean resamples within each language and averages. The interval is the 2.5 and 97.5
percentiles. `bootstrap_diff` gives the interval of a difference of two ratios on the same sentences.

>>> orig = {"x": {"bits": [10.0, 10.0, 10.0], "bytes": [10, 10, 10]}}
>>> new = {"x": {"bits": [11.0, 11.0, 11.0], "bytes": [10, 10, 10]}}
>>> bootstrap(orig, new, n=50)
{'x': [1.1, 1.1], 'mean': [1.1, 1.1]}
"""

from __future__ import annotations

import numpy as np

RESAMPLES = 2000
SEED = 0


def sentence_split(stats: dict, tokenizer, n_sentences: int) -> dict:
    """``{"bits": [...], "bytes": [...]}`` per sentence of one joined document from `nll_stats` output
    with ``per_token`` (one document: ``_token_logprobs[0]``, ``_ids[0]``)."""
    from tokforge.evaluate.bits import token_offsets

    if len(stats["_ids"]) != 1:
        raise ValueError("expected one joined document per language (EvalConfig(join=True))")
    ids, lp = stats["_ids"][0], np.asarray(stats["_token_logprobs"][0], dtype=np.float64)
    seen = tokenizer.decode_bytes(ids)
    nl = np.flatnonzero(np.frombuffer(seen, dtype=np.uint8) == 10)
    if nl.size != n_sentences - 1:
        raise ValueError(f"the text the model saw has {nl.size + 1} lines for {n_sentences} sentences")
    who = np.searchsorted(nl, token_offsets(tokenizer, ids), side="left")  # a token starting at "\n": before it
    scored = ~np.isnan(lp)
    bits = np.bincount(who[scored], weights=-lp[scored], minlength=n_sentences) / np.log(2)
    starts = np.concatenate([[0], nl + 1])
    nbytes = np.diff(np.concatenate([starts, [len(seen)]]))
    unscored = ~scored
    if unscored.any():  # no BOS/EOS context: the first token is context, out of the byte count
        nbytes[0] -= len(tokenizer.decode_bytes(ids[:1]))
    if abs(bits.sum() - stats["bits"]) > 1e-6 * max(1.0, stats["bits"]) or int(nbytes.sum()) != stats["bytes"]:
        raise ValueError("per-sentence numbers do not add up to the document's")
    return {"bits": [round(float(b), 4) for b in bits], "bytes": [int(b) for b in nbytes]}


def evaluate_sentences(model, tokenizer, texts_by_lang: dict, **kw) -> tuple[dict, dict]:
    """(`evaluate_languages` output, per-sentence bits and bytes per language): one evaluation."""
    from tokforge.evaluate.bits import evaluate_languages

    stats = evaluate_languages(model, tokenizer, texts_by_lang, per_token=True, **kw)
    sents = {lang: sentence_split(stats[lang], tokenizer, len(texts_by_lang[lang])) for lang in texts_by_lang}
    for s in stats.values():  # the per-token arrays are large and have been used
        s.pop("_token_logprobs", None)
        s.pop("_ids", None)
    return stats, sents


def _draws(orig: dict, n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {lang: rng.integers(0, len(orig[lang]["bits"]), size=(n, len(orig[lang]["bits"]))) for lang in orig}


def _ratios(orig: dict, new: dict, idx: dict) -> dict:
    """Per language, the ratio of bits/byte (new over original) of every resample ``idx[lang]``."""
    out = {}
    for lang, ix in idx.items():
        o, w = orig[lang], new[lang]
        ob, oy = np.asarray(o["bits"])[ix].sum(1), np.asarray(o["bytes"])[ix].sum(1)
        nb, ny = np.asarray(w["bits"])[ix].sum(1), np.asarray(w["bytes"])[ix].sum(1)
        out[lang] = (nb / ny) / (ob / oy)
    out["mean"] = np.mean([out[lang] for lang in idx], axis=0)
    return out


def _interval(x: np.ndarray) -> list[float]:
    lo, hi = np.percentile(x, [2.5, 97.5])
    return [round(float(lo), 4), round(float(hi), 4)]


def bootstrap(orig: dict, new: dict, n: int = RESAMPLES, seed: int = SEED) -> dict:
    """95% interval of the bits/byte ratio new/original per language and of their mean (paired, seeded)."""
    if orig.keys() != new.keys() or any(len(orig[k]["bits"]) != len(new[k]["bits"]) for k in orig):
        raise ValueError("the two evaluations cover different sentences")
    return {k: _interval(v) for k, v in _ratios(orig, new, _draws(orig, n, seed)).items()}


def bootstrap_diff(orig: dict, a: dict, b: dict, n: int = RESAMPLES, seed: int = SEED) -> dict:
    """95% interval of ratio(a) - ratio(b) per language and of the mean, on the same resamples (paired):
    an interval wholly below zero says ``a`` beats ``b`` by more than the sentence noise."""
    idx = _draws(orig, n, seed)
    ra, rb = _ratios(orig, a, idx), _ratios(orig, b, idx)
    return {k: _interval(ra[k] - rb[k]) for k in ra}


def interval_note(n: int = RESAMPLES, seed: int = SEED) -> str:
    return (
        f"95% paired bootstrap over sentences ({n} resamples, seed {seed}; per language, the mean resampled "
        "within each language)"
    )


def marginal_argument(ap, what: str = "texts") -> None:
    """``--marginal N`` of the transplant and heal benches (default: the library's subset; 0: off)."""
    from tokforge.evaluate.marginal import DEFAULT_LIMIT

    ap.add_argument(
        "--marginal",
        type=int,
        default=DEFAULT_LIMIT,
        help=f"{what} in all (the first of each language) also scored by marginal bits/byte (0: off)",
    )


def marginal_ratios(orig: dict, new: dict) -> dict:
    """Per language and their mean: marginal bits/byte of ``new`` over ``orig`` (`tokforge.evaluate.marginal`
    blocks of the same texts), and the same for the canonical bits/byte of those texts read the same way.

    >>> o = {"x": {"marginal_bits_per_byte": 1.0, "canonical_bits_per_byte": 1.1}}
    >>> n = {"x": {"marginal_bits_per_byte": 1.2, "canonical_bits_per_byte": 1.43}}
    >>> marginal_ratios(o, n)
    {'marginal': {'x': 1.2, 'mean': 1.2}, 'canonical': {'x': 1.3, 'mean': 1.3}}
    """
    out = {}
    for kind in ("marginal", "canonical"):
        key = f"{kind}_bits_per_byte"
        r = {lang: round(new[lang][key] / orig[lang][key], 4) for lang in orig}
        r["mean"] = round(float(np.mean(list(r.values()))), 4)
        out[kind] = r
    return out
