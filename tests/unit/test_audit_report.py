"""Tiny synthetic tests (the real-artifact ones: tests/real/test_audit_report_real.py). audit() end to end on
real tokenizers: exact token counts, report files, warnings, CLI, FLORES."""

from __future__ import annotations

import pytest

from tokforge.audit import audit, default_corpus, load_corpus
from tokforge.errors import InputError, LoadError


def test_default_corpus_is_real_parallel_text():
    c = default_corpus()
    assert len(c.texts) > 80 and c.parallel and "eng_Latn" in c.texts
    ru = dict(zip(c.keys["rus_Cyrl"], c.texts["rus_Cyrl"]))
    assert ru["Germany"] == "Германия" and ru["France"] == "Франция"


def test_bad_file_in_a_folder_is_a_warning(tmp_path):
    (tmp_path / "eng_Latn.txt").write_text("Hello there.\n")
    (tmp_path / "fra_Latn.txt").write_bytes(b"caf\xe9\n")  # Latin-1, not UTF-8
    (tmp_path / "deu_Latn.txt").write_text("\n\n")
    c = load_corpus(str(tmp_path))
    assert list(c.texts) == ["eng_Latn"]
    assert any("not UTF-8" in w and "fra_Latn" in w for w in c.warnings)
    assert any("'deu_Latn' has no text" in w for w in c.warnings)
    (tmp_path / "eng_Latn.txt").write_bytes(b"\xff")
    (tmp_path / "deu_Latn.txt").unlink()
    with pytest.raises(InputError, match="no readable text"):
        load_corpus(str(tmp_path))


def test_folder_corpus_names_missing_languages(tmp_path):
    (tmp_path / "eng_Latn.txt").write_text("Hello there.\n")
    (tmp_path / "fra_Latn.txt").write_text("Bonjour.\n")
    c = load_corpus(str(tmp_path), langs=["eng_Latn", "deu_Latn"])
    assert list(c.texts) == ["eng_Latn"]
    assert any("deu_Latn" in w and "no file" in w for w in c.warnings)  # asked for, not there: said so
    with pytest.raises(InputError, match="none of the requested languages"):
        load_corpus(str(tmp_path), langs=["deu_Latn"])
    with pytest.raises(InputError, match="holds language 'eng_Latn'"):
        load_corpus(str(tmp_path / "eng_Latn.txt"), langs=["deu_Latn"])


def test_total_failures_are_one_line_errors(tmp_path):
    with pytest.raises(LoadError, match="no tokenizer could be loaded"):
        audit([str(tmp_path / "nope.json")], False, progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no LANG.txt"):
        load_corpus(str(tmp_path / "empty"))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok\n\xff\xfe broken")
    with pytest.raises(InputError, match="not UTF-8"):
        load_corpus(str(bad))
    (tmp_path / "blank.txt").write_text("\n \n")
    with pytest.raises(InputError, match="corpus has no text"):
        load_corpus(str(tmp_path / "blank.txt"))
