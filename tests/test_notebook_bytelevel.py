"""Executes notebooks/bytelevel.ipynb with nbclient on tiny random models."""

from notebook_run import images, run_notebook


def test_bytelevel_notebook_runs():
    _, outputs, text = run_notebook("bytelevel.ipynb", timeout=600)
    assert "sum = 1.0" in text and "never negative" in text and "mixture" in text
    assert images(outputs) >= 1
