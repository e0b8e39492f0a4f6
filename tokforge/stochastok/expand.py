"""StochasTok expansion, vectorised over a whole batch: linear in the number of tokens.

The process (per example of ``n`` tokens, expansion proportion ``p``)
--------------------------------------------------------------------
* ``k`` split attempts with ``E[k] = p * n`` (``floor(p*n)``, plus one more with probability
  equal to the fractional part; the reference takes ``int(p*n)``, which never splits anything in
  an example shorter than ``1/p`` tokens).
* Each attempt picks a token position uniformly. The first attempt that lands on a splittable
  token splits it into a uniformly chosen (left, right) pair of its split table row. Every later
  attempt on the same token goes to the left or the right piece with probability 1/2 and acts on
  that piece in the same way (pieces may be split again). Attempts on a token that cannot be
  split (special tokens, single bytes) do nothing, as in the reference.
* This is the reference algorithm (random position in the current list, list rebuilt per split)
  up to one second-order detail: the reference draws later positions from the grown list, so a
  token hit once attracts a later attempt with probability ``2/(n+1)`` instead of ``1/n``.

All draws come from :mod:`.rng` keyed by (seed, example index), so results do not depend on how
examples are batched. The work is a handful of numpy passes over the batch: no Python loop per
token or per example.

>>> from tokforge import Vocab
>>> from .table import SplitTable
>>> t = SplitTable.build(Vocab([b"a", b"b", b"ab", b"abb"]))
>>> flat, off = expand_flat(t, np.array([3, 3, 0]), np.array([0, 3]), np.array([0]), p=1.0, seed=0)
>>> b"".join([b"a", b"b", b"ab", b"abb"][i] for i in flat), len(flat) > 3
(b'abbabba', True)
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from . import rng
from .table import SplitTable

_SALT_COUNT, _SALT_ATTEMPT, _SALT_ROUND = rng.salt(1), rng.salt(2), rng.salt(3)


def check_p(p) -> float:
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise InputError("p must be a number in [0, 1]", where=f"p={p!r}", fix="e.g. p=0.1") from None
    if not 0.0 <= p <= 1.0:  # also rejects nan
        raise InputError(
            "p must be in [0, 1] (the expected split attempts per token)",
            where=f"p={p}",
            fix="e.g. p=0.1 as in the paper",
        )
    return p


def check_ids(flat: np.ndarray, vocab_size: int, where: str = "ids", offsets: np.ndarray | None = None) -> np.ndarray:
    """Validate token ids (integers in ``[0, vocab_size)``); returns them as an int64 array.

    With ``offsets`` (a flat batch), an error names the example and position: ``batch[e][j]``."""
    a = np.asarray(flat)
    if a.size == 0:
        return a.astype(np.int64).reshape(0)
    if a.dtype.kind not in "iu":
        if a.dtype.kind == "f" and np.all(np.mod(a, 1) == 0):
            a = a.astype(np.int64)
        else:
            raise InputError(
                f"token ids must be integers, got dtype {a.dtype}", where=where, fix="pass a list or array of token ids"
            )
    lo, hi = int(a.min()), int(a.max())
    if lo < 0 or hi >= vocab_size:
        bad = lo if lo < 0 else hi
        at = int(np.flatnonzero(a == bad)[0])
        if offsets is not None:
            e = int(np.searchsorted(offsets, at, side="right")) - 1
            loc = f"{where}[{e}][{at - int(offsets[e])}]"
        else:
            loc = f"{where}[{at}]"
        raise InputError(
            f"token id {bad} out of range for a vocabulary of {vocab_size}",
            where=loc,
            fix="use ids from the same tokenizer the StochasTok table was built for",
        )
    return a.astype(np.int64, copy=False)


def _attempts(keys: np.ndarray, lengths: np.ndarray, p: float) -> np.ndarray:
    """Number of split attempts per example: floor(p*n) + Bernoulli(frac(p*n))."""
    want = p * lengths
    k = np.floor(want)
    u = rng.unit(rng.stream(keys, 0, _SALT_COUNT))
    k += u < want - k
    return k.astype(np.int64)


def _attempts_one(key: int, n: int, p: float) -> int:
    """`_attempts` for one example, in plain Python (same draws)."""
    want = p * n
    k = math.floor(want)
    return k + (rng.unit_int(rng.stream_int(key, 0, _SALT_COUNT)) < want - k)


def _targets(keys, starts, lengths, k):
    """Per attempt: its hash and the global position it lands on, sorted by (position, attempt)."""
    ex = np.repeat(np.arange(len(k)), k)
    j = np.arange(len(ex)) - (np.cumsum(k) - k)[ex]
    h = rng.stream(keys[ex], j, _SALT_ATTEMPT)
    pos = rng.below(h, lengths[ex]).astype(np.int64) + starts[ex]
    order = np.argsort(pos, kind="stable")
    return h[order], pos[order]


def _targets_one(key: int, n: int, k: int):
    h = rng.stream_range(key, k, _SALT_ATTEMPT)
    pos = rng.below(h, n).astype(np.int64)
    order = np.argsort(pos, kind="stable")
    return h[order], pos[order]


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Bool mask: True where a run of equal values starts."""
    m = np.empty(len(sorted_keys), dtype=bool)
    m[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=m[1:])
    return m


