"""The reference panel's cache (issue 29) on real tokenizers: a cached audit's panel entries, rows, overlap
and viewer splits are exactly the uncached audit's, and a fully cached panel loads no panel tokenizer
(the second audit below would fail without the cache: loading one raises). The keys and the settings
alone: tests/unit/test_audit_panel_cache.py."""

from __future__ import annotations

import json

import pytest

import tokforge.audit.panel_cache as pc
import tokforge.loaders as loaders
from tokforge.audit.config import AuditConfig
from tokforge.audit.core import audit_tokenizers
from tokforge.audit.inputs import REFERENCE
from tokforge.audit.panel_keys import same

LIGHT = dict(coverage_langs=["en", "ru"], coverage_top=200)


def _audit(tokenizers, corpus, **config):
    return audit_tokenizers(tokenizers, corpus, config=AuditConfig(**config), progress=False)


@pytest.fixture
def panel_root(tmp_path, monkeypatch):
    """An empty panel cache for this test (the artifacts stay where they are)."""
    root = tmp_path / "panel"
    monkeypatch.setattr(pc, "cache_root", lambda: root)
    return root


def _refuse_panel_loading(monkeypatch):
    def refuse(name):
        raise AssertionError(f"panel tokenizer {name!r} was loaded although its measurements are cached")

    monkeypatch.setattr(loaders, "load_builtin", refuse)


def _panel(rep) -> dict:
    """The panel's part of a report, in memory: entries, language rows, viewer splits; and the overlap."""
    names = [t["name"] for t in rep.tokenizers if t["reference"]]
    return {
        "entries": {t["name"]: t for t in rep.tokenizers if t["reference"]},
        "rows": [r for r in rep.languages if r["tokenizer"] in names],
        "splits": {n: rep.viewer["splits"][n] for n in names},
        "overlap": rep.overlap,
        "corpus": rep.corpus,
    }


def _assert_same_panel(want, got) -> None:
    """Field by field, value and type (NaN equals NaN), then the saved JSON as a whole."""
    a, b = _panel(want), _panel(got)
    assert list(a["entries"]) == list(b["entries"]) and a["entries"]
    for name, entry in a["entries"].items():
        for field, value in entry.items():
            assert same(value, b["entries"][name][field]), (name, field)
    assert len(a["rows"]) == len(b["rows"])
    for x, y in zip(a["rows"], b["rows"]):
        for field in x:
            assert same(x[field], y[field]), (x["tokenizer"], x["language"], field)
    for key in ("splits", "overlap", "corpus"):
        assert same(a[key], b[key]), key
    assert json.dumps(want.to_dict()["tokenizers"]) == json.dumps(got.to_dict()["tokenizers"])
    assert want.to_dict()["languages"] == got.to_dict()["languages"]


def test_default_panel_without_corpus_cached_equals_uncached(panel_root, monkeypatch, mistral_v1):
    off = _audit([mistral_v1], False, reference="default", panel_cache="off", **LIGHT)
    assert not panel_root.exists()  # off neither reads nor writes
    first = _audit([mistral_v1], False, reference="default", **LIGHT)  # measured and stored
    _refuse_panel_loading(monkeypatch)
    cached = _audit([mistral_v1], False, reference="default", **LIGHT)
    assert [t["name"] for t in cached.tokenizers if t["reference"]] == list(REFERENCE)
    _assert_same_panel(off, first)
    _assert_same_panel(off, cached)
    assert cached.warnings == off.warnings


def test_panel_on_flores_cached_equals_uncached(panel_root, monkeypatch, flores, mistral_v1):
    corpus = f"flores200:{flores}"
    cfg = dict(
        reference=["gpt2", "smollm2-135m", "mistral-v3"],
        langs=["eng_Latn", "fra_Latn", "rus_Cyrl", "zho_Hans"],
        limit=6,
        viewer_langs=["eng_Latn", "fra_Latn"],  # French: a corpus line, not a built-in sample
        **LIGHT,
    )
    off = _audit([mistral_v1], corpus, panel_cache="off", **cfg)
    _audit([mistral_v1], corpus, **cfg)
    _refuse_panel_loading(monkeypatch)
    cached = _audit([mistral_v1], corpus, **cfg)
    _assert_same_panel(off, cached)
    assert cached.corpus["lines"] == off.corpus["lines"] == 4 * 6
    assert {r["tokenizer"] for r in cached.languages} == {"mistral-v1", "gpt2", "smollm2-135m", "mistral-v3"}
    # another limit is another corpus: its rows are not the cached ones (loading is refused, so it fails)
    with pytest.raises(AssertionError, match="was loaded"):
        _audit([mistral_v1], corpus, **{**cfg, "limit": 7})


def test_refresh_measures_again_and_diff_loads_a_cached_member(panel_root, gpt2, mistral_v1):
    cfg = dict(reference=["gpt2"], **LIGHT)
    off = _audit([mistral_v1], False, panel_cache="off", diff=("mistral-v1", "gpt2"), **cfg)
    _audit([mistral_v1], False, **cfg)
    entry = next(panel_root.glob("gpt2-*/vocab-*.json"))
    entry.write_text(json.dumps({"name": "gpt2", "stale": True}))  # refresh must not read it
    refreshed = _audit([mistral_v1], False, panel_cache="refresh", **cfg)
    assert same(refreshed.tokenizers[1], off.tokenizers[1])
    assert json.loads(entry.read_text())["name"] == "gpt2" and "stale" not in json.loads(entry.read_text())
    # diff= needs gpt2's vocabulary itself: the cached member loads it, and the diff is the uncached one
    cached = _audit([mistral_v1], False, diff=("mistral-v1", "gpt2"), **cfg)
    assert cached.diff == off.diff and cached.diff["n_common"] > 0


def test_streamed_corpus_rows_are_not_cached_and_the_report_says_so(panel_root, mistral_v1, tmp_path):
    data = tmp_path / "eng_Latn.txt"
    data.write_text("The ferry leaves at dawn.\nWe packed our bags the night before.\n", encoding="utf-8")
    cfg = dict(reference=["gpt2"], **LIGHT)
    off = _audit([mistral_v1], f"hf:{data}", panel_cache="off", **cfg)
    for _ in range(2):
        rep = _audit([mistral_v1], f"hf:{data}", **cfg)
        assert any("not cached for a streamed (hf:) corpus" in w for w in rep.warnings)
        assert [r for r in rep.languages if r["tokenizer"] == "gpt2"] == [
            r for r in off.languages if r["tokenizer"] == "gpt2"
        ]
    assert not list(panel_root.glob("gpt2-*/corpus-*.json"))


def test_a_shard_run_keeps_the_panel_in_its_statistics(panel_root, mistral_v1):
    corpus = {"eng_Latn": ["one line", "two lines", "three"], "fra_Latn": ["une ligne", "deux", "trois"]}
    cfg = dict(reference=["gpt2"], **LIGHT)
    _audit([mistral_v1], corpus, **cfg)  # the panel's vocabulary entry is cached now
    rep = _audit([mistral_v1], corpus, shard=(0, 2), **cfg)
    assert set(rep._corpus_stats.accs) == {"mistral-v1", "gpt2"}  # what --merge needs of every shard
