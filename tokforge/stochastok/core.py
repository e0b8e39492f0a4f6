"""`StochasTok`: the user-facing object (split table + expansion + contraction for one tokenizer).

>>> st = StochasTok("gpt2", p=0.5)
>>> ids = st.tokenizer.encode("hello world")          # [31373, 995]
>>> out = st.expand(ids, seed=1)
>>> st.tokenizer.decode(out), st.contract(out) == ids  # same text, canonical ids back
('hello world', True)
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ..tokenizer import Tokenizer
from . import rng
from .contract import contract as _contract
from .expand import check_ids, check_p, expand_flat
from .table import SplitTable, load_table

IGNORE_INDEX = -100  # the HF "no loss here" label


def _as_array(ids, where: str) -> np.ndarray:
    if isinstance(ids, (str, bytes)):
        raise InputError("expected token ids, got a string", where=where, fix="encode the text first")
    a = np.asarray(ids)
    if a.ndim != 1:
        raise InputError(
            f"expected a 1-D sequence of token ids, got shape {a.shape}",
            where=where,
            fix="pass one sequence (use expand_batch for several)",
        )
    return a


def _like(src, arr: np.ndarray):
    """Return ``arr`` as the caller's type: a list for a list input, else a numpy array."""
    return arr.tolist() if isinstance(src, (list, tuple)) else arr