def _split_tree(table: SplitTable, tok: int, draws: list[int], rnd: int) -> list[int]:
    """Pure-Python version of the rounds for one token and its pending attempts (same draws)."""
    v = [rng.stream_int(d, rnd, _SALT_ROUND) for d in draws] if rnd else list(draws)
    ns = int(table.n_splits[tok])
    if ns == 0:
        return [tok]
    pick = int(table.offsets[tok]) + rng.below_low_int(v[0], ns)
    a, b = int(table.left[pick]), int(table.right[pick])
    to_a = [d for d, x in zip(draws[1:], v[1:]) if not rng.below_low_int(x, 2)]
    to_b = [d for d, x in zip(draws[1:], v[1:]) if rng.below_low_int(x, 2)]
    return (_split_tree(table, a, to_a, rnd + 1) if to_a else [a]) + (
        _split_tree(table, b, to_b, rnd + 1) if to_b else [b]
    )


def _finish_in_python(table, tok, owner, leaf, h, rnd):
    """Apply the few pending attempts leaf by leaf (cheaper than a numpy round for a handful)."""
    groups: dict[int, list[int]] = {}
    for lf, d in zip(leaf.tolist(), h.tolist()):
        groups.setdefault(lf, []).append(d)
    toks, owners = tok.tolist(), owner.tolist()
    for lf in sorted(groups, reverse=True):  # from the back, so earlier indices stay valid
        pieces = _split_tree(table, toks[lf], groups[lf], rnd)
        toks[lf : lf + 1] = pieces
        owners[lf : lf + 1] = [owners[lf]] * len(pieces)
    return np.array(toks, dtype=tok.dtype), np.array(owners, dtype=np.int64)


SMALL = 24  # pending attempts below which the remaining rounds run in Python


def _leaves_few_collisions(table: SplitTable, tok, owner, h, first):
    """Round 0 without rebuilding arrays, then the few later attempts in Python (same process)."""
    ns = table.n_splits[tok]
    can = ns > 0
    pick = table.offsets[tok[can]] + rng.below_low(h[first][can], ns[can]).astype(np.int64)
    m = len(pick)
    leaves = np.empty(2 * m, dtype=tok.dtype)
    leaves[0::2] = table.left[pick]
    leaves[1::2] = table.right[pick]
    owners = np.repeat(owner[can], 2)
    if len(first) == len(tok):  # no token was hit twice
        return leaves, owners
    leaf = (np.cumsum(first) - 1)[~first]  # the hit token of each later attempt
    hl = h[~first]
    alive = can[leaf]
    rank = (np.cumsum(can) - 1)[leaf[alive]]
    hl = hl[alive]
    child = 2 * rank + rng.below_low(hl, 2).astype(np.int64)  # round 0's draw picks the side
    if len(child) == 0:
        return leaves, owners
    return _finish_in_python(table, leaves, owners, child, hl, 1)


