"""Every real tokenizer: encoding is the backend's own, and its bytes round-trip.

The invariant: ``decode_bytes(encode(x)) == x.encode()`` wherever the backend is lossless
(GPT-2, SmolLM2, Gemma-3 (HF json and GGUF), Mistral v1/v3, Tekken, Whisper). WordPiece
(MiniLM) is lossy: it lowercases, strips accents and drops whitespace, so there the bytes are
the backend's normalized pre-tokens joined without spaces, except [UNK] pieces.
"""

import pytest
from helpers.artifacts import real_tokenizer
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tokforge import TokenKind, corpus, load_tokenizer, models

LOSSLESS = [
    "gpt2",
    "smollm2-135m",
    "gemma3-270m",
    "gemma3-gguf",
    "mistral-v1",
    "mistral-v3",
    "tekken",
    "whisper-multilingual",
]


def tok(name):
    if name == "gemma3-gguf":
        return real_tokenizer_gguf("gemma3-270m")
    return real_tokenizer(name)


_GGUF = {}


def real_tokenizer_gguf(name):
    if name not in _GGUF:
        _GGUF[name] = load_tokenizer(models.pull(name, part="file"))
    return _GGUF[name]


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


mixed = st.lists(
    st.sampled_from(["the", " ", "  ", "\n", "\t", "日本", "ü", "🤖", "123", "'s", "é", "\r\n", "ﬁ", "a", "Ω"]),
    max_size=12,
).map("".join)


@pytest.mark.parametrize("name", LOSSLESS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(texts, mixed))
def test_byte_invariant(name, text):
    t = tok(name)
    assume(not set(text.encode()) & t.vocab.missing_bytes())  # see test_missing_bytes_are_dropped
    assume(not (t.family == "sentencepiece" and "\u2581" in text))  # see test_sentencepiece_meta_symbol
    ids = t.encode(text)
    assert t.decode_bytes(ids) == text.encode("utf-8")
    assert not any(t.vocab.kinds[i] & TokenKind.SPECIAL for i in ids)


@pytest.mark.parametrize("name", LOSSLESS)
def test_byte_invariant_on_flores(name, flores):
    t = tok(name)
    langs = corpus.flores_languages(flores)[::7]  # 30 languages, every script family
    data = corpus.read_flores(flores, "devtest", langs, limit=8)
    lines = [s for ss in data.values() for s in ss]
    for s, ids in zip(lines, t.encode_batch(lines)):
        assert t.decode_bytes(ids) == s.encode("utf-8"), s
        assert ids == t.encode(s)  # the batch path is the same encoder


def test_wordpiece_is_lossy_in_a_documented_way():
    t = real_tokenizer("minilm")
    assert not t.lossless and t.vocab.family == "wordpiece"
    text = "Héllo  World, tokenizers!"
    ids = t.encode(text)
    pre = t.backend.pre_tokenizer.pre_tokenize_str(t.backend.normalizer.normalize_str(text))
    assert t.decode_bytes(ids) == "".join(p for p, _ in pre).encode()
    assert t.encode(text, add_special_tokens=True)[0] == t.vocab.roles["cls"]


@pytest.mark.parametrize("name", ["mistral-v1", "gemma3-270m", "gemma3-gguf"])
def test_sentencepiece_meta_symbol_decodes_as_a_space(name):
    """SentencePiece writes spaces as ``▁`` (U+2581), so a literal ``▁`` in the text comes back as a
    space. ``lossless`` means: every text without a literal ``▁`` round-trips (documented, not hidden)."""
    t = tok(name)
    assert t.decode_bytes(t.encode("a\u2581b")) == b"a b"
    assert t.lossless


def test_gpt2_golden_ids(gpt2):
    t = gpt2
    assert t.encode("Hello world") == [15496, 995]  # the ids every GPT-2 tutorial shows
    assert len(t.vocab) == 50257 and t.eos_id == 50256
    assert t.vocab.token_bytes(220) == b" "


def test_tekken_matches_mistral_common():
    mc = pytest.importorskip("mistral_common.tokens.tokenizers.tekken")
    t = real_tokenizer("tekken")
    ref = mc.Tekkenizer.from_file(str(models.pull("tekken")))
    for s in ["Hello world", "ünïcödé 日本語 🤖", "  two  spaces\n\nand lines", "x = 12345678"]:
        assert t.encode(s) == ref.encode(s, bos=False, eos=False)
        assert t.encode(s, add_special_tokens=True)[0] == ref.bos_id
    assert t.vocab.roles["bos"] == ref.bos_id and len(t.vocab) == ref.n_words


def test_sentencepiece_matches_library_and_marks_kinds(mistral_v1):
    t = mistral_v1
    sp = t.backend
    assert t.encode("Hello world") == sp.encode("Hello world")
    assert t.dummy_prefix  # Mistral v1 adds a dummy prefix; decode_bytes removes it
    fb = t.vocab.byte_fallback_ids()
    assert len(fb) == 256 and t.vocab.token_bytes(fb[0x0A]) == b"\n"
    assert t.vocab.roles == {"unk": 0, "bos": 1, "eos": 2}
    assert t.encode("x", add_special_tokens=True)[0] == 1


@pytest.mark.parametrize("name", ["smollm2-135m", "gemma3-270m"])
def test_gguf_vocab_equals_converted_tokenizer(name):
    """The vocabulary read straight from GGUF metadata equals the transformers conversion."""
    g = real_tokenizer_gguf(name)
    h = real_tokenizer(name)
    assert g.vocab.tokens == h.vocab.tokens
    assert g.vocab.roles.items() >= {k: v for k, v in h.vocab.roles.items() if k in ("bos", "eos", "unk")}.items()
    specials_g = set(g.vocab.ids_with(TokenKind.SPECIAL).tolist())
    specials_h = set(h.vocab.ids_with(TokenKind.SPECIAL).tolist())
    assert specials_h <= specials_g


def test_gemma3_vocab_census():
    v = real_tokenizer_gguf("gemma3-270m").vocab
    assert len(v) == 262144 and v.family == "sentencepiece"
    assert len(v.byte_fallback_ids()) == 256
    assert v.roles["bos"] == 2 and v.roles["eos"] == 1


def test_smollm2_is_byte_level_bpe(smollm2_tok):
    t = smollm2_tok
    assert t.vocab.family == "byte_bpe" and len(t.vocab) == 49152
    assert t.vocab.token_bytes(t.encode(" the")[0]) == b" the"
    assert t.vocab.is_special(t.vocab.roles["eos"])


def test_missing_bytes_are_dropped_by_smollm2(smollm2_tok):
    """SmolLM2's byte-level BPE has no token for some bytes; its encoder silently drops them."""
    t = smollm2_tok
    missing = t.vocab.missing_bytes()
    assert {0x04, 0xF1, 0xF2, 0xC0, 0xFF} <= missing and len(missing) == 21
    text = "a\x04b\U00040000c"  # U+40000 is F1 80 80 80 in UTF-8
    assert t.decode_bytes(t.encode(text)) == b"ab\x80\x80\x80c"
    for name in ("gpt2", "tekken", "gemma3-270m"):
        assert real_tokenizer(name).vocab.missing_bytes() == set()
