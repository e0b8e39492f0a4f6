"""Tests on real artifacts (the synthetic ones: tests/unit/test_audit_corpus.py). Corpus pass at any size:
batched sums equal whole-text metrics, shards merge to the whole,
``hf:`` corpora (datasets folders and data files) stream with their language column."""

from __future__ import annotations

import json
import math
import numbers

import numpy as np
import pytest
from helpers.texts import AUDIT_LANGS
from tokforge_cli.main import main as cli_main

from tokforge.audit import corpus_metrics as cm
from tokforge.audit.config import AuditConfig
from tokforge.audit.core import audit_tokenizers
from tokforge.audit.hf_source import HFCorpus
from tokforge.audit.inputs import corpus_pass
from tokforge.audit.sources import load_corpus
from tokforge.errors import InputError

SMALL = dict(coverage_langs=["en"], coverage_top=200, reachability=False, progress=False)


def _audit(tokenizers, corpus, progress=False, **config):
    """The public call with the loose keywords of older tests gathered into an `AuditConfig`."""
    return audit_tokenizers(tokenizers, corpus, config=AuditConfig(**config), progress=progress)


def _rows(stats, name, baseline="eng_Latn"):
    rows, overall = stats.rows(name, baseline)
    return {r["language"]: r for r in rows}, overall


def _same(a: dict, b: dict):
    """Equal metric rows: numbers within 1e-12 relative (NaN equals NaN), anything else exactly."""
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, float) and math.isnan(x):
            assert isinstance(y, float) and math.isnan(y), k
        elif isinstance(x, numbers.Real) and not isinstance(x, bool):
            assert x == pytest.approx(y, rel=1e-12), k
        else:
            assert x == y, k


def test_batched_sums_equal_whole_language_metrics(gpt2, mistral_v1, audit_corp):
    """Batches of 64 lines give exactly the per-language metrics of one whole-language pass."""
    from tokforge.audit import hf_source as sources

    for tok in (gpt2, mistral_v1):
        old = sources.BATCH_LINES
        sources.BATCH_LINES = 64
        try:
            stats = corpus_pass([tok], audit_corp, progress=False)
        finally:
            sources.BATCH_LINES = old
        rows, _ = _rows(stats, tok.name)
        token_len = np.fromiter(map(len, tok.vocab.tokens), dtype=np.int64)
        for lang, lines in audit_corp.texts.items():
            st = cm.text_stats(lines)
            ids, counts = cm.encode_lines(tok, lines)
            want, _ = cm.language_metrics(tok, st, ids, counts, token_len)
            got = {k: v for k, v in rows[lang].items() if k in want}
            _same(got, want)


@pytest.fixture
def small_batches(monkeypatch):
    from tokforge.audit import hf_source as sources

    monkeypatch.setattr(sources, "BATCH_LINES", 100)  # many batches from a small corpus


