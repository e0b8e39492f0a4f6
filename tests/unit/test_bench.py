"""The bench machinery (bench/common.py, bench/__main__.py), without running a bench: the provenance record
every results file carries and the staleness that ``python -m bench check`` lists from it; the quick
settings every registered bench has, and that a quick run never targets bench/results."""

from __future__ import annotations

import importlib.util
import json
import sys
import time

import pytest
from helpers.paths import REPO

sys.path.insert(0, str(REPO))

import bench.common as common  # noqa: E402
from bench.__main__ import BENCHES, commands, main  # noqa: E402


def _repo(tmp_path, monkeypatch):
    """A tiny repository: a library module (loaded, as a bench would import it) and a bench script."""
    (tmp_path / "tokforge" / "evaluate").mkdir(parents=True)
    (tmp_path / "bench").mkdir()
    mod = tmp_path / "tokforge" / "evaluate" / "marginal.py"
    mod.write_text("X = 1\n")
    script = tmp_path / "bench" / "transplant.py"
    script.write_text("print('bench')\n")
    spec = importlib.util.spec_from_file_location(f"_fake_marginal_{tmp_path.name}", mod)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    monkeypatch.setitem(sys.modules, spec.name, loaded)
    monkeypatch.setattr(common, "_STARTED", time.time() + 1)  # the files predate this "run"
    (tmp_path / "results").mkdir()
    return mod, script


def _write(path, data: dict) -> None:
    path.write_text(json.dumps(data))


def test_a_results_file_is_fresh_until_a_module_it_recorded_changes(tmp_path, monkeypatch):
    mod, script = _repo(tmp_path, monkeypatch)
    rec = common.make_provenance(script, root=tmp_path)
    assert rec["script"]["path"] == "bench/transplant.py"
    assert list(rec["modules"]) == ["tokforge/evaluate/marginal.py"]  # only what is loaded from this root
    assert rec["modules_sha256"] == common.combined_sha256(rec["modules"])
    assert "changed_during_run" not in rec
    _write(tmp_path / "results" / "transplant.json", {"ratio": 1.0, "provenance": rec})
    assert common.stale_results(tmp_path / "results", tmp_path) == {}

    mod.write_text("X = 2\n")
    assert common.stale_results(tmp_path / "results", tmp_path) == {
        "transplant.json": ["tokforge/evaluate/marginal.py changed"]
    }
    script.write_text("print('another bench')\n")
    mod.unlink()
    assert common.stale_results(tmp_path / "results", tmp_path)["transplant.json"] == [
        "bench/transplant.py changed",
        "tokforge/evaluate/marginal.py is gone",
    ]


def test_a_results_file_without_provenance_is_listed(tmp_path, monkeypatch):
    _repo(tmp_path, monkeypatch)
    _write(tmp_path / "results" / "old.json", {"ratio": 1.0})
    (tmp_path / "results" / "broken.json").write_text("{")
    (tmp_path / "results" / "heal.json.lock").write_text("")  # not a results file
    assert common.stale_results(tmp_path / "results", tmp_path) == {
        "broken.json": ["unreadable (JSONDecodeError)"],
        "old.json": ["no provenance record"],
    }


def test_parts_keep_their_own_records(tmp_path, monkeypatch):
    """heal.py's targets are written by separate processes: each keeps its record; a target written before
    provenance records existed is listed."""
    mod, script = _repo(tmp_path, monkeypatch)
    here = {"script": script, "root": tmp_path}
    gemma = common.part_provenance(None, "gemma3", ["gemma3", "bpe32k"], **here)
    assert gemma["parts"]["bpe32k"] is None and gemma["parts"]["gemma3"]["script"]["path"] == "bench/transplant.py"
    _write(tmp_path / "results" / "heal.json", {"provenance": gemma})
    assert common.stale_results(tmp_path / "results", tmp_path) == {"heal.json": ["bpe32k: no provenance record"]}
    both = common.part_provenance(gemma, "bpe32k", ["gemma3", "bpe32k"], **here)
    assert both["parts"]["gemma3"] == gemma["parts"]["gemma3"]
    _write(tmp_path / "results" / "heal.json", {"provenance": both})
    assert common.stale_results(tmp_path / "results", tmp_path) == {}
    mod.write_text("X = 3\n")
    assert common.stale_results(tmp_path / "results", tmp_path)["heal.json"] == [
        "gemma3: tokforge/evaluate/marginal.py changed",
        "bpe32k: tokforge/evaluate/marginal.py changed",
    ]
    # a file rewritten in part (audit.py --only-qtok) keeps its earlier record, here none
    assert common.part_provenance(None, "vs_qtok", **here)["parts"]["earlier runs"] is None


