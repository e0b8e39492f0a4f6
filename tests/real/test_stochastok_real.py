"""Tests on real artifacts (the synthetic ones: tests/unit/test_stochastok.py). StochasTok core: split table,
expand/expand_batch/contract, label-aware mode, errors.

Properties run on every real tokenizer (GPT-2 tiktoken, SmolLM2 byte-level BPE, Gemma-3 and
Mistral v1 SentencePiece with byte fallback)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers.artifacts import real_tokenizer
from helpers.tiny import tiny_split_vocab
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from tokforge import TokenKind, Vocab
from tokforge.errors import InputError
from tokforge.stochastok import expand as expand_mod
from tokforge.stochastok.core import StochasTok
from tokforge.stochastok.table import cache_path, load_table

NAMES = ["gpt2", "smollm2-135m", "gemma3-270m", "mistral-v1"]


_ST: dict = {}


def stoch(name: str) -> StochasTok:
    if name not in _ST:
        _ST[name] = StochasTok(real_tokenizer(name), p=0.1)
    return _ST[name]


@pytest.fixture(scope="module", params=NAMES)
def st(request):
    return stoch(request.param)


def concat(st, ids) -> bytes:
    return b"".join(st.tokenizer.vocab.tokens[i] for i in list(ids))


TEXT = (
    "The quick brown fox jumps over 1234567 lazy dogs; naïve café, Straße, 東京, emoji 😀👍🏽.\n"
    "  Indented line\twith tabs and   spaces."
)


texts = hs.one_of(hs.text(max_size=120), hs.sampled_from([TEXT, "", " ", "a", "1+1=2", "\n\n", "x" * 300]))


PROPS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_expand_by_hand():
    st = StochasTok(tokforge_tokenizer(tiny_split_vocab()), p=1.0, cache=False)
    outs = [st.expand([3, 5, 3, 7], seed=s) for s in range(20)]
    for out in outs:
        assert concat(st, out) == b"abb<s>abbabab"
        assert out.count(5) == 1 and out.count(7) == 1 and 6 not in out
    assert max(len(o) for o in outs) >= 6  # "abb" can become a + b + b (a piece split again)


def tokforge_tokenizer(v: Vocab):
    from tokforge import Tokenizer

    return Tokenizer(v, lambda text, special: [], name="tiny_split_vocab")


@PROPS
@given(text=texts, seed=hs.integers(0, 2**64 - 1), p=hs.sampled_from([0.05, 0.1, 0.5, 1.0]))
def test_bytes_unchanged_and_ids_valid(st, text, seed, p):
    ids = st.tokenizer.encode(text)
    out = st.expand(ids, seed=seed, p=p)
    assert concat(st, out) == concat(st, ids)
    assert st.tokenizer.decode_bytes(out) == st.tokenizer.decode_bytes(ids)
    a = np.asarray(out, dtype=np.int64)
    assert a.size == 0 or (a.min() >= 0 and a.max() < len(st.tokenizer.vocab))
    # special/added/unused ids are never produced: exactly those of the input survive, in order
    b = np.asarray(ids, dtype=np.int64)
    assert a[~st.table.producible[a]].tolist() == b[~st.table.producible[b]].tolist() if b.size else a.size == 0
    assert st.expand(ids, seed=seed, p=p) == out  # same seed -> same output
    if st.tokenizer.decode_bytes(ids) == text.encode():  # SmolLM2 drops 21 byte values it has no token for
        assert st.contract(out) == ids  # canonical encoding back
    else:
        assert st.contract(out) == st.contract(ids)


@PROPS
@given(text=texts, cut=hs.tuples(hs.integers(0, 60), hs.integers(0, 60)), seed=hs.integers(0, 1000))
def test_contract_of_chunks(st, text, cut, seed):
    """Windows cut anywhere (inside words, inside multi-byte characters) contract consistently."""
    ids = st.tokenizer.encode(text + TEXT)
    x = ids[min(cut) : max(cut) + 1]
    y = st.expand(x, seed=seed, p=0.5)
    assert st.contract(y) == st.contract(x)
    assert st.tokenizer.decode_bytes(st.contract(x)) == st.tokenizer.decode_bytes(x)


def test_specials_pass_through(st):
    v = st.tokenizer.vocab
    sp = v.special_ids[:5]
    ids = sp + st.tokenizer.encode(" hello there") + sp
    out = st.expand(ids, seed=1, p=1.0)
    assert out[: len(sp)] == sp and out[-len(sp) :] == sp
    assert concat(st, out) == concat(st, ids)
    assert st.contract(out) == st.contract(ids)


def test_batch_equals_single(st):
    docs = [st.tokenizer.encode(TEXT[i:]) for i in range(0, 60, 7)] + [[]]
    single = [st.expand(d, seed=5, index=10 + e) for e, d in enumerate(docs)]
    assert st.expand_batch(docs, seed=5, start_index=10) == single
    rev = st.expand_batch(docs[::-1], seed=5, indices=[10 + e for e in range(len(docs))][::-1])
    assert rev[::-1] == single
    assert st.expand_batch(docs, seed=6, start_index=10) != single


def test_vectorised_and_python_rounds_agree(monkeypatch):
    st = stoch("gpt2")
    ids = np.asarray(st.tokenizer.encode(TEXT * 20))
    want = [st.expand(ids, seed=s, p=1.0) for s in range(3)]
    monkeypatch.setattr(expand_mod, "SMALL", 0)  # every round vectorised
    assert all(np.array_equal(st.expand(ids, seed=s, p=1.0), w) for s, w in enumerate(want))
    monkeypatch.setattr(expand_mod, "SMALL", 10**9)  # every later round in Python
    assert all(np.array_equal(st.expand(ids, seed=s, p=1.0), w) for s, w in enumerate(want))


def test_array_in_array_out(st):
    ids = np.asarray(st.tokenizer.encode(TEXT), dtype=np.int32)
    out = st.expand(ids, seed=0)
    assert isinstance(out, np.ndarray) and out.dtype == np.int32
    assert out.tolist() == st.expand(ids.tolist(), seed=0)


def test_rate_on_splittable_tokens():
    """All tokens splittable: E[splits] lies in [k(1 - p/2), k] for k = p*n attempts."""
    st = stoch("gpt2")
    rng = np.random.default_rng(0)
    ok = np.flatnonzero(st.table.n_splits > 0)
    docs = [rng.choice(ok, 1000) for _ in range(100)]
    p = 0.1
    n = 100 * 1000
    splits = sum(len(o) for o in st.expand_batch(docs, seed=0, p=p)) - n
    k, sd = p * n, math.sqrt(p * n)
    assert k * (1 - p / 2) - 4 * sd <= splits <= k + 4 * sd


def test_rate_on_real_text(flores):
    """On real text the split rate is p times the share of splittable tokens (to first order)."""
    from tokforge.corpus import read_flores

    st = stoch("gpt2")
    text = "\n".join(read_flores(flores, "dev", ["eng_Latn"], 400)["eng_Latn"])
    ids = np.asarray(st.tokenizer.encode(text))
    docs = [ids[i : i + 1000] for i in range(0, len(ids) - 999, 1000)]
    n = sum(len(d) for d in docs)
    splittable = sum(int((st.table.n_splits[d] > 0).sum()) for d in docs)
    splits = sum(len(o) for o in st.expand_batch(docs, seed=1, p=0.1)) - n
    expect = 0.1 * splittable
    assert abs(splits - expect) < 4 * math.sqrt(expect) + 0.05 * expect


def test_short_sequences_get_splits():
    """E[attempts] = p*n also below 1/p tokens (the reference never splits those)."""
    st = stoch("gpt2")
    ids = st.tokenizer.encode(" hello")  # one splittable token
    changed = sum(len(st.expand(ids, seed=0, index=i, p=0.1)) > 1 for i in range(2000))
    assert 150 < changed < 250


def test_mask_inherited(st):
    ids = st.tokenizer.encode(TEXT)
    mask = [i % 3 == 0 for i in range(len(ids))]
    out, m = st.expand(ids, seed=2, p=1.0, mask=mask)
    assert len(m) == len(out)
    # rebuild: each source token's pieces carry its mask value
    pos = 0
    for i, t in enumerate(ids):
        got = b""
        while got != st.tokenizer.vocab.tokens[t]:
            got += st.tokenizer.vocab.tokens[out[pos]]
            assert m[pos] == mask[i]
            pos += 1
    assert pos == len(out)


def test_expand_labels(st):
    ids = st.tokenizer.encode(TEXT)
    labels = [-100] * 10 + ids[10:]
    out, lab = st.expand_labels(ids, labels, seed=3, p=0.5)
    masked = [o for o, lb in zip(out, lab) if lb == -100]
    assert concat(st, masked) == concat(st, ids[:10])  # the prompt's pieces stay masked
    trained = [o for o, lb in zip(out, lab) if lb != -100]
    assert all(lb in (-100, o) for o, lb in zip(out, lab))
    assert concat(st, trained) == concat(st, ids[10:])
    with pytest.raises(InputError, match="neither -100 nor its own token id"):
        st.expand_labels(ids, ids[1:] + [-100], seed=0)


def test_errors():
    st = stoch("gpt2")
    V = len(st.tokenizer.vocab)
    with pytest.raises(InputError, match=f"token id {V} out of range.*ids\\[1\\]"):
        st.expand([1, V], seed=0)
    with pytest.raises(InputError, match="token id -1 out of range"):
        st.expand_batch([[1], [-1]], seed=0)
    for p in (-0.1, 1.5, float("nan"), "x"):
        with pytest.raises(InputError, match="p must be"):
            StochasTok(st.tokenizer, p=p)
    with pytest.raises(InputError, match="seed must be"):
        st.expand([1], seed=-1)
    with pytest.raises(InputError, match="1-D"):
        st.expand([[1, 2]], seed=0)
    with pytest.raises(InputError, match="got a string"):
        st.expand("hello", seed=0)
    with pytest.raises(InputError, match="must be integers"):
        st.expand([1.5], seed=0)
    with pytest.raises(InputError, match="one value per token"):
        st.expand([1, 2], seed=0, mask=[1])
    assert st.expand([], seed=0) == [] and st.expand_batch([], seed=0) == []
    assert st.contract([]) == []
    assert st.expand_batch([[], [31373]], seed=0, p=0.0) == [[], [31373]]


def test_table_cache(tmp_path, monkeypatch, mistral_v1):
    monkeypatch.setenv("TOKFORGE_CACHE", str(tmp_path))
    v = mistral_v1.vocab
    path = cache_path(v.fingerprint())
    assert str(path).startswith(str(tmp_path)) and v.fingerprint() in path.name
    t1 = load_table(v)
    assert path.is_file()
    t2 = load_table(v)
    assert np.array_equal(t1.left, t2.left) and np.array_equal(t1.offsets, t2.offsets)
    path.write_bytes(b"garbage")  # a corrupt entry is rebuilt, not trusted
    t3 = load_table(v)
    assert np.array_equal(t1.right, t3.right) and path.stat().st_size > 1000
    other = Vocab(v.tokens[:-1], v.kinds[:-1].tolist())
    assert cache_path(other.fingerprint()) != path


def test_byte_fallback_pieces_prefer_normal_tokens():
    st = stoch("gemma3-270m")
    v = st.tokenizer.vocab
    fb = (v.kinds & np.uint8(TokenKind.BYTE_FALLBACK)) != 0
    pieces = np.concatenate([st.table.left, st.table.right])
    used_fb = np.unique(pieces[fb[pieces]])
    normal = {v.tokens[i] for i in np.flatnonzero(~fb & st.table.producible)}
    assert not any(v.tokens[i] in normal for i in used_fb)
    e_acute = v.id_of("é".encode())
    assert any(fb[a] and fb[b] for a, b in st.splits(e_acute))  # é = <0xC3><0xA9>
