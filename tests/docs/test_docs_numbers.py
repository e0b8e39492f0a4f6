"""Every measured number in README.md and docs/*.md is found in bench/results/*.json (bench/check_docs.py)."""

from __future__ import annotations

import sys

from _helpers import REPO

ROOT = REPO
sys.path.insert(0, str(ROOT / "bench"))


import check_docs  # noqa: E402


def test_claims_are_recognised():
    assert [c[:3] for c in check_docs.claims("ratio 1.144 vs 94.5% and 11.6x, 49,152 tokens, 2 cores")] == [
        ("1.144", 1.144, 3),
        ("94.5%", 94.5, 1),
        ("11.6x", 11.6, 1),
    ]
    assert check_docs.claims("goal <= 1.03, target 10x, version 2.13.0, `p=0.1`, the 1.12 goal") == []


def test_rounding_and_transforms():
    pool = check_docs.candidates([1.14426, 0.9451, 1.1401], "pct")
    assert check_docs.found(1.144, 3, check_docs.candidates([1.14426], "dec"))
    assert not check_docs.found(1.145, 3, check_docs.candidates([1.14426], "dec"))
    assert check_docs.found(94.5, 1, pool) and check_docs.found(14.0, 1, pool)


def test_a_drifted_number_fails(tmp_path):
    (tmp_path / "bench" / "results").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "bench" / "results" / "x.json").write_text('{"ratio": 1.2215, "acc": 0.945}')
    (tmp_path / "README.md").write_text("Mean 1.222 and 94.5% agree.\n\n```\n9.999 in code\n```\n")
    assert check_docs.check(tmp_path) == []
    (tmp_path / "README.md").write_text("Mean 1.223 now.\n")
    assert len(check_docs.check(tmp_path)) == 1


def test_readme_and_docs_numbers_are_in_results():
    bad = check_docs.check()
    assert not bad, "\n".join(bad[:40]) + (f"\n... and {len(bad) - 40} more" if len(bad) > 40 else "")


def test_generated_tables_match_the_results():
    import render

    assert render.stale() == []
