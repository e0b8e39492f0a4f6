"""Text for corpus metrics: FLORES-200, files/folders, and a built-in parallel default.

A :class:`Corpus` holds lines per language plus, for parallel corpora, an alignment key per
line, so parity compares each language with the baseline on the same content only.

Default corpus (no ``--corpus``): the translations that ship inside the ``pycountry`` package
(ISO 3166 country names, ISO 4217 currency names, ISO 15924 script names, translated by the
Debian iso-codes project into ~150 languages). Every translated string is aligned with its English
source string, so the corpus is parallel: short real phrases, not running prose. Languages get
FLORES-style codes (``rus_Cyrl``) through ``langcodes``.
"""

from __future__ import annotations

import gettext
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..io import read_text
from . import hf_source
from .languages import flores_code

DOMAINS = ("iso3166-1", "iso4217", "iso15924")
MIN_LINES = 150  # locales with fewer translated strings are left out of the default corpus


@dataclass
class Corpus:
    """Lines per language; ``keys[lang][i]`` aligns line i across languages (parallel corpora)."""

    name: str
    texts: dict[str, list[str]]
    keys: dict[str, list[str]] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def parallel(self) -> bool:
        return self.keys is not None

    def languages(self) -> list[str]:
        return list(self.texts)

    @property
    def n_bytes(self) -> int:
        return sum(len(s.encode()) for v in self.texts.values() for s in v)

    def n_rows(self) -> int:
        """Lines in the corpus (all languages)."""
        return sum(len(v) for v in self.texts.values())

    def shard(self, i: int, n: int) -> "Corpus":
        """Share i of n: a contiguous run of the lines (languages in order), balanced by lines, so shards
        merged in index order see the lines in the corpus's order (its warnings stay with this corpus)."""
        from .hf_read import share_range

        lo, hi = share_range(self.n_rows(), i, n)
        texts, keys, off = {}, ({} if self.keys is not None else None), 0
        for lang, lines in self.texts.items():
            s, e = max(lo, off) - off, min(hi, off + len(lines)) - off
            if s < e:
                texts[lang] = lines[s:e]
                if keys is not None:
                    keys[lang] = self.keys[lang][s:e]
            off += len(lines)
        return Corpus(self.name, texts, keys, self.warnings)

    def iter_batches(self, batch: int | None = None):
        """``(langs, lines, keys)`` batches of ``batch`` lines (languages packed together, ``langs``
        one per line; a single language as a string)."""
        size = batch or hf_source.BATCH_LINES
        buf_l, buf_t, buf_k = [], [], []
        for lang, lines in self.texts.items():
            keys = self.keys[lang] if self.keys else [None] * len(lines)
            for s in range(0, len(lines), size):
                take = lines[s : s + size]
                buf_l += [lang] * len(take)
                buf_t += take
                buf_k += keys[s : s + size]
                while len(buf_t) >= size:
                    yield _pack(buf_l[:size], buf_t[:size], buf_k[:size], self.keys is not None)
                    buf_l, buf_t, buf_k = buf_l[size:], buf_t[size:], buf_k[size:]
        if buf_t:
            yield _pack(buf_l, buf_t, buf_k, self.keys is not None)


def _pack(langs: list[str], lines: list[str], keys: list, parallel: bool):
    one = langs[0] if langs[0] == langs[-1] and len(set(langs)) == 1 else langs
    return one, lines, (keys if parallel else None)


def load_corpus(
    spec: str | None, split: str = "devtest", langs: list[str] | None = None, limit: int | None = None
) -> Corpus:
    """``None`` -> the built-in default; ``flores200:DIR``; a text file; a folder of ``LANG.txt``."""
    from .. import corpus as tc

    if spec is None:
        return default_corpus(langs, limit)
    if spec.startswith("hf:"):
        from .hf_source import HFCorpus

        return HFCorpus(spec[3:], langs=langs, limit=limit)
    kind, where = tc.parse_spec(spec)
    if kind == "flores200":
        available = tc.flores_languages(where, split)
        if not available:
            raise InputError(
                "FLORES-200 folder has no files",
                where=f"{where}/{split}",
                fix="expected files such as eng_Latn.devtest",
            )
        missing = [x for x in (langs or []) if x not in available]
        use = [x for x in (langs or available) if x in available]
        texts = tc.read_flores(where, split, use, limit)
        c = Corpus(f"FLORES-200 {split}", texts, {k: [str(i) for i in range(len(v))] for k, v in texts.items()})
        c.warnings += [f"FLORES-200 has no {split} file for language {m!r}; skipped" for m in missing]
        return drop_empty(c)
    p = Path(where)
    if p.is_dir() and any(p.glob("*.txt")):
        return _read_folder(p, langs, limit)
    if p.is_file() and langs and p.stem not in langs:
        raise InputError(
            f"the corpus file holds language {p.stem!r} (its name), not the requested {', '.join(langs)}",
            where=str(p),
            fix="drop langs= or name the file LANG.txt",
        )
    texts = tc.read_corpus(spec, split, None, limit)
    return drop_empty(Corpus(p.name, texts))


