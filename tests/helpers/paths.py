"""Where things are: the checkout, the shared data folder beside it, the notebooks."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
NOTEBOOKS = REPO / "notebooks"
