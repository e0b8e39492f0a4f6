"""Library errors name Python parameters; the CLI prints them as the running command's flags.

`cli.errors.to_flags` is checked on the real commands' parameter tables, end to end through
``tokforge_cli.main.main`` on a cheap failing call, and statically: no error raised in ``tokforge/``
spells a CLI flag (``--name``) in its message.
"""

from __future__ import annotations

import ast
import re

from helpers.paths import REPO
from tokforge_cli.errors import command_of, to_flags
from tokforge_cli.main import app, discover, main

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def test_parameter_names_become_the_commands_flags():
    transplant = discover()["transplant"]
    assert to_flags("pass donor=MODEL", transplant) == "pass --donor MODEL"
    assert to_flags("pass force=True to replace it", transplant) == "pass --force to replace it"
    assert to_flags("a name that is no parameter=3 stays", transplant) == "a name that is no parameter=3 stays"
    heal = discover()["heal"]
    assert to_flags("pass resume=True", heal) == "pass --resume"


def test_command_of_finds_nested_commands():
    assert command_of(app, ["models", "pull", "gpt2"]).name == "pull"
    assert command_of(app, ["--debug", "audit", "gpt2", "--no-corpus"]).name == "audit"
    assert command_of(app, []) is None


def test_the_cli_prints_flags_for_a_library_error(tmp_path, capsys):
    code = main(["transplant", "smollm2-135m", "--tokenizer", "gpt2", "--method", "omp", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "--donor" in err and "donor=" not in err, err


def _messages(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
            if name.endswith("Error"):
                for sub in ast.walk(node.exc):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        yield node.lineno, sub.value


def test_no_library_error_spells_a_cli_flag():
    found = []
    for path in sorted((REPO / "tokforge").rglob("*.py")):
        for line, text in _messages(ast.parse(path.read_text(encoding="utf-8"))):
            if FLAG.search(text):
                found.append(f"{path.relative_to(REPO)}:{line}: {text}")
    assert not found, "write Python parameter names (name=VALUE) instead:\n" + "\n".join(found)
