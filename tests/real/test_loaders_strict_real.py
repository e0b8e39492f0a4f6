"""Tests on real artifacts (the synthetic ones: tests/unit/test_loaders_strict.py). Loaders never guess: each
case that used to load with made-up bytes, a skipped file or a wrong
``lossless`` flag is now a `LoadError` (or an honest flag). Inputs are copies of the real artifacts
with one targeted change, written under tmp_path; one tiny GGUF is written with the gguf library."""

from __future__ import annotations

import base64
import json
import re

import pytest
from helpers.artifacts import gguf_header, real_tokenizer
from sentencepiece import sentencepiece_model_pb2 as pb

from tokforge import TokenKind, load_tokenizer, models
from tokforge.errors import LoadError


@pytest.fixture(scope="module")
def smollm2_header():
    return gguf_header(models.pull("smollm2-135m", part="file"))


def kv_offset(header: bytes, key: str) -> int:
    """Offset of the value (after its type) of ``key`` in a GGUF header."""
    k = key.encode()
    i = header.index(len(k).to_bytes(8, "little") + k)
    return i + 8 + len(k) + 4


def test_gguf_header_copy_loads(smollm2_header, smollm2_tok, tmp_path):
    """The header copy is a faithful stand-in: same vocabulary as the whole file."""
    p = tmp_path / "h.gguf"
    p.write_bytes(smollm2_header)
    assert load_tokenizer(p).vocab.tokens == smollm2_tok.vocab.tokens


def test_gguf_unknown_tokenizer_model_is_an_error(smollm2_header, tmp_path):
    at = kv_offset(smollm2_header, "tokenizer.ggml.model")
    assert smollm2_header[at : at + 12] == (4).to_bytes(8, "little") + b"gpt2"
    p = tmp_path / "bert.gguf"
    p.write_bytes(smollm2_header[: at + 8] + b"bert" + smollm2_header[at + 12 :])
    with pytest.raises(LoadError, match="unsupported GGUF tokenizer model 'bert'"):
        load_tokenizer(p)


def test_gguf_piece_outside_byte_alphabet_is_an_error(smollm2_header, tmp_path):
    old = (len("Ġthe".encode())).to_bytes(8, "little") + "Ġthe".encode()
    new = (len("ɐthe".encode())).to_bytes(8, "little") + "ɐthe".encode()  # same length, U+0250 not in the map
    assert smollm2_header.count(old) == 1
    p = tmp_path / "odd.gguf"
    p.write_bytes(smollm2_header.replace(old, new))
    with pytest.raises(LoadError, match="outside GPT-2's byte alphabet"):
        load_tokenizer(p)


def test_gguf_unknown_token_type_is_an_error(smollm2_header, tmp_path):
    at = kv_offset(smollm2_header, "tokenizer.ggml.token_type") + 4 + 8  # element type, count
    b = bytearray(smollm2_header)
    b[at + 4 * 100 : at + 4 * 101] = (9).to_bytes(4, "little")  # token 100: type 9 does not exist
    p = tmp_path / "type.gguf"
    p.write_bytes(bytes(b))
    with pytest.raises(LoadError, match="token 100 has unknown type 9"):
        load_tokenizer(p)


def test_gguf_role_outside_vocabulary_is_an_error(smollm2_header, tmp_path):
    at = kv_offset(smollm2_header, "tokenizer.ggml.eos_token_id")
    b = bytearray(smollm2_header)
    b[at : at + 4] = (10**6).to_bytes(4, "little")
    p = tmp_path / "eos.gguf"
    p.write_bytes(bytes(b))
    with pytest.raises(LoadError, match="eos_token_id 1000000 is outside the vocabulary"):
        load_tokenizer(p)


@pytest.fixture(scope="module")
def smollm2_spec():
    return json.loads((models.pull("smollm2-135m", part="tokenizer") / "tokenizer.json").read_text("utf-8"))


