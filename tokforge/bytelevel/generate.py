"""Sampling continuations of byte prompts that may end mid-token, and fill-in-the-middle.

`generate` samples one cover of the prompt (node ``s`` and boundary token ``t`` whose bytes
start with the rest of the prompt) with probability ∝ ``p(s) p(t | s)`` - the model conditioned
on its text starting with the prompt - and then hands off to ordinary token decoding with a KV
cache, so the byte-level cost is paid once, at the prompt boundary.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import InputError
from .cover import node_tokens
from .tree import _forward

FIM = (b"<fim_prefix>", b"<fim_suffix>", b"<fim_middle>")


def _check(max_bytes: int, temperature: float, top_p: float) -> None:
    if max_bytes < 0:
        raise InputError("max_bytes must be >= 0", where=str(max_bytes))
    if temperature <= 0:
        raise InputError("temperature must be > 0", where=str(temperature), fix="use a small value such as 1e-3 for greedy")
    if not 0 < top_p <= 1:
        raise InputError("top_p must be in (0, 1]", where=str(top_p))


def _pick(logits: torch.Tensor, temperature: float, top_p: float, gen: torch.Generator) -> int:
    probs = torch.softmax(logits.double() / temperature, -1)
    if top_p < 1:
        p, idx = probs.sort(descending=True)
        keep = (p.cumsum(0) - p) < top_p
        probs = torch.zeros_like(probs).scatter(0, idx[keep], p[keep])
    return int(torch.multinomial(probs.float().cpu(), 1, generator=gen))


def _sample_cover(lm, prompt: bytes, rng: np.random.Generator):
    """(token ids of a sampled cover, bytes it adds beyond the prompt); ids None = end of text."""
    stream = lm.prefix + prompt
    N = len(stream)
    _, nodes, tail = lm._pass(prompt, last_only=True, keep_tail=True)
    options, weights = [], []
    if not tail:
        raise InputError("no token sequence of this model covers the prompt", where=repr(prompt[-40:]))
    ref = max(L for _, L, _, _ in tail)
    for k, L, lp, c in tail:
        j = nodes[k].j
        a, b = lm.index.prefix_range(stream[j:]) if j < N else (0, len(lm.index.order))
        if j == N:
            a = lm.index.byte_bounds(b"")[0]
        mass = float(c[a:b].sum())
        if mass > 0:
            options.append(("tok", k, a, b, lp, c))
            weights.append(np.exp(L - ref) * mass)
        if j == N and lm.eos_id is not None:
            end = lm._end_mass(nodes, k, stream, {}, lp)
            if end > 0:
                options.append(("end", k, 0, 0, lp, c))
                weights.append(np.exp(L - ref) * end)
    if not weights or not np.isfinite(np.sum(weights)) or np.sum(weights) <= 0:
        raise InputError("the model gives the prompt no probability", where=repr(prompt[-40:]))
    w = np.asarray(weights) / np.sum(weights)
    kind, k, a, b, lp, c = options[int(rng.choice(len(options), p=w))]
    if kind == "end":
        return None, b""
    cum = np.cumsum(c[a:b])
    pos = a + min(b - a - 1, int(np.searchsorted(cum, rng.random() * cum[-1], side="right")))
    t = int(lm.index.order[pos])
    toks = node_tokens(nodes, k) + [t]
    extra = lm.vocab.tokens[t][N - nodes[k].j:]
    return toks, extra


def generate(lm, prompt: bytes, max_bytes: int, temperature: float, top_p: float, seed: int) -> bytes:
    _check(max_bytes, temperature, top_p)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    if max_bytes == 0:
        return b""
    toks, out = _sample_cover(lm, prompt, rng)
    if toks is None:
        return b""
    stop = set(lm.vocab.special_ids) | ({lm.eos_id} if lm.eos_id is not None else set())
    from transformers import DynamicCache

    ids = torch.tensor([lm.start_ids + toks], device=lm.device)
    with torch.no_grad():
        res, cache = _forward(lm.model, DynamicCache(), input_ids=ids)
        while len(out) < max_bytes:
            nxt = _pick(res.logits[0, -1].float(), temperature, top_p, gen)
            if nxt in stop or nxt >= len(lm.vocab):
                break
            out += lm.vocab.tokens[nxt]
            res, cache = _forward(lm.model, cache, input_ids=torch.tensor([[nxt]], device=lm.device))
    return out[:max_bytes]


def sample_bytes(lm, prompt: bytes, max_bytes: int, temperature: float, top_p: float, seed: int) -> bytes:
    """Byte-by-byte sampling from ``lm.next_byte_logprobs`` (any byte-level model)."""
    _check(max_bytes, temperature, top_p)
    gen = torch.Generator().manual_seed(seed)
    out = b""
    while len(out) < max_bytes:
        b = _pick(lm.next_byte_logprobs(prompt + out).float(), temperature, top_p, gen)
        if b == 256:
            break
        out += bytes([b])
    return out


def fim_ids(vocab) -> tuple[int, int, int] | None:
    got = [vocab.id_of(t) for t in FIM]
    return None if any(i is None for i in got) else tuple(got)


def complete(lm, prefix: bytes, suffix: bytes, max_bytes: int, temperature: float, top_p: float, seed: int) -> bytes:
    """Infill between ``prefix`` and ``suffix`` (suffix-prefix-middle order), or continue ``prefix``."""
    if not suffix:
        return generate(lm, prefix, max_bytes, temperature, top_p, seed)
    ids = fim_ids(lm.vocab)
    if ids is None:
        raise InputError("this model has no fill-in-the-middle tokens", where=lm.name,
                         fix="pass suffix=b'' for plain continuation, or use a model with <fim_prefix>/<fim_suffix>/<fim_middle>")
    pre, suf, mid = ids
    enc = lm.canon.canonical(lm.prefix + suffix)
    if enc is None:
        raise InputError("the FIM suffix must be valid UTF-8", where=repr(suffix[:40]))
    from .bytelm import ByteLM

    view = ByteLM(lm.model, lm.tokenizer, start_ids=lm.start_ids + [pre, suf] + enc + [mid], leaves=lm.leaves,
                  name=lm.name)
    return generate(view, prefix, max_bytes, temperature, top_p, seed)
