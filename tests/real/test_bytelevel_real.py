"""Tests on real artifacts (the synthetic ones: tests/unit/test_bytelevel.py). Byte-level probabilities on the
real SmolLM2 (byte-level BPE) and Gemma-3 (SentencePiece BPE
with byte fallback) artifacts; short strings only (real forwards on 2 CPU cores are slow)."""

from __future__ import annotations

import math

import pytest
import torch
from helpers.artifacts import real_lm, real_tokenizer
from helpers.brute import brute_masses

from tokforge import corpus
from tokforge.bytelevel.bytelm import ByteLM
from tokforge.bytelevel.canon import Canon
from tokforge.bytelevel.cover import TokenIndex, build_nodes
from tokforge.bytelevel.ensemble import Ensemble
from tokforge.errors import InputError

torch.set_num_threads(2)


NAMES = ["smollm2-135m", "gemma3-270m"]


_LMS: dict = {}


def lm_of(name: str) -> ByteLM:
    if name not in _LMS:
        _LMS[name] = ByteLM(*real_lm(name))
    return _LMS[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_masses_add_up_inside_tokens_and_characters(name):
    """sum_b C(x + b) + S(x) = C(x), with C(x) from the covers of the end (logprob at token cost)."""
    lm = lm_of(name)
    for p in [b"The qu", "Le caf\u00e9".encode()[:-1], "\u4e2d\u6587".encode()[:4]]:
        assert abs(float(torch.logsumexp(lm.next_byte_logmasses(p), 0)) - lm.logprob(p)) < 1e-4


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("prefix", [b"Th", "\u00e9".encode()[:1]])
def test_brute_force_real(name, prefix):
    lm = lm_of(name)
    want, pre = brute_masses(lm, prefix)
    got = lm.next_byte_logmasses(prefix)
    pos = want > 0
    assert bool(torch.isneginf(got[~pos]).all())
    assert float((got[pos] - want[pos].log())[want[pos] > 1e-30].abs().max()) < 1e-4
    assert abs(lm.logprob(prefix) - math.log(pre)) < 1e-4


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_chain_rule_and_token_level_bound(name, flores):
    lm = lm_of(name)
    text = corpus.read_flores(flores, "devtest", ["eng_Latn"], limit=1)["eng_Latn"][0].encode()[:24]
    d = lm.distributions(text)
    for i in (5, len(text)):
        got = lm.next_byte_logprobs(text[:i])
        fin = torch.isfinite(d[i])  # bytes the vocabulary cannot produce (SmolLM2 lacks 21) are -inf on both
        assert torch.equal(torch.isfinite(got), fin) and float((got[fin] - d[i][fin]).abs().max()) < 1e-4
    chain = float(d[torch.arange(len(text)), list(text)].sum())
    byte, tok = lm.logprob(text, end=True), lm.token_logprob(text, end=True)
    # exact up to float32 forwards (the same node runs in differently shaped batches): 1e-6 per nat
    assert abs(chain + float(d[-1, 256]) - byte) < 1e-3 and abs(chain - lm.logprob(text)) < 1e-3
    assert byte >= tok - 1e-4
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
    mix = Ensemble([a, b], [0.3, 0.7])
    lp = mix.next_byte_logprobs(b"The ca")
    want = 0.3 * a.next_byte_logprobs(b"The ca").exp() + 0.7 * b.next_byte_logprobs(b"The ca").exp()
    assert torch.allclose(lp.exp(), want, atol=1e-12)
    bayes = Ensemble([a, b], [0.3, 0.7], mode="bayes")
    text = "Le caf\u00e9 est".encode()
    want = math.log(0.3 * math.exp(a.logprob(text)) + 0.7 * math.exp(b.logprob(text)))
    assert abs(bayes.logprob(text) - want) < 1e-9
    out = a.generate(b"The ca", max_bytes=8, seed=0)
    assert out == a.generate(b"The ca", max_bytes=8, seed=0) and len(out) <= 8


@pytest.mark.slow
def test_smollm2_refuses_a_byte_it_has_no_token_for_by_name():
    """SmolLM2 has no token holding 0xF1: the error names the byte and points to missing_bytes()."""
    lm = lm_of("smollm2-135m")
    assert 0xF1 in lm.vocab.missing_bytes()
    with pytest.raises(InputError, match=r"byte 0xF1 at offset 3 .*missing_bytes\(\)") as e:
        lm.next_byte_logprobs(b"abc\xf1")
    assert "report this" not in str(e.value)
    assert lm.next_byte_logprobs(b"abc")[0xF1] == -math.inf


@pytest.mark.slow
@pytest.mark.parametrize("name, kind", [("smollm2-135m", "BigramTest"), ("gemma3-270m", "MergeRace")])
def test_fast_rule_matches_the_encoder(flores, name, kind):
    """With the fast test (SmolLM2: merge spines; Gemma-3: the merge race) the rule accepts exactly the
    tokens the encoder alone accepts, over the whole vocabulary, after three code-like strings and a
    context in each of five scripts (Latin, Cyrillic, Han, Devanagari, Arabic: a FLORES devtest line cut
    after 17 characters), for both models (Gemma-3 used to get the three ASCII strings only)."""
    import numpy as np

    tok = real_tokenizer(name)
    index = TokenIndex(tok.vocab)
    fast, slow = Canon(tok), Canon(tok)
    assert type(fast.bigram).__name__ == kind
    slow._bigram = None
    langs = ["eng_Latn", "rus_Cyrl", "zho_Hans", "hin_Deva", "arb_Arab"]
    texts = corpus.read_flores(flores, "devtest", langs, limit=1)
    contexts = ["def f(x):\n    return x", "I don't", "Total: 1,234.5"]
    contexts += [texts[lang][0][:17] for lang in langs]
    assert len(contexts) == 8 and len({c for c in contexts}) == 8
    for c in contexts:
        seq = tuple(fast.canonical(fast.stream_prefix() + c.encode()))
        a, b = fast.valid_many(seq, index.order), slow.valid_many(seq, index.order)
        assert np.array_equal(a, b), (c, [tok.vocab.tokens[index.order[i]] for i in np.nonzero(a != b)[0][:5]])
