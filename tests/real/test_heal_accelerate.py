"""Healing in two data-parallel processes (`accelerate launch`, gloo on a CPU machine) equals the
one-process run: the same rows, the same report counts. Subprocesses, so marked slow."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from helpers.heal import VARIED, make_pair, transplanted_dirs
from helpers.paths import REPO

ROOT = REPO


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return make_pair(tmp_path_factory.mktemp("heal"))


@pytest.mark.slow  # two accelerate processes and a one-process run, each a subprocess
def test_two_processes_match_one(pair, tmp_path):
    """`accelerate launch --multi_gpu --num_processes 2 -m tokforge heal ...` (gloo processes on a CPU
    machine) equals the one-process run."""
    tdir, sdir, _, held = transplanted_dirs(pair, tmp_path)
    corpus = tmp_path / "varied.txt"  # lines unlike each other, so the two processes see other tokens
    corpus.write_text("\n".join(VARIED) + "\n")
    args = [
        "heal",
        str(sdir),
        "--corpus",
        str(corpus),
        "--eval",
        str(held),
        "--steps",
        "3",
        "--batch-size",
        "4",
        "--seq-bytes",
        "96",
        "--precision",
        "fp32",
        "--lr",
        "0.01",
        "--save-every",
        "2",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKFORGE_PROGRESS": "0", "OMP_NUM_THREADS": "1"}
    one = subprocess.run(
        [sys.executable, "-m", "tokforge", *args, "--out", str(tmp_path / "one")],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert one.returncode == 0, one.stderr[-2000:]
    import socket

    with socket.socket() as sock:  # a free port for the two processes to meet on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # on a CPU machine accelerate's data-parallel launcher runs gloo processes (MULTI_CPU)
    two = subprocess.run(
        [
            sys.executable,
            "-m",
            "accelerate.commands.launch",
            "--multi_gpu",
            "--num_processes",
            "2",
            "--num_machines",
            "1",
            "--mixed_precision",
            "no",
            "--dynamo_backend",
            "no",
            "--main_process_port",
            str(port),
            "-m",
            "tokforge",
            *args,
            "--out",
            str(tmp_path / "two"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert two.returncode == 0, two.stderr[-3000:]
    from safetensors.torch import load_file

    a = load_file(tmp_path / "one" / "model.safetensors")
    b = load_file(tmp_path / "two" / "model.safetensors")
    key = next(k for k in a if "embed_tokens" in k)
    assert not torch.equal(a[key], load_file(sdir / "model.safetensors")[key])  # it trained
    assert torch.allclose(a[key], b[key], atol=1e-5)
    ra = json.loads((tmp_path / "one" / "heal_report.json").read_text())
    rb = json.loads((tmp_path / "two" / "heal_report.json").read_text())
    assert rb["processes"] == 2 and ra["processes"] == 1 and ra["steps"] == rb["steps"] == 3
    # the rows each process showed are united: the count and the gap breakdown match one process
    assert 0 < ra["train"]["trainable_input_rows_shown"] < ra["train"]["rows_shown"] == rb["train"]["rows_shown"]
    ga, gb = ra["evaluation"]["gap_after"], rb["evaluation"]["gap_after"]
    for lang in ga:
        for cls, r in ga[lang]["classes"].items():
            assert r["excess_bits_unseen_new_rows"] == pytest.approx(
                gb[lang]["classes"][cls]["excess_bits_unseen_new_rows"], abs=0.05
            )
