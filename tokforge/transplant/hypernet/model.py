"""The hypernetwork: original rows of a token's decomposition -> its new input/output embedding.

Architecture (after ZeTT, sized for small budgets):

1. look up the ORIGINAL input rows (and output rows when the model is untied) of the token's
   decomposition, divide by their global RMS, concatenate, project to ``hidden``;
2. add learned positions, run ``layers`` pre-norm transformer encoder layers over the pieces;
3. mean-pool over the real pieces, layer-norm, and apply the heads (input; output when untied).

Each head's output is a *correction* added to the subword mean of the original rows (``fvt``),
scaled back by the RMS. The heads start at zero, so at step 0 the prediction IS ``fvt``:

>>> import torch
>>> E = torch.tensor([[1.0, 0.0], [0.0, 1.0], [3.0, 3.0]])
>>> net = HyperNet(HyperNetConfig(d_model=2, hidden=8, layers=1, heads=2, max_len=3, tied=True), E)
>>> pred_in, pred_out = net(torch.tensor([[0, 1, -1], [2, -1, -1]]), torch.tensor([2, 1]))
>>> pred_in.tolist(), pred_out is pred_in
([[0.5, 0.5], [3.0, 3.0]], True)

A token with no decomposition (length 0) gets the mean of all original rows. Spellings longer
than ``max_len`` are averaged in full; the transformer reads their first ``max_len`` ids.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from tokforge.errors import InputError, LoadError


@dataclasses.dataclass
class HyperNetConfig:
    """Sizes of a hypernetwork. ``d_model`` (the base model's embedding width) and ``tied`` (whether its LM
    head is its embedding) may be left ``None``: `for_model` takes them from the base model.

    >>> HyperNetConfig(hidden=64).for_model(d_model=576, tied=True)
    HyperNetConfig(d_model=576, hidden=64, layers=2, heads=4, max_len=8, tied=True)
    >>> HyperNetConfig.from_dict({"d_model": 576, "hidden": 64, "layers": 2, "heads": 4, "max_len": 8, "tied": True})
    HyperNetConfig(d_model=576, hidden=64, layers=2, heads=4, max_len=8, tied=True)
    """

    d_model: int | None = None
    hidden: int = 256
    layers: int = 2
    heads: int = 4
    max_len: int = 8
    tied: bool | None = None

    def check(self) -> "HyperNetConfig":
        if self.d_model is None or self.tied is None:
            raise InputError(
                "hypernetwork config lacks the base model's d_model/tied",
                where=str(dataclasses.asdict(self)),
                fix="call HyperNetConfig.for_model(d_model, tied)",
            )
        if self.hidden % self.heads:
            raise InputError(
                "hypernetwork hidden size must be divisible by its number of heads",
                where=f"hidden={self.hidden}, heads={self.heads}",
            )
        if min(self.d_model, self.hidden, self.layers, self.heads, self.max_len) < 1:
            raise InputError("hypernetwork sizes must be positive", where=str(dataclasses.asdict(self)))
        return self

    def for_model(self, d_model: int, tied: bool) -> "HyperNetConfig":
        """A copy with the base model's width and tying filled in; a set value that differs is an error."""
        for key, want in (("d_model", int(d_model)), ("tied", bool(tied))):
            have = getattr(self, key)
            if have is not None and have != want:
                raise InputError(
                    f"hypernetwork config's {key} does not match the base model",
                    where=f"{key}={have} vs the model's {want}",
                    fix=f"leave {key} unset (None)",
                )
        return dataclasses.replace(self, d_model=int(d_model), tied=bool(tied))

    @classmethod
    def from_dict(cls, d: dict, where: str = "<dict>") -> "HyperNetConfig":
        """The config saved as a dict (``config.json``'s ``hypernet``, a checkpoint's ``hypernet``)."""
        known = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(d, dict) or set(d) - known:
            extra = sorted(set(d) - known) if isinstance(d, dict) else type(d).__name__
            raise LoadError(
                f"unreadable hypernetwork config ({extra})", where=where, fix="re-run `tokforge hypernet train`"
            )
        return cls(**d)


