"""Byte-level probabilities on tiny real BPE tokenizers (trained on the spot) + tiny random Llamas."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tokforge.bytelevel import ByteLM, Ensemble, proxy_tune
from tokforge.bytelevel.cover import Canon, TokenIndex, build_nodes
from tokforge.bytelevel.tiny import TEXT, tiny_lm
from tokforge.errors import InputError
from bytelevel_brute import brute_next_byte

torch.set_num_threads(1)
_LMS: dict = {}


def lm_of(kind: str, leaves: str = "model") -> ByteLM:
    if (kind, leaves) not in _LMS:
        _LMS[(kind, leaves)] = ByteLM(*tiny_lm(kind, seed=0), leaves=leaves)
    return _LMS[(kind, leaves)]


PIECES = ["the", " ", "c", "at", "é", "thé", "  ", "\n", ".", "1", "a", "\xff"]
prefixes = st.lists(st.sampled_from(PIECES), max_size=5).map(lambda xs: "".join(xs).encode("utf-8"))


@settings(max_examples=25, deadline=None)
@given(prefixes, st.integers(0, 3), st.sampled_from(["byte_bpe", "spm"]))
def test_next_byte_sums_to_one(prefix, cut, kind):
    prefix = prefix[: max(0, len(prefix) - cut)]  # cuts land inside tokens and inside characters
    lp = lm_of(kind).next_byte_logprobs(prefix)
    assert lp.shape == (257,) and lp.dtype == torch.float64
    assert abs(float(lp.exp().sum()) - 1) < 1e-9


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
@pytest.mark.parametrize("leaves", ["model", "canonical"])
@pytest.mark.parametrize("prefix", [b"", b"th", b"the c", "caf\u00e9".encode()[:4], b"the  t", b"a\n\nn"])
def test_matches_brute_force_enumeration(kind, leaves, prefix):
    lm = lm_of(kind, leaves)
    want = brute_next_byte(lm, prefix, canonical_leaves=(leaves == "canonical"))
    got = lm.next_byte_logprobs(prefix).exp()
    assert float((got - want).abs().max()) < 1e-5


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
def test_chain_rule(kind):
    lm = lm_of(kind)
    text = "the cat, thé".encode()
    chain = sum(float(lm.next_byte_logprobs(text[:i])[text[i]]) for i in range(len(text)))
    chain += float(lm.next_byte_logprobs(text)[256])
    assert abs(chain - lm.logprob(text, end=True)) < 1e-4
    assert abs(float(lm.score(text).sum()) - lm.logprob(text)) < 1e-9


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
def test_byte_level_never_below_token_level(kind):
    lm = lm_of(kind)
    for text in [b"the cat sat on the mat.", "naïve café".encode(), b"two  spaces\n\nnew"]:
        assert lm.logprob(text, end=True) >= lm.token_logprob(text, end=True) - 1e-4
        assert lm.logprob(text) >= lm.token_logprob(text) - 1e-4


def test_canonical_encodings_are_nodes():
    """The tokenizer's own encoding of every prefix of the training text passes the rule."""
    for kind in ["byte_bpe", "spm"]:
        lm = lm_of(kind)
        stream = lm.prefix + TEXT.encode()
        nodes = build_nodes(stream, lm.index, lm.canon)
        have = {(n.j, n.depth, n.tok) for n in nodes}
        enc = lm.canon.canonical(stream)
        j = 0
        for d, t in enumerate(enc, 1):
            j += len(lm.vocab.tokens[t])
            assert (j, d, t) in have, (kind, d, t)


def test_ensemble_with_itself_and_proxy_tuning():
    a, b = lm_of("byte_bpe"), lm_of("spm")
    for p in [b"", b"the c", "th\u00e9"[:2].encode() + b"\xc3"]:
        base = a.next_byte_logprobs(p)
        assert torch.allclose(Ensemble([a, a], [0.3, 0.7]).next_byte_logprobs(p).exp(), base.exp(), atol=1e-12)
        assert torch.allclose(Ensemble([a, a], mode="product").next_byte_logprobs(p).exp(), base.exp(), atol=1e-12)
        assert torch.allclose(proxy_tune(a, b, b, 0.8).next_byte_logprobs(p).exp(), base.exp(), atol=1e-12)
    mix = Ensemble([a, b], [0.5, 0.5])
    text = b"the cat"
    assert abs(float(mix.next_byte_logprobs(text).exp().sum()) - 1) < 1e-9
    # a mixture's per-byte probability is the weighted mean of its members'
    pa, pb = a.next_byte_logprobs(b"the").exp(), b.next_byte_logprobs(b"the").exp()
    assert torch.allclose(mix.next_byte_logprobs(b"the").exp(), 0.5 * pa + 0.5 * pb, atol=1e-12)


def test_invalid_utf8_is_allowed():
    lm = lm_of("byte_bpe")
    assert math.isfinite(lm.logprob(b"the \xff\xfe c"))


