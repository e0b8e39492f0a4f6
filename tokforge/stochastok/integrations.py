"""Drop-in integrations: HF ``datasets.Dataset.map`` and a torch collator that expands per epoch.

``datasets`` and ``torch`` are imported only inside the functions that need them.

One call for a datasets pipeline::

    import tokforge
    from tokforge.stochastok.integrations import expand_dataset
    ds = expand_dataset(ds, tokforge.StochasTok("gpt2", p=0.1), seed=0, num_proc=4)

Example ``i`` of the dataset is expanded with the randomness of (seed, i), so the result is the
same for any ``num_proc`` and ``batch_size``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from . import rng
from .core import IGNORE_INDEX, StochasTok, labels_to_mask
from .expand import check_ids, check_p, expand_flat
from .table import SplitTable


@dataclass
class MapFn:
    """Picklable batched function for ``Dataset.map(fn, batched=True, with_indices=True)``.

    Holds only the split table (no tokenizer backend), so worker processes get a small, plain copy.
    ``column`` is expanded; ``labels_column`` (HF labels, -100 = no loss) and every column in
    ``mask_columns`` (per-token values such as ``attention_mask`` or a loss mask) follow it.
    """

    table: SplitTable
    p: float
    seed: int
    column: str = "input_ids"
    labels_column: str | None = None
    mask_columns: tuple[str, ...] = ()

    def __call__(self, batch: dict[str, list], indices: Sequence[int]) -> dict[str, list]:
        seqs = batch.get(self.column)
        if seqs is None:
            raise InputError(
                f"column {self.column!r} not in the dataset",
                where=", ".join(batch),
                fix="pass column= the name of the token-id column",
            )
        arrays = [np.asarray(x, dtype=np.int64).reshape(-1) for x in seqs]
        lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = check_ids(
            np.concatenate(arrays) if offsets[-1] else np.zeros(0, np.int64),
            self.table.vocab_size,
            self.column,
            offsets,
        )
        out, new_off, src = expand_flat(
            self.table, flat, offsets, np.asarray(indices), p=self.p, seed=self.seed, return_source=True
        )
        split = _splitter(new_off)
        result = {self.column: split(out)}
        for col in self.mask_columns:
            result[col] = split(_flat_column(batch, col, lengths)[src])
        if self.labels_column:
            labs = [np.asarray(x).reshape(-1) for x in batch[self.labels_column]]
            trained = (
                np.concatenate([labels_to_mask(a, lab) for a, lab in zip(arrays, labs)]) if labs else np.zeros(0, bool)
            )
            result[self.labels_column] = split(np.where(trained[src], out, IGNORE_INDEX))
        return result


def _splitter(new_off: np.ndarray):
    def split(arr: np.ndarray) -> list[list]:
        return [arr[a:b].tolist() for a, b in zip(new_off[:-1].tolist(), new_off[1:].tolist())]

    return split


def _flat_column(batch: dict, col: str, lengths: np.ndarray) -> np.ndarray:
    if col not in batch:
        raise InputError(f"column {col!r} not in the dataset", where=", ".join(batch))
    parts = [np.asarray(x).reshape(-1) for x in batch[col]]
    for e, (a, n) in enumerate(zip(parts, lengths.tolist())):
        if len(a) != n:
            raise InputError(f"column {col!r} must have one value per token", where=f"row {e}: {len(a)} for {n}")
    return np.concatenate(parts) if parts else np.zeros(0)


MAP_OPTIONS = ("seed", "p", "column", "labels_column", "mask_columns")


def map_fn(
    st: StochasTok,
    seed: int | None = None,
    p: float | None = None,
    column: str = "input_ids",
    labels_column: str | None = None,
    mask_columns: Sequence[str] = (),
) -> MapFn:
    """The batched map function (use with ``batched=True, with_indices=True``)."""
    return MapFn(
        st.table,
        st.p if p is None else check_p(p),
        st.seed if seed is None else rng.check_seed(seed),
        column,
        labels_column,
        tuple(mask_columns),
    )


def expand_dataset(dataset, st: StochasTok, num_proc: int | None = None, batch_size: int = 1000, **kwargs):
    """``dataset.map`` with StochasTok on a column; identical for any ``num_proc``/``batch_size``.

    ``kwargs`` named in `MAP_OPTIONS` (``seed``, ``p``, ``column``, ``labels_column``, ``mask_columns``)
    go to `map_fn`; the rest go to ``dataset.map``. Columns holding one value per token that are not
    named in ``labels_column``/``mask_columns`` would no longer line up, so they are refused (drop
    them first or name them).
    """
    fn = map_fn(st, **{k: kwargs.pop(k) for k in MAP_OPTIONS if k in kwargs})
    per_token = {"attention_mask", "token_type_ids", "labels", "loss_mask", "position_ids"} & set(dataset.column_names)
    stray = per_token - {fn.column, fn.labels_column, *fn.mask_columns}
    if stray:
        raise InputError(
            f"column(s) {sorted(stray)} hold one value per token and would fall out of line",
            where="expand_dataset",
            fix="name them in labels_column=/mask_columns= or remove them",
        )
    return dataset.map(
        fn,
        batched=True,
        with_indices=True,
        num_proc=num_proc,
        batch_size=batch_size,
        desc="stochastok",
        **kwargs,
    )


@dataclass
class Collator:
    """Torch collator: expands each example on the fly, differently each epoch, then pads.

    Features are dicts with ``input_ids`` (and optionally ``labels``: -100 or the token id).
    Randomness comes from (seed, epoch, example index): the index is ``feature[index_key]`` when
    present (stable across workers and shuffling), else the example's position among all the
    examples this collator has seen (deterministic for a single-process loader only). Call
    `set_epoch` at the start of each epoch. Returns ``input_ids``, ``attention_mask``, ``labels``
    (padding is -100); sequences longer than ``max_length`` after expansion are cut.
    """

    st: StochasTok
    pad_id: int | None = None
    p: float | None = None
    seed: int | None = None
    max_length: int | None = None
    index_key: str = "idx"
    epoch: int = 0
    _seen: int = field(default=0, repr=False)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self._seen = 0

    def _epoch_seed(self) -> int:
        base = self.st.seed if self.seed is None else rng.check_seed(self.seed)
        return rng.mix_int(base ^ rng.mix_int(self.epoch + 0xE90C))

    def __call__(self, features: Sequence[dict[str, Any]]) -> dict[str, Any]:
        import torch

        ids = [np.asarray(f["input_ids"]).reshape(-1) for f in features]  # lists, arrays or tensors
        idx = [int(f[self.index_key]) if self.index_key in f else self._seen + k for k, f in enumerate(features)]
        self._seen += len(features)
        seed = self._epoch_seed()
        if all("labels" in f for f in features) and features:
            masks = [labels_to_mask(a, np.asarray(f["labels"]).reshape(-1)) for a, f in zip(ids, features)]
            new, keep = self.st.expand_batch(ids, seed=seed, indices=idx, p=self.p, masks=masks)
            labels = [np.where(np.asarray(k, dtype=bool), np.asarray(n), IGNORE_INDEX) for n, k in zip(new, keep)]
        else:
            new = self.st.expand_batch(ids, seed=seed, indices=idx, p=self.p)
            labels = [np.asarray(n) for n in new]
        if self.max_length is not None:
            new, labels = [n[: self.max_length] for n in new], [lab[: self.max_length] for lab in labels]
        pad = (
            self.pad_id
            if self.pad_id is not None
            else self.st.tokenizer.vocab.roles.get("pad", self.st.tokenizer.eos_id or 0)
        )
        width = max((len(n) for n in new), default=0)
        out_ids = torch.full((len(new), width), int(pad), dtype=torch.long)
        out_lab = torch.full((len(new), width), IGNORE_INDEX, dtype=torch.long)
        att = torch.zeros((len(new), width), dtype=torch.long)
        for r, (n, lab) in enumerate(zip(new, labels)):
            out_ids[r, : len(n)] = torch.as_tensor(np.asarray(n, dtype=np.int64))
            out_lab[r, : len(n)] = torch.as_tensor(np.asarray(lab, dtype=np.int64))
            att[r, : len(n)] = 1
        return {"input_ids": out_ids, "attention_mask": att, "labels": out_lab}