def test_two_shards_merged_equal_the_whole(gpt2, smollm2_tok, audit_corp, tmp_path, small_batches):
    toks = [gpt2, smollm2_tok]
    whole = corpus_pass(toks, audit_corp, progress=False)
    s0 = corpus_pass(toks, audit_corp, progress=False, shard=(0, 2))
    s1 = corpus_pass(toks, audit_corp, progress=False, shard=(1, 2))
    assert _rows(s0, "gpt2")[1]["tokens"] < _rows(whole, "gpt2")[1]["tokens"]  # a shard is a part
    s0.save(tmp_path / "s0.json.gz")  # through the on-disk state, as separate machines would
    s1.save(tmp_path / "s1.json.gz")
    from tokforge.audit.accum import CorpusStats

    merged = CorpusStats.load(tmp_path / "s1.json.gz", toks).merge(CorpusStats.load(tmp_path / "s0.json.gz", toks))
    for name in ("gpt2", "smollm2-135m"):
        (wr, wo), (mr, mo) = _rows(whole, name), _rows(merged, name)
        _same(wo, mo)
        for lang in wr:
            _same(wr[lang], mr[lang])
    with pytest.raises(InputError, match="not computed with tokenizer"):
        impostor = gpt2.__class__(smollm2_tok.vocab, smollm2_tok.encode, name="gpt2")  # same name, other vocabulary
        CorpusStats.load(tmp_path / "s0.json.gz", [smollm2_tok, impostor])


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_hf_jsonl_parquet_and_saved_dataset(gpt2, audit_corp, tmp_path):
    rows = [{"text": s, "lang": lang} for lang in AUDIT_LANGS for s in audit_corp.texts[lang]]
    _jsonl(tmp_path / "data.jsonl", rows)
    import datasets

    ds = datasets.Dataset.from_list(rows)
    ds.to_parquet(str(tmp_path / "data.parquet"))
    ds.save_to_disk(str(tmp_path / "saved"))
    want = None
    for spec in ("data.jsonl", "data.parquet", "saved"):
        c = HFCorpus(str(tmp_path / spec), lang_column="lang", langs=AUDIT_LANGS + ["fra_Latn"], batch=500)
        assert c.n_rows() == len(rows)
        stats = corpus_pass([gpt2], c, progress=False)
        got, _ = _rows(stats, "gpt2")
        assert any("fra_Latn" in w for w in c.warnings)  # asked for, absent: said so
        if want is None:
            want = got
            mem, _ = _rows(corpus_pass([gpt2], audit_corp, progress=False), "gpt2")
            for lang in AUDIT_LANGS:  # the same numbers as the in-memory corpus (no parity: not parallel)
                _same({k: v for k, v in got[lang].items()}, {k: v for k, v in mem[lang].items() if k != "parity"})
        else:
            for lang in AUDIT_LANGS:
                _same(got[lang], want[lang])
    with pytest.raises(InputError, match="no column 'body'"):
        list(HFCorpus(str(tmp_path / "data.jsonl"), text_column="body").iter_batches())
    with pytest.raises(InputError, match="no dataset and no data files"):
        HFCorpus(str(tmp_path / "nothing-here"))


def test_cli_shards_merge_and_num_proc(gpt2, audit_corp, tmp_path, capsys, small_batches):
    rows = [{"text": s, "lang": lang} for lang in AUDIT_LANGS for s in audit_corp.texts[lang]]
    data = _jsonl(tmp_path / "c.jsonl", rows)
    base = [
        "audit",
        "gpt2",
        "--corpus",
        f"hf:{data}",
        "--lang-column",
        "lang",
        "--reference",
        "none",
        "--no-html",
        "--no-reachability",
    ]
    assert cli_main(base + ["--out", str(tmp_path / "whole")]) == 0
    for i in (0, 1):
        assert cli_main(base + ["--shard", f"{i}/2", "--out", str(tmp_path / f"part{i}")]) == 0
        assert (tmp_path / f"part{i}" / "corpus_stats.json.gz").is_file()
        part = json.loads((tmp_path / f"part{i}" / "report.json").read_text())
        assert 0 < part["corpus"]["lines"] < len(rows)  # each shard saw a part
    assert (
        cli_main(
            [
                "audit",
                "gpt2",
                "--merge",
                str(tmp_path / "part0"),
                "--merge",
                str(tmp_path / "part1"),
                "--reference",
                "none",
                "--no-html",
                "--no-reachability",
                "--out",
                str(tmp_path / "merged"),
            ]
        )
        == 0
    )
    assert cli_main(base + ["--num-proc", "2", "--out", str(tmp_path / "np2")]) == 0
    assert cli_main(base + ["--cluster", "local", "--out", str(tmp_path / "dask")]) == 0
    capsys.readouterr()
    whole = json.loads((tmp_path / "whole" / "report.json").read_text())["languages"]
    for other in ("merged", "np2", "dask"):
        got = json.loads((tmp_path / other / "report.json").read_text())["languages"]
        assert got == whole, other
    assert cli_main(base + ["--shard", "2/2", "--out", str(tmp_path / "bad")]) == 2
    assert "expected I/N" in capsys.readouterr().err


def test_audit_with_hf_corpus_in_python(gpt2, audit_corp, tmp_path):
    rows = [{"text": s, "lang": lang} for lang in AUDIT_LANGS for s in audit_corp.texts[lang][:50]]
    data = _jsonl(tmp_path / "c.jsonl", rows)
    rep = _audit([gpt2], f"hf:{data}", lang_column="lang", **SMALL)
    assert {r["language"] for r in rep.languages} == set(AUDIT_LANGS)
    assert rep.corpus["lines"] == len(rows) and any("not parallel" in w for w in rep.warnings)
    c = load_corpus(f"hf:{data}")
    assert c.name.startswith("hf:")
