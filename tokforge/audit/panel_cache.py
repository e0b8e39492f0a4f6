"""The reference panel without its cost: its tokenizers are fixed, so what the audit measures of them is
computed once and kept in the tokforge cache (``$TOKFORGE_CACHE/audit/panel``, default
``~/.cache/tokforge/audit/panel``).

A built-in panel member is a :class:`PanelTok`: its name, and its measurements read from the cache. The
audit asks for each through :func:`measured` (the vocabulary entry, its rows on the corpus, its token
viewer splits) and :func:`panel_text_set` (its text tokens, for the overlap tables); whatever is not
cached is computed from the real tokenizer, which is loaded then (and at most once), and stored. Anything
else asked of a `PanelTok` (``.vocab``, ``.encode``, ...; ``diff=`` does) is the real tokenizer's, loaded on
first use. So an audit whose panel is fully cached never loads a panel tokenizer. What a key holds is in
`tokforge.audit.panel_keys`; a cached value is stored only if it reads back exactly, so a cached audit
gives what an uncached one gives. The corpus rows of a streamed ``hf:`` corpus are not cached (a report
warning says so), nor those of shard, merge or worker runs (the panel's sums travel with the shards').

The setting, ``AuditConfig(panel_cache=...)`` or ``tokforge audit --panel-cache``, else
``$TOKFORGE_AUDIT_CACHE``: ``on`` (the default; also ``1``) reads and writes, ``off`` (also ``0``) neither
(the panel is loaded and measured as without a cache), ``refresh`` measures again and overwrites. Any
other value is an error.

>>> cache_mode("0"), cache_mode("refresh")
('off', 'refresh')
"""

from __future__ import annotations

import json
import os

from ..errors import InputError
from .overlap import overlap_tables, text_set
from .panel_keys import artifact_path, cache_root, corpus_key, dump_exact, identity, vocab_key

ENV = "TOKFORGE_AUDIT_CACHE"
MODES = {"on": "on", "1": "on", "off": "off", "0": "off", "refresh": "refresh"}
_MISS = object()


def cache_mode(value: str | None = None) -> str:
    """``on``, ``off`` or ``refresh``: ``value`` (the config's), else ``$TOKFORGE_AUDIT_CACHE``, else ``on``."""
    raw = value if value is not None else (os.environ.get(ENV) or "on")
    mode = MODES.get(raw.strip().lower()) if isinstance(raw, str) else None
    if mode is None:
        raise InputError(
            f"unknown reference panel cache setting {raw!r}",
            where="panel_cache" if value is not None else ENV,
            fix="use on, off (or 0) or refresh",
        )
    return mode


def _note(warnings: list[str], msg: str) -> None:
    if msg not in warnings:
        warnings.append(msg)


class PanelTok:
    """A built-in reference panel member whose measurements may come from the cache (see the module doc)."""

    reference = True

    def __init__(self, name: str, folder, read: bool, warnings: list[str]):
        self.name = self.audit_spec = name
        self.folder, self.read, self.warnings = folder, read, warnings
        self._tok = None
        self._memo: dict = {}

    def __getattr__(self, attr: str):  # anything not cached is the real tokenizer's
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self.real(), attr)

    def __repr__(self) -> str:
        return f"PanelTok({self.name!r}, loaded={self._tok is not None})"

    def real(self):
        """The tokenizer itself, loaded on first call."""
        if self._tok is None:
            from .inputs import _load_one

            tok = _load_one(self.name)
            tok.reference = True
            self._check(tok)
            self._tok = tok
        return self._tok

    def _check(self, tok) -> None:
        """Record the vocabulary's fingerprint beside the entries; one that differs from the recorded one (the
        same files loading differently) drops the cached entries."""
        fp = tok.vocab.fingerprint()
        meta = self.folder / "meta.json"
        try:
            old = json.loads(meta.read_text(encoding="utf-8")).get("fingerprint")
        except (OSError, ValueError, AttributeError):
            old = None
        if old == fp:
            return
        if old is not None:
            self.read, self._memo = False, {}
            for f in self.folder.glob("*"):
                f.unlink(missing_ok=True)
            _note(self.warnings, f"reference panel cache of {self.name!r} did not match its tokenizer; cleared")
        self._write(meta, json.dumps({"name": self.name, "source": tok.source, "fingerprint": fp}).encode())

    def has(self, key: str) -> bool:
        return self._peek(key) is not _MISS

    def _peek(self, key: str):
        if key in self._memo:
            return self._memo[key]
        value = _MISS
        if self.read:
            try:
                value = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                value = _MISS
        if value is not _MISS:
            self._memo[key] = value
        return value

    def get(self, key: str, compute):
        """The cached value of ``key``, else ``compute(real tokenizer)``, stored."""
        return self.cached(key, lambda: compute(self.real()))

    def cached(self, key: str, make):
        """The cached value of ``key``, else ``make()``, stored (when it reads back exactly as JSON)."""
        value = self._peek(key)
        self._memo.pop(key, None)
        if value is _MISS:
            value = make()
            text = dump_exact(value)
            if text is None:
                _note(self.warnings, f"reference panel cache: a measurement of {self.name!r} is not JSON; not cached")
            else:
                self._write(self.folder / f"{key}.json", text.encode())
        return value

    def text_set(self) -> set[bytes]:
        """The text tokens (`overlap.text_set`), from ``textset.bin``: a JSON line (the count, and in hex the
        tokens holding a newline), then every other token, newline-separated (read back by one split)."""
        path = self.folder / "textset.bin"
        if self.read:
            try:
                data = path.read_bytes()
                cut = data.index(b"\n")
                head = json.loads(data[:cut])
                s = set(data[cut + 1 :].split(b"\n")) if head["plain"] else set()
                s.update(bytes.fromhex(h) for h in head["other"])
                if len(s) == head["count"]:
                    return s
            except (OSError, ValueError, KeyError, TypeError):
                pass
        s = text_set(self.real().vocab)
        plain = [t for t in s if b"\n" not in t]
        head = {"count": len(s), "plain": len(plain), "other": sorted(t.hex() for t in s if b"\n" in t)}
        self._write(path, json.dumps(head).encode() + b"\n" + b"\n".join(plain))
        return s

    def _write(self, path, data: bytes) -> None:
        from ..io import atomic_write_bytes

        try:
            atomic_write_bytes(path, data)
        except OSError as e:
            _note(self.warnings, f"reference panel cache not written ({e.__class__.__name__}: {e.strerror or e})")


