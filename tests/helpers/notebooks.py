"""Run a notebook as CI does: nbclient, the notebooks' small mode, a scratch working directory."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from .paths import NOTEBOOKS


def run_notebook(name: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 900):
    """Execute ``notebooks/<name>`` in its small mode (``TOKFORGE_NB_SMALL=1``, the one switch all
    notebooks read) from a scratch working directory (notebooks must not depend on where they run);
    return (notebook, outputs, all output text). Fails the test if any cell raised."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = NOTEBOOKS / name
    mp = pytest.MonkeyPatch()
    try:
        for k, v in {"TOKFORGE_NB_SMALL": "1", "TOKFORGE_PROGRESS": "0", **(env or {})}.items():
            mp.setenv(k, v)
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory(prefix="tokforge-nb-") as scratch:
            nbclient.NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd or scratch)}}
            ).execute()
    finally:
        mp.undo()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors[0].get("ename", "") + ": " + errors[0].get("evalue", "")
    text = " ".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in outputs)
    return nb, outputs, text


def images(outputs) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs)
