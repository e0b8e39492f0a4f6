"""``--corpus hf:PATH``: a local Hugging Face ``datasets`` dataset or data files, streamed.

``PATH`` is a folder written by ``Dataset.save_to_disk`` (read memory-mapped), a data file, a
folder of data files, or a glob (``.parquet``, ``.jsonl``/``.json``, ``.arrow``, ``.csv``,
``.txt``). Rows are read in batches, so memory stays flat whatever the size. The text is in
``text_column`` (``text`` by default); the language in ``lang_column`` or, without one, is the
name of ``PATH`` (``eng_Latn.parquet`` -> ``eng_Latn``). Such corpora are not parallel (no
parity); every other metric is computed.

Shards: ``iter_batches(shard=(i, n))`` keeps batch number b when ``b % n == i``, so n workers (or
n machines running ``tokforge audit --shard i/n``) cover every row exactly once, and their merged
statistics equal those of the whole (:class:`tokforge.audit.accum.CorpusStats`).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..corpus import hf_data_files
from ..errors import InputError

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
        self._disk = Path(path).is_dir() and (Path(path) / "state.json").is_file()
        if not self._disk:
            self.files, self.builder = hf_data_files(path)
        self.default_lang = Path(path.rstrip("/").split("*")[0] or "corpus").name.split(".")[0] or "corpus"

    def _dataset(self):
        from ..extras import require

        datasets = require("datasets", "an hf:PATH corpus")
        datasets.disable_progress_bars()
        datasets.logging.set_verbosity_error()
        if self._disk:
            return datasets.load_from_disk(self.path)
        return datasets.load_dataset(self.builder, data_files=self.files, split="train", streaming=True)

    def n_rows(self) -> int | None:
        """Rows in the corpus when cheap to know (for the progress bar's ETA), else None."""
        if self._disk:
            import datasets

            ds = datasets.load_from_disk(self.path)
            return ds.num_rows if hasattr(ds, "num_rows") else None
        if self.builder == "parquet":
            import pyarrow.parquet as pq

            return sum(pq.ParquetFile(f).metadata.num_rows for f in self.files)
        if self.builder in ("text", "json"):
            n = 0
            for f in self.files:
                with open(f, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 24), b""):
                        n += block.count(b"\n")
            return n
        return None

    @property
    def n_bytes(self) -> int:
        return sum(os.path.getsize(f) for f in self.files) if not self._disk else 0

    def iter_batches(self, batch: int | None = None, shard: tuple[int, int] = (0, 1)):
        """``(lang, lines, None)`` per batch of rows; ``lang`` is a list (one per line) for a mixed batch."""
        i, n = shard
        ds = self._dataset()
        cols = ds.column_names or []
        text_col = self.text_column
        if cols and text_col not in cols:
            raise InputError(
                f"hf: corpus has no column {text_col!r}",
                where=self.path,
                fix="choose text_column= from: " + ", ".join(cols),
            )
        if self.lang_column and cols and self.lang_column not in cols:
            raise InputError(
                f"hf: corpus has no column {self.lang_column!r}",
                where=self.path,
                fix="choose lang_column= from: " + ", ".join(cols),
            )
        want = set(self.langs) if self.langs else None
        for b, rows in enumerate(ds.iter(batch_size=batch or self.batch or BATCH_LINES)):
            texts = rows[text_col]
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
            if b % n == i and keep_t:
                yield (keep_l[0] if len(set(keep_l)) == 1 else keep_l), keep_t, None

    def finish(self) -> None:
        """Warnings for requested languages that never appeared (call after a full pass)."""
        for x in self.langs or []:
            if x not in self.seen:
                self.warnings.append(f"hf: corpus has no rows for requested language {x!r}; skipped")
        if not self.seen:
            raise InputError(
                "hf: corpus has no text" + (" in the requested languages" if self.langs else ""),
                where=self.path,
                fix="check text_column=, lang_column= and langs=",
            )
