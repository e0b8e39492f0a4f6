"""Executes notebooks/audit_tour.ipynb with nbclient on a small language subset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NB = Path(__file__).resolve().parent.parent / "notebooks" / "audit_tour.ipynb"


@pytest.mark.slow
def test_audit_tour_notebook_runs(monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("TOKFORGE_AUDIT_TOUR_SMALL", "1")
    nb = nbformat.read(NB, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NB.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = " ".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in outputs)
    assert "gemma3-270m" in text and "report.html" in text and "spaced_alpha" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2
