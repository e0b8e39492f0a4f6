"""Comparing a model before and after a tokenizer change: bits per byte, tokens per byte.

Per-token perplexity cannot compare two tokenizers; bits per byte can: the total negative
log-likelihood of a text, in bits, divided by the number of bytes the model really saw.

The convention, the same for every tokenizer so that ratios are fair:

* **Documents.** `evaluate_languages` joins the texts of a language with newlines into one
  document (``join=True``, the default: FLORES sentences are consecutive, so later ones get
  context). Each document is encoded with ``tokenizer.encode(text)`` (no specials added).
* **Bytes seen.** The denominator is the byte length of ``tokenizer.decode_bytes(ids)``, the text
  the model actually read, not of the input string. A tokenizer that drops bytes (SmolLM2 has no
  token for 21 byte values) or normalises text (NFKC, lower-casing) would otherwise look better
  than it is. Each document's round trip is recorded (``round_trip``: exact, or how many bytes
  changed); a lossy one prints a warning, and one that changes more than ``max_loss`` (0.1%) of
  its bytes is an error.
* **Context.** Every window starts with the tokenizer's BOS id (else its EOS id) as context; a
  tokenizer with neither leaves the document's first token unscored and out of the byte count.
* **Windows with a stride.** A document longer than ``max_tokens`` is read in overlapping windows
  of ``max_tokens`` tokens that advance by ``stride`` (default ``max_tokens // 2``); only the
  tokens new to a window are scored, so every scored token past the first window has at least
  ``max_tokens - stride`` tokens of context, whatever the tokenizer's length (see `windows`).

>>> stats = {"bits": 100.0, "bytes": 50, "tokens": 10}
>>> summarise(stats)["bits_per_byte"], summarise(stats)["tokens_per_byte"]
(2.0, 0.2)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import InputError, TokforgeWarning
from .roundtrip import check_round_trip, round_trip, trip_label

DEFAULT_LANGS = ("eng_Latn", "fra_Latn", "deu_Latn")
# A smoke test when asked for (``"embedded"``): a few plain sentences (written for tokforge, not from any corpus).
EMBEDDED = "embedded"
EMBEDDED_SAMPLE = [
    "The library opens at nine in the morning and closes at six in the evening.",
    "She bought three apples, two oranges and a loaf of bread at the market.",
    "Rain is expected over the mountains tomorrow, with snow above two thousand metres.",
    "The committee will publish its report after the summer holidays.",
    "He fixed the bicycle chain in ten minutes and rode to the station.",
    "Many small towns along the river depend on fishing and tourism.",
]

CONVENTION = (
    "bits per byte of the text the model saw (decode_bytes of its encoding); texts of a language joined "
    "by newlines into one document, encoded without specials; every window starts with the BOS (else EOS) "
    "id; windows of max_tokens advance by stride and score only their new tokens"
)


@dataclass(frozen=True)
class EvalConfig:
    """How `nll_stats` reads a document (see the module docstring); checked when it is made.

    >>> EvalConfig(max_tokens=16).step
    8
    >>> EvalConfig(stride=0)
    Traceback (most recent call last):
    ...
    tokforge.errors.InputError: stride must be between 1 and max_tokens: stride=0, max_tokens=512
    """

    max_tokens: int = 512
    stride: int | None = None  # new tokens per window after the first; None: max_tokens // 2
    batch_size: int = 8
    max_loss: float = 0.001  # fraction of bytes a lossy tokenizer may change before it is an error
    join: bool = True  # the texts of a language are one document (joined by newlines), else one each

    def __post_init__(self) -> None:
        if self.max_tokens < 2:
            raise InputError("max_tokens must be at least 2", where=f"max_tokens={self.max_tokens}")
        s = self.step
        if not 1 <= s <= self.max_tokens:
            raise InputError(
                "stride must be between 1 and max_tokens", where=f"stride={s}, max_tokens={self.max_tokens}"
            )
        if self.batch_size < 1:
            raise InputError("batch_size must be at least 1", where=f"batch_size={self.batch_size}")
        if not 0 <= self.max_loss < 1:
            raise InputError("max_loss must be in [0, 1)", where=f"max_loss={self.max_loss}")

    def check(self) -> "EvalConfig":
        """Kept for old callers: an `EvalConfig` is checked when it is made."""
        return self

    @property
    def step(self) -> int:
        return self.stride if self.stride is not None else max(1, self.max_tokens // 2)


def windows(n: int, max_tokens: int, stride: int) -> list[tuple[int, int, int]]:
    """``(start, score_from, end)`` per window over ``n`` tokens: tokens ``[start, end)`` are read,
    tokens ``[score_from, end)`` are scored. Every token is scored once; a token scored in a later
    window has at least ``max_tokens - stride`` tokens of context in it.

    >>> windows(10, 4, 2)
    [(0, 0, 4), (2, 4, 6), (4, 6, 8), (6, 8, 10)]
    >>> windows(3, 4, 2)
    [(0, 0, 3)]
    """
    if n <= 0:
        return []
    out = [(0, 0, min(n, max_tokens))]
    while out[-1][2] < n:
        end = min(n, out[-1][2] + stride)
        out.append((end - max_tokens, out[-1][2], end))
    return out


def token_offsets(tokenizer, ids: list[int]) -> np.ndarray:
    """Byte offset in the text where each of ``ids`` starts (the dummy-prefix space is not text).

    Returns an int64 array, one offset per id: GPT-2's ``"Hello world"`` -> ``[0, 5]``."""
    lens = np.fromiter((len(tokenizer.vocab.tokens[i]) for i in ids), dtype=np.int64, count=len(ids))
    off = np.concatenate([[0], np.cumsum(lens)[:-1]]) if len(ids) else lens
    return np.maximum(off - 1, 0) if tokenizer.dummy_prefix else off


