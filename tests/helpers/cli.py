"""The command line in a subprocess (``python -m tokforge_cli.main``, run from the checkout) and its
two-column tables."""

from __future__ import annotations

import subprocess
import sys

from .paths import REPO


def run_cli(*args):
    """``subprocess.CompletedProcess`` of ``tokforge ARGS`` (text output captured)."""
    return subprocess.run([sys.executable, "-m", "tokforge_cli.main", *args], capture_output=True, text=True, cwd=REPO)


def cli_table(out: str) -> list[tuple[str, float]]:
    """``[(name, value)]`` from a command's ``NAME VALUE`` lines."""
    return [(line.split()[0], float(line.split()[1])) for line in out.strip().splitlines()]
