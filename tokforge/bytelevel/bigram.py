"""The canonicality rule of byte-level BPE without the encoder: can a merge cross the boundary?

`Canon` asks the real encoder whether token ``t`` may follow token ``a``, one encoding per pair and
probe, which costs more than the model when canonical leaves need a whole vocabulary range per node.
For a byte-level BPE (GPT-2 style: ByteLevel pretokenizer with its regex, no normaliser, merges
applied by rank) most pairs are decided without it (`BigramTest.decide`):

* Run BPE on each token's own bytes. Its *right spine* is the sequence of pieces that are rightmost at
  some point, each with the rank of the merge that absorbs it; the *left spine* likewise on the left.
* If the pretokenizer splits between ``a`` and ``t`` (``t`` starts with a space, or the last character
  of ``a`` and the first of ``t`` are of different classes: letter, number, other), no merge crosses:
  valid.
* Otherwise both sit in one pretoken, and each side merges as it would alone until a merge takes a
  piece from each side: the rightmost piece ``r`` of ``a``'s side and the leftmost piece ``l`` of
  ``t``'s. With merges whose ranks grow along every token's history (checked at build time: every
  merge comes after every merge that makes one of its parts), ranks are applied in order, so the
  crossing merge ``(r, l)`` of rank ``m`` fires exactly when ``r`` is still there (``m`` below the
  rank that absorbs ``r``) and ``l`` is still there (``m`` at most the rank that absorbs ``l``: at
  equal rank the leftmost pair, the crossing one, goes first). No such pair: BPE ends with ``a`` then
  ``t`` (valid); one: it does not (a sequence of BPE tokens is canonical when each bigram is).

Pairs where the pretokenizer's lookahead or contractions could decide (either token holds whitespace
other than one leading space, an apostrophe, or bytes that are not whole UTF-8 characters) or where a
token is not what the encoder gives back for its own text go to the encoder as before. Tests check
that the rule with this test accepts exactly what the encoder alone accepts, over whole vocabularies
after many contexts (a tiny trained BPE, and SmolLM2's real one in tests/real).

A BPE whose merges do not grow along token histories (SentencePiece BPE converted by score, as
Gemma-3's) and that reads the whole text as one pretoken gets `MergeRace` instead: the two sides'
merges are replayed in the encoder's order until the boundary merge would come first or both are
done. `BigramTest.build(tokenizer)` returns one of the two, or None for other tokenizers (tiktoken
files, a dummy-prefix SentencePiece, WordPiece...), where the encoder decides every pair as before.

>>> spines("abc", {("a", "b"): 0, ("ab", "c"): 1})
(['abc'], [('c', 1), ('abc', None)], [('a', 0), ('ab', 1), ('abc', None)])
"""

from __future__ import annotations

import json
import unicodedata
import warnings

import numpy as np

from ..errors import TokforgeWarning

NEVER = np.iinfo(np.int64).max  # the absorbing rank of a whole token: it is never absorbed


def spines(word: str, rank: dict[tuple[str, str], int]):
    """(pieces BPE leaves of ``word``, right spine, left spine); spine entries are
    ``(piece, rank of the merge that absorbs it)``, None for the last piece. From `bpe_events`: a merge
    changes the rightmost (leftmost) piece exactly when it takes it."""
    parts, events = bpe_events(word, rank)
    right, left = [(word[-1], None)], [(word[0], None)]
    for r, lo, hi in events:
        if hi != right[-1][0]:
            right[-1] = (right[-1][0], r)
            right.append((hi, None))
        if lo != left[-1][0]:
            left[-1] = (left[-1][0], r)
            left.append((lo, None))
    return parts, right, left


