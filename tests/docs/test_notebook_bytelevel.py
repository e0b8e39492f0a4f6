"""Executes notebooks/bytelevel.ipynb with nbclient on tiny random models, and checks the numbers it prints
against the brute-force reference (`helpers.brute`: every rule-valid segmentation scored by plain forwards
of the raw model), not against the calls the notebook itself makes."""

import ast
import json
import math
import re

import pytest
from helpers.brute import brute_masses
from helpers.notebooks import images, run_notebook

PROMPT = b"The qu"  # the notebook's next-byte prompt
LINE = re.compile(r"(tiny-bpe|tiny-spm) masses add up: (-?[\d.e-]+) = (-?[\d.e-]+) (\[.*\])$", re.M)


@pytest.mark.slow
def test_bytelevel_notebook_runs_and_prints_true_numbers():
    from tokforge import ByteLM
    from tokforge.bytelevel.tiny import tiny_lm

    _, outputs, text = run_notebook("bytelevel.ipynb", timeout=600)
    assert images(outputs) >= 1 and "mixture" in text and "switch" in text
    lms = {"tiny-bpe": ByteLM(*tiny_lm("byte_bpe", seed=0)), "tiny-spm": ByteLM(*tiny_lm("spm", seed=1))}
    printed = {m.group(1): m.groups()[1:] for m in LINE.finditer(text)}
    assert set(printed) == set(lms), text[:2000]
    for name, lm in lms.items():
        masses, starts = brute_masses(lm, PROMPT)  # P(next byte b and the stream goes on), P(stream starts so)
        total, logprob, top = printed[name]
        assert math.isclose(float(total), math.log(float(masses.sum())), abs_tol=2e-6)  # rounded to 6 places
        assert math.isclose(float(logprob), math.log(starts), abs_tol=2e-6)
        probs = (masses / masses.sum()).tolist()
        want = sorted(range(257), key=lambda i: -probs[i])[:5]
        got = ast.literal_eval(top)
        assert [b if b == "<end>" else b[0] for b, _ in got] == [("<end>" if i == 256 else i) for i in want]
        assert all(abs(p - probs[i]) <= 5e-4 for (_, p), i in zip(got, want))  # rounded to 3 places
    gains = json.loads(re.search(r"gains \(byte-level minus token-level, nats\): (\{.*?\})", text).group(1))
    assert set(gains) == set(lms) and all(g >= 0 for g in gains.values())  # byte level >= canonical token level
