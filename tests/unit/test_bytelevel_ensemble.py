"""Byte-level ensembles of tiny models with DIFFERENT vocabularies and weights, against brute force:
members' masses from tests/helpers/brute.py, combined here by the textbook formulas."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from helpers.brute import brute_masses, brute_next_byte

from tokforge.bytelevel.bytelm import ByteLM
from tokforge.bytelevel.ensemble import FLOOR, Ensemble, proxy_tune
from tokforge.bytelevel.tiny import tiny_lm
from tokforge.errors import InputError

torch.set_num_threads(1)


_LMS: dict = {}


def member(kind: str, seed: int) -> ByteLM:
    if (kind, seed) not in _LMS:
        _LMS[(kind, seed)] = ByteLM(*tiny_lm(kind, seed=seed))
    return _LMS[(kind, seed)]


def three():
    """Three tiny models: two vocabularies (byte-level BPE, SentencePiece-BPE), three weight sets."""
    return member("byte_bpe", 0), member("spm", 1), member("byte_bpe", 2)


PREFIXES = [b"", b"the c", "th\u00e9".encode()[:3]]


def brute_prefix_logprob(lm, text: bytes, end: bool = False) -> float:
    m, pre = brute_masses(lm, text)
    return math.log(m[256]) if end else math.log(pre)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_mixture_and_product_of_different_members(prefix):
    a, b, c = three()
    pa, pb, pc = (brute_next_byte(m, prefix) for m in (a, b, c))
    mix = Ensemble([a, b, c], [0.2, 0.5, 0.3]).next_byte_logprobs(prefix).exp()
    assert float((mix - (0.2 * pa + 0.5 * pb + 0.3 * pc)).abs().max()) < 1e-9
    w = [0.7, 0.4, -0.2]
    prod = Ensemble([a, b, c], w, mode="product").next_byte_logprobs(prefix)
    want = sum(wk * p.log().clamp(min=FLOOR) for wk, p in zip(w, (pa, pb, pc)))
    want = want - torch.logsumexp(want, 0)
    assert float((prod - want).abs().max()) < 1e-7
    assert 0.5 * float((prod.exp() - pa).abs().sum()) > 1e-3  # members differ: the check can fail


@pytest.mark.parametrize("prefix", PREFIXES)
def test_proxy_tuning_with_different_members(prefix):
    base, expert, anti = three()
    got = proxy_tune(base, expert, anti, alpha=0.8).next_byte_logprobs(prefix)
    pb, pe, pa = (brute_next_byte(m, prefix).log().clamp(min=FLOOR) for m in (base, expert, anti))
    want = pb + 0.8 * (pe - pa)
    assert float((got - (want - torch.logsumexp(want, 0))).abs().max()) < 1e-7


def test_bayes_is_the_mixture_of_whole_text_probabilities_and_keeps_its_bound():
    a, b, c = three()
    prior = [0.6, 0.3, 0.1]
    bayes = Ensemble([a, b, c], prior, mode="bayes")
    for text in [b"the cat", "th\u00e9 ".encode(), b"a\n\nn"]:
        for end in (False, True):
            members = [brute_prefix_logprob(m, text, end) for m in (a, b, c)]
            want = math.log(sum(w * math.exp(lp) for w, lp in zip(prior, members)))
            got = bayes.logprob(text, end=end)
            assert abs(got - want) < 1e-8
            for w, lp in zip(prior, members):  # never worse than a member by more than log(1/prior)
                assert got >= lp + math.log(w) - 1e-9
        # the per-byte posterior-weighted distributions chain to the same number
        chain = sum(float(bayes.next_byte_logprobs(text[:i])[text[i]]) for i in range(len(text)))
        assert abs(chain - bayes.logprob(text)) < 1e-6
        assert abs(float(bayes.score(text).sum()) - chain) < 1e-6


def test_switch_is_fixed_share_over_member_sequences():
    """Fixed share = an HMM over which member writes each byte; sum over all member sequences."""
    a, b = member("byte_bpe", 0), member("spm", 1)
    prior, rate = [0.7, 0.3], 0.2
    sw = Ensemble([a, b], prior, mode="switch", switch_rate=rate)
    text = "a th\u00e9".encode()
    cond = [[brute_next_byte(m, text[:i])[text[i]].item() for i in range(len(text))] for m in (a, b)]
    total = 0.0
    for seq in itertools.product(range(2), repeat=len(text)):
        p = prior[seq[0]] * cond[seq[0]][0]
        for i in range(1, len(text)):
            p *= ((1 - rate) * (seq[i] == seq[i - 1]) + rate * prior[seq[i]]) * cond[seq[i]][i]
        total += p
    got = sw.logprob(text)
    assert abs(got - math.log(total)) < 1e-8
    n = len(text)
    for w, cm in zip(prior, cond):
        assert got >= sum(math.log(x) for x in cm) + math.log(w) + n * math.log(1 - rate) - 1e-9
    chain = sum(float(sw.next_byte_logprobs(text[:i])[text[i]]) for i in range(n))
    assert abs(chain - got) < 1e-8
    again = Ensemble([a, b], prior, mode="switch", switch_rate=rate)  # a fresh state, not incremental
    assert torch.allclose(again.next_byte_logprobs(text[:4]), sw.next_byte_logprobs(text[:4]), atol=1e-9)


def test_fit_finds_the_best_weights():
    """fit() maximises the log-likelihood: no point of a fine grid does better."""
    a, b = member("byte_bpe", 0), member("spm", 1)
    texts = [b"the cat sat", "th\u00e9\u00e2tre".encode(), b"12345 two"]
    ds = [m.distributions_batch(texts) for m in (a, b)]
    picks = [torch.stack([d[n][torch.arange(len(t)), list(t)] for d in ds]) for n, t in enumerate(texts)]
    nbytes = sum(len(t) for t in texts)

    def mix_nats(w):
        return (
            -sum(
                float(torch.logsumexp(p + torch.tensor([math.log(w), math.log(1 - w)])[:, None], 0).sum())
                for p in picks
            )
            / nbytes
        )

    def prod_nats(w1, w2):
        total = 0.0
        for n, t in enumerate(texts):
            out = w1 * ds[0][n][: len(t)].clamp(min=FLOOR) + w2 * ds[1][n][: len(t)].clamp(min=FLOOR)
            total -= float((out[torch.arange(len(t)), list(t)] - torch.logsumexp(out, -1)).sum())
        return total / nbytes

    fm = Ensemble([a, b], mode="mixture").fit(texts)
    assert mix_nats(fm.weights[0]) <= min(mix_nats(w / 100) for w in range(1, 100)) + 1e-9
    fp = Ensemble([a, b], mode="product").fit(texts)
    grid = [prod_nats(x / 10, y / 10) for x in range(-5, 21) for y in range(-5, 21)]
    assert prod_nats(*fp.weights) <= min(grid) + 1e-9
    with pytest.raises(InputError, match="mixture or product"):
        Ensemble([a, b], mode="bayes").fit(texts)


def test_ensemble_errors():
    a = member("byte_bpe", 0)
    with pytest.raises(InputError, match="signed"):
        Ensemble([a, a], [1.0, -1.0])
    with pytest.raises(InputError, match="known: mixture, product, bayes, switch"):
        Ensemble([a, a], mode="average")
    with pytest.raises(InputError, match="switch_rate"):
        Ensemble([a, a], mode="switch", switch_rate=1.0)