class BigramTest:
    """``decide(a, t)``: may token ``t`` follow token ``a`` (None: ask the encoder; see the module doc)."""

    def __init__(self, n: int, risky: np.ndarray, *, right: dict, by_left: dict, starts: dict, ends, begins):
        self.n, self.risky, self.ends, self.begins = n, risky, ends, begins
        self._right, self._by_left, self._starts = right, by_left, starts
        self._suspects: dict[int, frozenset] = {}

    @classmethod
    def build(cls, tokenizer) -> "BigramTest | MergeRace | None":
        spec = _byte_level_bpe(tokenizer)
        if spec is None:
            return MergeRace.build(tokenizer)
        vocab, merges = spec
        rank = {}
        for r, m in enumerate(merges):
            rank.setdefault(m, r)
        if not _ranks_grow(merges):
            return None
        n = len(tokenizer.vocab)
        risky = np.ones(n, dtype=bool)
        ends, begins = [""] * n, [""] * n  # class of the last and first character (`_cls`)
        right: dict[int, list] = {}
        starts: dict[str, list[tuple[int, int]]] = {}
        alone = _encodes_to_itself(tokenizer, n)
        for piece, i in vocab.items():
            if i >= n:
                continue
            parts, rs, ls = spines(piece, rank)
            if len(parts) != 1 or not alone[i] or _risky(tokenizer.vocab.tokens[i]):
                continue
            risky[i] = False
            text = tokenizer.vocab.tokens[i].decode("utf-8")
            ends[i], begins[i] = _cls(text[-1]), _cls(text[0])
            right[i] = [(p, NEVER if ab is None else ab) for p, ab in rs]
            for p, ab in ls:
                starts.setdefault(p, []).append((NEVER if ab is None else ab, i))
        by_left: dict[str, list[tuple[str, int]]] = {}
        for (x, y), r in rank.items():
            by_left.setdefault(x, []).append((y, r))
        packed = {}
        for p, lst in starts.items():  # by absorbing rank, largest first: "still there at m" is a prefix
            lst.sort(reverse=True)
            packed[p] = (
                np.array([-ab for ab, _ in lst], dtype=np.int64),
                np.array([i for _, i in lst], dtype=np.int64),
            )
        return cls(n, risky, right=right, by_left=by_left, starts=packed, ends=ends, begins=begins)

    def suspects(self, a: int) -> frozenset:
        """Tokens a crossing merge may take a piece of after ``a`` (all tokens if ``a`` is risky)."""
        got = self._suspects.get(a)
        if got is None:
            found = []
            for r, ab_r in self._right.get(a, ()):
                for y, m in self._by_left.get(r, ()):
                    if m >= ab_r or y not in self._starts:
                        continue
                    neg, ids = self._starts[y]
                    found.append(ids[: np.searchsorted(neg, -m, side="right")])  # absorbing rank >= m
            got = frozenset(np.unique(np.concatenate(found)).tolist()) if found else frozenset()
            if len(self._suspects) > 50_000:
                self._suspects.clear()
            self._suspects[a] = got
        return got

    def decide_many(self, a: int, ids) -> list:
        """``[decide(a, t) for t in ids]``."""
        return [self.decide(a, int(t)) for t in ids]

    def decide(self, a: int, t: int) -> bool | None:
        """May ``t`` follow ``a``? None: this test cannot say (ask the encoder)."""
        if a >= self.n or t >= self.n or self.risky[a] or self.risky[t]:
            return None
        e, b = self.ends[a], self.begins[t]
        if b == " " or (e != " " and e != b):  # the pretokenizer splits between them: no merge can cross
            return True
        return t not in self.suspects(a)


def bpe_events(word: str, rank: dict[tuple[str, str], int]):
    """HF BPE on ``word``'s characters (lowest rank first, then leftmost): (pieces left, and after each
    merge ``(its rank, leftmost piece, rightmost piece)``).

    >>> bpe_events("abc", {("b", "c"): 0, ("a", "bc"): 1})
    (['abc'], [(0, 'a', 'bc'), (1, 'abc', 'abc')])
    """
    parts, events = list(word), []
    while len(parts) > 1:
        best = None
        for i in range(len(parts) - 1):
            r = rank.get((parts[i], parts[i + 1]))
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            break
        r, i = best
        parts[i : i + 2] = [parts[i] + parts[i + 1]]
        events.append((r, parts[0], parts[-1]))
    return parts, events


