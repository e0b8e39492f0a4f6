"""Running a transformers causal LM in pieces: the decoder body, then the LM head on chosen positions.

Scoring long texts with a 262k-row LM head needs no ``[batch, length, vocab]`` logits tensor: take
the final hidden states, keep the positions that are scored, and apply the head to those in
chunks. Model quirks that sit between the body and the logits are honoured: the embedding's
``embed_scale`` (Gemma multiplies input rows by sqrt(d)) when rows are given as vectors, and
``final_logit_softcapping``. ``head_logits(model, body_states(model, ids))`` equals
``model(ids).logits`` (tested on SmolLM2 and on tiny Llama/Gemma-3 configurations).
"""

from __future__ import annotations

import torch


def body(model):
    """The decoder stack below the LM head (``model.model`` for Llama/Gemma)."""
    got = getattr(model, getattr(model, "base_model_prefix", ""), None)
    return got if got is not None else model.base_model


def embed_scale(model) -> float:
    """The factor the input embedding module multiplies rows by (1.0 for most models)."""
    s = getattr(model.get_input_embeddings(), "embed_scale", None)
    return 1.0 if s is None else float(s)


def body_states(
    model,
    input_ids: torch.Tensor | None = None,
    attention_mask=None,
    inputs_embeds: torch.Tensor | None = None,
    position_ids: torch.Tensor | None = None,
) -> torch.Tensor:
    """Final hidden states ``[B, T, d]`` (after the final norm) for token ids or input rows.

    ``inputs_embeds`` are raw embedding rows; ``embed_scale`` is applied here, as the embedding
    module would. ``attention_mask`` may be a 2-D padding mask or 4-D additive masks (tree
    attention; a dict per layer type for models with sliding-window layers)."""
    if inputs_embeds is not None:
        inputs_embeds = inputs_embeds * embed_scale(model)
    kw = {"position_ids": position_ids} if position_ids is not None else {}
    return body(model)(
        input_ids=input_ids, inputs_embeds=inputs_embeds, attention_mask=attention_mask, **kw
    ).last_hidden_state


def softcap(model, z: torch.Tensor) -> torch.Tensor:
    cap = getattr(model.config, "final_logit_softcapping", None)
    return torch.tanh(z / cap) * cap if cap else z


def head_logits(model, hidden: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
    """Logits for ``hidden [..., d]``: the model's LM head (or ``hidden @ rows.T`` when output rows
    are given), soft-capped like the model does."""
    if rows is not None:
        z = hidden @ rows.T
    else:
        head = model.get_output_embeddings()
        z = head(hidden) if head is not None else hidden @ model.get_input_embeddings().weight.T
    return softcap(model, z)


def chunked_logprobs(
    model, hidden: torch.Tensor, targets: torch.Tensor, chunk: int = 1024, want_top1: bool = False
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(log p(target) per row of ``hidden [M, d]``, argmax ids or None), the head applied ``chunk`` rows
    at a time in float32."""
    lp = torch.empty(hidden.shape[0], dtype=torch.float32, device=hidden.device)
    top = torch.empty(hidden.shape[0], dtype=torch.long, device=hidden.device) if want_top1 else None
    for s in range(0, hidden.shape[0], chunk):
        z = head_logits(model, hidden[s : s + chunk]).float()
        lp[s : s + chunk] = z.gather(1, targets[s : s + chunk, None])[:, 0] - torch.logsumexp(z, -1)
        if top is not None:
            top[s : s + chunk] = z.argmax(-1)
    return lp, top
