"""The number rule (bench/check_docs.py, bench/render.py): a measured number in README.md or docs/*.md
appears only inside a region rendered from bench/results/*.json. A one-digit edit to any rendered value
makes its page stale (``render.py --check``), and a number typed into prose fails the check."""

from __future__ import annotations

import re
import sys

import pytest
from helpers.paths import REPO

sys.path.insert(0, str(REPO / "bench"))

import check_docs  # noqa: E402
import render  # noqa: E402

PAGES = [p.relative_to(REPO).as_posix() for p in check_docs.pages()]
REGION = re.compile(r"<!-- (?:bench|v):[\w.:,=-]+ -->(?P<body>.*?)<!-- /(?:bench|v) -->", re.S)


def test_measured_looking_numbers_are_recognised():
    line = "ratio 1.144 vs 94.5% and 11.6x, 24-31 M tok/s, took 396 s, 2 GB, at 1.7 MB/s, 96 of 100"
    assert check_docs.claims(line) == ["1.144", "94.5%", "11.6x", "24-31", "396", "2", "1.7", "96"]
    names = "SmolLM2-135M, FLORES-200, Gemma-3, UTF-8, a 2-core CPU, 49,152 tokens, 204 languages, v2"
    assert check_docs.claims(names) == []
    allowed = "torch 2.13.0, Python 3.11, on 2026-12-02 (Petrov et al., 2023)"
    assert [c for _, line in check_docs.prose_lines(allowed) for c in check_docs.claims(line)] == []


def test_code_comments_links_and_rendered_regions_are_exempt():
    text = (
        "Set `p=0.1` and see [the results](results/1.5.json).\n\n```bash\ntokforge x --lr 5e-3  # 9.99 s\n```\n"
        "<!-- a comment 7.5 -->Mean <!-- v:x -->1.110<!-- /v --> here.\n"
        "<!-- bench:t -->\n| a | 3.14 |\n<!-- /bench -->\n"
    )
    assert [c for _, line in check_docs.prose_lines(text) for c in check_docs.claims(line)] == []


def test_a_bare_number_in_prose_fails(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("Healing keeps <!-- v:heal.gemma3.english_after -->1.110<!-- /v --> here.\n")
    (tmp_path / "docs" / "x.md").write_text("| a | b |\n|---|---|\n| fast | 3.2 s |\n")
    assert check_docs.check(tmp_path) == [] or len(check_docs.check(tmp_path)) == 1
    bad = check_docs.check(tmp_path)
    assert len(bad) == 1 and bad[0].startswith("docs/x.md:3: '3.2'")
    (tmp_path / "README.md").write_text("Healing keeps English at 1.110 after 30 minutes.\n")
    assert [b.split(" ")[1] for b in check_docs.check(tmp_path) if b.startswith("README")] == ["'1.110'", "'30'"]


def test_readme_and_docs_follow_the_number_rule():
    bad = check_docs.check()
    assert not bad, "\n".join(bad[:40]) + (f"\n... and {len(bad) - 40} more" if len(bad) > 40 else "")


def test_rendered_regions_are_current():
    assert render.stale() == [], "run: python bench/render.py"


def test_every_inline_value_is_used_and_renders():
    text = re.sub(r"`[^`\n]*`", "", "".join((REPO / p).read_text(encoding="utf-8") for p in PAGES))
    used = set(re.findall(r"<!-- v:([\w.:,=-]+) -->", text))
    assert set(render.VALUES) <= used, f"registered but unused: {sorted(set(render.VALUES) - used)}"
    for name in sorted(used):
        assert render.value(name).strip(), name


@pytest.mark.parametrize("page", PAGES)
def test_a_one_digit_change_in_any_rendered_value_is_caught(page):
    text = (REPO / page).read_text(encoding="utf-8")
    digits = [m.start("body") + d.start() for m in REGION.finditer(text) for d in re.finditer(r"\d", m.group("body"))]
    if not digits:
        pytest.skip(f"{page} has no rendered number")
    assert render.render(text) == text, f"{page} is stale"
    step = max(1, len(digits) // 150)  # every digit of small pages; an even sample of the long ones
    for i in digits[::step]:
        changed = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]
        assert render.render(changed) != changed, f"{page}: a change at offset {i} was not caught"