def _first_bytes(vocab) -> np.ndarray:
    """First byte of every token; 256 for special or empty tokens (they predict no text byte)."""
    return np.array([t[0] if t and not k & 1 else 256 for t, k in zip(vocab.tokens, vocab.kinds.tolist())])


def _items(encoded: list[list[int]], ctx: int | None, cfg: EvalConfig) -> list[tuple]:
    """One entry per window: (input ids, first scored input position, doc index, doc token index of
    the first scored token)."""
    items = []
    lead = 1 if ctx is not None else 0
    for ti, ids in enumerate(encoded):
        for start, frm, end in windows(len(ids), cfg.max_tokens, cfg.step):
            if ctx is None and frm == 0:
                frm = 1  # nothing predicts the first token
            if frm >= end:
                continue
            inp = ([ctx] if lead else []) + ids[start:end]
            items.append((inp, lead + frm - start, ti, frm))
    return items


def nll_stats(
    model,
    tokenizer,
    texts: Sequence[str],
    device: str | None = None,
    *,
    cfg: EvalConfig | None = None,
    next_bytes: bool = False,
    per_token: bool = False,
    where: str = "",
) -> dict:
    """``{"bits", "bytes", "bytes_text", "tokens", "round_trip"}`` summed over ``texts`` (the module
    docstring has the convention). ``bytes`` counts the bytes the model saw.

    With ``next_bytes``, also ``"_next"``: for every scored position, keyed by (text index, byte
    offset of the predicted token), the first byte of the model's top-1 token (256 for a special
    token or end) and the true next byte there. Positions at the same byte offset under two
    tokenizers are the next-byte-aligned predictions `compare` scores. With ``per_token``, also
    ``"_token_logprobs"`` (one array per text, NaN where a token is not scored) and ``"_ids"``."""
    import torch

    cfg = cfg or EvalConfig()
    if not texts:
        raise InputError("no evaluation texts", where=where or None, fix="pass a non-empty list of texts")
    doc = _Documents(tokenizer, list(texts), next_bytes, per_token)
    dev = torch.device(device) if device else next(model.parameters()).device
    items = sorted(_items(doc.encoded, doc.ctx, cfg), key=lambda x: len(x[0]))
    with torch.no_grad():
        for b in range(0, len(items), cfg.batch_size):
            doc.score(model, items[b : b + cfg.batch_size], dev)
    return doc.result()