class MergeRace:
    """``decide(a, t)`` for a BPE whose merges need not grow along a token's history (SentencePiece BPE
    converted by score, as Gemma-3's), with one pretoken for the whole text: both sides merge as they
    would alone, in the order the encoder applies merges (lowest rank, then leftmost), until the merge
    of the two pieces at the boundary would come first (then ``t`` cannot follow ``a``) or both sides
    are done (then it can). A step-by-step race per pair, still far cheaper than the encoder."""

    def __init__(self, n: int, risky: np.ndarray, events: list, rank: dict):
        self.n, self.risky, self.events, self.rank = n, risky, events, rank
        self._partners: dict[int, set] = {}  # a -> pieces some merge joins to a piece of a's right side
        self._by_left: dict[str, list[str]] = {}
        for x, y in rank:
            self._by_left.setdefault(x, []).append(y)
        # every piece that is ever leftmost in t's history (the first character, then each merge's)
        self._lefts = [None if e is None else {e[0]} | {ev[1] for ev in e[2]} for e in events]
        # the same as flat arrays of piece numbers, for `decide_many`
        self._piece_no: dict[str, int] = {}
        flat, starts = [], []
        for lefts in self._lefts:
            starts.append(len(flat))
            flat.extend(self._piece_no.setdefault(x, len(self._piece_no)) for x in sorted(lefts or ()))
        self._flat = np.asarray(flat, dtype=np.int64)
        self._starts = np.asarray(starts, dtype=np.int64)
        self._counts = np.diff(np.append(self._starts, len(flat)))
        self._joined: dict[int, np.ndarray] = {}

    def partners(self, a: int) -> set:
        got = self._partners.get(a)
        if got is None:
            first, last, ev = self.events[a]
            got = set()
            for r in {last} | {e[2] for e in ev}:
                got.update(self._by_left.get(r, ()))
            if len(self._partners) > 20_000:
                self._partners.clear()
            self._partners[a] = got
        return got

    @classmethod
    def build(cls, tokenizer) -> "MergeRace | None":
        spec = _sentencepiece_bpe(tokenizer)
        if spec is None:
            return None
        vocab, merges, odd = spec
        rank: dict[tuple[str, str], int] = {}
        for r, m in enumerate(merges):
            rank.setdefault(m, r)
        n = len(tokenizer.vocab)
        risky = np.ones(n, dtype=bool)
        events: list = [None] * n
        kinds = tokenizer.vocab.kinds
        for piece, i in vocab.items():
            if i >= n or int(kinds[i]) != 0 or any(c in odd for c in piece):
                continue
            parts, ev = bpe_events(piece, rank)
            if parts != [piece]:
                continue
            risky[i] = False
            events[i] = (piece[0], piece[-1], ev)
        return cls(n, risky, events, rank)

    def joined(self, a: int) -> np.ndarray:
        """bool ``[n]``: tokens with some piece a merge joins to a piece of ``a``'s right side."""
        got = self._joined.get(a)
        if got is None:
            mark = np.zeros(len(self._piece_no) + 1, dtype=bool)
            mark[[self._piece_no[x] for x in self.partners(a) if x in self._piece_no]] = True
            hits = np.zeros(self.n, dtype=bool)
            has = self._counts > 0
            if len(self._flat):
                hits[has] = np.logical_or.reduceat(mark[self._flat], self._starts[has])
            if len(self._joined) > 256:
                self._joined.clear()
            self._joined[a] = got = hits
        return got

    def decide_many(self, a: int, ids: np.ndarray) -> list:
        """``[decide(a, t) for t in ids]``, the pairs no merge can join found at once."""
        ids = np.asarray(ids, dtype=np.int64)
        if a >= self.n or self.risky[a]:
            return [None] * len(ids)
        inside = ids < self.n
        safe = np.zeros(len(ids), dtype=bool)
        safe[inside] = ~self.risky[ids[inside]] & ~self.joined(a)[ids[inside]]
        return [True if ok else self.decide(a, int(t)) for ok, t in zip(safe.tolist(), ids.tolist())]

    def decide(self, a: int, t: int) -> bool | None:
        if a >= self.n or t >= self.n or self.risky[a] or self.risky[t]:
            return None
        if self._lefts[t].isdisjoint(self.partners(a)):  # no merge joins the two sides at all
            return True
        _, ra, left = self.events[a]
        lt, _, right = self.events[t]
        rank, never = self.rank, NEVER
        i = j = 0
        while True:
            rho = left[i][0] if i < len(left) else never
            mu = right[j][0] if j < len(right) else never
            m = rank.get((ra, lt), never)
            if m < rho and m <= mu and m < never:  # the boundary merge comes first (it is left of t's merges)
                return False
            if rho == never and mu == never:
                return True
            if rho <= mu:  # a's side merges (at equal rank the leftmost pair goes first)
                ra = left[i][2]
                i += 1
            else:
                lt = right[j][1]
                j += 1


