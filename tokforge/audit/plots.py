"""Matplotlib figures for the audit report. Every function takes pandas tables and returns a
Figure sized for the number of tokenizers/languages (readable with 2 and with 15 tokenizers). They need
matplotlib (the "plots" extra); without it, the first figure raises one line naming the extra."""

from __future__ import annotations

import numpy as np

from ..extras import require

MARKERS = "osD^vP*Xhp<>d8H"


class _Plt:
    """Figures built without pyplot: no global backend switch (notebooks keep theirs), no leaks."""

    @staticmethod
    def subplots(nrows: int = 1, ncols: int = 1, figsize=None, **kw):
        fig = require("matplotlib.figure", "audit plots").Figure(figsize=figsize)
        return fig, fig.subplots(nrows, ncols, **kw)

    @staticmethod
    def get_cmap(name: str):
        return require("matplotlib", "audit plots").colormaps[name]


def _plt() -> _Plt:
    return _Plt()


def _colors(n: int):
    cmap = _plt().get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def qtok_bars(pct):
    """Stacked horizontal bars: one bar per tokenizer, Qtok's 12 categories."""
    plt = _plt()
    n = len(pct)
    fig, ax = plt.subplots(figsize=(13, 1.2 + 0.42 * n))
    left = np.zeros(n)
    cols = plt.get_cmap("tab20").colors
    for j, cat in enumerate(pct.columns):
        vals = pct[cat].to_numpy(dtype=float)
        ax.barh(range(n), vals, left=left, color=cols[j % 20], label=cat, height=0.7)
        for i, (v, l0) in enumerate(zip(vals, left)):
            if v >= 6:
                ax.text(l0 + v / 2, i, f"{v:.0f}%", ha="center", va="center", fontsize=8, color="white")
        left += vals
    ax.set_yticks(range(n), pct.index)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of distinct token strings")
    ax.legend(
        ncol=6, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.35 if n < 4 else -0.12 - 0.6 / n), frameon=False
    )
    return fig


def _heat(ax, data, rows, cols, *, fmt="{:.0f}", cmap="Blues", vmax=None):
    im = ax.imshow(
        data, aspect="auto", cmap=cmap, vmin=0, vmax=vmax if vmax is not None else max(np.nanmax(data), 1e-9)
    )
    ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    if data.size <= 400:
        hi = np.nanmax(data) if data.size else 1
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                v = data[i, j]
                if np.isfinite(v):
                    ax.text(
                        j,
                        i,
                        fmt.format(v),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v > 0.6 * hi else "black",
                    )
    return im


def script_heatmap(scripts, top: int = 18):
    """Percent of each vocabulary per script (top scripts; the rest pooled as 'other')."""
    plt = _plt()
    pct = scripts.div(scripts.sum(axis=1), axis=0) * 100
    keep = list(pct.columns[:top])
    if len(pct.columns) > top:
        pct = pct[keep].assign(other=pct[pct.columns[top:]].sum(axis=1))
    n = len(pct)
    fig, ax = plt.subplots(figsize=(max(8, 0.62 * pct.shape[1] + 2.5), 1.3 + 0.38 * n))
    _heat(ax, pct.to_numpy(dtype=float), list(pct.index), list(pct.columns), fmt="{:.1f}", vmax=100)
    ax.set_title("% of vocabulary by Unicode script", fontsize=10)
    return fig


def length_lines(hists: dict[str, dict[str, int]]):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 3.4))
    for (name, h), c, m in zip(hists.items(), _colors(len(hists)), MARKERS * 3):
        keys = list(h)
        tot = sum(h.values()) or 1
        ax.plot(range(len(keys)), [100 * h[k] / tot for k in keys], marker=m, color=c, label=name, ms=4, lw=1.2)
    longest = max(hists.values(), key=len)
    ax.set_xticks(range(len(longest)), list(longest), fontsize=8)
    ax.set_xlabel("token length in bytes")
    ax.set_ylabel("% of text tokens")
    ax.legend(fontsize=8, ncol=max(1, len(hists) // 8 + 1), loc="upper right")
    ax.grid(alpha=0.3)
    return fig


def language_chart(wide, ylabel: str, baseline: str | None = None, log: bool = False):
    """Languages on x (sorted by the mean over tokenizers), one marker series per tokenizer."""
    plt = _plt()
    wide = wide.loc[wide.mean(axis=1).sort_values().index]
    n_lang, n_tok = wide.shape
    per = 70  # languages per panel: long lists wrap into stacked panels instead of scrolling sideways
    n_pan = max(1, -(-n_lang // per))
    width = 13 if n_pan > 1 else max(8, 0.19 * n_lang + 2.5)
    fig, axes = plt.subplots(n_pan, 1, figsize=(width, 3.6 * n_pan + 0.5), squeeze=False, sharey=True)
    vals = wide.to_numpy(dtype=float)
    lo, hi = np.nanmin(vals), np.nanmax(vals)
    for p, ax in enumerate(axes[:, 0]):
        part = wide.iloc[p * per : (p + 1) * per]
        x = np.arange(len(part))
        for (name, col), c, m in zip(part.items(), _colors(n_tok), MARKERS * 3):
            ax.plot(x, col.to_numpy(dtype=float), m, color=c, ms=4 if n_tok > 5 else 5, alpha=0.85, label=name, lw=0)
        if log:
            ax.set_yscale("log")
            ax.axhline(1.0, color="gray", lw=0.8, ls="--")
        if baseline is not None and baseline in part.index:
            b = list(part.index).index(baseline)
            ax.axvline(b, color="red", lw=1, alpha=0.6)
            ax.annotate(
                f"baseline {baseline}", (b, 1.0), xytext=(4, 8), textcoords="offset points", color="red", fontsize=8
            )
        ax.set_xticks(x, part.index, rotation=90, fontsize=7.5)
        ax.set_xlim(-1, per if n_pan > 1 else len(part))
        ax.set_ylim(lo / 1.15 if log else 0, hi * 1.15)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, axis="y")
    axes[0, 0].legend(fontsize=8, ncol=min(n_tok, 5), loc="lower left", bbox_to_anchor=(0, 1.01), frameon=False)
    fig.tight_layout()
    return fig


def overlap_heatmaps(jac, share):
    plt = _plt()
    n = len(jac)
    size = max(3.5, 0.55 * n + 1.5)
    stacked = n > 6  # side by side gets too wide for many tokenizers
    fig, axes = plt.subplots(
        2 if stacked else 1, 1 if stacked else 2, figsize=(size + 1, 2 * size + 1) if stacked else (2 * size + 1, size)
    )
    for ax, df, title in ((axes[0], jac, "Jaccard (bytes)"), (axes[1], share, "share of row in column")):
        _heat(ax, df.to_numpy(dtype=float), list(df.index), list(df.columns), fmt="{:.2f}", cmap="Greens", vmax=1)
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def coverage_heatmap(cov):
    """wordfreq languages (columns) x tokenizers (rows): share of common words that are one token."""
    plt = _plt()
    df = cov.T
    fig, ax = plt.subplots(figsize=(max(9, 0.27 * df.shape[1] + 2), 1.3 + 0.38 * len(df)))
    _heat(ax, 100 * df.to_numpy(dtype=float), list(df.index), list(df.columns), fmt="{:.0f}", cmap="Purples", vmax=100)
    ax.set_title("% of the language's 5,000 most frequent words that are a single token", fontsize=10)
    return fig
