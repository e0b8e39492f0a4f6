"""Random UnigramLM tokenizers drawn from recent training text (the hypernetwork's curriculum).

Every training step sees a different tokenizer, so the hypernetwork learns to embed *any*
vocabulary rather than one. Recipe (after ZeTT):

* text is pre-tokenized byte-level (GPT-2 regex; words keep their leading space);
* every substring of 2..``max_piece_len`` bytes of every word is a candidate, counted by
  word frequency over a rolling window of the last ``window`` batches;
* a candidate's score is ``log(freq) + log(len) + noise * Gumbel``; the top ``V - 256`` are kept,
  where ``V`` is drawn uniformly from ``[min_vocab, max_vocab]``;
* all 256 bytes are always in, so any text encodes; piece log-probs are log relative frequencies.

>>> s = TokenizerSampler(SamplerConfig(min_vocab=260, max_vocab=260, noise=0.0))
>>> s.add_text(["the cat the cat the hat"])
>>> tok = s.sample(seed=0)
>>> len(tok), tok.vocab.tokens[256:]  # scores: "the" 3x3=9, " cat" 2x4=8, " the" 2x4=8, "at"/"he"/"th" 3x2=6
(260, [b'the', b' cat', b' the', b'at'])
>>> [tok.vocab.tokens[i] for i in tok.encode("the cat")]
[b'the', b' cat']
"""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import Sequence

import numpy as np

from tokforge.errors import InputError
from tokforge.vocab import bytes_to_unicode

_B2U = bytes_to_unicode()
BYTE_CHARS = [_B2U[b] for b in range(256)]


@dataclasses.dataclass
class SamplerConfig:
    min_vocab: int = 8000
    max_vocab: int = 32000
    max_piece_len: int = 16
    noise: float = 1.0
    window: int = 32

    def check(self) -> "SamplerConfig":
        if not 257 <= self.min_vocab <= self.max_vocab:
            raise InputError(
                "sampled vocabulary sizes must satisfy 257 <= min_vocab <= max_vocab",
                where=f"min_vocab={self.min_vocab}, max_vocab={self.max_vocab}",
            )
        if self.max_piece_len < 2 or self.window < 1 or self.noise < 0:
            raise InputError(
                "sampler needs max_piece_len >= 2, window >= 1, noise >= 0", where=str(dataclasses.asdict(self))
            )
        return self


def sampled_tokenizer(pieces: list[str], scores: list[float], name: str = "sampled-unigram"):
    """A tokforge `Tokenizer` over a UnigramLM of byte-level ``pieces`` (GPT-2 byte characters) with log-prob
    ``scores``; ``tok.vocab.tokens[i]`` is the bytes of id ``i``.

    >>> tok = sampled_tokenizer(BYTE_CHARS + ["ab"], [-6.0] * 256 + [-1.0])
    >>> len(tok), tok.vocab.tokens[256], tok.encode("abc")
    (257, b'ab', [256, 99])
    """
    import json

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    from tokforge.loaders.hf_json import from_backend

    hf = Tokenizer(models.Unigram(list(zip(pieces, scores)), None, False))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    hf.decoder = decoders.ByteLevel()
    return from_backend(hf, json.loads(hf.to_str()), name)


class TokenizerSampler:
    """Keeps word counts of recent text; ``sample(seed)`` draws a fresh tokenizer from them."""

    def __init__(self, cfg: SamplerConfig | None = None):
        from tokenizers import pre_tokenizers

        self.cfg = (cfg or SamplerConfig()).check()
        self._pre = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        self._batches: collections.deque = collections.deque()
        self.words: collections.Counter = collections.Counter()
        self._subs: dict[str, list[str]] = {}

    def add_text(self, texts: Sequence[str]) -> None:
        """Add a batch of text; the oldest batch leaves once the window is full."""
        c = collections.Counter(w for t in texts for w, _ in self._pre.pre_tokenize_str(t))
        self._batches.append(c)
        self.words.update(c)
        while len(self._batches) > self.cfg.window:
            self.words.subtract(self._batches.popleft())
            self.words = +self.words  # drop zero counts

    def _substrings(self, w: str) -> list[str]:
        s = self._subs.get(w)
        if s is None:
            m = self.cfg.max_piece_len
            s = [w[i:j] for i in range(len(w)) for j in range(i + 2, min(len(w), i + m) + 1)]
            self._subs[w] = s
        return s

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """(multi-byte candidate -> frequency, single byte char -> frequency) over the window."""
        cand: dict[str, int] = collections.defaultdict(int)
        chars: dict[str, int] = collections.defaultdict(int)
        for w, c in self.words.items():
            for s in self._substrings(w):
                cand[s] += c
            for ch in w:
                chars[ch] += c
        return cand, chars

    def sample(self, seed: int | Sequence[int]):
        """A tokforge `Tokenizer` drawn with ``numpy.random.default_rng(seed)`` (reproducible)."""
        if not self.words:
            raise InputError("the tokenizer sampler has seen no text", fix="call add_text first")
        rng = np.random.default_rng(seed)
        cand, chars = self.counts()
        size = int(rng.integers(self.cfg.min_vocab, self.cfg.max_vocab + 1))
        names = sorted(cand)  # independent of the order text came in (resumed runs draw the same)
        freq = np.fromiter((cand[n] for n in names), dtype=np.float64, count=len(names))
        lens = np.fromiter((len(n) for n in names), dtype=np.float64, count=len(names))
        score = np.log(freq) + np.log(lens)
        if self.cfg.noise > 0:
            score = score + self.cfg.noise * rng.gumbel(size=len(names))
        k = min(size - 256, len(names))
        top = np.argsort(-score, kind="stable")[:k]
        total = float(freq.sum() + sum(chars.values())) + 256.0
        pieces = BYTE_CHARS + [names[i] for i in top]
        scores = [math.log((chars.get(ch, 0) + 0.1) / total) for ch in BYTE_CHARS]
        scores += [math.log(freq[i] / total) for i in top]
        return sampled_tokenizer(pieces, scores)
