"""Reading text corpora: FLORES-200 (parallel, 204 languages), text files, folders of ``LANG.txt``.

Data locations come from arguments, or from one variable: ``$TOKFORGE_DATA``, a folder holding
``flores200/`` (``dev/``, ``devtest/``) and ``english/tinyshakespeare.txt``, read in place, never
copied. Without it ``flores_dir()`` and ``tinyshakespeare_path()`` return None.

>>> parse_spec("flores200:/data/f")
('flores200', '/data/f')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from .errors import InputError
from .io import iter_lines, read_text

SPLITS = ("dev", "devtest")
DATA_ENV = "TOKFORGE_DATA"


def data_dir(root: str | os.PathLike | None = None) -> Path | None:
    """The data folder: ``root`` if given, else ``$TOKFORGE_DATA``; None when unset or not a folder.

    >>> data_dir("/nonexistent") is None
    True
    """
    where = root if root is not None else os.environ.get(DATA_ENV)
    return Path(where) if where and Path(where).is_dir() else None


def flores_dir(root: str | os.PathLike | None = None) -> Path | None:
    """``flores200/`` of :func:`data_dir` (``root`` or ``$TOKFORGE_DATA``) if it holds ``devtest/``, else None."""
    d = data_dir(root)
    return d / "flores200" if d and (d / "flores200" / "devtest").is_dir() else None


def tinyshakespeare_path(root: str | os.PathLike | None = None) -> Path | None:
    """``english/tinyshakespeare.txt`` of :func:`data_dir` (``root`` or ``$TOKFORGE_DATA``) if present, else None."""
    d = data_dir(root)
    p = d / "english" / "tinyshakespeare.txt" if d else None
    return p if p and p.is_file() else None


def parse_langs(value: str | None, option: str = "--langs") -> list[str] | None:
    """The one parser of a comma-separated language list (every command's ``--langs``).

    ``"eng_Latn, fra_Latn"`` -> ``["eng_Latn", "fra_Latn"]``; ``None``/``""`` -> ``None`` (all/default);
    an empty or repeated entry is an `InputError` naming ``option``.

    >>> parse_langs("eng_Latn, fra_Latn"), parse_langs(None)
    (['eng_Latn', 'fra_Latn'], None)
    """
    if value is None or not value.strip():
        return None
    langs = [x.strip() for x in value.split(",")]
    if any(not x for x in langs):
        raise InputError(
            f"empty language in {option}", where=value, fix="separate codes with commas: eng_Latn,fra_Latn"
        )
    dup = sorted({x for x in langs if langs.count(x) > 1})
    if dup:
        raise InputError(f"language repeated in {option}", where=", ".join(dup))
    return langs


def parse_spec(spec: str) -> tuple[str, str]:
    """``flores200:DIR`` -> ("flores200", DIR); anything else is a path -> ("path", spec)."""
    if spec.startswith("flores200:"):
        return "flores200", spec.split(":", 1)[1]
    return "path", spec


def flores_languages(root: str | os.PathLike, split: str = "devtest") -> list[str]:
    d = _split_dir(Path(root), split)
    return sorted(p.name.rsplit(".", 1)[0] for p in d.glob(f"*.{split}"))


def _split_dir(root: Path, split: str) -> Path:
    if split not in SPLITS:
        raise InputError(f"unknown FLORES split {split!r}", fix="use dev or devtest")
    d = root / split
    if not d.is_dir():
        raise InputError(
            "FLORES-200 folder not found", where=str(d), fix="pass flores200:DIR where DIR holds dev/ and devtest/"
        )
    return d


def read_flores(
    root: str | os.PathLike, split: str = "devtest", langs: list[str] | None = None, limit: int | None = None
) -> dict[str, list[str]]:
    """Sentences per FLORES code (``eng_Latn``...), in the shared order; ``limit`` keeps the first N."""
    d = _split_dir(Path(root), split)
    langs = langs or flores_languages(root, split)
    out = {}
    for lang in langs:
        f = d / f"{lang}.{split}"
        if not f.is_file():
            raise InputError(
                f"FLORES has no {split} file for language {lang!r}",
                where=str(f),
                fix="use FLORES-200 codes such as eng_Latn, rus_Cyrl, zho_Hans",
            )
        lines = read_text(f).split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        out[lang] = lines[:limit] if limit else lines
    return out


def corpus_files(where: str, langs: list[str] | None = None) -> list[tuple[str, Path]]:
    """``(language, file)`` pairs of a text file (one language, named by its stem, or by the single
    requested language) or a folder of ``LANG.txt``; a requested language without a file is an error."""
    p = Path(where)
    if p.is_dir():
        files = sorted(p.glob("*.txt"))
        if not files:
            raise InputError(
                "corpus folder has no LANG.txt files", where=str(p), fix="add files named like eng_Latn.txt"
            )
    elif p.is_file():
        files = [p]
    else:
        raise InputError(
            "corpus not found", where=where, fix="pass a text file, a folder of LANG.txt, or flores200:DIR"
        )
    by_lang = {f.stem: f for f in files}
    if langs:
        if p.is_file() and len(langs) == 1:  # one file, one requested language: the file is that language
            by_lang = {langs[0]: p}
        missing = [x for x in langs if x not in by_lang]
        if missing:
            have = ", ".join(sorted(by_lang))
            raise InputError(
                f"corpus has no text for language(s) {', '.join(missing)}",
                where=where,
                fix=f"it has: {have} (a folder needs LANG.txt files; a single file takes one language)",
            )
        by_lang = {x: by_lang[x] for x in langs}
    return list(by_lang.items())


def iter_text_lines(path: str | os.PathLike) -> Iterator[str]:
    """Non-blank lines of a UTF-8 text file, streamed (errors as in :func:`tokforge.io.read_text`)."""
    return (ln for ln in iter_lines(path) if ln.strip())


HF_BUILDERS = {
    ".parquet": "parquet",
    ".jsonl": "json",
    ".json": "json",
    ".arrow": "arrow",
    ".csv": "csv",
    ".txt": "text",
}


def hf_data_files(path: str) -> tuple[list[str], str]:
    """The data files of an ``hf:`` corpus (a file, a folder searched recursively, or a glob) and
    their ``datasets`` builder; one format per corpus.

    >>> import tempfile; d = Path(tempfile.mkdtemp()); _ = (d / "eng_Latn.jsonl").write_text("{}")
    >>> [Path(f).name for f in hf_data_files(str(d))[0]], hf_data_files(str(d))[1]
    (['eng_Latn.jsonl'], 'json')
    """
    import glob

    p = Path(path)
    if p.is_dir():
        files = sorted(str(f) for f in p.rglob("*"))
    else:
        files = [str(p)] if p.is_file() else sorted(glob.glob(path, recursive=True))
    files = [f for f in files if Path(f).suffix.lower() in HF_BUILDERS]
    if not files:
        raise InputError(
            "hf: corpus has no dataset and no data files",
            where=path,
            fix="pass a save_to_disk folder or .parquet/.jsonl/.arrow/.csv/.txt files",
        )
    kinds = {HF_BUILDERS[Path(f).suffix.lower()] for f in files}
    if len(kinds) > 1:
        raise InputError("hf: data files of several formats", where=path, fix="one format per corpus")
    return files, kinds.pop()


def iter_hf_rows(
    path: str, text_column: str = "text", lang_column: str | None = None, langs=None
) -> Iterator[tuple[str, str]]:
    """``(language, text)`` per row of a local HF dataset (a ``save_to_disk`` folder, read memory-mapped)
    or of data files (parquet, jsonl, arrow, csv, txt; a file, a folder or a glob), streamed. Without
    ``lang_column`` the language is the file or folder name (``eng_Latn.parquet`` -> ``eng_Latn``)."""
    from .extras import require

    require("datasets", "an hf:PATH corpus")
    p = Path(path)
    if p.is_dir() and (p / "state.json").is_file() or (p / "dataset_dict.json").is_file():
        from datasets import load_from_disk

        ds = load_from_disk(str(p))
        if hasattr(ds, "keys"):  # a DatasetDict: the train split, else the first
            ds = ds["train"] if "train" in ds else ds[next(iter(ds))]
        rows = ds.to_iterable_dataset()
        cols = ds.column_names
    else:
        files, builder = hf_data_files(path)
        from datasets import load_dataset

        rows = load_dataset(builder, data_files=files, split="train", streaming=True)
        cols = list(rows.features or {}) if getattr(rows, "features", None) else None
    if cols is not None:
        for c in [text_column] + ([lang_column] if lang_column else []):
            if c not in cols:
                raise InputError(f"hf: dataset has no column {c!r}", where=path, fix="columns: " + ", ".join(cols))
    default = p.name.split(".")[0] or "corpus"
    want = set(langs) if langs else None
    for row in rows:
        if text_column not in row:
            raise InputError(f"hf: dataset has no column {text_column!r}", where=path, fix="columns: " + ", ".join(row))
        lang = str(row[lang_column]) if lang_column else default
        if want is None or lang in want:
            yield lang, str(row[text_column] or "")


def read_corpus(
    spec: str, split: str = "devtest", langs: list[str] | None = None, limit: int | None = None
) -> dict[str, list[str]]:
    """Read ``flores200:DIR``, a text file (one language, named by its stem), or a folder of ``LANG.txt``.

    Returns lines (documents) per language; a requested language with no text is an error."""
    kind, where = parse_spec(spec)
    if kind == "flores200":
        return read_flores(where, split, langs, limit)
    out = {}
    for lang, f in corpus_files(where, langs):
        lines = [ln for ln in read_text(f).split("\n") if ln.strip()]
        if not lines:
            raise InputError(
                "corpus has no text (the file is empty or blank)",
                where=str(f),
                fix="give it at least one non-empty line",
            )
        out[lang] = lines[:limit] if limit else lines
    return out
