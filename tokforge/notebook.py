"""Helpers for the notebooks in ``notebooks/``: one small-mode switch and paths that work from any
working directory.

``TOKFORGE_NB_SMALL=1`` makes every notebook run a small version of itself (fewer languages,
steps, sizes) — the setting CI executes them in. Paths inside the repository are found from the
installed package (``repo_path("bench/results/audit.json")``), not from the current directory.

>>> import os; os.environ["TOKFORGE_NB_SMALL"] = "1"; small_mode()
True
>>> repo_path("bench").name
'bench'
"""

from __future__ import annotations

import os
from pathlib import Path

SWITCH = "TOKFORGE_NB_SMALL"


def small_mode() -> bool:
    """True when the notebooks should run their small (CI) version."""
    return os.environ.get(SWITCH, "0") == "1"


def repo_path(rel: str) -> Path:
    """A path inside the tokforge repository, whatever the working directory."""
    return Path(__file__).resolve().parent.parent / rel
