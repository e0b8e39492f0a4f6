"""StochasTok in pipelines: datasets.map (num_proc=2 == num_proc=1), torch collator, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tokforge_cli.main import main

from tokforge.errors import InputError
from tokforge.stochastok.core import StochasTok
from tokforge.stochastok.integrations import Collator, expand_dataset, map_fn

SENTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello world, hello tokens!",
    "",
    "Straße, café, 東京 and 😀.",
    "1234 + 5678 = 6912",
] * 8


@pytest.fixture(scope="module")
def st(gpt2):
    return StochasTok(gpt2, p=0.3, seed=7)


@pytest.fixture(scope="module")
def ds(st):
    import datasets

    ids = st.tokenizer.encode_batch(SENTS)
    labels = [[-100] * min(3, len(x)) + x[3:] for x in ids]
    return datasets.Dataset.from_dict({"input_ids": ids, "labels": labels, "text": SENTS})


def test_dataset_map_same_for_any_num_proc(st, ds):
    one = expand_dataset(ds, st, labels_column="labels", num_proc=None, batch_size=7, load_from_cache_file=False)
    two = expand_dataset(ds, st, labels_column="labels", num_proc=2, batch_size=3, load_from_cache_file=False)
    assert one["input_ids"] == two["input_ids"] and one["labels"] == two["labels"]
    want = [st.expand(x, index=i) for i, x in enumerate(ds["input_ids"])]
    assert one["input_ids"] == want
    assert one["input_ids"] != ds["input_ids"]
    for x, y, lab in zip(ds["input_ids"], one["input_ids"], one["labels"]):
        assert st.tokenizer.decode_bytes(y) == st.tokenizer.decode_bytes(x)
        assert len(lab) == len(y) and all(v in (-100, t) for v, t in zip(lab, y))


def test_dataset_refuses_stray_per_token_columns(st, ds):
    with pytest.raises(InputError, match="labels"):
        expand_dataset(ds, st)


def test_map_fn_pickles(st):
    import pickle

    fn = map_fn(st, seed=3)
    again = pickle.loads(pickle.dumps(fn))
    batch = {"input_ids": [[464, 2068, 7586], [15496, 995]]}
    assert again(batch, [0, 1]) == fn(batch, [0, 1])


def test_collator_expands_per_epoch(st, ds):
    import torch

    feats = [{"input_ids": x, "labels": lab, "idx": i} for i, (x, lab) in enumerate(zip(ds["input_ids"], ds["labels"]))]
    col = Collator(st, pad_id=50256)
    b0 = col(feats[:6])
    assert b0["input_ids"].dtype == torch.long and b0["input_ids"].shape == b0["labels"].shape
    again = col(feats[:6])
    assert torch.equal(b0["input_ids"], again["input_ids"])  # same epoch, same idx -> same
    col.set_epoch(1)
    b1 = col(feats[:6])
    assert not torch.equal(b0["input_ids"], b1["input_ids"]) or b0["input_ids"].shape != b1["input_ids"].shape
    for r in range(6):
        n = int(b1["attention_mask"][r].sum())
        ids = b1["input_ids"][r, :n].tolist()
        assert st.tokenizer.decode_bytes(ids) == st.tokenizer.decode_bytes(feats[r]["input_ids"])
        assert (b1["labels"][r, n:] == -100).all()
    as_tensors = [
        {"input_ids": torch.tensor(f["input_ids"]), "labels": torch.tensor(f["labels"]), "idx": f["idx"]}
        for f in feats[:6]
    ]
    assert torch.equal(col(as_tensors)["input_ids"], b1["input_ids"])
    short = Collator(st, max_length=4)(feats[:3])
    assert short["input_ids"].shape[1] <= 4


def test_cli_text_and_tokens(tmp_path, st, capsys):
    src = tmp_path / "in.txt"
    src.write_text("The quick brown fox.\n\nHello world!\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["stochastok", str(src), "--tokenizer", "gpt2", "--p", "0.5", "--seed", "3", "--out", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [st.tokenizer.decode(r) for r in rows] == ["The quick brown fox.", "Hello world!"]
    assert rows == st.expand_batch(st.tokenizer.encode_batch(["The quick brown fox.", "Hello world!"]), seed=3, p=0.5)
    back = tmp_path / "back.jsonl"
    assert main(["stochastok", str(out), "-t", "gpt2", "--contract", "--out", str(back)]) == 0
    assert [json.loads(x) for x in back.read_text().splitlines()] == st.tokenizer.encode_batch(
        ["The quick brown fox.", "Hello world!"]
    )
    npy = tmp_path / "one.npy"
    np.save(npy, np.array(rows[0], dtype=np.int32))
    assert main(["stochastok", str(npy), "-t", "gpt2", "--p", "0"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0]) == rows[0]


def test_cli_errors(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1, 2]\n[3, 99999999]\n")
    out = tmp_path / "o.jsonl"
    assert main(["stochastok", str(bad), "-t", "gpt2", "--out", str(out)]) == 2
    assert "batch[1][1]" in capsys.readouterr().err and not out.exists()
    bad.write_text('{"x": 1}\n')
    assert main(["stochastok", str(bad), "-t", "gpt2"]) == 2
    assert "list of integer token ids" in capsys.readouterr().err
    txt = tmp_path / "t.txt"
    txt.write_text("hi")
    assert main(["stochastok", str(txt), "-t", "gpt2", "--p", "1.5"]) == 2
    assert "p must be in [0, 1]" in capsys.readouterr().err
