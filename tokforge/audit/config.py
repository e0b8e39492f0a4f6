"""`AuditConfig`: every choice of an audit but the tokenizers and the corpus, frozen and checked on construction.

>>> AuditConfig(langs=["eng_Latn", "fra_Latn"], limit=100).langs
('eng_Latn', 'fra_Latn')
>>> AuditConfig(shard=(2, 2))
Traceback (most recent call last):
...
tokforge.errors.InputError: shard must be (i, n) with 0 <= i < n: (2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..corpus import SPLITS
from ..errors import InputError, UnknownNameError
from .coverage import DEFAULT_TOP

REFERENCE_CHOICES = ("default", "none")


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
    worker processes for the corpus pass.
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
    num_proc: int = 1

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
        put("shard", self._checked_shard())
        if isinstance(self.merge, str):
            raise InputError("merge must be a list of folders", where=self.merge, fix=f"merge=[{self.merge!r}]")
        put("merge", tuple(str(m) for m in self.merge or ()))
        if not isinstance(self.text_column, str) or not self.text_column:
            raise InputError("text_column must be a column name", where=repr(self.text_column))

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
    def parallel(self) -> bool:
        """Whether the corpus pass runs in ``num_proc`` worker processes (not when merging shards)."""
        return self.num_proc > 1 and not self.merge
