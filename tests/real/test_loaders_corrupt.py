"""Corrupted real files: each either loads and round-trips, or raises tokforge's own error.

Hypothesis flips bits, zeroes runs and cuts the tail of a copy of each format's real file (written
under tmp_path): SmolLM2's and Gemma-3's tokenizer.json, Mistral v1's SentencePiece .model, GPT-2's
.tiktoken, Tekken's JSON, and the metadata header of SmolLM2's GGUF (the first 1.8 MB; the tensors
are never read). ``flip-alnum`` flips the low bit of a letter or digit, which keeps JSON and base64
valid, so the loaders' own checks get exercised, not only the parsers. Positions favour the first
and last 4 KB, where the formats keep their structure. Examples are derandomized (the same every run)
and few, because each load of a real file takes up to seconds.

The round trip ``decode_bytes(encode(x)) == x.encode()`` is checked where the loaded tokenizer says
it is lossless, on texts whose bytes it has tokens for (SmolLM2 drops 21 byte values by design). The
GGUF copy has no tensors, so transformers cannot build its encoder: there the vocabulary is checked.
"""

from __future__ import annotations

import pytest
from helpers.artifacts import gguf_header
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tokforge import load_tokenizer, models
from tokforge.errors import LoadError, TokforgeError

TEXTS = ["Hello world", "naïve café 日本語 🤖", "  two  spaces\n\nx = 12345;\tend"]


FORMATS = {
    "smollm2-tokenizer.json": (
        lambda: (models.pull("smollm2-135m", part="tokenizer") / "tokenizer.json").read_bytes(),
        "tokenizer.json",
        30,
    ),
    "gemma3-tokenizer.json": (
        lambda: (models.pull("gemma3-270m", part="tokenizer") / "tokenizer.json").read_bytes(),
        "tokenizer.json",
        4,
    ),
    "mistral-v1.model": (lambda: models.pull("mistral-v1").read_bytes(), "tokenizer.model.v1", 40),
    "gpt2.tiktoken": (lambda: models.pull("gpt2").read_bytes(), "gpt2.tiktoken", 16),
    "tekken.json": (lambda: models.pull("tekken").read_bytes(), "tekken_240911.json", 6),
    "smollm2.gguf-header": (lambda: gguf_header(models.pull("smollm2-135m", part="file")), "smollm2.gguf", 40),
}


_DATA: dict[str, bytes] = {}


KNOWN = {
    "mistral-v1.model": lambda data: [("flip", 235662, 31), ("flip", 18521, 47)],
    "tekken.json": lambda data: [("flip-alnum", 1158494, 31)],
    "gpt2.tiktoken": lambda data: [("cut", data.index(b"\n", 1000) + 1, 1)],
}


def data_of(name: str) -> bytes:
    if name not in _DATA:
        _DATA[name] = FORMATS[name][0]()
    return _DATA[name]


def corruption(n: int):
    """(operation, position, argument) over a file of ``n`` bytes."""
    edge = min(n, 4096)
    pos = st.one_of(st.integers(0, n - 1), st.integers(0, edge - 1), st.integers(n - edge, n - 1))
    return st.tuples(st.sampled_from(["flip", "flip-alnum", "zero", "cut"]), pos, st.integers(1, 64))


def corrupt(data: bytes, op: str, pos: int, arg: int) -> bytes:
    """``flip``: bit ``arg % 8`` of byte ``pos``; ``flip-alnum``: the low bit of the first ASCII letter or
    digit from ``pos`` on that stays one; ``zero``: ``arg`` bytes from ``pos``; ``cut``: keep ``pos`` bytes.

    >>> corrupt(b"ab1", "flip-alnum", 2, 0), corrupt(b"abc", "zero", 1, 5), corrupt(b"abc", "cut", 1, 0)
    (b'ab0', b'a\\x00\\x00', b'a')
    """
    if op == "cut":
        return data[:pos]
    b = bytearray(data)
    if op == "flip":
        b[pos] ^= 1 << (arg % 8)
    elif op == "zero":
        b[pos : pos + arg] = bytes(len(b[pos : pos + arg]))
    else:
        for i in range(pos, len(b)):
            if b[i] < 128 and chr(b[i]).isalnum() and chr(b[i] ^ 1).isalnum():
                b[i] ^= 1
                break
    return bytes(b)


def loads_and_round_trips_or_raises_ours(path) -> None:
    try:
        tok = load_tokenizer(path)
        v = tok.vocab
        assert len(v) > 0 and all(0 <= i < len(v) for i in v.roles.values())
        if path.suffix == ".gguf":
            return
        missing = v.missing_bytes()
        for text in TEXTS:
            ids = tok.encode(text)  # never crashes, lossless or not
            if tok.lossless and not set(text.encode()) & missing:
                assert tok.decode_bytes(ids) == text.encode(), (text, ids)
    except TokforgeError:
        pass  # tokforge's own one-line error: fine


@pytest.mark.parametrize("name", FORMATS)
def test_corrupted_file_loads_and_round_trips_or_raises_tokforge_error(name, tmp_path):
    data = data_of(name)
    path = tmp_path / FORMATS[name][1]

    @settings(
        max_examples=FORMATS[name][2],
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(corruption(len(data)))
    def check(c):
        path.write_bytes(corrupt(data, *c))
        loads_and_round_trips_or_raises_ours(path)

    for c in KNOWN.get(name, lambda d: [])(data):
        check = example(c)(check)
    check()


@pytest.mark.parametrize("name", FORMATS)
def test_uncorrupted_copy_loads_and_round_trips(name, tmp_path):
    """The copies themselves are fine: what fails above is the corruption."""
    path = tmp_path / FORMATS[name][1]
    path.write_bytes(data_of(name))
    tok = load_tokenizer(path)
    assert tok.lossless and len(tok.vocab) > 1000
    if path.suffix != ".gguf":
        for text in TEXTS:
            assert tok.decode_bytes(tok.encode(text)) == text.encode()


def test_gguf_header_copy_cannot_encode_and_says_so(tmp_path):
    """The vocabulary of a GGUF without tensors loads; its encoder is a LoadError, not a crash."""
    path = tmp_path / "smollm2.gguf"
    path.write_bytes(data_of("smollm2.gguf-header"))
    tok = load_tokenizer(path)
    with pytest.raises(LoadError, match="cannot build an encoder"):
        tok.encode("Hello")
