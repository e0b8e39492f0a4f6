"""Did the model see the text? The round trip of an evaluation text through a tokenizer, and the
warning or error when it changed (shared by every bits/byte in tokforge, `evaluate`)."""

from __future__ import annotations

import difflib
import warnings

from ..errors import InputError, TokforgeWarning


def changed_bytes(a: bytes, b: bytes) -> int:
    """How many bytes differ between ``a`` and ``b`` (replaced, dropped or inserted).

    >>> changed_bytes(b"caf\\xc3\\xa9 ok", b"cafe ok"), changed_bytes(b"abc", b"abc")
    (2, 0)
    """
    if a == b:
        return 0
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def round_trip(text_bytes: bytes, seen: bytes) -> dict:
    """``{"exact": True}`` or the size of the change between the text and what the model saw."""
    if text_bytes == seen:
        return {"exact": True}
    n = changed_bytes(text_bytes, seen)
    return {
        "exact": False,
        "bytes_text": len(text_bytes),
        "bytes_seen": len(seen),
        "bytes_changed": n,
        "changed_fraction": round(n / max(1, len(text_bytes)), 6),
    }


def check_round_trip(stats: dict, tokenizer, where: str, max_loss: float) -> None:
    """Warn when the model saw other bytes than the text; raise when more than ``max_loss`` changed."""
    rt = stats.get("round_trip", "exact")
    if rt == "exact":
        return
    frac = rt["changed_fraction"]
    msg = (
        f"tokenizer {tokenizer.name} does not reproduce the evaluation text of {where}: "
        f"{rt['bytes_changed']} of {stats['bytes_text']} bytes changed ({100 * frac:.3f}%); "
        "bits/byte are over the bytes the model saw"
    )
    if frac > max_loss:
        raise InputError(
            msg.split(";")[0],
            where=where,
            fix=f"over the {100 * max_loss:.2g}% limit: evaluate with a lossless tokenizer, or raise max_loss",
        )
    warnings.warn(msg, TokforgeWarning, stacklevel=3)


def trip_label(s: dict) -> str:
    rt = s.get("round_trip", "exact")
    return "exact" if rt == "exact" else f"lossy ({100 * rt['changed_fraction']:.3f}% bytes changed)"
