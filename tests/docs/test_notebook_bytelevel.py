"""Executes notebooks/bytelevel.ipynb with nbclient on tiny random models, and checks the numbers
it prints against the library computed here (same tiny models, same text)."""

import json
import math
import re

import pytest
from helpers.notebooks import images, run_notebook


@pytest.mark.slow
def test_bytelevel_notebook_runs_and_prints_true_numbers():
    from tokforge import ByteLM
    from tokforge.bytelevel.tiny import tiny_lm

    _, outputs, text = run_notebook("bytelevel.ipynb", timeout=600)
    assert images(outputs) >= 1 and "mixture" in text and "switch" in text
    lms = {"tiny-bpe": ByteLM(*tiny_lm("byte_bpe", seed=0)), "tiny-spm": ByteLM(*tiny_lm("spm", seed=1))}
    gains = json.loads(re.search(r"gains \(byte-level minus token-level, nats\): (\{.*?\})", text).group(1))
    data = "The cat sat on the mat. Le café est très bon.".encode()
    assert set(gains) == set(lms)
    for name, lm in lms.items():
        want = lm.logprob(data, end=True) - lm.token_logprob(data, end=True)
        assert abs(gains[name] - want) < 1e-6 and gains[name] >= 0  # byte level >= canonical token level
    added = re.findall(r"masses add up: (-?[\d.e-]+) = (-?[\d.e-]+)", text)
    assert len(added) == 2 and all(math.isclose(float(a), float(b), abs_tol=2e-6) for a, b in added)
