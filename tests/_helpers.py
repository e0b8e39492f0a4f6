"""Helpers shared by the tests (the one module tests import helpers from; fixtures live in conftest.py).

Real artifacts (`real_tokenizer`, `real_lm`: loaded once per session), tiny synthetic models and
tokenizers, the notebook runner, a headless-Chromium page driver, and two independent reference
implementations the library is checked against: brute-force byte-level enumeration
(`brute_masses`, `brute_next_byte`) and the per-token TokenAdapt loop (`hybrid_rows_loop`, also used by
bench/transplant.py)."""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

from tokforge import Tokenizer, TokenKind, Vocab, load_tokenizer, models
from tokforge.bytelevel import ByteLM
from tokforge.loaders import gguf_file
from tokforge.transplant.registry import TransplantContext
from tokforge.transplant.tokenadapt import aux_embeddings, char_lengths, old_index_ids, opts

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


_TOK_CACHE: dict = {}


def real_tokenizer(name: str):
    """A built-in artifact's Tokenizer, loaded once per test session."""
    if name not in _TOK_CACHE:
        _TOK_CACHE[name] = models.load_tokenizer(name)
    return _TOK_CACHE[name]


_LM_CACHE: dict = {}


def real_lm(name: str):
    """(model, tokenizer) of a built-in causal LM on CPU, loaded once per test session."""
    if name not in _LM_CACHE:
        _LM_CACHE[name] = models.load_causal_lm(name)
    return _LM_CACHE[name]


AUDIT_LANGS = ["eng_Latn", "rus_Cyrl", "zho_Hans", "hin_Deva"]


def greedy_tokenizer(tokens: list[bytes], kinds=None, roles=None, dummy_prefix: bool = False) -> Tokenizer:
    """Longest-match-first tokenizer over ``tokens`` (a real, if simple, encoder)."""
    vocab = Vocab(tokens, kinds, roles=roles, name="tiny", family="byte_bpe")
    text_ids: dict[bytes, int] = {}
    for i in vocab.text_ids().tolist():
        text_ids.setdefault(vocab.tokens[i], i)  # a duplicate byte string: the lowest id wins
    longest = max(map(len, text_ids))

    def encode(text: str, add_special: bool = False) -> list[int]:
        b = ((" " if dummy_prefix and text else "") + text).encode()
        out, i = [], 0
        while i < len(b):
            for n in range(min(longest, len(b) - i), 0, -1):
                if b[i : i + n] in text_ids:
                    out.append(text_ids[b[i : i + n]])
                    i += n
                    break
            else:
                out.append(vocab.roles["unk"])
                i += 1
        return out

    return Tokenizer(vocab, encode, name="tiny", dummy_prefix=dummy_prefix)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "tokforge_cli.main", *args], capture_output=True, text=True, cwd=REPO)


def same_scores(a: ByteLM, b: ByteLM, data: bytes, tol: float = 1e-9) -> None:
    assert a.vocab.tokens == b.vocab.tokens and a.start_ids == b.start_ids
    assert abs(a.logprob(data) - b.logprob(data)) < tol
    torch.testing.assert_close(a.next_byte_logmasses(data), b.next_byte_logmasses(data), atol=tol, rtol=0)


def bytelm_of_dir(path) -> ByteLM:
    return ByteLM(*models.load_causal_lm(path), name=str(path))


def cli_table(out: str) -> list[tuple[str, float]]:
    return [(line.split()[0], float(line.split()[1])) for line in out.strip().splitlines()]


TEXT = (
    "The quick brown fox jumps over the lazy dog. A stitch in time saves nine. "
    "Tokenizers turn text into integers, and models turn integers back into text. "
)


