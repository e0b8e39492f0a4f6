"""Small synthetic tokenizers, vocabularies and models, built in memory (or under a tmp folder) in
milliseconds; seeded, so the same arguments give the same object."""

from __future__ import annotations

from tokforge import Tokenizer, TokenKind, Vocab, load_tokenizer


def greedy_tokenizer(tokens: list[bytes], kinds=None, roles=None, dummy_prefix: bool = False) -> Tokenizer:
    """Longest-match-first tokenizer over ``tokens`` (a real, if simple, encoder)."""
    vocab = Vocab(tokens, kinds, roles=roles, name="tiny", family="byte_bpe")
    text_ids: dict[bytes, int] = {}
    for i in vocab.text_ids().tolist():
        text_ids.setdefault(vocab.tokens[i], i)  # a duplicate byte string: the lowest id wins
    longest = max(map(len, text_ids))

    def encode(text: str, add_special: bool = False) -> list[int]:
        b = ((" " if dummy_prefix and text else "") + text).encode()
        out, i = [], 0
        while i < len(b):
            for n in range(min(longest, len(b) - i), 0, -1):
                if b[i : i + n] in text_ids:
                    out.append(text_ids[b[i : i + n]])
                    i += n
                    break
            else:
                out.append(vocab.roles["unk"])
                i += 1
        return out

    return Tokenizer(vocab, encode, name="tiny", dummy_prefix=dummy_prefix)


def tiny_split_vocab() -> Vocab:
    """Eight tokens with a special, a byte-fallback and an added token (two spell "a")."""
    toks = [b"a", b"b", b"ab", b"abb", b"bb", b"<s>", b"a", b"abab"]
    kinds = [0, 0, 0, 0, 0, TokenKind.SPECIAL, TokenKind.BYTE_FALLBACK, TokenKind.ADDED]
    return Vocab(toks, kinds)


def train_bpe(path, texts, vocab_size):
    """A byte-level BPE trained on ``texts`` with HF tokenizers, saved as ``path/tokenizer.json``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    hf.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=["<s>", "</s>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    path.mkdir(parents=True, exist_ok=True)
    hf.save(str(path / "tokenizer.json"))
    return load_tokenizer(path / "tokenizer.json")


def tiny_llama(vocab_size: int, tied: bool = False, seed: int = 0, **config):
    """A random Llama (eval mode) with ``vocab_size`` rows: 2 layers of width 32 unless ``config`` says
    otherwise (any `LlamaConfig` field); seeded, so the same arguments give the same weights."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    sizes = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2
    )
    cfg = LlamaConfig(vocab_size=vocab_size, tie_word_embeddings=tied, **{**sizes, **config})
    return LlamaForCausalLM(cfg).eval()


def tiny_lm(n: int, seed: int = 0, tie: bool = False):
    """The evaluation and healing tests' tiny model (2 heads, BOS = EOS = 0)."""
    return tiny_llama(
        n,
        tie,
        seed,
        num_attention_heads=2,
        num_key_value_heads=1,
        bos_token_id=0,
        eos_token_id=0,
        max_position_embeddings=256,
    )
