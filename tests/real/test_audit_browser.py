"""The interactive report in headless Chromium: no console errors, no network requests, every chart
drawn, sorting a table reorders it, the language filter hides rows. (.ci/run installs Chromium;
without it the test skips locally and fails under CI.)"""

from __future__ import annotations

import os

import pytest
from helpers.chromium import CHARTS_DRAWN, Page, find_chromium

from tokforge.audit.config import AuditConfig
from tokforge.audit.core import audit_tokenizers
from tokforge.audit.sources import default_corpus


@pytest.fixture(scope="module")
def browser():
    b = find_chromium()
    if b is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium found; .ci/run installs chromium-headless-shell")
        pytest.skip("no Chromium (apt-get install chromium-headless-shell)")
    pytest.importorskip("websocket")
    return b


@pytest.fixture(scope="module")
def report_page(tmp_path_factory, gpt2, smollm2_tok):
    corp = default_corpus(["eng_Latn", "rus_Cyrl", "zho_Hans", "hin_Deva", "arb_Arab", "fra_Latn"], limit=80)
    cfg = AuditConfig(
        coverage_langs=["en", "ru", "zh"], coverage_top=300, reachability=False, diff=("gpt2", "smollm2-135m")
    )
    rep = audit_tokenizers([gpt2, smollm2_tok], corp, config=cfg, progress=False)
    return rep.save(tmp_path_factory.mktemp("rep") / "audit") / "report.html"


SORT_CHECK = """(() => {
  const t = document.getElementById('tbl-languages');
  const col = [...t.tHead.rows[0].cells].findIndex(c => c.textContent.startsWith('gpt2'));
  const vals = () => [...t.tBodies[0].rows].map(r => parseFloat(r.cells[col].getAttribute('data-v')));
  const before = vals();
  t.tHead.rows[0].cells[col].click();
  const asc = vals();
  t.tHead.rows[0].cells[col].click();
  const desc = vals();
  const sorted = (a, s) => a.every((x, i) => i === 0 || s * (x - a[i - 1]) >= 0);
  return {changed: JSON.stringify(before) !== JSON.stringify(asc), asc: sorted(asc, 1), desc: sorted(desc, -1),
          n: before.length};
})()"""


FILTER_CHECK = """(() => {
  const box = document.querySelector(".tools[data-for='tbl-languages']");
  const sel = box.querySelector("select[name='script']");
  sel.value = 'Cyrillic'; sel.dispatchEvent(new Event('input'));
  const shown = [...document.getElementById('tbl-languages').tBodies[0].rows].filter(r => r.style.display !== 'none');
  return shown.map(r => r.cells[1].textContent);
})()"""


def test_report_in_headless_chromium(browser, report_page):
    with Page(browser) as page:
        page.open(report_page)
        assert page.wait_js(CHARTS_DRAWN, timeout=60), "a chart did not render"
        n_charts = page.js("document.querySelectorAll('div.chart svg').length")
        assert n_charts >= 8
        sort = page.js(SORT_CHECK)
        assert sort["n"] == 6 and sort["changed"] and sort["asc"] and sort["desc"], sort
        assert page.js(FILTER_CHECK) == ["rus_Cyrl"]
        page.js("document.querySelector('details').open = true")
        assert page.console_errors() == []
        own = report_page.resolve().as_uri()
        assert [u for u in page.requests() if u != own] == []
