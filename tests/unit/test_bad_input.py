"""Tiny synthetic tests (the real-artifact ones: tests/real/test_bad_input_real.py). Bad input: one line
saying what is wrong, where and what to do; exit code 2 from the CLI."""

import base64
import subprocess
import sys
import zipfile

import pytest
from helpers.cli import run_cli
from helpers.paths import REPO

from tokforge import fetch, load_tokenizer
from tokforge.errors import ArtifactError, LoadError, TokforgeError, UnknownNameError, lookup


def one_line(e: Exception) -> str:
    msg = str(e)
    assert "\n" not in msg
    return msg


def test_missing_file():
    with pytest.raises(LoadError) as e:
        load_tokenizer("/no/such/tokenizer.json")
    assert one_line(e.value) == "tokenizer file not found: /no/such/tokenizer.json (check the path)"


def test_corrupt_json(tmp_path):
    p = tmp_path / "tokenizer.json"
    p.write_text('{"model": {"type": "BPE", ')
    with pytest.raises(LoadError, match=r"cannot read tokenizer JSON .*tokenizer\.json"):
        load_tokenizer(p)


def test_json_that_is_not_a_tokenizer(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"hello": 1}')
    with pytest.raises(LoadError, match="neither an HF tokenizer.json nor Tekken"):
        load_tokenizer(p)


def test_corrupt_sentencepiece(tmp_path):
    p = tmp_path / "broken.model"
    p.write_bytes(b"\x0a\xff\xff\xff garbage")
    with pytest.raises(LoadError, match="SentencePiece"):
        load_tokenizer(p)


def test_not_gguf_magic(tmp_path):
    p = tmp_path / "x.gguf"
    p.write_bytes(b"GGML" + b"\0" * 100)
    with pytest.raises(LoadError):
        load_tokenizer(p, format="gguf")


def test_tiktoken_bad_line(tmp_path):
    p = tmp_path / "t.tiktoken"
    good = [f"{base64.b64encode(bytes([b])).decode()} {b}" for b in range(256)]
    p.write_text("\n".join(good[:10] + ["this line is wrong"] + good[10:]) + "\n")
    with pytest.raises(LoadError, match=r"bad line 11 in tiktoken file"):
        load_tokenizer(p)


def test_tiktoken_gapped_ranks(tmp_path):
    p = tmp_path / "t.tiktoken"
    p.write_text("YQ== 0\nYg== 5\n")
    with pytest.raises(LoadError, match="ranks are not the ids"):
        load_tokenizer(p)


def test_registry_lookup_lists_known_names():
    with pytest.raises(UnknownNameError, match=r"unknown artifact 'nope' \(known: a, b\)"):
        lookup({"b": 1, "a": 2}, "nope", "artifact")


def test_sha256_mismatch_is_caught(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"not the artifact")
    with pytest.raises(ArtifactError, match="sha256 mismatch"):
        fetch.verify(p, "0" * 64, "demo")


def test_member_extraction_takes_only_named_files(tmp_path):
    z = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("pkg/data/a.bin", b"A")
        zf.writestr("pkg/other.py", b"x")
        zf.writestr("pkg/model/sub/c.json", b"{}")
    out = tmp_path / "out"
    assert [p.name for p in fetch.extract_members(z, "pkg/data/a.bin", out)] == ["a.bin"]
    got = fetch.extract_members(z, "pkg/model/", tmp_path / "m")
    assert [p.relative_to(tmp_path / "m").as_posix() for p in got] == ["sub/c.json"]
    with pytest.raises(ArtifactError, match="expected file missing"):
        fetch.extract_members(z, "pkg/none.bin", out)


@pytest.mark.slow  # the command line in a subprocess
def test_cli_error_exit_code_and_no_traceback(tmp_path):
    bad = tmp_path / "tokenizer.json"
    bad.write_text("{nope")
    r = run_cli("inspect", str(bad))
    assert r.returncode == 2
    assert r.stderr.startswith("error: cannot read tokenizer JSON") and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run_cli("--debug", "inspect", str(bad))
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_import_is_light():
    code = (
        "import sys, tokforge; print(sorted(m for m in ('torch','transformers','faiss','pandas') if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


def test_command_line_is_light():
    """Finding a command imports every command module: none of them may pull in torch or transformers
    (that once doubled the time of a vocabulary-only audit)."""
    code = (
        "import sys\nfrom tokforge_cli.main import discover\nassert 'heal' in discover()\n"
        "print(sorted(m for m in ('torch','transformers','faiss','pandas') if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


def test_errors_are_tokforge_errors():
    assert issubclass(LoadError, TokforgeError) and issubclass(ArtifactError, TokforgeError)
    assert str(TokforgeError("bad", where="x", fix="do y")) == "bad: x (do y)"
