"""Tests on real artifacts (the synthetic ones: tests/unit/test_hypernet.py). Hypernetwork (ZeTT-style):
sampler, step-0 == fvt, training lowers the loss, save/load, errors.

Fast: tiny random Llama models built on the fly over the REAL SmolLM2 tokenizer (49,152 tokens),
real new tokenizers (GPT-2) and FLORES/tinyshakespeare text."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers.tiny import tiny_llama

import tokforge.transplant.hypernet.train as hn_train  # noqa: E402
from tokforge import corpus
from tokforge.errors import InputError, LoadError
from tokforge.tokenizer import Tokenizer
from tokforge.transplant.hypernet import io as hio  # noqa: E402
from tokforge.transplant.hypernet.api import train_hypernet
from tokforge.transplant.hypernet.config import LOG, HypernetConfig
from tokforge.transplant.hypernet.model import HyperNet, HyperNetConfig, source_matrices  # noqa: E402
from tokforge.transplant.hypernet.plan import build_plan  # noqa: E402
from tokforge.transplant.hypernet.sampler import SamplerConfig, TokenizerSampler  # noqa: E402
from tokforge.vocab import Vocab

TINY_SAMPLER = SamplerConfig(min_vocab=600, max_vocab=1500, window=4)


TINY_NET = HyperNetConfig(hidden=32, layers=1, heads=2, max_len=8)


@pytest.fixture(scope="module")
def smol_tok(smollm2_tok):
    return smollm2_tok


@pytest.fixture(scope="module")
def texts(shakespeare):
    return [p for p in corpus.read_text(shakespeare)[:120_000].split("\n\n") if p.strip()]


TINY = dict(hidden=32, layers=1, heads=2, max_len=8, min_vocab=600, max_vocab=1500, window=4)  # TINY_NET, TINY_SAMPLER


def _cfg(**kw):
    base = dict(steps=4, batch_size=4, seq_len=32, lr=3e-3, warmup=2, negatives=128, save_every=2, seed=0, **TINY)
    return HypernetConfig(**{**base, **kw})


def _train(model, tok, texts, out, cfg, **kw):
    return train_hypernet((model, tok), texts, config=cfg, out=out, progress=False, **kw).path


def test_sampler_all_bytes_size_range_seeded(texts):
    s = TokenizerSampler(SamplerConfig(min_vocab=1000, max_vocab=3000, window=8))
    for i in range(0, 40, 5):
        s.add_text(texts[i : i + 5])
    a, b, c = s.sample([1, 2]), s.sample([1, 2]), s.sample([1, 3])
    assert a.vocab.tokens == b.vocab.tokens and a.vocab.tokens != c.vocab.tokens
    assert 1000 <= len(a) <= 3000 and set(a.vocab.tokens[:256]) == {bytes([i]) for i in range(256)}
    assert len(set(a.vocab.tokens)) == len(a)
    text = texts[100] + " \u00e9\u4e2d\U0001f600"
    ids = a.encode_batch([text])[0]
    assert b"".join(a.vocab.tokens[i] for i in ids) == text.encode()  # lossless, even on unseen characters
    assert isinstance(a, Tokenizer) and a.lossless and a.decode_bytes(ids) == text.encode()
    assert len(ids) < len(text.encode())  # and it merges


@pytest.mark.parametrize("tied", [True, False])
def test_step0_prediction_equals_fvt(smol_tok, gpt2, tied):
    """Untrained network == fvt row for row, on both sides, through the real registry and apply_plan."""
    from tokforge.surgery.apply import apply_plan
    from tokforge.transplant.registry import TransplantContext, get_method

    model = tiny_llama(len(smol_tok.vocab), tied)
    emb, head, is_tied = source_matrices(model)
    assert is_tied == tied
    net = HyperNet(TINY_NET.for_model(32, tied), emb, head)
    fvt = get_method("fvt")(TransplantContext(smol_tok, gpt2, model=model))
    ours = build_plan(model, smol_tok, gpt2, "<unsaved>", net=net)
    assert ours.notes["predicted"] > 10_000  # GPT-2 tokens SmolLM2 does not have
    m_fvt, m_hn = tiny_llama(len(smol_tok.vocab), tied), tiny_llama(len(smol_tok.vocab), tied)
    apply_plan(m_fvt, fvt, gpt2)
    apply_plan(m_hn, ours, gpt2)
    a, b = m_fvt.get_input_embeddings().weight, m_hn.get_input_embeddings().weight
    assert a.shape == (len(gpt2.vocab), 32)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    if not tied:
        torch.testing.assert_close(
            m_fvt.get_output_embeddings().weight, m_hn.get_output_embeddings().weight, atol=1e-5, rtol=1e-5
        )


def test_training_lowers_held_out_loss(smol_tok, texts):
    """A few steps on a tiny untied model: the loss on a fixed, never-trained-on tokenizer and text goes down."""
    model = tiny_llama(len(smol_tok.vocab), tied=False)
    tr = hn_train.Trainer(model, smol_tok, texts[:-40], _cfg(steps=30, lr=1e-2))
    held = TokenizerSampler(TINY_SAMPLER)
    held.add_text(texts[-40:])
    tok = held.sample([99])
    enc = tok.encode_batch(texts[-40:-30])

    def loss():
        return hn_train.held_out_loss(tr.net, model, smol_tok, tok.vocab.tokens, enc, 32)

    before = loss()
    tr.prefill(0)
    logs = [tr.train_step() for _ in range(30)]
    after = loss()
    assert np.isfinite([r["loss"] for r in logs]).all()
    assert after < before - 0.02, (before, after)


def test_train_save_load_resume(smol_tok, texts, tmp_path):
    model = tiny_llama(len(smol_tok.vocab), tied=False)
    full = _train(model, smol_tok, texts, tmp_path / "full", _cfg())
    cfg = hio.read_config(full)
    assert cfg["base"]["name"] == "smollm2-135m" and cfg["base"]["tied"] is False
    assert len((full / LOG).read_text().splitlines()) == 4
    # interrupted after 2 steps, then resumed to 4: the same weights as one uninterrupted run
    half = _train(model, smol_tok, texts, tmp_path / "half", _cfg(steps=2))
    (half / hio.CONFIG).unlink()
    with pytest.raises(InputError, match=r"unfinished run.s checkpoint.*pass resume=True"):
        _train(model, smol_tok, texts, half, _cfg())
    _train(model, smol_tok, texts, half, _cfg(), resume=True)
    a, b = hio.load(full, model, smol_tok), hio.load(half, model, smol_tok)
    for (k, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        torch.testing.assert_close(x, y, msg=k)
    assert [ln.split('"lr"')[0] for ln in (half / LOG).read_text().splitlines()] == [
        ln.split('"lr"')[0] for ln in (full / LOG).read_text().splitlines()
    ]
    ids = torch.tensor([[5, 6, -1], [7, -1, -1]])
    p1, p2 = a(ids, torch.tensor([2, 1])), b(ids, torch.tensor([2, 1]))
    torch.testing.assert_close(p1[1], p2[1])
    with pytest.raises(InputError, match=r"already holds a trained hypernetwork.*out=DIR.*force=True"):
        _train(model, smol_tok, texts, full, _cfg())


def test_train_without_out_then_save(smol_tok, texts, tmp_path):
    model = tiny_llama(len(smol_tok.vocab), tied=True)
    result = train_hypernet((model, smol_tok), texts, config=_cfg(steps=1), progress=False)
    assert result.path is None and result.report["training"]["final"]["step"] == 0
    assert result.report["base"]["name"] == "smollm2-135m"
    out = result.save(tmp_path / "saved")
    assert hio.read_config(out) == result.report
    hio.load(out, model, smol_tok)
    with pytest.raises(InputError, match="already exists"):
        result.save(out)
    with pytest.raises(InputError, match="resume needs the folder"):
        train_hypernet((model, smol_tok), texts, config=_cfg(steps=1), resume=True)
    with pytest.raises(InputError, match="texts must be a list of strings"):
        train_hypernet((model, smol_tok), "some text", config=_cfg(steps=1))


def test_mismatched_base_model_is_refused(smol_tok, gpt2, texts, tmp_path):
    model = tiny_llama(len(smol_tok.vocab), tied=True)
    out = _train(model, smol_tok, texts, tmp_path / "h", _cfg(steps=1))
    other = tiny_llama(len(smol_tok.vocab), tied=True, seed=1)  # same vocab, other weights
    with pytest.raises(InputError, match="different base model.*embedding_sha256"):
        hio.load(out, other, smol_tok)
    with pytest.raises(InputError, match="different base model"):
        hio.load(out, tiny_llama(len(gpt2.vocab), tied=True), gpt2)
    with pytest.raises(LoadError, match="cannot read a trained hypernetwork"):
        hio.load(tmp_path, model, smol_tok)


def test_net_config_dataclass_from_model_and_saved_dicts(smol_tok, texts):
    cfg = TINY_NET.for_model(32, False)
    assert (cfg.d_model, cfg.tied, TINY_NET.d_model, TINY_NET.tied) == (32, False, None, None)
    saved = {"d_model": 32, "hidden": 32, "layers": 1, "heads": 2, "max_len": 8, "tied": False}  # config.json's form
    assert HyperNetConfig.from_dict(saved) == cfg
    with pytest.raises(LoadError, match="unreadable hypernetwork config"):
        HyperNetConfig.from_dict({**saved, "width": 3})
    with pytest.raises(InputError, match="d_model does not match"):
        HyperNetConfig(d_model=64).for_model(32, True)
    with pytest.raises(InputError, match="lacks the base model"):
        HyperNet(TINY_NET, torch.zeros(4, 32))
    model = tiny_llama(len(smol_tok.vocab), tied=True)
    with pytest.raises(InputError, match="must be a HypernetConfig, not dict"):
        hn_train.Trainer(model, smol_tok, texts, dict(hidden=32))


def test_no_decomposable_tokens_is_an_error(smol_tok):
    model = tiny_llama(len(smol_tok.vocab), tied=True)
    emb, head, _ = source_matrices(model)
    net = HyperNet(TINY_NET.for_model(32, True), emb, head)
    # SmolLM2's byte-level BPE has no token for the bytes 0xC0/0xFF (never valid UTF-8)
    assert smol_tok.vocab.id_of(b"\xc0") is None and smol_tok.vocab.id_of(b"\xff") is None
    new = Tokenizer(Vocab([b"\xc0", b"\xff\xc0", b"\xc0\xc0"]), lambda t, s: [], name="no-overlap")
    with pytest.raises(InputError, match="no token the original tokenizer can spell"):
        build_plan(model, smol_tok, new, "<unsaved>", net=net)


def test_registry_requires_hypernet_folder(smol_tok, gpt2):
    from tokforge.transplant.registry import TransplantContext, get_method

    with pytest.raises(InputError, match="hypernet=DIR"):
        get_method("hypernet")(TransplantContext(smol_tok, gpt2, model=tiny_llama(len(smol_tok.vocab), True)))


def test_recon_spellings_exclude_the_token_and_keep_identity(smol_tok):
    from tokforge.transplant.hypernet.recon import self_spellings

    ids, spell, lens = self_spellings(smol_tok.vocab, identity=True)
    toks = smol_tok.vocab.tokens
    multi = lens > 1
    assert multi.sum() > 40_000 and (lens == 1).sum() > 40_000
    for r in np.flatnonzero(multi)[::5000].tolist():  # spelled by other tokens, bytes intact
        parts = [int(i) for i in spell[r, : lens[r]]]
        assert ids[r] not in parts and b"".join(toks[i] for i in parts) == toks[ids[r]]
