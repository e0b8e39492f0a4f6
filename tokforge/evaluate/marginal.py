"""Marginal bits per byte: the probability of a text summed over its tokenizations (a beam bound).

Canonical bits/byte (`bits`) scores the one token sequence the tokenizer produces. A sampler can
produce the same bytes through any other token sequence that spells them, so the probability it
gives the text is the sum over every segmentation into vocabulary tokens (special tokens excluded).
That sum has exponentially many terms; `marginal_bits_per_byte` bounds it with a beam search over
the token lattice of each text:

* A hypothesis is a token sequence whose bytes are a prefix of the text; its score is the sum of
  the model's ``log p(token | history)``. A hypothesis ending at byte ``j`` is extended by every
  vocabulary token whose bytes equal ``text[j:j + len]``.
* Where a hypothesis may end: with ``boundaries="char"`` (the default) only where a UTF-8 character
  ends or where the canonical tokenization ends a token; a segmentation that splits a character
  elsewhere (byte-fallback pieces, say, which a model gives next to nothing) is left out and counted
  as pruned. ``"byte"``: anywhere, every segmentation. Fewer end positions mean fewer search steps,
  which is what a search costs (on Cyrillic about half, on Chinese about a third).
* Each text's end positions are processed in increasing order. The hypotheses ending at one
  position are chosen among the candidates there: at most ``beam`` of them, and none more than
  ``delta`` nats below the best candidate known to end at this position or later (a hypothesis that
  covers fewer bytes and is already much less likely adds next to nothing). The canonical
  tokenization's prefixes are always kept and never counted as pruned.
* Each chosen hypothesis costs one forward position: all hypotheses of a group of texts run
  together through one tree-attention KV cache (`tokforge.bytelevel.tree.TreeSession`: a
  hypothesis shares its prefix's keys and values), so a step of the search is one forward call:
  step ``s`` handles the ``s``-th end position of every text (texts are independent).
* The result is the log-sum-exp over the complete hypotheses (all candidates ending at the last
  byte). It is a lower bound on the true marginal probability and, since the canonical sequence is
  one of the terms, never below the canonical probability: marginal bits/byte <= canonical
  bits/byte by construction. With nothing pruned (``pruned == 0``) it is the exact marginal.

Context: each text is read alone after the BOS (else EOS) id, in one piece (no windows), and both
numbers of a result - the canonical and the marginal bits/byte - are computed this way, on the same
texts and the same bytes (the bytes of the canonical encoding, as in `bits`). The language's main
bits/byte in a report reads the texts joined into one document, so it differs from the canonical
number here.

>>> from tokforge.bytelevel.tiny import tiny_lm
>>> model, tok = tiny_lm(seed=0)
>>> r = marginal_bits_per_byte(model, tok, {"en": ["the cat sat"]})["en"]
>>> r["marginal_bits_per_byte"] <= r["canonical_bits_per_byte"], r["sentences"]
(True, 1)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..devices import one_cpu_thread
from ..errors import InputError

DEFAULT_LIMIT = 20  # texts in all, split evenly over the languages
DEFAULT_BEAM = 4
DEFAULT_DELTA = 5.0  # nats
DEFAULT_BOUNDARIES = "char"  # see BOUNDARIES
# The version of the search a block records: 2 keeps the complete segmentations of every text of a shared
# search (version 1 dropped those of texts shorter than the group's longest, a looser bound).
SEARCH_VERSION = 2
# Texts that share one tree session: a search step is one forward call for all of them. On a CPU a call's cost
# is mostly reading the weights once (a handful of new positions per text), so the fewer calls the better:
# every language's texts search together, longest with longest.
GROUP = 32
CONTEXT = (
    "each text alone after the BOS (else EOS) id, in one piece; canonical and marginal numbers use the same "
    "context, texts and bytes"
)


class TokenIndex:
    """Vocabulary token ids by their bytes (special and empty tokens left out), for lattice edges.

    >>> from tokforge.vocab import Vocab, TokenKind
    >>> v = Vocab([b"a", b"b", b"ab", b"<s>"], [0, 0, 0, TokenKind.SPECIAL])
    >>> TokenIndex(v).matches(b"abx", 0)
    [(0, 1), (2, 2)]
    """

    def __init__(self, vocab):
        self.ids: dict[bytes, list[int]] = {}
        for i, (t, k) in enumerate(zip(vocab.tokens, vocab.kinds.tolist())):
            if t and not k & 1:  # TokenKind.SPECIAL
                self.ids.setdefault(t, []).append(i)
        self.maxlen = max((len(t) for t in self.ids), default=1)

    def matches(self, data: bytes, j: int) -> list[tuple[int, int]]:
        """``(token id, length)`` of every token spelling ``data[j:j + length]``."""
        out = []
        for n in range(1, min(self.maxlen, len(data) - j) + 1):
            for t in self.ids.get(data[j : j + n], ()):
                out.append((t, n))
        return out


BOUNDARIES = {
    "char": "hypotheses end where a UTF-8 character ends (or where the canonical tokenization ends a token)",
    "byte": "hypotheses end at any byte: every segmentation (exact when nothing is pruned)",
}


def ends_allowed(stream: bytes, boundaries: str) -> np.ndarray:
    """Per byte position ``0..len(stream)``: may a hypothesis end there? ``"char"``: not before a UTF-8
    continuation byte; ``"byte"``: everywhere.

    >>> ends_allowed("aé".encode(), "char").tolist(), ends_allowed("aé".encode(), "byte").tolist()
    ([True, True, False, True], [True, True, True, True])
    """
    if boundaries not in BOUNDARIES:
        raise InputError(f"unknown boundaries {boundaries!r}", fix="use one of: " + ", ".join(BOUNDARIES))
    ok = np.ones(len(stream) + 1, dtype=bool)
    if boundaries == "char":
        b = np.frombuffer(stream, dtype=np.uint8)
        ok[:-1] = (b & 0xC0) != 0x80  # a position before a continuation byte is inside a character
    return ok


def _session_class():
    from ..bytelevel.tree import TreeSession

    class Lattice(TreeSession):
        """A tree session whose nodes are never shared between texts and whose scores the search sets."""

        def add(self, parent: int, tok: int) -> int:
            return self.new_node(parent, tok)

        def _edges(self, ks: list[int]) -> None:  # the search sets L of the nodes it adds
            return None

    return Lattice


@dataclass
class _Text:
    """The search state of one text: its byte stream, canonical path and candidates per end position."""

    stream: bytes
    canon: list[int]
    seen_bytes: int
    canon_at: dict[int, int] = field(default_factory=dict)  # byte position -> canonical node
    cands: dict[int, list[tuple[float, int, int]]] = field(default_factory=dict)  # (score, parent, token)
    best: np.ndarray | None = None
    pruned: int = 0
    kept: int = 0
    allow: np.ndarray | None = None  # byte positions where a hypothesis may end (`_Search.__init__`)
    positions: list[int] = field(default_factory=list)  # those before the end, in order: the search's steps

    def __post_init__(self):
        self.best = np.full(len(self.stream) + 1, -np.inf)

    def add(self, pos: int, score: float, parent: int, tok: int) -> None:
        self.cands.setdefault(pos, []).append((score, parent, tok))
        if score > self.best[pos]:
            self.best[pos] = score


class _Search:
    """The beam search over a group of texts that share one tree session."""

    def __init__(self, model, tokenizer, index: TokenIndex, texts: list[_Text], opts: tuple[int, float, str]):
        self.index, self.texts, (self.beam, self.delta, boundaries) = index, texts, opts
        ctx = tokenizer.bos_id if tokenizer.bos_id is not None else tokenizer.eos_id
        vocab_tokens = tokenizer.vocab.tokens
        self.s = _session_class()(model, [ctx])
        self.owner: dict[int, list[tuple[int, int]]] = {0: [(i, 0) for i in range(len(texts))]}
        for i, t in enumerate(texts):  # the canonical paths, always in the beam
            k, pos = 0, 0
            for tok in t.canon:
                k = self.s.add(k, tok)
                pos += len(vocab_tokens[tok])
                t.canon_at[pos] = k
                if pos < len(t.stream):
                    self.owner[k] = [(i, pos)]
            t.allow = ends_allowed(t.stream, boundaries)
            t.allow[list(t.canon_at)] = True  # the canonical tokenization's own ends, inside a character too
            t.positions = [int(j) for j in np.flatnonzero(t.allow[:-1]) if j > 0]

    def _collect(self, nodes: list[int], lps) -> None:
        """Candidates that extend the nodes of one forward chunk (one gather, one host sync)."""
        import torch

        work = []
        for r, k in enumerate(nodes):
            for i, j in self.owner.get(k, ()):
                t = self.texts[i]
                for tok, n in self.index.matches(t.stream, j):
                    if t.allow[j + n]:
                        work.append((r, k, i, j + n, tok))
                    else:  # ends inside a character (boundaries="char"): left out, counted as pruned
                        t.pruned += 1
        if not work:
            return
        rows = torch.tensor([w[0] for w in work], device=lps.device)
        cols = torch.tensor([w[4] for w in work], device=lps.device)
        vals = lps[rows, cols].double().tolist()
        for (_, k, i, end, tok), v in zip(work, vals):
            self.texts[i].add(end, self.s.L[k] + v, k, tok)

    def _others(self, i: int, j: int) -> list[tuple[float, int, int]]:
        """Candidates of text ``i`` ending at byte ``j`` other than the canonical prefix, best first."""
        t = self.texts[i]
        canon = t.canon_at.get(j)
        edge = (self.s.parent[canon], self.s.tok[canon]) if canon is not None else None
        return sorted((c for c in t.cands.get(j, ()) if (c[1], c[2]) != edge), reverse=True)

    def _choose(self, i: int, j: int) -> list[int]:
        """New nodes for the hypotheses of text ``i`` ending at byte ``j`` (the canonical one exists)."""
        t = self.texts[i]
        cands = self._others(i, j)
        floor = float(t.best[j:].max()) - self.delta
        keep = [c for c in cands[: self.beam] if c[0] >= floor]
        t.pruned += len(cands) - len(keep)
        t.kept += len(keep)
        out = []
        for score, parent, tok in keep:
            k = self.s.add(parent, tok)
            self.s.L[k] = score
            self.owner[k] = [(i, j)]
            out.append(k)
        return out

    def run(self) -> None:
        """Step ``s`` chooses, for every text, the hypotheses ending at its ``s``-th allowed position (each text
        in its own byte order; texts are independent), then runs them all in one forward call."""
        self.s.run(on_chunk=self._collect)
        for step in range(max(len(t.positions) for t in self.texts)):
            at = [(i, t.positions[step]) for i, t in enumerate(self.texts) if step < len(t.positions)]
            new = [k for i, j in at for k in self._choose(i, j)]
            if new:
                self.s.run(on_chunk=self._collect)
            for i, j in at:  # a text's candidates at its own end stay: they are its complete segmentations
                self.texts[i].cands.pop(j, None)

    def results(self) -> list[dict]:
        out = []
        for i, t in enumerate(self.texts):
            N = len(t.stream)
            canonical = self.s.L[t.canon_at[N]]
            scores = [canonical] + [c[0] for c in self._others(i, N)]
            top = max(scores)
            marginal = top + math.log(sum(math.exp(x - top) for x in scores))
            out.append(
                {
                    "canonical_nats": canonical,
                    "marginal_nats": max(marginal, canonical),  # rounding aside, the canonical term is in the sum
                    "segmentations": len(scores),
                    "pruned": t.pruned,
                    "hypotheses": t.kept + len(t.canon),
                    "bytes": t.seen_bytes,
                }
            )
        return out


def text_logprobs(
    model,
    tokenizer,
    texts: list[str],
    *,
    beam: int = DEFAULT_BEAM,
    delta: float = DEFAULT_DELTA,
    boundaries: str = DEFAULT_BOUNDARIES,
):
    """Per text: canonical and marginal log-probabilities (nats), segmentations summed, candidates pruned,
    hypotheses run, bytes seen (see the module docstring)."""
    import torch

    ends_allowed(b"", boundaries)  # an unknown name fails before any work
    if beam < 0 or delta < 0:
        raise InputError("beam and delta must be >= 0", where=f"beam={beam}, delta={delta}")
    if tokenizer.bos_id is None and tokenizer.eos_id is None:
        raise InputError("marginal bits/byte needs a BOS or EOS id as context", where=tokenizer.name)
    index = TokenIndex(tokenizer.vocab)
    items = []
    for ids in tokenizer.encode_batch(list(texts)):
        if ids:
            stream = b"".join(tokenizer.vocab.tokens[i] for i in ids)
            items.append(_Text(stream, list(ids), len(tokenizer.decode_bytes(ids))))
    order = sorted(range(len(items)), key=lambda i: len(items[i].stream))  # similar lengths share a session
    out: list[dict | None] = [None] * len(items)
    with torch.no_grad(), one_cpu_thread(model):
        for g in range(0, len(order), GROUP):
            group = order[g : g + GROUP]
            search = _Search(model, tokenizer, index, [items[i] for i in group], (beam, delta, boundaries))
            search.run()
            for i, r in zip(group, search.results()):
                out[i] = r
    return out


def marginal_bits_per_byte(
    model,
    tokenizer,
    texts,
    *,
    beam: int = DEFAULT_BEAM,
    limit: int = DEFAULT_LIMIT,
    delta: float = DEFAULT_DELTA,
    boundaries: str = DEFAULT_BOUNDARIES,
    device: str | None = None,
) -> dict[str, dict]:
    """Per language of ``texts`` (``{lang: [lines]}`` or a list of lines, ``"text"``): canonical and
    marginal bits/byte of its first ``ceil(limit / languages)`` texts (``limit`` texts in all, split
    evenly over the languages), each alone after BOS (the module docstring),
    with how many complete segmentations were summed and how many candidates the beam pruned
    (``exact``: none). ``device`` is where the model already is (it is not moved)."""
    if isinstance(texts, (list, tuple)):
        texts = {"text": list(texts)}
    if limit < 1:
        raise InputError("limit must be at least 1 (0 turns the marginal off where a caller offers it)")
    del device  # the tree session runs where the model's parameters are
    per_language = -(-limit // max(1, len(texts)))
    chosen = {}
    for lang, lines in texts.items():
        chosen[lang] = [x for x in lines if x][:per_language]
        if not chosen[lang]:
            raise InputError("no text for the marginal evaluation", where=str(lang))
    t0 = time.perf_counter()  # one search for every language (fewer forward calls: see GROUP)
    flat = [x for v in chosen.values() for x in v]
    per = text_logprobs(model, tokenizer, flat, beam=beam, delta=delta, boundaries=boundaries)
    if len(per) != len(flat):  # text_logprobs leaves out texts that encode to no token
        raise InputError("a marginal evaluation text encodes to no token", fix="leave out empty or blank texts")
    seconds = time.perf_counter() - t0
    out, i = {}, 0
    for lang, lines in chosen.items():
        out[lang] = summarise(per[i : i + len(lines)], beam, delta, seconds, boundaries)
        i += len(lines)
    return out


def check_marginal(limit) -> int:
    """``limit`` if it is a valid ``marginal`` setting (texts in all, split over the languages; 0: off), else an error.

    >>> check_marginal(-1)
    Traceback (most recent call last):
    ...
    tokforge.errors.InputError: marginal must be an integer >= 0 (texts in all; 0: off): marginal=-1
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InputError("marginal must be an integer >= 0 (texts in all; 0: off)", where=f"marginal={limit!r}")
    return limit


