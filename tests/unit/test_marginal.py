"""Marginal bits/byte (`tokforge.evaluate.marginal`): brute force over every segmentation on tiny models,
never above canonical bits/byte, off with marginal=0, carried by evaluate_model and the transplant report."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch

from tokforge.bytelevel.tiny import TEXT, tiny_lm
from tokforge.errors import InputError
from tokforge.evaluate.bits import EvalConfig, nll_stats
from tokforge.evaluate.marginal import TokenIndex, ends_allowed, marginal_bits_per_byte, text_logprobs


def segmentations(index: TokenIndex, data: bytes, j: int = 0):
    if j == len(data):
        yield []
        return
    for t, n in index.matches(data, j):
        for rest in segmentations(index, data, j + n):
            yield [t] + rest


def logprob(model, ctx: int, ids: list[int]) -> float:
    with torch.no_grad():
        lg = model(torch.tensor([[ctx] + ids])).logits[0].double()
    return float(torch.log_softmax(lg, -1)[:-1].gather(1, torch.tensor(ids)[:, None]).sum())


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
@pytest.mark.parametrize("text", ["the cat", "café tea", "a hat!"])
def test_beam_bound_against_brute_force(kind, text):
    model, tok = tiny_lm(kind, seed=1)
    index = TokenIndex(tok.vocab)
    ids = tok.encode(text)
    stream = b"".join(tok.vocab.tokens[i] for i in ids)
    every = [logprob(model, tok.bos_id, s) for s in segmentations(index, stream)]
    top = max(every)
    exact = top + math.log(sum(math.exp(v - top) for v in every))
    canonical = logprob(model, tok.bos_id, ids)
    full = text_logprobs(model, tok, [text], beam=10**6, delta=1e9, boundaries="byte")[0]
    assert full["pruned"] == 0 and full["segmentations"] == len(every)
    assert full["marginal_nats"] == pytest.approx(exact, abs=1e-9)
    assert full["canonical_nats"] == pytest.approx(canonical, abs=1e-9)
    # boundaries="char": exactly the segmentations whose every token ends at a character's end or at a
    # canonical token's end
    allowed = ends_allowed(stream, "char")
    allowed[np.cumsum([len(tok.vocab.tokens[i]) for i in ids])] = True
    ok = [
        logprob(model, tok.bos_id, seg)
        for seg in segmentations(index, stream)
        if allowed[np.cumsum([len(tok.vocab.tokens[i]) for i in seg])].all()
    ]
    top = max(ok)
    char_exact = top + math.log(sum(math.exp(v - top) for v in ok))
    char = text_logprobs(model, tok, [text], beam=10**6, delta=1e9, boundaries="char")[0]
    assert char["segmentations"] == len(ok) and char["marginal_nats"] == pytest.approx(char_exact, abs=1e-9)
    assert (char["pruned"] == 0) == (len(ok) == len(every))
    for beam, delta in [(0, 0.0), (1, 1.0), (2, 3.0), (4, 5.0)]:
        for boundaries in ("char", "byte"):
            got = text_logprobs(model, tok, [text], beam=beam, delta=delta, boundaries=boundaries)[0]
            assert canonical - 1e-12 <= got["marginal_nats"] <= exact + 1e-12


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
def test_texts_searched_together_equal_each_alone(kind):
    """Texts of different lengths share one search; each gets what it gets alone, complete segmentations of
    the shorter ones included (they were once dropped when the longest text's search moved past their end)."""
    model, tok = tiny_lm(kind, seed=0)
    texts = ["the cat sat on the mat", "a dog ran", "the mat sat on a cat and the dog ran far away"]
    alone = [text_logprobs(model, tok, [t], beam=4, delta=5.0)[0] for t in texts]
    together = text_logprobs(model, tok, texts, beam=4, delta=5.0)
    assert any(a["segmentations"] > 1 for a in alone)  # the case that matters: alternatives complete
    for a, b in zip(alone, together):
        assert a["segmentations"] == b["segmentations"] and a["pruned"] == b["pruned"]
        assert b["marginal_nats"] == pytest.approx(a["marginal_nats"], abs=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_marginal_never_exceeds_canonical_on_random_texts(seed):
    rng = random.Random(seed)
    model, tok = tiny_lm("spm" if seed % 2 else "byte_bpe", seed=seed)
    words = TEXT.split()
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 6))) for _ in range(5)]
    for beam in (0, 2, 4):
        r = marginal_bits_per_byte(model, tok, {"x": texts}, beam=beam, delta=rng.uniform(0, 8))["x"]
        assert r["marginal_bits_per_byte"] <= r["canonical_bits_per_byte"]
        assert r["segmentations"] >= r["sentences"] == 5
    # the canonical number is canonical bits/byte of the texts read alone after BOS
    stats = nll_stats(model, tok, texts, cfg=EvalConfig(join=False))
    assert r["canonical_bits_per_byte"] == pytest.approx(stats["bits"] / stats["bytes"], rel=1e-6)


