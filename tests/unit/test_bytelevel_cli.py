"""Tiny synthetic tests (the real-artifact ones: tests/real/test_bytelevel_cli_real.py). ``tokforge bytelevel
next|score|generate``: the printed numbers are the library's numbers
(tiny models saved as HF folders, and the real SmolLM2)."""

from __future__ import annotations

import json
import math

import torch
from helpers.bytelm import bytelm_of_dir
from helpers.cli import cli_table
from tokforge_cli.main import main

from tokforge.bytelevel.ensemble import Ensemble

torch.set_num_threads(1)


def test_next_prints_the_top_bytes(bytelevel_tiny_dirs, capsys):
    bpe, _ = bytelevel_tiny_dirs
    assert main(["bytelevel", "next", "th\\xc3", "-m", bpe, "--top", "4"]) == 0  # ends inside a character
    got = cli_table(capsys.readouterr().out)
    lp = bytelm_of_dir(bpe).next_byte_logprobs("th\u00e9".encode()[:3])
    vals, idx = lp.topk(4)
    assert [label for label, _ in got] == ["<end>" if i == 256 else repr(bytes([i])) for i in idx.tolist()]
    assert all(abs(p - math.exp(v)) < 6e-5 for (_, p), v in zip(got, vals.tolist()))
    assert got[0][1] < 0.9999  # more than one byte is possible here, so the order is checked


def test_score_prints_the_library_numbers(bytelevel_tiny_dirs, capsys):
    bpe, spm = bytelevel_tiny_dirs
    assert main(["bytelevel", "score", "the cat sat", "-m", bpe]) == 0
    out = json.loads(capsys.readouterr().out)
    lm = bytelm_of_dir(bpe)
    assert out["bytes"] == 11 and abs(out["logprob"] - lm.logprob(b"the cat sat", end=True)) < 1e-9
    assert abs(out["bits_per_byte"] - (-out["logprob"] / 11 / math.log(2))) < 1e-12
    assert abs(out["token_level_logprob"] - lm.token_logprob(b"the cat sat", end=True)) < 1e-9
    assert main(["bytelevel", "score", "the cat", "--no-end", "-m", bpe, "-m", spm, "--mode", "bayes"]) == 0
    out = json.loads(capsys.readouterr().out)
    want = Ensemble([bytelm_of_dir(bpe), bytelm_of_dir(spm)], mode="bayes").logprob(b"the cat")
    assert abs(out["logprob"] - want) < 1e-9 and "token_level_logprob" not in out


def test_generate_prints_the_library_sample(bytelevel_tiny_dirs, capsys):
    bpe, spm = bytelevel_tiny_dirs
    assert main(["bytelevel", "generate", "the ca", "-m", bpe, "--max-bytes", "12", "--seed", "3"]) == 0
    want = bytelm_of_dir(bpe).generate(b"the ca", max_bytes=12, seed=3)
    assert capsys.readouterr().out == want.decode("utf-8", errors="replace") + "\n" and want
    assert main(["bytelevel", "generate", "the", "-m", bpe, "-m", spm, "--mode", "switch", "--max-bytes", "5"]) == 0
    want = Ensemble([bytelm_of_dir(bpe), bytelm_of_dir(spm)], mode="switch").generate(b"the", max_bytes=5)
    assert capsys.readouterr().out == want.decode("utf-8", errors="replace") + "\n"