def test_a_file_edited_while_the_bench_ran_is_stale(tmp_path, monkeypatch):
    mod, script = _repo(tmp_path, monkeypatch)
    monkeypatch.setattr(common, "_STARTED", time.time() - 60)  # the run started before the files were written
    rec = common.make_provenance(script, root=tmp_path)
    assert rec["changed_during_run"] == ["bench/transplant.py", "tokforge/evaluate/marginal.py"]
    why = common.stale_reasons({"provenance": rec}, tmp_path)
    assert why == [
        "bench/transplant.py changed while the bench ran",
        "tokforge/evaluate/marginal.py changed while the bench ran",
    ]


def test_a_quick_runs_record_is_never_fresh(tmp_path, monkeypatch):
    mod, script = _repo(tmp_path, monkeypatch)
    monkeypatch.setenv(common.QUICK_ENV, "1")
    rec = common.make_provenance(script, root=tmp_path)
    assert rec["quick"] is True
    assert common.stale_reasons({"provenance": rec}, tmp_path) == ["written by a --quick run (tiny budgets)"]


def test_write_results_stamps_provenance(tmp_path, monkeypatch):
    monkeypatch.setenv(common.OUT_ENV, str(tmp_path))
    monkeypatch.setattr(common, "_STARTED", time.time() + 1)  # edits elsewhere in the checkout are not the point
    path = common.write_results("unit", {"x": 1})
    data = json.loads(path.read_text())
    assert path == tmp_path / "unit.json" and data["x"] == 1
    assert "bench/common.py" in data["provenance"]["modules"]
    assert common.stale_reasons(data) == []


def test_every_bench_has_quick_settings_that_never_target_bench_results(tmp_path):
    for name, spec in BENCHES.items():
        assert "--quick" in spec.get("quick", []), f"{name}: no quick settings"
        script = (REPO / "bench" / spec["script"]).read_text(encoding="utf-8")
        assert '"--quick"' in script, f"bench/{spec['script']} has no --quick option"
        for cmd in commands(name, quick=True, out=tmp_path):
            assert not any("bench/results" in x or str(common.RESULTS) in x for x in cmd), (name, cmd)


def test_all_quick_writes_to_a_temporary_folder(capsys):
    assert main(["all", "--quick", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(BENCHES)  # one process per bench (no parallel targets)
    assert all("(quick)" in x and "bench/results" not in x for x in lines), lines
    assert main(["all", "--quick", "--dry-run", "--out-dir", str(common.RESULTS)]) == 2
    assert main(["all", "--jobs", "2", "--dry-run"]) == 2  # only quick runs share the machine


def test_a_quick_run_refuses_bench_results(tmp_path, monkeypatch):
    monkeypatch.delenv(common.OUT_ENV, raising=False)
    monkeypatch.setenv(common.QUICK_ENV, "1")
    assert common.results_path("heal").parent == common.QUICK_DIR
    assert common.results_path("heal", tmp_path / "h.json") == tmp_path / "h.json"
    with pytest.raises(SystemExit, match="never writes into bench/results"):
        common.results_path("heal", common.RESULTS / "heal.json")
    with pytest.raises(SystemExit, match="never writes into bench/results"):
        common.write_json(common.RESULTS / "heal.json", {})
