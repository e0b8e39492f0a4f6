"""Errors that users see: one line saying what is wrong, where, and what to do.

Every error tokforge raises on purpose is a :class:`TokforgeError`. The CLI turns
them into ``error: <message>`` and exit code 2 (``--debug`` shows the traceback).

>>> str(TokforgeError("file not found", where="x.model", fix="check the path"))
'file not found: x.model (check the path)'
"""

from __future__ import annotations


class TokforgeError(Exception):
    """Base class: ``what`` is wrong, ``where`` (a path, a name, an id), ``fix`` (what to do)."""

    def __init__(self, what: str, where: str | None = None, fix: str | None = None):
        self.what, self.where, self.fix = what, where, fix
        super().__init__(self._line())

    def _line(self) -> str:
        line = self.what
        if self.where:
            line += f": {self.where}"
        if self.fix:
            line += f" ({self.fix})"
        return " ".join(line.split())  # always one line


class LoadError(TokforgeError):
    """A tokenizer or model could not be loaded (missing, corrupt, unknown format)."""


class ArtifactError(TokforgeError):
    """A built-in artifact could not be fetched, verified or converted."""


class InputError(TokforgeError):
    """An argument or input file is out of range or malformed."""


class MissingExtraError(TokforgeError, ImportError):
    """A feature needs an optional dependency that is not installed; the message names the pip extra."""


class TokforgeWarning(UserWarning):
    """Something the user asked for was done, but not exactly as asked (lossy round trip, a fallback)."""


class UnknownNameError(TokforgeError):
    """A name was looked up in a registry that does not have it."""

    def __init__(self, kind: str, name: str, known):
        known = sorted(known)
        super().__init__(f"unknown {kind} {name!r}", fix="known: " + ", ".join(known))


def lookup(registry: dict, name: str, kind: str):
    """Look ``name`` up in a plain-dict registry; an unknown name lists the known ones.

    >>> lookup({"a": 1}, "a", "method")
    1
    """
    try:
        return registry[name]
    except KeyError:
        raise UnknownNameError(kind, name, registry) from None