def _sentencepiece_bpe(tokenizer):
    """(vocab, merges, characters of non-special added tokens) of an HF BPE that reads the whole text
    as one piece (normaliser: only spaces to ``▁``; no pretokenizer that splits), else None."""
    spec = _hf_spec(tokenizer)
    if spec is None or getattr(tokenizer, "dummy_prefix", False):
        return None
    model, pre, norm = spec.get("model") or {}, spec.get("pre_tokenizer"), spec.get("normalizer") or {}
    if model.get("type") != "BPE" or model.get("ignore_merges") or model.get("dropout"):
        return None
    if model.get("continuing_subword_prefix") or model.get("end_of_word_suffix"):
        return None
    if norm != {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}:
        return None
    if pre is not None and pre != {
        "type": "Split",
        "pattern": {"String": " "},
        "behavior": "MergedWithPrevious",
        "invert": False,
    }:  # after the normaliser there is no space left to split on
        return None
    odd = {c for a in spec.get("added_tokens", []) if not a.get("special") for c in a["content"] if not c.isalnum()}
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model.get("merges", [])]
    return model["vocab"], merges, odd


def _hf_spec(tokenizer) -> dict | None:
    backend = getattr(tokenizer, "backend", None)
    if backend is None or not hasattr(backend, "to_str"):
        return None
    try:
        return json.loads(backend.to_str())
    except Exception as e:  # noqa: BLE001 - any failure to read the spec: said, then the exact slow path
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:120]
        warnings.warn(
            f"{getattr(tokenizer, 'name', 'tokenizer')}: its HF tokenizers spec cannot be read ({first}), so the "
            "canonicality test encodes every candidate instead of the merge-rank shortcut (exact, slower)",
            TokforgeWarning,
            stacklevel=1,  # one place: said once per tokenizer, though two builders read the spec
        )
        return None


def _byte_level_bpe(tokenizer):
    """(vocab str -> id, merges as pairs) of a GPT-2 style byte-level BPE, else None."""
    spec = _hf_spec(tokenizer)
    if spec is None:
        return None
    model, pre = spec.get("model") or {}, spec.get("pre_tokenizer") or {}
    if model.get("type") != "BPE" or model.get("ignore_merges") or model.get("continuing_subword_prefix"):
        return None
    if model.get("end_of_word_suffix") or model.get("dropout") or spec.get("normalizer") is not None:
        return None
    if pre.get("type") != "ByteLevel" or not pre.get("use_regex", True) or pre.get("add_prefix_space"):
        return None
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model.get("merges", [])]
    return model["vocab"], merges


def _ranks_grow(merges: list[tuple[str, str]]) -> bool:
    """Does every merge come after every merge that makes one of its parts?"""
    last: dict[str, int] = {}
    for r, (x, y) in enumerate(merges):
        last[x + y] = r
    return all(last.get(x, -1) < r and last.get(y, -1) < r for r, (x, y) in enumerate(merges))


def _encodes_to_itself(tokenizer, n: int) -> np.ndarray:
    """Tokens whose own text the encoder gives back as that one token."""
    out = np.zeros(n, dtype=bool)
    ids, texts = [], []
    for i, b in enumerate(tokenizer.vocab.tokens[:n]):
        try:
            texts.append(b.decode("utf-8"))
            ids.append(i)
        except UnicodeDecodeError:
            continue
    for i, enc in zip(ids, tokenizer.encode_batch(texts)):
        out[i] = enc == [i]
    return out


def _cls(c: str) -> str:
    """The GPT-2 pretokenizer's class of a character: letter, number, the space, or other."""
    if c == " ":
        return " "
    return {"L": "L", "N": "N"}.get(unicodedata.category(c)[0], "O")


def _risky(b: bytes) -> bool:
    """Bytes whose pretokenization depends on what is around them: whitespace other than one leading
    space, an apostrophe, or a cut UTF-8 character."""
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return True
    body = s[1:] if s.startswith(" ") else s
    return not s or "'" in s or any(c.isspace() for c in body) or s[:1].isspace() and s[:1] != " "
