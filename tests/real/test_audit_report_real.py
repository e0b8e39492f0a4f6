"""Tests on real artifacts (the synthetic ones: tests/unit/test_audit_report.py). audit() end to end on real
tokenizers: exact token counts, report files, warnings, CLI, FLORES."""

from __future__ import annotations

import json
import math

import pytest
from tokforge_cli.main import main as cli_main

from tokforge.audit.config import AuditConfig
from tokforge.audit.core import audit_tokenizers
from tokforge.audit.report import AuditReport
from tokforge.audit.sources import Corpus, default_corpus, load_corpus
from tokforge.errors import InputError

SMALL = dict(coverage_langs=["en", "ru"], coverage_top=500, reachability=False, progress=False)


def _audit(tokenizers, corpus, progress=False, **config):
    """The public call with the loose keywords of older tests gathered into an `AuditConfig`."""
    return audit_tokenizers(tokenizers, corpus, config=AuditConfig(**config), progress=progress)


@pytest.fixture(scope="module")
def builtin_small():
    return default_corpus(["eng_Latn", "rus_Cyrl", "zho_Hans", "hin_Deva"], limit=60)


def test_token_counts_are_the_encoders_own(gpt2, smollm2_tok, builtin_small):
    rep = _audit([gpt2, smollm2_tok], builtin_small, **SMALL)
    rows = {(r["tokenizer"], r["language"]): r for r in rep.languages}
    for tok in (gpt2, smollm2_tok):
        for lang, lines in builtin_small.texts.items():
            assert rows[tok.name, lang]["tokens"] == sum(len(tok.encode(s)) for s in lines)
            assert rows[tok.name, lang]["bytes"] == sum(len(s.encode()) for s in lines)
    assert rows["gpt2", "eng_Latn"]["parity"] == 1.0
    assert rows["gpt2", "rus_Cyrl"]["parity"] > rows["smollm2-135m", "rus_Cyrl"]["parity"] * 0.5 > 0
    # the split-word share is a real share and English words are split less than Hindi ones
    assert 0 <= rows["gpt2", "eng_Latn"]["split_word_share"] < rows["gpt2", "hin_Deva"]["split_word_share"] <= 1


def test_report_files_schema_and_html(tmp_path, gpt2, smollm2_tok, builtin_small):
    rep = _audit([gpt2, smollm2_tok], builtin_small, diff=("gpt2", "smollm2-135m"), **SMALL)
    out = rep.save(tmp_path / "rep")
    d = json.loads((out / "report.json").read_text())
    assert d["format"] == "tokforge.audit" and d["version"] == 2
    assert [t["name"] for t in d["tokenizers"]] == ["gpt2", "smollm2-135m"]
    assert set(d["tokenizers"][0]["qtok"]["percent"]) >= {"control_tokens", "unicode_flanks", "inner_errors"}
    assert d["overlap"]["jaccard"]["gpt2"]["gpt2"] == 1.0 and 0 < d["overlap"]["jaccard"]["gpt2"]["smollm2-135m"] < 1
    assert d["diff"]["n_common"] + d["diff"]["n_only_a"] == 50256
    assert AuditReport.from_dict(d).summary_table().shape[0] == 2
    for f in ("summary.csv", "languages.csv", "qtok_percent.csv", "scripts.csv", "overlap_jaccard.csv", "diff.txt"):
        assert (out / f).is_file(), f
    page = (out / "report.html").read_text()
    assert "vegaEmbed" in page and "<script src" not in page and "tbl-languages" in page  # JS inlined, no fetch
    assert "Russian (rus_Cyrl)" in page and "Read with care" in page  # names, small-corpus caveat
    static = rep.save(tmp_path / "static", static=True)
    assert (static / "report.html").read_text().count("data:image/png;base64,") >= 6
    assert len(list(static.glob("chart-*.png"))) >= 6
    rep.save(out)  # an earlier report folder is replaced, not refused
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("mine")
    with pytest.raises(InputError, match="not an earlier audit report"):
        rep.save(tmp_path / "other")


def test_audit_leaves_the_callers_tokenizer_alone():
    from tokforge import load_tokenizer

    tok = load_tokenizer("gpt2")  # its own object, not the shared fixture
    before = dict(vars(tok))
    rep = _audit([tok, tok], False, reference=None, **SMALL)  # the same name twice: the audit names them apart
    assert [t["name"] for t in rep.to_dict()["tokenizers"]] == ["gpt2#1", "gpt2#2"]
    assert tok.name == "gpt2" and vars(tok).keys() == before.keys()
    assert all(vars(tok)[k] is v for k, v in before.items() if k != "_backend")


def test_partial_failures_become_warnings(gpt2, tmp_path):
    c = Corpus("mixed", {"eng_Latn": ["Hello world."], "xxx_Latn": ["", "  "]})
    from tokforge.audit.sources import drop_empty

    rep = _audit([gpt2, str(tmp_path / "missing.json")], drop_empty(c), **SMALL)
    assert rep.names == ["gpt2"]
    assert any("missing.json" in w and "failed to load" in w for w in rep.warnings)
    assert any("'xxx_Latn' has no text" in w for w in rep.warnings)
    assert any("not parallel" in w for w in rep.warnings)


