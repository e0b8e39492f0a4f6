"""`AuditConfig`: every choice of an audit but the tokenizers and the corpus, frozen and checked on construction.

>>> AuditConfig(langs=["eng_Latn", "fra_Latn"], limit=100).langs
('eng_Latn', 'fra_Latn')
>>> AuditConfig(shard=(2, 2))
Traceback (most recent call last):
...
tokforge.errors.InputError: shard must be (i, n) with 0 <= i < n: (2, 2)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ..corpus import SPLITS
from ..errors import InputError, UnknownNameError
from .coverage import DEFAULT_TOP

REFERENCE_CHOICES = ("default", "none")
PANEL_CACHE = ("on", "off", "refresh")  # the reference panel's cache (tokforge.audit.panel_cache)
LOCAL_WORKERS = 2  # workers of cluster="local" when num_proc is not given
_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9a-fA-F:]+\]|[\w.-]+):\d{1,5}")


def _strs(value, name: str) -> tuple[str, ...] | None:
    """A list of strings as a tuple (None stays None); a bare string or a non-string entry is an error."""
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(x, str) for x in value):
        raise InputError(f"{name} must be a list of strings", where=repr(value)[:80], fix=f'e.g. {name}=["eng_Latn"]')
    return tuple(value)


def _positive(value, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InputError(f"{name} must be a positive integer or None", where=repr(value))


@dataclass(frozen=True)
class AuditConfig:
    """What `tokforge.audit_tokenizers` measures and how (all optional).

    ``baseline``: the language parity is relative to. ``split``: the FLORES-200 split. ``langs``/``limit``:
    languages to keep and lines per language. ``coverage_langs``/``coverage_top``: word lists (wordfreq or
    FLORES codes) and how many top words. ``reachability``: encode every token's own text (None: on with a
    corpus, off without). ``diff=(A, B)``: list tokens only in A / only in B. ``reference``: ``"default"`` adds
    the built-in panel, a list adds those names, None/``"none"`` adds nothing. ``viewer_langs``: languages of
    the token viewer. ``shard=(i, n)``: encode only shard i of n; ``merge``: folders of shard runs to merge
    instead of reading a corpus (``merge_name`` names the result). ``text_column``/``lang_column``: columns
    of an ``hf:`` corpus. ``format``: the tokenizer file format when a file is ambiguous. ``num_proc``:
    worker processes for the corpus pass (each reads its own share of the corpus; default 1).
    ``cluster``: run the corpus pass as Dask tasks, ``"local"`` (a ``LocalCluster`` of ``num_proc``
    workers, default 2) or a scheduler address ``"tcp://HOST:PORT"`` (one task per worker, or ``num_proc``
    tasks). Options that would be ignored together (``num_proc`` or ``cluster`` with ``merge`` or a
    ``shard``) are an error. ``panel_cache``: ``"on"``, ``"off"`` or ``"refresh"`` the cache of the reference
    panel's measurements (None: ``$TOKFORGE_AUDIT_CACHE``, else on; `tokforge.audit.panel_cache`).
    """

    baseline: str = "eng_Latn"
    split: str = "devtest"
    langs: Sequence[str] | None = None
    limit: int | None = None
    coverage_langs: Sequence[str] | None = None
    coverage_top: int = DEFAULT_TOP
    reachability: bool | None = None
    diff: tuple[str, str] | None = None
    reference: str | Sequence[str] | None = None
    viewer_langs: Sequence[str] | None = None
    shard: tuple[int, int] = (0, 1)
    merge: Sequence[str] = ()
    merge_name: str | None = None
    text_column: str = "text"
    lang_column: str | None = None
    format: str | None = None
    num_proc: int | None = None
    cluster: str | None = None
    panel_cache: str | None = None

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        if not isinstance(self.baseline, str) or not self.baseline:
            raise InputError("baseline must be a language code", where=repr(self.baseline), fix='e.g. "eng_Latn"')
        if self.split not in SPLITS:
            raise UnknownNameError("FLORES split", self.split, SPLITS)
        for name in ("langs", "coverage_langs", "viewer_langs"):
            put(name, _strs(getattr(self, name), name))
        _positive(self.limit, "limit")
        _positive(self.coverage_top, "coverage_top")
        _positive(self.num_proc, "num_proc")
        if self.reachability not in (None, True, False):
            raise InputError("reachability must be True, False or None", where=repr(self.reachability))
        put("diff", self._checked_diff())
        put("reference", self._checked_reference())
        if self.panel_cache is not None and self.panel_cache not in PANEL_CACHE:
            raise UnknownNameError("panel_cache setting", self.panel_cache, PANEL_CACHE)
        put("shard", self._checked_shard())
        if isinstance(self.merge, str):
            raise InputError("merge must be a list of folders", where=self.merge, fix=f"merge=[{self.merge!r}]")
        put("merge", tuple(str(m) for m in self.merge or ()))
        if not isinstance(self.text_column, str) or not self.text_column:
            raise InputError("text_column must be a column name", where=repr(self.text_column))
        self._check_workers()

    def _check_workers(self) -> None:
        """``num_proc``/``cluster`` split the corpus pass themselves: with ``merge`` (no corpus read) or a
        ``shard`` (one part of a split made elsewhere) they would be ignored, so each pair is an error."""
        if self.cluster is not None and (
            not isinstance(self.cluster, str) or (self.cluster != "local" and not _ADDRESS.fullmatch(self.cluster))
        ):
            raise InputError(
                "cluster must be local or a Dask scheduler address",
                where=repr(self.cluster),
                fix="e.g. cluster=tcp://10.0.0.5:8786",
            )
        for name, on in (("num_proc", (self.num_proc or 1) > 1), ("cluster", self.cluster is not None)):
            value = getattr(self, name)
            if on and self.merge:
                raise InputError(f"{name}={value} does nothing with merge=DIR (merging reads no corpus)")
            if on and self.shard != (0, 1):
                raise InputError(
                    f"{name}={value} and shard={self.shard[0]}/{self.shard[1]} cannot be combined",
                    fix=f"shard=I/N is one part of a run split by hand; {name}={value} splits the whole corpus itself",
                )

    def _checked_diff(self):
        if self.diff is None:
            return None
        d = tuple(self.diff) if not isinstance(self.diff, str) else ()
        if len(d) != 2 or not all(isinstance(x, str) for x in d):
            raise InputError("diff must be two tokenizer names (A, B)", where=repr(self.diff)[:80])
        return d

    def _checked_reference(self):
        r = self.reference
        if r is None or r is False or r == "none":
            return None
        if isinstance(r, str):
            if r not in REFERENCE_CHOICES:
                raise UnknownNameError("reference panel", r, (*REFERENCE_CHOICES, "a list of tokenizer names"))
            return r
        return _strs(r, "reference")

    def _checked_shard(self):
        s = self.shard
        try:
            i, n = (int(x) for x in s)
            ok = 0 <= i < n
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise InputError("shard must be (i, n) with 0 <= i < n", where=repr(s))
        return (i, n)

    @property
    def workers(self) -> int:
        """Worker processes (or Dask tasks) of the corpus pass: ``num_proc``, else 2 for a local cluster, else 1."""
        if self.num_proc is not None:
            return self.num_proc
        return LOCAL_WORKERS if self.cluster == "local" else 1

    @property
    def parallel(self) -> bool:
        """Whether the corpus pass is split across workers (processes or a Dask cluster)."""
        return self.workers > 1 or self.cluster is not None
