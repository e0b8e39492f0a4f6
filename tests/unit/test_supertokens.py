"""Tiny synthetic tests (the real-artifact ones: tests/real/test_supertokens_real.py). Supertokens: hand-
checkable merges on tiny corpora, controls, export/reload, bad input."""

from __future__ import annotations

import json

import pytest

from tokforge import load_tokenizer
from tokforge.errors import InputError, UnknownNameError
from tokforge.supertokens import pretok
from tokforge.supertokens.merges import MergeLearner
from tokforge.supertokens.train import SuperConfig, checked_lines, stage2_learn, train_bpe
from tokforge.supertokens.trainer import train_supertokens


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def new_tokens(tok, base_size):
    return [tok.vocab.tokens[i] for i in range(base_size, len(tok.vocab))]


def test_tiny_corpus_merges_by_hand(tmp_path):
    # pieces: "ab" x5, " ab" x15 -> stage 1 (t=259): (a,b) then (Ġ,ab).
    # chunks: "ab ab ab ab" x5 = [ab, Ġab, Ġab, Ġab] -> (Ġab,Ġab) 10x, then the tie
    # (ab, ĠabĠab) 5x vs (ĠabĠab, Ġab) 5x breaks on the smaller ids -> "ab ab ab".
    f = write(tmp_path, "c.txt", "ab ab ab ab\n" * 5)
    tok = train_supertokens([f], 261, config=SuperConfig(transition=259), out=tmp_path / "st", progress=False)
    merges = json.loads((tmp_path / "st" / "tokenizer.json").read_text())["model"]["merges"]
    assert merges == [["a", "b"], ["Ġ", "ab"], ["Ġab", "Ġab"], ["ab", "ĠabĠab"]]
    ids = tok.encode("ab ab ab ab")
    assert [tok.vocab.tokens[i] for i in ids] == [b"ab ab ab", b" ab"]


def test_max_words_blocks_longer_supertokens(tmp_path):
    f = write(tmp_path, "c.txt", "ab ab ab ab\n" * 5)
    tok = train_supertokens([f], 261, config=SuperConfig(transition=259, max_words=2), progress=False)
    assert new_tokens(tok, 259) == [b" ab ab"]  # the 3-word merges are refused; nothing else occurs twice


def test_merge_filter_hook_and_controls(tmp_path):
    text = "the cat sat. the cat sat. 12 12 cats\nthe dog, the dog; the cat sat.\n" * 20
    f = write(tmp_path, "c.txt", text)
    seen = []

    def no_dog(a, b):
        seen.append((a, b))
        return b"dog" not in a + b or b" " not in (a + b).strip()

    tok = train_supertokens([f], 330, config=SuperConfig(transition=280, merge_filter=no_dog), progress=False)
    multi = [t for t in tok.vocab.tokens if pretok.word_count(t) > 1]
    assert seen and b" the cat sat" in multi
    for t in multi:
        assert b"\n" not in t and b"." not in t and not any(c in t for c in b"0123456789"), t
        assert not (b"dog" in t and pretok.word_count(t) > 1), t
        assert pretok.word_count(t) <= 4


def test_learner_matches_exported_encoding(tmp_path):
    """What stage 2 learned for each training chunk is what the exported tokenizer produces."""
    f = write(tmp_path, "c.txt", "to be or not to be, that is the question\nto be, or not to be: aye\n" * 8)
    cfg = SuperConfig(transition=290)
    base = train_bpe(checked_lines([f]), 290, pretok.stage1_pretokenizer(), progress=False)
    learner, chunks, _ = stage2_learn(base, checked_lines([f]), 320 - base.get_vocab_size(), cfg, digits=True)
    tok = train_supertokens([f], 320, config=cfg, progress=False)
    assert [tok.encode(c) for c in chunks] == learner.seqs
    assert any(pretok.word_count(learner.tokens[i]) > 1 for s in learner.seqs for i in s)


