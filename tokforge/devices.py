"""Choosing the torch device: one rule for every feature and command.

``DEVICES`` lists what a user may ask for (the CLI's ``--device`` choices). ``resolve(name)`` turns
``auto`` into ``cuda`` when one is available (else ``cpu``) and refuses ``cuda`` on a machine or
torch build without CUDA with a one-line error, before any model is loaded.

>>> resolve("cpu")
'cpu'
"""

from __future__ import annotations

from contextlib import contextmanager

from .errors import InputError

DEVICES = ("auto", "cpu", "cuda")


def resolve(name: str | None) -> str:
    """``auto``/``None`` -> ``cuda`` or ``cpu``; ``cpu``, ``cuda``, ``cuda:N`` checked against this machine
    (``cpu`` and an unknown name are answered without importing torch: a cheap check)."""
    name = (name or "auto").strip().lower()
    if name == "cpu":
        return name
    if name != "auto" and name != "cuda" and not name.startswith("cuda:"):
        raise InputError(f"unknown device {name!r}", fix="use one of: " + ", ".join(DEVICES) + " (or cuda:N)")
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            why = "this torch build has no CUDA" if torch.version.cuda is None else "no CUDA device is visible"
            raise InputError(f"device {name} requested but {why}", fix='pass device="cpu" (or "auto")')
        if ":" in name:
            idx = name.split(":", 1)[1]
            if not idx.isdigit() or int(idx) >= torch.cuda.device_count():
                raise InputError(
                    "no such CUDA device", where=name, fix=f"this machine has {torch.cuda.device_count()} (cuda:0...)"
                )
        return name
    raise InputError(f"unknown device {name!r}", fix="use one of: " + ", ".join(DEVICES) + " (or cuda:N)")


@contextmanager
def one_cpu_thread(model):
    """One torch thread inside the block when ``model`` is on a CPU (the caller's count back after it), for work
    made of many small forward calls (the marginal search): more threads gain little there, and on a machine
    whose cores are busy they lose much (each small op waits for its slowest thread)."""
    import torch

    cpu = next(model.parameters()).device.type == "cpu"
    before = torch.get_num_threads()
    if cpu:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if cpu:
            torch.set_num_threads(before)
