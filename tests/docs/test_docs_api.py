"""docs/api.md runs: its ``python`` blocks, in order, in one namespace (real GPT-2 tokenizer, tiny models)."""

from __future__ import annotations

import re

import pytest
from helpers.paths import REPO

API = REPO / "docs" / "api.md"


def blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_api_page_has_examples_for_every_section():
    text = API.read_text(encoding="utf-8")
    sections = re.findall(r"^## ", text, flags=re.M)
    assert len(blocks(text)) >= len(sections) >= 8


def test_api_examples_run(tmp_path, monkeypatch, gpt2):
    monkeypatch.chdir(tmp_path)  # anything an example writes lands in a scratch folder
    monkeypatch.setenv("TOKFORGE_PROGRESS", "0")
    ns: dict = {}
    for i, code in enumerate(blocks(API.read_text(encoding="utf-8")), 1):
        try:
            exec(compile(code, f"docs/api.md block {i}", "exec"), ns)
        except Exception as e:  # name the block, keep the traceback
            pytest.fail(f"docs/api.md block {i} failed: {type(e).__name__}: {e}")