def test_cli_writes_report_and_errors_cleanly(tmp_path, capsys):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "eng_Latn.txt").write_text("The cat sat on the mat.\nA second line.\n")
    (folder / "deu_Latn.txt").write_text("Die Katze saß auf der Matte.\n")
    rc = cli_main(
        ["audit", "gpt2", "--corpus", str(folder), "--out", str(tmp_path / "o"), "--no-html", "--reference", "none"]
    )
    out = capsys.readouterr()
    assert rc == 0 and (tmp_path / "o" / "report.json").is_file(), out.err
    assert "gpt2" in out.out and "not parallel" in out.out
    assert "1 tokenizer ·" in out.out and "1 tokenizers" not in out.out
    # one of two tokenizers fails to load: the other's report is written, the exit code says it
    rc = cli_main(
        [
            "audit",
            "gpt2",
            str(tmp_path / "nope.json"),
            "--corpus",
            str(folder),
            "--out",
            str(tmp_path / "o3"),
            "--no-html",
            "--reference",
            "none",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and (tmp_path / "o3" / "report.json").is_file()
    assert "1 of 2 tokenizers failed" in err and "report of the others was written" in err
    d = json.loads((tmp_path / "o3" / "report.json").read_text())
    assert d["failed"][0]["tokenizer"].endswith("nope.json") and [t["name"] for t in d["tokenizers"]] == ["gpt2"]
    rc = cli_main(["audit", str(tmp_path / "nope.model"), "--no-corpus", "--out", str(tmp_path / "o2")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: no tokenizer could be loaded") and err.count("\n") == 1
    assert not (tmp_path / "o2").exists()
    for flag, value in (("--langs", "eng_Latn,,deu_Latn"), ("--viewer-langs", "eng_Latn,eng_Latn")):  # one parser
        rc = cli_main(["audit", "gpt2", "--corpus", str(folder), "--out", str(tmp_path / "o4"), flag, value])
        err = capsys.readouterr().err
        assert rc == 2 and f"in {flag}:" in err and err.count("\n") == 1 and not (tmp_path / "o4").exists()


def test_flores_corpus_metrics(flores, gemma3_tok, smollm2_tok):
    langs = ["eng_Latn", "fra_Latn", "rus_Cyrl", "zho_Hans", "tha_Thai", "amh_Ethi"]
    rep = _audit([smollm2_tok, gemma3_tok], f"flores200:{flores}", langs=langs + ["qqq_Latn"], limit=40, **SMALL)
    assert any("qqq_Latn" in w for w in rep.warnings)
    par = rep.parity_table()
    assert list(par.columns) == ["smollm2-135m", "gemma3-270m"] and par.loc["eng_Latn"].tolist() == [1.0, 1.0]
    # Gemma-3's multilingual vocabulary is cheaper than SmolLM2's English one on every non-Latin language here
    for lang in ("rus_Cyrl", "zho_Hans", "tha_Thai", "amh_Ethi"):
        assert par.loc[lang, "gemma3-270m"] < par.loc[lang, "smollm2-135m"]
    lt = rep.language_table().set_index(["tokenizer", "language"])
    assert lt.loc[("gemma3-270m", "zho_Hans"), "fertility_unit"] == "char"
    assert lt.loc[("gemma3-270m", "eng_Latn"), "fertility_unit"] == "word"
    assert math.isnan(lt.loc[("gemma3-270m", "zho_Hans"), "split_word_share"])
    for (_, lang), row in lt.iterrows():
        assert 0 < row.renyi_efficiency < 1 and 0 < row.utilisation < 1 and row.unk_rate == 0


@pytest.mark.parametrize("name", ["mistral-v1"])
def test_dummy_prefix_tokenizer_on_flores(flores, name):
    from helpers.artifacts import real_tokenizer

    tok = real_tokenizer(name)
    c = load_corpus(f"flores200:{flores}", langs=["eng_Latn", "deu_Latn"], limit=50)
    rep = _audit([tok], c, **SMALL)
    rows = {r["language"]: r for r in rep.languages}
    for lang, lines in c.texts.items():
        assert rows[lang]["tokens"] == sum(len(tok.encode(s)) for s in lines)
        assert 0 < rows[lang]["split_word_share"] < 1  # decoded bytes line up despite the dummy prefix


def test_reference_panel_viewer_and_probes(gpt2, smollm2_tok, mistral_v1, builtin_small):
    rep = _audit(
        [gpt2],
        builtin_small,
        reference=["smollm2-135m", "no-such-artifact"],
        viewer_langs=["rus_Cyrl", "xxx_Latn"],
        **SMALL,
    )
    assert [(t["name"], t["reference"]) for t in rep.tokenizers] == [("gpt2", False), ("smollm2-135m", True)]
    assert any("no-such-artifact" in w and "left out" in w for w in rep.warnings) and not rep.failed
    assert any("xxx_Latn" in w and "token viewer" in w for w in rep.warnings)  # asked for, no sample: said
    assert rep.summary_table().set_index("tokenizer").loc["smollm2-135m", "role"] == "reference"
    assert "1 tokenizer + 1 reference" in rep.subtitle()
    # the viewer's pieces are the encoder's tokens; digits: SmolLM2 splits one digit at a time, GPT-2 freely
    from tokforge.audit import probes

    split = rep.viewer["splits"]["gpt2"]["rus_Cyrl"]
    assert len(split) == len(gpt2.encode(probes.SAMPLES["rus_Cyrl"]))
    probe = {t["name"]: t["probes"] for t in rep.tokenizers}
    assert probe["smollm2-135m"]["digit_grouping"] == "1-digit" and probe["gpt2"]["digit_grouping"] == "free"
    assert probe["gpt2"]["whitespace"]["spaces"]["16"] > probe["smollm2-135m"]["whitespace"]["spaces"]["16"] >= 2
    # a rare character: byte-fallback tokens in Mistral v1, partial-UTF-8 pieces in GPT-2
    kinds = {name: {k for _, k in probes.split(t, "ꙮ")} for name, t in (("m", mistral_v1), ("g", gpt2))}
    assert "f" in kinds["m"] and "p" in kinds["g"]
