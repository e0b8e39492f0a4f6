"""Only the package list lives here (pyproject.toml has the rest): the ``cli/`` folder installs under
the unique import name ``tokforge_cli``, so ``import cli`` never resolves to tokforge's command line."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["tokforge", "tokforge.*"])
    + ["tokforge_cli." + p if p else "tokforge_cli" for p in ["", *find_packages("cli")]],
    package_dir={"tokforge_cli": "cli"},
    package_data={"tokforge.audit": ["glossary.json"]},
)
