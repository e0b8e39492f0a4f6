"""`EmbeddingPlan`: where every row of a new vocabulary's embedding and LM-head matrices comes from.

No torch here: a plan is numpy arrays, built and tested without a model, then applied by
:func:`tokforge.surgery.apply.apply_plan`.

For each new token id and each side (``input`` = embedding matrix, ``output`` = LM head) a row is
one of (:class:`Source`):

* ``COPY``    an old row, matched by bytes through `Vocab` (never by display strings);
* ``COMBINE`` a weighted sum of old rows, stored for all rows at once as CSR arrays
  (``indptr``/``indices``/``weights``) so applying it is one sparse matmul;
* ``GIVEN``   a vector supplied by the caller (a float32 matrix for a set of ids);
* ``MEAN``    the mean of all old rows (the Hewitt baseline);
* ``UNSET``   nothing yet (applying a plan with unset rows is an error).

Each row also records provenance: the method that filled it and a confidence in [0, 1].
Most methods describe both sides with the same copies/combinations (applied to each side's own
old matrix), so ``plan.output`` *is* ``plan.input`` until a side-specific call splits them
(``set_given(..., side="output")``).

>>> from tokforge.vocab import Vocab, TokenKind
>>> old = Vocab([b"<s>", b"a", b"b", b"ab"], [TokenKind.SPECIAL, 0, 0, 0], roles={"bos": 0})
>>> new = Vocab([b"<bos>", b"b", b"a", b"ba"], [TokenKind.SPECIAL, 0, 0, 0], roles={"bos": 0})
>>> plan = EmbeddingPlan.from_matches(old, new)
>>> plan.input.copy_from.tolist()           # bos by role, "b" and "a" by bytes, "ba" unmatched
[0, 2, 1, -1]
>>> plan.set_combination([3], [0, 2], [2, 1], [0.5, 0.5], method="fvt")
>>> plan.summary()["input"]["sources"]
{'COPY': 3, 'COMBINE': 1}
"""

from __future__ import annotations

import copy as _copy
import enum
from typing import Sequence

import numpy as np

from ..errors import InputError
from ..vocab import TokenKind, Vocab


class Source(enum.IntEnum):
    """Where a new row comes from."""

    UNSET = 0
    COPY = 1
    COMBINE = 2
    GIVEN = 3
    MEAN = 4


def _ids(x, n: int, what: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.int64).reshape(-1)
    if a.size and (a.min() < 0 or a.max() >= n):
        bad = int(a[(a < 0) | (a >= n)][0])
        raise InputError(
            f"{what} id out of range",
            where=f"id {bad} (valid 0..{n - 1})",
            fix="check that the plan was built for this vocabulary",
        )
    return a


