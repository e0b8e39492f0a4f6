"""Optional warm-up objective: rebuild ORIGINAL tokens' rows from their parts (no LM forward).

Every multi-byte text token of the original vocabulary is spelled by OTHER original tokens
(greedy longest match, the token itself excluded), and the hypernetwork learns to predict the
token's own input (and output) row from that spelling. This is the Mimick/FOCUS-style signal the
original vocabulary gives for free: thousands of examples per second on a CPU, against a few LM
tokens per second for the ZeTT objective. It is a warm start only; the LM objective follows. The
trainer mixes in identity examples (a token spelled by itself), so shared tokens stay put.

>>> from tokforge.vocab import Vocab
>>> ids, spell, lens = self_spellings(Vocab([b"a", b"b", b"ab", b"abb"]))
>>> ids.tolist(), spell.tolist(), lens.tolist()
([2, 3], [[0, 1], [2, 1]], [2, 2])
"""

from __future__ import annotations

import numpy as np
import torch

from tokforge.vocab import Vocab

from .decompose import PAD, text_index


def _spell_without(t: bytes, index: dict[bytes, int], longest: int) -> list[int] | None:
    """Greedy longest match of ``t`` by tokens strictly shorter than ``t`` (None if a byte is missing)."""
    out, i = [], 0
    cap = min(longest, len(t) - 1)
    while i < len(t):
        for j in range(min(len(t), i + cap), i, -1):
            k = index.get(t[i:j])
            if k is not None:
                out.append(k)
                i = j
                break
        else:
            return None
    return out


def self_spellings(
    vocab: Vocab, max_len: int = 16, identity: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(token ids, spellings [N, L] padded with -1, lengths)`` for every spellable multi-byte token.

    ``identity`` adds every text token spelled by itself (length 1), so the warm-up also keeps the
    prediction for tokens both vocabularies share at their original rows (fvt's answer)."""
    index = text_index(vocab)
    longest = max((len(t) for t in index), default=1)
    ids, rows = [], []
    if identity:
        ids += list(index.values())
        rows += [[i] for i in index.values()]
    for t, i in index.items():
        if len(t) < 2:
            continue
        s = _spell_without(t, index, longest)
        if s:
            ids.append(i)
            rows.append(s[:max_len])
    lens = np.array([len(r) for r in rows], dtype=np.int64)
    spell = np.full((len(rows), max(1, int(lens.max(initial=0)))), PAD, dtype=np.int64)
    for n, r in enumerate(rows):
        spell[n, : len(r)] = r
    order = np.argsort(ids, kind="stable")
    return np.asarray(ids, dtype=np.int64)[order], spell[order], lens[order]


def recon_loss(net, targets: torch.Tensor, spell: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
    """Mean squared error, in units of the matrices' RMS, between predicted and original rows."""
    p_in, p_out = net(spell, lens)
    loss = ((p_in - net.src_in[targets]) / net.rms_in).pow(2).mean()
    if not net.cfg.tied:
        loss = loss + ((p_out - net.src_out[targets]) / net.rms_out).pow(2).mean()
    return loss
