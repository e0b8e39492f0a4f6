"""Learning BPE merges over counted sequences, with incremental pair counts and a lazy heap.

Each distinct pre-token is a sequence of token ids with a count. A merge rewrites only the
sequences that hold the pair (found through a pair -> sequence-index map) and updates the pair
counts of those sequences; a max-heap of (count, pair) is refreshed lazily (a popped entry whose
count is out of date is pushed back with the current count). Ties break on the smaller
(left id, right id), so results are deterministic.

>>> m = MergeLearner([[0, 1, 0, 1], [0, 1, 2]], [3, 1], [b"a", b"b", b"c"])
>>> m.learn(2)
[(0, 1), (3, 3)]
>>> m.tokens[3:], m.seqs
([b'ab', b'abab'], [[4], [3, 2]])
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import Callable, Sequence

MergeFilter = Callable[[bytes, bytes], bool]


class MergeLearner:
    """BPE merges over ``seqs`` (lists of ids into ``tokens``) weighted by ``counts``."""

    def __init__(
        self,
        seqs: list[list[int]],
        counts: Sequence[int],
        tokens: list[bytes],
        allow: MergeFilter | None = None,
        min_count: int = 2,
        frozen: set[int] = frozenset(),
    ):
        """``frozen`` ids (special tokens) never take part in a merge."""
        self.seqs, self.counts = seqs, list(counts)
        self.tokens = list(tokens)
        self.frozen = set(frozen)
        self.index = {b: i for i, b in enumerate(self.tokens) if i not in self.frozen and b}
        self.allow = allow or (lambda a, b: True)
        self.min_count = min_count
        self.pair_count: dict[tuple[int, int], int] = defaultdict(int)
        self.where: dict[tuple[int, int], set[int]] = defaultdict(set)
        self.banned: set[tuple[int, int]] = set()
        for i, s in enumerate(seqs):
            c = self.counts[i]
            for p in zip(s, s[1:]):
                self.pair_count[p] += c
                self.where[p].add(i)
        self.heap = [(-c, p) for p, c in self.pair_count.items()]
        heapq.heapify(self.heap)

    def _best(self) -> tuple[int, int] | None:
        while self.heap:
            neg, p = heapq.heappop(self.heap)
            c = self.pair_count.get(p, 0)
            if c < self.min_count or p in self.banned or p[0] in self.frozen or p[1] in self.frozen:
                continue
            if -neg != c:  # stale entry: the count went down since it was pushed
                heapq.heappush(self.heap, (-c, p))
                continue
            if not self.allow(self.tokens[p[0]], self.tokens[p[1]]):
                self.banned.add(p)
                continue
            return p
        return None

    def _apply(self, p: tuple[int, int], new: int) -> None:
        """Merge ``p`` in place, left to right; only the neighbours of each merge change count."""
        a, b = p
        touched: dict[tuple[int, int], int] = defaultdict(int)
        for i in self.where.pop(p, ()):
            s, c = self.seqs[i], self.counts[i]
            j = 0
            while j < len(s) - 1:
                if s[j] == a and s[j + 1] == b:
                    if j > 0:
                        touched[(s[j - 1], a)] -= c
                        touched[(s[j - 1], new)] += c
                    if j + 2 < len(s):
                        touched[(b, s[j + 2])] -= c
                        touched[(new, s[j + 2])] += c
                    s[j : j + 2] = [new]
                    if j > 0:
                        self.where[(s[j - 1], new)].add(i)
                    if j + 1 < len(s):
                        self.where[(new, s[j + 1])].add(i)
                j += 1
        for q, d in touched.items():
            if d == 0 or q == p:
                continue
            self.pair_count[q] += d
            if d > 0:
                heapq.heappush(self.heap, (-self.pair_count[q], q))
        self.pair_count.pop(p, None)

    def learn(self, n_new: int, progress=None) -> list[tuple[int, int]]:
        """Learn merges until ``n_new`` new tokens exist (or no allowed pair occurs twice).

        A merge whose bytes already name a token reuses that id and adds no token."""
        merges: list[tuple[int, int]] = []
        added = 0
        while added < n_new:
            p = self._best()
            if p is None:
                break
            b = self.tokens[p[0]] + self.tokens[p[1]]
            new = self.index.get(b)
            if new is None:
                new = len(self.tokens)
                self.tokens.append(b)
                self.index[b] = new
                added += 1
                if progress is not None:
                    progress.update(1)
            self._apply(p, new)
            merges.append(p)
        return merges