def _leaves(table: SplitTable, flat: np.ndarray, h: np.ndarray, pos: np.ndarray):
    """Run the attempts; returns (leaf tokens, their source positions), sorted by position."""
    if len(pos) == 0:
        return flat[:0], pos
    new = _group_starts(pos)
    owner = pos[new]
    tok = flat[owner]
    if len(pos) - len(owner) <= SMALL:
        return _leaves_few_collisions(table, tok, owner, h, new)
    leaf = np.cumsum(new) - 1  # leaf of each attempt; attempts stay sorted by (leaf, attempt)
    first = new
    nsplit, offs = table.n_splits, table.offsets
    rnd = 0
    while True:
        # round 0 reuses the attempt's own draw (its high bits chose the position, the low bits
        # choose the split or the side); later rounds hash (draw, round) afresh
        v = rng.stream(h, rnd, _SALT_ROUND) if rnd else h
        wl = leaf[first]
        ns = nsplit[tok[wl]]
        can = ns > 0
        wl = wl[can]
        pick = offs[tok[wl]] + rng.below_low(v[first][can], ns[can]).astype(np.int64)
        rep = np.ones(len(tok), dtype=np.int64)
        rep[wl] = 2
        start = np.cumsum(rep) - rep
        tok = np.repeat(tok, rep)
        owner = np.repeat(owner, rep)
        at = start[wl]
        tok[at] = table.left[pick]
        tok[at + 1] = table.right[pick]
        rest = ~first
        rest[rest] = rep[leaf[rest]] == 2  # later attempts live on only in a token that was split
        n_rest = int(np.count_nonzero(rest))
        if n_rest == 0:
            return tok, owner
        leaf = start[leaf[rest]] + rng.below_low(v[rest], 2).astype(np.int64)
        h = h[rest]
        rnd += 1
        if n_rest <= SMALL:  # grouping keeps each leaf's attempts in order, no sort needed
            return _finish_in_python(table, tok, owner, leaf, h, rnd)
        order = np.argsort(leaf, kind="stable")
        leaf, h = leaf[order], h[order]
        first = _group_starts(leaf)


def expand_flat(
    table: SplitTable,
    flat: np.ndarray,
    offsets: np.ndarray,
    indices: np.ndarray,
    *,
    p: float,
    seed: int,
    return_source: bool = False,
):
    """Expand a batch stored flat: example ``e`` is ``flat[offsets[e]:offsets[e+1]]``.

    ``indices[e]`` is the example's index (its randomness comes from ``(seed, indices[e])``).
    Returns ``(new_flat, new_offsets)`` and, with ``return_source``, the source position in
    ``flat`` of every output token (to carry labels or masks along). Ids are assumed checked.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    if len(offsets) == 2:  # one example: scalar bookkeeping in Python, same draws
        n = int(offsets[1] - offsets[0])
        key = rng.example_key(seed, int(indices[0]))
        h, pos = _targets_one(key, n, _attempts_one(key, n, p) if n else 0)
        pos += int(offsets[0])
    else:
        lengths = offsets[1:] - offsets[:-1]
        keys = rng.example_keys(seed, indices)
        h, pos = _targets(keys, offsets[:-1], lengths, _attempts(keys, lengths, p))
    tok, owner = _leaves(table, flat, h, pos)
    # Each owner's first leaf replaces it in place; its other leaves are inserted after it.
    head = _group_starts(owner)
    extra = ~head
    ins_src = owner[extra]  # source position each inserted leaf follows (sorted)
    n_out = len(flat) + len(ins_src)
    ins_dest = ins_src + np.arange(1, len(ins_src) + 1)
    keep = np.ones(n_out, dtype=bool)
    keep[ins_dest] = False
    out = np.empty(n_out, dtype=flat.dtype)
    out[keep] = flat
    heads = owner[head]
    out[heads + np.searchsorted(ins_src, heads, side="left")] = tok[head]
    out[ins_dest] = tok[extra]
    new_offsets = offsets + np.searchsorted(ins_src, offsets, side="left")
    if return_source:
        src = np.empty(n_out, dtype=np.int64)
        src[keep] = np.arange(len(flat))
        src[ins_dest] = ins_src
        return out, new_offsets, src
    return out, new_offsets
