"""Where a transplanted model loses bits against its original: the gap, split by what the tokenizations do.

Bits per byte (`evaluate`) says how much a new tokenizer costs; `gap_breakdown` says where. Both
models read the same document under the evaluator's convention (`evaluate.nll_stats`, per-token
log-probabilities). Their token boundaries are aligned on the bytes (`evaluate.align.chunks`): a chunk
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

Two details: a chunk is classed by the rows inside it, so a ``same token, after a new row`` chunk is
never counted as unseen even when the new row before it is; and with a dummy-prefix tokenizer the
first chunk of a document compares ``" The"`` with ``"The"`` (the prefix space is not text), one chunk
per document.

With ``train_texts`` (or ``trained``, a bool per student row: the rows a healing run showed, as
`heal` records them), every class also counts the excess of chunks whose student tokens include a
new row that training never showed (``excess_bits_unseen_new_rows``): healing with ``rows="seen"``
cannot reach those rows.

>>> classify(1, 1, copied=True, after_new=False), classify(1, 3, copied=False, after_new=False)
('same token', 'student merges')
>>> classify(2, 1, copied=True, after_new=True), classify(2, 2, copied=True, after_new=False)
('student splits', 'crossing')
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import InputError, TokforgeWarning
from .align import chunks, token_ends
from .bits import EvalConfig, nll_stats

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
    student,
    texts_by_lang: dict[str, list[str]],
    *,
    train_texts: list[str] | None = None,
    trained: np.ndarray | None = None,
    cfg: EvalConfig | None = None,
    on_mismatch: str = "error",
    student_stats: dict[str, dict] | None = None,
) -> dict[str, dict]:
    """``original`` and ``student`` are ``(model, Tokenizer)`` pairs.

    Per language (texts joined by newlines, as `evaluate_languages` does): the gap in bits, per class
    of chunk (see the module docstring), with chunks, bytes, the bits of each model and the share of
    the gap. Chunks sum to the totals of both models exactly.

    A language whose text the two tokenizers do not read as the same bytes (a lossy tokenizer) cannot
    be aligned: an error, or with ``on_mismatch="warn"`` a printed warning and ``{"not_aligned": why}``.
    ``student_stats``: the student's `evaluate_languages(..., per_token=True)` on the same texts and
    ``cfg``, so it is not scored twice."""
    (original, original_tokenizer), (student, student_tokenizer) = original, student
    if on_mismatch not in ("error", "warn"):
        raise InputError(f"unknown on_mismatch {on_mismatch!r}", fix="use error or warn")
    if not texts_by_lang:
        raise InputError("no languages to break the gap down on", fix="pass texts for at least one language")
    is_new = new_row_mask(student_tokenizer, original_tokenizer)
    if trained is not None:
        trained = np.asarray(trained, dtype=bool)[: len(is_new)]
    if train_texts is not None:
        trained = np.zeros(len(is_new), dtype=bool) if trained is None else trained.copy()
        for ids in student_tokenizer.encode_batch(list(train_texts)):
            trained[np.asarray(ids, dtype=np.int64)] = True
    out = {}
    for lang, texts in texts_by_lang.items():
        if not texts:
            raise InputError("no text for a language", where=lang, fix="drop the language or give it text")
        doc = "\n".join(texts)
        s = (student_stats or {}).get(lang)
        if s is None or "_token_logprobs" not in s:
            s = nll_stats(student, student_tokenizer, [doc], cfg=cfg, per_token=True, where=lang)
        o = nll_stats(original, original_tokenizer, [doc], cfg=cfg, per_token=True, where=lang)
        try:
            out[lang] = _breakdown(doc, s, o, student_tokenizer, original_tokenizer, is_new=is_new, trained=trained)
        except InputError as e:
            if on_mismatch == "error":
                raise
            warnings.warn(f"gap breakdown: {lang}: {e}", TokforgeWarning, stacklevel=2)
            out[lang] = {"not_aligned": str(e)}
    return out


def _breakdown(doc: str, s: dict, o: dict, s_tok, o_tok, *, is_new: np.ndarray, trained) -> dict:
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


def total_by_class(gap_by_lang: dict[str, dict]) -> dict[str, dict]:
    """The classes of several languages summed (languages that could not be aligned are left out of the
    sums and listed under ``"not_aligned"``), with ``"total"`` for the whole gap. The unseen part is
    None when the breakdown did not know which rows training showed.

    >>> one = {"classes": {"crossing": {"chunks": 2, "bytes": 9, "excess_bits": 3.0}}, "gap_bits": 3.0}
    >>> total_by_class({"a": one, "b": one, "c": {"not_aligned": "lossy"}})["crossing"]
    {'chunks': 4, 'bytes': 18, 'excess_bits': 6.0, 'excess_bits_unseen_new_rows': None, 'share_of_gap': 1.0}
    """
    out: dict[str, dict] = {}
    aligned = {k: v for k, v in gap_by_lang.items() if "classes" in v}
    total = sum(v["gap_bits"] for v in aligned.values())
    for cls in CLASSES:
        rows = [v["classes"][cls] for v in aligned.values() if cls in v["classes"]]
        if not rows:
            continue
        ex = round(sum(r["excess_bits"] for r in rows), 2)
        unseen = [r["excess_bits_unseen_new_rows"] for r in rows if "excess_bits_unseen_new_rows" in r]
        out[cls] = {
            "chunks": sum(r["chunks"] for r in rows),
            "bytes": sum(r["bytes"] for r in rows),
            "excess_bits": ex,
            "excess_bits_unseen_new_rows": round(sum(unseen), 2) if len(unseen) == len(rows) else None,
            "share_of_gap": round(ex / total, 4) if total else None,
        }
    out["total"] = {"gap_bits": round(total, 2), "languages": sorted(aligned)}
    if len(aligned) < len(gap_by_lang):
        out["not_aligned"] = sorted(set(gap_by_lang) - set(aligned))
    return out
