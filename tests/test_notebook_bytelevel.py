"""Executes notebooks/bytelevel.ipynb with nbclient on tiny random models."""

from __future__ import annotations

from pathlib import Path

import pytest

NB = Path(__file__).resolve().parent.parent / "notebooks" / "bytelevel.ipynb"


def test_bytelevel_notebook_runs(monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("TOKFORGE_BYTELEVEL_TINY", "1")
    nb = nbformat.read(NB, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NB.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = " ".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in outputs)
    assert "sum = 1.0" in text and "never negative" in text and "mixture" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 1
