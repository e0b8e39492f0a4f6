"""Every command's --help ends with 2-3 examples that parse (options, choices, existing input files)."""

from __future__ import annotations

import shlex

import click
import pytest
from helpers.paths import REPO, SHARED_DATA
from tokforge_cli.main import app, discover

COMMANDS = [
    "audit",
    "inspect",
    "models",
    "models list",
    "models pull",
    "supertokens",
    "supertokens train",
    "supertokens report",
    "stochastok",
    "hypernet",
    "hypernet train",
    "hypernet info",
]


def _command(path: str) -> click.Command:
    cmd: click.Command = discover()[path.split()[0]]
    for part in path.split()[1:]:
        cmd = cmd.commands[part]
    return cmd


@pytest.mark.parametrize("path", COMMANDS)
def test_help_ends_with_examples_that_parse(path, monkeypatch):
    monkeypatch.chdir(REPO)  # examples use ../shared/data
    cmd = _command(path)
    with click.Context(app, info_name="tokforge") as root:
        text = cmd.get_help(click.Context(cmd, info_name=path, parent=root))
    assert "Examples:" in text, path
    examples = [ln.strip() for ln in text.split("Examples:")[1].splitlines() if ln.strip().startswith("tokforge ")]
    assert 1 <= len(examples) <= 3 and text.rstrip().endswith(examples[-1]), (path, examples)
    needs_data = []
    for ex in examples:
        argv = shlex.split(ex)[1:]
        if "../shared/" in ex and not SHARED_DATA.is_dir():
            needs_data.append(ex)
            continue
        target = discover()[argv[0]]
        args = argv[1:]
        while isinstance(target, click.Group) and args and args[0] in target.commands:
            target, args = target.commands[args[0]], args[1:]
        if isinstance(target, click.Group):
            continue
        if (args and args[0] in ("hn", "expanded.jsonl")) or "--resume" in args:
            continue  # reads what an earlier example writes
        target.make_context(argv[0], list(args))  # raises on an unknown option, a bad choice, a missing file
    if needs_data:
        pytest.skip(f"the shared data folder ({SHARED_DATA}) is absent; not checked: {needs_data}")


def test_choices_come_from_the_registries():
    from tokforge.artifacts import ARTIFACTS
    from tokforge.loaders import LOADERS

    fmt = next(p for p in _command("audit").params if p.name == "fmt")
    assert sorted(fmt.type.choices) == sorted(LOADERS)
    names = next(p for p in _command("models pull").params if p.name == "names")
    assert set(names.type.choices) == {"all", *ARTIFACTS}
