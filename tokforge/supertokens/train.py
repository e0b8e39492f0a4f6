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
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from ..errors import InputError, UnknownNameError
from ..registry import get as registry_get
from ..vocab import bytelevel
from . import pretok
from .merges import MergeFilter, MergeLearner

SPECIALS = ["<|endoftext|>"]


class Method(str, enum.Enum):
    SUPERBPE = "superbpe"
    CHUNKED = "chunked"


DEFAULT_TRANSITION = 0.8


@dataclass(frozen=True)
class SuperConfig:
    """Training choices, checked on construction (the vocabulary size is `train_supertokens`'s argument).

    ``transition``: SuperBPE's stage-1 size (default ``DEFAULT_TRANSITION`` x vocab size). ``method``:
    ``"superbpe"`` or ``"chunked"``. ``max_words``: most words in one supertoken. ``inner_punct`` /
    ``end_punct``: punctuation allowed inside / at the end of a supertoken (None: the defaults).
    ``merge_filter``: a hook ``f(left: bytes, right: bytes) -> bool`` on every stage-2 merge. ``base``:
    extend this byte-level BPE tokenizer (anything `load_tokenizer` takes) instead of training stage 1.

    >>> SuperConfig(max_words=0)
    Traceback (most recent call last):
    ...
    tokforge.errors.InputError: max_words must be at least 1, got 0
    """

    transition: int | None = None
    method: Method = Method.SUPERBPE
    max_words: int = 4
    inner_punct: str | None = None
    end_punct: str | None = None
    merge_filter: MergeFilter | None = None
    seed: int = 0
    base: object = None
    min_frequency: int = 2
    special_tokens: tuple[str, ...] = tuple(SPECIALS)
    max_unique_chunks: int = 2_000_000

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        try:
            put("method", Method(self.method))
        except ValueError:
            raise UnknownNameError("supertoken method", str(self.method), [m.value for m in Method]) from None
        put("inner_punct", pretok.DEFAULT_INNER_PUNCT if self.inner_punct is None else self.inner_punct)
        put("end_punct", pretok.DEFAULT_END_PUNCT if self.end_punct is None else self.end_punct)
        put("special_tokens", tuple(self.special_tokens))
        for name in ("max_words", "min_frequency", "max_unique_chunks"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(f"{name} must be at least 1, got {v!r}")
        if self.transition is not None and (isinstance(self.transition, bool) or not isinstance(self.transition, int)):
            raise InputError(f"transition must be an integer or None, got {self.transition!r}")
        if self.merge_filter is not None and not callable(self.merge_filter):
            raise InputError("merge_filter must be a callable f(left: bytes, right: bytes) -> bool")
        if self.base is not None and self.method is not Method.SUPERBPE:
            raise InputError(
                "extending a tokenizer works with method superbpe only", fix='drop method="chunked" or base'
            )
        pretok.chunk_regex(self.inner_punct, self.end_punct)  # validates the characters

    def transition_size(self, vocab_size: int) -> int:
        return self.transition if self.transition is not None else int(vocab_size * DEFAULT_TRANSITION)

    def check_sizes(self, vocab_size: int, stage1: bool = True) -> None:
        """The checks that need the vocabulary size; ``stage1=False`` when extending a tokenizer."""
        floor = 256 + len(self.special_tokens)
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size <= floor + 1:
            raise InputError(
                f"vocab size {vocab_size} is too small",
                fix=f"use more than {floor + 1} (256 bytes + specials + merges)",
            )
        t = self.transition_size(vocab_size)
        if stage1 and self.method is Method.SUPERBPE and not floor < t < vocab_size:
            raise InputError(
                f"transition size {t} must be above {floor} and below the vocab size {vocab_size}",
                fix="pass transition=T with T < vocab_size",
            )


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


def stage2_learn(base_tok, lines: Iterable[str], n_new: int, cfg: SuperConfig, digits: bool, progress: bool = False):
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
    with tqdm(total=n_new, desc="stage-2 merges", disable=not progress, leave=False) as bar:
        merges = learner.learn(n_new, progress=bar)
    return learner, chunks, merges


def stage2(base_tok, lines: Iterable[str], n_new: int, cfg: SuperConfig, progress: bool = False) -> dict:
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
    learner, _, merges = stage2_learn(base_tok, lines, n_new, cfg, digits, progress)
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


def train_superbpe(paths, vocab_size: int, cfg: SuperConfig, progress: bool = False) -> tuple[dict, int]:
    """Stage 1 (HF trainer up to the transition size), then stage 2; returns (tokenizer.json as a dict,
    the stage-1 size reached)."""
    cfg.check_sizes(vocab_size)
    t = cfg.transition_size(vocab_size)
    base = train_bpe(
        checked_lines(paths), t, pretok.stage1_pretokenizer(), cfg.special_tokens, cfg.min_frequency, progress
    )
    n1 = base.get_vocab_size(with_added_tokens=True)  # below t when stage 1 runs out of pairs
    return stage2(base, checked_lines(paths), vocab_size - n1, cfg, progress), n1


def extend_tokenizer(base_json: str, paths, vocab_size: int, cfg: SuperConfig, progress: bool = False):
    """Add ``vocab_size - len(base)`` supertokens to an existing tokenizer.json (its merges kept); returns
    (tokenizer.json as a dict, the base size)."""
    from ..loaders import load_tokenizer

    cfg.check_sizes(vocab_size, stage1=False)
    base = load_tokenizer(base_json).backend
    if not hasattr(base, "to_str"):
        raise InputError(
            "can only extend an HF tokenizer.json (byte-level BPE)",
            where=str(base_json),
            fix="convert the tokenizer to tokenizer.json first or train from scratch",
        )
    n = base.get_vocab_size(with_added_tokens=True)
    if vocab_size <= n:
        raise InputError(
            f"vocab size {vocab_size} is not above the base tokenizer's {n}",
            where=str(base_json),
            fix="pass vocab_size larger than the base vocabulary",
        )
    return stage2(base, checked_lines(paths), vocab_size - n, cfg, progress), n


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


def train_chunked(paths, vocab_size: int, cfg: SuperConfig, progress: bool = False) -> tuple[dict, None]:
    """One HF BPE over seeded-random word chunks; inference uses the stage-2 chunk pre-tokenizer.
    Returns (tokenizer.json as a dict, None: there is no stage 1)."""
    from tokenizers import pre_tokenizers as pt

    cfg.check_sizes(vocab_size)
    pre = pretok.chunk_pretokenizer(cfg.inner_punct, digits=True, byte_level=False, end_punct=cfg.end_punct)
    pieces = random_chunks(checked_lines(paths), pre, cfg.max_words, cfg.seed)
    tok = train_bpe(
        pieces,
        vocab_size,
        pt.ByteLevel(add_prefix_space=False, use_regex=False),
        cfg.special_tokens,
        cfg.min_frequency,
        progress,
    )
    spec = json.loads(tok.to_str())
    spec["pre_tokenizer"] = json.loads(
        pretok.chunk_pretokenizer(cfg.inner_punct, True, end_punct=cfg.end_punct).__getstate__()
    )
    return spec, None


TRAINERS = {Method.SUPERBPE.value: train_superbpe, Method.CHUNKED.value: train_chunked}


def train_spec(
    corpus: Sequence[str | os.PathLike],
    vocab_size: int,
    cfg: SuperConfig,
    base: str | os.PathLike | None = None,
    progress: bool = False,
) -> tuple[dict, int | None]:
    """(the trained tokenizer.json as a dict, the stage-1 or base size); nothing written. ``base``: the path
    of ``cfg.base`` (`train_supertokens` resolves a name to it)."""
    if not corpus:
        raise InputError("no corpus files given", fix="pass one or more UTF-8 text files")
    if base is not None:
        return extend_tokenizer(str(base), list(corpus), vocab_size, cfg, progress)
    return registry_get(TRAINERS, cfg.method.value, "supertoken method")(list(corpus), vocab_size, cfg, progress)
