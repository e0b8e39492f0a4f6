"""Shares of a corpus (``tokforge.audit.hf_read``, ``Corpus.shard``): every row, byte or piece belongs to
exactly one shard, shards are contiguous and in order, and the byte-range line reader gives every line
of a file exactly once however the file is cut (CRLF, blank lines, multi-byte characters, no final
newline). The real readers and tokenizers: tests/real/test_audit_shards_real.py."""

from __future__ import annotations

import random

import pytest

from tokforge.audit.hf_read import byte_ranges, iter_line_range, pieces_of, share_range, text_rows
from tokforge.audit.sources import Corpus


@pytest.mark.parametrize("total", [0, 1, 7, 100, 1001])
@pytest.mark.parametrize("n", [1, 2, 3, 8])
def test_share_ranges_tile_the_total(total, n):
    ranges = [share_range(total, i, n) for i in range(n)]
    assert ranges[0][0] == 0 and ranges[-1][1] == total
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))  # contiguous, in order
    assert max(hi - lo for lo, hi in ranges) - min(hi - lo for lo, hi in ranges) <= 1  # balanced


@pytest.mark.parametrize("weights", [[5] * 11, [1, 100, 1, 1, 50], [0, 0, 3], [7], [0, 0]])
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_pieces_go_to_one_shard_each_in_order(weights, n):
    got = [pieces_of(i, n, weights) for i in range(n)]
    assert [j for part in got for j in part] == list(range(len(weights)))  # each once, contiguous, ordered


def _write(tmp_path, name: str, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_byte_ranges_read_every_line_once(tmp_path):
    rng = random.Random(0)
    words = ["a", "", "été", "日本語", "x y", "\r", "emoji 🙂", "tab\tz"]
    files = []
    for k, ending in enumerate([b"\n", b"\r\n", b""]):
        lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 4))) for _ in range(200)]
        data = (b"\n".join(s.encode() for s in lines) + ending).replace(b"\n", b"\r\n" if k == 1 else b"\n")
        files.append(_write(tmp_path, f"f{k}.txt", data))
    whole = [line for f in files for _, line in iter_line_range(f, 0, 1 << 40)]
    for n in (1, 2, 3, 7, 50):
        parts = [
            [line for f, s, e in byte_ranges(files, i, n) for _, line in iter_line_range(f, s, e)] for i in range(n)
        ]
        assert [x for p in parts for x in p] == whole, n


def test_text_rows_split_lines_like_datasets(tmp_path):
    """Universal newlines, an empty line kept as an empty row, as ``datasets``' text builder reads the file."""
    datasets = pytest.importorskip("datasets", reason="the data extra (datasets) is not installed")
    f = _write(tmp_path, "t.txt", "one\r\ntwo\rthree\n\nfour\u2028five\x0bsix\r\r\nlast\r".encode())
    rows = [r["text"] for r in text_rows([(f, 0, 1 << 40)], "text", None)]
    assert rows == ["one", "two", "three", "", "four\u2028five\x0bsix", "", "last"]
    datasets.disable_progress_bars()
    assert rows == list(datasets.load_dataset("text", data_files=[f], split="train", streaming=True)["text"])


def test_corpus_shards_are_contiguous_runs_of_its_lines():
    texts = {"eng_Latn": [f"e{i}" for i in range(7)], "fra_Latn": [f"f{i}" for i in range(3)], "deu_Latn": ["d0"]}
    keys = {k: [str(i) for i in range(len(v))] for k, v in texts.items()}
    c = Corpus("c", texts, keys, ["a warning"])
    for n in (1, 2, 3, 4, 20):
        shards = [c.shard(i, n) for i in range(n)]
        flat = [(lang, s, k) for sh in shards for lang in sh.texts for s, k in zip(sh.texts[lang], sh.keys[lang])]
        assert flat == [(lang, s, k) for lang in texts for s, k in zip(texts[lang], keys[lang])], n
        assert all(sh.parallel and sh.warnings == ["a warning"] for sh in shards)
        assert max(sh.n_rows() for sh in shards) - min(sh.n_rows() for sh in shards) <= 1
