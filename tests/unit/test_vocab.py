"""Vocab: golden cases you can check by hand, kinds, index preference, the on-disk format."""

import json

import pytest

from tokforge import TokenKind, Vocab
from tokforge.errors import InputError, LoadError
from tokforge.vocab import bytes_to_unicode, concat, spm_piece_bytes, unbytelevel


def small():
    return Vocab(
        [b"a", b"b", b"ab", b"\xe2\x82", b"<s>", b"a", b"\x00"],
        [0, 0, 0, 0, TokenKind.SPECIAL, TokenKind.ADDED, TokenKind.BYTE_FALLBACK],
        roles={"bos": 4},
        name="small",
        family="bpe",
    )


def test_golden_small_vocab():
    v = small()
    assert len(v) == 7
    assert v.token_bytes(2) == b"ab"
    assert v.id_of(b"a") == 0  # a normal token wins over the added duplicate at id 5
    assert v.id_of(b"zz") is None
    assert v.kind(3) == TokenKind.PARTIAL_UTF8  # an incomplete 3-byte UTF-8 sequence
    assert v.kind(4) == TokenKind.SPECIAL  # specials are not checked for UTF-8
    assert v.duplicates() == {b"a": [0, 5]}
    assert v.byte_fallback_ids() == {0: 6}
    assert v.text_ids().tolist() == [0, 1, 2, 3, 5, 6]
    assert concat(v, [2, 1, 0]) == b"abba"


def test_out_of_range_ids_are_clear_errors():
    v = small()
    with pytest.raises(InputError, match="token id out of range: id 7"):
        v.token_bytes(7)
    with pytest.raises(InputError, match="out of range"):
        concat(v, [0, -1])
    with pytest.raises(InputError, match="role 'eos' points outside"):
        Vocab([b"a"], roles={"eos": 3})


def test_gpt2_byte_map_is_a_bijection():
    m = bytes_to_unicode()
    assert len(m) == 256 and len(set(m.values())) == 256
    assert m[ord(" ")] == "Ġ" and m[ord("\n")] == "Ċ"
    assert unbytelevel("".join(m[b] for b in range(256))) == bytes(range(256))
    assert unbytelevel("€") is None


def test_sentencepiece_pieces():
    assert spm_piece_bytes("▁the") == (b" the", False)
    assert spm_piece_bytes("<0xFF>") == (b"\xff", True)
    assert spm_piece_bytes("<0xZZ>") == (b"<0xZZ>", False)


def test_save_load_round_trip_and_version(tmp_path):
    v = small()
    p = v.save(tmp_path / "v.json")
    w = Vocab.load(p)
    assert w.tokens == v.tokens and w.kinds.tolist() == v.kinds.tolist() and w.roles == v.roles
    assert w.fingerprint() == v.fingerprint()
    d = json.loads(p.read_text())
    d["version"] = 99
    p.write_text(json.dumps(d))
    with pytest.raises(LoadError, match="unsupported vocabulary file version 99"):
        Vocab.load(p)


def test_fingerprint_changes_with_kinds():
    a = Vocab([b"x", b"y"])
    b = Vocab([b"x", b"y"], [0, TokenKind.SPECIAL])
    assert a.fingerprint() != b.fingerprint()
