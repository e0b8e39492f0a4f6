"""Brute-force reference for byte-level probabilities: enumerate covers, plain forwards.

Independent of the library's tree attention, KV cache, sorted cumulative sums and node
enumeration: it only shares the canonicality rule (``Canon.valid``), which it applies to
whole token sequences."""

from __future__ import annotations

import math

import torch


def _segmentations(lm, stream: bytes):
    """All rule-valid token sequences decoding to a prefix of ``stream``: (seq, j)."""
    out = [((), 0)]
    frontier = [((), 0)]
    toks = lm.vocab.tokens
    text = set(int(i) for i in lm.index.order)
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
    """(log p(seq), next-token log-probs after seq) from one plain forward."""
    ids = lm.start_ids + list(seq)
    with torch.no_grad():
        lp = torch.log_softmax(lm.model(input_ids=torch.tensor([ids])).logits[0].double(), -1)
    S = len(lm.start_ids)
    logp = sum(float(lp[S - 1 + i, t]) for i, t in enumerate(seq))
    return logp, lp[-1]


def brute_next_byte(lm, prefix: bytes, canonical_leaves: bool) -> torch.Tensor:
    stream = lm.prefix + prefix
    N = len(stream)
    toks = lm.vocab.tokens
    mass = [0.0] * 257
    enc = lm.canon.canonical(stream)
    for seq, j in _segmentations(lm, stream):
        logp, nxt = _path(lm, seq)
        probs = nxt.exp().tolist()
        rest = stream[j:]
        for t in lm.index.order.tolist():
            tb = toks[t]
            if len(tb) > len(rest) and tb.startswith(rest):
                if canonical_leaves and not lm.canon.valid(seq, t):
                    continue
                mass[tb[len(rest)]] += math.exp(logp) * probs[t]
        if j == N and lm.eos_id is not None and enc is not None and list(seq) == enc:
            mass[256] += math.exp(logp) * probs[lm.eos_id]
    m = torch.tensor(mass, dtype=torch.float64)
    return m / m.sum()
