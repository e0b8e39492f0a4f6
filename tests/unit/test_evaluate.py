"""The bits/byte evaluator is fair (bytes the model saw, strided windows, no silent drops), and its public
form `evaluate_model` (model spec, texts as a dict, a list or the default, a result that saves as JSON)."""

from __future__ import annotations

import math

import pytest
import torch
from helpers.texts import TEXT
from helpers.tiny import tiny_lm

from tokforge.errors import InputError, TokforgeWarning
from tokforge.evaluate.bits import EvalConfig, evaluate_languages, nll_stats, windows


def hf_tokenizer(tmp_path, normalizer=None, name="tok"):
    """A small byte-level BPE (optionally with a normaliser) trained on TEXT, loaded by tokforge."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from tokforge import load_tokenizer

    hf = Tokenizer(models.BPE())
    if normalizer is not None:
        hf.normalizer = normalizer
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    hf.train_from_iterator(
        [TEXT] * 3,
        trainers.BpeTrainer(
            vocab_size=300,
            special_tokens=["<s>"],
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    path = tmp_path / name
    path.mkdir()
    hf.save(str(path / "tokenizer.json"))
    return load_tokenizer(path / "tokenizer.json")


def whole_text_bits(model, ids: list[int], ctx: int) -> float:
    """Independent reference: one forward over [ctx] + ids, full-vocabulary log-softmax."""
    with torch.no_grad():
        logits = model(torch.tensor([[ctx] + ids])).logits[0].double()
    lp = torch.log_softmax(logits, -1)[:-1].gather(1, torch.tensor(ids)[:, None])
    return -float(lp.sum()) / math.log(2)


@pytest.mark.parametrize("n", range(0, 41))
def test_windows_score_every_token_once_with_half_context(n):
    for W in range(2, 9):
        for S in range(1, W + 1):
            got = windows(n, W, S)
            scored = [i for _, frm, end in got for i in range(frm, end)]
            assert scored == list(range(n))
            for k, (start, frm, end) in enumerate(got):
                assert 0 <= start <= frm < end <= n and end - start <= W
                if k:
                    assert frm - start >= W - S  # context of the first new token in a later window


def test_one_window_agrees_with_whole_text_computation(tmp_path):
    tok = hf_tokenizer(tmp_path)
    model = tiny_lm(len(tok.vocab))
    ids = tok.encode(TEXT)
    assert 20 < len(ids) < 512
    got = nll_stats(model, tok, [TEXT])
    assert got["tokens"] == len(ids) and got["bytes"] == len(TEXT.encode())
    assert got["bits"] == pytest.approx(whole_text_bits(model, ids, tok.bos_id), rel=1e-6)


def test_strided_windows_give_every_token_half_a_window_of_context(tmp_path):
    """Windows of 16 tokens, stride 8: each token is scored once, from a window that holds >= 8 tokens
    before it (or the whole document so far); the sum equals an explicit per-window reference."""
    tok = hf_tokenizer(tmp_path)
    model = tiny_lm(len(tok.vocab))
    ids = tok.encode(TEXT)
    bos = tok.bos_id
    ref = 0.0
    for start, frm, end in windows(len(ids), 16, 8):
        with torch.no_grad():
            lp = torch.log_softmax(model(torch.tensor([[bos] + ids[start:end]])).logits[0].double(), -1)
        for i in range(frm, end):
            assert i - start >= min(i, 8)
            ref -= float(lp[i - start, ids[i]])
    got = nll_stats(model, tok, [TEXT], cfg=EvalConfig(max_tokens=16, stride=8))
    assert got["tokens"] == len(ids)
    assert got["bits"] == pytest.approx(ref / math.log(2), rel=1e-6)
    # restarting every window from the BOS alone (stride = window) reads less context and scores worse here
    assert got["bits"] != pytest.approx(nll_stats(model, tok, [TEXT], cfg=EvalConfig(16, 16))["bits"], rel=1e-6)


def test_bytes_are_the_bytes_the_model_saw(tmp_path):
    """A tokenizer that drops a character: bits/byte divide by what it kept, and the report says so."""
    from tokenizers import normalizers

    tok = hf_tokenizer(tmp_path, normalizers.Replace("#", ""))
    model = tiny_lm(len(tok.vocab))
    text = TEXT * 12 + "#"  # one dropped byte in ~2,300: below the 0.1% error threshold
    with pytest.warns(TokforgeWarning, match="1 of .* bytes changed"):
        res = evaluate_languages(model, tok, {"en": [text]})["en"]
    assert res["bytes"] == len(text.encode()) - 1 and res["bytes_text"] == len(text.encode())
    assert res["round_trip"] == {
        "documents_changed": 1,
        "bytes_changed": 1,
        "changed_fraction": round(1 / len(text.encode()), 6),
    }
    with pytest.raises(InputError, match="does not reproduce the evaluation text of en"):
        evaluate_languages(model, tok, {"en": ["#" * 5 + TEXT]})


def test_lowercasing_tokenizer_is_an_error(tmp_path):
    from tokenizers import normalizers

    tok = hf_tokenizer(tmp_path, normalizers.Lowercase())
    with pytest.raises(InputError, match=r"bytes changed .*lossless tokenizer"):
        evaluate_languages(tiny_lm(len(tok.vocab)), tok, {"en": [TEXT]})


def test_exact_round_trip_is_recorded(tmp_path):
    tok = hf_tokenizer(tmp_path)
    res = evaluate_languages(tiny_lm(len(tok.vocab)), tok, {"en": [TEXT]})["en"]
    assert res["round_trip"] == "exact" and res["bytes"] == res["bytes_text"]


def test_asked_for_languages_are_never_dropped(tmp_path):
    from tokforge.corpus import read_corpus

    f = tmp_path / "notes.txt"
    f.write_text("one line\nanother line\n")
    assert read_corpus(str(f), langs=["eng_Latn"]) == {"eng_Latn": ["one line", "another line"]}
    with pytest.raises(InputError, match="no text for language.*fra_Latn"):
        read_corpus(str(f), langs=["eng_Latn", "fra_Latn"])
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "eng_Latn.txt").write_text("hello\n")
    with pytest.raises(InputError, match=r"no text for language\(s\) deu_Latn.*it has: eng_Latn"):
        read_corpus(str(tmp_path / "d"), langs=["eng_Latn", "deu_Latn"])
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(InputError, match="empty"):
        read_corpus(str(tmp_path / "empty.txt"))
    with pytest.raises(InputError, match="no evaluation text"):
        evaluate_languages(None, None, {"en": []})


def test_eval_config_refuses_a_bad_value_when_it_is_made():
    for bad, match in [
        ({"max_tokens": 1}, "max_tokens must be at least 2"),
        ({"max_tokens": 8, "stride": 9}, "stride must be between 1 and max_tokens"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"max_loss": 1.5}, "max_loss must be in"),
    ]:
        with pytest.raises(InputError, match=match):
            EvalConfig(**bad)


def test_evaluate_model_is_evaluate_languages_with_a_result(tmp_path):
    import json

    from tokforge.evaluate.api import EvalResult, evaluate_model

    tok = hf_tokenizer(tmp_path)
    model = tiny_lm(len(tok.vocab))
    texts = {"en": [TEXT[:200], TEXT[200:]]}
    res = evaluate_model((model, tok), texts)
    want = evaluate_languages(model, tok, texts)["en"]
    assert isinstance(res, EvalResult) and res.texts == "given"
    assert res.bits_per_byte == {"en": want["bits_per_byte"]} and res.languages["en"]["bytes"] == want["bytes"]
    # a list of lines is one language, "text"; join=False scores each line as its own document
    alone = evaluate_model((model, tok), [TEXT[:200], TEXT[200:]], config=EvalConfig(join=False))
    assert list(alone.languages) == ["text"] and alone.languages["text"]["bits"] != pytest.approx(want["bits"])
    path = res.save(tmp_path / "eval.json")
    back = json.loads(path.read_text())
    assert back["languages"]["en"]["bits_per_byte"] == want["bits_per_byte"] and back["config"]["max_tokens"] == 512
    with pytest.raises(InputError, match="already exists"):
        res.save(path)
    res.save(path, force=True)
    with pytest.raises(InputError, match="texts must be"):
        evaluate_model((model, tok), 42)


def test_evaluate_model_without_texts_or_flores_is_an_error_and_the_embedded_sample_is_asked_for(tmp_path, monkeypatch):
    """No quiet fall-back to toy text: without FLORES and without texts the evaluation refuses (it used to
    evaluate on 6 embedded sentences); ``"embedded"`` asks for them, with a warning."""
    from tokforge import corpus
    from tokforge.evaluate.api import evaluate_model

    monkeypatch.setattr(corpus, "flores_dir", lambda: None)
    tok = hf_tokenizer(tmp_path)
    model = tiny_lm(len(tok.vocab))
    with pytest.raises(InputError, match="no evaluation text: none was given and FLORES-200 was not found"):
        evaluate_model((model, tok))
    with pytest.warns(TokforgeWarning, match="a smoke test, not an evaluation"):
        res = evaluate_model((model, tok), "embedded")
    assert list(res.languages) == ["embedded_en"] and res.texts.startswith("embedded English sample")


def test_transplant_refuses_missing_eval_languages_before_loading(tmp_path):
    from tokforge.transplant.api import TransplantConfig, transplant_model

    tok = hf_tokenizer(tmp_path)
    (tmp_path / "en.txt").write_text(TEXT)
    with pytest.raises(InputError, match="no text for language"):
        transplant_model(
            "no-such-model-dir",
            tok,
            config=TransplantConfig(
                method="fvt", eval_spec=str(tmp_path / "en.txt"), eval_langs=["eng_Latn", "fra_Latn"]
            ),
            progress=False,
        )


def test_transplant_report_records_round_trip_and_source(tmp_path):
    from tokforge.transplant.api import TransplantConfig, transplant_model

    old = hf_tokenizer(tmp_path, name="old")
    (tmp_path / "en.txt").write_text(TEXT)
    rep = transplant_model(
        (tiny_lm(len(old.vocab)), old),
        old,
        config=TransplantConfig(method="fvt", eval_spec=str(tmp_path / "en.txt")),
        progress=False,
    ).report
    ev = rep["evaluation"]
    assert ev["texts"] == str(tmp_path / "en.txt")
    assert ev["comparison"]["en"]["round_trip_new"] == "exact" and ev["original"]["en"]["round_trip"] == "exact"
    rep = transplant_model(
        (tiny_lm(len(old.vocab)), old), old, config=TransplantConfig(method="fvt", evaluate=False)
    ).report
    assert rep["evaluation"] == {"skipped": "skipped (evaluate=False)"}
