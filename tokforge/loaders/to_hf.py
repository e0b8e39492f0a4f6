"""Any tokenizer tokforge loads -> a transformers fast tokenizer (a ``tokenizer.json`` that encodes the same).

``to_hf_tokenizer(tok)`` returns a ``transformers.PreTrainedTokenizerFast`` whose ids are the ids of
``tok.encode`` and whose roles (bos/eos/pad/unk) are the vocabulary's roles:

* HF ``tokenizer.json`` (a file or folder): loaded as is, with its folder's settings (chat template...);
  an in-memory HF backend (GGUF vocabularies, hub ids) is wrapped with the roles.
* tiktoken rank files and Tekken JSON (family ``tiktoken``): :func:`byte_bpe_backend` writes a byte-level
  BPE whose vocabulary is the ranks (ids kept, Tekken's specials first), whose merges are every split of a
  token into two tokens, ranked by the token's rank, and whose pre-tokenizer is tiktoken's own regex
  (``$`` rewritten as ``\\z``: tiktoken's regex engine reads ``$`` as end of text, HF's as end of line).
* SentencePiece ``.model``: transformers' ``SpmConverter.build_tokenizer_from_spm_proto`` (which follows
  the model's normalizer spec), plus its control/unknown pieces as special tokens.

Special tokens are added tokens of the HF tokenizer, so HF matches their literal text (``"<|endoftext|>"``)
in input while tiktoken's ``encode_ordinary`` and SentencePiece read it as plain text; on text without
special-token spellings the ids are the same (checked on 30 FLORES-200 languages in tests/real/test_to_hf_real.py).

>>> from tokforge.vocab import Vocab
>>> byte_merges(Vocab([b"a", b"b", b"ab", b"ba", b"aba"]))
[('a', 'b'), ('b', 'a'), ('a', 'ba'), ('ab', 'a')]
"""

from __future__ import annotations

from pathlib import Path

from ..errors import LoadError
from ..tokenizer import Tokenizer
from ..vocab import TokenKind, Vocab, bytelevel

ROLES = ("bos", "eos", "pad", "unk")


def byte_merges(vocab: Vocab) -> list[tuple[str, str]]:
    """Every split of a non-special token into two non-special tokens, as byte-level strings.

    Ordered like tiktoken's ranks: by the merged token's id, then the left and right parts' ids."""
    ids = {vocab.tokens[i]: i for i in vocab.text_ids(nonempty=True).tolist()}
    found = []
    for b, i in ids.items():
        for cut in range(1, len(b)):
            left, right = ids.get(b[:cut]), ids.get(b[cut:])
            if left is not None and right is not None:
                found.append((i, left, right))
    found.sort()
    return [(bytelevel(vocab.tokens[a]), bytelevel(vocab.tokens[b])) for _, a, b in found]


def tiktoken_regex_for_hf(pattern: str) -> str:
    r"""tiktoken's pattern for HF's Oniguruma: an unescaped ``$`` outside a class becomes ``\z``.

    >>> tiktoken_regex_for_hf(r"\s++$|[$]|\$")
    '\\s++\\z|[$]|\\$'
    """
    out, i, depth = [], 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        out.append("\\z" if c == "$" and not depth else c)
        i += 1
    return "".join(out)


def byte_bpe_backend(vocab: Vocab, pattern: str):
    """A ``tokenizers.Tokenizer`` for a tiktoken-style vocabulary (token id = rank, specials literal)."""
    from tokenizers import AddedToken, Regex, decoders, models, pre_tokenizers, processors
    from tokenizers import Tokenizer as HFTokenizer

    pieces: dict[str, int] = {}
    specials = []
    for i, (b, k) in enumerate(zip(vocab.tokens, vocab.kinds.tolist())):
        if k & TokenKind.SPECIAL:
            specials.append(i)
            continue
        pieces[bytelevel(b)] = i  # an unused empty rank (Whisper's) keeps its id as ""
    for i in specials:
        text = vocab.tokens[i].decode("utf-8")
        if text in pieces:
            raise LoadError(
                f"special token {text!r} is spelled like a normal token",
                where=vocab.name,
                fix="an HF tokenizer cannot hold both under one spelling",
            )
        pieces[text] = i
    hf = HFTokenizer(models.BPE(pieces, byte_merges(vocab), fuse_unk=False, ignore_merges=True))
    hf.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(tiktoken_regex_for_hf(pattern)), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    hf.decoder = decoders.ByteLevel()
    hf.add_special_tokens(
        [AddedToken(vocab.tokens[i].decode("utf-8"), special=True, normalized=False) for i in specials]
    )
    hf.post_processor = processors.ByteLevel(trim_offsets=False)
    return hf


