"""Tests on real artifacts (the synthetic ones: tests/unit/test_transplant_options.py). Method options are
typed: unknown or ill-typed options are one-line errors, on the API and the CLI."""

from __future__ import annotations

import pytest
from tokforge_cli.main import main


def test_cli_rejects_unknown_option_before_loading(capsys):
    rc = main(["transplant", "no-such-model", "--tokenizer", "gpt2", "--out", "/tmp/x-never", "--option", "kk=3"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "unknown option 'kk' for method hybrid" in err and "valid:" in err


def test_cli_method_and_device_are_choices(capsys):
    assert main(["transplant", "m", "--tokenizer", "gpt2", "--out", "/tmp/x-never", "--method", "magic"]) == 2
    err = capsys.readouterr().err
    assert "'magic' is not one of" in err and "'hybrid'" in err and "'omp'" in err
    assert main(["transplant", "m", "--tokenizer", "gpt2", "--out", "/tmp/x-never", "--device", "tpu"]) == 2
    assert "'tpu' is not one of 'auto', 'cpu', 'cuda'" in capsys.readouterr().err


def test_cli_cuda_without_cuda_is_one_line(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the error path cannot be exercised")
    rc = main(["transplant", "smollm2-135m", "--tokenizer", "gpt2", "--out", "/tmp/x-never", "--device", "cuda"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: device cuda requested but") and err.count("\n") == 1
