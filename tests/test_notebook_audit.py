"""Executes notebooks/audit_tour.ipynb with nbclient on a small language subset."""

import pytest

from notebook_run import images, run_notebook


@pytest.mark.slow
def test_audit_tour_notebook_runs():
    _, outputs, text = run_notebook("audit_tour.ipynb", {"TOKFORGE_AUDIT_TOUR_SMALL": "1"}, timeout=600)
    assert "gemma3-270m" in text and "report.html" in text and "spaced_alpha" in text
    assert images(outputs) >= 2