def _read_folder(p: Path, langs: list[str] | None, limit: int | None) -> Corpus:
    """A folder of ``LANG.txt``: an unreadable or non-UTF-8 file is a warning, not a failure."""
    c = Corpus(p.name, {})
    files = sorted(p.glob("*.txt"))
    have = {f.stem for f in files}
    missing = [x for x in (langs or []) if x not in have]
    if langs and len(missing) == len(langs):
        raise InputError(
            "none of the requested languages has a file in the corpus folder",
            where=str(p),
            fix="files present: " + ", ".join(sorted(have)[:20]),
        )
    c.warnings += [f"corpus folder has no file {m}.txt for requested language {m!r}; skipped" for m in missing]
    for f in files:
        if langs and f.stem not in langs:
            continue
        try:
            lines = [ln for ln in read_text(f).split("\n") if ln.strip()]
        except InputError as e:
            c.warnings.append(f"{e}; language {f.stem!r} skipped")
            continue
        c.texts[f.stem] = lines[:limit] if limit else lines
    if not c.texts and c.warnings:
        raise InputError("no readable text in the corpus folder", where=str(p), fix=c.warnings[0])
    return drop_empty(c)


def drop_empty(c: Corpus) -> Corpus:
    for lang in [k for k, v in c.texts.items() if not any(s.strip() for s in v)]:
        c.warnings.append(f"language {lang!r} has no text; skipped")
        del c.texts[lang]
        if c.keys:
            del c.keys[lang]
    if not c.texts:
        raise InputError("corpus has no text", where=c.name, fix="pass a non-empty file, folder or flores200:DIR")
    return c


def _locale_dir() -> Path:
    try:
        import pycountry
    except ImportError:
        raise InputError(
            "the built-in corpus needs the pycountry package",
            fix="pip install pycountry, or pass corpus=flores200:DIR or a text folder",
        ) from None
    return Path(os.path.dirname(pycountry.__file__)) / "locales"


def _catalog(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with open(path, "rb") as f:
        cat = gettext.GNUTranslations(f)._catalog  # the .mo file's msgid -> msgstr table
    return {k: v for k, v in cat.items() if isinstance(k, str) and k and isinstance(v, str) and v.strip()}


def default_corpus(langs: list[str] | None = None, limit: int | None = None) -> Corpus:
    """Parallel country/currency/script names in ~150 languages, from ``pycountry``'s catalogs."""
    root = _locale_dir()
    english: dict[str, str] = {}
    by_code: dict[str, dict[str, str]] = {}
    for loc in sorted(os.listdir(root)):
        merged: dict[str, str] = {}
        for dom in DOMAINS:
            cat = _catalog(root / loc / "LC_MESSAGES" / f"{dom}.mo")
            for k, v in cat.items():
                english.setdefault(k, k)
                if v != k:
                    merged[k] = v
        code = flores_code(loc)
        if code and len(merged) >= MIN_LINES and len(merged) > len(by_code.get(code, {})):
            by_code[code] = merged
    by_code["eng_Latn"] = english
    codes = sorted(by_code)
    warnings = []
    if langs:
        warnings = [f"built-in corpus has no language {x!r}; skipped" for x in langs if x not in by_code]
        codes = [x for x in langs if x in by_code]
        if not codes:
            raise InputError(
                "none of the requested languages is in the built-in corpus",
                where=", ".join(langs),
                fix="known: " + ", ".join(sorted(by_code)),
            )
    texts, keys = {}, {}
    for code in codes:
        items = sorted(by_code[code].items())[:limit] if limit else sorted(by_code[code].items())
        keys[code] = [k for k, _ in items]
        texts[code] = [v for _, v in items]
    return Corpus("pycountry iso-codes translations", texts, keys, warnings)