def test_stage1_agreement_catches_merges_across_space_runs(tmp_path):
    """Stage 1 sees "ab", "   ", " ab" (3-space run, then a word); merged as one string the four
    spaces pair up as ĠĠ ĠĠ and Ġab never forms. The chunk pre-tokenizer keeps stage 1 intact."""
    from tokforge.supertokens.report import stage1_agreement

    f = write(tmp_path, "c.txt", "ab    ab\n" * 10)
    stage1 = train_bpe(checked_lines([f]), 261, pretok.stage1_pretokenizer(), progress=False)
    spec = json.loads(stage1.to_str())
    spec["pre_tokenizer"] = json.loads(pretok.chunk_pretokenizer().__getstate__())
    n = len(spec["model"]["merges"])
    assert stage1_agreement(spec, n, stage1, ["ab    ab", "ab ab"]) == 1.0
    spec["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
    assert stage1_agreement(spec, n, stage1, ["ab    ab", "ab ab"]) == 0.5


def naive_merges(seqs, counts, tokens, n_new):
    """Reference: recount every pair before each merge; ties go to the smaller (left, right) ids;
    a merge whose bytes already name a token reuses that id (as MergeLearner does)."""
    seqs, tokens, out, added = [list(x) for x in seqs], list(tokens), [], 0
    while added < n_new:
        pc = {}
        for s, c in zip(seqs, counts):
            for q in zip(s, s[1:]):
                pc[q] = pc.get(q, 0) + c
        best = min((q for q in pc if pc[q] >= 2), key=lambda q: (-pc[q], q), default=None)
        if best is None:
            break
        b = tokens[best[0]] + tokens[best[1]]
        if b in tokens:
            new = tokens.index(b)
        else:
            new, added = len(tokens), added + 1
            tokens.append(b)
        for k, s in enumerate(seqs):
            r, j = [], 0
            while j < len(s):
                if j + 1 < len(s) and (s[j], s[j + 1]) == best:
                    r.append(new)
                    j += 2
                else:
                    r.append(s[j])
                    j += 1
            seqs[k] = r
        out.append(best)
    return out, seqs


@pytest.mark.parametrize("seed", range(8))
def test_incremental_learner_equals_naive_recount(seed):
    import random

    rng = random.Random(seed)
    seqs = [[rng.randrange(4) for _ in range(rng.randint(1, 12))] for _ in range(40)]
    counts = [rng.randint(1, 5) for _ in seqs]
    tokens = [b"a", b"b", b"ab", b"c"]  # "a"+"b" names an existing token: the id is reused
    m = MergeLearner([list(x) for x in seqs], counts, tokens)
    got = m.learn(25)
    want, want_seqs = naive_merges(seqs, counts, tokens, 25)
    assert got == want and m.seqs == want_seqs and len(got) >= 10


def test_merge_learner_doc_example_and_frozen():
    m = MergeLearner([[0, 1, 0, 1]], [3], [b"a", b"b"], frozen={1})
    assert m.learn(1) == []  # every pair touches the frozen id


def test_count_pretokens_prunes_singletons_when_over_bound():
    pre = pretok.chunk_pretokenizer(byte_level=False)
    lines = ["alpha beta\n", "alpha beta\n", "gamma\n", "delta\n", "epsilon\n"]
    c = pretok.count_pretokens(lines, pre, max_unique=3)
    # "\n", "alpha beta", "gamma", "delta" = 4 > 3 distinct: the singletons gamma, delta are dropped
    assert c == {"\n": 5, "alpha beta": 2, "epsilon": 1}


def test_chunk_edges_are_stage1_edges():
    text = "First Citizen:\nWe're  told, 1234 times -- it's x,-- y. 'Tis well-known!\n"
    chunk = [p for p, _ in pretok.chunk_pretokenizer().pre_tokenize_str(text)]
    stage1 = [p for p, _ in pretok.stage1_pretokenizer().pre_tokenize_str(text)]
    assert "".join(chunk) == "".join(stage1)
    edges = lambda ps: {sum(len(p) for p in ps[:i]) for i in range(len(ps) + 1)}  # noqa: E731
    assert edges(chunk) <= edges(stage1)
    assert chunk[:3] == ["FirstĠCitizen:", "Ċ", "We're"] and "Ġ'TisĠwell-known" in chunk and "!" in chunk


def test_end_punct_closes_but_never_opens_a_chunk():
    pre = pretok.chunk_pretokenizer(end_punct=".!?", byte_level=False, digits=False)
    got = [p for p, _ in pre.pre_tokenize_str("Aye, my lord.' Go?! now. 3.5")]
    assert got == ["Aye, my lord.'", " Go?!", " now.", " 3", ".", "5"]
    with pytest.raises(InputError):
        pretok.chunk_regex(inner_punct=" ")


def test_chunked_method_is_seeded(tmp_path):
    f = write(tmp_path, "c.txt", "the cat sat on the mat and the dog sat on the log\n" * 30)
    a = train_supertokens([f], 320, config=SuperConfig(method="chunked", seed=1), progress=False)
    b = train_supertokens([f], 320, config=SuperConfig(method="chunked", seed=1), progress=False)
    c = train_supertokens([f], 320, config=SuperConfig(method="chunked", seed=2), progress=False)
    assert a.vocab.tokens == b.vocab.tokens and a.vocab.tokens != c.vocab.tokens
    assert any(pretok.word_count(t) > 1 for t in a.vocab.tokens)
    assert max(pretok.word_count(t) for t in a.vocab.tokens) <= 4


@pytest.mark.parametrize(
    "make, kw, msg",
    [
        (lambda d: [write(d, "e.txt", "\n  \n")], {}, "corpus is empty"),
        (lambda d: [write(d, "c.txt", "a b\n")], {"transition": 400}, "transition size 400"),
        (lambda d: [d / "missing.txt"], {}, "corpus file not found"),
        (lambda d: [d], {}, "corpus file not found"),
        (lambda d: [(d / "bin.txt").write_bytes(b"ok\n\xff\xfe") and d / "bin.txt"], {}, "not UTF-8"),
        (lambda d: [write(d, "c.txt", "a b\n")], {"method": "wordpiece"}, "unknown supertoken method"),
        (lambda d: [write(d, "c.txt", "a b\n")], {"max_words": 0}, "max_words must be at least 1"),
        (lambda d: [write(d, "c.txt", "a b\n")], {"method": "chunked", "base": "gpt2"}, "superbpe only"),
        (lambda d: [], {}, "no corpus files"),
    ],
)
def test_bad_input_one_line_errors(tmp_path, make, kw, msg):
    with pytest.raises((InputError, UnknownNameError)) as e:
        train_supertokens(make(tmp_path), 400, config=SuperConfig(**kw), out=tmp_path / "out", progress=False)
    assert msg in str(e.value) and "\n" not in str(e.value)
    assert not (tmp_path / "out").exists()


def test_cli_train_report_and_errors(tmp_path):
    from tokforge_cli.main import main

    f = write(tmp_path, "c.txt", "my good lord, my good lord. I pray you, my lord\n" * 20)
    h = write(tmp_path, "h.txt", "my good lord, I pray you.\n")
    out = tmp_path / "st"
    assert (
        main(
            [
                "supertokens",
                "train",
                str(f),
                "--vocab-size",
                "320",
                "--transition",
                "300",
                "--out",
                str(out),
                "--heldout",
                str(h),
            ]
        )
        == 0
    )
    assert load_tokenizer(out).encode("my good lord") and (out / "supertokens.json").is_file()
    assert main(["supertokens", "report", str(out), "--heldout", str(h)]) == 0
    assert (
        main(
            ["supertokens", "train", str(f), "--vocab-size", "320", "--transition", "320", "--out", str(tmp_path / "x")]
        )
        == 2
    )
    assert (
        main(["supertokens", "train", str(tmp_path / "nope.txt"), "--vocab-size", "320", "--out", str(tmp_path / "y")])
        == 2
    )
    assert main(["supertokens", "train", str(f), "--vocab-size", "320", "--out", str(out)]) == 2  # exists, no --force
    (tmp_path / "empty").mkdir()  # an empty folder is no conflict (it used to fail after training)
    assert (
        main(
            [
                "supertokens",
                "train",
                str(f),
                "--vocab-size",
                "320",
                "--transition",
                "300",
                "--out",
                str(tmp_path / "empty"),
            ]
        )
        == 0
    )


def test_cli_filter_hook(tmp_path, monkeypatch):
    from tokforge_cli.main import main

    (tmp_path / "stfilter.py").write_text("def no_lord(a, b):\n    return b'lord' not in a + b\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    f = write(tmp_path, "c.txt", "my good lord, my good lord. I pray you, my lord\n" * 20)
    out = tmp_path / "st"
    assert (
        main(
            [
                "supertokens",
                "train",
                str(f),
                "--vocab-size",
                "320",
                "--transition",
                "290",
                "--out",
                str(out),
                "--filter",
                "stfilter:no_lord",
            ]
        )
        == 0
    )
    multi = [t for t in load_tokenizer(out).vocab.tokens if pretok.word_count(t) > 1]
    assert multi and not any(b"lord" in t for t in multi)
    assert (
        main(
            [
                "supertokens",
                "train",
                str(f),
                "--vocab-size",
                "320",
                "--out",
                str(tmp_path / "z"),
                "--filter",
                "stfilter:nope",
            ]
        )
        == 2
    )


def test_super_config_is_frozen_and_checked_on_construction():
    import dataclasses

    cfg = SuperConfig(transition=290, special_tokens=["<s>"])
    assert cfg.special_tokens == ("<s>",) and cfg.method.value == "superbpe" and cfg.inner_punct
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.max_words = 2
    with pytest.raises(InputError, match="min_frequency must be at least 1"):
        SuperConfig(min_frequency=0)
    with pytest.raises(InputError, match="merge_filter must be a callable"):
        SuperConfig(merge_filter="module:function")
    with pytest.raises(InputError, match="config must be a SuperConfig"):
        train_supertokens(["x.txt"], 300, config={"transition": 280})
