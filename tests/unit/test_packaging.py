"""pyproject.toml against the tree: the explicit package list names every package folder (a new
subpackage cannot be left out of the wheel), the data files the code reads are package data, the
version comes from `tokforge.__version__` alone, and the core dependencies carry no optional extra."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.paths import REPO

import tokforge
from tokforge.extras import EXTRAS

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
# import name -> folder in the checkout (pyproject's package-dir; tokforge sits at the root)
ROOTS = {"tokforge": "tokforge", **SETUPTOOLS["package-dir"]}
# distribution names of the extras' modules, where they differ
DIST = {"faiss": "faiss-cpu", "vl_convert": "vl-convert-python"}


def _folders_with_init() -> set[str]:
    found = set()
    for name, folder in ROOTS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            found.add(".".join([name, *rel.parts]))
    return found


def _dist(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def test_cli_installs_as_tokforge_cli():
    assert SETUPTOOLS["package-dir"] == {"tokforge_cli": "cli"}
    assert PYPROJECT["project"]["scripts"] == {"tokforge": "tokforge_cli.main:main"}


def test_package_list_is_every_folder_with_init():
    assert set(SETUPTOOLS["packages"]) == _folders_with_init()
    assert len(SETUPTOOLS["packages"]) == len(set(SETUPTOOLS["packages"]))


def test_no_python_folder_without_init():
    """A folder of modules without ``__init__.py`` would be a namespace package the list misses."""
    for folder in ROOTS.values():
        for py in (REPO / folder).rglob("*.py"):
            assert (py.parent / "__init__.py").is_file(), f"{py.parent} has modules but no __init__.py"


def test_data_files_are_package_data():
    """Every file in a package folder that is not Python source is listed as package data, and exists."""
    data = SETUPTOOLS.get("package-data", {})
    for name, folder in ROOTS.items():
        for f in (REPO / folder).rglob("*"):
            if f.is_file() and f.suffix not in (".py", ".pyc") and "__pycache__" not in f.parts:
                pkg = ".".join([name, *f.parent.relative_to(REPO / folder).parts])
                assert f.name in data.get(pkg, []), f"{f} is not in [tool.setuptools.package-data]"
    for pkg, names in data.items():
        folder = REPO / ROOTS[pkg.split(".")[0]] / Path(*pkg.split(".")[1:])
        for n in names:
            assert (folder / n).is_file(), f"package data {pkg}: {n} not found"


def test_one_version_number():
    assert "version" not in PYPROJECT["project"] and PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "tokforge.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", tokforge.__version__)


def test_core_dependencies_carry_no_extra_and_extras_carry_theirs():
    core = {_dist(r) for r in PYPROJECT["project"]["dependencies"]}
    optional = PYPROJECT["project"]["optional-dependencies"]
    for extra, modules in EXTRAS.items():
        dists = {DIST.get(m, m) for m in modules}
        assert not dists & core, f"core dependencies include [{extra}]: {sorted(dists & core)}"
        assert dists <= {_dist(r) for r in optional[extra]}, f"[{extra}] lacks {sorted(dists)}"


def test_test_extra_is_bounded():
    """The test extra installs everything the suite needs, with an upper bound on pytest (9.2 changed
    `pytest.approx`; a fresh machine takes the newest release)."""
    test = PYPROJECT["project"]["optional-dependencies"]["test"]
    assert any(r.startswith("tokforge[") and "models" in r and "plots" in r for r in test)
    pytest_req = next(r for r in test if _dist(r) == "pytest")
    assert "<" in pytest_req
