"""Training supertoken tokenizers with the stock ``tokenizers`` package.

* ``superbpe`` (Liu et al. 2025): stage 1 is ordinary byte-level BPE (HF trainer, whitespace
  pre-tokenization) up to ``transition`` tokens; stage 2 continues with our own merge learner
  (`merges.MergeLearner`) over counted stage-2 chunks (`pretok.chunk_regex`), each chunk starting
  from its stage-1 segmentation. The merges list is the stage-1 merges, unchanged, then stage 2's.
* ``chunked`` (TokenAdapt's SuperTokenizer idea): chunks are cut into pieces of 1..max_words
  words at seeded-random places and one BPE is trained on those pieces by the HF trainer.
* `extend_tokenizer`: stage 2 on top of an existing byte-level tokenizer.json.

The corpus is streamed: only counts of distinct pre-tokens are held in memory.
"""

from __future__ import annotations

import enum
import json
import os
import random
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

from ..errors import InputError
from ..registry import get as registry_get
from ..vocab import bytelevel
from . import pretok
from .merges import MergeFilter, MergeLearner

SPECIALS = ["<|endoftext|>"]


class Method(str, enum.Enum):
    SUPERBPE = "superbpe"
    CHUNKED = "chunked"


@dataclass
class SuperConfig:
    """Training choices. ``transition`` defaults to ``DEFAULT_TRANSITION`` x ``vocab_size`` (superbpe)."""

    vocab_size: int
    transition: int | None = None
    method: Method = Method.SUPERBPE
    max_words: int = 4
    inner_punct: str = pretok.DEFAULT_INNER_PUNCT
    end_punct: str = pretok.DEFAULT_END_PUNCT
    merge_filter: MergeFilter | None = None
    seed: int = 0
    min_frequency: int = 2
    special_tokens: list[str] = field(default_factory=lambda: list(SPECIALS))
    max_unique_chunks: int = 2_000_000
    progress: bool = True
    stage1_size: int | None = None  # set by training: the stage-1 vocabulary actually reached

    @property
    def transition_size(self) -> int:
        return self.transition if self.transition is not None else int(self.vocab_size * DEFAULT_TRANSITION)

    def check(self, stage1: bool = True) -> None:
        """Validate; ``stage1=False`` when extending a tokenizer (no transition size then)."""
        self.method = Method(self.method)
        floor = 256 + len(self.special_tokens)
        if self.vocab_size <= floor + 1:
            raise InputError(
                f"vocab size {self.vocab_size} is too small",
                fix=f"use more than {floor + 1} (256 bytes + specials + merges)",
            )
        t = self.transition_size
        if stage1 and self.method is Method.SUPERBPE and not floor < t < self.vocab_size:
            raise InputError(
                f"transition size {t} must be above {floor} and below the vocab size {self.vocab_size}",
                fix="pass --transition T with T < --vocab-size",
            )
        if self.max_words < 1:
            raise InputError(f"max words per supertoken must be at least 1, got {self.max_words}")
        pretok.chunk_regex(self.inner_punct, self.end_punct)  # validates the characters


DEFAULT_TRANSITION = 0.8


def stage2_filter(max_words: int, user: MergeFilter | None = None) -> MergeFilter:
    """At most ``max_words`` words per token, then the user's hook ``user(left, right) -> bool``.

    >>> f = stage2_filter(2)
    >>> f(b" of", b" the"), f(b" of the", b" king")
    (True, False)
    """

    def allow(a: bytes, b: bytes) -> bool:
        return pretok.word_count(a + b) <= max_words and (user is None or bool(user(a, b)))

    return allow


def checked_lines(paths) -> Iterator[str]:
    """Stream the corpus lines; an all-blank corpus is an error (raised when the stream ends)."""
    where = ", ".join(str(p) for p in paths) or "(no files)"
    seen = False
    for ln in pretok.iter_lines(paths):
        seen = seen or bool(ln.strip())
        yield ln
    if not seen:
        raise InputError("corpus is empty (no non-blank line)", where=where, fix="pass text files with content")


def train_bpe(
    lines: Iterable[str],
    vocab_size: int,
    pre_tokenizer,
    special_tokens=SPECIALS,
    min_frequency: int = 2,
    progress: bool = False,
):
    """Plain byte-level BPE with the stock HF trainer; returns a ``tokenizers.Tokenizer``."""
    from tokenizers import Tokenizer, decoders, models, trainers
    from tokenizers import pre_tokenizers as pt

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(special_tokens),
        min_frequency=min_frequency,
        initial_alphabet=pt.ByteLevel.alphabet(),
        progress=progress,
    )
    tok.train_from_iterator(lines, trainer)
    return tok


