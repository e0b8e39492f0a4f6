"""Comparing a model before and after a tokenizer change: bits per byte, tokens per byte.

Per-token perplexity cannot compare two tokenizers; bits per byte can: the total negative
log-likelihood of the same text, in bits, divided by its UTF-8 byte count.

Context convention (the same for every model, so ratios are fair): `evaluate_languages` joins
the texts of a language with newlines into one document (``join=True``, the default: FLORES
sentences are consecutive, so later ones get context), then each text is encoded on its own with ``tokenizer.encode(text)`` (no specials added) and prefixed with the tokenizer's BOS id
(else its EOS id) as context; every text token is scored. A tokenizer with neither scores from
its second token on and leaves the first token's bytes out of the byte count. Texts longer than
``max_tokens`` are cut into windows of that many tokens, each with the same one-token context.

>>> stats = {"bits": 100.0, "bytes": 50, "tokens": 10}
>>> summarise(stats)["bits_per_byte"], summarise(stats)["tokens_per_byte"]
(2.0, 0.2)
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..errors import InputError

DEFAULT_LANGS = ("eng_Latn", "fra_Latn", "deu_Latn")
# Used when FLORES is absent: a few plain sentences (written for tokforge, not from any corpus).
EMBEDDED_SAMPLE = [
    "The library opens at nine in the morning and closes at six in the evening.",
    "She bought three apples, two oranges and a loaf of bread at the market.",
    "Rain is expected over the mountains tomorrow, with snow above two thousand metres.",
    "The committee will publish its report after the summer holidays.",
    "He fixed the bicycle chain in ten minutes and rode to the station.",
    "Many small towns along the river depend on fishing and tourism.",
]


def _windows(ids: list[int], ctx: int | None, max_tokens: int) -> list[tuple[list[int], int]]:
    """(input ids, number of leading ids not scored) per window."""
    out = []
    step = max_tokens
    for s in range(0, max(len(ids), 1), step):
        chunk = ids[s:s + step]
        if not chunk:
            break
        out.append(([ctx] + chunk, 1) if ctx is not None else (chunk, 1))
    return out


def _offsets(tokenizer, ids: list[int]) -> np.ndarray:
    """Byte offset in the text where each token starts (the dummy-prefix space is not text)."""
    lens = np.fromiter((len(tokenizer.vocab.tokens[i]) for i in ids), dtype=np.int64, count=len(ids))
    off = np.concatenate([[0], np.cumsum(lens)[:-1]]) if len(ids) else lens
    return np.maximum(off - 1, 0) if tokenizer.dummy_prefix else off


def _first_bytes(vocab) -> np.ndarray:
    """First byte of every token; 256 for special or empty tokens (they predict no text byte)."""
    return np.array([t[0] if t and not k & 1 else 256 for t, k in zip(vocab.tokens, vocab.kinds.tolist())])


def nll_stats(model, tokenizer, texts: Sequence[str], device: str | None = None, batch_size: int = 8,
              max_tokens: int = 512, next_bytes: bool = False) -> dict:
    """{"bits", "bytes", "tokens"} summed over ``texts`` (see the module docstring for the convention).

    With ``next_bytes``, also ``"_next"``: for every scored position, keyed by (text index, byte
    offset of the predicted token), the first byte of the model's top-1 token (256 for a special
    token or end) and the true next byte there. Positions at the same byte offset under two
    tokenizers are the next-byte-aligned predictions `compare` scores."""
    import torch
    import torch.nn.functional as F

    if not texts:
        raise InputError("no evaluation texts", fix="pass a non-empty list of texts")
    dev = torch.device(device) if device else next(model.parameters()).device
    ctx = tokenizer.bos_id if tokenizer.bos_id is not None else tokenizer.eos_id
    encoded = tokenizer.encode_batch(list(texts))
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    if ctx is None:  # first token of each text is context, not scored
        n_bytes -= sum(len(tokenizer.decode_bytes(ids[:1])) for ids in encoded)
    items = [(w, skip, ti, s * max_tokens) for ti, ids in enumerate(encoded)
             for s, (w, skip) in enumerate(_windows(ids, ctx, max_tokens))]
    items.sort(key=lambda x: len(x[0]))
    offsets = [_offsets(tokenizer, ids) for ids in encoded] if next_bytes else []
    raw = [t.encode("utf-8") for t in texts] if next_bytes else []
    first = _first_bytes(tokenizer.vocab) if next_bytes else None
    nxt: dict = {}
    total, n_tok = 0.0, 0
    with torch.no_grad():
        for b in range(0, len(items), batch_size):
            batch = items[b:b + batch_size]
            L = max(len(x[0]) for x in batch)
            inp = torch.zeros(len(batch), L, dtype=torch.long)
            mask = torch.zeros(len(batch), L, dtype=torch.long)
            target = torch.full((len(batch), L), -100, dtype=torch.long)
            for r, (ids, skip, _, _) in enumerate(batch):
                inp[r, :len(ids)] = torch.tensor(ids)
                mask[r, :len(ids)] = 1
                target[r, skip - 1:len(ids) - 1] = torch.tensor(ids[skip:])
            logits = model(input_ids=inp.to(dev), attention_mask=mask.to(dev)).logits.float()
            nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.to(dev).reshape(-1),
                                  ignore_index=-100, reduction="sum")
            total += float(nll)
            n_tok += int((target != -100).sum())
            if next_bytes:
                top = first[logits.argmax(-1).cpu().numpy()]
                for r, (ids, skip, ti, start) in enumerate(batch):
                    lead = 1 if ctx is not None else 0  # window ids = [ctx] + chunk
                    for p in range(skip - 1, len(ids) - 1):
                        off = int(offsets[ti][start + p + 1 - lead])
                        truth = raw[ti][off] if off < len(raw[ti]) else 256
                        nxt[(ti, off)] = (int(top[r, p]), truth)
    out = {"bits": total / math.log(2), "bytes": n_bytes, "tokens": n_tok}
    if next_bytes:
        out["_next"] = nxt
    return out


def _aligned(o: dict, n: dict) -> dict:
    """Top-1 next-byte agreement and accuracy at byte offsets where both tokenizations predict."""
    keys = o.keys() & n.keys()
    if not keys:
        return {}
    op = np.array([o[k][0] for k in keys])
    np_ = np.array([n[k][0] for k in keys])
    truth = np.array([o[k][1] for k in keys])
    return {"aligned_positions": len(keys), "next_byte_agreement": round(float((op == np_).mean()), 4),
            "next_byte_acc_original": round(float((op == truth).mean()), 4),
            "next_byte_acc_new": round(float((np_ == truth).mean()), 4)}


def public(stats_by_lang: dict[str, dict]) -> dict[str, dict]:
    """The same statistics without private (``_``) keys, for reports."""
    return {lang: {k: v for k, v in s.items() if not k.startswith("_")} for lang, s in stats_by_lang.items()}


def summarise(stats: dict) -> dict:
    b = max(stats["bytes"], 1)
    return {**stats, "bits_per_byte": round(stats["bits"] / b, 4), "tokens_per_byte": round(stats["tokens"] / b, 4)}


def bits_per_byte(model, tokenizer, texts: Sequence[str], device: str | None = None, batch_size: int = 8) -> float:
    """Total NLL in bits over the UTF-8 bytes of ``texts`` (BOS context, see module docstring)."""
    s = nll_stats(model, tokenizer, texts, device, batch_size)
    return s["bits"] / max(s["bytes"], 1)


def evaluate_languages(model, tokenizer, texts_by_lang: dict[str, list[str]], device: str | None = None,
                       batch_size: int = 8, progress: bool = False, join: bool = True,
                       next_bytes: bool = False) -> dict[str, dict]:
    """Per language: bits, bytes, tokens, bits_per_byte, tokens_per_byte (texts joined by newlines
    into one document when ``join``); ``_next`` predictions too with ``next_bytes``."""
    out = {}
    for lang, texts in texts_by_lang.items():
        texts = ["\n".join(texts)] if join else texts
        out[lang] = summarise(nll_stats(model, tokenizer, texts, device, batch_size, next_bytes=next_bytes))
        if progress:
            import sys

            print(f"tokforge: {lang}: {out[lang]['bits_per_byte']:.4f} bits/byte", file=sys.stderr, flush=True)
    return out


def compare(old: dict[str, dict], new: dict[str, dict]) -> dict:
    """Per language: original vs new bits/byte and their ratio, tokens/byte old vs new.

    >>> o = {"x": {"bits_per_byte": 1.0, "tokens_per_byte": 0.25}}
    >>> n = {"x": {"bits_per_byte": 1.2, "tokens_per_byte": 0.2}}
    >>> compare(o, n)["x"]["bpb_ratio"], compare(o, n)["x"]["length_ratio"]
    (1.2, 0.8)
    """
    rows = {}
    for lang in old:
        if lang not in new:
            continue
        o, n = old[lang], new[lang]
        rows[lang] = {
            "bpb_original": o["bits_per_byte"], "bpb_new": n["bits_per_byte"],
            "bpb_ratio": round(n["bits_per_byte"] / o["bits_per_byte"], 4),
            "tokens_per_byte_original": o["tokens_per_byte"], "tokens_per_byte_new": n["tokens_per_byte"],
            "length_ratio": round(n["tokens_per_byte"] / o["tokens_per_byte"], 4),
            **(_aligned(o["_next"], n["_next"]) if "_next" in o and "_next" in n else {}),
        }
    if rows:
        rows["mean"] = {k: round(float(np.mean([r[k] for r in rows.values() if k in r])), 4)
                        for k in next(iter(rows.values()))}
    return rows


def default_texts(spec: str | None = None, langs: Sequence[str] | None = None, limit: int = 40) -> dict[str, list[str]]:
    """Evaluation texts: ``spec`` (``flores200:DIR``, a file, a folder of LANG.txt) or FLORES devtest
    when present (``DEFAULT_LANGS``), else the embedded English sample."""
    from .. import corpus

    if spec:
        return corpus.read_corpus(spec, split="devtest", langs=list(langs) if langs else None, limit=limit)
    d = corpus.flores_dir()
    if d is None:
        return {"embedded_en": list(EMBEDDED_SAMPLE)}
    return corpus.read_flores(d, "devtest", list(langs or DEFAULT_LANGS), limit)
