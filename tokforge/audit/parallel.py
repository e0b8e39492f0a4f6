"""``num_proc`` workers for the corpus pass: each encodes one shard and saves its statistics.

Worker i runs ``corpus_pass(..., shard=(i, n))`` in its own process (spawned, so no tokenizer
thread pool is forked) and saves its :class:`~tokforge.audit.accum.CorpusStats`; the audit then
merges them exactly as ``AuditConfig(merge=...)`` merges the shards of a cluster run.
"""

from __future__ import annotations

from pathlib import Path


def _worker(args) -> list[str]:
    specs, corpus, cfg, progress, i, n, out = args
    from .inputs import corpus_pass, load_tokenizers, open_corpus, reference_panel

    warnings: list[str] = []
    toks, _ = load_tokenizers(specs, warnings, cfg.format)
    toks += reference_panel(cfg.reference, toks, warnings)
    corp = open_corpus(corpus, cfg, toks)
    stats = corpus_pass(toks, corp, progress=i == 0 and progress, shard=(i, n))
    Path(out).mkdir(parents=True, exist_ok=True)
    stats.save(Path(out) / "corpus_stats.json.gz")
    return list(corp.warnings)  # every worker reads every row, so the same warnings: deduplicated below


def encode_shards(tokenizers: list[str], corpus, cfg, tmp: Path, progress: bool = True) -> tuple[list[str], list[str]]:
    """Run the corpus pass in ``cfg.num_proc`` processes; returns (shard folders under ``tmp``, warnings)."""
    import multiprocessing as mp

    n = cfg.num_proc
    jobs = [(tokenizers, corpus, cfg, progress, i, n, str(tmp / str(i))) for i in range(n)]
    with mp.get_context("spawn").Pool(n) as pool:
        warns = pool.map(_worker, jobs)
    return [j[-1] for j in jobs], sorted({w for ws in warns for w in ws})
