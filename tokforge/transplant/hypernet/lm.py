"""Run a frozen transformers causal LM with *predicted* embedding and LM-head matrices.

The body is called with ``inputs_embeds`` (rows of the predicted input matrix) and the logits
are one matmul with the predicted output matrix, so gradients reach the hypernetwork while
the model's own weights stay untouched. Model quirks are honoured: an embedding module with
``embed_scale`` (Gemma multiplies by sqrt(d)) and ``final_logit_softcapping``.
"""

from __future__ import annotations

import torch


def freeze(model) -> None:
    """No gradients for any weight of ``model``; eval mode."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)


def body(model):
    """The decoder stack below the LM head (``model.model`` for Llama/Gemma)."""
    return getattr(model, model.base_model_prefix, None) or model.base_model


def embed_scale(model) -> float:
    s = getattr(model.get_input_embeddings(), "embed_scale", None)
    return 1.0 if s is None else float(s)


def hidden_states(model, emb_rows: torch.Tensor, ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Final hidden states [B, T, d] for token ``ids`` [B, T] whose input rows are ``emb_rows`` [V, d]."""
    x = emb_rows[ids] * embed_scale(model)
    return body(model)(inputs_embeds=x, attention_mask=attention_mask).last_hidden_state


def logits(model, hidden: torch.Tensor, out_rows: torch.Tensor) -> torch.Tensor:
    """``hidden @ out_rows.T`` with the model's logit soft-capping, if any."""
    z = hidden @ out_rows.T
    cap = getattr(model.config, "final_logit_softcapping", None)
    if cap:
        z = torch.tanh(z / cap) * cap
    return z


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
