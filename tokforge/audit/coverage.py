"""Language coverage of a vocabulary, measured with the ``wordfreq`` package's word lists.

For each language, take its ``top`` most frequent words (``wordfreq.top_n_list``; lower-case).

* ``vocab_share``: share of the vocabulary's text tokens that are one of those words, after
  stripping one leading space and lower-casing; tokens shorter than 2 characters are ignored
  (``a``/``i`` are words in too many languages). A token can count for several languages, so the
  shares do not add up to 100 %.
* ``word_coverage``: share of those words that are a single token (with or without a leading
  space): how many of the language's common words the tokenizer never has to split.

>>> vocab_words([b" the", b"The", b"x", b"\\xe2"])
{'the'}
>>> coverage_row({"the", "cat"}, {"the", "of", "dog"}, 10)
{'vocab_share': 0.1, 'word_coverage': 0.333333}
"""

from __future__ import annotations

from functools import lru_cache

from ..vocab import Vocab

DEFAULT_TOP = 5000


def available_languages() -> list[str]:
    """wordfreq's languages (kept in the on-disk word-list cache: importing wordfreq takes ~0.5 s)."""
    import json

    f = _cache_file(DEFAULT_TOP).with_name("wordfreq-languages.json")
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    import wordfreq

    from ..io import atomic_write_text

    langs = sorted(wordfreq.available_languages(wordlist="best"))
    try:
        atomic_write_text(f, json.dumps(langs))
    except OSError:
        pass
    return langs


_DISK: dict[int, dict[str, list[str]]] = {}


def _cache_file(top: int):
    from importlib.metadata import version

    from ..artifacts import cache_dir

    return cache_dir() / "audit" / f"wordfreq-{version('wordfreq')}-top{top}.json"


@lru_cache(maxsize=None)
def _words(lang: str, top: int) -> frozenset[str]:
    """The language's ``top`` most frequent words (2+ characters). wordfreq's lists take ~0.1 s
    each to read, so the lists are kept in one JSON file in the tokforge cache folder."""
    import json

    if top not in _DISK:
        f = _cache_file(top)
        try:
            _DISK[top] = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _DISK[top] = {}
    words = _DISK[top].get(lang)
    if words is None:
        import wordfreq

        from ..io import atomic_write_text

        words = [w for w in wordfreq.top_n_list(lang, top) if len(w) >= 2]
        _DISK[top][lang] = words
        try:
            atomic_write_text(_cache_file(top), json.dumps(_DISK[top], ensure_ascii=False))
        except OSError:
            pass  # a read-only cache folder only costs time
    return frozenset(words)


def vocab_words(tokens) -> set[str]:
    """Normalised forms (one leading space stripped, lower-case) of tokens of 2+ characters."""
    out = set()
    for b in tokens:
        try:
            s = b.decode("utf-8")
        except UnicodeDecodeError:
            continue
        s = s[1:] if s.startswith(" ") else s
        if len(s) >= 2:
            out.add(s.lower())
    return out


def coverage_row(vwords: set[str], lang_words: frozenset[str] | set[str], n_text: int) -> dict:
    hit = vwords & lang_words
    return {
        "vocab_share": round(len(hit) / n_text, 6) if n_text else 0.0,
        "word_coverage": round(len(hit) / len(lang_words), 6) if lang_words else 0.0,
    }


def coverage(vocab: Vocab, langs: list[str] | None = None, top: int = DEFAULT_TOP) -> dict[str, dict]:
    """``{lang: {"vocab_share", "word_coverage"}}`` for wordfreq languages (all by default).

    ``word_coverage`` checks the exact token bytes ``word`` / `` word``; ``vocab_share`` uses the
    case-folded forms."""
    ids = vocab.text_ids().tolist()
    toks = [vocab.tokens[i] for i in ids]
    vwords = vocab_words(toks)
    exact = set()  # token texts that are a word as is or after one leading space
    for b in toks:
        try:
            s = b.decode("utf-8")
        except UnicodeDecodeError:
            continue
        exact.add(s[1:] if s.startswith(" ") else s)
    out = {}
    for lang in langs or available_languages():
        words = _words(lang, top)
        row = coverage_row(vwords, words, len(ids))
        row["word_coverage"] = round(len(words & exact) / len(words), 6) if words else 0.0
        out[lang] = row
    return out
