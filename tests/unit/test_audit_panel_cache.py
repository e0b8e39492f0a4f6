"""The reference panel cache's settings and keys (issue 29), without tokenizers: what changes a number changes
its key, what does not read back exactly is not stored, and an unknown setting is an error before any work.
On real tokenizers: tests/real/test_audit_panel_cache_real.py."""

from __future__ import annotations

import pytest

from tokforge.audit import panel_cache as pc
from tokforge.audit import panel_keys as pk
from tokforge.audit.config import AuditConfig
from tokforge.audit.core import audit_tokenizers
from tokforge.audit.overlap import overlap_tables
from tokforge.audit.sources import Corpus
from tokforge.errors import InputError, TokforgeError


@pytest.mark.parametrize(
    "env, mode",
    [(None, "on"), ("", "on"), ("1", "on"), ("ON", "on"), ("0", "off"), ("off", "off"), ("refresh", "refresh")],
)
def test_cache_setting_from_the_environment(monkeypatch, env, mode):
    if env is None:
        monkeypatch.delenv(pc.ENV, raising=False)
    else:
        monkeypatch.setenv(pc.ENV, env)
    assert pc.cache_mode() == mode
    assert pc.cache_mode("off") == "off"  # the config's setting wins over the environment


def test_an_unknown_setting_is_a_one_line_error_before_any_tokenizer_loads(monkeypatch):
    monkeypatch.setenv(pc.ENV, "sometimes")
    with pytest.raises(InputError, match="unknown reference panel cache setting 'sometimes': TOKFORGE_AUDIT_CACHE"):
        audit_tokenizers(["/no/such/tokenizer.json"], False, config=AuditConfig(reference="default"))
    with pytest.raises(TokforgeError, match="unknown panel_cache setting 'never'"):
        AuditConfig(panel_cache="never")


def test_the_cli_refuses_an_unknown_panel_cache(tmp_path, capsys):
    from tokforge_cli.main import main

    assert main(["audit", "gpt2", "--no-corpus", "--panel-cache", "maybe", "--out", str(tmp_path / "o")]) == 2
    assert "--panel-cache" in capsys.readouterr().err and not (tmp_path / "o").exists()


def _corpus(texts: dict, parallel: bool = True) -> Corpus:
    keys = {k: [str(i) for i in range(len(v))] for k, v in texts.items()} if parallel else None
    return Corpus("c", {k: list(v) for k, v in texts.items()}, keys)


def test_the_corpus_key_is_the_text_the_alignment_and_the_baseline():
    texts = {"eng_Latn": ["a b", "c d", "e"], "fra_Latn": ["x y", "z", "w"]}
    key = pk.corpus_key(_corpus(texts), "eng_Latn")
    assert key == pk.corpus_key(_corpus(texts), "eng_Latn")  # same content, another object: same key
    assert key == pk.corpus_key(Corpus("another name", _corpus(texts).texts, _corpus(texts).keys), "eng_Latn")
    others = [
        pk.corpus_key(_corpus({k: v[:2] for k, v in texts.items()}), "eng_Latn"),  # another limit
        pk.corpus_key(_corpus({"eng_Latn": texts["eng_Latn"]}), "eng_Latn"),  # other languages
        pk.corpus_key(_corpus({"fra_Latn": texts["fra_Latn"], "eng_Latn": texts["eng_Latn"]}), "eng_Latn"),  # order
        pk.corpus_key(_corpus({**texts, "fra_Latn": ["x y", "z", "v"]}), "eng_Latn"),  # one line
        pk.corpus_key(_corpus({**texts, "fra_Latn": ["x ", "yz", "w"]}), "eng_Latn"),  # the same text cut elsewhere
        pk.corpus_key(_corpus(texts, parallel=False), "eng_Latn"),  # no alignment
        pk.corpus_key(_corpus(texts), "fra_Latn"),  # parity against another language
    ]
    assert len({key, *others}) == 1 + len(others)
    assert pk.corpus_key(object(), "eng_Latn") is None  # a streamed corpus is not identified


def test_the_vocabulary_key_is_the_settings_that_change_the_entry():
    keys = {
        pk.vocab_key(False, None, 1000),
        pk.vocab_key(True, None, 1000),
        pk.vocab_key(False, ["en"], 1000),
        pk.vocab_key(False, None, 200),
    }
    assert len(keys) == 4 and pk.vocab_key(False, ("en",), 1000) == pk.vocab_key(False, ["en"], 1000)


def test_only_values_that_read_back_exactly_are_stored():
    assert pk.dump_exact({"a": [1, 2.5, float("nan"), None, True, "x"]}) is not None
    assert pk.dump_exact({1: "int key"}) is None  # would come back as "1"
    assert pk.dump_exact(("a", 1)) is None  # would come back as a list
    assert pk.dump_exact({"x": {1, 2}}) is None


def test_the_content_hash_is_remembered_until_a_file_changes(tmp_path):
    folder = tmp_path / "tok"
    folder.mkdir()
    (folder / "tokenizer.json").write_text('{"a": 1}')
    (folder / "model.safetensors").write_bytes(b"weights are not the tokenizer")
    memo = tmp_path / "memo.json"
    first = pk.content_sha(folder, memo)
    assert memo.is_file() and pk.content_sha(folder, memo) == first
    (folder / "model.safetensors").write_bytes(b"other weights")
    assert pk.content_sha(folder, memo) == first
    (folder / "tokenizer.json").write_text('{"a": 2}')
    assert pk.content_sha(folder, memo) != first


def test_overlap_with_known_counts_equals_counting_them():
    sets = {"a": {b"x", b"y", b"z"}, "b": {b"x", b"q"}, "c": set()}
    assert overlap_tables(sets, {("a", "b"): 1, ("b", "a"): 1}) == overlap_tables(sets)
