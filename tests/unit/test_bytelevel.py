"""Tiny synthetic tests (the real-artifact ones: tests/real/test_bytelevel_real.py). Byte-level probabilities
on tiny real BPE tokenizers (trained on the spot) + tiny random Llamas,
checked against brute-force enumeration (tests/helpers/brute.py)."""

from __future__ import annotations

import math
import random

import pytest
import torch
from helpers.brute import brute_masses, brute_next_byte
from hypothesis import given, settings
from hypothesis import strategies as st

from tokforge.bytelevel.bytelm import ByteLM
from tokforge.bytelevel.canon import Canon
from tokforge.bytelevel.cover import Covers, build_nodes, node_tokens
from tokforge.bytelevel.tiny import TEXT, tiny_lm
from tokforge.errors import InputError

torch.set_num_threads(1)


_LMS: dict = {}


def lm_of(kind: str, leaves: str = "model", seed: int = 0) -> ByteLM:
    if (kind, leaves, seed) not in _LMS:
        _LMS[(kind, leaves, seed)] = ByteLM(*tiny_lm(kind, seed=seed), leaves=leaves)
    return _LMS[(kind, leaves, seed)]


def close_log(got: torch.Tensor, want: torch.Tensor, tol: float = 1e-9) -> bool:
    """``got`` (log) equals ``want`` (linear) entry by entry: relative ``tol`` where ``want > 0``,
    and -inf exactly where ``want == 0``."""
    pos = want > 0
    return bool(torch.isneginf(got[~pos]).all()) and float((got[pos] - want[pos].log()).abs().max()) < tol


PIECES = ["the", " ", "c", "at", "é", "thé", "  ", "\n", ".", "1", "a", "\xff"]


prefixes = st.lists(st.sampled_from(PIECES), max_size=5).map(lambda xs: "".join(xs).encode("utf-8"))


