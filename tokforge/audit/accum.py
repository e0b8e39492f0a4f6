"""Mergeable corpus statistics: one pass over batches of lines, any number of tokenizers, any size.

Every corpus metric of the audit is a ratio of sums, so each (tokenizer, language) keeps only
sums: lines, tokens, bytes, characters, words, words with a token boundary inside, unknown
tokens, and a token-id histogram (for utilisation and Rényi efficiency). Parallel corpora also
keep tokens per alignment key (for parity). Sums merge by addition, so a corpus cut into shards
(one per worker or per machine) gives exactly the numbers of the whole once the shards' states
are merged with :meth:`CorpusStats.merge` (the order of batches does not matter).

>>> a = LangAcc.empty(4); a.tokens, a.words = 3, 2
>>> b = LangAcc.empty(4); b.tokens, b.words = 5, 1
>>> a.merge(b).tokens, a.words
(8, 3)
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from . import corpus_metrics as cm

STATE_FORMAT = "tokforge.audit.corpus_stats"


@dataclass
class LangAcc:
    """Sums for one (tokenizer, language)."""

    hist: np.ndarray  # uses of each token id
    lines: int = 0
    aligned: bool = True  # decoded token bytes lined up with the text in every batch
    tokens: int = 0
    bytes: int = 0  # UTF-8 bytes of the text
    chars: int = 0  # Unicode characters
    words: int = 0  # whitespace words
    split_words: int = 0  # words with a token boundary inside
    unk: int = 0  # unknown-token ids in the output
    key_tokens: dict = field(default_factory=dict)

    @classmethod
    def empty(cls, vocab_size: int) -> "LangAcc":
        return cls(np.zeros(vocab_size, dtype=np.int64))

    def merge(self, o: "LangAcc") -> "LangAcc":
        self.hist += o.hist
        for k in ("lines", "tokens", "bytes", "chars", "words", "split_words", "unk"):
            setattr(self, k, getattr(self, k) + getattr(o, k))
        self.aligned = self.aligned and o.aligned
        for k, v in o.key_tokens.items():
            self.key_tokens[k] = self.key_tokens.get(k, 0) + v
        return self

    def row(self, n_text: int, vocab_size: int) -> dict:
        unspaced = self.words == 0 or self.chars / self.words > cm.UNSPACED_CHARS_PER_WORD
        return {
            "tokens": self.tokens,
            "bytes": self.bytes,
            "chars": self.chars,
            "words": self.words,
            "lines": self.lines,
            "bytes_per_token": cm.bytes_per_token(self.bytes, self.tokens),
            "chars_per_token": cm.bytes_per_token(self.chars, self.tokens),
            "fertility": cm.fertility(self.tokens, self.chars if unspaced else self.words),
            "fertility_unit": "char" if unspaced else "word",
            "split_word_share": float("nan")
            if unspaced or not self.aligned or not self.words
            else self.split_words / self.words,
            "unk_rate": self.unk / self.tokens if self.tokens else 0.0,
            "utilisation": cm.utilisation(self.hist, n_text),
            "renyi_efficiency": cm.renyi_efficiency(self.hist, vocab_size),
        }

    def to_json(self) -> dict:
        nz = np.flatnonzero(self.hist)
        d = {
            k: getattr(self, k)
            for k in ("lines", "tokens", "bytes", "chars", "words", "split_words", "aligned", "unk", "key_tokens")
        }
        return {**d, "hist_ids": nz.tolist(), "hist_counts": self.hist[nz].tolist()}

    @classmethod
    def from_json(cls, d: dict, vocab_size: int) -> "LangAcc":
        h = np.zeros(vocab_size, dtype=np.int64)
        h[np.asarray(d["hist_ids"], dtype=np.int64)] = d["hist_counts"]
        a = cls(h, **{k: d[k] for k in ("lines", "tokens", "bytes", "chars", "words", "split_words", "aligned", "unk")})
        a.key_tokens = dict(d.get("key_tokens", {}))
        return a


class TokAcc:
    """All languages of one tokenizer; ``add`` encodes one batch of one language."""

    def __init__(self, tok):
        self.tok = tok
        v = tok.vocab
        self.vocab_size = len(v)
        self.n_text = len(v.text_ids())
        self.token_len = np.fromiter(map(len, v.tokens), dtype=np.int64, count=len(v))
        self.unk_id = v.roles.get("unk")
        self.langs: dict[str, LangAcc] = {}

    def encode(self, lines: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(all ids flattened, tokens per line) of one batch (one backend call)."""
        enc = self.tok.encode_batch(lines)
        counts = np.fromiter(map(len, enc), dtype=np.int64, count=len(enc))
        ids = np.fromiter(chain.from_iterable(enc), dtype=np.int64, count=int(counts.sum()))
        return ids, counts

    def add(
        self, lang: str, st: cm.TextStats, ids: np.ndarray, counts: np.ndarray, keys: list[str] | None = None
    ) -> None:
        """Add one language's lines (their text statistics and their already-encoded ids)."""
        a = self.langs.get(lang)
        if a is None:
            a = self.langs[lang] = LangAcc.empty(self.vocab_size)
        if len(ids) * 8 < self.vocab_size:  # few ids: sort them instead of touching all of |V|
            u, c = np.unique(ids, return_counts=True)
            a.hist[u] += c
        else:
            a.hist += np.bincount(ids, minlength=self.vocab_size)
        a.lines += len(st.lines)
        a.tokens += int(counts.sum())
        a.bytes += st.n_bytes
        a.chars += st.n_chars
        a.words += st.n_words
        if self.unk_id is not None:
            a.unk += int((ids == self.unk_id).sum())
        if a.aligned:
            share = cm._split_share(self.tok, st, ids, counts, self.token_len)
            if share != share:  # NaN: decoded bytes do not line up with the text
                a.aligned = st.n_words == 0 and a.aligned
            else:
                a.split_words += int(round(share * st.n_words))
        if keys is not None:
            kt = a.key_tokens
            for k, c in zip(keys, counts.tolist()):
                kt[k] = kt.get(k, 0) + c


