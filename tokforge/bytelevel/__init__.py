"""Exact byte-level probabilities from tokenized LMs (see docs/bytelevel.md).

The public entry is the root: ``tokforge.ByteLM`` (defined in `bytelm`) and ``tokforge.Ensemble``
(defined in `ensemble`); both need torch. `cover` and `canon` stay torch-free, and so does this
package's one constant, `MODES`.
"""

from __future__ import annotations

MODES = ("mixture", "product", "bayes", "switch")  # how `Ensemble` combines its members (torch-free list)
