"""``audit_tokenizers(tokenizers, corpus)``: vocabulary, coverage, overlap and corpus metrics in one report.

Partial problems (a tokenizer that fails to load, a language without text, a baseline missing
from the corpus) become warnings in the report; only total failure raises a one-line error.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ..errors import InputError, TokforgeError
from ..progress import bar
from ..tokenizer import Tokenizer
from . import probes
from .census import census
from .config import AuditConfig
from .coverage import coverage
from .inputs import corpus_pass, load_tokenizers, open_corpus, wordfreq_codes
from .languages import info, to_flores
from .overlap import diff as vocab_diff
from .panel_cache import cache_mode, measured, panel_members, panel_overlap, rows_key, to_encode
from .panel_keys import viewer_key, vocab_key
from .qtok import qtok_categories
from .report import AuditReport


def _vocab_entry(tok: Tokenizer, reachability: bool, coverage_langs, coverage_top: int) -> dict:
    entry = {"name": tok.name, "source": tok.source, "reference": bool(getattr(tok, "reference", False))}
    entry["qtok"] = qtok_categories(tok.vocab)
    entry["qtok"].pop("token_category")
    entry["census"] = census(tok, check_reachable=reachability)
    cov = coverage(tok.vocab, coverage_langs, coverage_top)
    entry["coverage"] = {to_flores(k): v for k, v in cov.items()}  # one code system: FLORES codes
    entry["probes"] = probes.probes(tok)
    return entry


def audit_tokenizers(
    tokenizers, corpus=None, *, config: AuditConfig | None = None, progress: bool = True
) -> AuditReport:
    """Audit one or more tokenizers (names, paths or loaded ``Tokenizer`` objects) and return the report.

    ``corpus``: None (the built-in parallel corpus from pycountry), a spec string
    (``flores200:DIR``, ``hf:PATH``, a file, a folder of ``LANG.txt``), a list of specs, a ``Corpus``
    or a dict ``{lang: [lines]}``; ``False`` skips corpus metrics. ``config``: an `AuditConfig`
    (baseline, languages, reference panel, shards, ...). The report's ``.save(folder)`` writes
    report.json, CSV tables and report.html.

    >>> from tokforge.audit.config import AuditConfig
    >>> rep = audit_tokenizers("gpt2", False, config=AuditConfig(coverage_top=50), progress=False)  # doctest: +SKIP
    """
    cfg = config if config is not None else AuditConfig()
    if not isinstance(cfg, AuditConfig):
        raise InputError("config must be an AuditConfig", where=type(cfg).__name__)
    if isinstance(tokenizers, (str, Tokenizer)):
        tokenizers = [tokenizers]
    check_workers(list(tokenizers), corpus, cfg)
    cache_mode(cfg.panel_cache)  # an unknown $TOKFORGE_AUDIT_CACHE is an error before any work
    if cfg.parallel:
        return _audit_parallel(list(tokenizers), corpus, cfg, progress)
    return run_audit(list(tokenizers), corpus, cfg, progress)


def check_workers(tokenizers: list, corpus, cfg: AuditConfig) -> None:
    """What a split corpus pass (``num_proc``, ``cluster``, ``shard``) cannot do with these inputs, said
    before anything loads: no corpus to split, loaded tokenizer objects, a limited ``hf:`` corpus."""
    if cfg.parallel:
        name, value = ("cluster", cfg.cluster) if cfg.cluster else ("num_proc", cfg.num_proc)
        if corpus is None or corpus is False:
            raise InputError(
                f"{name}={value} needs a corpus (the built-in one and a vocabulary-only audit run in one process)",
                fix="pass corpus=SPEC: a file, a folder, flores200:DIR or hf:PATH",
            )
        if not all(isinstance(t, str) for t in tokenizers):
            raise InputError(
                f"{name}={value} needs tokenizer names or paths (loaded objects cannot be sent to workers)"
            )
        if cfg.cluster is not None:
            from ..extras import require

            require("distributed", f"cluster={cfg.cluster}")
    hf = isinstance(corpus, str) and corpus.startswith("hf:")
    if hf and cfg.limit and (cfg.parallel or cfg.shard != (0, 1)):
        raise InputError(
            "limit=N cannot be combined with splitting an hf: corpus (the first N rows of a language need every "
            "row before them)",
            where=corpus,
            fix="drop limit, or cut the corpus first and audit that",
        )


def _audit_parallel(tokenizers: list, corpus, cfg: AuditConfig, progress: bool) -> AuditReport:
    """The corpus pass split across workers (processes or Dask tasks, one share each), then the audit of
    the merged statistics in this process."""
    from .parallel import split_pass

    split = split_pass(tokenizers, open_corpus(corpus, cfg, []), cfg, progress)
    return run_audit(tokenizers, corpus, replace(cfg, num_proc=None, cluster=None), progress, split)


def run_audit(tokenizers: list, corpus, cfg: AuditConfig, progress: bool = True, split=None) -> AuditReport:
    """The audit in one process: load, vocabulary metrics, corpus pass, viewer, diff, report.

    ``split``: the `SplitPass` of workers that already encoded the corpus (their merged statistics are used)."""
    warnings: list[str] = []
    t0 = time.perf_counter()
    toks, failed = load_tokenizers(tokenizers, warnings, cfg.format)
    reachability = cfg.reachability
    if reachability is None:
        reachability = corpus is not False or bool(cfg.merge)
    toks += panel_members(cfg, toks, warnings, reachability)  # built-in members: measured once, then cached
    corp = open_corpus(corpus, cfg, toks) if split is None else split.stand_in(toks)
    entries = _vocab_entries(toks, cfg, reachability, warnings, failed, progress)
    good = [t for t in toks if t.name in {e["name"] for e in entries}]
    rows, cstats = _corpus_rows(corp, good, entries, cfg, warnings, progress)
    viewer = _viewer(corp, good, cfg.viewer_langs, warnings)
    langs_seen = sorted(
        {r["language"] for r in rows} | {k for e in entries for k in e["coverage"]} | set(viewer["texts"])
    )
    rep = AuditReport(
        tokenizers=entries,
        languages=rows,
        overlap=panel_overlap(good),
        diff=_diff(good, cfg.diff),
        warnings=warnings,
        corpus=_corpus_info(corp, cstats, rows, entries, cfg),
        seconds=round(time.perf_counter() - t0, 2),
        failed=failed,
        viewer=viewer,
        language_info={c: info(c) for c in langs_seen},
    )
    rep._corpus_stats = cstats
    return rep


def _vocab_entries(toks, cfg: AuditConfig, reachability: bool, warnings: list, failed: list, progress: bool):
    """Vocabulary metrics per tokenizer; one that breaks becomes a warning and a ``failed`` row."""
    coverage_langs = wordfreq_codes(list(cfg.coverage_langs) if cfg.coverage_langs else None, warnings)
    vkey = vocab_key(reachability, cfg.coverage_langs, cfg.coverage_top)
    entries = []
    with bar(len(toks), "vocabulary", enabled=progress, unit="tokenizers") as b:
        for tok in toks:
            b.set_postfix(tokenizer=tok.name)
            try:
                entries.append(
                    measured(tok, vkey, lambda t: _vocab_entry(t, reachability, coverage_langs, cfg.coverage_top))
                )
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
    return entries


def _corpus_rows(corp, good, entries: list[dict], cfg: AuditConfig, warnings: list, progress: bool):
    """Per-language rows (and each entry's ``corpus`` summary) from one pass over the corpus."""
    if corp is None:
        return [], None
    ckey = rows_key(corp, cfg, good, warnings)  # None: the panel's rows on this corpus are not cached
    by = {t.name: t for t in good}
    cstats = getattr(corp, "stats", None)
    if cstats is None:
        cstats = corpus_pass(to_encode(good, ckey), corp, progress, cfg.shard)
    warnings += corp.warnings
    order = cstats.order
    if corp.parallel and cfg.baseline not in order:
        warnings.append(
            f"baseline {cfg.baseline!r} is not in the corpus; parity not computed "
            f"(choose baseline= from: {', '.join(order[:8])}...)"
        )
    elif not corp.parallel:
        warnings.append("corpus is not parallel (no aligned lines); parity not computed")
    rows = []
    for e in entries:
        lang_rows, e["corpus"] = measured(by[e["name"]], ckey, lambda t: list(cstats.rows(t.name, cfg.baseline)))
        rows += lang_rows
    return rows, cstats


def _viewer(corp, good, viewer_langs, warnings: list) -> dict:
    """The token viewer's sample texts and every tokenizer's split of each."""
    vtexts = probes.viewer_texts(getattr(corp, "texts", None), list(viewer_langs) if viewer_langs else None)
    for x in viewer_langs or []:
        if x not in vtexts:
            warnings.append(f"token viewer: no sample for language {x!r} (not in the corpus, no built-in sample)")

    def splits(t) -> dict:
        return {k: probes.split(t, s) for k, s in vtexts.items()}

    key = viewer_key(vtexts)
    return {"texts": vtexts, "splits": {t.name: measured(t, key, splits) for t in good}}


def _diff(good: list[Tokenizer], diff) -> dict | None:
    """Tokens only in A and only in B, for ``diff=(A, B)`` (names as typed or as displayed)."""
    if not diff:
        return None
    by = {getattr(t, "audit_spec", t.name): t for t in good}
    by.update({t.name: t for t in good})
    miss = [x for x in diff if x not in by]
    if miss:
        raise InputError(
            f"diff names a tokenizer that is not audited: {miss[0]!r}",
            fix="audited: " + ", ".join(t.name for t in good),
        )
    a, b = by[diff[0]], by[diff[1]]
    return {"a": a.name, "b": b.name, **vocab_diff(a.vocab, b.vocab)}


def _corpus_info(corp, cstats, rows: list[dict], entries: list[dict], cfg: AuditConfig) -> dict | None:
    if corp is None:
        return None
    first = entries[0]["name"]
    return {
        "name": corp.name,
        "parallel": corp.parallel,
        "baseline": cfg.baseline,
        "languages": list(cstats.order) if cstats else [],
        "split": cfg.split if "FLORES" in corp.name else None,
        "lines": sum(r["lines"] for r in rows if r["tokenizer"] == first),
        "bytes": sum(r["bytes"] for r in rows if r["tokenizer"] == first),
        "shard": list(cfg.shard) if cfg.shard != (0, 1) else None,
        "merged_shards": len(cfg.merge) or None,
    }
