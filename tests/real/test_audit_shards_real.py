"""A split corpus pass on real FLORES-200 lines and real tokenizers: each share of an ``hf:`` corpus reads
only its rows (parquet row groups, byte ranges of JSON-lines and text files, a saved dataset's rows,
whole csv files) and the shares merged equal the whole exactly; ``num_proc=2`` processes and a
2-worker Dask ``LocalCluster`` give the one-process report; a missing ``distributed`` is one line."""

from __future__ import annotations

import json
import sys

import pytest
from helpers.texts import AUDIT_LANGS

from tokforge.audit.accum import CorpusStats
from tokforge.audit.config import AuditConfig
from tokforge.audit.core import audit_tokenizers
from tokforge.audit.hf_source import HFCorpus
from tokforge.audit.inputs import corpus_pass
from tokforge.errors import MissingExtraError

PER_LANG = 75  # 300 lines in all: a few hundred FLORES lines keep the workers' start-up the main cost
SMALL = dict(coverage_langs=["en"], coverage_top=200, reachability=False, reference=None)


@pytest.fixture(scope="module")
def rows(flores):
    from tokforge.corpus import read_flores

    texts = read_flores(flores, "devtest", AUDIT_LANGS, PER_LANG)
    # interleaved, so every share mixes languages and a language spans several shares
    return [{"text": texts[lang][k], "lang": lang} for k in range(PER_LANG) for lang in AUDIT_LANGS]


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def corpora(rows, tmp_path_factory):
    """The same rows as every format the readers split differently: spec -> (kwargs, pieces)."""
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    datasets.disable_progress_bars()
    d = tmp_path_factory.mktemp("hf")
    pq.write_table(pa.Table.from_pylist(rows), str(d / "rows.parquet"), row_group_size=40)  # 8 row groups
    (d / "three").mkdir()
    for k in range(3):
        _jsonl(d / "three" / f"part-{k}.jsonl", rows[k * 100 : (k + 1) * 100])
    (d / "csv").mkdir()
    for k in range(2):
        datasets.Dataset.from_list(rows[k * 150 : (k + 1) * 150]).to_csv(str(d / "csv" / f"part-{k}.csv"))
    datasets.Dataset.from_list(rows).save_to_disk(str(d / "saved"))
    (d / "eng_Latn.txt").write_text("".join(r["text"] + "\n" for r in rows if r["lang"] == "eng_Latn"))
    lang = {"lang_column": "lang"}
    return {
        "parquet": (str(d / "rows.parquet"), lang),
        "one jsonl": (_jsonl(d / "rows.jsonl", rows), lang),
        "three jsonl": (str(d / "three"), lang),
        "csv (whole files)": (str(d / "csv"), lang),
        "saved dataset": (str(d / "saved"), lang),
        "one txt": (str(d / "eng_Latn.txt"), {}),
    }


@pytest.mark.parametrize(
    "kind", ["parquet", "one jsonl", "three jsonl", "csv (whole files)", "saved dataset", "one txt"]
)
def test_each_share_reads_only_its_rows_and_the_merge_is_the_whole(kind, corpora, gpt2, smollm2_tok):
    path, kwargs = corpora[kind]
    toks = [gpt2, smollm2_tok]
    whole_corpus = HFCorpus(path, batch=64, **kwargs)
    whole = corpus_pass(toks, whole_corpus, progress=False)
    total = whole_corpus.rows_read
    assert total == sum(a.lines for a in whole.accs["gpt2"].langs.values())
    for n in (2, 3):
        shares = [whole_corpus.shard(i, n) for i in range(n)]
        parts = [corpus_pass(toks, s, progress=False, whole=False) for s in shares]
        read = [s.rows_read for s in shares]
        assert sum(read) == total, (kind, n, read)  # every row read once, by one share
        if kind == "csv (whole files)":
            assert sorted(read) == ([0, 150, 150] if n == 3 else [150, 150])
            assert any("fewer than the 3 shards" in w for w in whole_corpus.warnings) == (n == 3)
        else:
            assert max(read) < total and min(read) > 0, (kind, n, read)  # a share is a part
        merged = CorpusStats.from_json(parts[0].to_json(), toks)
        for p in parts[1:]:
            merged.merge(p)
        assert merged.to_json() == whole.to_json(), (kind, n)


