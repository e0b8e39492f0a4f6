"""``transplant(model, tokenizer, method=...) -> (model, report)``: the library entry point.

Steps: load the model and both tokenizers; check the new tokenizer shares tokens with the old one
(and that a donor, if given, speaks the new tokenizer); measure the original model on the
evaluation texts; build the plan with the chosen method (`registry.METHODS`); apply it; measure
again; optionally save an HF directory with ``transplant_report.json`` inside.

Example::

    model, report = transplant("smollm2-135m", "gemma3-270m", method="fvt", eval_langs=["eng_Latn"])
    report["evaluation"]["comparison"]["eng_Latn"]["bpb_ratio"]
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from ..errors import InputError
from ..evaluate.bits import CONVENTION, EvalConfig, compare, default_texts, evaluate_languages, public
from ..io import check_out_dir
from ..surgery.plan import match_by_bytes
from ..vocab import TokenKind
from .registry import TransplantContext, get, parse_options


def _load_model(model, device: str):
    from .. import models

    if isinstance(model, (tuple, list)):
        m, tok = model
        return m.to(device), tok
    return models.load_causal_lm(model, device=device)


def check_overlap(old_vocab, new_vocab) -> int:
    """Number of new text tokens copied from the old vocabulary; an error when there are none."""
    n_ids, _ = match_by_bytes(old_vocab, new_vocab)
    text = int(((new_vocab.kinds[n_ids] & TokenKind.SPECIAL) == 0).sum()) if n_ids.size else 0
    if text == 0:
        raise InputError(
            "the new tokenizer shares no text token with the model's tokenizer",
            where=f"{new_vocab.name or 'new'} vs {old_vocab.name or 'old'}",
            fix="check that the tokenizer is a byte-level or SentencePiece vocabulary for text",
        )
    return text


def load_donor(donor, new_tok, device: str):
    """(model, tokenizer) of the donor; it must speak the new tokenizer and cover its ids."""
    if donor is None:
        return None
    m, tok = _load_model(donor, device)
    rows = m.get_input_embeddings().weight.shape[0]
    if rows < len(tok.vocab):
        raise InputError(
            "donor model has fewer embedding rows than its tokenizer has ids",
            where=f"{rows} rows vs {len(tok.vocab)} ids",
            fix="pass the donor's own tokenizer files",
        )
    if tok.vocab.tokens != new_tok.vocab.tokens:
        raise InputError(
            "donor's tokenizer is not the new tokenizer",
            where=f"{tok.name} vs {new_tok.name}",
            fix="--donor must be a model trained with the --tokenizer vocabulary",
        )
    return m, tok


def transplant(
    model,
    tokenizer,
    method: str = "hybrid",
    donor=None,
    eval_spec: str | None = None,
    eval_langs: list[str] | None = None,
    eval_limit: int = 40,
    evaluate: bool = True,
    device: str = "cpu",
    options=None,
    seed: int = 0,
    progress: bool = True,
    out: str | Path | None = None,
    force: bool = False,
    eval_cfg: EvalConfig | None = None,
):
    """Give ``model`` (built-in name, HF dir, or ``(hf_model, Tokenizer)``) the tokenizer ``tokenizer``.

    ``options`` is a dict (``{"k": 3}``, strings allowed) or the method's options dataclass
    (`registry.METHODS[method].options`); unknown or ill-typed options are an error. Cheap checks
    (method, options, device, tokenizer, output folder, evaluation texts) run before the model loads.
    Returns ``(model, report)``; with ``out`` the model is also saved there (refused if it exists,
    unless ``force``), with ``transplant_report.json`` beside it."""
    from .. import devices
    from ..loaders import load_tokenizer

    entry = get(method)
    opts = parse_options(method, options)
    device = devices.resolve(device)
    if out is not None:
        check_out_dir(out, force)
    if entry.needs_donor and donor is None:
        raise InputError(f"method {method} needs a donor model that speaks the new tokenizer", fix="pass --donor MODEL")
    new_tok = load_tokenizer(tokenizer)
    texts, source = default_texts(eval_spec, eval_langs, eval_limit) if evaluate else ({}, "skipped (evaluate=False)")
    t0 = time.perf_counter()
    m, old_tok = _load_model(model, device)
    shared = check_overlap(old_tok.vocab, new_tok.vocab)
    donor_pair = load_donor(donor, new_tok, device)
    timing = {"load_s": round(time.perf_counter() - t0, 2)}
    t = time.perf_counter()
    before = evaluate_languages(m, old_tok, texts, device, next_bytes=True, cfg=eval_cfg) if texts else {}
    timing["eval_original_s"] = round(time.perf_counter() - t, 2)
    ctx = TransplantContext(
        old_tok, new_tok, model=m, donor=donor_pair, options=opts, device=device, seed=seed, progress=progress
    )
    t = time.perf_counter()
    plan = entry.build(ctx)
    timing["plan_s"] = round(time.perf_counter() - t, 2)
    from ..surgery.apply import apply_plan

    t = time.perf_counter()
    apply_plan(m, plan, new_tok)
    timing["apply_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    after = evaluate_languages(m, new_tok, texts, device, next_bytes=True, cfg=eval_cfg) if texts else {}
    timing["eval_new_s"] = round(time.perf_counter() - t, 2)
    report = {
        "model": str(model if not isinstance(model, (tuple, list)) else old_tok.name),
        "old_vocab_fingerprint": old_tok.vocab.fingerprint(),
        "old_tokenizer": old_tok.name,
        "new_tokenizer": new_tok.name,
        "new_tokenizer_source": str(new_tok.source),
        "method": method,
        "donor": None if donor_pair is None else donor_pair[1].name,
        "options": dataclasses.asdict(ctx.options),
        "seed": seed,
        "device": device,
        "shared_text_tokens": shared,
        "plan": plan.summary(),
        "evaluation": {
            "convention": CONVENTION,
            "texts": source,
            "original": public(before),
            "new": public(after),
            "comparison": compare(before, after),
        }
        if texts
        else {"skipped": source},
        "timing": timing,
    }
    if out is not None:
        from ..surgery.export import save_model

        save_model(
            m,
            new_tok,
            out,
            force=force,
            extra_files={"transplant_report.json": json.dumps(report, indent=2, ensure_ascii=False)},
        )
        report["out"] = str(out)
    return m, report
