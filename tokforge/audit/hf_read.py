"""Reading one share of an ``hf:`` corpus: which rows shard ``(i, n)`` owns, and a reader per format that
touches only those rows.

A share is contiguous, so shards merged in index order see the rows in the corpus's own order:

* a ``save_to_disk`` folder: a contiguous range of its memory-mapped rows (``Dataset.select``);
* ``.parquet``: whole row groups, each to the shard holding its middle row (from the file footers);
* ``.jsonl`` and ``.txt``: byte ranges of the files laid end to end, a line to the shard holding its
  first byte, so a single file splits too;
* ``.json``, ``.csv``, ``.arrow`` (read by ``datasets``): whole files, each to the shard holding its
  middle byte; with fewer files than shards some shards are empty, and the corpus says so.

>>> share_range(10, 0, 3), share_range(10, 2, 3)
((0, 3), (6, 10))
>>> [pieces_of(i, 3, [5, 5, 5, 5]) for i in range(3)]
[[0], [1, 2], [3]]
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

from ..errors import InputError

LINE_FILES = (".jsonl", ".txt")  # read line by line here; a .json file may be one document: datasets reads it


def share_range(total: int, i: int, n: int) -> tuple[int, int]:
    """``[lo, hi)`` of shard i of n over ``total`` units (rows or bytes); every unit is in exactly one shard."""
    return total * i // n, total * (i + 1) // n


def pieces_of(i: int, n: int, weights: list[int]) -> list[int]:
    """Indices of the pieces (row groups, files) of shard i of n: each piece goes to the shard holding its
    middle unit, so shards are contiguous runs of pieces balanced by weight."""
    total = sum(weights)
    out, cum = [], 0
    for j, w in enumerate(weights):
        s = min(n - 1, (2 * cum + w) * n // (2 * total)) if total else j * n // len(weights)
        if s == i:
            out.append(j)
        cum += w
    return out


def line_split(files: list[str]) -> bool:
    """Whether these files are read line by line (and split by bytes): ``.jsonl`` and ``.txt``."""
    return all(Path(f).suffix.lower() in LINE_FILES for f in files)


def byte_ranges(files: list[str], i: int, n: int) -> list[tuple[str, int, int]]:
    """``(file, start, end)`` of shard i of n over the files laid end to end (``end`` exclusive)."""
    sizes = [os.path.getsize(f) for f in files]
    lo, hi = share_range(sum(sizes), i, n)
    out, off = [], 0
    for f, size in zip(files, sizes):
        s, e = max(lo, off) - off, min(hi, off + size) - off
        if s < e:
            out.append((f, s, e))
        off += size
    return out


def iter_line_range(path: str, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` of the lines of a file whose first byte lies in ``[start, end)``, without ``\\n``."""
    with open(path, "rb", buffering=1 << 20) as f:
        if start > 0:
            f.seek(start - 1)
            f.readline()  # the line running into ``start`` belongs to the shard before
        pos = f.tell()
        while pos < end:
            line = f.readline()
            if not line:
                return
            yield pos, line[:-1] if line.endswith(b"\n") else line
            pos += len(line)


def _decode(line: bytes, path: str, pos: int) -> str:
    """A line as text; bytes that are not UTF-8 are an error naming the file and the offset."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("hf: corpus file is not UTF-8", where=f"{path} (byte {pos})") from None


def _missing(col: str, have, path: str, option: str) -> InputError:
    """The error for a column the corpus lacks, listing the columns it has."""
    return InputError(f"hf: corpus has no column {col!r}", where=path, fix=f"choose {option}= from: " + ", ".join(have))


def text_rows(ranges, text_col: str, lang_col: str | None) -> Iterator[dict]:
    """Rows of ``.txt`` ranges (column ``text``): lines ended by ``\n``, ``\r\n`` or ``\r`` (universal
    newlines, as ``datasets``' text builder reads them), an empty line an empty row."""
    path = ranges[0][0] if ranges else "a .txt corpus"
    if text_col != "text":
        raise _missing(text_col, ["text"], path, "text_column")
    if lang_col:
        raise _missing(lang_col, ["text"], path, "lang_column")
    for path, s, e in ranges:
        for pos, line in iter_line_range(path, s, e):
            text = _decode(line, path, pos)
            yield from ({"text": x} for x in (text[:-1] if text.endswith("\r") else text).split("\r"))


def jsonl_rows(ranges, text_col: str, lang_col: str | None) -> Iterator[dict]:
    """Rows (dicts) of ``.jsonl`` ranges; blank lines are skipped, a first row without the columns is an error."""
    first = True
    for path, s, e in ranges:
        for pos, line in iter_line_range(path, s, e):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise InputError("hf: not a JSON line", where=f"{path} (byte {pos})") from None
            if not isinstance(row, dict):
                raise InputError("hf: a JSON line is not an object", where=f"{path} (byte {pos})")
            if first:
                for col, option in ((text_col, "text_column"), (lang_col, "lang_column")):
                    if col and col not in row:
                        raise _missing(col, list(row), path, option)
                first = False
            yield row


def parquet_pieces(files: list[str]) -> list[tuple[str, int, int]]:
    """``(file, row group, rows)`` of every row group, from the footers only."""
    import pyarrow.parquet as pq

    out = []
    for f in files:
        meta = pq.ParquetFile(f).metadata
        out += [(f, g, meta.row_group(g).num_rows) for g in range(meta.num_row_groups)]
    return out


def parquet_batches(pieces, cols: list[str], batch: int) -> Iterator[dict]:
    """Column batches of the given row groups (``pieces`` from :func:`parquet_pieces`), file by file."""
    import pyarrow.parquet as pq

    by_file: dict[str, list[int]] = {}
    for f, g, _ in pieces:
        by_file.setdefault(f, []).append(g)
    for f, groups in by_file.items():
        pf = pq.ParquetFile(f)
        have = pf.schema_arrow.names
        for col, option in zip(cols, ("text_column", "lang_column")):
            if col not in have:
                raise _missing(col, have, f, option)
        for rb in pf.iter_batches(batch_size=batch, row_groups=groups, columns=cols):
            yield {c: rb.column(c).to_pylist() for c in cols}


def batched(rows: Iterator[dict], cols: list[str], batch: int) -> Iterator[dict]:
    """Row dicts -> column batches of ``batch`` rows (a missing value is None)."""
    buf: list[dict] = []
    for row in rows:
        buf.append(row)
        if len(buf) == batch:
            yield {c: [r.get(c) for r in buf] for c in cols}
            buf = []
    if buf:
        yield {c: [r.get(c) for r in buf] for c in cols}


def count_lines(ranges) -> int:
    """Lines in byte ranges (for the progress bar): one per ``\\n`` plus an unterminated last line."""
    n = 0
    for path, s, e in ranges:
        with open(path, "rb") as f:
            f.seek(s)
            left, last = e - s, b""
            while left > 0:
                block = f.read(min(left, 1 << 24))
                if not block:
                    break
                n += block.count(b"\n")
                left -= len(block)
                last = block[-1:]
            n += bool(last) and last != b"\n"
    return n
