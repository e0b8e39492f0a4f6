"""``audit(tokenizers, corpus)``: vocabulary, coverage, overlap and corpus metrics in one report.

Partial problems (a tokenizer that fails to load, a language without text, a baseline missing
from the corpus) become warnings in the report; only total failure raises a one-line error.
"""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from ..errors import InputError, LoadError, TokforgeError
from ..tokenizer import Tokenizer
from . import corpus_metrics as cm
from .census import census
from .coverage import DEFAULT_TOP, coverage
from .overlap import diff as vocab_diff
from .overlap import overlap_tables, text_set
from .qtok import qtok_categories
from .report import AuditReport
from .sources import Corpus, load_corpus


def _load_all(tokenizers: Sequence, warnings: list[str]) -> list[Tokenizer]:
    from ..loaders import load_tokenizer

    out, errors = [], []
    for t in tokenizers:
        if isinstance(t, Tokenizer):
            out.append(t)
            continue
        try:
            tok = load_tokenizer(str(t))
            tok.audit_spec = str(t)  # what the user typed, so --diff can name it either way
            tok.name = _display_name(tok.name, str(t))
            out.append(tok)
        except TokforgeError as e:
            errors.append(f"tokenizer {t!r} failed to load: {e}")
        except Exception as e:  # a broken third-party file: report, keep the others
            errors.append(f"tokenizer {t!r} failed to load: {e.__class__.__name__}: {' '.join(str(e).split())[:200]}")
    if not out:
        raise LoadError("no tokenizer could be loaded", where="; ".join(errors) or "none given",
                        fix="pass a tokenizer.json, .model, .tiktoken, a folder, or a built-in name")
    warnings.extend(errors)
    names = [t.name for t in out]
    for i, t in enumerate(out):  # same name twice: keep both, make the names unique
        if names.count(t.name) > 1:
            t.name = f"{t.name}#{i + 1}"
    return out


GENERIC_STEMS = {"tokenizer", "tokenizer_config", "model", "tokenizer.model", "vocab", "tekken"}


def _display_name(name: str, spec: str) -> str:
    """``.../smollm2/tokenizer.json`` is called ``smollm2``, not ``tokenizer``."""
    from pathlib import Path

    p = Path(spec)
    if name in GENERIC_STEMS and p.exists() and p.is_file() and p.parent.name:
        return p.parent.name
    return name


def _as_corpus(corpus, split: str, langs, limit) -> Corpus:
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


def corpus_rows(tok: Tokenizer, corpus: Corpus, stats: dict[str, cm.TextStats], baseline: str | None) -> tuple[list[dict], dict]:
    """Per-language rows and an overall row for one tokenizer (one batched encoding pass)."""
    langs = list(stats)
    lines = [s for lang in langs for s in stats[lang].lines]
    ids, counts = cm.encode_lines(tok, lines)
    token_len = np.fromiter(map(len, tok.vocab.tokens), dtype=np.int64, count=len(tok.vocab))
    rows, per_lang_counts, total_hist = [], {}, np.zeros(len(tok.vocab), dtype=np.int64)
    li = ti = 0
    for lang in langs:
        st = stats[lang]
        c = counts[li:li + len(st.lines)]
        n = int(c.sum())
        row, hist = cm.language_metrics(tok, st, ids[ti:ti + n], c, token_len)
        total_hist += hist
        per_lang_counts[lang] = c
        rows.append({"tokenizer": tok.name, "language": lang, **row})
        li += len(st.lines)
        ti += n
    if corpus.parallel and baseline in per_lang_counts:
        for row in rows:
            lang = row["language"]
            row["parity"] = cm.parity(per_lang_counts[lang], corpus.keys[lang], per_lang_counts[baseline],
                                      corpus.keys[baseline])
    n_tok = int(counts.sum())
    n_bytes = sum(s.n_bytes for s in stats.values())
    overall = {
        "tokens": n_tok, "bytes": n_bytes, "bytes_per_token": cm.bytes_per_token(n_bytes, n_tok),
        "utilisation": cm.utilisation(total_hist, len(tok.vocab.text_ids())),
        "renyi_efficiency": cm.renyi_efficiency(total_hist, len(tok.vocab)),
        "unk_rate": float(total_hist[tok.vocab.roles["unk"]] / n_tok) if n_tok and "unk" in tok.vocab.roles else 0.0,
    }
    return rows, overall


