"""The core stays light: importing tokforge, its audit and loaders, and the command line loads no
module of an optional extra (torch, transformers, safetensors, accelerate, faiss, matplotlib,
vl_convert; `tokforge.extras.EXTRAS` lists them). Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers.paths import REPO

from tokforge.extras import EXTRAS

HEAVY = sorted({m for mods in EXTRAS.values() for m in mods})


def _loaded_after(code: str) -> list[str]:
    """The `HEAVY` top-level modules in ``sys.modules`` after running ``code`` in a new interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_extras_name_the_heavy_modules():
    assert {"torch", "transformers", "faiss", "accelerate", "matplotlib", "vl_convert"} <= set(HEAVY)


@pytest.mark.parametrize(
    "code",
    [
        "import tokforge",
        "import tokforge, tokforge.audit, tokforge.loaders",
        "from tokforge_cli.main import discover\nassert 'audit' in discover() and 'inspect' in discover()",
    ],
    ids=["tokforge", "audit+loaders", "cli"],
)
def test_core_imports_no_extra(code):
    assert _loaded_after(code) == []
