"""``tokforge bytelevel next|score|generate``: the printed numbers are the library's numbers
(tiny models saved as HF folders, and the real SmolLM2)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from tokforge_cli.main import main

from tokforge import models
from tokforge.bytelevel import MODES, ByteLM, Ensemble
from tokforge.bytelevel.tiny import save_tiny

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    return str(save_tiny(root / "bpe", "byte_bpe", seed=0)), str(save_tiny(root / "spm", "spm", seed=1))


def _lm(path) -> ByteLM:
    return ByteLM(*models.load_causal_lm(path), name=str(path))


def _table(out: str) -> list[tuple[str, float]]:
    return [(line.split()[0], float(line.split()[1])) for line in out.strip().splitlines()]


def test_next_prints_the_top_bytes(tiny_dirs, capsys):
    bpe, _ = tiny_dirs
    assert main(["bytelevel", "next", "th\\xc3", "-m", bpe, "--top", "4"]) == 0  # ends inside a character
    got = _table(capsys.readouterr().out)
    lp = _lm(bpe).next_byte_logprobs("th\u00e9".encode()[:3])
    vals, idx = lp.topk(4)
    assert [label for label, _ in got] == ["<end>" if i == 256 else repr(bytes([i])) for i in idx.tolist()]
    assert all(abs(p - math.exp(v)) < 6e-5 for (_, p), v in zip(got, vals.tolist()))
    assert got[0][1] < 0.9999  # more than one byte is possible here, so the order is checked


def test_score_prints_the_library_numbers(tiny_dirs, capsys):
    bpe, spm = tiny_dirs
    assert main(["bytelevel", "score", "the cat sat", "-m", bpe]) == 0
    out = json.loads(capsys.readouterr().out)
    lm = _lm(bpe)
    assert out["bytes"] == 11 and abs(out["logprob"] - lm.logprob(b"the cat sat", end=True)) < 1e-9
    assert abs(out["bits_per_byte"] - (-out["logprob"] / 11 / math.log(2))) < 1e-12
    assert abs(out["token_level_logprob"] - lm.token_logprob(b"the cat sat", end=True)) < 1e-9
    assert main(["bytelevel", "score", "the cat", "--no-end", "-m", bpe, "-m", spm, "--mode", "bayes"]) == 0
    out = json.loads(capsys.readouterr().out)
    want = Ensemble([_lm(bpe), _lm(spm)], mode="bayes").logprob(b"the cat")
    assert abs(out["logprob"] - want) < 1e-9 and "token_level_logprob" not in out


def test_generate_prints_the_library_sample(tiny_dirs, capsys):
    bpe, spm = tiny_dirs
    assert main(["bytelevel", "generate", "the ca", "-m", bpe, "--max-bytes", "12", "--seed", "3"]) == 0
    want = _lm(bpe).generate(b"the ca", max_bytes=12, seed=3)
    assert capsys.readouterr().out == want.decode("utf-8", errors="replace") + "\n" and want
    assert main(["bytelevel", "generate", "the", "-m", bpe, "-m", spm, "--mode", "switch", "--max-bytes", "5"]) == 0
    want = Ensemble([_lm(bpe), _lm(spm)], mode="switch").generate(b"the", max_bytes=5)
    assert capsys.readouterr().out == want.decode("utf-8", errors="replace") + "\n"


def test_cli_errors_and_modes(tiny_dirs, capsys):
    from tokforge.bytelevel.ensemble import MODES as ENSEMBLE_MODES

    assert list(MODES) == ENSEMBLE_MODES
    assert main(["bytelevel", "next", "The", "-m", "minilm"]) == 2
    assert main(["bytelevel", "next", "the", "-m", tiny_dirs[0], "--mode", "average"]) == 2


@pytest.mark.slow
def test_cli_on_smollm2(capsys):
    assert main(["bytelevel", "next", "The qu", "--top", "3"]) == 0  # default model: smollm2-135m
    got = _table(capsys.readouterr().out)
    lp = _lm("smollm2-135m").next_byte_logprobs(b"The qu")
    vals, idx = lp.topk(3)
    assert [label for label, _ in got] == [repr(bytes([i])) for i in idx.tolist()] and got[0][1] < 0.99
    assert all(abs(p - math.exp(v)) < 6e-5 for (_, p), v in zip(got, vals.tolist()))