def test_evaluate_model_carries_marginal_and_zero_turns_it_off():
    from tokforge.evaluate.api import evaluate_model

    pair = tiny_lm(seed=0)
    texts = {"en": ["the cat sat on the mat.", "the dog ate the hat!", "a test"]}
    on = evaluate_model(pair, texts, marginal=2)
    assert on.marginal["en"]["sentences"] == 2 and "marginal" in on.to_dict()
    assert on.marginal_bits_per_byte["en"] <= on.marginal["en"]["canonical_bits_per_byte"]
    off = evaluate_model(pair, texts, marginal=0)
    assert off.marginal is None and "marginal" not in off.to_dict()
    with pytest.raises(InputError, match="marginal"):
        evaluate_model(pair, texts, marginal=-1)


def test_transplant_measure_adds_marginal():
    from tokforge.transplant.api import TransplantConfig, _Job, _measure

    model, tok = tiny_lm(seed=0)
    texts = {"en": ["the cat sat on the mat.", "the dog ate the hat!"]}
    job = _Job(TransplantConfig(method="mean", marginal=2), tok, texts, "given", "cpu")
    got = _measure(model, tok, job)["en"]["marginal"]
    assert got["sentences"] == 2 and got["marginal_bits_per_byte"] <= got["canonical_bits_per_byte"]
    job0 = _Job(TransplantConfig(method="mean", marginal=0), tok, texts, "given", "cpu")
    assert "marginal" not in _measure(model, tok, job0)["en"]
    with pytest.raises(InputError, match="marginal"):
        TransplantConfig(marginal=-1)


def test_heal_report_has_marginal_before_and_after(tmp_path):
    import copy

    from helpers.heal import CORPUS, HELD, make_pair

    from tokforge.heal.api import HealRun, heal_model
    from tokforge.heal.config import HealConfig

    teacher, old, student, new = make_pair(tmp_path)
    cfg = HealConfig(loss="lm", steps=1, batch_size=2, seq_bytes=64, precision="fp32", save_every=1)
    rep = heal_model(
        (copy.deepcopy(student), new),
        {"en": CORPUS},
        teacher=(teacher, old),
        config=cfg,
        eval_texts=HELD,
        progress=False,
        run=HealRun(gap=False, marginal=2),
    ).report
    for side in ("before", "after"):
        for lang, stats in rep["evaluation"][side].items():
            m = stats["marginal"]
            assert m["sentences"] == min(2, len(HELD[lang]))
            assert m["marginal_bits_per_byte"] <= m["canonical_bits_per_byte"]


def test_transplant_and_heal_report_the_marginal_by_default():
    """A user sees the marginal bits/byte without asking: 20 texts in all unless `marginal=0`, in transplant and
    heal alike, and the CLI agrees with the library."""
    import click
    from tokforge_cli.main import discover

    from tokforge.evaluate.marginal import DEFAULT_LIMIT
    from tokforge.heal.api import HealRun
    from tokforge.transplant.api import TransplantConfig, _Job, _measure

    assert DEFAULT_LIMIT == 20 and TransplantConfig().marginal == 20 and HealRun().marginal == 20
    for name, default in (("transplant", 20), ("heal", 20)):
        opt = next(p for p in discover()[name].params if p.name == "marginal")
        assert isinstance(opt, click.Option) and opt.default == default
    model, tok = tiny_lm(seed=0)
    texts = {"en": ["the cat sat on the mat.", "the dog ate the hat!", "a test"]}
    got = _measure(model, tok, _Job(TransplantConfig(method="mean"), tok, texts, "given", "cpu"))["en"]["marginal"]
    assert got["sentences"] == 3 and got["boundaries"] == "char"  # fewer texts than the default: all of them
