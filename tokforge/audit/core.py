"""``audit(tokenizers, corpus)``: vocabulary, coverage, overlap and corpus metrics in one report.

Partial problems (a tokenizer that fails to load, a language without text, a baseline missing
from the corpus) become warnings in the report; only total failure raises a one-line error.
"""

from __future__ import annotations

import copy
import time
from typing import Sequence

from ..errors import InputError, LoadError, TokforgeError
from ..progress import bar
from ..tokenizer import Tokenizer
from . import probes
from .accum import CorpusStats
from .census import census
from .coverage import DEFAULT_TOP, coverage
from .languages import info, to_flores
from .overlap import diff as vocab_diff
from .overlap import overlap_tables, text_set
from .qtok import qtok_categories
from .report import AuditReport
from .sources import Corpus, load_corpus


def _load_one(spec: str, format: str | None = None) -> Tokenizer:
    from ..loaders import load_tokenizer

    tok = load_tokenizer(spec, format=format)
    tok.audit_spec = spec  # what the user typed, so --diff can name it either way
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


def reference_panel(reference, toks: list[Tokenizer], warnings: list[str]) -> list[Tokenizer]:
    """The reference panel's tokenizers not already audited (``None``/``"none"``: no panel)."""
    if reference in (None, "none", False):
        return []
    names = list(REFERENCE) if reference == "default" else list(reference)
    have = {getattr(t, "audit_spec", t.name) for t in toks} | {t.name for t in toks}
    out = []
    for name in names:
        if name in have:
            continue
        try:
            t = _load_one(name)
        except TokforgeError as e:
            warnings.append(f"reference tokenizer {name!r} could not be loaded and is left out: {e}")
            continue
        t.reference = True
        out.append(t)
    return out