def panel_members(cfg, toks: list, warnings: list[str], reachability: bool) -> list:
    """The reference panel (`inputs.reference_panel`), each built-in member a `PanelTok`; one whose vocabulary
    entry is not cached is loaded now (where a failure leaves it out with a warning, as without a cache)."""
    from .inputs import _load_one, reference_panel

    mode = cache_mode(cfg.panel_cache)
    if mode == "off" or cfg.reference is None:
        return reference_panel(cfg.reference, toks, warnings)
    vkey = vocab_key(reachability, cfg.coverage_langs, cfg.coverage_top)
    root = cache_root()

    def load(name: str):
        path = artifact_path(name)
        try:
            ident = identity(name, path, root) if path is not None else None
        except OSError:
            ident = None
        if ident is None:
            return _load_one(name)
        member = PanelTok(name, root / f"{name}-{ident[:24]}", mode == "on", warnings)
        if not member.has(vkey):
            member.real()
        return member

    return reference_panel(cfg.reference, toks, warnings, load=load)


def measured(tok, key: str | None, compute):
    """``compute(tok)``; for a `PanelTok`, its cached value of ``key`` when there is one (None: not cacheable)."""
    if not isinstance(tok, PanelTok):
        return compute(tok)
    if key is None:
        return compute(tok.real())
    return tok.get(key, compute)


def panel_text_set(tok) -> set[bytes]:
    return tok.text_set() if isinstance(tok, PanelTok) else text_set(tok.vocab)


def panel_overlap(good: list) -> dict:
    """`overlap.overlap_tables` of the audited tokenizers; the token count two panel members share is cached."""
    sets = {t.name: panel_text_set(t) for t in good}
    panel = sorted((t for t in good if isinstance(t, PanelTok)), key=lambda t: t.folder.name)
    known = {}
    for i, a in enumerate(panel):
        for b in panel[i + 1 :]:
            n = a.cached(f"common-{b.folder.name}", lambda a=a, b=b: len(sets[a.name] & sets[b.name]))
            known[a.name, b.name] = known[b.name, a.name] = n
    return overlap_tables(sets, known)


def rows_key(corp, cfg, good: list, warnings: list[str]) -> str | None:
    """The cache key of the panel's rows on ``corp`` (None: not cached; a streamed corpus adds a warning)."""
    if corp is None or not any(isinstance(t, PanelTok) for t in good):
        return None
    if getattr(corp, "stats", None) is not None or cfg.shard != (0, 1):
        return None  # merged shards or a worker pass: the panel's sums come with the shards'
    key = corpus_key(corp, cfg.baseline)
    if key is None:
        warnings.append(
            "reference panel: its corpus metrics are not cached for a streamed (hf:) corpus, which cannot be "
            "identified cheaply; the panel tokenizers encode it on every run"
        )
    return key


def to_encode(good: list, key: str | None) -> list:
    """The tokenizers the corpus pass encodes with: all but the panel members whose rows are cached under ``key``."""
    out = []
    for t in good:
        if isinstance(t, PanelTok):
            if key is not None and t.has(key):
                continue
            t = t.real()
        out.append(t)
    return out
