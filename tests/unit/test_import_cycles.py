"""No import cycles between the files of ``tokforge/`` (every import statement counts, module level
or inside a function), parsed with ``ast``: a cycle is a strongly connected set of modules."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers.paths import REPO

PKG = REPO / "tokforge"


def module_names(root: Path) -> dict[str, Path]:
    out = {}
    for p in root.rglob("*.py"):
        parts = p.relative_to(root.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> the tokforge modules it imports (a package importing its own child is not an edge)."""
    mods = module_names(root)
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        base = m.split(".") if p.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mod = (
                    ".".join(base[: len(base) - node.level + 1] + [node.module or ""]).strip(".")
                    if node.level
                    else node.module or ""
                )
                targets = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in mods] or [mod]
            else:
                continue
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != m and not m.startswith(t + "."):
                    edges[m].add(t)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative over a small graph)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_detector_finds_a_planted_cycle(tmp_path):
    pkg = tmp_path / "tokforge"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import a\n")
    (pkg / "sub" / "a.py").write_text("def f():\n    from .b import g\n")
    (pkg / "sub" / "b.py").write_text("from ..sub import a\n")
    (pkg / "c.py").write_text("from .sub.a import f\n")
    assert cycles(import_graph(pkg)) == [["tokforge.sub.a", "tokforge.sub.b"]]


def test_tokforge_has_no_import_cycles():
    found = cycles(import_graph(PKG))
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)