class CorpusStats:
    """Accumulators for several tokenizers over one corpus (one pass over the text)."""

    def __init__(self, toks, parallel: bool = False):
        self.accs = {t.name: TokAcc(t) for t in toks}
        self.parallel = parallel
        self.order: list[str] = []  # languages in first-seen order
        self._seen: set[str] = set()

    def add(self, lang, lines: list[str], keys: list[str] | None = None) -> int:
        """Encode one batch with every tokenizer (one backend call each); returns its UTF-8 bytes.

        ``lang`` is the batch's language, or a list with one language per line (a mixed batch is
        regrouped by language first, so each language's lines are contiguous)."""
        groups, flat = self._prepare(lang, lines, keys)
        return self._consume(groups, _no_gc(self._encode_all, flat))

    def add_stream(self, batches, on_batch=None) -> None:
        """``add`` every ``(lang, lines, keys)`` batch, encoding batch k+1 in a second thread while
        batch k's statistics are computed (the backends release the GIL while they encode).
        ``on_batch(lang, lines)`` is called after each batch (progress)."""
        import gc
        from concurrent.futures import ThreadPoolExecutor

        was = gc.isenabled()
        gc.disable()  # see _no_gc
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="tokforge-encode") as ex:
                prev = None
                for lang, lines, keys in batches:
                    groups, flat = self._prepare(lang, lines, keys)
                    fut = ex.submit(self._encode_all, flat)
                    if prev is not None:
                        self._finish(prev, on_batch)
                    prev = (lang, lines, groups, fut)
                if prev is not None:
                    self._finish(prev, on_batch)
        finally:
            if was:
                gc.enable()

    def _finish(self, prev, on_batch) -> None:
        lang, lines, groups, fut = prev
        self._consume(groups, fut.result())
        if on_batch is not None:
            on_batch(lang, lines)

    def _prepare(self, lang, lines: list[str], keys):
        if isinstance(lang, str):
            return [(lang, lines, keys)], lines
        by: dict[str, list[int]] = {}
        for i, x in enumerate(lang):
            by.setdefault(x, []).append(i)
        groups = [(x, [lines[i] for i in idx], [keys[i] for i in idx] if keys else None) for x, idx in by.items()]
        return groups, [s for _, g, _ in groups for s in g]

    def _encode_all(self, lines: list[str]) -> dict:
        return {name: acc.encode(lines) for name, acc in self.accs.items()}

    def _consume(self, groups, encoded: dict) -> int:
        stats = []
        for x, g, k in groups:
            if x not in self._seen:
                self._seen.add(x)
                self.order.append(x)
            stats.append(cm.text_stats(g))
        for name, acc in self.accs.items():
            ids, counts = encoded[name]
            li = ti = 0
            for (x, g, k), st in zip(groups, stats):
                c = counts[li : li + len(g)]
                n = int(c.sum())
                acc.add(x, st, ids[ti : ti + n], c, k if self.parallel else None)
                li += len(g)
                ti += n
        return sum(st.n_bytes for st in stats)

    def merge(self, other: "CorpusStats") -> "CorpusStats":
        for name, acc in other.accs.items():
            mine = self.accs[name]
            for lang, a in acc.langs.items():
                if lang in mine.langs:
                    mine.langs[lang].merge(a)
                else:
                    mine.langs[lang] = a
        self.order += [x for x in other.order if x not in self._seen]
        self._seen.update(other.order)
        return self

    # -- results ------------------------------------------------------------------------------
    def rows(self, name: str, baseline: str | None) -> tuple[list[dict], dict]:
        """Per-language rows and the overall row of one tokenizer."""
        acc = self.accs[name]
        rows, total = [], LangAcc.empty(acc.vocab_size)
        base = acc.langs.get(baseline) if baseline else None
        for lang in self.order:
            a = acc.langs.get(lang)
            if a is None:
                continue
            row = {"tokenizer": name, "language": lang, **a.row(acc.n_text, acc.vocab_size)}
            if self.parallel and base is not None:
                row["parity"] = _parity(a.key_tokens, base.key_tokens)
            rows.append(row)
            total.merge(LangAcc(a.hist, tokens=a.tokens, bytes=a.bytes, unk=a.unk))
        overall = {
            "tokens": total.tokens,
            "bytes": total.bytes,
            "bytes_per_token": cm.bytes_per_token(total.bytes, total.tokens),
            "utilisation": cm.utilisation(total.hist, acc.n_text),
            "renyi_efficiency": cm.renyi_efficiency(total.hist, acc.vocab_size),
            "unk_rate": total.unk / total.tokens if total.tokens else 0.0,
        }
        return rows, overall

    # -- shards on disk -----------------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "version": 1,
            "parallel": self.parallel,
            "order": self.order,
            "tokenizers": {
                n: {
                    "vocab_size": a.vocab_size,
                    "fingerprint": _fingerprint(a.tok),
                    "langs": {k: v.to_json() for k, v in a.langs.items()},
                }
                for n, a in self.accs.items()
            },
        }

    def save(self, path) -> None:
        from ..io import atomic_write_bytes

        atomic_write_bytes(path, gzip.compress(json.dumps(self.to_json()).encode(), 5))

    @classmethod
    def load(cls, path, toks) -> "CorpusStats":
        """A shard's state, checked against the tokenizers it must belong to."""
        from ..io import read_json

        d = read_json(path, "a shard's corpus statistics", fix="pass folders written by shard=(i, n) audits", gz=True)
        return cls.from_json(d, toks, str(path))

    @classmethod
    def from_json(cls, d: dict, toks, where: str = "a shard") -> "CorpusStats":
        """Statistics from their :meth:`to_json` state (a shard file's content, or a worker's result),
        checked against the tokenizers it must belong to (their vocabularies' fingerprints)."""
        from ..errors import InputError

        if d.get("format") != STATE_FORMAT:
            raise InputError("not a tokforge corpus-statistics file", where=where)
        out = cls(toks, d["parallel"])
        out.order = list(d["order"])
        out._seen = set(out.order)
        for t in toks:
            s = d["tokenizers"].get(t.name)
            if s is None or s["fingerprint"] != _fingerprint(t):
                raise InputError(
                    f"shard was not computed with tokenizer {t.name!r}",
                    where=where,
                    fix="merge shards of the same tokenizers: " + ", ".join(d["tokenizers"]),
                )
            out.accs[t.name].langs = {k: LangAcc.from_json(v, s["vocab_size"]) for k, v in s["langs"].items()}
        return out


def _no_gc(fn, *args):
    """Run with Python's cyclic garbage collector paused: the backends build hundreds of thousands of
    small lists (no cycles), and collections triggered by them cost ~40 % extra CPU time."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        return fn(*args)
    finally:
        if was:
            gc.enable()


def _parity(mine: dict, base: dict) -> float:
    shared = [k for k in mine if k in base]
    den = sum(base[k] for k in shared)
    return sum(mine[k] for k in shared) / den if den else float("nan")


def _fingerprint(tok) -> str:
    import hashlib

    h = hashlib.sha256()
    for t in tok.vocab.tokens:
        h.update(len(t).to_bytes(4, "little") + t)
    return h.hexdigest()[:16]