def _masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over dim 1 of ``x`` [N, L, d] where ``mask`` [N, L] is true (0 where a row has none)."""
    m = mask.to(x.dtype).unsqueeze(-1)
    return (x * m).sum(1) / m.sum(1).clamp_min(1.0)


class HyperNet(nn.Module):
    """Predicts embeddings from decompositions. The original matrices are frozen buffers (not saved)."""

    def __init__(self, cfg: HyperNetConfig, src_in: torch.Tensor, src_out: torch.Tensor | None = None):
        super().__init__()
        self.cfg = cfg.check()
        if src_in.shape[1] != cfg.d_model:
            raise InputError(
                "embedding width does not match the hypernetwork config",
                where=f"{src_in.shape[1]} vs d_model={cfg.d_model}",
            )
        if not cfg.tied and src_out is None:
            raise InputError("an untied hypernetwork needs the original output matrix too")
        self.register_buffer("src_in", src_in.detach().float(), persistent=False)
        self.register_buffer("src_out", None if cfg.tied else src_out.detach().float(), persistent=False)
        self.register_buffer("rms_in", self._rms(self.src_in), persistent=False)
        self.register_buffer("rms_out", self._rms(self.src_out) if not cfg.tied else self.rms_in, persistent=False)
        n_src = 1 if cfg.tied else 2
        self.proj = nn.Linear(n_src * cfg.d_model, cfg.hidden)
        self.pos = nn.Parameter(torch.zeros(cfg.max_len, cfg.hidden))
        layer = nn.TransformerEncoderLayer(
            cfg.hidden, cfg.heads, 4 * cfg.hidden, dropout=0.0, batch_first=True, norm_first=True, activation="gelu"
        )
        self.body = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.hidden)
        self.head_in = nn.Linear(cfg.hidden, cfg.d_model)
        self.head_out = None if cfg.tied else nn.Linear(cfg.hidden, cfg.d_model)
        for h in (self.head_in, self.head_out):
            if h is not None:  # zero correction at step 0: the prediction is the subword mean (fvt)
                nn.init.zeros_(h.weight)
                nn.init.zeros_(h.bias)

    @staticmethod
    def _rms(m: torch.Tensor) -> torch.Tensor:
        return m.pow(2).mean().sqrt().clamp_min(1e-8)

    def fvt(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The subword means (input side, output side) with no correction."""
        mask, safe = self._mask(ids, lengths)
        mean_in = self._fill_empty(_masked_mean(self.src_in[safe], mask), lengths, self.src_in)
        if self.cfg.tied:
            return mean_in, mean_in
        return mean_in, self._fill_empty(_masked_mean(self.src_out[safe], mask), lengths, self.src_out)

    @staticmethod
    def _mask(ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask = torch.arange(ids.shape[1], device=ids.device)[None, :] < lengths.to(ids.device)[:, None]
        return mask, ids.clamp_min(0)

    @staticmethod
    def _fill_empty(mean: torch.Tensor, lengths: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        empty = lengths.to(mean.device) == 0
        if bool(empty.any()):
            mean = torch.where(empty[:, None], src.mean(0, keepdim=True), mean)
        return mean

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``ids`` [N, L] original ids (-1 = padding, any L), ``lengths`` [N] -> (input rows, output rows) [N, d].

        For a tied model the second tensor is the first."""
        base_in, base_out = self.fvt(ids, lengths)  # the mean uses the whole spelling
        ids, lengths = ids[:, : self.cfg.max_len], lengths.clamp_max(self.cfg.max_len)
        mask, safe = self._mask(ids, lengths)
        x = self.src_in[safe] / self.rms_in
        if not self.cfg.tied:
            x = torch.cat([x, self.src_out[safe] / self.rms_out], dim=-1)
        h = self.proj(x) + self.pos[: ids.shape[1]]
        attend = mask.clone()
        attend[:, 0] = True  # a row with no pieces still needs one key; it is overwritten below
        h = self.body(h, src_key_padding_mask=~attend)
        pooled = self.norm(_masked_mean(h, mask))
        has = (lengths.to(h.device) > 0).to(h.dtype)[:, None]  # empty rows stay at the global mean
        pred_in = base_in + has * self.head_in(pooled) * self.rms_in
        if self.cfg.tied:
            return pred_in, pred_in
        return pred_in, base_out + has * self.head_out(pooled) * self.rms_out

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


def source_matrices(model) -> tuple[torch.Tensor, torch.Tensor | None, bool]:
    """``(input matrix, output matrix or None, tied)`` of a transformers causal LM."""
    emb = model.get_input_embeddings().weight
    head = model.get_output_embeddings()
    tied = head is None or head.weight is emb or head.weight.data_ptr() == emb.data_ptr()
    return emb, (None if tied else head.weight), tied
