"""Corpus metrics per language: pure functions on counts, plus one batched encoding pass.

Token counts are exactly the tokenizer's own encoder output (``Tokenizer.encode_batch``, no
special tokens added). Text statistics (bytes, characters, whitespace words) do not depend on the
tokenizer and are computed once per language.

Definitions (all hand-checkable):

* bytes/token = UTF-8 bytes / tokens; chars/token = code points / tokens.
* fertility = tokens / whitespace words (ASCII whitespace splits words). For text without spaces
  (more than :data:`UNSPACED_CHARS_PER_WORD` characters per "word": Chinese, Japanese, Thai, ...)
  fertility is tokens / characters and ``fertility_unit`` says ``char``.
* split-word share = words whose bytes hold at least one token boundary / words.
* unk rate = tokens equal to the unknown token / tokens.
* utilisation = distinct token ids used / text tokens in the vocabulary.
* Rényi efficiency (Zouhar et al. 2023) = H_a(p) / log |V| with H_a = log(sum p_i^a) / (1 - a),
  a = 2.5, p the unigram distribution of the ids.
* parity (Petrov et al. 2023) = tokens of a language / tokens of the baseline language on the
  same parallel lines.

>>> bytes_per_token(12, 4), fertility(6, 3)
(3.0, 2.0)
>>> round(renyi_efficiency(np.array([1, 1, 1, 1]), vocab_size=4), 6)  # uniform over all of V
1.0
>>> split_word_share(np.frombuffer(b"ab cd", np.uint8), np.array([1, 1, 3]), np.array([5]))
0.5
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np

from ..tokenizer import Tokenizer

RENYI_ALPHA = 2.5
UNSPACED_CHARS_PER_WORD = 12.0
_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 11, 12, 13, 32]] = True


# -- pure metric functions ------------------------------------------------------------------
def bytes_per_token(n_bytes: int, n_tokens: int) -> float:
    return n_bytes / n_tokens if n_tokens else float("nan")


def fertility(n_tokens: int, n_units: int) -> float:
    return n_tokens / n_units if n_units else float("nan")


def renyi_efficiency(counts: np.ndarray, vocab_size: int, alpha: float = RENYI_ALPHA) -> float:
    """Rényi entropy of the token distribution over log |V| (1.0 = uniform use of every token)."""
    c = counts[counts > 0].astype(np.float64)
    if c.sum() == 0 or vocab_size < 2:
        return float("nan")
    p = c / c.sum()
    h = np.log(np.sum(p**alpha)) / (1.0 - alpha)
    return float(h / np.log(vocab_size))


def utilisation(counts: np.ndarray, n_text_tokens: int) -> float:
    """Share of the vocabulary's text tokens used at least once.

    >>> utilisation(np.array([3, 0, 1, 0]), 4)
    0.5
    """
    return float((counts > 0).sum() / n_text_tokens) if n_text_tokens else float("nan")


def unk_rate(ids: np.ndarray, unk_id: int | None) -> float:
    """Share of tokens that are the unknown token.

    >>> unk_rate(np.array([0, 5, 0, 7]), 0)
    0.5
    """
    if unk_id is None or len(ids) == 0:
        return 0.0
    return float((ids == unk_id).sum() / len(ids))


def word_starts(stream: np.ndarray, line_bytes: np.ndarray) -> np.ndarray:
    """Boolean mask: byte i begins a whitespace word (lines never join words).

    >>> word_starts(np.frombuffer(b"ab cdx", np.uint8), np.array([5, 1])).astype(int).tolist()
    [1, 0, 0, 1, 0, 1]
    """
    nonws = ~_WS[stream]
    prev_ws = np.ones(len(stream), dtype=bool)
    prev_ws[1:] = ~nonws[:-1]
    starts = np.cumsum(line_bytes)[:-1]
    prev_ws[starts[starts < len(stream)]] = True
    return nonws & prev_ws


def split_word_share(
    stream: np.ndarray,
    token_bytes: np.ndarray,
    line_bytes: np.ndarray,
    shift: np.ndarray | None = None,
    starts: np.ndarray | None = None,
) -> float:
    """Share of words with a token boundary inside them.

    ``token_bytes``: byte length of every token, in order; ``shift[k]``: bytes the decoded text has
    before token k's end that the input text does not (dummy-prefix spaces), or None;
    ``starts``: :func:`word_starts` of the stream, if already computed.
    """
    if starts is None:
        starts = word_starts(stream, line_bytes)
    n_words = int(starts.sum())
    if n_words == 0:
        return float("nan")
    ends = np.cumsum(token_bytes)
    if shift is not None:
        ends = ends - shift
    ends = ends[(ends > 0) & (ends < len(stream))]
    nonws = ~_WS[stream]
    inside = ends[nonws[ends] & ~starts[ends] & nonws[ends - 1]]
    word_id = np.cumsum(starts) - 1
    split = np.zeros(n_words, dtype=bool)
    split[word_id[inside]] = True
    return float(split.sum() / n_words)


def parity(counts: np.ndarray, keys: list[str], base_counts: np.ndarray, base_keys: list[str]) -> float:
    """Tokens of a language over tokens of the baseline, on the lines both have (by key).

    >>> parity(np.array([4, 6]), ["a", "b"], np.array([2, 3, 9]), ["a", "b", "c"])
    2.0
    """
    if keys == base_keys:
        den = base_counts.sum()
        return float(counts.sum() / den) if den else float("nan")
    pos = {k: i for i, k in enumerate(base_keys)}
    mine = [i for i, k in enumerate(keys) if k in pos]
    den = base_counts[[pos[keys[i]] for i in mine]].sum() if mine else 0
    return float(counts[mine].sum() / den) if den else float("nan")


# -- text statistics (tokenizer-independent) ---------------------------------------------------
@dataclass
class TextStats:
    lines: list[str]
    stream: np.ndarray  # all lines' UTF-8 bytes, concatenated
    line_bytes: np.ndarray
    n_chars: int
    n_words: int
    starts: np.ndarray  # word_starts(stream, line_bytes)

    @property
    def n_bytes(self) -> int:
        return int(len(self.stream))

    @property
    def unspaced(self) -> bool:
        return self.n_words == 0 or self.n_chars / self.n_words > UNSPACED_CHARS_PER_WORD


def text_stats(lines: list[str]) -> TextStats:
    enc = [s.encode("utf-8") for s in lines]
    stream = np.frombuffer(b"".join(enc), dtype=np.uint8)
    line_bytes = np.fromiter(map(len, enc), dtype=np.int64, count=len(enc))
    starts = word_starts(stream, line_bytes)
    return TextStats(lines, stream, line_bytes, sum(map(len, lines)), int(starts.sum()), starts)


# -- encoding ----------------------------------------------------------------------------------
def encode_lines(tok: Tokenizer, lines: list[str], chunk: int = 32768) -> tuple[np.ndarray, np.ndarray]:
    """(all ids flattened, tokens per line) from batched calls of the tokenizer's own encoder.

    Batches of ``chunk`` lines keep memory flat (backends return heavy per-line objects). The
    cyclic garbage collector is paused meanwhile: the backends build hundreds of thousands of
    small lists (no cycles), and collections triggered by them cost ~40 % extra CPU time."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        all_ids, all_counts = [], []
        for s in range(0, len(lines), chunk):
            enc = tok.encode_batch(lines[s : s + chunk])
            counts = np.fromiter(map(len, enc), dtype=np.int64, count=len(enc))
            all_ids.append(np.fromiter(chain.from_iterable(enc), dtype=np.int64, count=int(counts.sum())))
            all_counts.append(counts)
            del enc
    finally:
        if was_enabled:
            gc.enable()
    if not all_ids:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(all_ids), np.concatenate(all_counts)