class StochasTok:
    """Seeded StochasTok for one tokenizer.

    ``p`` is the expected number of split attempts per token (the paper's expand proportion);
    ``seed`` the default seed. The split table is built once per vocabulary and cached on disk
    (``cache=False`` to skip the cache). Empty sequences are valid and stay empty.
    """

    def __init__(
        self,
        tokenizer: Tokenizer | str,
        p: float = 0.1,
        *,
        seed: int = 0,
        cache: bool = True,
        progress: bool = False,
        table: SplitTable | None = None,
    ):
        if not isinstance(tokenizer, Tokenizer):
            from ..loaders import load_tokenizer

            tokenizer = load_tokenizer(tokenizer)
        self.tokenizer = tokenizer
        self.p = check_p(p)
        self.seed = rng.check_seed(seed)
        self.table = table if table is not None else load_table(tokenizer.vocab, cache=cache, progress=progress)
        if self.table.vocab_size != len(tokenizer.vocab):
            raise InputError(
                "split table does not match the tokenizer",
                where=f"{self.table.vocab_size} vs {len(tokenizer.vocab)} ids",
                fix="build the table from this tokenizer's vocab",
            )

    def __repr__(self) -> str:
        return f"StochasTok({self.tokenizer.name!r}, p={self.p}, {self.table.n_splittable:,} splittable tokens)"

    def _args(self, p, seed) -> tuple[float, int]:
        return (self.p if p is None else check_p(p)), (self.seed if seed is None else rng.check_seed(seed))

    # -- expansion -------------------------------------------------------------------------
    def expand(
        self,
        ids: Sequence[int],
        seed: int | None = None,
        index: int = 0,
        p: float | None = None,
        mask: Sequence[Any] | None = None,
    ):
        """Split about ``p * len(ids)`` tokens; the concatenated bytes stay the same.

        The result depends only on (``seed``, ``index``, ``ids``, ``p``). With ``mask`` (any
        per-token values: a loss mask, labels...), returns ``(ids, mask)`` where every piece of a
        split token carries that token's value. Lists in -> lists out; arrays in -> arrays out.
        """
        p, seed = self._args(p, seed)
        a = _as_array(ids, "ids")
        flat = check_ids(a, len(self.tokenizer.vocab))
        res = expand_flat(
            self.table, flat, np.array([0, len(flat)]), (index,), p=p, seed=seed, return_source=mask is not None
        )
        out = res[0].astype(a.dtype if a.dtype.kind in "iu" else np.int64, copy=False)
        if mask is None:
            return _like(ids, out)
        src = res[2]
        m = _as_array(mask, "mask")
        if len(m) != len(flat):
            raise InputError("mask must have one value per token", where=f"{len(m)} values for {len(flat)} ids")
        return _like(ids, out), _like(mask, m[src])

    def expand_batch(
        self,
        batch: Sequence[Sequence[int]],
        seed: int | None = None,
        indices: Sequence[int] | None = None,
        start_index: int = 0,
        p: float | None = None,
        masks: Sequence[Sequence[Any]] | None = None,
    ):
        """`expand` every sequence of ``batch`` in one vectorised pass.

        Example ``e`` uses index ``indices[e]`` (default ``start_index + e``), so
        ``expand_batch(b)[e] == expand(b[e], index=start_index + e)`` whatever the batch size.
        """
        p, seed = self._args(p, seed)
        arrays = [_as_array(x, f"batch[{e}]") for e, x in enumerate(batch)]
        lengths = np.fromiter((len(x) for x in arrays), dtype=np.int64, count=len(arrays))
        if indices is None:
            idx = np.arange(start_index, start_index + len(arrays), dtype=np.int64)
        else:
            idx = np.asarray(indices, dtype=np.int64).reshape(-1)
            if len(idx) != len(arrays):
                raise InputError("indices must have one entry per example", where=f"{len(idx)} for {len(arrays)}")
        if not arrays:
            return ([], []) if masks is not None else []
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = check_ids(
            np.concatenate(arrays) if offsets[-1] else np.zeros(0, np.int64),
            len(self.tokenizer.vocab),
            "batch",
            offsets,
        )
        out, new_off, src = expand_flat(self.table, flat, offsets, idx, p=p, seed=seed, return_source=True)
        outs = [_like(batch[e], out[new_off[e] : new_off[e + 1]]) for e in range(len(arrays))]
        if masks is None:
            return outs
        flat_m = _flat_masks(masks, lengths)
        got = flat_m[src]
        return outs, [_like(masks[e], got[new_off[e] : new_off[e + 1]]) for e in range(len(arrays))]

    def expand_labels(
        self, ids: Sequence[int], labels: Sequence[int], seed: int | None = None, index: int = 0, p: float | None = None
    ):
        """Label-aware `expand` for HF causal-LM labels (each label is ``-100`` or its own token id).

        Pieces of a trained token are trained (their label is their own id); pieces of a masked
        token stay masked. Returns ``(ids, labels)``.
        """
        new, keep = self.expand(ids, seed=seed, index=index, p=p, mask=labels_to_mask(ids, labels))
        arr = np.asarray(new)
        lab = np.where(np.asarray(keep, dtype=bool), arr, IGNORE_INDEX)
        return _like(ids, arr), _like(labels, lab)

    # -- contraction -----------------------------------------------------------------------
    def contract(self, ids: Sequence[int]) -> list[int]:
        """The tokenizer's canonical encoding of the same bytes (see `tokforge.stochastok.contract`)."""
        flat = check_ids(_as_array(ids, "ids"), len(self.tokenizer.vocab))
        return _contract(self.tokenizer, flat)

    def splits(self, token_id: int) -> list[tuple[int, int]]:
        """The (left, right) pieces ``token_id`` can be split into."""
        check_ids(np.array([token_id]), len(self.tokenizer.vocab), "token_id")
        return self.table.splits(int(token_id))


def labels_to_mask(ids: Sequence[int], labels: Sequence[int]) -> np.ndarray:
    """Bool "trained" mask from HF labels; labels must be ``-100`` or equal to the id at that position."""
    a, lab = np.asarray(ids), np.asarray(labels)
    if lab.shape != a.shape:
        raise InputError("labels must have one value per token", where=f"{lab.shape} vs {a.shape}")
    trained = lab != IGNORE_INDEX
    bad = np.flatnonzero(trained & (lab != a))
    if len(bad):
        raise InputError(
            "a label is neither -100 nor its own token id (shifted labels?)",
            where=f"labels[{bad[0]}]",
            fix="pass unshifted labels (HF models shift inside) or use expand(mask=...)",
        )
    return trained


def _flat_masks(masks, lengths: np.ndarray) -> np.ndarray:
    if len(masks) != len(lengths):
        raise InputError("masks must have one entry per example", where=f"{len(masks)} for {len(lengths)}")
    parts = [np.asarray(m) for m in masks]
    for e, (m, n) in enumerate(zip(parts, lengths.tolist())):
        if m.shape != (n,):
            raise InputError("mask must have one value per token", where=f"masks[{e}]: {m.shape} for {n} ids")
    return np.concatenate(parts) if parts else np.zeros(0)
