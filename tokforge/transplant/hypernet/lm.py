"""Run a frozen transformers causal LM with *predicted* embedding and LM-head matrices.

The body is called with ``inputs_embeds`` (rows of the predicted input matrix) and the logits
are one matmul with the predicted output matrix, so gradients reach the hypernetwork while
the model's own weights stay untouched. Model quirks are honoured: an embedding module with
``embed_scale`` (Gemma multiplies by sqrt(d)) and ``final_logit_softcapping`` (both from
`tokforge.surgery.forward`).
"""

from __future__ import annotations

import torch

from tokforge.surgery.forward import body, embed_scale, softcap


def freeze(model) -> None:
    """No gradients for any weight of ``model``; eval mode."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)


def hidden_states(model, emb_rows: torch.Tensor, ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Final hidden states [B, T, d] for token ``ids`` [B, T] whose input rows are ``emb_rows`` [V, d]."""
    x = emb_rows[ids] * embed_scale(model)
    return body(model)(inputs_embeds=x, attention_mask=attention_mask).last_hidden_state


def logits(model, hidden: torch.Tensor, out_rows: torch.Tensor) -> torch.Tensor:
    """``hidden @ out_rows.T`` with the model's logit soft-capping, if any."""
    return softcap(model, hidden @ out_rows.T)


def next_token_loss(
    model, emb_rows: torch.Tensor, out_rows: torch.Tensor, ids: torch.Tensor, attention_mask: torch.Tensor
) -> torch.Tensor:
    """Mean next-token cross-entropy (nats) over real positions, softmax over the rows given.

    ``ids`` index into ``emb_rows``/``out_rows``, which may be a subset of a vocabulary (the batch's
    tokens plus sampled negatives)."""
    h = hidden_states(model, emb_rows, ids, attention_mask)
    z = logits(model, h[:, :-1], out_rows).float()
    target = ids[:, 1:]
    keep = attention_mask[:, 1:].bool()
    return torch.nn.functional.cross_entropy(z[keep], target[keep])