def corpus_pass(toks: list[Tokenizer], corp, progress: bool = True, shard: tuple[int, int] = (0, 1)) -> CorpusStats:
    """Encode the corpus once, batch by batch, with every tokenizer (bounded memory)."""
    stats = CorpusStats(toks, corp.parallel)
    total = corp.n_rows() if hasattr(corp, "n_rows") else sum(len(v) for v in corp.texts.values())
    if total is not None and shard[1] > 1:
        total = -(-total // shard[1])
    unit = "lines"
    with bar(
        total, f"encoding ({len(toks)} tokenizer{'s' if len(toks) != 1 else ''})", enabled=progress, unit=unit
    ) as b:
        done_langs = set()

        def tick(lang, lines):
            done_langs.update([lang] if isinstance(lang, str) else lang)
            b.update(len(lines))
            b.set_postfix(language=lang if isinstance(lang, str) else "mixed", languages=len(done_langs))

        stats.add_stream(corp.iter_batches(shard=shard), tick)
    if hasattr(corp, "finish"):
        corp.finish()
    return stats


def _vocab_entry(tok: Tokenizer, reachability: bool, coverage_langs, coverage_top: int) -> dict:
    entry = {"name": tok.name, "source": tok.source, "reference": bool(getattr(tok, "reference", False))}
    entry["qtok"] = qtok_categories(tok.vocab)
    entry["qtok"].pop("token_category")
    entry["census"] = census(tok, check_reachable=reachability)
    cov = coverage(tok.vocab, coverage_langs, coverage_top)
    entry["coverage"] = {to_flores(k): v for k, v in cov.items()}  # one code system: FLORES codes
    entry["probes"] = probes.probes(tok)
    return entry


def audit(
    tokenizers: Sequence,
    corpus=None,
    *,
    baseline: str = "eng_Latn",
    split: str = "devtest",
    langs: list[str] | None = None,
    limit: int | None = None,
    coverage_langs: list[str] | None = None,
    coverage_top: int = DEFAULT_TOP,
    reachability: bool | None = None,
    diff: tuple[str, str] | None = None,
    progress: bool = True,
    reference=None,
    viewer_langs: list[str] | None = None,
    shard: tuple[int, int] = (0, 1),
    merge: Sequence = (),
    text_column: str = "text",
    lang_column: str | None = None,
    format: str | None = None,
    merge_name: str | None = None,
) -> AuditReport:
    """Audit one or more tokenizers (names/paths or loaded ``Tokenizer`` objects).

    ``corpus``: None (the built-in parallel corpus from pycountry), a spec string
    (``flores200:DIR``, ``hf:PATH``, a file, a folder of ``LANG.txt``), a list of specs, a ``Corpus``
    or a dict ``{lang: [lines]}``. ``corpus=False`` skips corpus metrics. ``reference="default"``
    adds the built-in panel (:data:`REFERENCE`) as context rows. ``reachability`` (encode every
    token's own text) defaults to on with a corpus and off for a vocabulary-only audit, where it
    would be most of the time. ``shard=(i, n)`` encodes only
    shard i of n (see :mod:`tokforge.audit.hf_source`); ``merge``: folders of earlier shard runs
    whose corpus statistics are merged instead of reading a corpus.
    """
    if isinstance(tokenizers, (str, Tokenizer)):
        tokenizers = [tokenizers]
    warnings: list[str] = []
    t0 = time.perf_counter()
    toks, failed = load_tokenizers(tokenizers, warnings, format)
    toks += reference_panel(reference, toks, warnings)
    coverage_langs = _wordfreq_codes(coverage_langs, warnings)
    if reachability is None:
        reachability = corpus is not False or bool(merge)
    corp = None
    if merge:
        corp = _merged_corpus(merge, toks, merge_name)
    elif corpus is not False:
        if isinstance(corpus, str) and corpus.startswith("hf:"):
            from .hf_source import HFCorpus

            corp = HFCorpus(corpus[3:], text_column=text_column, lang_column=lang_column, langs=langs, limit=limit)
        else:
            corp = as_corpus(corpus, split, langs, limit)
    entries = []
    with bar(len(toks), "vocabulary", enabled=progress, unit="tokenizers") as b:
        for tok in toks:
            b.set_postfix(tokenizer=tok.name)
            try:
                entries.append(_vocab_entry(tok, reachability, coverage_langs, coverage_top))
            except TokforgeError:
                raise
            except Exception as e:  # one broken backend must not sink the others
                warnings.append(
                    f"tokenizer {tok.name!r} failed during the audit: {e.__class__.__name__}: "
                    f"{' '.join(str(e).split())[:200]}"
                )
                failed.append({"tokenizer": tok.name, "error": str(e)[:200]})
            b.update(1)
    if not entries:
        raise InputError("every tokenizer failed during the audit", where="; ".join(warnings))
    good = [t for t in toks if t.name in {e["name"] for e in entries}]
    rows, cstats = [], None
    if corp is not None:
        cstats = corp.stats if merge else corpus_pass(good, corp, progress, shard)
        warnings += corp.warnings
        order = cstats.order
        if corp.parallel and baseline not in order:
            warnings.append(
                f"baseline {baseline!r} is not in the corpus; parity not computed "
                f"(choose --baseline from: {', '.join(order[:8])}...)"
            )
        elif not corp.parallel:
            warnings.append("corpus is not parallel (no aligned lines); parity not computed")
        for e in entries:
            lang_rows, e["corpus"] = cstats.rows(e["name"], baseline)
            rows += lang_rows
    vtexts = probes.viewer_texts(getattr(corp, "texts", None), viewer_langs)
    for x in viewer_langs or []:
        if x not in vtexts:
            warnings.append(f"token viewer: no sample for language {x!r} (not in the corpus, no built-in sample)")
    viewer = {"texts": vtexts, "splits": {t.name: {k: probes.split(t, s) for k, s in vtexts.items()} for t in good}}
    sets = {t.name: text_set(t.vocab) for t in good}
    d = None
    if diff:
        by = {getattr(t, "audit_spec", t.name): t for t in good}
        by.update({t.name: t for t in good})
        miss = [x for x in diff if x not in by]
        if miss:
            raise InputError(
                f"--diff names a tokenizer that is not audited: {miss[0]!r}",
                fix="audited: " + ", ".join(t.name for t in good),
            )
        d = {"a": by[diff[0]].name, "b": by[diff[1]].name, **vocab_diff(by[diff[0]].vocab, by[diff[1]].vocab)}
    langs_seen = sorted({r["language"] for r in rows} | {k for e in entries for k in e["coverage"]} | set(vtexts))
    rep = AuditReport(
        tokenizers=entries,
        languages=rows,
        overlap=overlap_tables(sets),
        diff=d,
        warnings=warnings,
        corpus=None
        if corp is None
        else {
            "name": corp.name,
            "parallel": corp.parallel,
            "baseline": baseline,
            "languages": list(cstats.order) if cstats else [],
            "split": split if "FLORES" in corp.name else None,
            "lines": sum(r["lines"] for r in rows if r["tokenizer"] == entries[0]["name"]),
            "bytes": sum(r["bytes"] for r in rows if r["tokenizer"] == entries[0]["name"]),
            "shard": list(shard) if shard != (0, 1) else None,
            "merged_shards": len(merge) or None,
        },
        seconds=round(time.perf_counter() - t0, 2),
        failed=failed,
        viewer=viewer,
        language_info={c: info(c) for c in langs_seen},
    )
    rep._corpus_stats = cstats
    return rep


def _wordfreq_codes(codes, warnings: list[str]):
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


def _merged_corpus(folders: Sequence, toks: list[Tokenizer], name: str | None = None):
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
                fix="pass --out folders of tokforge audit --shard I/N runs",
            )
        parts.append(CorpusStats.load(p, toks))
    whole = parts[0]
    for p in parts[1:]:
        whole.merge(p)
    return SimpleNamespace(
        name=name or f"{len(parts)} merged shards", parallel=whole.parallel, warnings=[], stats=whole, texts=None
    )
