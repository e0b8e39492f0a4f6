"""Where a transplanted model loses bits against its original: the gap, split by what the tokenizations do.

Bits per byte (`evaluate`) says how much a new tokenizer costs; `gap_breakdown` says where. Both
models read the same document under the evaluator's convention (`evaluate.nll_stats`, per-token
log-probabilities). Their token boundaries are aligned on the bytes (`heal.align.chunks`): a chunk
runs from one byte offset where both tokenizations have a boundary to the next, so both models
spend their bits on exactly the chunk's bytes, and the excess (student bits minus original bits)
of every chunk adds up to the whole gap. Each chunk falls in one class:

* ``same token``: one token on each side with the same bytes, and the student's row was copied
  from the original; split by whether the student's token just before it is a new row
  (``same token, after a new row``: the new row's input side is what differs) or not
  (``same token``: what is left is probability taken by new rows, and context).
* ``same span, new row``: one token each side, the same bytes, but a row that was not copied.
* ``student merges``: one student token where the original reads several (a new row predicted
  as an output).
* ``student splits``: several student tokens where the original reads one.
* ``crossing``: several tokens on both sides, boundaries crossing.

With ``train_texts``, every class also counts the excess of chunks whose student tokens include a
new row that the training text never shows (``excess_bits_unseen_new_rows``): training with
``rows="seen"`` cannot reach those rows.

>>> classify(1, 1, copied=True, after_new=False), classify(1, 3, copied=False, after_new=False)
('same token', 'student merges')
>>> classify(2, 1, copied=True, after_new=True), classify(2, 2, copied=True, after_new=False)
('student splits', 'crossing')
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .evaluate import EvalConfig, nll_stats
from .heal.align import chunks, token_ends

CLASSES = (
    "same token",
    "same token, after a new row",
    "same span, new row",
    "student merges",
    "student splits",
    "crossing",
)


def classify(n_student: int, n_original: int, *, copied: bool, after_new: bool) -> str:
    """The class of a chunk with ``n_student`` and ``n_original`` tokens (see the module docstring)."""
    if n_student == 1 and n_original == 1:
        if not copied:
            return "same span, new row"
        return "same token, after a new row" if after_new else "same token"
    if n_student == 1:
        return "student merges"
    if n_original == 1:
        return "student splits"
    return "crossing"


def new_row_mask(student_tokenizer, original_tokenizer) -> np.ndarray:
    """Bool per student row: True where the row was not copied by bytes from the original."""
    from ..surgery.plan import match_by_bytes

    copied, _ = match_by_bytes(original_tokenizer.vocab, student_tokenizer.vocab)
    mask = np.ones(len(student_tokenizer.vocab), dtype=bool)
    mask[np.asarray(copied, dtype=np.int64)] = False
    return mask


def gap_breakdown(
    original,
    original_tokenizer,
    student,
    student_tokenizer,
    texts_by_lang: dict[str, list[str]],
    *,
    train_texts: list[str] | None = None,
    cfg: EvalConfig | None = None,
) -> dict[str, dict]:
    """Per language (texts joined by newlines, as `evaluate_languages` does): the gap in bits, per class
    of chunk (see the module docstring), with chunks, bytes, the bits of each model and the share of
    the gap. Chunks sum to the totals of both models exactly."""
    if not texts_by_lang:
        raise InputError("no languages to break the gap down on", fix="pass texts for at least one language")
    is_new = new_row_mask(student_tokenizer, original_tokenizer)
    trained = None
    if train_texts is not None:
        trained = np.zeros(len(is_new), dtype=bool)
        for ids in student_tokenizer.encode_batch(list(train_texts)):
            trained[np.asarray(ids, dtype=np.int64)] = True
    out = {}
    for lang, texts in texts_by_lang.items():
        if not texts:
            raise InputError("no text for a language", where=lang, fix="drop the language or give it text")
        doc = "\n".join(texts)
        s = nll_stats(student, student_tokenizer, [doc], cfg=cfg, per_token=True, where=lang)
        o = nll_stats(original, original_tokenizer, [doc], cfg=cfg, per_token=True, where=lang)
        out[lang] = _breakdown(doc, s, o, student_tokenizer, original_tokenizer, is_new, trained)
    return out


def _breakdown(doc: str, s: dict, o: dict, s_tok, o_tok, is_new: np.ndarray, trained) -> dict:
    s_ids, o_ids = s["_ids"][0], o["_ids"][0]
    s_bits = -np.nan_to_num(s["_token_logprobs"][0]) / np.log(2)  # an unscored first token costs nothing
    o_bits = -np.nan_to_num(o["_token_logprobs"][0]) / np.log(2)
    seen = s_tok.decode_bytes(s_ids)
    if seen != o_tok.decode_bytes(o_ids):
        raise InputError(
            "the two tokenizers read different bytes, so their chunks cannot be aligned",
            where=f"{s_tok.name} vs {o_tok.name}",
            fix="break the gap down on text both tokenizers round-trip exactly",
        )
    ch = chunks(
        seen,
        token_ends(s_tok.vocab.tokens, s_ids, s_tok.dummy_prefix),
        token_ends(o_tok.vocab.tokens, o_ids, o_tok.dummy_prefix),
    )
    ids = np.asarray(s_ids, dtype=np.int64)
    rows = {c: {"chunks": 0, "bytes": 0, "student_bits": 0.0, "original_bits": 0.0, "unseen": 0.0} for c in CLASSES}
    start = 0
    for k in range(len(ch)):
        a, b = slice(ch.a_first[k], ch.a_last[k] + 1), slice(ch.b_first[k], ch.b_last[k] + 1)
        toks = ids[a]
        after_new = ch.a_first[k] > 0 and bool(is_new[ids[ch.a_first[k] - 1]])
        cls = classify(len(toks), b.stop - b.start, copied=not is_new[toks].any(), after_new=after_new)
        r = rows[cls]
        sb, ob = float(s_bits[a].sum()), float(o_bits[b].sum())
        r["chunks"] += 1
        r["bytes"] += int(ch.ends[k]) - start
        r["student_bits"] += sb
        r["original_bits"] += ob
        if trained is not None and (is_new[toks] & ~trained[toks]).any():
            r["unseen"] += sb - ob
        start = int(ch.ends[k])
    total = sum(r["student_bits"] - r["original_bits"] for r in rows.values())
    classes = {}
    for c, r in rows.items():
        if not r["chunks"]:
            continue
        gap = r["student_bits"] - r["original_bits"]
        classes[c] = {
            "chunks": r["chunks"],
            "bytes": r["bytes"],
            "student_bits": round(r["student_bits"], 2),
            "original_bits": round(r["original_bits"], 2),
            "excess_bits": round(gap, 2),
            "share_of_gap": round(gap / total, 4) if total else None,
        }
        if trained is not None:
            classes[c]["excess_bits_unseen_new_rows"] = round(r["unseen"], 2)
    return {
        "bytes": len(seen),
        "student_bits": round(float(s_bits.sum()), 2),
        "original_bits": round(float(o_bits.sum()), 2),
        "gap_bits": round(total, 2),
        "classes": classes,
    }
