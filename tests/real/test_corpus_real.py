"""Tests on real artifacts (the synthetic ones: tests/unit/test_corpus.py). tokforge.corpus: data locations
come from arguments or $TOKFORGE_DATA, never from the repo layout."""

from tokforge import corpus


def test_data_comes_from_the_variable_or_an_argument(flores, shakespeare, monkeypatch, tmp_path):
    root = flores.parent  # the folder conftest found ($TOKFORGE_DATA or ../shared/data)
    monkeypatch.delenv("TOKFORGE_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    assert corpus.data_dir() is None and corpus.flores_dir() is None and corpus.tinyshakespeare_path() is None
    assert corpus.flores_dir(root) == flores and corpus.tinyshakespeare_path(root) == shakespeare
    monkeypatch.setenv("TOKFORGE_DATA", str(root))
    assert corpus.flores_dir() == flores and corpus.tinyshakespeare_path() == shakespeare
    monkeypatch.setenv("TOKFORGE_DATA", str(tmp_path))  # a folder without the data
    assert corpus.data_dir() == tmp_path and corpus.flores_dir() is None and corpus.tinyshakespeare_path() is None