def test_parquet_shares_are_whole_row_groups(corpora):
    path, kwargs = corpora["parquet"]
    c = HFCorpus(path, **kwargs)
    sizes = []
    for i in range(3):
        s = c.shard(i, 3)
        assert s.n_rows() == sum(len(t) for _, t, _ in s.iter_batches()) == s.rows_read
        sizes.append(s.rows_read)
    # 8 groups of 40 rows (the last 20), each to the shard of its middle row: middles 20, 60 | 100 .. 180 | 220 ..
    assert sizes == [80, 120, 100]


def test_more_shards_than_rows(tmp_path):
    """Shards beyond the rows are empty, never an error; every row is read once."""
    import datasets

    datasets.Dataset.from_list([{"text": "one"}, {"text": "two"}]).save_to_disk(str(tmp_path / "two"))
    _jsonl(tmp_path / "two.jsonl", [{"text": "one"}, {"text": "two"}])
    for path in (tmp_path / "two", tmp_path / "two.jsonl"):
        shares = [HFCorpus(str(path)).shard(i, 5) for i in range(5)]
        lines = [s for share in shares for _, batch, _ in share.iter_batches() for s in batch]
        assert lines == ["one", "two"] and sum(s.rows_read for s in shares) == 2


def _same_report(a, b):
    """The same statistics and the same rows, exactly (JSON text, so NaN equals NaN and 0.1 is not 0.1000001)."""
    assert b._corpus_stats.to_json() == a._corpus_stats.to_json()
    assert json.dumps(b.languages) == json.dumps(a.languages)
    assert sorted(b.warnings) == sorted(a.warnings)


@pytest.mark.parametrize("spec", ["flores", "hf"])
def test_num_proc_two_equals_one_process(spec, flores, corpora):
    if spec == "flores":
        corpus, cfg = f"flores200:{flores}", dict(langs=AUDIT_LANGS, limit=PER_LANG)
    else:  # a language asked for and absent is said once, as in one process
        corpus, cfg = f"hf:{corpora['one jsonl'][0]}", dict(langs=AUDIT_LANGS + ["fra_Latn"], lang_column="lang")
    one = audit_tokenizers(["gpt2"], corpus, config=AuditConfig(**SMALL, **cfg), progress=False)
    two = audit_tokenizers(["gpt2"], corpus, config=AuditConfig(**SMALL, **cfg, num_proc=2), progress=False)
    _same_report(one, two)
    assert "2 worker processes" in two.corpus["name"]
    if spec == "hf":
        assert sum("no rows for requested language 'fra_Latn'" in w for w in two.warnings) == 1


def test_dask_clusters_equal_one_process(flores, corpora):
    """``cluster="local"`` (a 2-worker ``LocalCluster``: two single-threaded processes) on an ``hf:`` corpus the
    workers read, and a running scheduler's address on FLORES lines that travel with the tasks."""
    import distributed

    hf = f"hf:{corpora['three jsonl'][0]}", dict(lang_column="lang")
    one = audit_tokenizers(["gpt2"], hf[0], config=AuditConfig(**SMALL, **hf[1]), progress=False)
    dask = audit_tokenizers(["gpt2"], hf[0], config=AuditConfig(**SMALL, **hf[1], cluster="local"), progress=False)
    _same_report(one, dask)
    assert "2 Dask tasks on a local cluster" in dask.corpus["name"]
    fl = f"flores200:{flores}", dict(langs=AUDIT_LANGS[:2], limit=PER_LANG)
    one = audit_tokenizers(["gpt2"], fl[0], config=AuditConfig(**SMALL, **fl[1]), progress=False)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as running:
        cfg = AuditConfig(**SMALL, **fl[1], cluster=running.scheduler_address)
        dask = audit_tokenizers(["gpt2"], fl[0], config=cfg, progress=False)
    _same_report(one, dask)
    assert f"2 Dask tasks on {running.scheduler_address}" in dask.corpus["name"]


def test_missing_distributed_names_the_extra(monkeypatch, rows):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingExtraError, match=r"cluster=local needs distributed.*tokforge\[cluster\]"):
        audit_tokenizers(["gpt2"], {"eng_Latn": ["one line"]}, config=AuditConfig(cluster="local"), progress=False)
