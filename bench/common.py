"""Shared bench helpers: timing, where results go, and writing them with their provenance.

Every results file a bench writes goes through :func:`write_json` (:func:`write_results` for the usual
``NAME.json``), which stamps a ``provenance`` record: the git commit and whether the tree was dirty, the
sha256 of the script that ran, and the sha256 of every module of ``tokforge/``, ``cli/`` and ``bench/`` loaded
in the writing process (plus one hash of them all). :func:`stale_results` compares those hashes with the
files on disk (``python -m bench check`` lists what it finds). A file that several runs write part by part
(bench/heal.py's targets) holds one record per part (:func:`part_provenance`).

Where results go (:func:`results_path`): ``$TOKFORGE_BENCH_OUT`` when set (``python -m bench --out-dir``),
else ``bench/results/``; a ``--quick`` run (:func:`set_quick`) writes to a temporary folder and never into
``bench/results/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# the folders whose loaded modules a provenance record hashes (the library, its CLI, the bench helpers)
TRACKED = ("tokforge", "cli", "bench")
OUT_ENV = "TOKFORGE_BENCH_OUT"  # results folder of this run (python -m bench --out-dir DIR, --quick)
QUICK_ENV = "TOKFORGE_BENCH_QUICK"  # set by --quick: tiny budgets, results never in bench/results
QUICK_DIR = Path(tempfile.gettempdir()) / "tokforge-bench-quick"  # a --quick run's folder by default
_STARTED = time.time()  # files changed after this may not be what this process runs
# The data folder is $TOKFORGE_DATA; unset, the benches use shared/data beside the checkout.
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
if not os.environ.get("TOKFORGE_DATA") and SHARED_DATA.is_dir():
    os.environ["TOKFORGE_DATA"] = str(SHARED_DATA)


@contextlib.contextmanager
def cache_lock(name: str):
    """Hold the lock of the bench cache entry ``name`` ($TOKFORGE_CACHE/locks/bench-NAME.lock): the benches
    that build a cached artifact (the 32k BPE, the heal students) check and build it under this lock, so
    benches running at once (``python -m bench all --quick --jobs 2``) never read a half-built one."""
    from tokforge import artifacts
    from tokforge.fetch import file_lock

    with file_lock(artifacts.cache_dir() / "locks" / f"bench-{name}.lock"):
        yield


def best_of(fn, repeat: int = 3, clock=time.perf_counter) -> float:
    """Best time of ``repeat`` calls, in seconds (wall by default; ``time.process_time`` for CPU)."""
    best = float("inf")
    for _ in range(repeat):
        t = clock()
        fn()
        best = min(best, clock() - t)
    return best


def pick(spec: str, known, what: str) -> list[str]:
    """The comma-separated names of ``spec``, each one of ``known`` (else exit naming the known ones).

    >>> pick("a, b", ["a", "b", "c"], "--x")
    ['a', 'b']
    """
    names = [x.strip() for x in spec.split(",") if x.strip()]
    bad = [x for x in names if x not in known]
    if bad:
        sys.exit(f"unknown {what} {bad}: use some of {list(known)}")
    return names


# -- where results go -------------------------------------------------------------------------------------
def set_quick() -> None:
    """This process (and the processes it starts) is a ``--quick`` run: results go to a temporary folder."""
    os.environ[QUICK_ENV] = "1"


def is_quick() -> bool:
    return os.environ.get(QUICK_ENV) == "1"


def apply_quick(args, quick: dict, argv: list[str] | None = None) -> None:
    """A ``--quick`` run: :func:`set_quick`, and each ``quick`` setting on ``args`` unless the command line
    (``argv``, default ``sys.argv``) gave that option itself."""
    set_quick()
    argv = sys.argv[1:] if argv is None else argv
    given = {x.split("=")[0].lstrip("-").replace("-", "_") for x in argv if x.startswith("--")}
    for k, v in quick.items():
        if k not in given:
            setattr(args, k, v)


def _inside(path: Path, folder: Path) -> bool:
    return Path(os.path.abspath(path)).resolve().is_relative_to(folder.resolve())


def results_path(name: str, out: str | os.PathLike | None = None) -> Path:
    """The results file of bench ``name``: ``out`` when given, else ``NAME.json`` in ``$TOKFORGE_BENCH_OUT``,
    else in the quick folder (a ``--quick`` run) or ``bench/results/``. Its folder is created; a quick run
    asking for a path in ``bench/results/`` exits instead."""
    if out:
        path = Path(out)
    else:
        path = Path(os.environ.get(OUT_ENV) or (QUICK_DIR if is_quick() else RESULTS)) / f"{name}.json"
    if is_quick() and _inside(path, RESULTS):
        sys.exit(f"--quick never writes into bench/results/ (asked for {path}): pass --out elsewhere")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: str | os.PathLike, data: dict, *, provenance: dict | None = None, **dump) -> Path:
    """Write ``data`` (with its ``provenance`` record: this process's unless given) atomically as JSON
    (``dump``: ``json.dumps`` options, ``indent=2`` unless given). A quick run never writes into bench/results."""
    from tokforge.io import atomic_write_text

    path = Path(path)
    if is_quick() and _inside(path, RESULTS):
        sys.exit(f"--quick never writes into bench/results/ (asked for {path})")
    data["provenance"] = provenance if provenance is not None else make_provenance()
    dump.setdefault("indent", 2)
    return atomic_write_text(path, json.dumps(data, **dump) + "\n")


def write_results(name: str, data: dict, out: str | os.PathLike | None = None) -> Path:
    """Write bench ``name``'s results (machine and time first) to :func:`results_path`."""
    data = {
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "written": time.strftime("%Y-%m-%d %H:%M:%S"),
        **data,
    }
    return write_json(results_path(name, out), data)


# -- provenance ---------------------------------------------------------------------------------------------
_HASHES: dict[Path, str] = {}  # first hash of each file this process recorded (what it loaded, not a later edit)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _hash_once(path: Path) -> str | None:
    """``path``'s sha256 the first time this process asks (None: the file is gone)."""
    if path not in _HASHES:
        _HASHES[path] = sha256_file(path) if path.is_file() else None
    return _HASHES[path]


def _modified_since(path: Path, t: float) -> bool:
    try:
        return path.stat().st_mtime > t
    except OSError:  # gone: modified as far as this process knows
        return True


def _tracked(file: str | None, root: Path = ROOT) -> str | None:
    """``file``'s path relative to ``root`` when it lies in one of the TRACKED folders, else None."""
    if not file:
        return None
    try:
        rel = Path(file).resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return rel.as_posix() if rel.parts and rel.parts[0] in TRACKED and rel.suffix in (".py", ".so") else None


def loaded_modules(root: Path = ROOT) -> dict[str, Path]:
    """Relative path -> file of every module in ``sys.modules`` whose file lies in a TRACKED folder."""
    out = {}
    for mod in list(sys.modules.values()):
        rel = _tracked(getattr(mod, "__file__", None), root)
        if rel:
            out[rel] = root / rel
    return dict(sorted(out.items()))


def _git(*args: str) -> str | None:
    try:
        r = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def combined_sha256(files: dict[str, str]) -> str:
    """One hash of ``path -> sha256`` pairs (sorted by path)."""
    return hashlib.sha256("".join(f"{k} {files[k]}\n" for k in sorted(files)).encode()).hexdigest()


def make_provenance(script: str | os.PathLike | None = None, root: Path = ROOT) -> dict:
    """This process's provenance record: git commit (and whether tracked files other than bench/results
    differ from it), the script's sha256 (``script``, default ``__main__``'s file) and the sha256 of every
    TRACKED module loaded now, each hashed the first time this process records it. ``changed_during_run``:
    those whose file was modified after this module was imported (they may differ from what ran)."""
    script = script or getattr(sys.modules.get("__main__"), "__file__", None)
    rel = _tracked(script, root) if script else None
    mods = {k: _hash_once(p) for k, p in loaded_modules(root).items() if k != rel}
    status = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench/results")
    record = {
        "commit": _git("rev-parse", "HEAD"),
        "dirty": None if status is None else bool(status),
        "script": {"path": rel, "sha256": _hash_once(root / rel)} if rel else None,
        "modules": mods,
        "modules_sha256": combined_sha256(mods),
        "recorded": time.strftime("%Y-%m-%d %H:%M:%S"),
        "quick": is_quick(),
    }
    files = [*mods, *([rel] if rel else [])]
    late = sorted(k for k in files if _modified_since(root / k, _STARTED))
    if late:
        record["changed_during_run"] = late
    return record


def part_provenance(old: dict | None, part: str, others: list[str] | None = None, **record) -> dict:
    """The provenance of a results file that runs write part by part: this process's record as ``part``
    (``record``: :func:`make_provenance`'s arguments), beside the earlier records of the ``others`` parts the
    file still holds (default: every earlier part; an earlier file with one record, or none, gives it to
    each of them, or as ``earlier runs``)."""
    prev = old.get("parts") if isinstance(old, dict) and "parts" in old else None
    if others is None:
        others = [p for p in prev if p != part] if prev is not None else ["earlier runs"]
    parts = {p: (prev.get(p) if prev is not None else old) for p in others if p != part}
    parts[part] = make_provenance(**record)
    return {"parts": parts}


def stale_reasons(data: dict, root: Path = ROOT, _cache: dict | None = None) -> list[str]:
    """Why a results file (its parsed JSON) may not be what the current code gives: no provenance record,
    or a script or module it recorded changed (or is gone) since. Empty: fresh."""
    cache = {} if _cache is None else _cache
    prov = data.get("provenance") if isinstance(data, dict) else None
    if not prov:
        return ["no provenance record"]
    if "parts" in prov:
        return [f"{part}: {why}" for part, rec in prov["parts"].items() for why in _record_reasons(rec, root, cache)]
    return _record_reasons(prov, root, cache)


def _record_reasons(rec: dict | None, root: Path, cache: dict) -> list[str]:
    if not rec:
        return ["no provenance record"]
    files = dict(rec.get("modules") or {})
    if rec.get("script"):
        files = {rec["script"]["path"]: rec["script"]["sha256"], **files}
    out = []
    for rel, sha in files.items():
        path = root / rel
        if rel not in cache:
            cache[rel] = sha256_file(path) if path.is_file() else None
        if cache[rel] is None:
            out.append(f"{rel} is gone")
        elif cache[rel] != sha:
            out.append(f"{rel} changed")
    out += [f"{rel} changed while the bench ran" for rel in rec.get("changed_during_run", [])]
    if rec.get("quick"):
        out.append("written by a --quick run (tiny budgets)")
    return out


def stale_results(folder: Path = RESULTS, root: Path = ROOT) -> dict[str, list[str]]:
    """Results file name -> why it is stale (:func:`stale_reasons`), for every stale ``*.json`` in ``folder``."""
    out, cache = {}, {}
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            out[path.name] = [f"unreadable ({e.__class__.__name__})"]
            continue
        why = stale_reasons(data, root, cache)
        if why:
            out[path.name] = why
    return out


BPE_LANGS = ["eng_Latn", "fra_Latn", "deu_Latn", "spa_Latn", "rus_Cyrl", "zho_Hans", "arb_Arab", "hin_Deva"]


def bpe32k(flores: Path) -> Path:
    """A 32k byte-level BPE trained on FLORES dev text of ``BPE_LANGS`` (cached; shared by the
    transplant and hypernet benches so both evaluate the same unseen tokenizer)."""
    from tokforge import artifacts

    out = artifacts.cache_dir() / "bench" / "bpe32k-flores-dev"
    with cache_lock(out.name):
        if not (out / "tokenizer.json").is_file():
            _train_bpe32k(flores, out)
    return out


def _train_bpe32k(flores: Path, out: Path) -> None:
    from tokenizers import Tokenizer, decoders, pre_tokenizers, trainers
    from tokenizers import models as tm

    from tokforge import corpus

    texts = [s for v in corpus.read_flores(flores, "dev", BPE_LANGS).values() for s in v]
    hf = Tokenizer(tm.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    hf.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=32000,
            special_tokens=["<|endoftext|>", "<s>", "</s>"],
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    out.mkdir(parents=True, exist_ok=True)
    hf.save(str(out / "tokenizer.json.tmp"))
    os.replace(out / "tokenizer.json.tmp", out / "tokenizer.json")


def supertoken_train_file(tmp: Path) -> tuple[Path, list[str]]:
    """(training file, held-out lines) of the supertokens bench: the first 90% of tinyshakespeare lines +
    FLORES dev English to train; the last 10% + FLORES devtest English held out. The file is written
    to ``tmp`` (outside the repo)."""
    from tokforge import corpus

    ts, fl = corpus.tinyshakespeare_path(), corpus.flores_dir()
    if ts is None or fl is None:
        raise SystemExit("needs $TOKFORGE_DATA/english/tinyshakespeare.txt and $TOKFORGE_DATA/flores200")
    lines = ts.read_text(encoding="utf-8").split("\n")
    cut = int(len(lines) * 0.9)
    dev = corpus.read_flores(fl, "dev", ["eng_Latn"])["eng_Latn"]
    devtest = corpus.read_flores(fl, "devtest", ["eng_Latn"])["eng_Latn"]
    train = tmp / "train.txt"
    train.write_text("\n".join(lines[:cut]) + "\n" + "\n".join(dev) + "\n", encoding="utf-8")
    return train, [ln for ln in lines[cut:] + devtest if ln.strip()]


def supertokens_ext(extra: int = 2048) -> Path:
    """SmolLM2's tokenizer plus ``extra`` supertokens learned on the supertokens bench's training text
    (cached; the hypernet bench's third unseen tokenizer and the supertokens bench's transplant target)."""
    import tempfile

    from tokforge import artifacts, load_tokenizer
    from tokforge.fetch import pull
    from tokforge.supertokens.train import SuperConfig
    from tokforge.supertokens.trainer import train_supertokens

    out = artifacts.cache_dir() / "bench" / f"supertokens-smollm2-ext{extra}"
    with cache_lock(out.name):
        if (out / "tokenizer.json").is_file():
            return out
        base = load_tokenizer("smollm2-135m")
        with tempfile.TemporaryDirectory() as d:
            train, _ = supertoken_train_file(Path(d))
            cfg = SuperConfig(base=pull("smollm2-135m"))
            train_supertokens([train], len(base.vocab) + extra, config=cfg, out=out, force=True, progress=False)
    return out