def marginal_block(model, tokenizer, texts: dict[str, list[str]], limit: int, **kw) -> dict[str, dict] | None:
    """`marginal_bits_per_byte` of ``limit`` texts in all (split over the languages), or None when ``limit`` is 0
    (the form the transplant and heal reports use)."""
    if not check_marginal(limit) or not texts:
        return None
    return marginal_bits_per_byte(model, tokenizer, texts, limit=limit, **kw)


def add_marginal(stats: dict[str, dict], model, tokenizer, texts: dict[str, list[str]], limit: int) -> dict:
    """``stats`` (`bits.evaluate_languages`' result) with each language's `marginal_block` under
    ``"marginal"`` (unchanged when ``limit`` is 0): how the transplant and heal reports carry it."""
    block = marginal_block(model, tokenizer, {lang: texts[lang] for lang in stats}, limit)
    for lang, b in (block or {}).items():
        stats[lang]["marginal"] = b
    return stats


def summarise(per: list[dict], beam: int, delta: float, seconds: float, boundaries: str = "byte") -> dict:
    """One language's block from `text_logprobs`' rows.

    >>> row = {"canonical_nats": -2.0, "marginal_nats": -1.0, "segmentations": 3, "pruned": 0,
    ...        "hypotheses": 4, "bytes": 2}
    >>> b = summarise([row], 8, 10.0, 0.0)
    >>> round(b["canonical_bits_per_byte"], 4), round(b["marginal_bits_per_byte"], 4), b["exact"]
    (1.4427, 0.7213, True)
    """
    n_bytes = max(1, sum(r["bytes"] for r in per))
    can = -sum(r["canonical_nats"] for r in per) / math.log(2)
    mar = -sum(r["marginal_nats"] for r in per) / math.log(2)
    pruned = sum(r["pruned"] for r in per)
    return {
        "sentences": len(per),
        "bytes": n_bytes,
        "canonical_bits_per_byte": round(can / n_bytes, 6),
        "marginal_bits_per_byte": round(mar / n_bytes, 6),
        "marginal_share": round(mar / can, 6) if can > 0 else 1.0,
        "segmentations": sum(r["segmentations"] for r in per),
        "hypotheses": sum(r["hypotheses"] for r in per),
        "pruned": pruned,
        "exact": pruned == 0,
        "beam": beam,
        "delta": delta,
        "boundaries": boundaries,
        "search_version": SEARCH_VERSION,
        "bound": "lower bound on the marginal probability (upper bound on its bits/byte)",
        "context": CONTEXT,
        "seconds": round(seconds, 2),  # the whole search: every language's texts search together
    }
