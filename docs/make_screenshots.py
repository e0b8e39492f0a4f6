"""Rebuild the report screenshots in docs/images/ (headless Chromium, see tests/helpers/chromium.py).

``python docs/make_screenshots.py``: audits SmolLM2 against the reference panel on 40 FLORES-200
languages (200 sentences each), opens the interactive report in headless Chromium, waits for the
charts and saves a full-page screenshot plus the first screen (for the README).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
import bench.common  # noqa: E402,F401  (sets $TOKFORGE_DATA when unset)


def main() -> None:
    from helpers.chromium import CHARTS_DRAWN, Page, find_chromium
    from PIL import Image

    from tokforge import corpus
    from tokforge.audit import audit

    flores = corpus.flores_dir()
    langs = corpus.flores_languages(flores)[::5][:40]
    for x in ("eng_Latn", "rus_Cyrl", "zho_Hans", "hin_Deva", "arb_Arab"):
        if x not in langs:
            langs.append(x)
    rep = audit(
        ["smollm2-135m"],
        f"flores200:{flores}",
        langs=langs,
        limit=200,
        reference="default",
        reachability=True,
        progress=True,
    )
    out = ROOT / "docs" / "images"
    with tempfile.TemporaryDirectory() as tmp:
        page_path = rep.save(Path(tmp) / "audit") / "report.html"
        with Page(find_chromium(), width=1400, height=1000) as page:
            page.open(page_path)
            assert page.wait_js(CHARTS_DRAWN, 60), "charts did not render"
            page.js("document.querySelectorAll('details').forEach((d, i) => { if (i < 3) d.open = true; })")
            assert page.console_errors() == [], page.console_errors()
            page.screenshot(Path(tmp) / "full.png", full=True)
        img = Image.open(Path(tmp) / "full.png").convert("RGB")
        img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out / "audit-report-full.png", optimize=True)
        img.crop((0, 0, img.width, min(img.height, 1900))).quantize(colors=128).save(
            out / "audit-report-top.png", optimize=True
        )
    for f in ("audit-report-full.png", "audit-report-top.png"):
        print(out / f, (out / f).stat().st_size // 1024, "KB")


if __name__ == "__main__":
    main()