def language_metrics(
    tok: Tokenizer, st: TextStats, ids: np.ndarray, counts: np.ndarray, token_len: np.ndarray
) -> tuple[dict, np.ndarray]:
    """All per-language metrics for one tokenizer; also returns the id histogram."""
    v = tok.vocab
    n_tok = int(counts.sum())
    hist = np.bincount(ids, minlength=len(v))
    unit_n = st.n_chars if st.unspaced else st.n_words
    row = {
        "tokens": n_tok,
        "bytes": st.n_bytes,
        "chars": st.n_chars,
        "words": st.n_words,
        "lines": len(st.lines),
        "bytes_per_token": bytes_per_token(st.n_bytes, n_tok),
        "chars_per_token": bytes_per_token(st.n_chars, n_tok),
        "fertility": fertility(n_tok, unit_n),
        "fertility_unit": "char" if st.unspaced else "word",
        "split_word_share": float("nan") if st.unspaced else _split_share(tok, st, ids, counts, token_len),
        "unk_rate": unk_rate(ids, v.roles.get("unk")),
        "utilisation": utilisation(hist, len(v.text_ids())),
        "renyi_efficiency": renyi_efficiency(hist, len(v)),
    }
    return row, hist


def _split_share(tok: Tokenizer, st: TextStats, ids: np.ndarray, counts: np.ndarray, token_len: np.ndarray) -> float:
    """NaN when the decoded bytes do not line up with the text (normalizing tokenizers)."""
    tb = token_len[ids]
    if len(tb):
        first = np.minimum(np.r_[0, np.cumsum(counts)[:-1]], len(tb) - 1)
        per_line = np.where(counts > 0, np.add.reduceat(tb, first), 0)
    else:
        per_line = np.zeros(len(counts), np.int64)
    extra = (st.line_bytes > 0).astype(np.int64) if tok.dummy_prefix else np.zeros(len(counts), np.int64)
    if not np.array_equal(per_line, st.line_bytes + extra):
        return float("nan")
    shift = np.repeat(np.cumsum(extra), counts) if tok.dummy_prefix else None
    return split_word_share(st.stream, tb, st.line_bytes, shift, st.starts)
