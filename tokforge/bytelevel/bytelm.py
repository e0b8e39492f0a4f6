"""`ByteLM`: a tokenized causal LM read as a distribution over bytes, exactly.

The byte stream is what the model writes when it samples tokens from its start context,
pruned by the canonicality rule: a text token is written out; if the rule rejects it after the
tokens so far, or the model picks a special token (EOS included), the stream stops there. With
``C(x)`` the sum over covers of ``x`` (a node ``s`` at ``j < |x|`` and a token starting with
``x[j:]``) of ``p(s) p(t | s)``, and ``S(x)`` the probability that the stream stops right after
``x``:

* ``P(stream starts with x) = C(x)`` - :meth:`ByteLM.logprob`, from the covers of the end of
  ``x`` on top of one pass over its token paths (token cost);
* ``P(next byte b | x) = C(x + b) / C(x)`` and ``P(stop | x) = S(x) / C(x)``, and
  ``sum_b C(x + b) + S(x) = C(x)`` exactly, so the next-byte distributions chain to
  ``logprob`` (see docs/bytelevel.md).

>>> import torch; from tokforge.bytelevel.tiny import tiny_lm
>>> lm = ByteLM(*tiny_lm(seed=0))
>>> m = lm.next_byte_logmasses(b"ab")            # log C(ab + b), log S(ab): not normalised
>>> abs(float(torch.logsumexp(m, 0)) - lm.logprob(b"ab")) < 1e-9
True
"""

from __future__ import annotations

import enum
import math

import torch

from ..errors import InputError
from ..loaders import load_tokenizer
from .canon import Canon
from .cover import Covers, TokenIndex, check_family
from .engine import Job, Masks, Ranges, Sums
from .scoring import END, ByteScoring
from .tree import CHUNK, MAX_NODES, TreeSession

BATCH_NODES = 256  # the batch API runs texts together in sessions of about this many tree nodes


class Leaves(enum.Enum):
    """Which covers count. ``MODEL``: the canonicality rule applies to every token that lies
    inside the prefix; the last, boundary-crossing token is any text token (as in Phan et al.).
    ``CANONICAL``: the boundary token must pass the rule too (exact canonical covers; slower:
    one encoder call per vocabulary entry for each distinct window at the end of a prefix)."""

    MODEL = "model"
    CANONICAL = "canonical"


def _model_rows(model) -> int:
    head = model.get_output_embeddings()
    if head is not None and getattr(head, "weight", None) is not None:
        return int(head.weight.shape[0])
    return int(model.config.vocab_size)


def _model_and_tokenizer(model, tokenizer):
    """``(causal LM, Tokenizer)`` from ``ByteLM``'s first two arguments."""
    import os

    if tokenizer is None:
        from ..models import resolve_model

        return resolve_model(model)
    if isinstance(model, (str, os.PathLike)):  # a model spec with another tokenizer
        from ..models import load_causal_lm

        return load_causal_lm(model, tokenizer=load_tokenizer(tokenizer))
    return model, load_tokenizer(tokenizer)  # a Tokenizer is returned as it is


