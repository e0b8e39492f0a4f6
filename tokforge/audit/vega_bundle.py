"""The Vega + Vega-Lite + vega-embed JavaScript that the interactive report inlines.

``vl-convert-python`` bundles the three libraries (BSD-3-Clause) into one script; building it
takes about a second, so the result is kept in the tokforge cache folder, one file per
vl-convert version.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def bundle() -> str:
    """The script text (cached on disk and in memory)."""
    from ..artifacts import cache_dir
    from ..errors import InputError
    from ..io import atomic_write_text

    try:
        import vl_convert
    except ImportError:
        raise InputError(
            "the interactive report needs the vl-convert-python package",
            fix="pip install vl-convert-python, or pass --static for the PNG report",
        ) from None
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
