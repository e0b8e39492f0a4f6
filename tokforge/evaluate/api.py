"""``evaluate_model(model, texts=None)``: bits per byte of a causal LM per language (``tokforge.evaluate_model``).

``model`` is a built-in name, an HF model folder or a ``(model, Tokenizer)`` pair
(`tokforge.models.resolve_model`). ``texts`` is ``{lang: [lines]}``, a list of lines (one language,
``"text"``), a corpus spec (a text file, a folder of ``LANG.txt``, ``flores200:DIR``: its devtest
split; the first 40 lines per language), or None: FLORES-200 devtest of English, French and German
when it is found, else tokforge's embedded English sample (with a warning). The convention is
`bits.CONVENTION`: the bytes the model saw, BOS context, strided windows. With ``marginal=N`` (default
0: off) the result also carries, per language, the marginal bits/byte of N texts in all: their
probability over all tokenizations, a beam bound (`marginal`), beside the canonical bits/byte of the
same texts read the same way.

>>> r = EvalResult({"en": {"bits_per_byte": 1.0, "tokens_per_byte": 0.25}}, texts="given")
>>> r.bits_per_byte
{'en': 1.0}
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .bits import CONVENTION, EvalConfig, default_texts, evaluate_languages, public
from .marginal import check_marginal, marginal_block


@dataclass(frozen=True)
class EvalResult:
    """Per language: bits, bytes (seen), bytes_text, tokens, round_trip, bits_per_byte, tokens_per_byte;
    ``marginal``: per language, `marginal.marginal_bits_per_byte`'s block (None when it was off)."""

    languages: dict[str, dict]
    texts: str = "given"  # where the texts came from
    config: EvalConfig = field(default_factory=EvalConfig)
    convention: str = CONVENTION
    marginal: dict[str, dict] | None = None

    @property
    def marginal_bits_per_byte(self) -> dict[str, float]:
        return {lang: s["marginal_bits_per_byte"] for lang, s in (self.marginal or {}).items()}

    @property
    def bits_per_byte(self) -> dict[str, float]:
        return {lang: s["bits_per_byte"] for lang, s in self.languages.items()}

    def to_dict(self) -> dict:
        return {
            "languages": self.languages,
            "texts": self.texts,
            "config": dataclasses.asdict(self.config),
            "convention": self.convention,
            **({"marginal": self.marginal} if self.marginal is not None else {}),
        }

    def save(self, path, force: bool = False) -> Path:
        """Write the result as JSON to ``path`` (atomically; an existing file only with ``force``)."""
        from ..io import atomic_write_text

        path = Path(path)
        if path.exists() and not force:
            raise InputError(
                "output file already exists", where=str(path), fix="choose another path or pass force=True"
            )
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")


def evaluation_texts(texts) -> tuple[dict[str, list[str]], str]:
    """``(texts per language, where they came from)`` for the ``texts`` argument of `evaluate_model`."""
    if texts is None or isinstance(texts, (str, Path)):
        return default_texts(str(texts) if texts is not None else None)
    if isinstance(texts, dict):
        return {str(k): list(v) for k, v in texts.items()}, "given"
    if isinstance(texts, (list, tuple)) and all(isinstance(t, str) for t in texts):
        return {"text": list(texts)}, "given"
    raise InputError(
        "texts must be {lang: [lines]}, a list of lines, a corpus spec or None",
        where=type(texts).__name__,
        fix='e.g. texts={"en": ["Some text."]}',
    )


def evaluate_model(
    model, texts=None, *, config: EvalConfig | None = None, device: str = "cpu", marginal: int = 0
) -> EvalResult:
    """Bits per byte of ``model`` on ``texts`` per language, and the marginal bits/byte of the first
    ``marginal`` texts of each (0: off; see the module docstring)."""
    from ..extras import require

    require("torch", "evaluate_model")
    from ..models import resolve_model

    config = config or EvalConfig()
    check_marginal(marginal)
    by_lang, source = evaluation_texts(texts)  # before any weights load
    m, tok = resolve_model(model, device=device)
    stats = evaluate_languages(m, tok, by_lang, cfg=config)
    marg = marginal_block(m, tok, by_lang, marginal)
    return EvalResult(public(stats), texts=source, config=config, marginal=marg)