class _Documents:
    """The texts of one `nll_stats` call, encoded, and what scoring their windows adds up."""

    def __init__(self, tokenizer, texts: list[str], next_bytes: bool, per_token: bool):
        import torch

        self.tok, self.next_bytes, self.per_token = tokenizer, next_bytes, per_token
        self.ctx = tokenizer.bos_id if tokenizer.bos_id is not None else tokenizer.eos_id
        self.encoded = tokenizer.encode_batch(texts)
        self.seen = [tokenizer.decode_bytes(ids) for ids in self.encoded]
        self.raw = [t.encode("utf-8") for t in texts]
        self.offsets = [token_offsets(tokenizer, ids) for ids in self.encoded] if next_bytes else []
        self.first = torch.from_numpy(_first_bytes(tokenizer.vocab)) if next_bytes else None
        self.nxt: dict = {}
        self.tok_lp = [np.full(len(ids), np.nan) for ids in self.encoded] if per_token else []
        self.total, self.n_tok = 0.0, 0

    def score(self, model, batch: list[tuple], dev) -> None:
        """One batch of windows through the model: add their log-probabilities (and predictions)."""
        import torch

        from ..surgery.forward import body_states, chunked_logprobs

        L = max(len(x[0]) for x in batch)
        inp = torch.zeros(len(batch), L, dtype=torch.long)
        mask = torch.zeros(len(batch), L, dtype=torch.long)
        rows, cols, tgt = [], [], []
        for r, (ids, first_pos, _, _) in enumerate(batch):
            inp[r, : len(ids)] = torch.tensor(ids)
            mask[r, : len(ids)] = 1
            rows += [r] * (len(ids) - first_pos)
            cols += range(first_pos - 1, len(ids) - 1)
            tgt += ids[first_pos:]
        h = body_states(model, inp.to(dev), mask.to(dev))
        hs = h[torch.tensor(rows, device=dev), torch.tensor(cols, device=dev)]
        lp, top = chunked_logprobs(model, hs, torch.tensor(tgt, device=dev), want_top1=self.next_bytes)
        self.total -= float(lp.double().sum())
        self.n_tok += len(tgt)
        if self.per_token:
            self._keep_logprobs(batch, lp.double().cpu().numpy())
        if self.next_bytes:
            self._keep_next(batch, self.first[top.cpu()].tolist())

    def _keep_logprobs(self, batch: list[tuple], vals: np.ndarray) -> None:
        k = 0
        for ids, first_pos, ti, frm in batch:
            n = len(ids) - first_pos
            self.tok_lp[ti][frm : frm + n] = vals[k : k + n]
            k += n

    def _keep_next(self, batch: list[tuple], top_b: list[int]) -> None:
        k = 0
        for ids, first_pos, ti, frm in batch:
            for j in range(len(ids) - first_pos):
                off = int(self.offsets[ti][frm + j])
                truth = self.seen[ti][off] if off < len(self.seen[ti]) else 256
                self.nxt[(ti, off)] = (top_b[k], truth)
                k += 1

    def result(self) -> dict:
        trips = [round_trip(r, s) for r, s in zip(self.raw, self.seen)]
        n_bytes = sum(len(s) for s in self.seen)
        if self.ctx is None:  # first token of each text is context, not scored
            n_bytes -= sum(len(self.tok.decode_bytes(ids[:1])) for ids in self.encoded)
        lossy = [t for t in trips if not t["exact"]]
        changed = sum(t["bytes_changed"] for t in lossy)
        out = {
            "bits": self.total / math.log(2),
            "bytes": n_bytes,
            "bytes_text": sum(len(r) for r in self.raw),
            "tokens": self.n_tok,
            "round_trip": "exact"
            if not lossy
            else {
                "documents_changed": len(lossy),
                "bytes_changed": changed,
                "changed_fraction": round(changed / max(1, sum(map(len, self.raw))), 6),
            },
        }
        if self.next_bytes:
            out["_next"] = self.nxt
        if self.per_token:
            out["_token_logprobs"], out["_ids"] = self.tok_lp, self.encoded
        return out


