"""Executes the audit notebooks with nbclient in their small mode (TOKFORGE_NB_SMALL=1)."""

import pytest
from helpers.notebooks import images, run_notebook


@pytest.mark.slow
def test_audit_tour_notebook_runs():
    _, outputs, text = run_notebook("audit_tour.ipynb", timeout=600)
    assert "gemma3-270m" in text and "report.html" in text and "spaced_alpha" in text
    assert images(outputs) >= 2


@pytest.mark.slow
def test_audit_your_tokenizer_notebook_runs():
    _, outputs, text = run_notebook("audit_your_tokenizer.ipynb", timeout=600)
    assert "my-tokenizer" in text and "reference" in text and "report.html" in text and "x best of panel" in text
    assert images(outputs) >= 1