def tiny_llama(vocab_size: int, tied: bool = False, seed: int = 0, **config):
    """A random Llama (eval mode) with ``vocab_size`` rows: 2 layers of width 32 unless ``config`` says
    otherwise (any `LlamaConfig` field); seeded, so the same arguments give the same weights."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    sizes = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2
    )
    cfg = LlamaConfig(vocab_size=vocab_size, tie_word_embeddings=tied, **{**sizes, **config})
    return LlamaForCausalLM(cfg).eval()


def tiny_lm(n: int, seed: int = 0, tie: bool = False):
    """The evaluation and healing tests' tiny model (2 heads, BOS = EOS = 0)."""
    return tiny_llama(
        n,
        tie,
        seed,
        num_attention_heads=2,
        num_key_value_heads=1,
        bos_token_id=0,
        eos_token_id=0,
        max_position_embeddings=256,
    )


def gguf_header(path) -> bytes:
    """The bytes of a GGUF file up to the end of its key/value metadata."""
    import mmap

    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        cur = gguf_file._Cursor(buf, str(path))
        cur.pos = 4
        cur.take("I"), cur.take("Q")
        for _ in range(cur.take("Q")):
            cur.string()
            cur.value(cur.take("I"))
        return bytes(buf[: cur.pos])


def tiny_split_vocab() -> Vocab:
    toks = [b"a", b"b", b"ab", b"abb", b"bb", b"<s>", b"a", b"abab"]
    kinds = [0, 0, 0, 0, 0, TokenKind.SPECIAL, TokenKind.BYTE_FALLBACK, TokenKind.ADDED]
    return Vocab(toks, kinds)


def train_bpe(path, texts, vocab_size):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    hf.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=["<s>", "</s>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    path.mkdir(parents=True, exist_ok=True)
    hf.save(str(path / "tokenizer.json"))
    return load_tokenizer(path / "tokenizer.json")


# -- Run a notebook with nbclient, as CI does (shared by the notebook tests; not a test module). ---------


NOTEBOOKS = REPO / "notebooks"


def run_notebook(name: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 900):
    """Execute ``notebooks/<name>`` in its small mode (``TOKFORGE_NB_SMALL=1``, the one switch all
    notebooks read) from a scratch working directory (notebooks must not depend on where they run);
    return (notebook, outputs, all output text). Fails the test if any cell raised."""
    import tempfile

    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = NOTEBOOKS / name
    mp = pytest.MonkeyPatch()
    try:
        for k, v in {"TOKFORGE_NB_SMALL": "1", "TOKFORGE_PROGRESS": "0", **(env or {})}.items():
            mp.setenv(k, v)
        nb = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory(prefix="tokforge-nb-") as scratch:
            nbclient.NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd or scratch)}}
            ).execute()
    finally:
        mp.undo()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors[0].get("ename", "") + ": " + errors[0].get("evalue", "")
    text = " ".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in outputs)
    return nb, outputs, text


def images(outputs) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs)


# -- Drive headless Chromium over the DevTools protocol (no test module; used by the report test and -----


BINARIES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "headless_shell")