def base_digits(spec: dict) -> bool:
    """Whether a byte-level tokenizer.json's pre-tokenizer is GPT-2's regex (with or without
    single digits), the stage-1 shape stage 2 can extend; anything else is refused."""
    pre = spec.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    kinds = [(s.get("type"), s.get("individual_digits"), s.get("use_regex"), s.get("add_prefix_space")) for s in steps]
    if kinds == [("ByteLevel", None, True, False)]:
        return False
    if kinds == [("Digits", True, None, None), ("ByteLevel", None, True, False)]:
        return True
    raise InputError(
        "can only extend byte-level BPE tokenizers with GPT-2's pre-tokenizer (optionally after single digits)",
        where=json.dumps(pre)[:120],
        fix="start from a GPT-2/SmolLM2-style tokenizer.json or train from scratch",
    )


def stage2_learn(base_tok, lines: Iterable[str], n_new: int, cfg: SuperConfig, digits: bool):
    """Count stage-2 chunks, start each from ``base_tok``'s segmentation, learn merges.

    Returns ``(learner, chunks, merges)``: ``learner.seqs[i]`` is the final segmentation of
    ``chunks[i]`` (the same one the exported tokenizer produces)."""
    from tqdm import tqdm

    from ..vocab import unbytelevel

    counter = pretok.chunk_pretokenizer(cfg.inner_punct, digits=digits, byte_level=False, end_punct=cfg.end_punct)
    counts = pretok.count_pretokens(lines, counter, cfg.max_unique_chunks)
    chunks = list(counts)
    seqs = [e.ids for e in base_tok.encode_batch(chunks, add_special_tokens=False)]
    size = base_tok.get_vocab_size(with_added_tokens=True)
    strs = {i: s for s, i in base_tok.get_vocab(with_added_tokens=True).items()}
    tokens = [unbytelevel(strs.get(i, "")) or b"" for i in range(size)]
    specials = set(base_tok.get_added_tokens_decoder())  # ids of added/special tokens
    learner = MergeLearner(
        seqs,
        [counts[c] for c in chunks],
        tokens,
        allow=stage2_filter(cfg.max_words, cfg.merge_filter),
        min_count=cfg.min_frequency,
        frozen=specials,
    )
    with tqdm(total=n_new, desc="stage-2 merges", disable=not cfg.progress, leave=False) as bar:
        merges = learner.learn(n_new, progress=bar)
    return learner, chunks, merges


def stage2(base_tok, lines: Iterable[str], n_new: int, cfg: SuperConfig) -> dict:
    """Stage 2 on top of ``base_tok`` (a ``tokenizers.Tokenizer``): a tokenizer.json dict with
    ``n_new`` more tokens (fewer if no allowed pair occurs ``min_frequency`` times)."""
    spec = json.loads(base_tok.to_str())
    if (spec.get("model") or {}).get("type") != "BPE":
        raise InputError("the base tokenizer is not BPE", fix="extend a byte-level BPE tokenizer.json")
    if spec["model"].get("ignore_merges"):
        raise InputError(
            "the base BPE has ignore_merges set (whole pre-tokens looked up first); its segmentation "
            "inside a multi-word chunk would change",
            fix="extend a GPT-2/SmolLM2-style tokenizer.json",
        )
    digits = base_digits(spec)
    learner, _, merges = stage2_learn(base_tok, lines, n_new, cfg, digits)
    size = base_tok.get_vocab_size(with_added_tokens=True)
    bl = bytelevel
    new_tokens = [bl(b) for b in learner.tokens[size:]]
    new_merges = [[bl(learner.tokens[a]), bl(learner.tokens[b])] for a, b in merges]
    return assemble(spec, new_tokens, new_merges, cfg, digits)


def assemble(
    base_spec: dict, new_tokens: list[str], new_merges: list[list[str]], cfg: SuperConfig, digits: bool
) -> dict:
    """A tokenizer.json dict: base vocab + new tokens, base merges + new merges, chunk pre-tokenizer."""
    spec = json.loads(json.dumps(base_spec))
    model = spec["model"]
    nxt = max(list(model["vocab"].values()) + [a["id"] for a in spec.get("added_tokens") or []]) + 1
    for s in new_tokens:
        if s not in model["vocab"]:
            model["vocab"][s] = nxt
            nxt += 1
    model["merges"] = [m.split(" ", 1) if isinstance(m, str) else list(m) for m in model["merges"]] + new_merges
    model["ignore_merges"] = False
    spec["pre_tokenizer"] = json.loads(
        pretok.chunk_pretokenizer(cfg.inner_punct, digits, end_punct=cfg.end_punct).__getstate__()
    )
    return spec


