"""``--corpus hf:PATH``: a local Hugging Face ``datasets`` dataset or data files, streamed.

``PATH`` is a folder written by ``Dataset.save_to_disk`` (read memory-mapped), a data file, a
folder of data files, or a glob (``.parquet``, ``.jsonl``/``.json``, ``.arrow``, ``.csv``,
``.txt``). Rows are read in batches, so memory stays flat whatever the size. The text is in
``text_column`` (``text`` by default); the language in ``lang_column`` or, without one, is the
name of ``PATH`` (``eng_Latn.parquet`` -> ``eng_Latn``). Such corpora are not parallel (no
parity); every other metric is computed.

Shards: ``shard(i, n)`` is the corpus's share i of n, a contiguous part that is read alone (row
groups, byte ranges of line files, whole files, or a saved dataset's row range: see
:mod:`tokforge.audit.hf_read`),
so n workers (or n machines running ``tokforge audit --shard i/n``) each read only their rows, cover
every row exactly once, and their merged statistics equal those of the whole
(:class:`tokforge.audit.accum.CorpusStats`). ``limit`` (the first N rows per language) needs every row
before a shard's own, so a limited corpus is not split.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from ..corpus import hf_data_files
from ..errors import InputError
from . import hf_read

BATCH_LINES = 16384  # lines per encode_batch call: few calls (tiktoken starts a thread pool per call), small memory


class HFCorpus:
    """A streamed corpus; same batch interface as :class:`tokforge.audit.sources.Corpus`."""

    parallel = False
    keys = None

    def __init__(
        self,
        path: str,
        text_column: str = "text",
        lang_column: str | None = None,
        langs: list[str] | None = None,
        limit: int | None = None,
        batch: int | None = None,
    ):
        self.path, self.text_column, self.lang_column = path, text_column, lang_column
        self.langs, self.limit, self.batch = langs, limit, batch
        self.name = f"hf:{path}"
        self.warnings: list[str] = []
        self.seen: dict[str, int] = {}
        self.part = (0, 1)
        self.rows_read = 0  # rows this object's reader produced (before the language filter)
        self._where = os.path.abspath(path)  # workers may run in another folder
        self._disk = Path(path).is_dir() and (Path(path) / "state.json").is_file()
        if not self._disk:
            files, self.builder = hf_data_files(path)
            self.files = [os.path.abspath(f) for f in files]
        self.default_lang = Path(path.rstrip("/").split("*")[0] or "corpus").name.split(".")[0] or "corpus"

    def shard(self, i: int, n: int) -> "HFCorpus":
        """Share i of n: the same corpus reading only its own rows (its warnings go to this corpus's list)."""
        if self.part != (0, 1):
            raise InputError("an hf: corpus shard cannot be split again", where=f"shard {self.part[0]}/{self.part[1]}")
        if n > 1 and self.limit:
            raise InputError(
                "limit=N cannot be combined with splitting an hf: corpus (the first N rows of a language need "
                "every row before them)",
                where=self.path,
                fix="drop limit, or cut the corpus first and audit that",
            )
        c = copy.copy(self)
        c.part, c.seen, c.rows_read = (i, n), {}, 0
        return c

    def _datasets(self):
        from ..extras import require

        return require("datasets", "an hf:PATH corpus")

    def _dataset(self, files=None):
        """The ``datasets`` view: the memory-mapped folder's share, or whole data files streamed."""
        from ..hflog import quiet_datasets

        datasets = self._datasets()
        with quiet_datasets():  # the caller's datasets logging and bars are put back after loading
            if self._disk:
                ds = datasets.load_from_disk(self._where)
                lo, hi = hf_read.share_range(ds.num_rows, *self.part)
                return ds.select(range(lo, hi)) if self.part[1] > 1 else ds  # a contiguous range: no index map
            return datasets.load_dataset(self.builder, data_files=files or self.files, split="train", streaming=True)

    def _whole_files(self) -> list[str]:
        """The data files of this share, for formats split by whole files."""
        sizes = [os.path.getsize(f) for f in self.files]
        return [self.files[j] for j in hf_read.pieces_of(*self.part, sizes)]

    def n_rows(self) -> int | None:
        """Rows in this share when cheap to know (for the progress bar's ETA), else None."""
        if self._disk:
            return self._dataset().num_rows
        if self.builder == "parquet":
            pieces = hf_read.parquet_pieces(self.files)
            return sum(pieces[j][2] for j in hf_read.pieces_of(*self.part, [p[2] for p in pieces]))
        if hf_read.line_split(self.files):
            return hf_read.count_lines(hf_read.byte_ranges(self.files, *self.part))
        return None

    @property
    def n_bytes(self) -> int:
        return sum(os.path.getsize(f) for f in self.files) if not self._disk else 0

    def _column_batches(self, batch: int):
        """Column dicts ``{text_column: [...], lang_column: [...]}`` of this share, ``batch`` rows at most."""
        cols = [self.text_column] + ([self.lang_column] if self.lang_column else [])
        i, n = self.part
        if not self._disk and self.builder == "parquet":
            pieces = hf_read.parquet_pieces(self.files)
            self._few(len(pieces), "row groups")
            mine = [pieces[j] for j in hf_read.pieces_of(i, n, [p[2] for p in pieces])]
            yield from hf_read.parquet_batches(mine, cols, batch)
            return
        if not self._disk and hf_read.line_split(self.files):
            ranges = hf_read.byte_ranges(self.files, i, n)
            read = hf_read.jsonl_rows if self.builder == "json" else hf_read.text_rows
            yield from hf_read.batched(read(ranges, self.text_column, self.lang_column), cols, batch)
            return
        if not self._disk:
            self._few(len(self.files), f"{self.builder} files (split by whole files)")
        files = None if self._disk else self._whole_files()
        if files == []:
            return
        ds = self._dataset(files)
        have = ds.column_names or []
        for col, option in zip(cols, ("text_column", "lang_column")):
            if have and col not in have:
                raise InputError(
                    f"hf: corpus has no column {col!r}",
                    where=self.path,
                    fix=f"choose {option}= from: " + ", ".join(have),
                )
        yield from ds.iter(batch_size=batch)

    def _few(self, pieces: int, what: str) -> None:
        """A warning when the corpus has fewer pieces than shards (some shards then read nothing)."""
        n = self.part[1]
        if pieces < n:
            note = f"hf: corpus has {pieces} {what}, fewer than the {n} shards; the others have no rows"
            if note not in self.warnings:
                self.warnings.append(note)

    def iter_batches(self, batch: int | None = None):
        """``(lang, lines, None)`` per batch of rows; ``lang`` is a list (one per line) for a mixed batch."""
        want = set(self.langs) if self.langs else None
        text_col = self.text_column
        for rows in self._column_batches(batch or self.batch or BATCH_LINES):
            texts = rows[text_col]
            self.rows_read += len(texts)
            langs = [str(x) for x in rows[self.lang_column]] if self.lang_column else [self.default_lang] * len(texts)
            keep_t, keep_l = [], []
            for t, lang in zip(texts, langs):
                if t is None or (want is not None and lang not in want):
                    continue
                if self.limit and self.seen.get(lang, 0) >= self.limit:
                    continue
                self.seen[lang] = self.seen.get(lang, 0) + 1
                keep_t.append(t)
                keep_l.append(lang)
            if keep_t:
                yield (keep_l[0] if len(set(keep_l)) == 1 else keep_l), keep_t, None

    def finish(self, whole: bool = True) -> None:
        """Warnings for requested languages that never appeared (call after a full pass of this share).

        ``whole=False``: a worker's share in a split run, whose gaps the merged result speaks for."""
        if whole:
            self.warnings.extend(gap_warnings(self.path, self.langs, self.seen, self.part))


def gap_warnings(path: str, langs, seen, part: tuple[int, int] = (0, 1)) -> list[str]:
    """Requested languages without rows; no row at all is an error for a whole corpus, a warning for a shard."""
    where = "" if part == (0, 1) else f" shard {part[0]}/{part[1]}"
    out = [f"hf: corpus{where} has no rows for requested language {x!r}; skipped" for x in langs or [] if x not in seen]
    if not seen:
        if part == (0, 1):
            raise InputError(
                "hf: corpus has no text" + (" in the requested languages" if langs else ""),
                where=path,
                fix="check text_column=, lang_column= and langs=",
            )
        out.append(f"hf: corpus{where} has no text" + (" in the requested languages" if langs else ""))
    return out
