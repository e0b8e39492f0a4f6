"""README.md is the front door: its sections come in the agreed order, its prose stays short (at most
1,500 words outside code and tables, no paragraph over 120 words), its Python examples run in order in
one namespace, and its ``tokforge ...`` command lines parse (the cheap ones also run, marked slow)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import click
import pytest
from helpers.paths import REPO

README = REPO / "README.md"
SECTIONS = ["Install", "Set up a fresh machine", "Features", "Examples", "Results", "Links"]
CHEAP = ("tokforge models list", "tokforge inspect ", "tokforge audit gpt2 --no-corpus")


def text() -> str:
    return README.read_text(encoding="utf-8")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text(), flags=re.S)


def commands() -> list[str]:
    """Every ``tokforge ...`` command in the README's bash blocks (after ``&&`` too), comments dropped."""
    out = []
    for block in blocks("bash"):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = part.split("  #")[0].strip()
                if part.startswith("tokforge "):
                    out.append(part)
    return out


def prose_paragraphs(md: str) -> list[str]:
    """Paragraphs of prose: fenced code, tables, headings and HTML comments (rendered regions) left out."""
    md = re.sub(r"```.*?```", "\n\n", md, flags=re.S)
    md = re.sub(r"<!--.*?-->", "", md, flags=re.S)
    paras, cur = [], []
    for line in md.splitlines() + [""]:
        s = line.strip()
        if not s or s.startswith(("|", "#")):
            if cur:
                paras.append(" ".join(cur))
            cur = []
            continue
        cur.append(s)
    return paras


def words(paragraph: str) -> int:
    return len(re.findall(r"\S+", paragraph))


def test_sections_in_order():
    heads = re.findall(r"^## (.+)$", text(), flags=re.M)
    assert heads == SECTIONS
    assert re.match(r"# tokforge\n\n(?:[^\n]+\n){1,3}\n## Install", text()), "what tokforge is: at most 3 lines"


def test_prose_is_short():
    paras = prose_paragraphs(text())
    total = sum(words(p) for p in paras)
    assert total <= 1500, f"README prose has {total} words (limit 1500)"
    long = [p[:80] for p in paras if words(p) > 120]
    assert not long, f"paragraphs over 120 words: {long}"
    for phrase in ("previous version", "the issue asks", "the issue's"):
        assert phrase not in text().lower(), phrase


def test_limits_count_what_they_should():
    md = "# t\n\nOne two three.\n\n```bash\nnot counted at all\n```\n\n| not | counted |\n\nfour five\nsix\n"
    assert [words(p) for p in prose_paragraphs(md)] == [3, 3]


def test_features_table_names_the_public_api():
    import tokforge

    table = text().split("## Features")[1].split("##")[0]
    named = set(re.findall(r"`(\w+)`", table))
    public = set(tokforge.__all__) - {"__version__", "TokforgeError", "TokenKind", "Tokenizer", "Vocab"}
    assert public - named <= {"AuditReport", "TransplantResult", "HealResult", "EvalResult", "HypernetResult"}


def test_set_up_commands():
    setup = text().split("## Set up a fresh machine")[1].split("## Features")[0]
    assert 'pip install torch==2.13.0 && pip install -e ".[models,plots,test]" && tokforge audit' in setup
    assert "```bash\npython -m pytest -q\n```" in setup


def test_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # anything an example writes lands in a scratch folder
    monkeypatch.setenv("TOKFORGE_PROGRESS", "0")
    ns: dict = {}
    for i, code in enumerate(blocks("python"), 1):
        try:
            exec(compile(code, f"README.md python block {i}", "exec"), ns)
        except Exception as e:  # name the block, keep the traceback
            pytest.fail(f"README.md python block {i} failed: {type(e).__name__}: {e}")


@pytest.mark.parametrize("line", commands())
def test_command_lines_parse(line, monkeypatch, tmp_path):
    from tokforge_cli.main import discover

    # a checkout beside the shared data (examples read ../shared/data), holding what earlier examples write
    work = tmp_path / "checkout"
    work.mkdir()
    if (REPO.parent / "shared").is_dir():
        (tmp_path / "shared").symlink_to(REPO.parent / "shared")
    (work / "in.txt").write_text("The quick brown fox.\n")
    for folder in ("smol-gemma", "st16k", "hn"):
        (work / folder).mkdir()
    monkeypatch.chdir(work)
    argv = shlex.split(line)[1:]
    target, args = discover()[argv[0]], argv[1:]
    while isinstance(target, click.Group) and args and args[0] in target.commands:
        target, args = target.commands[args[0]], args[1:]
    target.make_context(argv[0], list(args))  # raises on an unknown option, a bad choice, a missing file


@pytest.mark.slow
@pytest.mark.parametrize("line", [c for c in commands() if c.startswith(CHEAP)])
def test_cheap_commands_run(line, tmp_path):
    argv = shlex.split(line)[1:]
    if "--out" in argv:
        argv[argv.index("--out") + 1] = str(tmp_path / "out")
    proc = subprocess.run([sys.executable, "-m", "tokforge_cli.main", *argv], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
