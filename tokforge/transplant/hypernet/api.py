"""``train_hypernet(model, texts, config=HypernetConfig(...)) -> HypernetResult``: train a hypernetwork.

The base model stays frozen; the network learns to predict embedding rows for tokenizers sampled on the
fly (`train`), and ``transplant_model(..., config=TransplantConfig(method="hypernet",
options={"hypernet": DIR}))`` applies a saved one. Importing this module needs no torch.

Example::

    from tokforge import HypernetConfig, train_hypernet

    result = train_hypernet("smollm2-135m", texts, config=HypernetConfig(steps=50), out="hn")
    result.report["training"]["final"]["lm"]
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from tokforge.errors import InputError

from .config import CHECKPOINT, HypernetConfig


@dataclass
class HypernetResult:
    """A trained hypernetwork: ``net`` (a `model.HyperNet` bound to the base model's rows), ``report``
    (what ``config.json`` holds: sizes, base-model identity, training settings and last step) and
    ``path`` (the folder it was trained in, or None)."""

    net: Any
    report: dict
    path: Path | None = None

    def save(self, out: str | os.PathLike, force: bool = False) -> Path:
        """Write ``hypernet.safetensors`` + ``config.json`` to a new folder ``out``, atomically (an existing
        folder is refused unless ``force``)."""
        from tokforge.io import atomic_dir

        from . import io as hio

        with atomic_dir(out, force=force) as tmp:
            hio.save(tmp, self.net, self.report["base"], self.report.get("training"))
        return Path(out)


def _texts(texts) -> list[str]:
    """A list of strings from a sequence of texts or ``{lang: [texts]}``; a single string is an error."""
    if isinstance(texts, dict):
        texts = [t for lines in texts.values() for t in lines]
    if isinstance(texts, (str, bytes, os.PathLike)) or not isinstance(texts, Sequence):
        raise InputError(
            "texts must be a list of strings (or {language: [strings]})",
            where=type(texts).__name__,
            fix="read files with tokforge.corpus.read_corpus(spec)",
        )
    out = [t for t in texts if isinstance(t, str) and t.strip()]
    if not out:
        raise InputError("the training corpus is empty", where=f"{len(texts)} texts")
    return out


def _check_out(out, resume: bool, force: bool) -> None:
    from . import io as hio

    if out is None:
        if resume:
            raise InputError("resume needs the folder of the run to continue", fix="pass out=DIR")
        return
    out = Path(out)
    if (out / hio.CONFIG).exists() and not (force or resume):
        raise InputError(
            "output folder already holds a trained hypernetwork",
            where=str(out),
            fix="choose another out=DIR, or pass force=True to overwrite",
        )
    if (out / CHECKPOINT).exists() and not (resume or force):
        raise InputError(
            "output folder holds an unfinished run's checkpoint",
            where=str(out),
            fix="pass resume=True to continue it, or force=True to start over",
        )


def train_hypernet(
    model,
    texts,
    *,
    config: HypernetConfig | None = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    force: bool = False,
    device: str = "cpu",
    progress: bool = True,
) -> HypernetResult:
    """Train a hypernetwork for ``model`` (a built-in name, an HF folder or a ``(model, Tokenizer)`` pair;
    its weights stay frozen) on ``texts`` (strings, or ``{language: [strings]}``).

    With ``out`` the run checkpoints there every ``save_every`` steps (``log.jsonl`` holds each step) and
    the result is saved there; ``resume`` continues from ``out/checkpoint.pt`` when there is one, exactly
    as if uninterrupted. A folder holding a finished network or an unfinished run is refused unless
    ``resume`` or ``force``. Without ``out`` the run works in a temporary folder; save with
    ``result.save(DIR)``. Cheap checks (settings, folder, texts, device) run before the model loads."""
    from tokforge.extras import require

    require("torch", "hypernet training")
    from tokforge import devices
    from tokforge.models import resolve_model

    from . import io as hio
    from .train import TextWindows, Trainer, run

    config = config if config is not None else HypernetConfig()
    if not isinstance(config, HypernetConfig):
        raise InputError(
            f"config must be a HypernetConfig, not {type(config).__name__}", fix="pass HypernetConfig(...)"
        )
    _check_out(out, resume, force)
    texts = _texts(texts)
    TextWindows(texts, chars=config.seq_len * 6)  # too little text is an error before the model loads
    device = devices.resolve(device)
    m, tok = resolve_model(model, device=device)
    tr = Trainer(m, tok, texts, config, device)
    with tempfile.TemporaryDirectory(prefix="tokforge-hypernet-") as scratch:
        work = Path(out) if out is not None else Path(scratch)
        training = run(tr, work, resume=resume, progress=progress)
        report = hio.config_dict(tr.net, hio.base_identity(tr.model, tok), training)
        if out is not None:
            hio.save(work, tr.net, report["base"], training)
    return HypernetResult(tr.net, report, None if out is None else Path(out))
