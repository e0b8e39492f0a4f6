"""Execute notebooks/stochastok_langgame.ipynb in its small CI setting (TOKFORGE_NB_SMALL=1)."""

import pytest
from helpers.notebooks import run_notebook


@pytest.mark.slow
def test_notebook_runs_small():
    nb, outputs, _ = run_notebook("stochastok_langgame.ipynb")
    log = "".join(o.get("text", "") for o in outputs)
    assert "small {" in log  # ran in the CI setting
    for task in ("langgame", "addition"):
        for arm in ("baseline", "stochastok"):
            assert f"{task:9s} {arm:10s} step" in log
    last_code = [c for c in nb.cells if c.cell_type == "code"][-1]
    result = last_code.outputs[-1]["data"]["text/plain"]
    assert "langgame/stochastok" in result and "addition/baseline" in result
