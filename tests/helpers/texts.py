"""Short sample texts and the languages the audit tests read from FLORES-200."""

from __future__ import annotations

TEXT = (
    "The quick brown fox jumps over the lazy dog. A stitch in time saves nine. "
    "Tokenizers turn text into integers, and models turn integers back into text. "
)

AUDIT_LANGS = ["eng_Latn", "rus_Cyrl", "zho_Hans", "hin_Deva"]