def sentencepiece_backend(tok: Tokenizer):
    """A ``tokenizers.Tokenizer`` for a SentencePiece model (transformers' proto converter)."""
    from sentencepiece import sentencepiece_model_pb2 as pb
    from tokenizers import AddedToken
    from transformers.convert_slow_tokenizer import SpmConverter

    proto = pb.ModelProto()
    proto.ParseFromString(tok.backend.serialized_model_proto())
    if proto.trainer_spec.model_type == 1:
        vocab = [(p.piece, p.score) for p in proto.pieces]
    elif proto.trainer_spec.model_type == 2:
        vocab = {p.piece: i for i, p in enumerate(proto.pieces)}
    else:
        raise LoadError(
            "only unigram and BPE SentencePiece models convert to HF",
            where=tok.source,
            fix="this model is of the word or char type",
        )
    build = getattr(SpmConverter, "build_tokenizer_from_spm_proto", None)
    if build is None:
        raise LoadError(
            "this transformers cannot convert SentencePiece models without a model class",
            where=tok.source or tok.name,
            fix="upgrade transformers (5.x has SpmConverter.build_tokenizer_from_spm_proto)",
        )
    hf = build(proto, vocab, legacy=True)
    hf.add_special_tokens(
        [AddedToken(p.piece, special=True, normalized=False) for p in proto.pieces if p.type in (2, 3)]
    )
    return hf


def _bos_template(hf, vocab: Vocab) -> None:
    """``add_special_tokens=True`` puts bos first, as tokforge's own encoder does."""
    from tokenizers import processors

    bos = vocab.roles.get("bos")
    if bos is None:
        return
    name = vocab.tokens[bos].decode("utf-8")
    hf.post_processor = processors.TemplateProcessing(
        single=f"{name} $A", pair=f"{name} $A $B", special_tokens=[(name, bos)]
    )


def backend_of(tok: Tokenizer):
    """The ``tokenizers.Tokenizer`` that encodes like ``tok`` (built for tiktoken/SentencePiece)."""
    from tokenizers import Tokenizer as HFTokenizer

    backend = tok.backend
    if isinstance(backend, HFTokenizer):
        return backend
    if tok.family == "tiktoken":
        pattern = getattr(backend, "_pat_str", None)
        if not isinstance(pattern, str):
            raise LoadError("tiktoken backend has no pre-tokenizer pattern", where=tok.source or tok.name)
        hf = byte_bpe_backend(tok.vocab, pattern)
        if tok.encode("a", add_special_tokens=True)[:1] == [tok.vocab.roles.get("bos")]:
            _bos_template(hf, tok.vocab)
        return hf
    if tok.family == "sentencepiece" and hasattr(backend, "serialized_model_proto"):
        hf = sentencepiece_backend(tok)
        if tok.encode("a", add_special_tokens=True)[:1] == [tok.vocab.roles.get("bos")]:
            _bos_template(hf, tok.vocab)
        return hf
    raise LoadError(
        f"cannot write an HF tokenizer for this {tok.family} tokenizer",
        where=tok.source or tok.name,
        fix="tokforge converts HF tokenizer.json, tiktoken, Tekken, SentencePiece and GGUF tokenizers",
    )


def _hf_folder(tok: Tokenizer) -> Path | None:
    """The folder of an HF ``tokenizer.json`` the tokenizer was loaded from, if any."""
    if not tok.source:
        return None
    src = Path(tok.source)
    if src.is_dir() and (src / "tokenizer.json").is_file():
        return src
    if src.is_file() and src.name == "tokenizer.json":
        return src.parent
    return None


def to_hf_tokenizer(tok):
    """A ``transformers.PreTrainedTokenizerFast`` that encodes like ``tok`` (any loadable source).

    ``tok`` is a tokforge `Tokenizer`, a path or a built-in name. An HF folder loads with all its settings;
    every other tokenizer gets a converted backend and the bos/eos/pad/unk roles of its vocabulary."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    from ..hflog import quiet_transformers
    from . import load_tokenizer

    tok = load_tokenizer(tok)
    folder = _hf_folder(tok)
    if folder is not None:
        with quiet_transformers():
            return AutoTokenizer.from_pretrained(str(folder))
    v = tok.vocab
    names = {f"{r}_token": v.tokens[v.roles[r]].decode("utf-8", "replace") for r in ROLES if r in v.roles}
    return PreTrainedTokenizerFast(tokenizer_object=backend_of(tok), **names)
