"""Reading text inputs and writing outputs safely.

Inputs: :func:`read_text` (a whole UTF-8 file) and :func:`iter_lines` (streamed lines) share one
error for a file that is not UTF-8, naming the first bad byte's line and column.
Outputs: written to a temporary path in the target folder, then renamed; nothing half-written is
ever left at the target path.

>>> import tempfile, pathlib; f = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
>>> _ = f.write_bytes(b"ok\\n\\xff"); read_text(f)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
tokforge.errors.InputError: file is not UTF-8 (bad byte on line 2, column 1): ... (convert it to UTF-8, ...)
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import InputError

UTF8_FIX = "convert it to UTF-8, e.g. iconv -t UTF-8"
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


def _not_utf8(path, line: int, column: int) -> InputError:
    return InputError(f"file is not UTF-8 (bad byte on line {line}, column {column})", where=str(path), fix=UTF8_FIX)


def _unreadable(path, e: OSError) -> InputError:
    return InputError(
        f"cannot read text file ({e.strerror or e.__class__.__name__})",
        where=str(path),
        fix="check the path and permissions",
    )


def read_text(path: str | os.PathLike) -> str:
    """The whole UTF-8 text file at ``path`` (newlines as stored); a file that cannot be read or is
    not UTF-8 is an :class:`InputError` naming the first bad byte's line and (byte) column."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise _unreadable(path, e) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        start = data.rfind(b"\n", 0, e.start) + 1
        raise _not_utf8(path, data.count(b"\n", 0, e.start) + 1, e.start - start + 1) from None


def read_json(path: str | os.PathLike, what: str, fix: str | None = None, error: type = InputError, gz: bool = False):
    """The JSON value in the file at ``path`` (gzip-compressed with ``gz``); a file that cannot be read
    or parsed is one ``error`` saying it is not a valid ``what``.

    >>> import tempfile, pathlib; f = pathlib.Path(tempfile.mkdtemp()) / "v.json"
    >>> _ = f.write_text('{"a": 1}'); read_json(f, "vocabulary file")
    {'a': 1}
    >>> _ = f.write_text('{"a": '); read_json(f, "vocabulary file")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tokforge.errors.InputError: cannot read vocabulary file (JSONDecodeError): ...v.json
    """
    try:
        data = Path(path).read_bytes()
        return json.loads(gzip.decompress(data) if gz else data.decode("utf-8"))
    except (OSError, ValueError, EOFError) as e:  # UnicodeDecodeError and gzip's BadGzipFile are ValueError/OSError
        raise error(f"cannot read {what} ({e.__class__.__name__})", where=str(path), fix=fix) from None


def iter_lines(path: str | os.PathLike, keepends: bool = False) -> Iterator[str]:
    """Lines of a UTF-8 text file, streamed (errors as in :func:`read_text`).

    ``keepends=False``: lines split at ``\\n``, without their ``\\r\\n``/``\\n``.
    ``keepends=True``: lines exactly as ``open(path, newline="")`` yields them (ending at ``\\n``,
    ``\\r\\n`` or a lone ``\\r``, the ending kept), so joining them gives the file back.
    """
    path = Path(path)
    try:
        f = open(path, "rb")
    except OSError as e:
        raise _unreadable(path, e) from None
    with f:
        n = 0
        while True:
            try:
                raw = f.readline()
            except OSError as e:
                raise _unreadable(path, e) from None
            if not raw:
                return
            n += 1
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise _not_utf8(path, n, e.start + 1) from None
            if not keepends:
                yield line.rstrip("\r\n")
            elif "\r" in line:
                yield from (x for x in _LONE_CR.split(line) if x)
            else:
                yield line


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def check_out_dir(
    path: str | os.PathLike, force: bool = False, marker: str | None = None, kind: str = "output"
) -> Path:
    """The one rule for an output folder (``out``), checked before any work starts; returns ``Path(path)``.

    A path that does not exist, or an empty folder, is fine. Anything else is refused with an
    :class:`InputError` unless ``force``. With ``marker`` (outputs that are always replaced, such as
    audit reports) a folder holding the file ``marker`` (an earlier ``kind``) is fine too.

    >>> check_out_dir("/nonexistent/out").name
    'out'
    >>> check_out_dir("/")
    Traceback (most recent call last):
    ...
    tokforge.errors.InputError: output directory already exists: / (choose another out=DIR or pass force=True)
    """
    path = Path(path)
    if (
        force
        or not path.exists()
        or path.is_dir()
        and (not any(path.iterdir()) or marker is not None and (path / marker).exists())
    ):
        return path
    if marker is not None:
        raise InputError(
            f"output path exists and is not an earlier {kind}", where=str(path), fix="choose another out=DIR"
        )
    raise InputError(
        "output directory already exists", where=str(path), fix="choose another out=DIR or pass force=True"
    )


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """Build a directory under a temporary name beside ``path``; rename it into place on success.

    An existing ``path`` is refused as :func:`check_out_dir` says unless ``force`` (then it is
    replaced only once the new one is complete).
    """
    path = check_out_dir(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; the result should look like any new folder
    try:
        yield tmp
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def torch_save_atomic(obj, path: str | os.PathLike) -> Path:
    """``torch.save(obj)`` to ``path`` through a temporary file and a rename (never half-written)."""
    import io as _io

    import torch

    buf = _io.BytesIO()
    torch.save(obj, buf)
    return atomic_write_bytes(path, buf.getvalue())


def trim_step_log(path: str | os.PathLike, upto: int) -> None:
    """Keep the lines of a JSON-lines step log whose ``step`` is below ``upto`` (a resumed run writes
    what follows); the file is rewritten atomically.

    >>> import tempfile, pathlib; f = pathlib.Path(tempfile.mkdtemp()) / "log.jsonl"
    >>> _ = f.write_text('{"step": 0}\\n{"step": 1}\\n{"step": 2}\\n'); trim_step_log(f, 2); f.read_text()
    '{"step": 0}\\n{"step": 1}\\n'
    """
    path = Path(path)
    if path.exists():
        keep = [ln for ln in path.read_text().splitlines() if ln and json.loads(ln).get("step", -1) < upto]
        atomic_write_text(path, "".join(ln + "\n" for ln in keep))
