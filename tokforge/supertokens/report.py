"""Compression report and stage-1 checks for supertoken tokenizers.

``compression(tok, texts)`` on held-out text: bytes/token, tokens/word (words = whitespace
fields of the text) and the share of emitted tokens that hold more than one word.

>>> compression_row(n_tokens=5, n_bytes=20, n_words=4, n_multi=1)
{'tokens': 5, 'bytes_per_token': 4.0, 'tokens_per_word': 1.25, 'multiword_share': 0.2}
"""

from __future__ import annotations

import json
from typing import Sequence

from .pretok import word_count


def compression_row(n_tokens: int, n_bytes: int, n_words: int, n_multi: int) -> dict:
    return {
        "tokens": n_tokens,
        "bytes_per_token": round(n_bytes / max(n_tokens, 1), 4),
        "tokens_per_word": round(n_tokens / max(n_words, 1), 4),
        "multiword_share": round(n_multi / max(n_tokens, 1), 4),
    }


def compression(tok, texts: Sequence[str]) -> dict:
    """Compression of a tokforge `Tokenizer` on ``texts`` (one row, see the module docstring)."""
    multi = [word_count(b) > 1 for b in tok.vocab.tokens]
    n_tok = n_multi = 0
    for ids in tok.encode_batch(list(texts)):
        n_tok += len(ids)
        n_multi += sum(multi[i] for i in ids)
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    n_words = sum(len(t.split()) for t in texts)
    return compression_row(n_tok, n_bytes, n_words, n_multi)


def stage1_agreement(spec: dict, n_stage1_merges: int, base, texts: Sequence[str]) -> float:
    """Share of ``texts`` where the supertoken pre-tokenizer with only the first ``n_stage1_merges``
    merges encodes exactly as ``base`` (a ``tokenizers.Tokenizer``) does: 1.0 means stage 1 is kept."""
    from tokenizers import Tokenizer

    s = json.loads(json.dumps(spec))
    merges = s["model"]["merges"][:n_stage1_merges]
    keep = {t for m in merges for t in ([m] if isinstance(m, str) else ["".join(m)])} | set(
        base.get_vocab(with_added_tokens=True)
    )
    s["model"]["merges"] = merges
    s["model"]["vocab"] = {k: v for k, v in s["model"]["vocab"].items() if k in keep}
    cut = Tokenizer.from_str(json.dumps(s))
    a = base.encode_batch(list(texts), add_special_tokens=False)
    b = cut.encode_batch(list(texts), add_special_tokens=False)
    return sum(x.ids == y.ids for x, y in zip(a, b)) / max(len(texts), 1)


def plain_bpe(corpus, vocab_size: int, progress: bool = False):
    """The baseline: byte-level BPE with whitespace pre-tokenization (stage 1 alone) at ``vocab_size``,
    trained on the same files (min frequency 1 so it reaches the size on small corpora)."""
    from ..loaders.hf_json import from_backend
    from .pretok import stage1_pretokenizer
    from .train import checked_lines, train_bpe

    hf = train_bpe(checked_lines(list(corpus)), vocab_size, stage1_pretokenizer(), min_frequency=1, progress=progress)
    return from_backend(hf, json.loads(hf.to_str()), f"plain-bpe-{vocab_size}")


def compare(tokenizers: dict, texts: Sequence[str]) -> list[dict]:
    """One `compression` row per named tokenizer, plus ``vocab`` and ``tokens_vs_first`` (ratio to the first)."""
    rows = []
    for name, tok in tokenizers.items():
        r = {"name": name, "vocab": len(tok.vocab), **compression(tok, texts)}
        rows.append(r)
    for r in rows:
        r["tokens_vs_first"] = round(r["tokens"] / max(rows[0]["tokens"], 1), 4)
    return rows