class SidePlan:
    """One side (embedding or LM head) of a plan: a source per new row plus its data.

    >>> s = SidePlan(3, n_old=2)
    >>> s.set_copy([0, 1], [1, 0]); s.set_mean([2])
    >>> s.source.tolist(), s.copy_from.tolist()
    ([1, 1, 4], [1, 0, -1])
    """

    def __init__(self, n_new: int, n_old: int):
        self.n_new, self.n_old = int(n_new), int(n_old)
        self.source = np.zeros(self.n_new, dtype=np.uint8)
        self.copy_from = np.full(self.n_new, -1, dtype=np.int64)
        # combinations as COO triples (row, old col, weight); CSR views are derived on demand
        self._rows = np.zeros(0, dtype=np.int64)
        self._cols = np.zeros(0, dtype=np.int64)
        self._w = np.zeros(0, dtype=np.float32)
        self.given_ids = np.zeros(0, dtype=np.int64)
        self.given: np.ndarray | None = None
        self.methods: list[str] = ["unset"]
        self.method = np.zeros(self.n_new, dtype=np.int16)
        self.confidence = np.zeros(self.n_new, dtype=np.float32)

    # -- provenance -----------------------------------------------------------------------
    def _mark(self, ids: np.ndarray, source: Source, method: str, confidence) -> None:
        if method not in self.methods:
            self.methods.append(method)
        self.source[ids] = source
        self.method[ids] = self.methods.index(method)
        self.confidence[ids] = np.clip(np.broadcast_to(np.asarray(confidence, np.float32), ids.shape), 0.0, 1.0)

    def _clear(self, ids: np.ndarray) -> None:
        """Drop combination entries and given vectors previously set for ``ids``."""
        if self._rows.size:
            keep = ~np.isin(self._rows, ids)
            self._rows, self._cols, self._w = self._rows[keep], self._cols[keep], self._w[keep]
        if self.given_ids.size:
            keep = ~np.isin(self.given_ids, ids)
            self.given_ids, self.given = self.given_ids[keep], self.given[keep]
        self.copy_from[ids] = -1

    # -- setters (all vectorised over ids) ------------------------------------------------
    def set_copy(self, new_ids, old_ids, method: str = "copy", confidence=1.0) -> None:
        new_ids, old_ids = _ids(new_ids, self.n_new, "new"), _ids(old_ids, self.n_old, "old")
        if new_ids.shape != old_ids.shape:
            raise InputError("set_copy needs one old id per new id", where=f"{new_ids.size} vs {old_ids.size}")
        self._clear(new_ids)
        self.copy_from[new_ids] = old_ids
        self._mark(new_ids, Source.COPY, method, confidence)

    def set_mean(self, new_ids, method: str = "mean", confidence=0.0) -> None:
        new_ids = _ids(new_ids, self.n_new, "new")
        self._clear(new_ids)
        self._mark(new_ids, Source.MEAN, method, confidence)

    def set_combination(self, new_ids, indptr, indices, weights, method: str, confidence=0.5) -> None:
        """Rows ``new_ids[r]`` = sum of ``weights[indptr[r]:indptr[r+1]]`` times old rows ``indices[...]``."""
        new_ids = _ids(new_ids, self.n_new, "new")
        indptr = np.asarray(indptr, dtype=np.int64)
        cols = _ids(indices, self.n_old, "old")
        w = np.asarray(weights, dtype=np.float32).reshape(-1)
        if indptr.shape != (new_ids.size + 1,) or indptr[0] != 0 or indptr[-1] != cols.size or cols.size != w.size:
            raise InputError(
                "malformed CSR combination",
                where=f"{new_ids.size} rows, indptr {indptr.shape}, {cols.size} indices, {w.size} weights",
                fix="indptr needs len(new_ids)+1 entries from 0 to nnz",
            )
        counts = np.diff(indptr)
        if (counts <= 0).any():
            raise InputError(
                "a combination row has no old rows",
                where=f"new id {int(new_ids[counts <= 0][0])}",
                fix="use set_mean for rows without a decomposition",
            )
        self._clear(new_ids)
        self._rows = np.concatenate([self._rows, np.repeat(new_ids, counts)])
        self._cols = np.concatenate([self._cols, cols])
        self._w = np.concatenate([self._w, w])
        self._mark(new_ids, Source.COMBINE, method, confidence)

    def set_given(self, new_ids, vectors, method: str, confidence=1.0) -> None:
        new_ids = _ids(new_ids, self.n_new, "new")
        v = np.asarray(vectors, dtype=np.float32)
        if v.ndim != 2 or v.shape[0] != new_ids.size:
            raise InputError(
                "given vectors must be a (len(ids), dim) matrix", where=f"shape {v.shape} for {new_ids.size} ids"
            )
        if self.given is not None and self.given.shape[1] != v.shape[1]:
            raise InputError("given vectors change width", where=f"{v.shape[1]} vs {self.given.shape[1]}")
        if len(np.unique(new_ids)) != new_ids.size:
            raise InputError("set_given got repeated ids")
        self._clear(new_ids)
        self.given_ids = np.concatenate([self.given_ids, new_ids])
        self.given = v.copy() if self.given is None else np.concatenate([self.given, v])
        self._mark(new_ids, Source.GIVEN, method, confidence)

    # -- views ----------------------------------------------------------------------------
    def ids(self, source: Source) -> np.ndarray:
        return np.flatnonzero(self.source == source)

    def combination_coo(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, old cols, weights) of every COMBINE row, sorted by row."""
        order = np.argsort(self._rows, kind="stable")
        return self._rows[order], self._cols[order], self._w[order]

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr over all n_new rows, indices, weights); non-COMBINE rows are empty."""
        rows, cols, w = self.combination_coo()
        indptr = np.zeros(self.n_new + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=self.n_new), out=indptr[1:])
        return indptr, cols, w

    def method_of(self, i: int) -> str:
        return self.methods[int(self.method[i])]

    def validate(self, dim: int | None = None) -> None:
        unset = self.ids(Source.UNSET)
        if unset.size:
            raise InputError(
                f"{unset.size} new rows have no source",
                where=f"first new id {int(unset[0])}",
                fix="fill them, e.g. plan.fill_unset(Source.MEAN)",
            )
        if dim is not None and self.given is not None and self.given.shape[1] != dim:
            raise InputError(
                "given vectors do not match the model's hidden size", where=f"{self.given.shape[1]} vs {dim}"
            )

    def summary(self) -> dict:
        src = np.bincount(self.source, minlength=len(Source))
        meth = np.bincount(self.method, minlength=len(self.methods))
        return {
            "sources": {Source(i).name: int(c) for i, c in enumerate(src) if c},
            "methods": {self.methods[i]: int(c) for i, c in enumerate(meth) if c},
            "mean_confidence": round(float(self.confidence.mean()) if self.n_new else 0.0, 4),
            "combination_entries": int(self._rows.size),
        }


