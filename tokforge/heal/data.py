"""Training text for healing: lines from corpus specs, split off a held-out set, packed into windows.

* **Lines** come from any spec tokforge reads (a text file, a folder of ``LANG.txt``,
  ``flores200:DIR`` with its split, ``hf:PATH`` for a local HF dataset or data files), streamed:
  nothing holds the whole corpus in memory.
* **Held-out lines** are chosen by a hash of the line's text (``heldout`` of them, 10% by default),
  so the split is streaming-friendly, the same on every run, and a line repeated in the corpus is
  never on both sides. With an explicit evaluation set instead, training drops every line that
  also occurs in it.
* **Windows** pack consecutive lines of one source and language, joined by ``"\\n"``, up to
  ``seq_bytes`` bytes (a longer line is cut at whitespace). Both models read the same window.
* **Order**: a seeded shuffle buffer over windows, epoch after epoch; step ``k`` takes windows
  ``k*B .. k*B+B-1`` of that order, so a run resumed at step ``k`` sees exactly what an
  uninterrupted run would. With several processes, process ``r`` of ``n`` takes every n-th window
  of each step's batch.

>>> list(pack_lines(["ab cd", "ef", "ghij"], 6))
['ab cd', 'ef', 'ghij']
>>> list(pack_lines(["a", "b", "c"], 3))
['a\\nb', 'c']
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from ..errors import InputError


@dataclass(frozen=True)
class Source:
    """One corpus spec with its options (``split`` for FLORES, columns for ``hf:``)."""

    spec: str
    langs: tuple[str, ...] | None = None
    split: str = "dev"
    text_column: str = "text"
    lang_column: str | None = None


def iter_lines(src) -> Iterator[tuple[str, str]]:
    """``(lang, line)`` for every non-empty line of the source (a `Source`, streamed from disk, or a
    dict of lines per language held in memory)."""
    from .. import corpus

    if isinstance(src, dict):
        for lang, lines in src.items():
            for text in lines:
                yield from ((lang, ln) for ln in text.split("\n") if ln.strip())
        return
    if src.spec.startswith("hf:"):
        yield from _iter_hf(src)
        return
    kind, where = corpus.parse_spec(src.spec)
    if kind == "flores200":
        from pathlib import Path

        d = corpus._split_dir(Path(where), src.split)
        langs = list(src.langs) if src.langs else corpus.flores_languages(where, src.split)
        files = [(lang, d / f"{lang}.{src.split}") for lang in langs]
    else:
        files = corpus.corpus_files(where, list(src.langs) if src.langs else None)
    for lang, f in files:
        if not f.is_file():
            raise InputError(f"corpus has no text for language {lang}", where=str(f))
        yield from ((lang, ln) for ln in corpus.iter_text_lines(f))


def _iter_hf(src: Source) -> Iterator[tuple[str, str]]:
    from ..corpus import iter_hf_rows

    for lang, text in iter_hf_rows(src.spec[3:], src.text_column, src.lang_column, src.langs):
        for ln in text.split("\n"):
            if ln.strip():
                yield lang, ln


def is_heldout(line: str, fraction: float) -> bool:
    """True for about ``fraction`` of distinct lines, decided by the line's text alone.

    >>> is_heldout("some line", 0.0), is_heldout("some line", 1.0)
    (False, True)
    """
    if fraction <= 0:
        return False
    h = int.from_bytes(hashlib.blake2b(line.encode("utf-8"), digest_size=8).digest(), "little")
    return h / 2**64 < fraction


def pack_lines(lines: Iterable[str], seq_bytes: int) -> Iterator[str]:
    """Join consecutive lines with newlines into windows of at most ``seq_bytes`` bytes; a line longer
    than that is cut at whitespace into several windows (at a byte limit if it has none)."""
    buf: list[str] = []
    size = 0
    for ln in lines:
        for piece in _cut(ln, seq_bytes):
            n = len(piece.encode("utf-8"))
            if buf and size + 1 + n > seq_bytes:
                yield "\n".join(buf)
                buf, size = [], 0
            size += n + (1 if buf else 0)
            buf.append(piece)
    if buf:
        yield "\n".join(buf)


def _cut(line: str, seq_bytes: int) -> list[str]:
    if len(line.encode("utf-8")) <= seq_bytes:
        return [line]
    out, cur = [], ""
    for word in line.split(" "):
        cand = word if not cur else cur + " " + word
        if len(cand.encode("utf-8")) <= seq_bytes:
            cur = cand
            continue
        if cur:
            out.append(cur)
        while len(word.encode("utf-8")) > seq_bytes:  # no whitespace: cut at characters
            k = seq_bytes
            while len(word[:k].encode("utf-8")) > seq_bytes:
                k -= 1
            out.append(word[:k])
            word = word[k:]
        cur = word
    if cur:
        out.append(cur)
    return out


class Windows:
    """The training windows of a list of sources: held-out split, packing, seeded shuffled order."""

    def __init__(
        self,
        sources: Sequence[Source],
        seq_bytes: int = 512,
        heldout: float = 0.1,
        exclude: Iterable[str] = (),
        seed: int = 0,
        buffer: int = 16384,
    ):
        if not sources:
            raise InputError("no training corpus", fix="pass texts=SPEC (a text file, folder, flores200:DIR, hf:PATH)")
        if not 0 <= heldout < 1:
            raise InputError("held-out fraction must be in [0, 1)", where=f"heldout={heldout}")
        if seq_bytes < 16:
            raise InputError("windows must hold at least 16 bytes", where=f"seq_bytes={seq_bytes}")
        self.sources, self.seq_bytes, self.heldout = list(sources), seq_bytes, heldout
        self.exclude = frozenset(exclude)
        self.seed, self.buffer = seed, buffer
        self.stats: dict = {}

    def _train_lines(self, src: Source, held: dict | None) -> Iterator[tuple[str, str]]:
        for lang, ln in iter_lines(src):
            if ln in self.exclude:
                continue
            if is_heldout(ln, self.heldout):
                if held is not None:
                    held.setdefault(lang, []).append(ln)
                continue
            yield lang, ln

    def heldout_lines(self, limit: int | None = None) -> dict[str, list[str]]:
        """The held-out lines per language (the first ``limit`` of each), in corpus order."""
        held: dict[str, list[str]] = {}
        for src in self.sources:
            for _ in self._train_lines(src, held):
                pass
        return {k: v[:limit] if limit else v for k, v in held.items()}

    def _packed(self) -> Iterator[str]:
        for src in self.sources:
            cur_lang, group = None, []
            for lang, ln in self._train_lines(src, None):
                if lang != cur_lang and group:
                    yield from pack_lines(group, self.seq_bytes)
                    group = []
                cur_lang = lang
                group.append(ln)
                if len(group) >= 4096:  # keep memory flat: flush all but the tail
                    *done, last = list(pack_lines(group, self.seq_bytes))
                    yield from done
                    group = last.split("\n")
            if group:
                yield from pack_lines(group, self.seq_bytes)

    def check(self) -> int:
        """Count the training windows of one epoch; an error when the corpus is empty or nothing is left."""
        if not any(True for src in self.sources for _ in iter_lines(src)):
            raise InputError(
                "training corpus has no text (empty or blank)",
                where=self.describe(),
                fix="pass a corpus with at least one non-blank line",
            )
        n = 0
        for _ in self._packed():
            n += 1
            if n >= 200_000:  # a big corpus: enough to know it trains; not worth a full pass here
                break
        if n == 0:
            raise InputError(
                "no training text left after the held-out split",
                where=self.describe(),
                fix="give more text, or lower heldout=FRACTION, or pass eval_texts=TEXTS",
            )
        self.stats["windows_per_epoch"] = n if n < 200_000 else ">= 200000"
        return n

    def describe(self) -> str:
        return ", ".join(s.spec if isinstance(s, Source) else "texts in memory" for s in self.sources)

    def stream(self) -> Iterator[str]:
        """Training windows forever, epoch after epoch, in a seeded buffer-shuffled order."""
        epoch = 0
        while True:
            rng = random.Random(f"{self.seed}:{epoch}")
            buf: list[str] = []
            got = 0
            for w in self._packed():
                got += 1
                if len(buf) < self.buffer:
                    buf.append(w)
                    continue
                k = rng.randrange(len(buf))
                yield buf[k]
                buf[k] = w
            rng.shuffle(buf)
            yield from buf
            if got == 0:
                raise InputError(
                    "no training text left after the held-out split", fix="give more text, or lower heldout=FRACTION"
                )
            epoch += 1

    def batches(self, batch_size: int, start_step: int = 0, rank: int = 0, world: int = 1) -> Iterator[list[str]]:
        """Step-by-step batches of windows (this process's share of each), from ``start_step`` on."""
        it = self.stream()
        for _ in range(start_step * batch_size):
            next(it)
        while True:
            step = [next(it) for _ in range(batch_size)]
            yield step[rank::world]


def lines_of(texts: dict[str, list[str]] | None) -> set[str]:
    """Every line of ``{lang: [text]}`` (texts split at newlines)."""
    return {ln for v in (texts or {}).values() for t in v for ln in t.split("\n")}


def windows_of(texts, cfg, eval_texts=None, select_texts=None) -> Windows:
    """The training `Windows` of ``texts`` (a list of strings, ``{lang: [lines]}``, or a list of `Source`
    and such dicts) under ``cfg`` (a `HealConfig`): lines of ``eval_texts`` and ``select_texts`` are
    kept out; without ``eval_texts``, ``cfg.heldout`` of the lines are held out to evaluate on."""
    if isinstance(texts, Windows):
        return texts
    if isinstance(texts, (str, Source)):
        texts = [texts]
    if isinstance(texts, dict):
        sources = [texts]
    elif isinstance(texts, (list, tuple)) and texts and all(isinstance(t, str) for t in texts):
        sources = [{"text": list(texts)}]
    elif isinstance(texts, (list, tuple)) and all(isinstance(t, (Source, dict)) for t in texts):
        sources = list(texts)
    else:
        raise InputError(
            "texts must be a list of strings, a dict of lines per language, or Sources", where=type(texts).__name__
        )
    exclude = lines_of(eval_texts) | lines_of(select_texts)
    return Windows(sources, cfg.seq_bytes, 0.0 if eval_texts else cfg.heldout, exclude, cfg.seed)


def read_texts(spec: str, split: str, langs=None, limit: int | None = None) -> tuple[dict[str, list[str]], str]:
    """``({lang: [lines]}, where they came from)`` for evaluation or selection text given as a corpus spec
    (a file, a folder of ``LANG.txt``, ``flores200:DIR``: its ``split``; the first ``limit`` lines per language)."""
    from .. import corpus

    texts = corpus.read_corpus(spec, split=split, langs=list(langs) if langs else None, limit=limit)
    return texts, f"{spec} ({split})" if spec.startswith("flores200:") else spec


def check_texts(every: int, select_texts, eval_texts) -> None:
    """Selection text goes with ``select_every`` (both or neither) and shares no line with the evaluation."""
    if not every:
        if select_texts is not None:
            raise InputError("selection text given, but select_every is 0", fix="set select_every=K (steps)")
        return
    if not select_texts or not any(select_texts.values()):
        raise InputError(
            f"select_every={every} needs selection text",
            fix="pass select_texts=TEXTS, held out of training and evaluation",
        )
    shared = (lines_of(select_texts) & lines_of(eval_texts)) - {""}
    if shared:
        raise InputError(
            f"{len(shared)} selection line(s) are also evaluation lines",
            where=repr(sorted(shared)[0][:60]),
            fix="choose the step on text the evaluation does not use (FLORES dev to select, devtest to report)",
        )
