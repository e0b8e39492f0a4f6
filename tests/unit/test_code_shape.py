"""The shape of the library's code: no function in ``tokforge/`` or ``cli/`` is longer than 80 lines
(ruff checks complexity, branches, arguments and statements; it has no rule for length)."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers.paths import REPO

MAX_LINES = 80


def long_functions(root: Path, limit: int = MAX_LINES) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > limit:
                    out.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({n} lines)")
    return out


def test_the_checker_finds_a_long_function(tmp_path):
    (tmp_path / "m.py").write_text("def f():\n" + "    x = 1\n" * 80 + "def g():\n" + "    x = 1\n" * 79)
    assert long_functions(tmp_path) == ["m.py:1 f (81 lines)"]


def test_no_function_is_longer_than_80_lines():
    found = [f"tokforge/{s}" for s in long_functions(REPO / "tokforge")] + [
        f"cli/{s}" for s in long_functions(REPO / "cli")
    ]
    assert not found, "split these into named phases:\n" + "\n".join(found)
