"""Execute notebooks/stochastok_langgame.ipynb in its small CI setting (STOCHASTOK_NB_SMALL=1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NB = Path(__file__).resolve().parents[1] / "notebooks" / "stochastok_langgame.ipynb"


@pytest.mark.slow
def test_notebook_runs_small(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    monkeypatch.setenv("STOCHASTOK_NB_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NB, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(NB.parents[1])}}).execute()
    assert os.environ["STOCHASTOK_NB_SMALL"] == "1"
    texts = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    log = "".join(texts)
    assert "small {" in log  # ran in the CI setting
    for task in ("langgame", "addition"):
        for arm in ("baseline", "stochastok"):
            assert f"{task:9s} {arm:10s} step" in log
    last_code = [c for c in nb.cells if c.cell_type == "code"][-1]
    result = last_code.outputs[-1]["data"]["text/plain"]
    assert "langgame/stochastok" in result and "addition/baseline" in result
