"""Paths that used to do something other than what was asked without saying so (issue 29), each now an
error or a printed warning. Every test here failed on the code before the fix."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
import torch
from helpers.paths import REPO
from helpers.tiny import tiny_llama

from tokforge.errors import InputError, TokforgeWarning
from tokforge.heal.config import DEFAULT_STEPS, HealConfig


# -- heal: --steps with --minutes ----------------------------------------------------------------------------
def test_steps_and_minutes_together_are_an_error_not_minutes_winning():
    with pytest.raises(InputError, match="steps and minutes both bound the run"):
        HealConfig(steps=50, minutes=2.0)
    assert HealConfig().steps == DEFAULT_STEPS and HealConfig(minutes=2.0).steps is None
    assert HealConfig(steps=7).steps == 7


def test_cli_says_steps_and_minutes_conflict_before_loading_anything(tmp_path, capsys):
    from tokforge_cli.main import main

    (tmp_path / "student").mkdir()  # not a model folder: the conflict must be found before that is
    (tmp_path / "c.txt").write_text("some text\n")
    args = ["heal", str(tmp_path / "student"), "--corpus", str(tmp_path / "c.txt"), "--out", str(tmp_path / "o")]
    assert main(args + ["--steps", "5", "--minutes", "1"]) != 0
    err = capsys.readouterr().err
    assert "steps and minutes both bound the run" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


# -- cheap checks first: no torch import before a bad path is refused --------------------------------------
CHEAP = """
import sys
from tokforge_cli.main import main
rc = main({args!r})
print("torch imported:", "torch" in sys.modules, "rc:", rc)
"""


@pytest.mark.parametrize(
    "args, message",
    [
        (["heal", "{tmp}", "--corpus", "{tmp}/c.txt", "--out", "{tmp}/o"], "not a built-in name or an HF model"),
        (["transplant", "smollm2-135m", "--tokenizer", "{tmp}/MISSING.json", "--out", "{tmp}/o"], "not found"),
    ],
)
def test_bad_paths_are_refused_before_torch_is_imported(tmp_path, args, message):
    """``tokforge heal NOT_A_MODEL_DIR`` and ``transplant --tokenizer MISSING`` used to import torch (seconds)
    before their one-line error."""
    (tmp_path / "c.txt").write_text("text\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    out = subprocess.run(
        [sys.executable, "-c", CHEAP.format(args=args)], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert message in out.stderr, out.stderr[-500:]
    assert "torch imported: False" in out.stdout and "rc: 0" not in out.stdout, out.stdout


# -- heal's device: what is present -------------------------------------------------------------------------
def test_heal_device_defaults_to_what_is_present():
    """``tokforge heal`` and `heal_model` default to ``auto``: cuda when available (as accelerate chooses),
    else cpu; it used to be ``cpu`` always, so ``accelerate launch`` on a GPU machine trained on CPUs."""
    import inspect

    from tokforge_cli.main import discover

    from tokforge import devices
    from tokforge.heal.api import _accelerator, heal_model

    assert inspect.signature(heal_model).parameters["device"].default == "auto"
    opt = next(p for p in discover()["heal"].params if p.name == "device")
    assert opt.default == "auto"
    want = "cuda" if torch.cuda.is_available() else "cpu"
    assert devices.resolve("auto") == want
    assert _accelerator(devices.resolve("auto")).device.type == want


# -- surgery: a model without an LM head is not "tied" -------------------------------------------------------
def test_a_model_without_a_head_is_said_not_treated_as_tied():
    from transformers import LlamaModel

    from tokforge.surgery.apply import apply_plan, embedding_modules
    from tokforge.surgery.plan import EmbeddingPlan
    from tokforge.vocab import Vocab

    lm = tiny_llama(40, True, 0, bos_token_id=0, eos_token_id=1, pad_token_id=None)
    body = LlamaModel(lm.config)  # the decoder without its LM head
    assert embedding_modules(body)[1:] == (None, False)
    assert embedding_modules(lm)[2] is True  # a real tied head still is
    vocab = Vocab([b"<s>", b"</s>"] + [bytes([c]) for c in range(97, 135)], [1, 1] + [0] * 38)
    plan = EmbeddingPlan.identity(vocab)
    with pytest.warns(TokforgeWarning, match="has no LM head"):
        apply_plan(body, plan)
    assert plan.notes["tied"] is False and plan.notes["output_side"].startswith("none: the model has no LM head")


# -- byte level: the canonicality shortcut's fall-back is said --------------------------------------------------
def test_bigram_shortcut_fallback_is_said(smollm2_tokenizer_copy):
    """A tokenizer whose HF spec cannot be read (here: a custom Python pre-tokenizer) used to fall back to
    the slow encoder path without a word."""
    from tokenizers.pre_tokenizers import PreTokenizer

    from tokforge.bytelevel.bigram import BigramTest

    class Whole:
        def pre_tokenize(self, pretok):
            return None

    tok = smollm2_tokenizer_copy
    tok.backend.pre_tokenizer = PreTokenizer.custom(Whole())
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("default")
        assert BigramTest.build(tok) is None
    said = [w for w in got if issubclass(w.category, TokforgeWarning)]
    assert len(said) == 1 and "cannot be read (Custom PreTokenizer cannot be serialized)" in str(said[0].message)


@pytest.fixture
def smollm2_tokenizer_copy():
    """A fresh SmolLM2 tokenizer (this test changes its backend, so never the shared cached one)."""
    import tokforge

    return tokforge.load_tokenizer("smollm2-135m")
