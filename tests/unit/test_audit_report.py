"""Tiny synthetic tests (the real-artifact ones: tests/real/test_audit_report_real.py). audit() end to end on
real tokenizers: exact token counts, report files, warnings, CLI, FLORES."""

from __future__ import annotations

import pytest

from tokforge.audit.config import AuditConfig
from tokforge.audit.core import audit_tokenizers
from tokforge.audit.sources import default_corpus, load_corpus
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
        audit_tokenizers([str(tmp_path / "nope.json")], False, progress=False)
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


def test_audit_config_is_frozen_and_checked_on_construction():
    import dataclasses

    from tokforge.errors import UnknownNameError

    cfg = AuditConfig(langs=["eng_Latn"], merge=["a"], diff=["x", "y"])
    assert cfg.langs == ("eng_Latn",) and cfg.merge == ("a",) and cfg.diff == ("x", "y")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.limit = 3
    with pytest.raises(UnknownNameError, match="unknown FLORES split 'test'"):
        AuditConfig(split="test")
    with pytest.raises(InputError, match="limit must be a positive integer"):
        AuditConfig(limit=0)
    with pytest.raises(InputError, match=r"shard must be \(i, n\)"):
        AuditConfig(shard=(3, 2))
    with pytest.raises(InputError, match="langs must be a list of strings"):
        AuditConfig(langs="eng_Latn")
    with pytest.raises(UnknownNameError, match="unknown reference panel"):
        AuditConfig(reference="all")
    with pytest.raises(InputError, match="config must be an AuditConfig"):
        audit_tokenizers(["gpt2"], False, config={"limit": 3})


def test_vocabulary_audit_writes_the_report_without_the_plots_extra(tmp_path, monkeypatch):
    """A core install (no vl-convert-python, no matplotlib): report.json, CSV and an HTML page without
    charts, with a printed warning; asking for the PNG page is one line naming the extra."""
    import sys

    from helpers.tiny import greedy_tokenizer

    from tokforge.audit import vega_bundle
    from tokforge.errors import MissingExtraError, TokforgeWarning

    tok = greedy_tokenizer([bytes([i]) for i in range(256)] + [b"th", b"the", b" the"])
    monkeypatch.setitem(sys.modules, "vl_convert", None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    vega_bundle.bundle.cache_clear()
    cfg = AuditConfig(coverage_langs=["en"], coverage_top=50)
    rep = audit_tokenizers(tok, False, config=cfg, progress=False)
    with pytest.warns(TokforgeWarning, match="no charts"):
        out = rep.save(tmp_path / "audit")
    vega_bundle.bundle.cache_clear()
    page = (out / "report.html").read_text(encoding="utf-8")
    assert (out / "report.json").is_file() and list(out.glob("*.csv"))
    assert "tokforge[plots]" in page and "vegaEmbed(" in page and "id='specs'" not in page
    with pytest.raises(MissingExtraError, match=r"audit plots needs matplotlib.*tokforge\[plots\]"):
        rep.save(tmp_path / "static", static=True)


def test_audit_imports_no_heavy_or_plotting_module():
    import subprocess
    import sys

    from helpers.paths import REPO

    code = (
        "import sys, tokforge.audit, tokforge.audit.core, tokforge.audit.html, tokforge.audit.static_html, "
        "tokforge.audit.plots, tokforge.audit.parallel\n"
        "heavy = ('torch', 'transformers', 'faiss', 'accelerate', 'matplotlib', 'vl_convert')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr
