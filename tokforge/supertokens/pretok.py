"""Pre-tokenization for supertokens: stage-1 pieces, stage-2 chunks, and streaming counts.

Stage 1 is byte-level BPE over GPT-2-style pieces (words with their leading space, digits one
by one, punctuation runs, whitespace runs). Stage 2 lifts the whitespace boundary: a *chunk* is
a run of consecutive stage-1 word pieces (plus, if allowed, pure runs of inner punctuation such
as ``,;:``). Chunks never hold digits, newlines, sentence punctuation (``.!?``) or runs of
several spaces, and every chunk boundary is also a stage-1 boundary, so stage-1 merges inside
a chunk give exactly the stage-1 segmentation (no stage-1 merge spans two stage-1 pieces).

>>> [p for p, _ in chunk_pretokenizer(",").pre_tokenize_str("Good morrow, my lord. 12")]
['GoodĠmorrow,ĠmyĠlord', '.', 'Ġ', '1', '2']
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import InputError
from ..io import iter_lines as iter_file_lines

CONTRACTION = r"'(?:s|t|re|ve|m|ll|d)"
WORD = r" ?\p{L}+"
# GPT-2's pre-tokenizer pattern (what tokenizers' ByteLevel(use_regex=True) uses).
GPT2_TAIL = r" ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
DEFAULT_INNER_PUNCT = ",;:'-"
SENTENCE_PUNCT = ".!?"
DEFAULT_END_PUNCT = ""


def _escape_class(chars: str) -> str:
    return "".join("\\" + c if c in "\\]^-[" else c for c in chars)


def chunk_regex(inner_punct: str = DEFAULT_INNER_PUNCT, end_punct: str = "") -> str:
    """The stage-2 pattern: chunks of word pieces first, then GPT-2's other alternatives.

    A punctuation run joins a chunk only when the whole stage-1 run is made of ``inner_punct``
    characters (the negative lookahead), so chunk edges stay stage-1 edges. ``end_punct`` (e.g.
    ``.!?``) may *close* a chunk (``" my lord."``) but nothing follows it in the same chunk.
    """
    bad = set(inner_punct) & set(SENTENCE_PUNCT + "\n\r\t ")
    if bad or any(c.isalnum() or c.isspace() for c in inner_punct + end_punct):
        raise InputError(
            "inner punctuation may not hold letters, digits, spaces or sentence punctuation "
            f"({''.join(sorted(bad))!r})",
            where=repr(inner_punct),
            fix="use characters like ,;: only",
        )
    not_punct = r"(?![^\s\p{L}\p{N}])"
    unit = f"{CONTRACTION}|{WORD}"
    if inner_punct:
        unit += rf"| ?[{_escape_class(inner_punct)}]+{not_punct}"
    end = ""
    if end_punct:
        both = _escape_class(inner_punct + end_punct)
        end = rf"(?: ?[{both}]*[{_escape_class(end_punct)}][{both}]*{not_punct})?"
    return f"(?:{unit})+{end}|{CONTRACTION}|{WORD}|{GPT2_TAIL}"


def chunk_pretokenizer(
    inner_punct: str = DEFAULT_INNER_PUNCT, digits: bool = True, byte_level: bool = True, end_punct: str = ""
):
    """The inference pre-tokenizer of a supertoken tokenizer (a stock ``tokenizers`` object)."""
    from tokenizers import Regex
    from tokenizers import pre_tokenizers as pt

    steps = [pt.Split(Regex(chunk_regex(inner_punct, end_punct)), behavior="isolated")]
    if digits:
        steps.append(pt.Digits(individual_digits=True))
    if byte_level:
        steps.append(pt.ByteLevel(add_prefix_space=False, use_regex=False))
    return pt.Sequence(steps)


def stage1_pretokenizer(digits: bool = True):
    """Stage 1: digits one by one, then GPT-2's byte-level pieces (like SmolLM2's tokenizer)."""
    from tokenizers import pre_tokenizers as pt

    steps = [pt.Digits(individual_digits=True)] if digits else []
    steps.append(pt.ByteLevel(add_prefix_space=False, use_regex=True))
    return pt.Sequence(steps)


def word_count(token: bytes) -> int:
    """Whitespace-separated fields in a token: ``b" of the"`` -> 2, ``b", and"`` -> 2, ``b"\\n"`` -> 0."""
    return len(token.split())


def iter_lines(paths: Iterable[str | os.PathLike]) -> Iterator[str]:
    """Stream lines (newline kept) from text files, one at a time; unreadable files fail clearly."""
    for p in paths:
        p = Path(p)
        if not p.is_file():
            raise InputError("corpus file not found or not a file", where=str(p), fix="pass readable UTF-8 text files")
        yield from iter_file_lines(p, keepends=True)


def count_pretokens(lines: Iterable[str], pretokenizer, max_unique: int = 2_000_000) -> Counter:
    """Count the pre-tokens (byte-level strings) of a line stream; memory grows with unique pieces.

    When more than ``max_unique`` distinct pieces are held, pieces seen once are dropped (a lossy
    count in the spirit of lossy counting: rare chunks cannot win a merge anyway).
    """
    counts: Counter = Counter()
    for line in lines:
        counts.update(p for p, _ in pretokenizer.pre_tokenize_str(line))
        if len(counts) > max_unique:
            for k in [k for k, c in counts.items() if c == 1]:
                del counts[k]
    return counts
