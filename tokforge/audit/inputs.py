"""What an audit reads: the tokenizers (with the reference panel), the corpus or the merged statistics of
shard runs, and the one pass over the corpus that encodes it with every tokenizer."""

from __future__ import annotations

import copy
from typing import Sequence

from ..errors import InputError, LoadError, TokforgeError
from ..progress import bar
from ..tokenizer import Tokenizer
from .accum import CorpusStats
from .config import AuditConfig
from .languages import to_flores
from .sources import Corpus, load_corpus


def _load_one(spec: str, format: str | None = None) -> Tokenizer:
    from ..loaders import load_tokenizer

    tok = load_tokenizer(spec, format=format)
    tok.audit_spec = spec  # what the user typed, so diff= can name it either way
    tok.name = _display_name(tok.name, spec)
    return tok


def load_tokenizers(tokenizers: Sequence, warnings: list[str], format: str | None = None):
    """(loaded tokenizers, failures); total failure is an error.

    A `Tokenizer` the caller passed is audited as a shallow copy: the audit renames its own
    objects (display names, ``#2`` for a repeated name) and never touches the caller's."""
    out, errors, failed = [], [], []
    for t in tokenizers:
        if isinstance(t, Tokenizer):
            out.append(copy.copy(t))
            continue
        try:
            out.append(_load_one(str(t), format))
            continue
        except TokforgeError as e:
            msg = str(e)
        except Exception as e:  # a broken third-party file: report, keep the others
            msg = f"{e.__class__.__name__}: {' '.join(str(e).split())[:200]}"
        errors.append(f"tokenizer {t!r} failed to load: {msg}")
        failed.append({"tokenizer": str(t), "error": msg})
    if not out:
        raise LoadError(
            "no tokenizer could be loaded",
            where="; ".join(errors) or "none given",
            fix="pass a tokenizer.json, .model, .tiktoken, a folder, or a built-in name",
        )
    warnings.extend(errors)
    names = [t.name for t in out]
    for i, t in enumerate(out):  # same name twice: keep both, make the names unique
        if names.count(t.name) > 1:
            t.name = f"{t.name}#{i + 1}"
    return out, failed


GENERIC_STEMS = {"tokenizer", "tokenizer_config", "model", "tokenizer.model", "vocab", "tekken"}


def _display_name(name: str, spec: str) -> str:
    """``.../smollm2/tokenizer.json`` is called ``smollm2``, not ``tokenizer``."""
    from pathlib import Path

    p = Path(spec)
    if name in GENERIC_STEMS and p.exists() and p.is_file() and p.parent.name:
        return p.parent.name
    return name


def as_corpus(corpus, split: str, langs, limit) -> Corpus:
    if isinstance(corpus, Corpus):
        return corpus
    if isinstance(corpus, dict):
        return Corpus("custom", {k: list(v) for k, v in corpus.items()})
    if corpus is None or isinstance(corpus, str):
        return load_corpus(corpus, split, langs, limit)
    specs = list(corpus)
    if len(specs) == 1:
        return load_corpus(specs[0], split, langs, limit)
    parts = [load_corpus(s, split, langs, limit) for s in specs]
    texts, warnings = {}, []
    for p in parts:
        warnings += p.warnings
        for k, v in p.texts.items():
            if k in texts:
                warnings.append(f"language {k!r} appears in several corpora; the first one is used")
                continue
            texts[k] = v
    return Corpus(" + ".join(p.name for p in parts), texts, None, warnings)


REFERENCE = ("gpt2", "whisper-multilingual", "mistral-v3", "tekken", "smollm2-135m", "gemma3-270m")


def reference_panel(reference, toks: list[Tokenizer], warnings: list[str], load=None) -> list[Tokenizer]:
    """The reference panel's tokenizers not already audited (``None``/``"none"``: no panel); ``load(name)``
    makes each one (default: load it; `panel_cache.panel_members` passes one that may serve it from its cache)."""
    if reference in (None, "none", False):
        return []
    names = list(REFERENCE) if reference == "default" else list(reference)
    have = {getattr(t, "audit_spec", t.name) for t in toks} | {t.name for t in toks}
    out = []
    for name in names:
        if name in have:
            continue
        try:
            t = (load or _load_one)(name)
        except TokforgeError as e:
            warnings.append(f"reference tokenizer {name!r} could not be loaded and is left out: {e}")
            continue
        t.reference = True
        out.append(t)
    return out


def corpus_pass(
    toks: list[Tokenizer], corp, progress: bool = True, shard: tuple[int, int] = (0, 1), whole: bool = True
) -> CorpusStats:
    """Encode the corpus (or its share ``shard=(i, n)``, read alone) once, batch by batch, with every
    tokenizer (bounded memory). ``whole=False``: ``corp`` is one worker's share of a split run, whose
    missing languages are said once the shares are merged."""
    part = corp.shard(*shard) if shard != (0, 1) else corp
    stats = CorpusStats(toks, corp.parallel)
    total = part.n_rows()
    with bar(
        total, f"encoding ({len(toks)} tokenizer{'s' if len(toks) != 1 else ''})", enabled=progress, unit="lines"
    ) as b:
        done_langs = set()

        def tick(lang, lines):
            done_langs.update([lang] if isinstance(lang, str) else lang)
            b.update(len(lines))
            b.set_postfix(language=lang if isinstance(lang, str) else "mixed", languages=len(done_langs))

        stats.add_stream(part.iter_batches(), tick)
    if hasattr(part, "finish"):
        part.finish(whole)
    return stats


def open_corpus(corpus, cfg: AuditConfig, toks: list[Tokenizer]):
    """The corpus to read (or the merged shard statistics); None for a vocabulary-only audit."""
    if cfg.merge:
        return merged_corpus(cfg.merge, toks, cfg.merge_name)
    if corpus is False:
        return None
    langs = list(cfg.langs) if cfg.langs else None
    if isinstance(corpus, str) and corpus.startswith("hf:"):
        from .hf_source import HFCorpus

        return HFCorpus(
            corpus[3:], text_column=cfg.text_column, lang_column=cfg.lang_column, langs=langs, limit=cfg.limit
        )
    return as_corpus(corpus, cfg.split, langs, cfg.limit)


def wordfreq_codes(codes, warnings: list[str]):
    """Coverage languages given as FLORES or wordfreq codes -> wordfreq codes (unknown: a warning)."""
    if not codes:
        return codes
    from .coverage import available_languages

    known = available_languages()
    back = {to_flores(w): w for w in known}
    out = []
    for c in codes:
        w = c if c in known else back.get(c)
        if w is None:
            warnings.append(
                f"no wordfreq word list for coverage language {c!r}; left out (known: {', '.join(sorted(back))})"
            )
        else:
            out.append(w)
    return out


def merged_corpus(folders: Sequence, toks: list[Tokenizer], name: str | None = None):
    """A stand-in corpus whose statistics are the merge of shard folders' ``corpus_stats.json.gz``."""
    from pathlib import Path
    from types import SimpleNamespace

    parts = []
    for f in folders:
        p = Path(f) / "corpus_stats.json.gz"
        if not p.is_file():
            raise InputError(
                "not a shard folder (no corpus_stats.json.gz)",
                where=str(f),
                fix="pass merge=[folders of earlier shard=(i, n) runs]",
            )
        parts.append(CorpusStats.load(p, toks))
    whole = parts[0]
    for p in parts[1:]:
        whole.merge(p)
    return SimpleNamespace(
        name=name or f"{len(parts)} merged shards", parallel=whole.parallel, warnings=[], stats=whole, texts=None
    )
