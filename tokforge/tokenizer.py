"""`Tokenizer`: one small adapter over every backend, with the canonical `Vocab` beside it.

Contract
--------
* ``encode(text)`` is exactly the backend's own encoding, with no special tokens added
  unless ``add_special_tokens=True``.
* ``decode_bytes(ids)`` concatenates ``vocab.token_bytes`` and removes the dummy-prefix
  space a SentencePiece-style backend adds in front of the text (``dummy_prefix``). Wherever
  the backend is lossless, ``decode_bytes(encode(x)) == x.encode()``.
* ``decode(ids)`` is ``decode_bytes(ids)`` read as UTF-8 (invalid bytes replaced).
* ``backend`` is the object that does the work (``tokenizers.Tokenizer``,
  ``sentencepiece.SentencePieceProcessor``, ``tiktoken.Encoding``...).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .vocab import Vocab, concat


class Tokenizer:
    """A loaded tokenizer: ``vocab`` (canonical bytes view) + the backend that encodes."""

    def __init__(
        self,
        vocab: Vocab,
        encode_fn: Callable[[str, bool], list[int]],
        *,
        name: str,
        backend: Any = None,
        backend_factory: Callable[[], Any] | None = None,
        encode_batch_fn: Callable[[Sequence[str], bool], list[list[int]]] | None = None,
        dummy_prefix: bool = False,
        lossless: bool = True,
        source: str = "",
    ):
        self.vocab = vocab
        self.name = name
        self._encode_fn = encode_fn
        self._encode_batch_fn = encode_batch_fn
        self._backend = backend
        self._backend_factory = backend_factory
        self.dummy_prefix = dummy_prefix
        self.lossless = lossless
        self.source = source or name

    # The backend may be built lazily (a GGUF vocabulary needs no encoder until you encode).
    @property
    def backend(self) -> Any:
        if self._backend is None and self._backend_factory is not None:
            self._backend = self._backend_factory()
        return self._backend

    @property
    def family(self) -> str:
        return self.vocab.family

    def __len__(self) -> int:
        return len(self.vocab)

    def __repr__(self) -> str:
        return f"Tokenizer({self.name!r}, {len(self.vocab)} tokens, family={self.family})"

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        return self._encode_fn(text, add_special_tokens)

    def encode_batch(self, texts: Sequence[str], add_special_tokens: bool = False) -> list[list[int]]:
        if self._encode_batch_fn is not None:
            return self._encode_batch_fn(list(texts), add_special_tokens)
        return [self._encode_fn(t, add_special_tokens) for t in texts]

    def decode_bytes(self, ids: Sequence[int]) -> bytes:
        b = concat(self.vocab, ids)
        if self.dummy_prefix and b.startswith(b" "):
            b = b[1:]
        return b

    def decode(self, ids: Sequence[int]) -> str:
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    @property
    def bos_id(self) -> int | None:
        return self.vocab.roles.get("bos")

    @property
    def eos_id(self) -> int | None:
        return self.vocab.roles.get("eos")
