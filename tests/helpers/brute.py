"""Brute-force reference for byte-level probabilities: enumerate every rule-valid covering token
sequence and score it with plain forwards of the raw model (`tokforge.bytelevel` is checked against it)."""

from __future__ import annotations

import math

import torch


def _segmentations(lm, stream: bytes):
    """All rule-valid token sequences decoding to a prefix of ``stream``: (seq, j)."""
    out = [((), 0)]
    frontier = [((), 0)]
    toks = lm.vocab.tokens
    text = sorted(int(i) for i in lm.index.order)
    while frontier:
        nxt = []
        for seq, j in frontier:
            for t in text:
                tb = toks[t]
                if tb and stream.startswith(tb, j) and lm.canon.valid(seq, t):
                    item = (seq + (t,), j + len(tb))
                    out.append(item)
                    nxt.append(item)
        frontier = nxt
    return out


def _path(lm, seq):
    """(log p(seq), next-token log-probs after seq) from one plain forward of the raw model."""
    ids = lm.start_ids + list(seq)
    with torch.no_grad():
        lp = torch.log_softmax(lm.model(input_ids=torch.tensor([ids])).logits[0].double(), -1)
    S = len(lm.start_ids)
    logp = sum(float(lp[S - 1 + i, t]) for i, t in enumerate(seq))
    return logp, lp[-1]


def _qpath(lm, seq):
    """As `_path`, with every distribution renormalised over text tokens and EOS."""
    ids = lm.start_ids + list(seq)
    with torch.no_grad():
        logits = lm.model(input_ids=torch.tensor([ids])).logits[0].double()
    emit = torch.zeros(logits.shape[-1], dtype=torch.bool)
    emit[torch.as_tensor(lm.index.order)] = True
    if lm.eos_id is not None:
        emit[lm.eos_id] = True
    lp = torch.log_softmax(logits.masked_fill(~emit, -torch.inf), -1)
    S = len(lm.start_ids)
    logp = sum(float(lp[S - 1 + i, t]) for i, t in enumerate(seq))
    return logp, lp[-1]


def brute_masses(lm, prefix: bytes, canonical_leaves: bool = False):
    """(``[257]`` masses ``P(stream starts with prefix + b)`` and ``P(stream is prefix, stops)``,
    ``P(stream starts with prefix)``), all conditioned on the stream prefix (dummy space)."""
    stream = lm.prefix + prefix
    N = len(stream)
    toks = lm.vocab.tokens
    text = sorted(int(i) for i in lm.index.order)
    mass, pre = [0.0] * 257, 0.0
    for seq, j in _segmentations(lm, stream):
        logp, nxt = _qpath(lm, seq)
        w = math.exp(logp)
        probs = nxt.exp().tolist()
        rest = stream[j:]
        for t in text:
            tb = toks[t]
            if not tb.startswith(rest):
                continue
            ok = lm.canon.valid(seq, t)
            if canonical_leaves and not ok:
                if j == N:
                    mass[256] += w * probs[t]  # a token the rule rejects stops the stream
                continue
            if j < N:
                pre += w * probs[t]
            if len(tb) > len(rest):
                mass[tb[len(rest)]] += w * probs[t]
            elif j < N and not ok:
                mass[256] += w * probs[t]  # a rejected last token ending exactly here
        if j == N and lm.eos_id is not None:
            mass[256] += w * probs[lm.eos_id]
    z = 1.0
    if lm.prefix:
        z = brute_masses_root(lm, text, canonical_leaves)
    return torch.tensor(mass, dtype=torch.float64) / z, (pre / z if N else 1.0)


def brute_masses_root(lm, text, canonical_leaves: bool) -> float:
    """P(stream starts with the stream prefix) from the root alone."""
    _, nxt = _qpath(lm, ())
    return sum(
        math.exp(float(nxt[t]))
        for t in text
        if lm.vocab.tokens[t].startswith(lm.prefix) and (not canonical_leaves or lm.canon.valid((), t))
    )


def brute_next_byte(lm, prefix: bytes, canonical_leaves: bool = False) -> torch.Tensor:
    m, _ = brute_masses(lm, prefix, canonical_leaves)
    return m / m.sum()