def train_superbpe(paths, cfg: SuperConfig) -> dict:
    """Stage 1 (HF trainer up to the transition size), then stage 2; returns tokenizer.json as a dict."""
    cfg.check()
    t = cfg.transition_size
    base = train_bpe(
        checked_lines(paths), t, pretok.stage1_pretokenizer(), cfg.special_tokens, cfg.min_frequency, cfg.progress
    )
    cfg.stage1_size = base.get_vocab_size(with_added_tokens=True)  # below t when stage 1 runs out of pairs
    return stage2(base, checked_lines(paths), cfg.vocab_size - cfg.stage1_size, cfg)


def extend_tokenizer(base_json: str, paths, cfg: SuperConfig) -> dict:
    """Add ``cfg.vocab_size - len(base)`` supertokens to an existing tokenizer.json (its merges kept)."""
    from ..loaders import load_tokenizer

    cfg.check(stage1=False)
    base = load_tokenizer(base_json).backend
    if not hasattr(base, "to_str"):
        raise InputError(
            "can only extend an HF tokenizer.json (byte-level BPE)",
            where=str(base_json),
            fix="convert the tokenizer to tokenizer.json first or train from scratch",
        )
    n = cfg.stage1_size = base.get_vocab_size(with_added_tokens=True)
    if cfg.vocab_size <= n:
        raise InputError(
            f"vocab size {cfg.vocab_size} is not above the base tokenizer's {n}",
            where=str(base_json),
            fix="pass --vocab-size larger than the base vocabulary",
        )
    return stage2(base, checked_lines(paths), cfg.vocab_size - n, cfg)


def random_chunks(lines: Iterable[str], pre, max_words: int, seed: int) -> Iterator[str]:
    """Cut every stage-2 chunk into pieces of 1..max_words words at seeded-random places.

    Words are the stage-1 pieces inside a chunk (split before each leading space)."""
    rng = random.Random(seed)
    for line in lines:
        for chunk, _ in pre.pre_tokenize_str(line):
            words = chunk.replace(" ", "\0 ").split("\0")
            i = 0
            while i < len(words):
                k = rng.randint(1, max_words)
                piece = "".join(words[i : i + k])
                if piece:
                    yield piece
                i += k


def train_chunked(paths, cfg: SuperConfig) -> dict:
    """One HF BPE over seeded-random word chunks; inference uses the stage-2 chunk pre-tokenizer."""
    from tokenizers import pre_tokenizers as pt

    cfg.check()
    pre = pretok.chunk_pretokenizer(cfg.inner_punct, digits=True, byte_level=False, end_punct=cfg.end_punct)
    pieces = random_chunks(checked_lines(paths), pre, cfg.max_words, cfg.seed)
    tok = train_bpe(
        pieces,
        cfg.vocab_size,
        pt.ByteLevel(add_prefix_space=False, use_regex=False),
        cfg.special_tokens,
        cfg.min_frequency,
        cfg.progress,
    )
    spec = json.loads(tok.to_str())
    spec["pre_tokenizer"] = json.loads(
        pretok.chunk_pretokenizer(cfg.inner_punct, True, end_punct=cfg.end_punct).__getstate__()
    )
    return spec


TRAINERS = {Method.SUPERBPE.value: train_superbpe, Method.CHUNKED.value: train_chunked}


def train_spec(corpus: Sequence[str | os.PathLike], cfg: SuperConfig, base: str | os.PathLike | None = None) -> dict:
    """The trained tokenizer.json as a dict (nothing written)."""
    if not corpus:
        raise InputError("no corpus files given", fix="pass one or more UTF-8 text files")
    if base is not None:
        if Method(cfg.method) is not Method.SUPERBPE:
            raise InputError(
                "extending a tokenizer works with method superbpe only", fix="drop --method chunked or --base"
            )
        return extend_tokenizer(str(base), list(corpus), cfg)
    return registry_get(TRAINERS, Method(cfg.method).value, "supertoken method")(list(corpus), cfg)
