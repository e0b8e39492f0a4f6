"""tokforge.io: one text reader (whole file or streamed lines) with one not-UTF-8 error."""

import pytest

from tokforge.errors import InputError
from tokforge.io import iter_lines, read_text


def test_lines_keepends_match_open_newline_empty(tmp_path):
    f = tmp_path / "t.txt"
    f.write_bytes("a\r\nb\rc\n\nd é\r\re\r".encode())
    with open(f, encoding="utf-8", newline="") as h:
        assert list(iter_lines(f, keepends=True)) == list(h)
    assert "".join(iter_lines(f, keepends=True)) == read_text(f)
    assert list(iter_lines(f)) == ["a", "b\rc", "", "d é\r\re"]


def test_not_utf8_is_one_message_for_both_readers(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_bytes(b"ok\ncaf\xe9\n")
    msgs = []
    for read in (read_text, lambda p: list(iter_lines(p)), lambda p: list(iter_lines(p, keepends=True))):
        with pytest.raises(InputError) as e:
            read(f)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1] == msgs[2]
    assert msgs[0].startswith("file is not UTF-8 (bad byte on line 2, column 4): ") and "\n" not in msgs[0]


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read text file"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="cannot read text file"):
        next(iter_lines(tmp_path / "nope.txt"))


def test_one_out_dir_rule(tmp_path):
    from tokforge.io import atomic_dir, check_out_dir

    (tmp_path / "empty").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("mine")
    (tmp_path / "file").write_text("mine")
    for fine in ("new", "empty"):
        assert check_out_dir(tmp_path / fine) == tmp_path / fine
    for taken in ("full", "file"):
        with pytest.raises(
            InputError, match=r"^output directory already exists: .* \(choose another out=DIR or pass force=True\)$"
        ):
            check_out_dir(tmp_path / taken)
        assert check_out_dir(tmp_path / taken, force=True) == tmp_path / taken
    with pytest.raises(InputError, match="not an earlier audit report"):
        check_out_dir(tmp_path / "full", marker="report.json", kind="audit report")
    assert check_out_dir(tmp_path / "full", marker="x.txt", kind="audit report")
    with atomic_dir(tmp_path / "empty") as d:  # an empty folder is filled, not refused
        (d / "a.txt").write_text("a")
    assert [p.name for p in (tmp_path / "empty").iterdir()] == ["a.txt"]
    with pytest.raises(InputError, match="already exists"), atomic_dir(tmp_path / "full"):
        pass
    assert (tmp_path / "full" / "x.txt").read_text() == "mine"
