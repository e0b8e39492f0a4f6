"""One progress bar for all of tokforge, on ``rich`` (imported only when a bar is shown).

``bar(total, desc)`` returns a small object with ``update(n)``, ``set_postfix(**fields)`` and
``close()``; it is also a context manager. ``enabled=False`` (or ``TOKFORGE_PROGRESS=0`` in the
environment) gives a bar that does nothing, so library code never branches on it.
Bars draw on stderr and disappear when closed (``leave=True`` keeps the last state).

>>> with bar(3, "demo", enabled=False) as b:
...     b.update(2); b.set_postfix(loss=1.5); b.n
2
"""

from __future__ import annotations

import os
import sys
from typing import Any


def enabled_by_default() -> bool:
    """False when ``TOKFORGE_PROGRESS=0`` or stderr is not a terminal-like stream."""
    return os.environ.get("TOKFORGE_PROGRESS", "1") != "0"


class _Null:
    """A bar that only counts."""

    def __init__(self, total: int | None):
        self.total, self.n = total, 0

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, **fields: Any) -> None:
        pass

    def set_description(self, desc: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


class _Rich(_Null):
    def __init__(self, total: int | None, desc: str, unit: str, leave: bool, initial: int = 0):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        super().__init__(total)
        self.n = initial
        self._p = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(unit),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[post]}"),
            console=Console(file=sys.stderr),
            transient=not leave,
        )
        self._p.start()
        self._task = self._p.add_task(desc, total=total, completed=initial, post="")

    def update(self, n: int = 1) -> None:
        self.n += n
        self._p.update(self._task, advance=n)

    def set_postfix(self, **fields: Any) -> None:
        self._p.update(self._task, post=" ".join(f"{k}={_fmt(v)}" for k, v in fields.items()))

    def set_description(self, desc: str) -> None:
        self._p.update(self._task, description=desc)

    def close(self) -> None:
        if self._p is not None:
            self._p.stop()
            self._p = None


def bar(total: int | None, desc: str = "", enabled: bool = True, unit: str = "", leave: bool = False, initial: int = 0):
    """A progress bar over ``total`` items (``None``: unknown total)."""
    if not (enabled and enabled_by_default()):
        b = _Null(total)
        b.n = initial
        return b
    return _Rich(total, desc, unit, leave, initial)