def summarise(stats: dict) -> dict:
    b = max(stats["bytes"], 1)
    return {**stats, "bits_per_byte": round(stats["bits"] / b, 4), "tokens_per_byte": round(stats["tokens"] / b, 4)}


def bits_per_byte(
    model, tokenizer, texts: Sequence[str], device: str | None = None, cfg: EvalConfig | None = None
) -> float:
    """Total NLL in bits over the bytes the model saw of ``texts`` (each text its own document)."""
    s = nll_stats(model, tokenizer, texts, device, cfg=cfg)
    return s["bits"] / max(s["bytes"], 1)


def evaluate_languages(
    model,
    tokenizer,
    texts_by_lang: dict[str, list[str]],
    device: str | None = None,
    *,
    cfg: EvalConfig | None = None,
    next_bytes: bool = False,
    per_token: bool = False,
    progress: bool = False,
) -> dict[str, dict]:
    """Per language: bits, bytes (seen), bytes_text, tokens, round_trip, bits_per_byte, tokens_per_byte
    (texts joined by newlines into one document unless ``cfg.join`` is off); ``_next`` predictions too
    with ``next_bytes``, ``_token_logprobs``/``_ids`` with ``per_token`` (`gap.gap_breakdown` reuses
    them). The one evaluation every feature and bench uses (`evaluate_model` is its public form)."""
    if not texts_by_lang:
        raise InputError("no evaluation languages", fix="pass texts for at least one language")
    cfg = cfg or EvalConfig()
    out = {}
    for lang, texts in texts_by_lang.items():
        if not texts:
            raise InputError("no evaluation text for a language", where=lang, fix="drop the language or give it text")
        texts = ["\n".join(texts)] if cfg.join else list(texts)
        stats = nll_stats(
            model, tokenizer, texts, device, cfg=cfg, next_bytes=next_bytes, per_token=per_token, where=lang
        )
        out[lang] = summarise(stats)
        check_round_trip(out[lang], tokenizer, lang, cfg.max_loss)
        if progress:
            import sys

            print(f"tokforge: {lang}: {out[lang]['bits_per_byte']:.4f} bits/byte", file=sys.stderr, flush=True)
    return out


def next_byte_alignment(o: dict, n: dict) -> dict:
    """Top-1 next-byte agreement and accuracy at byte offsets where both tokenizations predict.

    ``o`` and ``n`` map ``(text index, byte offset)`` to ``(predicted byte, true byte)`` for the original and
    the new tokenizer; returns ``{}`` when no offset is shared.

    >>> next_byte_alignment({(0, 0): (72, 72), (0, 5): (32, 32)}, {(0, 0): (72, 72), (0, 5): (120, 32)})
    {'aligned_positions': 2, 'next_byte_agreement': 0.5, 'next_byte_acc_original': 1.0, 'next_byte_acc_new': 0.5}
    """
    keys = o.keys() & n.keys()
    if not keys:
        return {}
    op = np.array([o[k][0] for k in keys])
    np_ = np.array([n[k][0] for k in keys])
    truth = np.array([o[k][1] for k in keys])
    return {
        "aligned_positions": len(keys),
        "next_byte_agreement": round(float((op == np_).mean()), 4),
        "next_byte_acc_original": round(float((op == truth).mean()), 4),
        "next_byte_acc_new": round(float((np_ == truth).mean()), 4),
    }


