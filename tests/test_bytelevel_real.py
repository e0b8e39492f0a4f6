"""Byte-level probabilities on the real SmolLM2 (byte-level BPE) and Gemma-3 (SentencePiece BPE
with byte fallback) artifacts; short strings only (real forwards on 2 CPU cores are slow)."""

from __future__ import annotations

import pytest
import torch

from conftest import real_lm, real_tokenizer
from tokforge import corpus
from tokforge.bytelevel import ByteLM, Ensemble
from tokforge.bytelevel.cover import Canon, TokenIndex, build_nodes
from bytelevel_brute import brute_next_byte

torch.set_num_threads(2)
NAMES = ["smollm2-135m", "gemma3-270m"]
_LMS: dict = {}


def lm_of(name: str) -> ByteLM:
    if name not in _LMS:
        _LMS[name] = ByteLM(*real_lm(name))
    return _LMS[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_sums_to_one_inside_tokens_and_characters(name):
    lm = lm_of(name)
    for p in [b"The qu", "Le caf\u00e9".encode()[:-1], "\u4e2d\u6587".encode()[:4]]:
        assert abs(float(lm.next_byte_logprobs(p).exp().sum()) - 1) < 1e-5


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("prefix", [b"Th", "\u00e9".encode()[:1]])
def test_brute_force_real(name, prefix):
    lm = lm_of(name)
    want = brute_next_byte(lm, prefix, canonical_leaves=False)
    got = lm.next_byte_logprobs(prefix).exp()
    assert float((got - want).abs().max()) < 1e-5


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_chain_rule_and_token_level_bound(name, flores):
    lm = lm_of(name)
    text = corpus.read_flores(flores, "devtest", ["eng_Latn"], limit=1)["eng_Latn"][0].encode()[:24]
    d = lm.distributions(text)
    for i in (5, len(text)):
        assert float((lm.next_byte_logprobs(text[:i]).exp() - d[i].exp()).abs().max()) < 1e-5
    byte, tok = lm.logprob(text, end=True), lm.token_logprob(text, end=True)
    assert byte >= tok - 1e-3
    assert byte - tok <= 0.03 * abs(tok)  # within a few percent of the canonical token-level score


@pytest.mark.slow
def test_canonical_encodings_pass_the_rule(flores):
    """The tokenizer's own encodings of FLORES sentences (several scripts) are cover nodes, for
    SmolLM2, Gemma-3 and Mistral v1 (SentencePiece with a dummy prefix)."""
    texts = corpus.read_flores(flores, "devtest", ["eng_Latn", "fra_Latn", "zho_Hans", "arb_Arab"], limit=2)
    for name in NAMES + ["mistral-v1"]:
        tok = real_tokenizer(name)
        canon, index = Canon(tok), TokenIndex(tok.vocab)
        for lang, sents in texts.items():
            for s in sents:
                stream = canon.stream_prefix() + s.encode()[:120]
                while True:  # cut to a character boundary
                    try:
                        stream.decode()
                        break
                    except UnicodeDecodeError:
                        stream = stream[:-1]
                nodes = build_nodes(stream, index, canon)
                have = {(n.j, n.depth, n.tok) for n in nodes}
                j = 0
                for d, t in enumerate(canon.canonical(stream), 1):
                    j += len(tok.vocab.tokens[t])
                    assert (j, d, t) in have, (name, lang, d, t)


@pytest.mark.slow
def test_ensemble_across_vocabularies():
    a, b = lm_of("smollm2-135m"), lm_of("gemma3-270m")
    mix = Ensemble([a, b])
    lp = mix.next_byte_logprobs(b"The ca")
    assert abs(float(lp.exp().sum()) - 1) < 1e-9
    want = 0.5 * a.next_byte_logprobs(b"The ca").exp() + 0.5 * b.next_byte_logprobs(b"The ca").exp()
    assert torch.allclose(lp.exp(), want, atol=1e-12)
    out = a.generate(b"The ca", max_bytes=8, seed=0)
    assert out == a.generate(b"The ca", max_bytes=8, seed=0) and len(out) <= 8


def test_cli_bytelevel_errors_cleanly():
    from cli.main import main

    assert main(["bytelevel", "next", "The", "-m", "minilm"]) == 2