def test_generate_is_reproducible_and_continues_mid_token():
    lm = lm_of("byte_bpe")
    a = lm.generate(b"the ca", max_bytes=12, seed=3, temperature=1.5)
    assert a == lm.generate(b"the ca", max_bytes=12, seed=3, temperature=1.5)
    assert 0 < len(a) <= 12
    assert lm.generate(b"the", max_bytes=0) == b""


def test_fim_and_its_errors():
    with pytest.raises(InputError, match="fill-in-the-middle"):
        lm_of("byte_bpe").complete(b"the c", b" sat")
    fim = ByteLM(*tiny_lm("byte_bpe", seed=0, fim=True))
    out = fim.complete(b"the c", b" sat on", max_bytes=8, seed=0)
    assert isinstance(out, bytes) and len(out) <= 8


def test_errors_name_the_fix(tmp_path):
    from tokforge.tokenizer import Tokenizer
    from tokforge.vocab import Vocab

    model, tok = tiny_lm("byte_bpe", seed=0)
    wp = Tokenizer(Vocab(tok.vocab.tokens, tok.vocab.kinds, tok.vocab.roles, family="wordpiece"), tok.encode, name="wp")
    with pytest.raises(InputError, match="BPE tokenizer"):
        ByteLM(model, wp)
    small, _ = tiny_lm("byte_bpe", seed=0, extra_rows=-10)
    with pytest.raises(InputError, match="vocabularies disagree"):
        ByteLM(small, tok)
    roles = {k: v for k, v in tok.vocab.roles.items() if k != "eos"}
    no_eos = Tokenizer(Vocab(tok.vocab.tokens, tok.vocab.kinds, roles, family="byte_bpe"), tok.encode, name="noeos")
    with pytest.raises(InputError, match="end of text"):
        Ensemble([ByteLM(model, tok), ByteLM(model, no_eos)])
    with pytest.raises(InputError, match="signed"):
        Ensemble([lm_of("byte_bpe")] * 2, [1.0, -1.0])


def test_token_index_ranges():
    ix = lm_of("byte_bpe").index
    for r in [b"t", b"th", b"\xc3", b"\xff"]:
        lo, hi = ix.prefix_range(r)
        assert [k for k in ix.keys if k.startswith(r)] == ix.keys[lo:hi]
        bounds = ix.byte_bounds(r)
        for b in (ord("h"), ord("e"), 0xA9):
            assert ix.keys[bounds[b]:bounds[b + 1]] == [k for k in ix.keys if k.startswith(r + bytes([b]))]


def test_kv_cache_is_reused_across_calls_that_extend_the_prefix():
    text = "the cat, thé  two".encode()
    inc = ByteLM(*tiny_lm("spm", seed=0))
    chain = [inc.next_byte_logprobs(text[:i]) for i in range(len(text) + 1)]
    full = ByteLM(*tiny_lm("spm", seed=0))
    d = full.distributions(text)
    assert inc.forwards == full.forwards <= len(text) + 3  # about one forward position per byte
    for i, lp in enumerate(chain):
        assert torch.allclose(lp.exp(), d[i].exp(), atol=1e-12)


def _brute_marginal(lm, prefix: bytes) -> torch.Tensor:
    """Every segmentation, every boundary token, plain forwards (no rule, no beam)."""
    from bytelevel_brute import _path

    stream = lm.prefix + prefix
    toks, mass = lm.vocab.tokens, [0.0] * 257
    frontier, segs = [((), 0)], [((), 0)]
    while frontier:
        frontier = [(q + (t,), j + len(toks[t])) for q, j in frontier for t in lm.index.order.tolist()
                    if stream.startswith(toks[t], j)]
        segs += frontier
    for seq, j in segs:
        logp, nxt = _path(lm, seq)
        rest = stream[j:]
        for t in lm.index.order.tolist():
            if len(toks[t]) > len(rest) and toks[t].startswith(rest):
                mass[toks[t][len(rest)]] += math.exp(logp + float(nxt[t]))
        if j == len(stream):
            mass[256] += math.exp(logp + float(nxt[lm.eos_id]))
    m = torch.tensor(mass, dtype=torch.float64)
    return m / m.sum()


@pytest.mark.parametrize("prefix", [b"th", b"the c", "thé".encode()[:-1]])
def test_marginal_mode_exact_without_pruning_and_labelled(prefix):
    from tokforge.bytelevel.marginal import MarginalByteLM

    m = MarginalByteLM(*tiny_lm("byte_bpe", seed=0), beam=10_000)
    got = m.next_byte_logprobs(prefix).exp()
    assert m.pruned == 0 and m.approximate
    assert float((got - _brute_marginal(m, prefix)).abs().max()) < 1e-9
    small = MarginalByteLM(*tiny_lm("byte_bpe", seed=0), beam=1)
    assert abs(float(small.next_byte_logprobs(prefix).exp().sum()) - 1) < 1e-9