def _text_index(vocab: Vocab, special: bool) -> dict[bytes, int]:
    """bytes -> lowest id among special (or non-special) tokens."""
    ids = vocab.ids_with(TokenKind.SPECIAL) if special else np.flatnonzero((vocab.kinds & TokenKind.SPECIAL) == 0)
    out: dict[bytes, int] = {}
    for i in ids.tolist():
        out.setdefault(vocab.tokens[i], i)
    return out


def match_by_bytes(old: Vocab, new: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """(new ids, old ids) of rows that can be copied: roles first (bos/eos/pad/unk...), then bytes.

    Text tokens match text tokens by their bytes (``b" the"`` in a byte-level BPE and ``▁the`` in a
    SentencePiece are the same token); special tokens without a shared role match special tokens
    with the same text. Empty tokens and tokens the new tokenizer never emits
    (`Vocab.unreachable_ids`: UNUSED pieces, byte-fallback twins of normal tokens) never match:
    a twin with a copy of its normal token's row would take half that token's probability.

    >>> a = Vocab([b"<|endoftext|>", b" the", b"x"], [TokenKind.SPECIAL, 0, 0], roles={"eos": 0})
    >>> b = Vocab([b"<eos>", b"x", b" the", b"y"], [TokenKind.SPECIAL, 0, 0, 0], roles={"eos": 0})
    >>> [x.tolist() for x in match_by_bytes(a, b)]
    [[0, 1, 2], [0, 2, 1]]
    """
    found: dict[int, int] = {}
    for role, nid in new.roles.items():
        if role in old.roles:
            found.setdefault(nid, old.roles[role])
    old_text, old_special = _text_index(old, False), _text_index(old, True)
    skip = set(new.unreachable_ids().tolist())
    for nid, (t, k) in enumerate(zip(new.tokens, new.kinds.tolist())):
        if nid in found or not t or nid in skip:
            continue
        j = (old_special if k & TokenKind.SPECIAL else old_text).get(t)
        if j is not None:
            found[nid] = j
    new_ids = np.fromiter(sorted(found), dtype=np.int64, count=len(found))
    return new_ids, np.fromiter((found[i] for i in new_ids.tolist()), dtype=np.int64, count=len(found))


class EmbeddingPlan:
    """The whole new vocabulary: an input side, an output side (shared unless split), provenance."""

    def __init__(
        self, old_vocab: Vocab, new_vocab: Vocab, input: SidePlan | None = None, output: SidePlan | None = None
    ):
        self.old_vocab, self.new_vocab = old_vocab, new_vocab
        self.input = input or SidePlan(len(new_vocab), len(old_vocab))
        self.output = output or self.input
        self.notes: dict = {}

    @property
    def shared(self) -> bool:
        """True while both sides are described by the same `SidePlan`."""
        return self.output is self.input

    def split_output(self) -> SidePlan:
        """Give the output side its own copy of the current plan (idempotent)."""
        if self.shared:
            self.output = _copy.deepcopy(self.input)
        return self.output

    def _sides(self, side: str) -> list[SidePlan]:
        if side == "both":
            return [self.input] if self.shared else [self.input, self.output]
        if side == "input":
            if self.shared:
                self.split_output()
            return [self.input]
        if side == "output":
            return [self.split_output()]
        raise InputError(f"unknown side {side!r}", fix="use input, output or both")

    # -- builders -------------------------------------------------------------------------
    @classmethod
    def identity(cls, vocab: Vocab) -> "EmbeddingPlan":
        """Every id copies itself: applying it must leave a model unchanged."""
        plan = cls(vocab, vocab)
        ids = np.arange(len(vocab))
        plan.input.set_copy(ids, ids, method="identity")
        return plan

    @classmethod
    def from_matches(cls, old: Vocab, new: Vocab, method: str = "copy") -> "EmbeddingPlan":
        """Copy every row matched by role or bytes (`match_by_bytes`); tokens the new tokenizer never
        emits get the mean row (`mark_unreachable`); the rest stays UNSET."""
        plan = cls(old, new)
        n_ids, o_ids = match_by_bytes(old, new)
        plan.input.set_copy(n_ids, o_ids, method=method)
        plan.mark_unreachable()
        return plan

    def mark_unreachable(self) -> np.ndarray:
        """Give every new id that encoding never emits (`Vocab.unreachable_ids`) and that has no role
        the mean row (method ``unreachable``): by Jensen's inequality its probability is then at most
        the old tokens' average, so it cannot take mass from the token it shadows. Returns the ids."""
        ids = self.new_vocab.unreachable_ids()
        ids = np.setdiff1d(ids, np.asarray(list(self.new_vocab.roles.values()), dtype=np.int64))
        if ids.size:
            self.set_mean(ids, method="unreachable")
            self.notes["unreachable"] = int(ids.size)
        return ids

    # -- setters on both sides (or one) ---------------------------------------------------
    def set_copy(self, new_ids, old_ids, method: str = "copy", confidence=1.0, side: str = "both") -> None:
        for s in self._sides(side):
            s.set_copy(new_ids, old_ids, method, confidence)

    def set_mean(self, new_ids, method: str = "mean", confidence=0.0, side: str = "both") -> None:
        for s in self._sides(side):
            s.set_mean(new_ids, method, confidence)

    def set_combination(
        self, new_ids, indptr, indices, weights, method: str, *, confidence=0.5, side: str = "both"
    ) -> None:
        for s in self._sides(side):
            s.set_combination(new_ids, indptr, indices, weights, method, confidence)

    def set_given(self, new_ids, vectors, method: str, confidence=1.0, side: str = "both") -> None:
        """Rows given as vectors; ``side="input"``/``"output"`` splits the plan (e.g. a hypernetwork
        predicting different rows for the embedding and the LM head)."""
        for s in self._sides(side):
            s.set_given(new_ids, vectors, method, confidence)

    def unset_ids(self) -> np.ndarray:
        """New ids with no source on some side."""
        u = self.input.ids(Source.UNSET)
        return u if self.shared else np.union1d(u, self.output.ids(Source.UNSET))

    def fill_unset(self, source: Source = Source.MEAN, method: str = "mean") -> None:
        if source != Source.MEAN:
            raise InputError("fill_unset supports Source.MEAN only")
        for s in [self.input] if self.shared else [self.input, self.output]:
            u = s.ids(Source.UNSET)
            if u.size:
                s.set_mean(u, method=method, confidence=0.0)

    def validate(self, dim: int | None = None) -> None:
        if len(self.new_vocab) != self.input.n_new or self.output.n_new != self.input.n_new:
            raise InputError(
                "plan size does not match the new vocabulary", where=f"{self.input.n_new} vs {len(self.new_vocab)}"
            )
        self.input.validate(dim)
        self.output.validate(dim)

    def summary(self) -> dict:
        out = {
            "n_old": len(self.old_vocab),
            "n_new": len(self.new_vocab),
            "old_vocab": self.old_vocab.name,
            "new_vocab": self.new_vocab.name,
            "input": self.input.summary(),
        }
        out["output"] = "same as input" if self.shared else self.output.summary()
        if self.notes:
            out["notes"] = dict(self.notes)
        return out

    def __repr__(self) -> str:
        return f"EmbeddingPlan({len(self.old_vocab)} -> {len(self.new_vocab)} rows, {self.input.summary()['sources']})"


def csr_from_lists(groups: Sequence[Sequence[int]], weights: Sequence[Sequence[float]] | None = None):
    """(indptr, indices, weights) from per-row lists; equal weights when ``weights`` is None.

    >>> [x.tolist() for x in csr_from_lists([[1, 2], [0]])]
    [[0, 2, 3], [1, 2, 0], [0.5, 0.5, 1.0]]
    """
    counts = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
    indptr = np.zeros(len(groups) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.fromiter((i for g in groups for i in g), dtype=np.int64, count=int(indptr[-1]))
    if weights is None:
        w = np.repeat(1.0 / np.maximum(counts, 1), counts).astype(np.float32)
    else:
        w = np.fromiter((x for g in weights for x in g), dtype=np.float32, count=int(indptr[-1]))
    return indptr, indices, w
