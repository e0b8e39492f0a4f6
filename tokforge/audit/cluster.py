"""``cluster=``: the corpus pass as Dask tasks, on a ``LocalCluster`` (``"local"``) or on a running
scheduler (``"tcp://HOST:PORT"``). Needs the ``cluster`` extra (``distributed``).

Each task is :func:`tokforge.audit.parallel.shard_job` on one share of the corpus (the shares of
:mod:`tokforge.audit.parallel`) and returns that share's `CorpusStats` state; the futures are gathered
in index order and merged by the parent, exactly as the worker processes of ``num_proc`` are. On a
remote cluster every worker must have tokforge installed, and an ``hf:`` corpus must be readable at the
same path on every worker (in-memory corpora travel with their tasks).
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager

from ..errors import InputError
from ..progress import bar


def dask_pass(job, tokenizers: list[str], corp, cfg, progress: bool = True) -> tuple[list, str]:
    """``(results in shard order, label)``: one Dask task ``job(tokenizers, share, cfg)`` per share of ``corp``
    (``job`` is `tokforge.audit.parallel.shard_job`)."""
    from ..extras import require

    distributed = require("distributed", f"cluster={cfg.cluster}")
    with _client(distributed, cfg) as client:
        n = cfg.num_proc or (cfg.workers if cfg.cluster == "local" else max(1, sum(client.nthreads().values())))
        shares = client.scatter([corp.shard(i, n) for i in range(n)])
        tag = uuid.uuid4().hex[:8]
        futures = [
            client.submit(job, tokenizers, share, cfg, key=f"tokforge-audit-{tag}-{i}", pure=False)
            for i, share in enumerate(shares)
        ]
        with bar(n, "encoding (Dask tasks)", enabled=progress, unit="shards") as b:
            for _ in distributed.as_completed(futures):
                b.update(1)
        results = client.gather(futures)
    where = "a local cluster" if cfg.cluster == "local" else cfg.cluster
    return results, f"{n} Dask tasks on {where}"


@contextmanager
def _client(distributed, cfg):
    """A client of a new ``LocalCluster`` (one single-threaded process per worker) or of ``cfg.cluster``."""
    if cfg.cluster == "local":
        with (
            distributed.LocalCluster(
                n_workers=cfg.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = distributed.Client(cfg.cluster, timeout="10s")
    except (OSError, TimeoutError):
        raise InputError(
            "no Dask scheduler answers", where=cfg.cluster, fix="start one (dask scheduler) or use cluster=local"
        ) from None
    with client:
        yield client
