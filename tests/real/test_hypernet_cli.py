"""`tokforge hypernet train|info` and `tokforge transplant --method hypernet`, as a user runs them,
on a tiny random untied Llama saved with the REAL SmolLM2 tokenizer files."""

from __future__ import annotations

import json
import shutil

import pytest
from helpers.tiny import tiny_llama
from tokforge_cli.main import main  # noqa: E402

import tokforge.transplant.hypernet.train  # noqa: E402,F401  (a broken import must fail, not skip)
from tokforge import models  # noqa: E402

TINY = [
    "--steps",
    "2",
    "--recon-steps",
    "1",
    "--batch-size",
    "2",
    "--seq-len",
    "16",
    "--hidden",
    "32",
    "--layers",
    "1",
    "--heads",
    "2",
    "--min-vocab",
    "600",
    "--max-vocab",
    "1000",
    "--negatives",
    "64",
    "--device",
    "cpu",
]


def _model_dir(path, seed: int):
    src = models.pull("smollm2-135m", part="tokenizer")
    tiny_llama(49152, tied=False, seed=seed, num_hidden_layers=1).save_pretrained(path)
    for f in src.iterdir() if src.is_dir() else [src]:
        if f.name.startswith("tokenizer") or f.name == "special_tokens_map.json":
            shutil.copy(f, path / f.name)
    return path


def _bpe(path, shakespeare):
    """A 2,000-token byte-level BPE trained on tinyshakespeare (a tokenizer.json the saved model can carry)."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers, trainers
    from tokenizers import models as tm

    hf = Tokenizer(tm.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    text = shakespeare.read_text(encoding="utf-8")[:200_000].split("\n")
    hf.train_from_iterator(
        text,
        trainers.BpeTrainer(
            vocab_size=2000,
            special_tokens=["<|endoftext|>"],
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    path.mkdir()
    hf.save(str(path / "tokenizer.json"))
    return path


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory, shakespeare):
    root = tmp_path_factory.mktemp("hncli")
    _bpe(root / "bpe2k", shakespeare)
    return _model_dir(root / "tiny-a", 0), _model_dir(root / "tiny-b", 1), root


def test_cli_train_info_transplant(tiny_dirs, shakespeare, capsys):
    a, b, root = tiny_dirs
    out = root / "hn"
    assert main(["hypernet", "train", str(a), "--corpus", str(shakespeare), "--out", str(out), *TINY]) == 0
    assert (out / "hypernet.safetensors").is_file() and len((out / "log.jsonl").read_text().splitlines()) == 3
    capsys.readouterr()
    assert main(["hypernet", "info", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["base"]["tied"] is False and info["steps"] == 2 and info["final_step"]["step"] == 2
    moved = root / "moved"
    assert (
        main(
            [
                "transplant",
                str(a),
                "--tokenizer",
                str(root / "bpe2k"),
                "--method",
                "hypernet",
                "--option",
                f"hypernet={out}",
                "--eval",
                "none",
                "--out",
                str(moved),
            ]
        )
        == 0
    )
    assert json.loads((moved / "config.json").read_text())["vocab_size"] >= 2000
    report = json.loads((moved / "transplant_report.json").read_text())
    assert "hypernet" in json.dumps(report["plan"])
    # the spelling: --hypernet DIR; same rows as --option hypernet=DIR
    again = root / "moved2"
    assert (
        main(
            [
                "transplant",
                str(a),
                "--tokenizer",
                str(root / "bpe2k"),
                "--method",
                "hypernet",
                "--hypernet",
                str(out),
                "--eval",
                "none",
                "--out",
                str(again),
            ]
        )
        == 0
    )
    assert (again / "model.safetensors").read_bytes() == (moved / "model.safetensors").read_bytes()
    capsys.readouterr()
    assert (
        main(
            [
                "transplant",
                str(a),
                "--tokenizer",
                str(root / "bpe2k"),
                "--hypernet",
                str(out),
                "--eval",
                "none",
                "--out",
                str(root / "moved3"),
            ]
        )
        == 2
    )
    assert "--hypernet only applies to the hypernet method" in capsys.readouterr().err


def test_cli_errors(tiny_dirs, shakespeare, capsys):
    a, b, root = tiny_dirs
    out = root / "hn2"
    assert main(["hypernet", "train", str(a), "--corpus", str(shakespeare), "--out", str(out), *TINY]) == 0
    capsys.readouterr()
    # same folder again: refused, nothing overwritten
    assert main(["hypernet", "train", str(a), "--corpus", str(shakespeare), "--out", str(out), *TINY]) == 2
    assert "already holds a trained hypernetwork" in capsys.readouterr().err
    # a hypernetwork trained for model a, applied to model b (same tokenizer, other weights)
    assert (
        main(
            [
                "transplant",
                str(b),
                "--tokenizer",
                str(root / "bpe2k"),
                "--method",
                "hypernet",
                "--option",
                f"hypernet={out}",
                "--eval",
                "none",
                "--out",
                str(root / "never"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    lines = [ln for ln in err.replace("\r", "\n").splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "different base model" in lines[0] and "tiny-a" in lines[0]
    assert not (root / "never").exists()
    assert (
        main(["hypernet", "train", str(a), "--corpus", str(root / "missing.txt"), "--out", str(root / "x"), *TINY]) == 2
    )
    assert "corpus not found" in capsys.readouterr().err
