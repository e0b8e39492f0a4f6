"""Tiny synthetic tests of ``--method blend`` (the real-artifact ones: tests/real/test_transplant_blend_real.py).

A blend of a plan with itself is that plan (both modes, tied and untied heads, rows given as vectors);
``average`` equals the weighted average of the applied matrices; ``confidence`` takes each row from the
most confident method; bad options fail when the `TransplantConfig` is made; tied heads stay tied; the
CLI runs a blend end to end."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

from tokforge import TransplantConfig, transplant_model
from tokforge.errors import InputError, UnknownNameError
from tokforge.surgery.apply import apply_plan
from tokforge.surgery.plan import Source
from tokforge.transplant import registry
from tokforge.transplant.registry import METHODS, Method, TransplantContext, get_method

TINY_OMP = {"omp.k": 4, "omp.candidates": 32, "omp.pca_dim": 8}


@pytest.fixture(scope="module")
def tiny():
    """(old model, old tokenizer, new tokenizer, donor pair): byte-level BPE into a SentencePiece BPE."""
    from tokforge.bytelevel.tiny import tiny_lm, tiny_tokenizer

    m, tok = tiny_lm("byte_bpe", vocab_size=300, dtype=torch.float32)
    donor = tiny_lm("spm", seed=1, vocab_size=400, dtype=torch.float32)
    return m, tok, tiny_tokenizer("spm", 400), donor


def untied(model):
    """A copy of ``model`` with its own LM head (different rows from the embedding)."""
    m = copy.deepcopy(model)
    g = torch.Generator().manual_seed(3)
    w = m.get_input_embeddings().weight.detach()
    m.lm_head.weight = torch.nn.Parameter(w + torch.randn(w.shape, generator=g, dtype=w.dtype))
    m.config.tie_word_embeddings = False
    return m


def given_rows(ctx):
    """A test method: fvt, then odd new ids given as vectors (different on each side) with
    confidence 0.9 and the other combined rows at confidence 0.2."""
    plan = get_method("fvt")(ctx)
    ctx.memo["given-rows built"] = ctx.memo.get("given-rows built", 0) + 1
    comb = plan.input.ids(Source.COMBINE)
    plan.input.confidence[comb] = 0.2
    odd = comb[comb % 2 == 1]
    g = np.random.default_rng(0).normal(size=(odd.size, 32)).astype(np.float32)
    plan.set_given(odd, g, "given-rows", 0.9, side="input")
    plan.set_given(odd, 2 * g, "given-rows", 0.9, side="output")
    return plan


@pytest.fixture
def with_given(monkeypatch):
    monkeypatch.setitem(METHODS, "given-rows", Method(given_rows))


def ctx_for(tiny, options, model=None):
    m, tok, new, donor = tiny
    return TransplantContext(tok, new, model=model, donor=donor, options=options, progress=False)


def rows(model, plan, new):
    """(embedding, LM head) of ``model`` with ``plan`` applied (on a copy)."""
    m = apply_plan(copy.deepcopy(model), plan, new)
    return m.get_input_embeddings().weight.detach().clone(), m.get_output_embeddings().weight.detach().clone()


def blend_plan(tiny, model, **options):
    o = registry.parse_options("blend", options)
    return get_method("blend")(ctx_for(tiny, o, model))


def single_plan(tiny, name, model, options=None):
    mine = {k: v for k, v in (options or {}).items() if k.startswith(name + ".")}
    o = registry.parse_options("blend", {"methods": f"{name},{name}", **mine}).method_options[name]
    return get_method(name)(ctx_for(tiny, o, model))


@pytest.mark.parametrize("mode", ["average", "confidence"])
@pytest.mark.parametrize("name", ["fvt", "omp", "given-rows"])
@pytest.mark.parametrize("tie", [True, False])
def test_a_blend_of_a_plan_with_itself_is_that_plan(tiny, with_given, mode, name, tie):
    model = tiny[0] if tie else untied(tiny[0])
    extra = TINY_OMP if name == "omp" else {}
    one = single_plan(tiny, name, model, extra)
    two = blend_plan(tiny, model, methods=[name, name], mode=mode, weights="0.3,0.7", **extra)
    (a_in, a_out), (b_in, b_out) = rows(model, one, tiny[2]), rows(model, two, tiny[2])
    assert torch.allclose(a_in, b_in, atol=1e-5) and torch.allclose(a_out, b_out, atol=1e-5)
    assert np.allclose(one.input.confidence, two.input.confidence, atol=1e-6)
    assert (one.input.source == two.input.source).all()
    copies = one.input.ids(Source.COPY)
    assert (two.input.copy_from[copies] == one.input.copy_from[copies]).all()
    means = one.input.ids(Source.MEAN)  # rows filled the same way keep their provenance
    assert two.shared == one.shared and [two.input.method_of(i) for i in means] == [
        one.input.method_of(i) for i in means
    ]


@pytest.mark.parametrize("methods", ["omp,fvt", "fvt,mean", "given-rows,mean", "omp,given-rows,fvt"])
@pytest.mark.parametrize("tie", [True, False])
def test_average_is_the_weighted_average_of_the_applied_matrices(tiny, with_given, methods, tie):
    model = tiny[0] if tie else untied(tiny[0])
    names = methods.split(",")
    weights = [0.6, 0.4, 1.0][: len(names)]
    plan = blend_plan(tiny, model, methods=methods, weights=weights, **(TINY_OMP if "omp" in names else {}))
    got = rows(model, plan, tiny[2])
    each = [rows(model, single_plan(tiny, n, model, TINY_OMP), tiny[2]) for n in names]
    for side in (0, 1):
        want = sum(w * r[side] for w, r in zip(weights, each)) / sum(weights)
        assert torch.allclose(got[side], want, atol=1e-5), (methods, side)
    mixed = plan.input.ids(Source.COMBINE).tolist() + plan.input.given_ids.tolist()
    assert mixed and all(plan.input.method_of(i) == "blend:" + "+".join(names) for i in mixed)
    assert plan.notes["blend"]["methods"] == names and plan.notes["blend"]["mode"] == "average"
    if tie and "given-rows" not in names:
        assert plan.shared  # one side for a tied model, even with vectors (fvt,mean: the mean row)


def test_average_without_a_model_is_one_combination(tiny, with_given):
    plan = blend_plan(tiny, None, methods="fvt,mean", weights="1,3")
    assert plan.input.given_ids.size == 0 and plan.input.ids(Source.COMBINE).size > 0
    model = tiny[0]
    want = 0.25 * rows(model, single_plan(tiny, "fvt", None), tiny[2])[0]
    want += 0.75 * rows(model, single_plan(tiny, "mean", None), tiny[2])[0]
    assert torch.allclose(rows(model, plan, tiny[2])[0], want, atol=1e-5)
    with pytest.raises(InputError, match="averaging given rows needs the model"):
        blend_plan(tiny, None, methods="fvt,given-rows")


def test_confidence_takes_each_row_from_the_most_confident_method(tiny, with_given):
    model = untied(tiny[0])
    plan = blend_plan(tiny, model, methods="fvt,given-rows", mode="confidence")
    fvt, given = single_plan(tiny, "fvt", model), single_plan(tiny, "given-rows", model)
    odd = given.input.given_ids
    even = np.setdiff1d(fvt.input.ids(Source.COMBINE), odd)
    assert odd.size and even.size
    assert {plan.input.method_of(i) for i in odd} == {"blend:given-rows"}  # 0.9 beats fvt's 0.5
    assert {plan.input.method_of(i) for i in even} == {"blend:fvt"}  # 0.5 beats 0.2
    assert np.allclose(plan.input.confidence[odd], 0.9) and np.allclose(plan.input.confidence[even], 0.5)
    got, a, b = rows(model, plan, tiny[2]), rows(model, fvt, tiny[2]), rows(model, given, tiny[2])
    for side in (0, 1):
        assert torch.equal(got[side][odd], b[side][odd]) and torch.equal(got[side][even], a[side][even])
    assert not plan.shared and plan.notes["blend"]["rows"] == {"blend:given-rows": odd.size, "blend:fvt": even.size}


def test_confidence_follows_the_confidences_and_ties_go_to_the_first(tiny):
    model = tiny[0]
    plan = blend_plan(tiny, model, methods="omp,fvt", mode="confidence", **TINY_OMP)
    omp, fvt = single_plan(tiny, "omp", model, TINY_OMP), single_plan(tiny, "fvt", model)
    todo = np.flatnonzero(fvt.input.source != Source.COPY)
    todo = todo[~((fvt.input.source[todo] == Source.MEAN) & (omp.input.source[todo] == Source.MEAN))]
    first = omp.input.confidence[todo] >= fvt.input.confidence[todo]
    names = np.array([plan.input.method_of(i) for i in todo])
    assert (names[first] == "blend:omp").all() and (names[~first] == "blend:fvt").all()
    fvt_first = blend_plan(tiny, model, methods="fvt,fvt", mode="confidence")
    assert {fvt_first.input.method_of(i) for i in fvt.input.ids(Source.COMBINE)} == {"blend:fvt"}


BAD = [
    ({"methods": "fvt,omq"}, UnknownNameError, r"unknown blended method 'omq' \(known: fvt, hybrid, hypernet"),
    ({"methods": "fvt,blend"}, InputError, "a blend cannot contain a blend"),
    ({"methods": "fvt"}, InputError, "two or more methods"),
    ({"mode": "averge"}, UnknownNameError, r"unknown blend mode 'averge' \(known: average, confidence\)"),
    ({"weights": "1,2,3"}, InputError, r"one weight per method.*3 weights for 2 methods"),
    ({"weights": "1,-1"}, InputError, "weights must be >= 0"),
    ({"weights": "0,0"}, InputError, "sum to more than 0"),
    ({"weights": "a,b"}, InputError, "must be floats"),
    ({"omp.k": 3}, InputError, r"options for 'omp', which the blend does not use \(blended: fvt, mean\)"),
    ({"methods": "fvt,omp", "omp.kk": 3}, InputError, r"unknown option 'kk' for method omp \(valid: k, candidates"),
    ({"methods": "fvt,omp", "omp.k": "many"}, InputError, "option k of method omp must be int"),
    ({"k": 3}, InputError, r"unknown option 'k' for method blend \(valid: methods, mode, weights"),
    ({"methods": "hybrid,tokenadapt-local", "hybrid.encoder": "/a"}, InputError, "one encoder"),
]


@pytest.mark.parametrize("options, error, match", BAD)
def test_bad_options_fail_on_construction(options, error, match):
    with pytest.raises(error, match=match):
        TransplantConfig(method="blend", options={"methods": "fvt,mean", **options}, evaluate=False)


def test_options_forms_and_the_donor_rule(tiny):
    dotted = TransplantConfig(method="blend", options={"methods": "omp, hybrid", "omp.k": "16", "weights": "2,1"})
    nested = TransplantConfig(
        method="blend", options={"methods": ["omp", "hybrid"], "omp": {"k": 16}, "weights": [2, 1]}
    )
    assert dotted.options == nested.options and dotted.options.method_options["omp"].k == 16
    assert dotted.options.active() == (("omp", "hybrid"), (2 / 3, 1 / 3)) and dotted.needs_donor
    assert registry.BlendOptions() == registry.parse_options("blend", {}) and hash(registry.BlendOptions())
    assert not TransplantConfig(method="blend", options={"methods": "fvt,mean"}).needs_donor
    assert registry.BlendOptions(methods="fvt,mean", weights="0,1").active() == (("mean",), (1.0,))
    with pytest.raises(InputError, match=r"method blend needs a donor.*donor=MODEL"):
        transplant_model("/no/such/model", tiny[2], config=TransplantConfig(method="blend", evaluate=False))


def test_subplans_share_the_context_memo(tiny, with_given):
    o = registry.parse_options("blend", {"methods": "given-rows,fvt,given-rows"})
    ctx = ctx_for(tiny, o, tiny[0])
    get_method("blend")(ctx)
    assert ctx.memo["given-rows built"] == 1  # a method listed twice is built once, in the shared memo
    ctx.options = {"methods": "fvt,given-rows", "mode": "confidence"}
    get_method("blend")(ctx)
    assert ctx.memo["given-rows built"] == 1  # and once for every blend on the same context


def test_transplant_model_blend_keeps_a_tied_model_tied(tiny, with_given):
    m, tok, new, donor = tiny
    cfg = TransplantConfig(method="blend", options={"methods": "given-rows,fvt"}, evaluate=False)
    result = transplant_model((m, tok), new, config=cfg, donor=None, progress=False)
    emb, head = result.model.get_input_embeddings(), result.model.get_output_embeddings()
    assert head.weight is emb.weight and result.plan.notes["tied"]
    assert result.report["method"] == "blend" and result.report["options"]["methods"] == ("given-rows", "fvt")
    json.dumps(result.report)
    cfg = TransplantConfig(method="blend", options={"methods": "omp,fvt", **TINY_OMP}, evaluate=False)
    result = transplant_model((m, tok), new, config=cfg, donor=donor, progress=False)
    assert result.model.get_output_embeddings().weight is result.model.get_input_embeddings().weight


def test_cli_blend_end_to_end(bytelevel_tiny_dirs, tmp_path, capsys):
    from tokforge_cli.main import main

    bpe, spm = bytelevel_tiny_dirs
    out = tmp_path / "o"
    argv = ["transplant", bpe, "--tokenizer", spm, "--method", "blend", "--option", "methods=fvt,mean"]
    code = main(argv + ["--option", "mode=average", "--option", "weights=3,1", "--eval", "none", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "transplant_report.json").read_text())
    assert report["method"] == "blend" and report["options"]["methods"] == ["fvt", "mean"]
    assert report["options"]["weights"] == [3.0, 1.0] and "blend:fvt+mean" in report["plan"]["input"]["methods"]
    assert main(argv + ["--option", "mode=avg", "--eval", "none", "--out", str(tmp_path / "p")]) == 2
    assert "unknown blend mode 'avg'" in capsys.readouterr().err and not (tmp_path / "p").exists()
