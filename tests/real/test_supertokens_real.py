"""Tests on real artifacts (the synthetic ones: tests/unit/test_supertokens.py). Supertokens on real text
(tinyshakespeare) and a real tokenizer (SmolLM2): stage 1 kept,
transformers/tokforge agree, byte round trip, compression beats plain BPE of the same size."""

from __future__ import annotations

import json

import pytest

from tokforge import load_tokenizer
from tokforge.supertokens import pretok
from tokforge.supertokens.report import compare, plain_bpe, stage1_agreement
from tokforge.supertokens.train import SuperConfig, checked_lines, train_bpe
from tokforge.supertokens.trainer import train_supertokens

ODD = [
    "Hello,  world!\n\n  3.14159 and 1,000,000",
    "naïve café — ümlaut 😀 中文 text",
    "x\ty\r\nz  ",
    "",
    " ",
    "'Tis  o'er, 'twas!",
]


@pytest.fixture(scope="module")
def texts(shakespeare):
    lines = shakespeare.read_text(encoding="utf-8").split("\n")
    return lines[:6000], lines[30000:31000]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, texts):
    d = tmp_path_factory.mktemp("st")
    f = d / "train.txt"
    f.write_text("\n".join(texts[0]) + "\n", encoding="utf-8")
    tok = train_supertokens([f], 3000, config=SuperConfig(transition=2000), out=d / "st3k", progress=False)
    return f, d / "st3k", tok


def test_stage1_merges_kept_verbatim(trained, texts):
    f, out, _ = trained
    stage1 = train_bpe(checked_lines([f]), 2000, pretok.stage1_pretokenizer())
    m1 = json.loads(stage1.to_str())["model"]["merges"]
    spec = json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))
    assert len(spec["model"]["merges"]) > len(m1) and spec["model"]["merges"][: len(m1)] == m1
    held = texts[1] + ODD
    assert stage1_agreement(spec, len(m1), stage1, held) == 1.0


def test_transformers_and_tokforge_agree_and_round_trip(trained, texts):
    from transformers import AutoTokenizer

    _, out, tok = trained
    hf = AutoTokenizer.from_pretrained(out)
    ours = load_tokenizer(out)
    assert hf.eos_token == "<|endoftext|>" and len(hf) == len(ours.vocab) == 3000
    for t in texts[1][:300] + ODD + ["\n".join(texts[1])]:
        ids = ours.encode(t)
        assert hf.encode(t, add_special_tokens=False) == ids == tok.encode(t)
        assert ours.decode_bytes(ids) == t.encode("utf-8") and hf.decode(ids) == t


def test_compression_beats_plain_bpe_of_same_size(trained, texts):
    f, out, tok = trained
    rows = compare({"plain": plain_bpe([f], 3000), "super": tok}, texts[1])
    plain, sup = rows
    assert plain["vocab"] == sup["vocab"] == 3000
    assert sup["tokens"] < 0.97 * plain["tokens"] and sup["bytes_per_token"] > plain["bytes_per_token"]
    assert plain["multiword_share"] == 0 and sup["multiword_share"] > 0.03


def test_extend_smollm2_keeps_its_merges(tmp_path, texts, smollm2_tok):
    from tokforge import models

    f = tmp_path / "t.txt"
    f.write_text("\n".join(texts[0][:3000]) + "\n", encoding="utf-8")
    base_dir = models.pull("smollm2-135m")
    tok = train_supertokens(
        [f], 49152 + 200, config=SuperConfig(base="smollm2-135m"), out=tmp_path / "ext", progress=False
    )
    base_spec = json.loads((base_dir / "tokenizer.json").read_text(encoding="utf-8"))
    spec = json.loads((tmp_path / "ext" / "tokenizer.json").read_text(encoding="utf-8"))
    n = len(base_spec["model"]["merges"])
    assert spec["model"]["merges"][:n] == base_spec["model"]["merges"] and len(spec["model"]["merges"]) >= n + 200
    assert tok.vocab.tokens[:49152] == smollm2_tok.vocab.tokens and len(tok.vocab) == 49352
    assert tok.vocab.roles == smollm2_tok.vocab.roles and tok.vocab.roles  # from the base's tokenizer_config.json
    held = texts[1][:400] + ODD
    assert stage1_agreement(spec, n, smollm2_tok.backend, held) == 1.0
    for t in held:
        assert tok.decode_bytes(tok.encode(t)) == t.encode("utf-8")
    assert sum(map(len, tok.encode_batch(held))) < 0.97 * sum(map(len, smollm2_tok.encode_batch(held)))
