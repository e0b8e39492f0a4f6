"""Every notebook reads the shared small-mode switch, is executed (small mode, slow) by some test (the
dedicated tests/docs/test_notebook_*.py files, or the generic run below for the others), is committed
with its outputs (or, for a notebook whose small mode is only a smoke run, without outputs and with a
note saying where the measured results are), and carries no personal or temporary paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.notebooks import images, run_notebook
from helpers.paths import NOTEBOOKS

TESTS = Path(__file__).resolve().parent


DEDICATED = {
    "audit_tour.ipynb": "test_notebook_audit.py",
    "audit_your_tokenizer.ipynb": "test_notebook_audit.py",
    "bytelevel.ipynb": "test_notebook_bytelevel.py",
    "stochastok_langgame.ipynb": "test_notebook_stochastok.py",
}


ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


# notebooks whose small mode is a smoke run: committed with the outputs of a full run (never the smoke
# run's, which its first cell marks), with a note pointing at the measured results
FULL_RUN_ONLY = {"transplant_and_heal.ipynb": "SMOKE RUN"}
PERSONAL_PATHS = ("/tmp/", "/root/", "/home/", "/work/", "/Users/", "C:\\Users")


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
    assert sum(bool(c.get("outputs")) for c in code) >= len(code) // 2, f"{name} is committed without outputs"
    if name in FULL_RUN_ONLY:
        outputs = json.dumps([c.get("outputs", []) for c in code])
        assert FULL_RUN_ONLY[name] not in outputs, f"{name}: committed with a smoke run's outputs; run it in full"
        intro = " ".join("".join(nb["cells"][0]["source"]).split())  # one line: prose wraps anywhere
        assert "smoke run" in intro.lower() and "bench/results" in intro, f"{name}: say where results are"


@pytest.mark.parametrize("name", ALL)
def test_outputs_carry_no_personal_or_temp_paths(name):
    nb = json.loads((NOTEBOOKS / name).read_text())
    outputs = json.dumps([c.get("outputs", []) for c in nb["cells"]])
    found = [p for p in PERSONAL_PATHS if p in outputs]
    assert not found, f"{name}: outputs hold {found}"


def test_notebooks_use_the_public_api():
    old = ("load_causal_lm", "evaluate_languages", "from tokforge.audit import audit", "heal.api import heal")
    for name in ALL:
        src = (NOTEBOOKS / name).read_text()
        assert not [o for o in old if o in src], name


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in ALL if n not in DEDICATED])
def test_other_notebooks_run_small(name):
    from tokforge import corpus

    if corpus.data_dir() is None and any(w in (NOTEBOOKS / name).read_text() for w in ("flores", "tinyshakespeare")):
        pytest.skip(f"{name} reads FLORES-200/tinyshakespeare: set TOKFORGE_DATA (or shared/data beside the repo)")
    _, outputs, text = run_notebook(name, timeout=900)
    assert outputs and "Traceback" not in text


def test_supertokens_notebook_shows_the_comparison():
    if "supertokens.ipynb" in DEDICATED:
        pytest.skip("dedicated test")
    nb = json.loads((NOTEBOOKS / "supertokens.ipynb").read_text())
    assert images([o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]) >= 1
