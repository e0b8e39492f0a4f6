"""Every notebook is committed with its outputs and executed (small mode) by some test: the
dedicated tests/docs/test_notebook_*.py files, or the generic run below for the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _helpers import NOTEBOOKS, images, run_notebook

TESTS = Path(__file__).resolve().parent


DEDICATED = {
    "audit_tour.ipynb": "test_notebook_audit.py",
    "audit_your_tokenizer.ipynb": "test_notebook_audit.py",
    "bytelevel.ipynb": "test_notebook_bytelevel.py",
    "stochastok_langgame.ipynb": "test_notebook_stochastok.py",
}


ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


WITHOUT_OUTPUTS_YET: set[str] = set()


def test_every_notebook_is_executed_by_a_test():
    for name in ALL:
        f = DEDICATED.get(name)
        assert f is None or (TESTS / f).read_text().count(name) >= 1, name


@pytest.mark.parametrize("name", ALL)
def test_committed_with_outputs_and_the_shared_switch(name):
    nb = json.loads((NOTEBOOKS / name).read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    src = "".join("".join(c["source"]) for c in code)
    assert "small_mode()" in src, f"{name} must read the shared switch (tokforge.notebook.small_mode)"
    assert "../" not in src, f"{name} must not depend on the working directory (use tokforge.notebook.repo_path)"
    if name not in WITHOUT_OUTPUTS_YET:
        assert sum(bool(c.get("outputs")) for c in code) >= len(code) // 2, f"{name} is committed without outputs"


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in ALL if n not in DEDICATED])
def test_other_notebooks_run_small(name):
    _, outputs, text = run_notebook(name, timeout=900)
    assert outputs and "Traceback" not in text


def test_supertokens_notebook_shows_the_comparison():
    if "supertokens.ipynb" in DEDICATED:
        pytest.skip("dedicated test")
    nb = json.loads((NOTEBOOKS / "supertokens.ipynb").read_text())
    assert images([o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]) >= 1
