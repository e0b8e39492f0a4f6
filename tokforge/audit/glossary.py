"""Every metric of the report in one sentence, with its reference, its direction and its range.

``glossary_rows(report)`` adds the range the metric takes across the report's tokenizers (the
panel's range), so a reader sees at once whether 0.45 is high or low here.

>>> [g["metric"] for g in GLOSSARY][:3]
['bytes per token', 'parity', 'fertility']
"""

from __future__ import annotations

import math

GLOSSARY = [
    {
        "metric": "bytes per token",
        "key": ("corpus", "bytes_per_token"),
        "definition": "UTF-8 bytes of the text divided by the tokens the tokenizer makes of it (compression).",
        "direction": "higher",
        "reference": "common compression measure (e.g. Rust et al. 2021; tokka-bench)",
    },
    {
        "metric": "parity",
        "key": ("summary", "parity_mean"),
        "definition": "Tokens a language needs divided by tokens the baseline language needs for the same parallel "
        "lines; 1.0 = as cheap as the baseline (the summary shows the mean over languages).",
        "direction": "lower (1.0 is parity)",
        "reference": "Petrov et al. 2023, 'Language Model Tokenizers Introduce "
        "Unfairness Between Languages' (tokenization premium)",
    },
    {
        "metric": "fertility",
        "key": ("languages", "fertility"),
        "definition": "Tokens per whitespace word; for text without spaces (Chinese, Japanese, Thai...) tokens per "
        "character (marked fertility_unit = char).",
        "direction": "lower",
        "reference": "Rust et al. 2021, 'How Good is Your Tokenizer?'; Qtok",
    },
    {
        "metric": "split-word share",
        "key": ("languages", "split_word_share"),
        "definition": "Share of whitespace words that have a token boundary inside them.",
        "direction": "lower",
        "reference": "Rust et al. 2021 (proportion of continued words)",
    },
    {
        "metric": "utilisation",
        "key": ("corpus", "utilisation"),
        "definition": "Share of the vocabulary's text tokens used at least once on the corpus "
        "(depends on corpus size).",
        "direction": "higher (fewer dead tokens)",
        "reference": "vocabulary usage, e.g. Qtok / tokka-bench",
    },
    {
        "metric": "Rényi efficiency",
        "key": ("corpus", "renyi_efficiency"),
        "definition": "Rényi entropy (order 2.5) of the token frequency distribution divided by log of the vocabulary "
        "size; 1.0 = every token equally used.",
        "direction": "higher (within a corpus)",
        "reference": "Zouhar et al. 2023, 'Tokenization and the Noiseless Channel'",
    },
    {
        "metric": "unknown-token rate",
        "key": ("corpus", "unk_rate"),
        "definition": "Share of tokens that are the tokenizer's unknown token (text it cannot represent).",
        "direction": "lower (0 is lossless)",
        "reference": "standard",
    },
    {
        "metric": "unreachable tokens",
        "key": None,
        "definition": "Tokens whose own text never encodes to them (encode(text) != [id]): wasted embedding rows.",
        "direction": "lower",
        "reference": "weight-free test in tokforge; cf. Land & Bartolo 2024 (under-trained tokens)",
    },
    {
        "metric": "partial UTF-8 tokens",
        "key": ("census", "n_partial_utf8"),
        "definition": "Tokens whose bytes are not whole UTF-8 characters (pieces of multi-byte characters).",
        "direction": "context (needed for byte-level coverage)",
        "reference": "Qtok 'unicode_flanks'",
    },
    {
        "metric": "Qtok categories",
        "key": None,
        "definition": "Share of distinct token strings in each of Qtok's 12 classes (alpha, other, errors for single "
        "characters, space-initial and inner tokens, control tokens, unicode flanks).",
        "direction": "context",
        "reference": "Chelombitko et al. 2024, 'Qtok: A Comprehensive Framework for Evaluating "
        "Multilingual Tokenizer Quality'",
    },
    {
        "metric": "word coverage",
        "key": None,
        "definition": "Share of a language's 5,000 most frequent words (wordfreq lists) that are a single token.",
        "direction": "higher",
        "reference": "wordfreq (Speer 2022)",
    },
    {
        "metric": "Jaccard overlap",
        "key": None,
        "definition": "Shared text tokens (by bytes) divided by the union of the two vocabularies.",
        "direction": "context",
        "reference": "standard set similarity",
    },
    {
        "metric": "digit grouping",
        "key": None,
        "definition": "How a long number is cut: single digits, groups of three from the left, or free merges.",
        "direction": "context (1- or 3-digit is consistent for arithmetic)",
        "reference": "Singh & Strouse 2024, 'Tokenization counts'",
    },
    {
        "metric": "resource level",
        "key": None,
        "definition": "NLLB's split of FLORES-200 languages: "
        "high = more than 1M publicly available parallel sentences.",
        "direction": "context",
        "reference": "NLLB Team 2022, 'No Language Left Behind', Table 1",
    },
]


def _range(rep, key) -> str:
    if key is None:
        return "-"
    where, col = key
    vals = []
    if where == "corpus":
        vals = [(t.get("corpus") or {}).get(col) for t in rep.tokenizers]
    elif where == "census":
        vals = [t["census"].get(col) for t in rep.tokenizers]
    elif where == "languages":
        vals = [r.get(col) for r in rep.languages]
    elif where == "summary":
        from .tables import summary_rows

        vals = [r.get(col) for r in summary_rows(rep)]
    vals = [float(v) for v in vals if isinstance(v, (int, float)) and v is not None and math.isfinite(float(v))]
    if not vals:
        return "-"
    lo, hi = min(vals), max(vals)
    fmt = (lambda x: f"{x:,.0f}") if all(v == int(v) for v in vals) and hi > 10 else (lambda x: f"{x:.3g}")
    return f"{fmt(lo)} – {fmt(hi)}"


def glossary_rows(rep) -> list[dict]:
    """GLOSSARY plus each metric's range over the report's tokenizers (or languages)."""
    return [{**g, "range": _range(rep, g["key"])} for g in GLOSSARY]
