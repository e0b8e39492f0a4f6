"""The corpus pass split across workers: ``num_proc`` processes on this machine, or Dask tasks (``cluster``).

The parent opens the corpus. An in-memory corpus (FLORES, text files, a dict) is read once there and
each worker is sent only its share (`Corpus.shard`); an ``hf:`` corpus is only listed, and each worker
reads its own share from the files (`HFCorpus.shard`: row groups, byte ranges, whole files). Worker i
runs `corpus_pass` on share i and returns its `CorpusStats` state (what a ``shard=(i, n)`` run saves as
``corpus_stats.json.gz``); the parent merges the states in index order, as ``merge=`` merges the
folders of a cluster run, so the result equals the one-process pass. Processes are spawned, so no
tokenizer thread pool is forked.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def shard_job(tokenizers: list[str], share, cfg, progress: bool = False) -> tuple[dict, list[str]]:
    """One worker: load the tokenizers (and the reference panel), encode ``share``; returns its
    `CorpusStats` state and the share's warnings."""
    from .inputs import corpus_pass, load_tokenizers, reference_panel

    ignored: list[str] = []  # load warnings: the parent loads the same tokenizers and says them once
    toks, _ = load_tokenizers(tokenizers, ignored, cfg.format)
    toks += reference_panel(cfg.reference, toks, ignored)
    stats = corpus_pass(toks, share, progress=progress, whole=False)
    return stats.to_json(), list(share.warnings)


@dataclass
class SplitPass:
    """The states of a split pass, with what the merged result needs from the parent's corpus."""

    corpus: object  # the parent's corpus (a `Corpus`, or an `HFCorpus` that only listed its files)
    states: list[dict]
    label: str  # "2 worker processes", "2 Dask tasks on a local cluster", ...
    warnings: list[str] = field(default_factory=list)

    def stand_in(self, toks):
        """The stand-in corpus of the merged statistics (shares merged in index order)."""
        from types import SimpleNamespace

        from .accum import CorpusStats
        from .hf_source import HFCorpus, gap_warnings

        parts = [CorpusStats.from_json(s, toks, f"worker {i}") for i, s in enumerate(self.states)]
        whole = parts[0]
        for p in parts[1:]:
            whole.merge(p)
        warnings = list(self.warnings)
        c = self.corpus
        if isinstance(c, HFCorpus):  # the languages the workers' shares lacked are said once, for the whole
            warnings += gap_warnings(c.path, c.langs, whole.order)
        return SimpleNamespace(
            name=f"{c.name} ({self.label})",
            parallel=whole.parallel,
            warnings=warnings,
            stats=whole,
            texts=getattr(c, "texts", None),
        )


def _unique(xs) -> list[str]:
    """``xs`` without repeats, first occurrences in order."""
    return list(dict.fromkeys(xs))


def process_pass(tokenizers: list[str], corp, cfg, progress: bool = True) -> list[tuple[dict, list[str]]]:
    """``shard_job`` on each of ``cfg.workers`` shares, in as many spawned processes (worker 0 shows progress)."""
    import multiprocessing as mp

    n = cfg.workers
    jobs = [(tokenizers, corp.shard(i, n), cfg, progress and i == 0) for i in range(n)]
    with mp.get_context("spawn").Pool(n) as pool:
        return pool.starmap(shard_job, jobs)


def split_pass(tokenizers: list[str], corp, cfg, progress: bool = True) -> SplitPass:
    """The corpus pass of ``corp`` split as ``cfg`` says (processes, or Dask tasks with ``cfg.cluster``)."""
    if cfg.cluster is not None:
        from .cluster import dask_pass

        results, label = dask_pass(shard_job, tokenizers, corp, cfg, progress)
    else:
        results, label = process_pass(tokenizers, corp, cfg, progress), f"{cfg.workers} worker processes"
    warnings = _unique(list(corp.warnings) + [w for _, ws in results for w in ws])
    return SplitPass(corp, [s for s, _ in results], label, warnings)
