"""Tests on real artifacts (the synthetic ones: tests/unit/test_bytelevel_cli.py). ``tokforge bytelevel
next|score|generate``: the printed numbers are the library's numbers
(tiny models saved as HF folders, and the real SmolLM2)."""

from __future__ import annotations

import math

import pytest
import torch
from helpers.bytelm import bytelm_of_dir
from helpers.cli import cli_table
from tokforge_cli.main import main

from tokforge.bytelevel import MODES

torch.set_num_threads(1)


def test_cli_errors_and_modes(bytelevel_tiny_dirs, capsys):
    from tokforge.bytelevel.ensemble import MODES as ENSEMBLE_MODES

    assert list(MODES) == ENSEMBLE_MODES
    assert main(["bytelevel", "next", "The", "-m", "minilm"]) == 2
    assert main(["bytelevel", "next", "the", "-m", bytelevel_tiny_dirs[0], "--mode", "average"]) == 2


@pytest.mark.slow
def test_cli_on_smollm2(capsys):
    assert main(["bytelevel", "next", "The qu", "--top", "3"]) == 0  # default model: smollm2-135m
    got = cli_table(capsys.readouterr().out)
    lp = bytelm_of_dir("smollm2-135m").next_byte_logprobs(b"The qu")
    vals, idx = lp.topk(3)
    assert [label for label, _ in got] == [repr(bytes([i])) for i in idx.tolist()] and got[0][1] < 0.99
    assert all(abs(p - math.exp(v)) < 6e-5 for (_, p), v in zip(got, vals.tolist()))