def write_hf(tmp_path, spec, **files):
    d = tmp_path / "tok"
    d.mkdir()
    (d / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    for name, text in files.items():
        (d / f"{name}.json").write_text(text, encoding="utf-8")
    return d


def test_hf_piece_outside_byte_alphabet_is_an_error(smollm2_spec, tmp_path):
    spec = json.loads(json.dumps(smollm2_spec))
    spec["model"]["vocab"]["ɐthe"] = len(spec["model"]["vocab"])
    with pytest.raises(LoadError, match=r"piece 49152 'ɐthe' is not in GPT-2's byte alphabet"):
        load_tokenizer(write_hf(tmp_path, spec))


def test_hf_two_pieces_sharing_an_id_is_an_error(smollm2_spec, tmp_path):
    """tokenizers accepts it, then decodes the id as one piece and encodes the other to it."""
    spec = json.loads(json.dumps(smollm2_spec))
    spec["model"]["vocab"]["Ġworld"] = spec["model"]["vocab"]["ĠHello"]
    with pytest.raises(LoadError, match="share id"):
        load_tokenizer(write_hf(tmp_path, spec))


def test_hf_added_token_with_another_id_is_an_error(smollm2_spec, tmp_path):
    spec = json.loads(json.dumps(smollm2_spec))
    a = spec["added_tokens"][5]
    a["id"] += 1  # tokenizers keeps the vocab's id and only logs a warning
    with pytest.raises(LoadError, match=re.escape(f"added token '{a['content']}' has id {a['id']} in the file")):
        load_tokenizer(write_hf(tmp_path, spec))


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
@pytest.mark.parametrize("cfg", ["tokenizer_config", "special_tokens_map"])
def test_hf_unreadable_config_is_an_error_naming_it(smollm2_spec, tmp_path, cfg, text):
    d = write_hf(tmp_path, smollm2_spec, **{cfg: text})
    with pytest.raises(LoadError, match=f"{cfg}.json") as e:
        load_tokenizer(d)
    assert str(d / f"{cfg}.json") in str(e.value)


@pytest.mark.parametrize(
    "normalizer, text",
    [
        ({"type": "NFKC"}, "ﬁne"),
        ({"type": "Lowercase"}, "Hello"),
        ({"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}]}, "café"),
        ({"type": "Strip", "strip_left": True, "strip_right": True}, " x "),
    ],
)
def test_hf_normalizer_that_changes_text_is_lossy(smollm2_spec, tmp_path, normalizer, text):
    spec = json.loads(json.dumps(smollm2_spec))
    spec["normalizer"] = normalizer
    t = load_tokenizer(write_hf(tmp_path, spec))
    assert t.decode_bytes(t.encode(text)) != text.encode()  # the backend really changes the text...
    assert not t.lossless  # ...and the flag says so


def test_hf_pre_tokenizer_that_drops_whitespace_is_lossy(smollm2_spec, tmp_path):
    spec = json.loads(json.dumps(smollm2_spec))
    spec["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, spec["pre_tokenizer"]]}
    t = load_tokenizer(write_hf(tmp_path, spec))
    assert t.decode_bytes(t.encode("a b")) == b"ab" and not t.lossless


@pytest.mark.parametrize("name", ["smollm2-135m", "gemma3-270m"])
def test_real_hf_tokenizers_stay_lossless(name):
    """Gemma-3's ``Replace(' ', '▁')`` normalizer is SentencePiece's convention, undone by the vocabulary."""
    assert real_tokenizer(name).lossless


@pytest.fixture(scope="module")
def mistral_bytes():
    return models.pull("mistral-v1").read_bytes()


def test_spm_piece_that_is_not_utf8_is_a_load_error(mistral_bytes, tmp_path):
    """protobuf hands such a piece back as bytes; it used to escape as a TypeError."""
    piece = "\u2581the".encode()
    i = mistral_bytes.index(bytes([0x0A, len(piece)]) + piece)  # field 1 (piece), length, text
    b = bytearray(mistral_bytes)
    b[i + 2 + len(piece) - 1] = 0xFF
    p = tmp_path / "bad.model"
    p.write_bytes(bytes(b))
    with pytest.raises(LoadError, match="not UTF-8"):
        load_tokenizer(p)


def _without_byte_fallback(data: bytes, new_type: int) -> bytes:
    proto = pb.ModelProto()
    proto.ParseFromString(data)
    proto.trainer_spec.byte_fallback = False
    for piece in proto.pieces:
        if piece.type == 6:  # BYTE
            piece.type = new_type
    return proto.SerializeToString()


def test_spm_without_byte_fallback_is_lossy(mistral_bytes, mistral_v1, tmp_path):
    p = tmp_path / "nofb.model"
    p.write_bytes(_without_byte_fallback(mistral_bytes, 5))  # UNUSED
    t = load_tokenizer(p)
    assert t.decode_bytes(t.encode("a🤖b")) == b"a<unk>b"  # unknown characters become <unk>...
    assert not t.lossless  # ...so the flag says lossy
    assert mistral_v1.lossless


def test_spm_normal_piece_spelled_like_a_byte_keeps_its_text(mistral_bytes, tmp_path):
    p = tmp_path / "normal.model"
    p.write_bytes(_without_byte_fallback(mistral_bytes, 1))  # NORMAL
    t = load_tokenizer(p)
    i = t.backend.piece_to_id("<0x41>")
    assert t.vocab.token_bytes(i) == b"<0x41>" and t.vocab.kind(i) == TokenKind.NORMAL


def test_tiktoken_without_every_single_byte_is_an_error(tmp_path):
    """tiktoken panics (a BaseException, past ``except Exception``) on a byte it has no rank for."""
    p = tmp_path / "cut.tiktoken"
    p.write_bytes(b"\n".join(models.pull("gpt2").read_bytes().splitlines()[:200]) + b"\n")
    with pytest.raises(LoadError, match="no token for 56 single bytes"):
        load_tokenizer(p)


@pytest.fixture(scope="module")
def tekken_spec():
    return json.loads(models.pull("tekken").read_text("utf-8"))


def test_tekken_repeated_token_is_an_error(tekken_spec, tmp_path):
    """Two ranks for one token used to reach tiktoken, which panics."""
    spec = json.loads(json.dumps(tekken_spec))
    spec["vocab"][300]["token_bytes"] = spec["vocab"][299]["token_bytes"]
    p = tmp_path / "tekken.json"
    p.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(LoadError, match="entry 300 repeats the token of entry 299"):
        load_tokenizer(p)


def test_tekken_entry_with_another_rank_is_an_error(tekken_spec, tmp_path):
    spec = json.loads(json.dumps(tekken_spec))
    spec["vocab"][300]["rank"] = 7
    p = tmp_path / "tekken.json"
    p.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(LoadError, match="entry 300 has rank 7"):
        load_tokenizer(p)


def test_tekken_truncated_vocab_is_an_error(tekken_spec, tmp_path):
    spec = {**tekken_spec, "vocab": tekken_spec["vocab"][:1000]}
    p = tmp_path / "tekken.json"
    p.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(LoadError, match="Tekken vocab has 1000 entries"):
        load_tokenizer(p)


def test_tekken_bad_base64_is_an_error(tekken_spec, tmp_path):
    spec = json.loads(json.dumps(tekken_spec))
    spec["vocab"][400]["token_bytes"] = "@@" + spec["vocab"][400]["token_bytes"]
    p = tmp_path / "tekken.json"
    p.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(LoadError, match="malformed Tekken vocab entry"):
        load_tokenizer(p)
    assert base64.b64decode(spec["vocab"][400]["token_bytes"])  # lenient base64 would have guessed a token