def audit(tokenizers: Sequence, corpus=None, *, baseline: str = "eng_Latn", split: str = "devtest",
          langs: list[str] | None = None, limit: int | None = None, coverage_langs: list[str] | None = None,
          coverage_top: int = DEFAULT_TOP, reachability: bool = True, diff: tuple[str, str] | None = None,
          progress: bool = True) -> AuditReport:
    """Audit one or more tokenizers (names/paths or loaded ``Tokenizer`` objects).

    ``corpus``: None (the built-in parallel corpus from pycountry), a spec string
    (``flores200:DIR``, a file, a folder of ``LANG.txt``), a list of specs, a ``Corpus`` or a dict
    ``{lang: [lines]}``. ``corpus=False`` skips corpus metrics.
    """
    if isinstance(tokenizers, (str, Tokenizer)):
        tokenizers = [tokenizers]
    warnings: list[str] = []
    t0 = time.perf_counter()
    toks = _load_all(tokenizers, warnings)
    corp = None if corpus is False else _as_corpus(corpus, split, langs, limit)
    stats = {}
    if corp is not None:
        warnings += corp.warnings
        stats = {lang: cm.text_stats(lines) for lang, lines in corp.texts.items()}
        if corp.parallel and baseline not in corp.texts:
            warnings.append(f"baseline {baseline!r} is not in the corpus; parity not computed "
                            f"(choose --baseline from: {', '.join(list(corp.texts)[:8])}...)")
        elif not corp.parallel:
            warnings.append("corpus is not parallel (no aligned lines); parity not computed")
    entries, rows = [], []
    with _Progress(progress, len(toks)) as bar:
        for tok in toks:
            entry = {"name": tok.name, "source": tok.source}
            try:
                bar.step(f"{tok.name}: vocabulary")
                entry["qtok"] = qtok_categories(tok.vocab)
                entry["qtok"].pop("token_category")
                entry["census"] = census(tok, check_reachable=reachability)
                entry["coverage"] = coverage(tok.vocab, coverage_langs, coverage_top)
                if stats:
                    bar.step(f"{tok.name}: encoding {sum(len(s.lines) for s in stats.values()):,} lines")
                    lang_rows, entry["corpus"] = corpus_rows(tok, corp, stats, baseline)
                    rows += lang_rows
            except TokforgeError:
                raise
            except Exception as e:  # one broken backend must not sink the others
                warnings.append(f"tokenizer {tok.name!r} failed during the audit: {e.__class__.__name__}: "
                                f"{' '.join(str(e).split())[:200]}")
                continue
            entries.append(entry)
            bar.done()
    if not entries:
        raise InputError("every tokenizer failed during the audit", where="; ".join(warnings))
    good = [t for t in toks if t.name in {e["name"] for e in entries}]
    sets = {t.name: text_set(t.vocab) for t in good}
    d = None
    if diff:
        by = {getattr(t, "audit_spec", t.name): t for t in good}
        by.update({t.name: t for t in good})
        miss = [x for x in diff if x not in by]
        if miss:
            raise InputError(f"--diff names a tokenizer that is not audited: {miss[0]!r}",
                             fix="audited: " + ", ".join(t.name for t in good))
        d = {"a": by[diff[0]].name, "b": by[diff[1]].name, **vocab_diff(by[diff[0]].vocab, by[diff[1]].vocab)}
    return AuditReport(
        tokenizers=entries, languages=rows, overlap=overlap_tables(sets), diff=d, warnings=warnings,
        corpus=None if corp is None else {"name": corp.name, "parallel": corp.parallel, "baseline": baseline,
                                          "languages": list(corp.texts), "split": split if "FLORES" in corp.name else None},
        seconds=round(time.perf_counter() - t0, 2))


class _Progress:
    """A rich progress bar over tokenizers (silent when ``enabled`` is False)."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total = enabled, total

    def __enter__(self):
        if self.enabled:
            from rich.progress import Progress

            self.p = Progress(transient=True)
            self.p.start()
            self.task = self.p.add_task("audit", total=self.total)
        return self

    def step(self, what: str):
        if self.enabled:
            self.p.update(self.task, description=what)

    def done(self):
        if self.enabled:
            self.p.advance(self.task)

    def __exit__(self, *exc):
        if self.enabled:
            self.p.stop()
