"""The Vega + Vega-Lite + vega-embed JavaScript that the interactive report inlines.

``vl-convert-python`` bundles the three libraries (BSD-3-Clause) into one script; building it
takes about a second, so the result is kept in the tokforge cache folder, one file per
vl-convert version.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def bundle() -> str | None:
    """The script text (cached on disk and in memory); None, with a printed warning, when
    vl-convert-python (the "plots" extra) is not installed: the page then has no charts."""
    import warnings

    from ..artifacts import cache_dir
    from ..errors import TokforgeWarning
    from ..io import atomic_write_text

    try:
        import vl_convert
    except ImportError:
        warnings.warn(
            "report.html has no charts: they need vl-convert-python, which is not installed "
            "(pip install 'tokforge[plots]'), or pass static=True for the matplotlib page",
            TokforgeWarning,
            stacklevel=2,
        )
        return None
    path = cache_dir() / "audit" / f"vega-bundle-{getattr(vl_convert, '__version__', 'x')}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    js = vl_convert.javascript_bundle()
    if "</script" in js.lower():  # never end the inline <script> early
        js = js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    try:
        atomic_write_text(path, js)
    except OSError:
        pass  # a read-only cache folder only costs time
    return js