class ByteLM(ByteScoring):
    """Byte-level view of a causal LM. ``model``: a transformers causal LM with its ``tokenizer`` (a
    tokforge `Tokenizer` or anything `tokforge.load_tokenizer` accepts), or, with ``tokenizer`` left out, a
    model spec: a built-in name, an HF model folder, a ``(model, tokenizer)`` pair or any object with
    ``.model`` and ``.tokenizer`` (resolved by `tokforge.models.resolve_model`)."""

    def __init__(
        self,
        model,
        tokenizer=None,
        *,
        start_ids: list[int] | None = None,
        leaves: str | Leaves = "model",
        name: str | None = None,
        chunk: int = CHUNK,
        _shared: "ByteLM | None" = None,
    ):
        model, tokenizer = _model_and_tokenizer(model, tokenizer)
        vocab = tokenizer.vocab
        check_family(vocab, where=tokenizer.name)
        rows = _model_rows(model)
        if rows < len(vocab):
            raise InputError(
                "model and tokenizer vocabularies disagree",
                where=f"model has {rows} output rows, tokenizer {tokenizer.name} has {len(vocab)} ids",
                fix="load the tokenizer that belongs to this model",
            )
        if start_ids is None:
            first = tokenizer.bos_id if tokenizer.bos_id is not None else tokenizer.eos_id
            if first is None:
                raise InputError(
                    "tokenizer has neither a BOS nor an EOS token",
                    where=tokenizer.name,
                    fix="pass start_ids=[...] (the token context the text follows)",
                )
            start_ids = [first]
        if not start_ids or any(not 0 <= int(i) < rows for i in start_ids):
            raise InputError("start_ids must be a non-empty list of model token ids", where=str(start_ids)[:80])
        self.model, self.tokenizer, self.vocab = model, tokenizer, vocab
        self.start_ids = [int(i) for i in start_ids]
        self.leaves = Leaves(leaves)
        self.name = name or tokenizer.name
        self.eos_id = tokenizer.eos_id
        self.rows, self.chunk = rows, chunk
        if _shared is not None:  # another start context over the same model: share the tables
            self.canon, self.index, self._tables = _shared.canon, _shared.index, _shared._tables
        else:
            self.canon, self.index, self._tables = Canon(tokenizer), TokenIndex(vocab), {}
        self.prefix = self.canon.stream_prefix()
        self.forwards = 0  # tree positions run so far (forward positions per byte = forwards / bytes)
        self.forward_calls = 0  # model forward calls so far
        self._fresh()
        self._logc0: float | None = None

    @classmethod
    def from_pretrained(cls, name_or_dir, *, device: str = "cpu", dtype=None, tokenizer=None, **kw) -> "ByteLM":
        """A `ByteLM` over the causal LM ``name_or_dir`` (a built-in name or an HF model folder) and its
        tokenizer, both loaded by `tokforge.models.load_causal_lm` (``tokenizer`` overrides the folder's);
        ``kw`` go to `ByteLM` (``start_ids``, ``leaves``, ``name``, ``chunk``)."""
        from ..models import load_causal_lm

        model, tok = load_causal_lm(name_or_dir, device=device, dtype=dtype, tokenizer=tokenizer)
        return cls(model, tok, **kw)

    def __repr__(self) -> str:
        return f"ByteLM({self.name}, leaves={self.leaves.value})"

    @property
    def device(self):
        return next(self.model.parameters()).device

    def with_start(self, start_ids: list[int]) -> "ByteLM":
        """The same model after another token context (e.g. fill-in-the-middle tokens)."""
        return ByteLM(
            self.model,
            self.tokenizer,
            start_ids=start_ids,
            leaves=self.leaves,
            name=self.name,
            chunk=self.chunk,
            _shared=self,
        )

    # -- running jobs ----------------------------------------------------------------------------
    def table(self, kind: str):
        """Shared lookup tables: "ranges" and "masks" (on the model's device), "held" (bytes some
        text token holds)."""
        key = (kind, str(self.device)) if kind != "held" else kind
        if key not in self._tables:
            if kind == "ranges":
                self._tables[key] = Ranges(self.index, self.rows, self.device, self.eos_id)
            elif kind == "masks":
                self._tables[key] = Masks(self.canon, self.index, self.rows, self.device)
            else:
                self._tables[key] = {b for k in self.index.keys for b in k}
        return self._tables[key]

    def session(self) -> TreeSession:
        """A fresh tree session over this model (the start context, chunked forwards, allowed rows)."""
        return TreeSession(self.model, self.start_ids, chunk=self.chunk, allowed=self.table("ranges").emit)

    def _run(self, jobs: list[Job], session: TreeSession, keep=None, planned: bool = False) -> None:
        """Plan ``jobs`` (unless ``planned``), run their nodes in ``session``, collect their masses."""
        owners: dict[int, list] = {}
        for job in jobs:
            if not planned:
                job.plan(self.index, self.leaves is Leaves.MODEL)
            for sid, k in job.register(session).items():
                owners.setdefault(sid, []).append((job, k))
        masks = self.table("masks") if self.leaves is Leaves.CANONICAL else None
        sums = Sums(self.table("ranges"), session, owners, masks)
        old = sorted(s for s in owners if s < session.computed)
        if old:
            sums(old, torch.stack([session.rows[s] for s in old]))
        before, calls = session.positions, session.calls
        session.run(sums, keep)
        self.forwards += session.positions - before
        self.forward_calls += session.calls - calls

    def _run_grouped(self, jobs: list[Job]) -> None:
        """Run unrelated jobs in fresh sessions of about ``BATCH_NODES`` nodes each."""
        group, size = [], 0
        for job in jobs:
            group.append(job)
            size += len(job.covers.nodes)
            if size >= BATCH_NODES:
                self._run(group, self.session())
                group, size = [], 0
        if group:
            self._run(group, self.session())

    def _one_shot(self, streams: list[bytes], **queries) -> list[Job]:
        """Jobs for unrelated streams, run together in sessions of about ``BATCH_NODES`` nodes."""
        jobs = []
        for st in streams:
            cov = Covers(self.index, self.canon).extend(st)
            rows = {k: (len(st),) for k, v in queries.items() if v}
            jobs.append(
                Job(
                    cov,
                    len(self.prefix),
                    next_rows=None if queries.get("all") else rows.get("next", ()),
                    stop_rows=rows.get("stop", ()),
                    prefix_rows=rows.get("prefix", ()),
                )
            )
        self._run_grouped(jobs)
        return jobs

    def _fresh(self) -> None:
        self._covers = Covers(self.index, self.canon)
        self._live: TreeSession | None = None
        self._sid: list[int] = []
        self._sid_j: dict[int, int] = {}

    def _log_c0(self) -> float:
        """log C(stream prefix): the mass of streams that start with the dummy-prefix space (0 if none)."""
        if self._logc0 is None:
            if not self.prefix:
                self._logc0 = 0.0
            else:
                job = self._one_shot([self.prefix], prefix=True)[0]
                self._logc0 = float(job.result(len(self.prefix) + 1, self.device)[1][-1])
        return self._logc0

    # -- errors --------------------------------------------------------------------------------------
    def impossible(self, data: bytes, offset: int | None = None) -> InputError:
        """The one-line error for bytes this model cannot produce (names the first such byte)."""
        held = self.table("held")
        bad = next((i for i, b in enumerate(data) if b not in held), None)
        if bad is not None:
            return InputError(
                f"byte 0x{data[bad]:02X} at offset {bad} cannot be produced by {self.name}: "
                "no token of its tokenizer holds it",
                where=repr(data[max(0, bad - 20) : bad + 1]),
                fix="tokenizer.vocab.missing_bytes() lists the bytes without a token of their own; "
                "remove or replace such bytes",
            )
        where = repr(data[:40]) if offset is None else f"byte offset {offset} of {data[: offset + 1][-40:]!r}"
        return InputError(
            f"no token sequence of {self.name} that the canonicality rule allows spells these bytes",
            where=where,
            fix="the model gives this prefix probability 0; use leaves='model' or drop it",
        )

    # -- public interface --------------------------------------------------------------------------
    def next_byte_logmasses(self, prefix: bytes) -> torch.Tensor:
        """float64 ``[257]``, NOT normalised: ``log P(stream starts with prefix + b)`` for every byte
        and ``log P(stream is prefix, then stops)`` (index 256). They sum to ``P(stream starts with
        prefix)``; :meth:`next_byte_logprobs` is them minus that. Reuses the previous call's tree
        and KV cache when ``prefix`` extends the previous prefix."""
        stream = self.prefix + bytes(prefix)
        N, maxlen = len(stream), self.index.maxlen
        for attempt in (0, 1):
            if self._live is None or not stream.startswith(self._covers.stream) or len(self._live) > MAX_NODES:
                self._fresh()
                self._live = self.session()
            self._covers.extend(stream)
            job = Job(self._covers, len(self.prefix), next_rows=(N,), sid=self._sid)
            job.plan(self.index, self.leaves is Leaves.MODEL)
            owners = job.register(self._live, self._sid_j)
            stale = any(s < self._live.computed and s not in self._live.rows for s in owners)
            if attempt == 0 and (stale or self._live.missing_rows()):
                self._live = None  # a needed row was dropped: start over with a fresh tree
                continue
            break

        def keep(sid: int) -> bool:
            return self._sid_j.get(sid, -1) >= N - maxlen

        self._run([job], self._live, keep, planned=True)
        self._live.prune(keep)
        return job.result(N + 1, self.device, rows=[N])[0][0].cpu() - self._log_c0()

    def next_byte_logprobs(self, prefix: bytes) -> torch.Tensor:
        """float64 ``[257]``: log P(next byte | prefix); index 256: the stream stops (end of text)."""
        m = self.next_byte_logmasses(prefix)
        z = torch.logsumexp(m, 0)
        if torch.isinf(z):
            raise self.impossible(bytes(prefix))
        return m - z

    def distributions(self, data: bytes) -> torch.Tensor:
        """float64 ``[len(data) + 1, 257]``: the next-byte distribution after every prefix of ``data``,
        from one pass over the cover tree (row ``i`` = after ``data[:i]``)."""
        return self.distributions_batch([data])[0]

    def distributions_batch(self, texts) -> list[torch.Tensor]:
        """``[distributions(t) for t in texts]``; the trees of several texts share forwards."""
        texts = [bytes(t) for t in texts]
        P = len(self.prefix)
        jobs = self._one_shot([self.prefix + t for t in texts], all=True)
        out = []
        for t, job in zip(texts, jobs):
            logm = job.result(P + len(t) + 1, self.device)[0][P:].cpu()
            z = torch.logsumexp(logm, -1, keepdim=True)
            if torch.isinf(z).any():
                raise self.impossible(t, int(torch.isinf(z[:, 0]).nonzero()[0]) - 1)
            out.append(logm - z)
        return out

    def score_batch(self, texts) -> list[torch.Tensor]:
        """``[score(t) for t in texts]``, from prefix masses: ``log P(t[i] | t[:i]) = log C(t[:i+1]) -
        log C(t[:i])``. The same covers as `distributions` (the next-byte masses after ``t[:i]`` add
        up to ``C(t[:i])``), but only the tokens that continue the text are summed, so canonical
        leaves check those tokens against the rule instead of the whole vocabulary at every node."""
        texts = [bytes(t) for t in texts]
        P = len(self.prefix)
        jobs = []
        for t in texts:
            st = self.prefix + t
            cov = Covers(self.index, self.canon).extend(st)
            jobs.append(Job(cov, P, next_rows=(), prefix_rows=tuple(range(P + 1, len(st) + 1))))
        self._run_grouped(jobs)
        out = []
        for t, job in zip(texts, jobs):
            pre = job.result(P + len(t) + 1, self.device)[1][P:].cpu()
            pre[0] = self._log_c0()
            bad = torch.isinf(pre).nonzero()
            if len(bad):
                raise self.impossible(t, int(bad[0]) - 1)
            out.append(pre[1:] - pre[:-1])
        return out

    def score(self, data: bytes) -> torch.Tensor:
        """float64 ``[len(data)]``: log P(data[i] | data[:i]) for every byte (see `score_batch`)."""
        return self.score_batch([data])[0]

    def logprob(self, data: bytes, end: bool = False) -> float:
        """log P(the byte stream starts with ``data``) (and stops right there if ``end``): the covers
        of the end of ``data`` on top of one pass over its token paths (about token-level cost)."""
        return self.logprob_batch([data], end)[0]

    def logprob_batch(self, texts, end: bool = False) -> list[float]:
        """``[logprob(t, end) for t in texts]``; several texts share forwards."""
        texts = [bytes(t) for t in texts]
        P = len(self.prefix)
        todo = [n for n, t in enumerate(texts) if t or end]
        jobs = self._one_shot([self.prefix + texts[n] for n in todo], **({"stop": True} if end else {"prefix": True}))
        out = [0.0] * len(texts)
        c0 = self._log_c0()
        for n, job in zip(todo, jobs):
            N = P + len(texts[n])
            nxt, pre = job.result(N + 1, self.device, rows=[N])
            v = float(nxt[0, END] if end else pre[0])
            if v == -math.inf and any(b not in self.table("held") for b in texts[n]):
                raise self.impossible(texts[n])
            out[n] = v - c0
        return out

    def token_logprob(self, data: bytes, end: bool = False) -> float:
        """The canonical token-level log-likelihood of ``data``: log p(enc(data)) (+ log p(eos))."""
        ids = self.canon.canonical(self.prefix + bytes(data))
        if ids is None:
            raise InputError("token-level scoring needs valid UTF-8 text", where=repr(bytes(data)[:40]))
        seq = self.start_ids + ids + ([self.eos_id] if end and self.eos_id is not None else [])
        with torch.no_grad():
            logits = self.model(input_ids=torch.tensor([seq], device=self.device)).logits[0]
        lp = torch.log_softmax(logits.double(), -1)
        S = len(self.start_ids)
        tgt = torch.tensor(seq[S:], device=lp.device)
        return float(lp[S - 1 : len(seq) - 1].gather(1, tgt[:, None]).sum())

    def generate(
        self, prompt: bytes, max_bytes: int = 64, temperature: float = 1.0, top_p: float = 1.0, seed: int = 0
    ) -> bytes:
        """Sample a continuation of ``prompt`` (which may end mid-token or mid-character)."""
        from .generate import generate

        return generate(self, bytes(prompt), max_bytes, temperature, top_p, seed)

    def complete(
        self,
        prefix: bytes,
        suffix: bytes = b"",
        max_bytes: int = 64,
        temperature: float = 1.0,
        top_p: float = 1.0,
        seed: int = 0,
    ) -> bytes:
        """Fill in between ``prefix`` and ``suffix`` (FIM tokens needed when ``suffix``), else continue."""
        from .generate import complete

        return complete(
            self, bytes(prefix), bytes(suffix), max_bytes=max_bytes, temperature=temperature, top_p=top_p, seed=seed
        )