def random_texts(n: int, seed: int) -> list[bytes]:
    """Texts of pieces, cut anywhere (inside tokens and characters), some with invalid UTF-8."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        b = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6))).encode()
        if rng.random() < 0.2:
            b += bytes([rng.choice([0xC3, 0xE4, 0xFF, 0x80])])
        out.append(b[: len(b) - rng.randint(0, 2)])
    return out


@settings(max_examples=25, deadline=None)
@given(prefixes, st.integers(0, 3), st.sampled_from(["byte_bpe", "spm"]))
def test_next_byte_masses_add_up_to_the_prefix_mass(prefix, cut, kind):
    """sum_b C(x + b) + S(x) = C(x): the next-byte masses (covers of x + b, from nodes up to the
    end) and the prefix mass (covers of x, from nodes before the end) are different sums; they
    agree only if both are right. The normalised distribution is the masses minus log C(x)."""
    prefix = prefix[: max(0, len(prefix) - cut)]  # cuts land inside tokens and inside characters
    lm = lm_of(kind)
    m = lm.next_byte_logmasses(prefix)
    assert m.shape == (257,) and m.dtype == torch.float64
    assert abs(float(torch.logsumexp(m, 0)) - lm.logprob(prefix)) < 1e-9
    assert torch.allclose(lm.next_byte_logprobs(prefix), m - lm.logprob(prefix), atol=1e-9)


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
@pytest.mark.parametrize("leaves", ["model", "canonical"])
@pytest.mark.parametrize("prefix", [b"", b"th", b"the c", "caf\u00e9".encode()[:4], b"the  t", b"a\n\nn"])
def test_matches_brute_force_enumeration(kind, leaves, prefix):
    """Unnormalised masses, prefix mass and stop mass against every cover enumerated with plain forwards."""
    lm = lm_of(kind, leaves)
    want, pre = brute_masses(lm, prefix, canonical_leaves=(leaves == "canonical"))
    assert close_log(lm.next_byte_logmasses(prefix), want)
    assert abs(lm.logprob(prefix) - math.log(pre)) < 1e-9
    assert abs(lm.logprob(prefix, end=True) - math.log(want[256])) < 1e-9


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
def test_chain_rule_on_random_texts(kind):
    """logprob at token cost = the chain of per-byte distributions (to 1e-6), for texts cut
    inside tokens and characters; distributions, score and the batch forms agree with it."""
    lm = lm_of(kind)
    texts = random_texts(8, seed=1)
    for text in texts:
        chain = sum(float(lm.next_byte_logprobs(text[:i])[text[i]]) for i in range(len(text)))
        stop = float(lm.next_byte_logprobs(text)[256])
        assert abs(chain - lm.logprob(text)) < 1e-6, text
        assert abs(chain + stop - lm.logprob(text, end=True)) < 1e-6, text
        d = lm.distributions(text)
        assert abs(float(d[torch.arange(len(text)), list(text)].sum()) - chain) < 1e-6
    lps = lm.logprob_batch(texts)
    assert all(abs(a - lm.logprob(t)) < 1e-9 for a, t in zip(lps, texts))
    for s, t in zip(lm.score_batch(texts), texts):
        assert torch.allclose(s, lm.score(t), atol=1e-9)


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
@pytest.mark.parametrize("leaves", ["model", "canonical"])
def test_score_from_prefix_masses_equals_the_distributions(kind, leaves):
    """`score` (differences of prefix masses) = the byte's entry of each next-byte distribution, and
    = brute-force enumeration; with canonical leaves it checks no node against the whole vocabulary."""
    from tokforge.bytelevel.scoring import ByteScoring

    lm = ByteLM(*tiny_lm(kind, seed=0), leaves=leaves)
    texts = random_texts(8, seed=2) + [b"the cat", "thé ca".encode()]
    for t, got in zip(texts, lm.score_batch(texts)):
        assert got.shape == (len(t),) and got.dtype == torch.float64
        assert torch.allclose(got, ByteScoring.score(lm, t), atol=1e-9), t
    if leaves == "canonical":
        lm.table("masks")._full.clear()
        lm.score(b"the cat sat")
        assert not lm.table("masks")._full  # no whole-vocabulary mask was built
    text = b"the c"
    for i in range(len(text)):
        want, pre = brute_masses(lm, text[:i], canonical_leaves=(leaves == "canonical"))
        assert abs(float(lm.score(text)[i]) - math.log(float(want[text[i]]) / pre)) < 1e-9


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
def test_logprob_runs_about_one_position_per_token(kind):
    """The whole-text probability needs the token paths that reach the end, not every node."""
    text = b"the cat sat on the mat. the dog ate the hat"
    lm = ByteLM(*tiny_lm(kind, seed=0))
    lm.logprob(text)
    tokens = len(lm.canon.canonical(lm.prefix + text))
    assert lm.forwards <= tokens + 6
    nodes = len(build_nodes(lm.prefix + text, lm.index, lm.canon)) - 1
    lm.forwards = 0
    lm.distributions(text)
    assert lm.forwards == nodes > 2 * tokens


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
def test_byte_level_never_below_token_level(kind):
    lm = lm_of(kind)
    for text in [b"the cat sat on the mat.", "naïve café".encode(), b"two  spaces\n\nnew"]:
        assert lm.logprob(text, end=True) >= lm.token_logprob(text, end=True) - 1e-9
        assert lm.logprob(text) >= lm.token_logprob(text) - 1e-9


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


def test_covers_grow_incrementally_to_the_same_nodes():
    lm = lm_of("byte_bpe")
    text = TEXT.encode()[:60]
    cov = Covers(lm.index, lm.canon)
    for i in range(0, len(text) + 1, 7):
        cov.extend(text[:i])
    cov.extend(text)
    fresh = Covers(lm.index, lm.canon).extend(text)

    def paths(c):
        return sorted(tuple(node_tokens(c.nodes, k)) for k in range(len(c.nodes)))

    def rejected(c):
        return sorted((tuple(node_tokens(c.nodes, k)), t, e) for e, v in c.rejected.items() for k, t in v)

    assert len(paths(cov)) > len(text) and paths(cov) == paths(fresh)
    assert rejected(cov) and rejected(cov) == rejected(fresh)


def test_valid_many_matches_valid():
    lm = lm_of("byte_bpe")
    fresh = Canon(lm.tokenizer)  # empty caches: the batched path does the work
    seq = tuple(lm.canon.canonical(b"the cat"))
    ids = lm.index.order
    assert fresh.valid_many(seq, ids).tolist() == [lm.canon.valid(seq, int(t)) for t in ids]


def test_bigram_test_decides_as_the_encoder_does():
    """Byte-level BPE: the spine test (no merge can cross a|t) gives the encoder's answer on every pair
    it decides, after contexts ending in letters, digits, spaces, punctuation and cut characters."""
    lm = lm_of("byte_bpe")
    fast = Canon(lm.tokenizer)
    assert fast.bigram is not None
    slow = Canon(lm.tokenizer)
    slow._bigram = None  # the encoder alone
    decided = 0
    for text in [b"the cat", b"the  ", b"a1", b"cat.", b"th\xc3\xa9", b"\n\nthe", b"1234 cats"] + random_texts(
        6, seed=3
    ):
        seq = tuple(lm.canon.canonical(text) or ())
        if not seq:
            continue
        ids = lm.index.order
        assert fast.valid_many(seq, ids).tolist() == slow.valid_many(seq, ids).tolist(), text
        decided += sum(fast.bigram.decide(seq[-1], int(t)) is not None for t in ids)
    assert decided > 0.5 * len(ids) * 10  # most pairs never reach the encoder


def _sentencepiece_like(tmp_path):
    """A Gemma-3-like HF BPE (spaces to U+2581, no pretokenizer, byte fallback) trained on TEXT, whose merges
    are made not to grow along token histories: every token that two other tokens also spell gets that
    second merge at the front, as the SentencePiece conversion does."""
    import json

    from tokenizers import Tokenizer, decoders, models, normalizers, trainers

    from tokforge import load_tokenizer

    hf = Tokenizer(models.BPE(byte_fallback=True))
    hf.normalizer = normalizers.Replace(" ", "\u2581")
    hf.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    special = ["<unk>"] + [f"<0x{i:02X}>" for i in range(256)]
    hf.train_from_iterator([TEXT], trainers.BpeTrainer(vocab_size=420, show_progress=False, special_tokens=special))
    spec = json.loads(hf.to_str())
    vocab, merges = spec["model"]["vocab"], spec["model"]["merges"]
    pairs = {tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in merges}
    extra = []
    for tok in vocab:
        for k in range(1, len(tok)):
            u, v = tok[:k], tok[k:]
            if u in vocab and v in vocab and (u, v) not in pairs and len(extra) < 40:
                extra.append([u, v])
                pairs.add((u, v))
    spec["model"]["merges"] = extra + [list(m) if isinstance(m, (list, tuple)) else m.split(" ", 1) for m in merges]
    (tmp_path / "tokenizer.json").write_text(json.dumps(spec))
    return load_tokenizer(tmp_path / "tokenizer.json"), extra


def test_merge_race_decides_as_the_encoder_does(tmp_path):
    """SentencePiece-style BPE with merges that do not grow along token histories (as Gemma-3's): the
    race of the two sides' merges gives the encoder's answer on every pair it decides."""
    import json

    from tokforge.bytelevel.bigram import MergeRace, _ranks_grow
    from tokforge.bytelevel.cover import TokenIndex

    tok, extra = _sentencepiece_like(tmp_path)
    assert extra and not _ranks_grow([tuple(m) for m in json.loads(tok.backend.to_str())["model"]["merges"]])
    fast, slow = Canon(tok), Canon(tok)
    assert isinstance(fast.bigram, MergeRace)
    slow._bigram = None
    ids = TokenIndex(tok.vocab).order
    decided = 0
    texts = [TEXT[:n] for n in (5, 12, 30, 47)] + ["the  cat", "cat.", "1234 cats", "\u00e9t\u00e9"]
    for text in texts + [t.decode("utf-8", "ignore") for t in random_texts(6, seed=4)]:
        seq = tuple(fast.canonical(text.encode()) or ())
        if not seq:
            continue
        assert fast.valid_many(seq, ids).tolist() == slow.valid_many(seq, ids).tolist(), text
        decided += sum(fast.bigram.decide(seq[-1], int(t)) is not None for t in ids)
    assert decided > 0.3 * len(ids) * len(texts)


def test_merge_race_ties_by_hand():
    """One merge, a+a. "a" then "aa" spells "aaa": the leftmost pair merges first, giving "aa" "a", so
    "aa" cannot follow "a". "aa" then "a": "aa"'s own pair is the leftmost, so it can."""
    import numpy as np

    from tokforge.bytelevel.bigram import MergeRace, bpe_events

    rank = {("a", "a"): 0}
    events = [(w[0], w[-1], bpe_events(w, rank)[1]) for w in ["a", "aa"]]
    race = MergeRace(2, np.zeros(2, dtype=bool), events, rank)
    assert race.decide(0, 1) is False and race.decide(1, 0) is True
    assert race.decide(0, 0) is False and race.decide(1, 1) is True


def test_bigram_test_only_where_it_is_exact():
    from tokforge.bytelevel.bigram import _ranks_grow

    assert Canon(lm_of("spm").tokenizer).bigram is None  # a dummy prefix: the encoder decides
    assert _ranks_grow([("a", "b"), ("ab", "c")])
    assert not _ranks_grow([("ab", "c"), ("a", "b")])  # "ab" is made after a merge that uses it


def test_invalid_utf8_is_allowed():
    lm = lm_of("byte_bpe")
    assert math.isfinite(lm.logprob(b"the \xff\xfe c"))


def _first_bytes(fn, n: int) -> torch.Tensor:
    """Empirical distribution (257 outcomes, 256 = nothing generated) of a 1-byte sampler over seeds."""
    counts = torch.zeros(257, dtype=torch.float64)
    for seed in range(n):
        out = fn(seed)
        counts[out[0] if out else 256] += 1
    return counts / n


def _sampler_first_byte(lm, prompt: bytes) -> torch.Tensor:
    """The exact distribution of the first byte `generate` writes: its cover probabilities, then
    (for a cover ending exactly at the prompt's end) the next token by a plain forward here."""
    from helpers.brute import _qpath

    from tokforge.bytelevel.cover import node_tokens
    from tokforge.bytelevel.generate import cover_options

    opts, p, cov = cover_options(lm, prompt, lm.session())
    out, n = torch.zeros(257, dtype=torch.float64), 0
    rest_of = len(lm.prefix + prompt)
    for k, _, ids in opts:
        node = cov.nodes[k]
        for t in ids.tolist():
            tb, rest = lm.vocab.tokens[t], rest_of - node.j
            if len(tb) > rest:
                out[tb[rest]] += p[n]
            elif t in cov.children[k]:  # landed on a node: the next token decides
                _, row = _qpath(lm, node_tokens(cov.nodes, k) + [t])
                for u in lm.index.order.tolist():
                    out[lm.vocab.tokens[u][0]] += p[n] * math.exp(float(row[u]))
                out[256] += p[n] * math.exp(float(row[lm.eos_id]))
            else:
                out[256] += p[n]  # a rejected last token: the stream stops
            n += 1
    return out


def test_generate_is_reproducible_and_samples_the_next_byte_exactly():
    lm = lm_of("spm")
    a = lm.generate(b"the ca", max_bytes=12, seed=3, temperature=1.5)
    assert a == lm.generate(b"the ca", max_bytes=12, seed=3, temperature=1.5)
    assert 0 < len(a) <= 12
    assert lm.generate(b"the", max_bytes=0) == b""
    for prompt in ["th\u00e9".encode()[:3], b"a"]:  # ends inside a character / a token
        want = brute_next_byte(lm, prompt)
        assert float((_sampler_first_byte(lm, prompt) - want).abs().max()) < 1e-9
    emp = _first_bytes(lambda s: lm.generate("th\u00e9".encode()[:3], max_bytes=1, seed=s), 200)
    assert 0.5 * float((emp - brute_next_byte(lm, "th\u00e9".encode()[:3])).abs().sum()) < 0.1


def test_fim_complete_samples_the_infilling_distribution():
    """complete(prefix, suffix) = the byte-level model after <fim_prefix><fim_suffix>suffix<fim_middle>
    (suffix-prefix-middle order), by brute force over a start context built here."""
    from tokforge.bytelevel.generate import fim_start

    with pytest.raises(InputError, match="fill-in-the-middle"):
        lm_of("byte_bpe").complete(b"the c", b" sat")
    model, tok = tiny_lm("byte_bpe", seed=3, fim=True)
    fim = ByteLM(model, tok)
    ctx = [tok.bos_id, tok.vocab.id_of(b"<fim_prefix>"), tok.vocab.id_of(b"<fim_suffix>")]
    ctx += tok.encode(" sat on") + [tok.vocab.id_of(b"<fim_middle>")]
    assert fim_start(fim, b" sat on") == ctx
    want = brute_next_byte(ByteLM(model, tok, start_ids=ctx), b"a")
    plain = brute_next_byte(ByteLM(model, tok), b"a")
    assert 0.5 * float((want - plain).abs().sum()) > 0.2  # the suffix matters, so the check can fail
    assert float((_sampler_first_byte(fim.with_start(ctx), b"a") - want).abs().max()) < 1e-9
    emp = _first_bytes(lambda s: fim.complete(b"a", b" sat on", max_bytes=1, seed=s), 200)
    assert 0.5 * float((emp - want).abs().sum()) < 0.1
    out = fim.complete(b"the c", b" sat on", max_bytes=8, seed=0)
    assert out == fim.complete(b"the c", b" sat on", max_bytes=8, seed=0) and len(out) <= 8


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


def test_a_byte_no_token_holds_is_refused_by_name():
    """A tokenizer without byte fallback that never saw a byte cannot produce it: the error names
    the byte and points to missing_bytes() (real case: SmolLM2 and 0xF1, tests/real/test_bytelevel_real.py)."""
    from tokforge.tokenizer import Tokenizer
    from tokforge.vocab import Vocab

    model, tok = tiny_lm("byte_bpe", seed=0)
    keep = [t if b"\x01" not in t else b"" for t in tok.vocab.tokens]  # drop every token holding 0x01
    no01 = Tokenizer(
        Vocab(keep, tok.vocab.kinds, tok.vocab.roles, family="byte_bpe"),
        tok.encode,
        name="no01",
        encode_batch_fn=lambda xs, s=False: [tok.encode(x) for x in xs],
    )
    lm = ByteLM(model, no01)
    assert 1 in no01.vocab.missing_bytes()
    for call in (
        lambda: lm.next_byte_logprobs(b"the \x01"),
        lambda: lm.distributions(b"a\x01b"),
        lambda: lm.logprob(b"the \x01 c"),
    ):
        with pytest.raises(InputError, match=r"byte 0x01 at offset \d.*missing_bytes\(\)") as e:
            call()
        assert "report this" not in str(e.value)
    assert lm.next_byte_logprobs(b"the ")[1] == -math.inf


def test_token_index_ranges():
    ix = lm_of("byte_bpe").index
    for r in [b"t", b"th", b"\xc3", b"\xff"]:
        lo, hi = ix.prefix_range(r)
        assert [k for k in ix.keys if k.startswith(r)] == ix.keys[lo:hi]
        bounds = ix.byte_bounds(r)
        for b in (ord("h"), ord("e"), 0xA9):
            assert ix.keys[bounds[b] : bounds[b + 1]] == [k for k in ix.keys if k.startswith(r + bytes([b]))]


@pytest.mark.parametrize("kind", ["byte_bpe", "spm"])
def test_next_byte_chain_reuses_the_tree(kind):
    """A chain of next_byte_logprobs calls, one byte more each time, runs each tree node once:
    no more forward positions than one pass over every node, and the same distributions."""
    text = "the cat, thé  two".encode()
    inc = ByteLM(*tiny_lm(kind, seed=0))
    chain = []
    steps = []
    for i in range(len(text) + 1):
        f = inc.forwards
        chain.append(inc.next_byte_logprobs(text[:i]))
        steps.append(inc.forwards - f)
    full = ByteLM(*tiny_lm(kind, seed=0))
    d = full.distributions(text)
    assert inc.forwards <= full.forwards <= len(text) + 3
    assert max(steps[1:]) <= 4  # a step runs only the nodes that end at the new byte
    for i, lp in enumerate(chain):
        assert torch.allclose(lp, d[i], atol=1e-9)


def _brute_marginal(lm, prefix: bytes) -> torch.Tensor:
    """Every segmentation, every boundary token, plain forwards (no rule, no beam)."""
    from helpers.brute import _path

    stream = lm.prefix + prefix
    toks, mass = lm.vocab.tokens, [0.0] * 257
    frontier, segs = [((), 0)], [((), 0)]
    while frontier:
        frontier = [
            (q + (t,), j + len(toks[t]))
            for q, j in frontier
            for t in lm.index.order.tolist()
            if stream.startswith(toks[t], j)
        ]
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