def public(stats_by_lang: dict[str, dict]) -> dict[str, dict]:
    """The same statistics without private (``_``) keys, for reports."""
    return {lang: {k: v for k, v in s.items() if not k.startswith("_")} for lang, s in stats_by_lang.items()}


def compare(old: dict[str, dict], new: dict[str, dict]) -> dict:
    """Per language: original vs new bits/byte and their ratio, tokens/byte old vs new, round trips.

    A language missing on one side is an error (a comparison never drops data silently).

    >>> o = {"x": {"bits_per_byte": 1.0, "tokens_per_byte": 0.25}}
    >>> n = {"x": {"bits_per_byte": 1.2, "tokens_per_byte": 0.2}}
    >>> compare(o, n)["x"]["bpb_ratio"], compare(o, n)["x"]["length_ratio"]
    (1.2, 0.8)
    """
    if old.keys() != new.keys():
        raise InputError(
            "before/after evaluations cover different languages",
            where=f"{sorted(old)} vs {sorted(new)}",
            fix="evaluate both models on the same texts",
        )
    rows = {}
    for lang in old:
        o, n = old[lang], new[lang]
        rows[lang] = {
            "bpb_original": o["bits_per_byte"],
            "bpb_new": n["bits_per_byte"],
            "bpb_ratio": round(n["bits_per_byte"] / o["bits_per_byte"], 4),
            "tokens_per_byte_original": o["tokens_per_byte"],
            "tokens_per_byte_new": n["tokens_per_byte"],
            "length_ratio": round(n["tokens_per_byte"] / o["tokens_per_byte"], 4),
            **(next_byte_alignment(o["_next"], n["_next"]) if "_next" in o and "_next" in n else {}),
        }
        if "round_trip" in o or "round_trip" in n:
            rows[lang]["round_trip_original"], rows[lang]["round_trip_new"] = trip_label(o), trip_label(n)
    if rows:
        numeric = [k for k, v in next(iter(rows.values())).items() if isinstance(v, (int, float))]
        rows["mean"] = {k: round(float(np.mean([r[k] for r in rows.values() if k in r])), 4) for k in numeric}
    return rows


def default_texts(
    spec: str | None = None, langs: Sequence[str] | None = None, limit: int = 40, split: str = "devtest"
) -> tuple[dict[str, list[str]], str]:
    """``(texts per language, where they came from)``: ``spec`` (``flores200:DIR``, a file, a folder of
    LANG.txt, or ``"embedded"``: tokforge's few English sentences, a smoke test with a warning) or FLORES
    ``split`` (``DEFAULT_LANGS``). FLORES missing with no ``spec`` is an error, never a quiet fall-back to toy
    text, and so is a requested language that is missing."""
    from .. import corpus

    if spec == EMBEDDED:
        warnings.warn(
            f"evaluating on tokforge's {len(EMBEDDED_SAMPLE)} embedded English sentences: a smoke test, "
            "not an evaluation (pass evaluation texts for one)",
            TokforgeWarning,
            stacklevel=2,
        )
        return {"embedded_en": list(EMBEDDED_SAMPLE)}, "embedded English sample (asked for)"
    if spec:
        return corpus.read_corpus(spec, split=split, langs=list(langs) if langs else None, limit=limit), spec
    d = corpus.flores_dir()
    if d is None:
        raise InputError(
            "no evaluation text: none was given and FLORES-200 was not found",
            where=",".join(langs) if langs else "the default languages",
            fix="set TOKFORGE_DATA to a folder holding flores200/, give evaluation text (flores200:DIR, a text "
            f"file, a folder of LANG.txt), or {EMBEDDED!r} for a smoke test on a few English sentences",
        )
    return corpus.read_flores(d, split, list(langs or DEFAULT_LANGS), limit), f"flores200:{d} ({split})"