def find_chromium() -> str | None:
    env = os.environ.get("TOKFORGE_CHROMIUM")
    if env:
        return env
    for b in BINARIES:
        p = shutil.which(b)
        if p:
            return p
    p = Path("/usr/lib/chromium/headless_shell")
    return str(p) if p.is_file() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Page:
    """One Chromium page; ``events`` keeps every protocol event received."""

    def __init__(self, binary: str, width: int = 1400, height: int = 900):
        import websocket

        self.tmp = tempfile.mkdtemp(prefix="tokforge-chromium-")
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [
                binary,
                "--headless",
                f"--remote-debugging-port={self.port}",
                "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={self.tmp}",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-sync",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = None
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=1) as r:
                    pages = [p for p in json.load(r) if p.get("type") == "page"]
                if pages:
                    url = pages[0]["webSocketDebuggerUrl"]
                    break
            except OSError:
                pass
            time.sleep(0.1)
        if url is None:
            self.close()
            raise RuntimeError("chromium did not open its DevTools port")
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.n = 0
        self.events: list[dict] = []
        for m in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(m)
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method: str, **params):
        self.n += 1
        my = self.n
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method: str, timeout: float = 60) -> dict:
        for e in self.events:
            if e.get("method") == method:
                return e
        end = time.time() + timeout
        while time.time() < end:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == method:
                return msg
        raise TimeoutError(method)

    def open(self, path: Path) -> None:
        self.call("Page.navigate", url=Path(path).resolve().as_uri())
        self.wait_event("Page.loadEventFired")

    def js(self, expr: str):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"].get("text", "") + str(r["exceptionDetails"].get("exception", "")))
        return r["result"].get("value")

    def wait_js(self, expr: str, timeout: float = 30) -> bool:
        end = time.time() + timeout
        while time.time() < end:
            if self.js(expr):
                return True
            time.sleep(0.2)
        return False

    def console_errors(self) -> list[str]:
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(p["exceptionDetails"].get("text", "exception"))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def requests(self) -> list[str]:
        """URLs the page asked for other than itself and inline data."""
        urls = [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]
        return [u for u in urls if not u.startswith(("data:", "about:"))]

    def screenshot(self, path: Path, full: bool = True) -> None:
        if full:
            h = int(self.js("Math.ceil(document.documentElement.scrollHeight)"))
            w = int(self.js("Math.ceil(document.documentElement.scrollWidth)"))
            self.call(
                "Emulation.setDeviceMetricsOverride", width=max(w, 1400), height=h, deviceScaleFactor=1, mobile=False
            )
            time.sleep(0.5)
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=full)["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


CHARTS_DRAWN = """(() => { const c = [...document.querySelectorAll('div.chart')].filter(d => d.id);
  return c.length > 0 && c.every(d => { const s = d.querySelector('svg');
    return s && s.querySelectorAll('path, rect, text').length > 10 && s.getBoundingClientRect().height > 50; }); })()"""


# -- Brute-force reference for byte-level probabilities: enumerate covers, plain forwards. ---------------


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


# -- A straight per-token implementation of the TokenAdapt hybrid heuristic (checking and timing, not library code)


def hybrid_rows_loop(ctx: TransplantContext, ids: np.ndarray, old_rows) -> dict[int, "object"]:
    """{new id: row tensor} for ``ids`` (None where neither heuristic applies), one token at a time."""
    import faiss
    import torch
    import torch.nn.functional as F

    o = opts(ctx)
    w, k, T, thr = o.w, o.k, o.temperature, o.threshold
    old_aux, new_aux = aux_embeddings(ctx)
    cand = old_index_ids(ctx.old_tokenizer.vocab)
    index = faiss.IndexFlatIP(old_aux.shape[1])
    index.add(np.ascontiguousarray(old_aux[cand]))
    old_len, new_len = char_lengths(ctx.old_tokenizer.vocab), char_lengths(ctx.new_tokenizer.vocab)
    from tokforge.transplant.decompose import decompose

    out = {}
    for i in ids.tolist():
        tok = ctx.new_tokenizer.vocab.tokens[i]
        ptr, pieces, ok = decompose(ctx.old_tokenizer, [tok])
        local = None
        if ok[0]:
            q = torch.from_numpy(new_aux[i])
            subs = torch.from_numpy(old_aux[pieces])
            w1 = F.softmax(F.cosine_similarity(q[None], subs, dim=1), dim=0)
            ln = torch.tensor([old_len[p] / new_len[i] if new_len[i] > 0 else 0.0 for p in pieces])
            wt = F.softmax((w1 + ln) / 2.0 / T, dim=0)
            local = (wt[:, None] * old_rows[torch.from_numpy(pieces)].float()).sum(0)
        sims, nb = index.search(new_aux[i : i + 1], k)
        keep = [(s, cand[j]) for s, j in zip(sims[0], nb[0]) if j >= 0 and s >= thr]
        glob = None
        if keep:
            wg = F.softmax(torch.tensor([s for s, _ in keep]) / T, dim=0)
            glob = (wg[:, None] * old_rows[torch.tensor([j for _, j in keep])].float()).sum(0)
        if local is not None and glob is not None:
            out[i] = (1 - w) * local + w * glob
        else:
            out[i] = local if local is not None else glob
    return out
