"""``transplant_model(model, tokenizer, config=TransplantConfig(...)) -> TransplantResult``: the library entry point.

Steps: check the configuration, the new tokenizer, the output folder and the evaluation texts (all
before any weights load); load the model (and donor); check the new tokenizer shares tokens with the
old one (and that a donor speaks the new tokenizer); measure the original model on the evaluation
texts; build the plan with the chosen method (`registry.METHODS`); apply it; measure again;
optionally save an HF directory with ``transplant_report.json`` inside.

Example::

    from tokforge import TransplantConfig, transplant_model

    result = transplant_model("smollm2-135m", "gemma3-270m", config=TransplantConfig(method="fvt"))
    result.report["evaluation"]["comparison"]["eng_Latn"]["bpb_ratio"]
    result.save("smollm2-gemma")
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..evaluate.bits import CONVENTION, EvalConfig, compare, default_texts, evaluate_languages, public
from ..evaluate.marginal import DEFAULT_LIMIT, add_marginal, check_marginal
from ..io import check_out_dir
from ..surgery.plan import match_by_bytes
from ..vocab import TokenKind
from .registry import TransplantContext, get, parse_options

REPORT = "transplant_report.json"


@dataclass(frozen=True)
class TransplantConfig:
    """How to transplant, checked on construction (an unknown method lists the known ones; an unknown
    or ill-typed option lists the method's options).

    ``method``: a name in `registry.METHODS`; ``options``: a dict (``{"k": 3}``, strings allowed) or the
    method's options dataclass, stored parsed; ``seed``: for methods that draw; ``evaluate``: measure
    bits/byte before and after on ``eval_spec`` (``flores200:DIR``, a file, a folder of LANG.txt; default
    FLORES devtest) for ``eval_langs``, ``eval_limit`` texts each, read as ``eval`` says.

    >>> TransplantConfig(method="hybrid", options={"k": "5"}).options.k
    5
    >>> TransplantConfig(method="magic")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tokforge.errors.UnknownNameError: unknown transplant method 'magic' (known: blend, fvt, hybrid, hypernet, ...)
    """

    method: str = "hybrid"
    options: Any = None
    seed: int = 0
    evaluate: bool = True
    eval_spec: str | None = None
    eval_langs: tuple[str, ...] | None = None
    eval_limit: int = 40
    eval: EvalConfig | None = None
    marginal: int = DEFAULT_LIMIT  # texts in all also scored by marginal bits/byte (`evaluate.marginal`); 0: off

    def __post_init__(self):
        get(self.method)
        check_marginal(self.marginal)
        object.__setattr__(self, "options", parse_options(self.method, self.options))
        if isinstance(self.eval_langs, str):
            object.__setattr__(self, "eval_langs", tuple(x.strip() for x in self.eval_langs.split(",") if x.strip()))
        elif self.eval_langs is not None:
            object.__setattr__(self, "eval_langs", tuple(self.eval_langs))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise InputError("seed must be an integer", where=f"seed={self.seed!r}")
        if isinstance(self.eval_limit, bool) or not isinstance(self.eval_limit, int) or self.eval_limit < 1:
            raise InputError("eval_limit must be an integer >= 1", where=f"eval_limit={self.eval_limit!r}")
        if self.eval is not None and not isinstance(self.eval, EvalConfig):
            raise InputError(f"eval must be an EvalConfig, not {type(self.eval).__name__}", fix="pass EvalConfig(...)")
        if self.eval is not None:
            self.eval.check()

    def check(self) -> "TransplantConfig":
        """Already checked on construction; kept for symmetry with the other configs."""
        return self

    @property
    def method_entry(self):
        return get(self.method)

    @property
    def needs_donor(self) -> bool:
        """The method needs a donor model (``blend``: when a blended method does)."""
        return self.method_entry.needs_donor or bool(getattr(self.options, "needs_donor", False))


@dataclass
class TransplantResult:
    """What `transplant_model` made: the model with its new embeddings, the new `Tokenizer`, the
    `EmbeddingPlan` that was applied and the report (a JSON-ready dict)."""

    model: Any
    tokenizer: Any
    plan: Any
    report: dict

    def save(self, out: str | os.PathLike, force: bool = False) -> Path:
        """Write an HF model folder with ``transplant_report.json`` inside, atomically; an existing
        folder is refused unless ``force``."""
        from ..surgery.export import save_model

        text = json.dumps(self.report, indent=2, ensure_ascii=False)
        return save_model(self.model, self.tokenizer, out, force=force, extra_files={REPORT: text})


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
    from ..models import resolve_model

    if donor is None:
        return None
    m, tok = resolve_model(donor, device=device)
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
            fix="donor=MODEL must be a model trained with the tokenizer=... vocabulary",
        )
    return m, tok


class _Clock:
    """Seconds per phase, rounded, in the order the phases ran."""

    def __init__(self):
        self.timing: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, key: str) -> None:
        now = time.perf_counter()
        self.timing[key] = round(now - self._t, 2)
        self._t = now


@dataclass
class _Job:
    """One transplant's checked inputs (made before any weights load)."""

    config: TransplantConfig
    new_tok: Any
    texts: dict
    source: str
    device: str


def _prepare(model, tokenizer, config: TransplantConfig, *, donor, device: str, out, force: bool) -> _Job:
    """Cheap checks, in the order a user fixes them: model argument, device, output folder, donor,
    tokenizer, evaluation texts."""
    from .. import devices
    from ..loaders import load_tokenizer
    from ..models import check_model_spec

    check_model_spec(model)
    device = devices.resolve(device)
    if out is not None:
        check_out_dir(out, force)
    if config.needs_donor and donor is None:
        raise InputError(
            f"method {config.method} needs a donor model that speaks the new tokenizer", fix="pass donor=MODEL"
        )
    new_tok = load_tokenizer(tokenizer)
    if config.evaluate:
        texts, source = default_texts(config.eval_spec, config.eval_langs, config.eval_limit)
    else:
        texts, source = {}, "skipped (evaluate=False)"
    return _Job(config, new_tok, texts, source, device)


def _measure(model, tokenizer, job: _Job) -> dict:
    if not job.texts:
        return {}
    stats = evaluate_languages(model, tokenizer, job.texts, job.device, next_bytes=True, cfg=job.config.eval)
    return add_marginal(stats, model, tokenizer, job.texts, job.config.marginal)


def _evaluation(job: _Job, before: dict, after: dict) -> dict:
    if not job.texts:
        return {"skipped": job.source}
    return {
        "convention": CONVENTION,
        "texts": job.source,
        "original": public(before),
        "new": public(after),
        "comparison": compare(before, after),
    }


def _report(model, job: _Job, old_tok, *, donor_pair, ctx, plan, shared: int, evaluation: dict) -> dict:
    named = isinstance(model, (str, os.PathLike))
    return {
        "model": str(model) if named else old_tok.name,
        "old_vocab_fingerprint": old_tok.vocab.fingerprint(),
        "old_tokenizer": old_tok.name,
        "new_tokenizer": job.new_tok.name,
        "new_tokenizer_source": str(job.new_tok.source),
        "method": job.config.method,
        "donor": None if donor_pair is None else donor_pair[1].name,
        "options": dataclasses.asdict(ctx.options),
        "seed": job.config.seed,
        "device": job.device,
        "shared_text_tokens": shared,
        "plan": plan.summary(),
        "evaluation": evaluation,
    }


def _load_model(model, device: str):
    """``(model, Tokenizer)`` on ``device``; a model given as an object is copied first (never changed)."""
    from ..models import resolve_model

    if isinstance(model, (str, os.PathLike)):
        return resolve_model(model, device=device)
    m, tok = resolve_model(model)
    return copy.deepcopy(m).to(device), tok


def _run(model, job: _Job, donor, progress: bool) -> TransplantResult:
    """Load, measure, build and apply the plan, measure again."""
    from ..surgery.apply import apply_plan

    clock = _Clock()
    m, old_tok = _load_model(model, job.device)
    shared = check_overlap(old_tok.vocab, job.new_tok.vocab)
    donor_pair = load_donor(donor, job.new_tok, job.device)
    clock.lap("load_s")
    before = _measure(m, old_tok, job)
    clock.lap("eval_original_s")
    cfg = job.config
    ctx = TransplantContext(
        old_tok,
        job.new_tok,
        model=m,
        donor=donor_pair,
        options=cfg.options,
        device=job.device,
        seed=cfg.seed,
        progress=progress,
    )
    plan = cfg.method_entry.build(ctx)
    clock.lap("plan_s")
    apply_plan(m, plan, job.new_tok)
    clock.lap("apply_s")
    after = _measure(m, job.new_tok, job)
    clock.lap("eval_new_s")
    report = _report(
        model,
        job,
        old_tok,
        donor_pair=donor_pair,
        ctx=ctx,
        plan=plan,
        shared=shared,
        evaluation=_evaluation(job, before, after),
    )
    report["timing"] = clock.timing
    return TransplantResult(m, job.new_tok, plan, report)


def transplant_model(
    model,
    tokenizer,
    *,
    config: TransplantConfig | None = None,
    donor=None,
    device: str = "cpu",
    progress: bool = True,
    out: str | os.PathLike | None = None,
    force: bool = False,
) -> TransplantResult:
    """Give ``model`` the tokenizer ``tokenizer``; returns a `TransplantResult`.

    ``model``: a built-in name, an HF model folder, a ``(model, Tokenizer)`` pair or a result with
    ``.model``/``.tokenizer`` (that model is copied, never changed). ``tokenizer``: anything
    `tokforge.load_tokenizer` takes. ``config``: a `TransplantConfig` (default: the ``hybrid`` method,
    evaluated on FLORES devtest). ``donor``: a model that already speaks the new tokenizer (needed by
    ``omp``). Cheap checks (configuration, device, tokenizer, output folder, evaluation texts) run before
    the model loads. With ``out`` the result is also saved there (refused if the folder exists, unless
    ``force``) and ``report["out"]`` says where."""
    from ..extras import require

    config = config if config is not None else TransplantConfig()
    if not isinstance(config, TransplantConfig):
        raise InputError(
            f"config must be a TransplantConfig, not {type(config).__name__}", fix="pass TransplantConfig(...)"
        )
    job = _prepare(model, tokenizer, config, donor=donor, device=device, out=out, force=force)
    require("torch", "transplant")  # after the cheap checks: importing torch takes seconds
    result = _run(model, job, donor, progress)
    if out is not None:
        result.save(out, force=force)
        result.report["out"] = str(out)
    return result
