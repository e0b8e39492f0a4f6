"""``num_proc`` workers for the corpus pass: each encodes one shard, the states are merged.

Worker i runs ``corpus_pass(..., shard=(i, n))`` in its own process (spawned, so no tokenizer
thread pool is forked) and saves its :class:`~tokforge.audit.accum.CorpusStats`; the parent
merges them exactly as ``tokforge audit --merge`` merges the shards of a cluster run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path


def _worker(args) -> list[str]:
    specs, corpus, kw, i, n, out = args
    from .core import as_corpus, corpus_pass, load_tokenizers, reference_panel
    from .hf_source import HFCorpus

    warnings: list[str] = []
    toks, _ = load_tokenizers(specs, warnings, kw.get("format"))
    toks += reference_panel(kw.get("reference"), toks, warnings)
    if isinstance(corpus, str) and corpus.startswith("hf:"):
        corp = HFCorpus(
            corpus[3:],
            text_column=kw["text_column"],
            lang_column=kw["lang_column"],
            langs=kw["langs"],
            limit=kw["limit"],
        )
    else:
        corp = as_corpus(corpus, kw["split"], kw["langs"], kw["limit"])
    stats = corpus_pass(toks, corp, progress=i == 0, shard=(i, n))
    Path(out).mkdir(parents=True, exist_ok=True)
    stats.save(Path(out) / "corpus_stats.json.gz")
    return list(corp.warnings)  # every worker reads every row, so the same warnings: deduplicated by the parent


def audit_parallel(tokenizers: list[str], corpus, num_proc: int, **kw):
    """Like :func:`tokforge.audit.audit` with the corpus pass split over ``num_proc`` processes."""
    import multiprocessing as mp

    from ..errors import InputError
    from .core import audit

    if not all(isinstance(t, str) for t in tokenizers):
        raise InputError("num_proc > 1 needs tokenizer names or paths (loaded objects cannot be sent to workers)")
    keys = ("split", "langs", "limit", "text_column", "lang_column", "reference", "format")
    wkw = {k: kw.get(k) for k in keys}
    wkw["text_column"] = wkw["text_column"] or "text"
    with tempfile.TemporaryDirectory(prefix="tokforge-shards-") as tmp:
        jobs = [(tokenizers, corpus, wkw, i, num_proc, str(Path(tmp) / str(i))) for i in range(num_proc)]
        with mp.get_context("spawn").Pool(num_proc) as pool:
            warns = pool.map(_worker, jobs)
        name = corpus if isinstance(corpus, str) else "corpus"
        rep = audit(
            tokenizers,
            False,
            merge=[j[-1] for j in jobs],
            merge_name=f"{name} ({num_proc} workers)",
            **{k: v for k, v in kw.items() if k not in ("text_column", "lang_column", "split", "limit", "langs")},
        )
    rep.warnings += sorted({w for ws in warns for w in ws})
    return rep
