"""Healing on tiny models: chunk alignment, losses, tied weights, calibration, exact resume, selection,
the gap breakdown, the report, bad input (the two-process run is tests/real/test_heal_accelerate.py)."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from helpers.heal import CORPUS, HELD, make_pair, pretrain, transplanted_dirs
from helpers.tiny import tiny_lm

from tokforge.errors import InputError, UnknownNameError
from tokforge.evaluate.align import chunks
from tokforge.heal import losses as L
from tokforge.heal.api import HealRun, heal_model
from tokforge.heal.config import DIVERGENCES, HealConfig, parse_losses


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(teacher, teacher tokenizer, student made by an fvt transplant, student tokenizer)."""
    return make_pair(tmp_path_factory.mktemp("heal"))


def cfg(**kw) -> HealConfig:
    """The tests' small runs; ``loss="alm"`` (the default was ALM when they were written, now it is lm)."""
    base = dict(
        loss="alm",
        steps=3,
        batch_size=2,
        seq_bytes=96,
        precision="fp32",
        lr=1e-2,
        warmup=1,
        save_every=2,
        schedule="constant",
    )
    return HealConfig(**{**base, **kw})


def model_and_report(result):
    """(model, report) of a `HealResult`."""
    return result.model, result.report


def heal_tiny(pair, c: HealConfig):
    """Heal a copy of the tiny student on CORPUS with ``c``, evaluated on HELD: (model, report)."""
    teacher, old, student, new = pair
    return model_and_report(
        heal_model(
            (copy.deepcopy(student), new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=c,
            eval_texts=HELD,
            progress=False,
        )
    )


def brute_chunks(a_ends, b_ends, n):
    """Every offset 1..n where both sides end a token, by direct membership."""
    return [c for c in range(1, n + 1) if c in set(a_ends.tolist()) and c in set(b_ends.tolist())]


@pytest.mark.parametrize("seed", range(30))
def test_chunk_boundaries_match_a_brute_force_finder(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    text = bytes(rng.choice(list(b"ab c\n"), size=n).tolist())
    cuts = lambda: np.array(sorted(set(rng.integers(1, n + 1, size=int(rng.integers(0, n + 1))).tolist()) | {n}))  # noqa: E731
    a, b = cuts(), cuts()
    c = chunks(text, a, b)
    assert c.ends.tolist() == brute_chunks(a, b, n)
    for k, e in enumerate(c.ends.tolist()):  # the tokens inside each chunk tile it exactly on both sides
        start = 0 if k == 0 else c.ends[k - 1]
        assert a[c.a_last[k]] == e and (c.a_first[k] == 0 and start == 0 or a[c.a_first[k] - 1] == start)
        assert b[c.b_last[k]] == e and (c.b_first[k] == 0 and start == 0 or b[c.b_first[k] - 1] == start)
        assert c.next_byte[k] == (text[e] if e < n else -1)
    sp = chunks(text, a, b, "space")
    assert sp.ends.tolist() == [e for e in c.ends.tolist() if e == n or text[e] in b" \t\n\r"]


def test_identity_student_has_zero_alm_loss(pair):
    teacher, old, _, _ = pair
    student = copy.deepcopy(teacher)
    seen = []
    _, rep = model_and_report(
        heal_model(
            (student, old),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=cfg(steps=1, train_copied=True, lr=1e-9),
            eval_texts=HELD,
            progress=False,
            on_step=seen.append,
        )
    )
    assert seen[0]["alm"] == 0.0 and seen[0]["chunks"] > 10 and seen[0]["grad_norm"] < 1e-6
    assert rep["evaluation"]["comparison"]["en"]["ratio_before"] == 1.0


def test_divergences_are_zero_only_at_agreement():
    t = torch.tensor([-0.1, -2.0, -9.0])
    for kind in DIVERGENCES:
        for tau in (1.0, 5.0):
            assert float(L.divergence(t, t, kind, tau).abs().max()) < 1e-6
            assert bool((L.divergence(t, t - 0.5, kind, tau) > 0).all())
            assert bool((L.divergence(t, t + 0.05, kind, tau) > 0).all())


def test_alm_chunk_logprobs_by_hand():
    """Two tokens on one side, one on the other, same chunk: the chunk sums match by construction."""
    lp = torch.log(torch.tensor([0.5, 0.25, 0.125]))
    assert L.chunk_logprobs(lp, torch.tensor([0, 2]), torch.tensor([1, 2])).exp().tolist() == [0.125, 0.125]


def test_a_run_without_out_leaves_no_checkpoints_behind(pair, tmp_path, monkeypatch):
    """Without ``out`` the checkpoints go to a scratch folder; a full model each, so it is removed at the end."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _, rep = heal_tiny(pair, HealConfig(loss="lm", steps=2, batch_size=2, seq_bytes=64, save_every=1))
    assert rep["steps"] == 2
    assert list(tmp_path.iterdir()) == []


def test_heal_lowers_alm_and_tied_stays_tied(pair, tmp_path):
    from transformers import AutoModelForCausalLM

    teacher, old, student, new = pair
    m = copy.deepcopy(student)
    out = tmp_path / "healed"
    from tokforge.evaluate.bits import evaluate_languages

    seen = {"tr": CORPUS[:4]}
    gap = (
        evaluate_languages(m, new, seen)["tr"]["bits_per_byte"]
        - evaluate_languages(teacher, old, seen)["tr"]["bits_per_byte"]
    )
    model, rep = model_and_report(
        heal_model(
            (m, new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=cfg(steps=10),
            eval_texts=HELD,
            out=out,
            progress=False,
        )
    )
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert len(log) == 10 and all(r["alm"] > 0 and r["chunks"] > 0 for r in log)
    assert rep["tied"] and rep["trainable"]["output_rows"] is None
    cmp = rep["evaluation"]["comparison"]["en"]
    assert cmp["bpb_after"] < cmp["bpb_before"]
    after = (
        evaluate_languages(model, new, seen)["tr"]["bits_per_byte"]
        - evaluate_languages(teacher, old, seen)["tr"]["bits_per_byte"]
    )
    assert after < 0.7 * gap  # the training text: most of the gap to the teacher closed
    re = AutoModelForCausalLM.from_pretrained(out).eval()
    assert re.get_output_embeddings().weight.data_ptr() == re.get_input_embeddings().weight.data_ptr()
    ids = torch.tensor([new.encode("the cat")])
    with torch.no_grad():
        assert torch.equal(re(ids).logits, model(ids).logits)
    assert not (out / "checkpoint.pt").exists() and (out / "heal_report.json").is_file()


def test_frozen_copied_rows_do_not_move(pair):
    from tokforge.surgery.plan import match_by_bytes

    teacher, old, student, new = pair
    before = student.get_input_embeddings().weight.detach().clone()
    m, _ = model_and_report(
        heal_model(
            (copy.deepcopy(student), new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=cfg(steps=3),
            eval_texts=HELD,
            progress=False,
        )
    )
    after = m.get_input_embeddings().weight.detach()
    copied, _ = match_by_bytes(old.vocab, new.vocab)
    moved = (after != before).any(1)
    assert not moved[copied].any() and moved.sum() > 0


def test_untied_model_trains_its_head_rows(pair):
    teacher, old, student, new = pair
    m = copy.deepcopy(student)
    m.config.tie_word_embeddings = False
    m.lm_head.weight = torch.nn.Parameter(m.lm_head.weight.detach().clone())
    assert m.lm_head.weight is not m.get_input_embeddings().weight
    head0 = m.lm_head.weight.detach().clone()
    model, rep = model_and_report(
        heal_model(
            (m, new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=cfg(steps=2, train="embeddings+head", rows="all"),
            eval_texts=HELD,
            progress=False,
        )
    )
    assert not rep["tied"] and rep["trainable"]["output_rows"] == model.lm_head.weight.shape[0]
    assert (model.lm_head.weight != head0).any(1).sum() > 0.9 * head0.shape[0]
    assert model.lm_head.weight.data_ptr() != model.get_input_embeddings().weight.data_ptr()


def test_seen_rows_only_move_rows_of_tokens_in_the_text(pair):
    """rows="seen": a row whose token's bytes never occur in the training text cannot be in a window, so
    it must not move; rows="all" moves such rows too (the full softmax gives every row a gradient). Copied
    rows train here (train_copied), so the byte tokens the text lacks are trainable. The calibration shift
    (which moves every row not copied, before training) is off here: this checks the optimiser's steps."""
    teacher, old, student, new = pair
    text = "\n".join(CORPUS).encode()
    absent = torch.zeros(len(new.vocab), dtype=torch.bool)
    for i in new.vocab.text_ids(nonempty=True).tolist():
        absent[i] = new.vocab.tokens[i] not in text
    assert absent.sum() > 5
    before = student.get_input_embeddings().weight.detach().clone()
    moved = {}
    for rows in ("seen", "all"):
        m, _ = heal_tiny(pair, cfg(rows=rows, train_copied=True, calibrate=0))
        moved[rows] = (m.get_input_embeddings().weight.detach() != before).any(1)
    assert moved["seen"].sum() > 0 and not moved["seen"][absent].any()
    assert moved["all"][absent].sum() > 5


def test_unknown_rows_mode_is_an_error():
    with pytest.raises(UnknownNameError, match="rows mode"):
        cfg(rows="some")


@pytest.mark.parametrize("loss", ["lm", "alm=1,lm=0.5", "bytes"])
def test_every_loss_trains(pair, loss):
    teacher, old, student, new = pair
    _, rep = heal_tiny(pair, cfg(steps=2, loss=loss))
    last = rep["train"]["last_step"]
    for name in parse_losses(loss):
        assert last[name] > 0
    assert rep["losses"] == parse_losses(loss)


def test_bytes_loss_equals_bytelevel_distributions():
    """The differentiable tree forward gives ByteLM's exact next-byte distributions, and gradients."""
    from tokforge.bytelevel.bytelm import ByteLM
    from tokforge.bytelevel.tiny import tiny_lm as byte_tiny
    from tokforge.heal.bytes_loss import ByteView, byte_logprobs

    model, tok = byte_tiny(seed=0)
    ref = ByteLM(model, tok)

    def fn(ids, mask, pos):
        return model(input_ids=ids, attention_mask=mask, position_ids=pos).logits.float()

    fn.model = model
    for data in (b"abab", b"ba ab b", "h\u00e9llo".encode()):
        d = ref.distributions(data)[:, :256]
        d = d - torch.logsumexp(d, -1, keepdim=True)
        pos = list(range(1, len(data) + 1))
        got = byte_logprobs(ByteView(tok), fn, data, pos)
        assert torch.allclose(got.exp(), d[pos].exp(), atol=1e-6)
    w = model.get_input_embeddings().weight
    w.grad = None
    byte_logprobs(ByteView(tok), fn, b"abab", [2, 3]).exp()[:, ord("a")].sum().backward()
    assert w.grad is not None and float(w.grad.abs().sum()) > 0


def test_resume_continues_exactly(pair, tmp_path):
    teacher, old, student, new = pair
    full, _ = model_and_report(
        heal_model(
            (copy.deepcopy(student), new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=cfg(steps=4, schedule="linear"),
            eval_texts=HELD,
            out=tmp_path / "a",
            progress=False,
        )
    )
    with pytest.raises(KeyboardInterrupt):
        heal_model(
            (copy.deepcopy(student), new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=cfg(steps=4, schedule="linear"),
            eval_texts=HELD,
            out=tmp_path / "b",
            progress=False,
            on_step=interrupt_at(2),
        )
    assert (tmp_path / "b" / "checkpoint.pt").is_file()
    with pytest.raises(InputError, match="resume=True with changed settings: lr"):
        heal_model(
            (copy.deepcopy(student), new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=cfg(steps=4, lr=0.5, schedule="linear"),
            eval_texts=HELD,
            out=tmp_path / "b",
            resume=True,
            progress=False,
        )
    resumed, _ = model_and_report(
        heal_model(
            (copy.deepcopy(student), new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=cfg(steps=4, schedule="linear"),
            eval_texts=HELD,
            out=tmp_path / "b",
            resume=True,
            progress=False,
        )
    )
    assert torch.equal(full.get_input_embeddings().weight, resumed.get_input_embeddings().weight)
    log_a = (tmp_path / "a" / "log.jsonl").read_text().splitlines()
    log_b = (tmp_path / "b" / "log.jsonl").read_text().splitlines()
    strip = lambda ln: {k: v for k, v in json.loads(ln).items() if k != "seconds"}  # noqa: E731
    assert [strip(x) for x in log_a] == [strip(x) for x in log_b]


@pytest.mark.parametrize(
    "schedule, factors",
    [  # warm-up over 2 steps, then the decay; by hand: linear is 1 - step/5, rsqrt is sqrt(2/(step+1))
        ("linear", [0.5, 0.8, 0.6, 0.4, 0.2]),
        ("rsqrt", [0.5, 1.0, (2 / 3) ** 0.5, 0.5**0.5, 0.4**0.5]),
        ("constant", [0.5, 1.0, 1.0, 1.0, 1.0]),
    ],
)
def test_learning_rate_follows_the_schedule(pair, tmp_path, schedule, factors):
    teacher, old, student, new = pair
    c = cfg(steps=5, warmup=2, schedule=schedule)
    heal_model(
        (copy.deepcopy(student), new),
        {"en": CORPUS},
        teacher=(teacher, old),
        config=c,
        eval_texts=HELD,
        out=tmp_path,
        progress=False,
        force=True,
        run=HealRun(gap=False),
    )
    lrs = [json.loads(ln)["lr"] for ln in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert lrs == pytest.approx([c.lr * f for f in factors])


def test_linear_schedule_of_a_minutes_run_decays_with_the_clock(pair):
    teacher, old, student, new = pair
    lrs = []
    heal_model(
        (copy.deepcopy(student), new),
        {"en": CORPUS},
        teacher=(teacher, old),
        config=cfg(steps=None, minutes=0.04, warmup=1, schedule="linear", clock="cpu"),
        eval_texts=HELD,
        progress=False,
        run=HealRun(gap=False),
        on_step=lambda rec: lrs.append(rec["lr"]),
    )
    assert len(lrs) >= 3 and lrs[0] <= 1e-2
    assert all(b < a for a, b in zip(lrs, lrs[1:]))  # the share of the budget used only grows
    assert lrs[-1] < 0.5e-2  # the last step ran in the second half of the budget


def test_a_checkpoint_from_before_schedules_resumes_only_as_constant():
    from tokforge.heal.config import check_settings, settings_of

    old = settings_of(HealConfig(schedule="constant"))
    del old["schedule"]
    check_settings(old, HealConfig(schedule="constant"))
    with pytest.raises(InputError, match="changed settings: schedule"):
        check_settings(old, HealConfig())  # the default is linear
    with pytest.raises(UnknownNameError, match="unknown learning-rate schedule 'cosine'"):
        HealConfig(schedule="cosine")


def interrupt_at(step: int):
    """An on_step hook that stops a run like Ctrl-C once ``step`` steps are done."""

    def hook(rec):
        if rec["step"] + 1 >= step:
            raise KeyboardInterrupt

    return hook


def test_bad_input_is_one_line_and_leaves_out_untouched(pair, tmp_path, capsys):
    from tokforge_cli.main import main

    tdir, sdir, corpus, held = transplanted_dirs(pair, tmp_path)
    out = tmp_path / "out"
    base = ["heal", str(sdir), "--out", str(out), "--steps", "1", "--seq-bytes", "96"]

    def fails(args, match):
        rc = main(args)
        err = capsys.readouterr().err
        assert rc == 2 and err.count("\n") == 1 and match in err, err
        assert not out.exists()

    other = tmp_path / "other"
    from tokforge.surgery.export import save_model

    save_model(copy.deepcopy(pair[2]), pair[3], other)  # a model whose vocabulary is not the original
    capsys.readouterr()
    fails(base + ["--corpus", str(corpus), "--teacher", str(other)], "not the original recorded")
    fails(["heal", str(other), "--out", str(out), "--corpus", str(corpus)], "not a transplant")
    (tmp_path / "empty.txt").write_text("\n \n")
    fails(base + ["--corpus", str(tmp_path / "empty.txt")], "no text")
    (tmp_path / "bad.txt").write_bytes(b"fine line\n\xff\xfe broken\n")
    fails(base + ["--corpus", str(tmp_path / "bad.txt")], "not UTF-8 (bad byte on line 2")
    fails(base + ["--corpus", str(held), "--eval", str(held)], "no training text left after the held-out split")
    fails(base + ["--corpus", str(corpus), "--loss", "alm=1,kl=2"], "unknown heal loss 'kl'")
    fails(base + ["--corpus", str(corpus), "--resume"], "nothing to resume")
    # an interrupted run, then a resume with other settings: refused, the run folder as it was
    from tokforge.heal.data import Source, read_texts

    with pytest.raises(KeyboardInterrupt):
        heal_model(
            sdir,
            [Source(str(corpus))],
            config=HealConfig(steps=3, seq_bytes=96, save_every=1, precision="fp32"),
            eval_texts=read_texts(str(held), "devtest")[0],
            out=tmp_path / "r",
            progress=False,
            on_step=interrupt_at(1),
        )
    capsys.readouterr()
    snapshot = sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "r").iterdir())
    rc = main(
        [
            "heal",
            str(sdir),
            "--corpus",
            str(corpus),
            "--eval",
            str(held),
            "--out",
            str(tmp_path / "r"),
            "--steps",
            "3",
            "--seq-bytes",
            "64",
            "--save-every",
            "1",
            "--precision",
            "fp32",
            "--resume",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "with changed settings: seq_bytes (" in err
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "r").iterdir()) == snapshot


def test_bf16_training_leaves_frozen_weights_exact(pair):
    """Frozen weights are held in bf16 during a bf16 run, then restored bit for bit (teacher too)."""
    teacher, old, student, new = pair
    m = copy.deepcopy(student)
    body0 = {n: p.detach().clone() for n, p in m.named_parameters() if "embed_tokens" not in n}
    t0 = {n: p.detach().clone() for n, p in teacher.named_parameters()}
    model, rep = model_and_report(
        heal_model(
            (m, new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=cfg(steps=2, precision="bf16"),
            eval_texts=HELD,
            progress=False,
        )
    )
    assert rep["precision"] == "bf16"
    for n, p in model.named_parameters():
        if n in body0:
            assert p.dtype == torch.float32 and torch.equal(p, body0[n]), n
    assert all(torch.equal(p, t0[n]) and p.dtype == torch.float32 for n, p in teacher.named_parameters())


def test_transplant_then_heal_in_one_command(pair, tmp_path, capsys):
    from tokforge_cli.main import main
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tdir, sdir, corpus, held = transplanted_dirs(pair, tmp_path)
    out = tmp_path / "converted"
    new_json = str(tmp_path / "student" / "tokenizer.json")
    rc = main(
        [
            "transplant",
            str(tdir),
            "--tokenizer",
            new_json,
            "--method",
            "fvt",
            "--out",
            str(out),
            "--eval",
            str(held),
            "--heal-steps",
            "2",
            "--heal-corpus",
            str(corpus),
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0 and "heal: 2 steps" in text
    assert {"transplant_report.json", "heal_report.json", "log.jsonl", "model.safetensors"} <= {
        p.name for p in out.iterdir()
    }
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # the intermediate folder is gone
    m, tok = AutoModelForCausalLM.from_pretrained(out), AutoTokenizer.from_pretrained(out)
    gen = m.generate(tok("the cat", return_tensors="pt").input_ids, max_new_tokens=3, do_sample=False)
    assert gen.shape[1] > 2
    rep = json.loads((out / "heal_report.json").read_text())
    assert rep["steps"] == 2 and rep["transplant"]["method"] == "fvt"


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "saved"])
def test_hf_dataset_corpus_is_streamed(pair, tmp_path, fmt):
    """A local HF datasets corpus (data files or a save_to_disk folder) trains like a text file."""
    import datasets

    from tokforge.heal.data import Source, Windows

    rows = [{"body": t, "lang": "en"} for t in CORPUS]
    ds = datasets.Dataset.from_list(rows)
    if fmt == "jsonl":
        path = tmp_path / "c.jsonl"
        ds.to_json(str(path))
    elif fmt == "parquet":
        path = tmp_path / "c.parquet"
        ds.to_parquet(str(path))
    else:
        path = tmp_path / "saved"
        ds.save_to_disk(str(path))
    src = Source(f"hf:{path}", text_column="body", lang_column="lang")
    w = Windows([src], seq_bytes=96, heldout=0.0)
    assert w.check() > 5
    first = next(w.batches(2))
    assert all(0 < len(x.encode()) <= 96 for x in first)
    teacher, old, student, new = pair
    _, rep = model_and_report(
        heal_model(
            (copy.deepcopy(student), new),
            w,
            teacher=(teacher, old),
            config=cfg(steps=2),
            eval_texts=HELD,
            progress=False,
        )
    )
    assert rep["steps"] == 2
    with pytest.raises(InputError, match="no column 'text'"):
        Windows([Source(f"hf:{path}")], seq_bytes=96, heldout=0.0).check()


# -- calibration of the rows not copied ---------------------------------------------------------------
def _calibration_case(pair, tie: bool):
    """(student, its tokenizer, the rows not copied, training windows) for a tied or untied fvt student."""
    from tokforge.surgery.plan import match_by_bytes
    from tokforge.transplant.api import TransplantConfig, transplant_model

    teacher, old, student, new = pair
    if not tie:
        teacher = pretrain(tiny_lm(len(old.vocab), seed=3, tie=False), old)
        student = transplant_model(
            (teacher, old), new, config=TransplantConfig(method="fvt", evaluate=False), progress=False
        ).model
    else:
        student = copy.deepcopy(student)
    copied, _ = match_by_bytes(old.vocab, new.vocab)
    rows = np.setdiff1d(np.arange(student.get_output_embeddings().weight.shape[0]), copied)
    assert 10 < len(rows) < len(new.vocab)
    return student, new, rows, CORPUS[:8]


@pytest.mark.parametrize("tie", [True, False])
def test_calibration_search_matches_the_model_and_moves_only_new_rows(pair, tie):
    """The closed-form loss the search minimises is the model's own loss: exactly at beta = 0 (nothing
    moved), and at the found beta too when the head is untied (the hidden states cannot change). Copied
    rows stay bit-identical; every calibrated row moves by the same vector."""
    from tokforge.heal.calibrate import calibrate_rows

    student, new, rows, windows = _calibration_case(pair, tie)
    w0 = student.get_output_embeddings().weight.detach().clone()
    rep = calibrate_rows(student, new, windows, rows)
    assert rep["rows"] == len(rows) and rep["windows"] == len(windows)
    assert abs(rep["fit_loss_zero"] - rep["loss_before"]) < 1e-4
    assert rep["fit_loss"] <= rep["fit_loss_zero"] + 1e-9
    if not tie:
        assert abs(rep["fit_loss"] - rep["loss_after"]) < 1e-4
    w1 = student.get_output_embeddings().weight.detach()
    keep = np.setdiff1d(np.arange(w0.shape[0]), rows)
    assert torch.equal(w1[keep], w0[keep])
    if rep["kept"]:
        assert rep["loss_after"] < rep["loss_before"]
        delta = w1[rows] - w0[rows]
        assert torch.allclose(delta, delta[0].expand_as(delta), atol=1e-6) and delta[0].abs().sum() > 0
    else:
        assert torch.equal(w1, w0)


def test_calibration_beta_is_the_best_shift_by_brute_force(pair):
    """Untied head: shifting by any other multiple of the same direction gives a model loss no lower
    than the fitted one (a grid of real forwards around the optimum)."""
    from tokforge.heal.calibrate import _model_loss, calibrate_rows
    from tokforge.heal.train import encode_windows

    student, new, rows, windows = _calibration_case(pair, tie=False)
    w0 = student.get_output_embeddings().weight.detach().clone()
    rep = calibrate_rows(student, new, windows, rows)
    w1 = student.get_output_embeddings().weight.detach().clone()
    step = (w1[rows] - w0[rows])[0] if rep["kept"] else None
    if step is None:  # nothing kept: the optimum is beta = 0 up to the search's tolerance
        assert abs(rep["fit_loss"] - rep["fit_loss_zero"]) < 1e-3
        return
    ids, mask, _, _ = encode_windows(new, windows, "cpu")
    head = student.get_output_embeddings().weight
    for f in (0.0, 0.5, 0.8, 1.25, 2.0):
        with torch.no_grad():
            head[torch.as_tensor(rows)] = w0[rows] + f * step
            assert _model_loss(student, ids, mask) >= rep["loss_after"] - 1e-5


def test_calibration_by_groups_fits_one_shift_per_group(pair):
    """One group is exactly the shared fit; several groups fit at least as well, their closed-form loss is
    the model's own (untied head), each group's rows move together by its own multiple of one direction,
    and moving any one group's beta away from the fit (real forwards) does not lower the model's loss."""
    from tokforge.heal.calibrate import _model_loss, calibrate_rows
    from tokforge.heal.train import encode_windows

    student, new, rows, windows = _calibration_case(pair, tie=False)
    w0 = student.get_output_embeddings().weight.detach().clone()
    shared = calibrate_rows(copy.deepcopy(student), new, windows, rows)
    one = calibrate_rows(copy.deepcopy(student), new, windows, rows, groups=np.zeros(len(rows), dtype=np.int64))
    assert one["groups"][0]["beta"] == shared["beta"] and one["fit_loss"] == shared["fit_loss"]
    groups = np.arange(len(rows)) % 3  # three groups of rows
    m = copy.deepcopy(student)
    rep = calibrate_rows(m, new, windows, rows, groups=groups, labels=["a", "b", "c"])
    assert [g["group"] for g in rep["groups"]] == ["a", "b", "c"]
    assert sum(g["rows"] for g in rep["groups"]) == len(rows)
    assert rep["fit_loss"] <= shared["fit_loss"] + 1e-6
    assert abs(rep["fit_loss"] - rep["loss_after"]) < 1e-4 and rep["kept"]
    w1 = m.get_output_embeddings().weight.detach().clone()
    delta = w1[rows] - w0[rows]
    u = delta[0] / delta[0].norm()
    for g in range(3):
        d = delta[groups == g]
        assert torch.allclose(d, d[0].expand_as(d), atol=1e-6)
        assert torch.allclose(d[0], (d[0] @ u) * u, atol=1e-6)  # the same direction for every group
    ids, mask, _, _ = encode_windows(new, windows, "cpu")
    head = m.get_output_embeddings().weight
    for g in range(3):
        for f in (0.5, 1.5):
            with torch.no_grad():
                head[torch.as_tensor(rows)] = w1[rows]
                sel = torch.as_tensor(rows[groups == g])
                head[sel] = w0[sel] + f * (w1[sel] - w0[sel])
                assert _model_loss(m, ids, mask) >= rep["loss_after"] - 1e-5


def test_calibration_warns_about_a_group_the_windows_never_target(pair):
    """A group whose rows are never a target in the fit windows has nothing pulling it up: its shift runs
    to the search's bound, and the user is told (a printed warning) to fit on more windows."""
    from tokforge.errors import TokforgeWarning
    from tokforge.heal.calibrate import calibrate_rows
    from tokforge.heal.train import encode_windows

    student, new, rows, windows = _calibration_case(pair, tie=False)
    ids, mask, _, _ = encode_windows(new, windows, "cpu")
    targets = set(ids[:, 1:][mask[:, 1:].bool()].tolist())
    groups = np.array([0 if int(r) in targets else 1 for r in rows])
    assert 0 < groups.sum() < len(rows)
    with pytest.warns(TokforgeWarning, match="no target token of group.s. never in the 8 fit windows"):
        rep = calibrate_rows(student, new, windows, rows, groups=groups, labels=["seen", "never"])
    assert rep["groups"][1]["targets"] == 0 and rep["groups"][0]["targets"] > 0


def test_heal_calibrates_by_piece_count(pair):
    """``calibrate_by="pieces"``: groups by how many original tokens spell each row (`piece_groups`), each
    with its own shift, reported per group; an unknown grouping lists the known ones."""
    from tokforge.heal.calibrate import piece_groups
    from tokforge.transplant.decompose import decompose

    teacher, old, student, new = pair
    _, rep = heal_tiny(pair, cfg(steps=1, calibrate=4, calibrate_by="pieces"))
    got = rep["calibration"]
    assert got["beta"] is None and [g["group"] for g in got["groups"]] == piece_groups([])[1]
    _, _, rows, _ = _calibration_case(pair, tie=True)
    indptr, _, _ = decompose(old, [new.vocab.tokens[i] if i < len(new.vocab) else b"" for i in rows.tolist()])
    want = np.bincount(piece_groups(np.diff(indptr))[0], minlength=len(got["groups"]))
    assert [g["rows"] for g in got["groups"]] == want.tolist() and sum(want) == got["rows"]
    assert rep["config"]["calibrate_by"] == "pieces"
    with pytest.raises(UnknownNameError, match=r"unknown calibration grouping .length. \(known: pieces, shared\)"):
        cfg(calibrate_by="length")


def test_heal_reports_its_calibration_and_can_turn_it_off(pair):
    teacher, old, student, new = pair
    got = {}
    for n in (0, 4):
        _, rep = heal_tiny(pair, cfg(steps=1, calibrate=n))
        got[n] = rep["calibration"]
    assert got[0] is None
    assert got[4]["windows"] == 4 and got[4]["rows"] > 10 and "beta" in got[4]
    with pytest.raises(InputError, match="calibrate"):
        cfg(calibrate=-1)


def test_gap_breakdown_adds_up_to_the_evaluator_and_classifies_chunks(pair):
    """Per-class chunk bits sum to each model's total, which is the evaluator's own bits; a student with
    the teacher's tokenizer and weights has no gap and only 'same token' chunks; new rows the training
    text never shows carry the excess of their chunks."""
    from tokforge.evaluate.bits import evaluate_languages
    from tokforge.evaluate.gap import gap_breakdown

    teacher, old, student, new = pair
    texts = {"en": HELD["en"] + [CORPUS[1]]}
    gap = gap_breakdown((teacher, old), (student, new), texts, train_texts=["zzz"])["en"]
    ev_s = evaluate_languages(student, new, texts)["en"]
    ev_t = evaluate_languages(teacher, old, texts)["en"]
    assert abs(gap["student_bits"] - ev_s["bits"]) < 0.05 and abs(gap["original_bits"] - ev_t["bits"]) < 0.05
    classes = gap["classes"]
    assert abs(sum(c["student_bits"] for c in classes.values()) - gap["student_bits"]) < 0.05
    assert abs(sum(c["excess_bits"] for c in classes.values()) - gap["gap_bits"]) < 0.05
    assert sum(c["bytes"] for c in classes.values()) == gap["bytes"] == ev_s["bytes"]
    assert "student merges" in classes and classes["student merges"]["chunks"] > 0
    # "zzz" shows no new row: every chunk holding one counts as unseen
    for c, r in classes.items():
        if c in ("student merges", "same span, new row"):
            assert r["excess_bits_unseen_new_rows"] == r["excess_bits"]
        if c in ("same token", "same token, after a new row"):
            assert r["excess_bits_unseen_new_rows"] == 0.0
    seen_all = gap_breakdown((teacher, old), (student, new), texts, train_texts=texts["en"])["en"]
    assert all(r["excess_bits_unseen_new_rows"] == 0.0 for r in seen_all["classes"].values())
    same = gap_breakdown((teacher, old), (teacher, old), texts)["en"]
    assert same["gap_bits"] == 0.0 and list(same["classes"]) == ["same token"]


def test_heal_report_says_where_the_gap_is_and_which_rows_training_showed(pair):
    """The report's gap breakdown matches its own after/teacher bits; the rows a run showed are exactly
    the tokens of its training windows, so a new row of held-out text absent from them counts as unseen."""
    from tokforge.heal.data import Windows

    teacher, old, student, new = pair
    c = cfg(steps=2, calibrate=0)
    windows = Windows([{"en": CORPUS}], c.seq_bytes, 0.0, set(), c.seed)
    shown = set()
    batches = windows.batches(c.batch_size, 0, 0, 1)
    for _ in range(c.steps):
        for w in next(batches):
            shown.update(new.encode(w))
    _, rep = model_and_report(
        heal_model(
            (copy.deepcopy(student), new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=c,
            eval_texts=HELD,
            progress=False,
        )
    )
    ev = rep["evaluation"]
    gap = ev["gap_after"]["en"]
    assert abs(gap["student_bits"] - ev["after"]["en"]["bits"]) < 0.05
    assert abs(gap["original_bits"] - ev["teacher"]["en"]["bits"]) < 0.05
    from tokforge.evaluate.gap import gap_breakdown, new_row_mask

    trained = np.zeros(len(new.vocab), dtype=bool)
    trained[sorted(shown)] = True
    trained[new.bos_id] = True
    healed = heal_model(
        (copy.deepcopy(student), new), {"en": CORPUS}, teacher=(teacher, old), config=c, eval_texts=HELD, progress=False
    ).model
    again = gap_breakdown((teacher, old), (healed, new), HELD, trained=trained)["en"]
    assert again == gap
    held_new = {t for t in new.encode(HELD["en"][0]) if new_row_mask(new, old)[t]}
    assert held_new - shown, "the held-out line should use a new row the training windows do not"
    assert sum(r["excess_bits_unseen_new_rows"] for r in gap["classes"].values()) != 0


def test_gap_breakdown_of_a_lossy_tokenizer_is_an_error_or_a_warning(pair, tmp_path):
    """A student tokenizer that lower-cases reads other bytes than the original: no alignment."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    from tokforge import load_tokenizer
    from tokforge.errors import TokforgeWarning
    from tokforge.evaluate.gap import gap_breakdown

    teacher, old, _, _ = pair
    hf = Tokenizer(models.BPE())
    hf.normalizer = normalizers.Lowercase()
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    hf.train_from_iterator(
        CORPUS,
        trainers.BpeTrainer(vocab_size=300, special_tokens=["<s>"], show_progress=False, initial_alphabet=alphabet),
    )
    hf.save(str(tmp_path / "lower.json"))
    lower = load_tokenizer(tmp_path / "lower.json")
    student = tiny_lm(len(lower.vocab), seed=1, tie=True)
    with pytest.raises(InputError, match="different bytes"):
        gap_breakdown((teacher, old), (student, lower), HELD)
    with pytest.warns(TokforgeWarning, match="different bytes"):
        got = gap_breakdown((teacher, old), (student, lower), HELD, on_mismatch="warn")
    assert "not_aligned" in got["en"]


SELECT = {"en": ["Each student keeps the rows that scored best on text it never trained on."]}


def _select_run(pair, tmp_path, name, **kw):
    teacher, old, student, new = pair
    return model_and_report(
        heal_model(
            (copy.deepcopy(student), new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=cfg(**{"steps": 6, "lr": 0.3, "select_every": 2, "schedule": "linear", **kw.pop("cfg", {})}),
            eval_texts=HELD,
            select_texts=SELECT,
            out=tmp_path / name,
            progress=False,
            **kw,
        )
    )


def test_selection_ends_with_the_best_scored_rows(pair, tmp_path):
    from tokforge.evaluate.bits import evaluate_languages, public
    from tokforge.heal.select import mean_ratio

    teacher, old, student, new = pair
    model, rep = _select_run(pair, tmp_path, "sel")
    sel = rep["selection"]
    assert [h["step"] for h in sel["history"]] == [0, 2, 4, 6]  # before the first step, every 2, the last
    scores = {h["step"]: h["select_ratio"] for h in sel["history"]}
    assert sel["best_step"] == min(scores, key=scores.get) and sel["best_select_ratio"] == min(scores.values())
    t = public(evaluate_languages(teacher, old, SELECT))
    assert mean_ratio(t, public(evaluate_languages(model, new, SELECT))) == pytest.approx(sel["best_select_ratio"])
    log = [json.loads(x) for x in (tmp_path / "sel" / "log.jsonl").read_text().splitlines()]
    assert [r["select_ratio"] for r in log if "select_ratio" in r] == [scores[2], scores[4], scores[6]]
    # the same run without selection ends with the last step's rows, which differ when the best was earlier
    plain, _ = heal_tiny(pair, cfg(steps=6, lr=0.3, schedule="linear"))
    same = torch.equal(plain.get_input_embeddings().weight, model.get_input_embeddings().weight)
    assert same == (sel["best_step"] == 6)


def test_selection_resumes_exactly(pair, tmp_path):
    full, rep_a = _select_run(pair, tmp_path, "a")
    with pytest.raises(KeyboardInterrupt):
        _select_run(pair, tmp_path, "b", cfg={"save_every": 3}, on_step=interrupt_at(3))
    with pytest.raises(InputError, match="resume=True with changed settings: select_every"):
        _select_run(pair, tmp_path, "b", cfg={"save_every": 3, "select_every": 3}, resume=True)
    resumed, rep_b = _select_run(pair, tmp_path, "b", cfg={"save_every": 3}, resume=True)
    assert torch.equal(full.get_input_embeddings().weight, resumed.get_input_embeddings().weight)
    assert rep_a["selection"] == rep_b["selection"]


def test_selection_needs_its_own_text(pair, tmp_path):
    teacher, old, student, new = pair
    args = ((copy.deepcopy(student), new), {"en": CORPUS})
    kw = dict(teacher=(teacher, old), eval_texts=HELD, progress=False)
    with pytest.raises(InputError, match="select_every=2 needs selection text"):
        heal_model(*args, config=cfg(select_every=2), **kw)
    with pytest.raises(InputError, match="selection line.* also evaluation lines"):
        heal_model(*args, config=cfg(select_every=2), select_texts=HELD, **kw)
    with pytest.raises(InputError, match="select_every is 0"):
        heal_model(*args, config=cfg(), select_texts=SELECT, **kw)
    with pytest.raises(InputError, match="select_every must be 0"):
        cfg(select_every=-1)


def test_heal_command_selects_on_its_own_text(pair, tmp_path, capsys):
    from tokforge_cli.main import main

    tdir, sdir, corpus, held = transplanted_dirs(pair, tmp_path)
    sel = tmp_path / "select.txt"
    sel.write_text("\n".join(SELECT["en"]) + "\n")
    out = tmp_path / "out"
    base = ["heal", str(sdir), "--out", str(out), "--corpus", str(corpus), "--eval", str(held), "--seq-bytes", "96"]
    base += ["--steps", "4", "--batch-size", "2", "--lr", "0.3", "--precision", "fp32"]
    capsys.readouterr()
    assert main(base + ["--select", str(sel), "--select-every", "0"]) == 2  # a selection file, selection off
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "select_every is 0" in err and not out.exists()
    assert main(base + ["--select", str(held), "--select-every", "2"]) == 2
    assert "also evaluation lines" in capsys.readouterr().err and not out.exists()
    assert main(base + ["--calibrate-by", "length"]) == 2  # an unknown grouping
    assert "'length' is not one of 'shared', 'pieces'" in capsys.readouterr().err and not out.exists()
    assert main(base + ["--select", str(sel), "--select-every", "2", "--calibrate-by", "pieces"]) == 0
    printed = capsys.readouterr().out
    rep = json.loads((out / "heal_report.json").read_text())
    assert rep["config"]["calibrate_by"] == "pieces" and len(rep["calibration"]["groups"]) == 5
    assert [h["step"] for h in rep["selection"]["history"]] == [0, 2, 4]
    assert rep["selection"]["texts"].startswith(str(sel))
    assert f"kept the rows of step {rep['selection']['best_step']} of 4" in printed


# -- the public entry point: heal_model, HealConfig, HealResult ----------------------------------------------
@pytest.mark.parametrize(
    "bad, match",
    [
        ({"loss": "kl"}, "unknown heal loss 'kl'"),
        ({"steps": 0}, "heal needs steps"),
        ({"minutes": -1.0}, "minutes must be positive"),
        ({"train": "head"}, "unknown train mode 'head'"),
        ({"lr": 0.0}, "lr must be positive"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"heldout": 1.0}, "held-out fraction"),
        ({"seq_bytes": 8}, "at least 16 bytes"),
        ({"eval": "fast"}, "eval must be an EvalConfig"),
        ({"calibrator_lr": 0.0}, "calibrator_lr must be positive"),
        ({"calibrator_lr": -1e-3}, "calibrator_lr must be positive"),
        ({"calibrator_lr": float("nan")}, "calibrator_lr must be positive"),
        ({"calibrator_lr": "fast"}, "calibrator_lr must be positive"),
        ({"calibrator": "yes"}, "calibrator must be True or False"),
    ],
)
def test_heal_config_refuses_a_bad_value_when_it_is_made(bad, match):
    from tokforge.errors import TokforgeError

    with pytest.raises(TokforgeError, match=match):
        HealConfig(**bad)
    with pytest.raises(dataclasses_frozen_error()):
        HealConfig().lr = 1.0  # frozen


def dataclasses_frozen_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_every_loss_name_has_a_function():
    from tokforge.heal.config import LOSS_NAMES

    assert tuple(L.LOSSES) == LOSS_NAMES and all(callable(f) for f in L.LOSSES.values())


def test_heal_model_errors_name_python_parameters(pair, tmp_path):
    teacher, old, student, new = pair
    with pytest.raises(InputError, match=r"pass teacher=MODEL"):
        heal_model((student, new), {"en": CORPUS}, config=cfg(), eval_texts=HELD, progress=False)
    with pytest.raises(InputError, match=r"resume=True needs out="):
        heal_model((student, new), {"en": CORPUS}, teacher=(teacher, old), resume=True, progress=False)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("")
    with pytest.raises(InputError, match=r"pass force=True"):
        heal_model((student, new), {"en": CORPUS}, teacher=(teacher, old), out=tmp_path / "x", progress=False)
    with pytest.raises(InputError, match=r"model must be a built-in name"):
        heal_model(42, {"en": CORPUS}, teacher=(teacher, old), progress=False)


def test_heal_model_takes_a_transplanted_folder_and_defaults_the_teacher(pair, tmp_path):
    """A folder from `tokforge transplant`: its original is the teacher; a result object with the
    transplant's report works the same way; the result saves to a folder that reloads."""
    from types import SimpleNamespace

    from transformers import AutoModelForCausalLM

    from tokforge import load_tokenizer

    tdir, sdir, _, _ = transplanted_dirs(pair, tmp_path)
    res = heal_model(sdir, {"en": CORPUS}, config=cfg(steps=2), eval_texts=HELD, progress=False)
    assert res.report["teacher"] == str(tdir) and res.report["student"] == str(sdir)
    assert res.report["steps"] == 2 and res.report["transplant"]["method"] == "fvt"
    assert len(res.files["log.jsonl"].splitlines()) == 2
    saved = res.save(tmp_path / "healed")
    assert {"heal_report.json", "log.jsonl", "model.safetensors", "config.json"} <= {p.name for p in saved.iterdir()}
    back = AutoModelForCausalLM.from_pretrained(saved)
    assert torch.equal(back.get_input_embeddings().weight, res.model.get_input_embeddings().weight)
    assert load_tokenizer(saved).vocab.fingerprint() == res.tokenizer.vocab.fingerprint()
    assert json.loads((saved / "heal_report.json").read_text())["steps"] == 2
    with pytest.raises(InputError, match="already exists"):
        res.save(saved)
    res.save(saved, force=True)
    # an in-memory transplant result (model, tokenizer, report) names its original too
    report = json.loads((sdir / "transplant_report.json").read_text())
    student = SimpleNamespace(model=copy.deepcopy(pair[2]), tokenizer=pair[3], report=report)
    again = heal_model(student, {"en": CORPUS}, config=cfg(steps=1), eval_texts=HELD, progress=False)
    assert again.report["steps"] == 1
    with pytest.raises(InputError, match="not the original recorded"):
        heal_model(student, {"en": CORPUS}, teacher=(pair[2], pair[3]), eval_texts=HELD, progress=False)


# -- the shared calibrator (HealConfig(calibrator=True)) ------------------------------------------------------
def untied(model):
    """``model`` with its own copy of the LM head (an untied model)."""
    model.config.tie_word_embeddings = False
    model.lm_head.weight = torch.nn.Parameter(model.lm_head.weight.detach().clone())
    return model


def noncopied(pair) -> np.ndarray:
    from tokforge.heal.api import calibrated_rows
    from tokforge.surgery.plan import match_by_bytes

    _, old, _, new = pair
    return calibrated_rows(new.vocab, match_by_bytes(old.vocab, new.vocab)[0])


@pytest.mark.parametrize("tie", [True, False])
def test_calibrator_at_step_zero_changes_nothing(pair, tie):
    """Zero-initialised maps: the wrapped model's logits are the model's own, bit for bit, on a short input
    (the extra head product) and on a long one (the calibrated table); with trained maps both ways agree
    with a model whose rows hold r + rW + b."""
    from tokforge.heal.calibrator import bake
    from tokforge.heal.student import Student

    _, _, student, new = pair
    plain = copy.deepcopy(student) if tie else untied(copy.deepcopy(student))
    m = copy.deepcopy(plain)
    rows = noncopied(pair)
    st = Student(m, torch.as_tensor(rows), None if tie else torch.as_tensor(rows), calibrated=rows)
    assert len(st.calibrators) == (1 if tie else 2) and len(st.calibrator_params()) == (2 if tie else 4)
    assert not {id(p) for p in st.calibrator_params()} & {id(p) for p in st.body_params()}
    d = plain.config.hidden_size
    short = torch.tensor([new.encode("the cat")[:8]])
    long = torch.tensor([(new.encode(" ".join(CORPUS[:3])) * 4)[: 2 * d]])
    assert short.numel() <= d < long.numel()
    with torch.no_grad():
        for ids in (short, long):
            assert torch.equal(m(input_ids=ids).logits, plain(input_ids=ids).logits)
        g = torch.Generator().manual_seed(0)
        for c in st.calibrators:  # trained maps: both ways of the head, and the baked rows, agree
            c.W.copy_(0.05 * torch.randn(c.W.shape, generator=g))
            c.b.copy_(0.05 * torch.randn(c.b.shape, generator=g))
        wrapped = [m(input_ids=ids).logits for ids in (short, long)]
        baked = bake(m)
        assert type(m.get_input_embeddings()) is type(plain.get_input_embeddings())
        assert (m.lm_head.weight is m.get_input_embeddings().weight) == tie
        for ids, z in zip((short, long), wrapped):
            assert torch.allclose(m(input_ids=ids).logits, z, atol=1e-5)
    assert [b["side"] for b in baked] == (["input+output"] if tie else ["input", "output"])


def test_calibrator_keeps_an_embedding_scale():
    """A module that scales its rows (Gemma-3's ``embed_scale``): the map applies before the scale."""
    from tokforge.heal.calibrator import CalibratedEmbedding, Calibrator, _scale_of

    class Scaled(torch.nn.Embedding):
        embed_scale = 3.0

        def forward(self, ids):
            return super().forward(ids) * self.embed_scale

    emb = Scaled(6, 4)
    cal = Calibrator(4)
    with torch.no_grad():
        cal.W.normal_()
        cal.b.normal_()
    mask = torch.tensor([False, True, True, False, True, False])
    ids = torch.tensor([[0, 1, 2, 5]])
    got = CalibratedEmbedding(emb, cal, mask, _scale_of(emb))(ids)
    r = emb.weight[ids[0]]
    want = torch.where(mask[ids[0]][:, None], 3.0 * (r + r @ cal.W + cal.b[0]), 3.0 * r)
    assert torch.allclose(got[0], want, atol=1e-5) and torch.equal(got[0, 0], 3.0 * r[0])

    class Squared(torch.nn.Embedding):
        def forward(self, ids):
            return super().forward(ids) ** 2

    with pytest.raises(InputError, match="does more than scale its rows"):
        _scale_of(Squared(6, 4))


def capture_maps(monkeypatch, ids):
    """Record the calibrator's maps and the wrapped model's logits on ``ids`` just before `merge` folds them."""
    from tokforge.heal.student import Student

    seen = {}
    merge = Student.merge

    def spy(self):
        seen["maps"] = [(c.W.detach().clone(), c.b.detach().clone()) for c in self.calibrators]
        with torch.no_grad():
            seen["logits"] = self.model(input_ids=ids).logits
        return merge(self)

    monkeypatch.setattr(Student, "merge", spy)
    return seen


def test_rows_no_text_shows_move_only_through_the_calibrator(pair, tmp_path, monkeypatch):
    """rows="seen" with the calibrator: a non-copied row whose bytes the training text never holds ends as
    r + rW + b; copied rows stay bit-identical; the model stays tied, and its saved folder reloads with
    the healed model's logits (equal to the wrapped model's before the maps were folded in)."""
    from transformers import AutoModelForCausalLM

    _, _, student, new = pair
    train = CORPUS[1:4] * 6  # without TEXT: the rows of some new tokens are never shown
    text = "\n".join(train).encode()
    rows = noncopied(pair)
    calibrated = torch.zeros(len(new.vocab), dtype=torch.bool)
    calibrated[rows] = True
    absent = torch.tensor([new.vocab.tokens[i] not in text for i in range(len(new.vocab))]) & calibrated
    assert absent.sum() > 3
    ids = torch.tensor([new.encode("Tokenizers read the cat.")])
    seen = capture_maps(monkeypatch, ids)
    before = student.get_input_embeddings().weight.detach().clone()
    teacher, old = pair[0], pair[1]
    c = cfg(steps=3, loss="lm", calibrate=0, calibrator=True, calibrator_lr=1e-2)
    res = heal_model(
        (copy.deepcopy(student), new),
        {"en": train},
        teacher=(teacher, old),
        config=c,
        eval_texts=HELD,
        out=tmp_path / "h",
        progress=False,
    )
    model, rep = res.model, res.report
    after = model.get_input_embeddings().weight.detach()
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight  # tied stays tied
    assert torch.equal(after[~calibrated], before[~calibrated])  # copied rows: bit-identical
    ((W, b),) = seen["maps"]
    assert float(W.abs().max()) > 0 and float(b.abs().max()) > 0
    r = before[absent]
    assert torch.allclose(after[absent], r + r @ W + b[0], rtol=0, atol=1e-6)
    assert ((after[absent] - r).norm(dim=1) > 0).all()
    with torch.no_grad():
        assert torch.allclose(model(input_ids=ids).logits, seen["logits"], atol=1e-5)
        re = AutoModelForCausalLM.from_pretrained(tmp_path / "h").eval()
        assert re.get_output_embeddings().weight.data_ptr() == re.get_input_embeddings().weight.data_ptr()
        assert torch.equal(re(input_ids=ids).logits, model(input_ids=ids).logits)
    cal = rep["calibrator"]
    assert cal["on"] and cal["lr"] == 1e-2 and rep["config"]["calibrator"]
    (m,) = cal["maps"]
    assert m["side"] == "input+output" and m["rows"] == len(rows) and m["W_norm"] == round(float(W.norm()), 6)
    assert m["never_shown_rows"] >= int(absent.sum()) and m["mean_relative_change_never_shown"] > 0


def test_untied_model_gets_a_map_for_its_head(pair, tmp_path):
    from transformers import AutoModelForCausalLM

    teacher, old, student, new = pair
    c = cfg(steps=2, calibrate=0, calibrator=True, calibrator_lr=1e-2)
    res = heal_model(
        (untied(copy.deepcopy(student)), new),
        {"en": CORPUS},
        teacher=(teacher, old),
        config=c,
        eval_texts=HELD,
        out=tmp_path / "u",
        progress=False,
    )
    model = res.model
    assert model.lm_head.weight.data_ptr() != model.get_input_embeddings().weight.data_ptr()
    assert [m["side"] for m in res.report["calibrator"]["maps"]] == ["input", "output"]
    assert all(m["W_norm"] > 0 for m in res.report["calibrator"]["maps"])
    ids = torch.tensor([new.encode("the cat")])
    with torch.no_grad():
        re = AutoModelForCausalLM.from_pretrained(tmp_path / "u").eval()
        assert torch.equal(re(input_ids=ids).logits, model(input_ids=ids).logits)
    off = heal_tiny(pair, cfg(steps=1))[1]["calibrator"]
    assert off == {"on": False, "lr": HealConfig().calibrator_lr}


def test_resume_with_the_calibrator_continues_exactly(pair, tmp_path):
    """Interrupted and resumed == uninterrupted, bit for bit (the maps and their Adam state are in the
    checkpoint); the calibrator's settings must match to resume."""
    teacher, old, student, new = pair
    c = cfg(steps=4, schedule="linear", calibrator=True, calibrator_lr=1e-2)

    def go(out, config=c, **kw):
        return heal_model(
            (copy.deepcopy(student), new),
            {"en": CORPUS},
            teacher=(teacher, old),
            config=config,
            eval_texts=HELD,
            out=tmp_path / out,
            progress=False,
            **kw,
        )

    full = go("a")
    with pytest.raises(KeyboardInterrupt):
        go("b", on_step=interrupt_at(2))
    without = cfg(steps=4, schedule="linear", calibrator_lr=1e-2)
    for other, name in ((without, "calibrator"), (dataclasses_replace(c, 2e-2), "calibrator_lr")):
        with pytest.raises(InputError, match=rf"resume=True with changed settings: {name} \("):
            go("b", config=other, resume=True)
    resumed = go("b", resume=True)
    assert torch.equal(full.model.get_input_embeddings().weight, resumed.model.get_input_embeddings().weight)
    assert full.report["calibrator"] == resumed.report["calibrator"]
    strip = lambda ln: {k: v for k, v in json.loads(ln).items() if k != "seconds"}  # noqa: E731
    log_a, log_b = ((tmp_path / d / "log.jsonl").read_text().splitlines() for d in "ab")
    assert [strip(x) for x in log_a] == [strip(x) for x in log_b]


def dataclasses_replace(c: HealConfig, calibrator_lr: float) -> HealConfig:
    import dataclasses

    return dataclasses.replace(c, calibrator_lr=calibrator_lr)


def test_heal_defaults_are_what_the_bench_chose():
    """lm, row lr 5e-3, calibration on; the command line scores --select every 6 steps unless told."""
    from tokforge_cli.commands.heal import select_every_of

    d = HealConfig()
    assert (d.loss, d.lr, d.calibrate, d.calibrator) == ("lm", 5e-3, 16, False)
    assert select_every_of(None, True) == 6 and select_every_of(None, False) == 0 and select_every_of(0, True) == 0
