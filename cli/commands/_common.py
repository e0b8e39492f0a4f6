"""Small pieces shared by several commands (no command here)."""

from __future__ import annotations

import click


def print_comparison(comparison: dict, source: str = "", title: str = "") -> None:
    """The before/after table of `tokforge.evaluate.bits.compare` (lossy round trips flagged)."""
    from rich.console import Console
    from rich.table import Table

    t = Table(
        "language",
        "bits/byte original",
        "bits/byte new",
        "ratio",
        "tokens/byte old",
        "tokens/byte new",
        "next-byte top-1 agreement",
        "round trip",
        title=title or None,
        caption=source or None,
    )
    for lang, r in comparison.items():
        trip = (
            "-"
            if lang == "mean"
            else ", ".join(
                f"{side}: {r[k]}"
                for side, k in (("old", "round_trip_original"), ("new", "round_trip_new"))
                if r.get(k, "exact") != "exact"
            )
            or "exact"
        )
        t.add_row(
            "mean of languages" if lang == "mean" else lang,
            f"{r['bpb_original']:.4f}",
            f"{r['bpb_new']:.4f}",
            f"{r['bpb_ratio']:.3f}",
            f"{r['tokens_per_byte_original']:.4f}",
            f"{r['tokens_per_byte_new']:.4f}",
            f"{r['next_byte_agreement']:.3f}" if "next_byte_agreement" in r else "-",
            trip,
        )
    Console().print(t)


def print_heal(report: dict) -> None:
    """Bits/byte of teacher, student before and after healing, per language."""
    from rich.console import Console
    from rich.table import Table

    ev = report["evaluation"]
    t = Table(
        "language",
        "teacher bits/byte",
        "before",
        "after",
        "ratio before",
        "ratio after",
        "gap closed",
        title=f"heal: {report['steps']} steps, loss {report['config']['loss']}",
        caption=ev["texts"],
    )
    for lang, r in ev["comparison"].items():
        gap = r.get("gap_closed")
        t.add_row(
            "mean of languages" if lang == "mean" else lang,
            f"{r['bpb_teacher']:.4f}",
            f"{r['bpb_before']:.4f}",
            f"{r['bpb_after']:.4f}",
            f"{r['ratio_before']:.3f}",
            f"{r['ratio_after']:.3f}",
            "-" if gap is None else f"{100 * gap:.0f}%",
        )
    Console().print(t)
    sel = report.get("selection")
    if sel:
        click.echo(
            f"kept the rows of step {sel['best_step']} of {report['steps']} (selection ratio "
            f"{sel['best_select_ratio']:.4f} on {sel['texts']}, scored every {sel['every']} steps)"
        )
    if ev.get("gap_after"):
        print_gap(ev["gap_after"])


def print_gap(gap_by_lang: dict) -> None:
    """Where the gap left after healing is: bits per class of chunk, all languages together."""
    from rich.console import Console
    from rich.table import Table

    from tokforge.evaluate.gap import total_by_class

    tot = total_by_class(gap_by_lang)
    t = Table(
        "chunk class",
        "chunks",
        "excess bits",
        "share",
        "in new rows training never showed",
        title=f"where the remaining gap is ({tot['total']['gap_bits']:.0f} bits over the original)",
        caption="docs/transplant.md (Where the gap is) explains the classes"
        + (f"; not aligned (lossy): {', '.join(tot['not_aligned'])}" if tot.get("not_aligned") else ""),
    )
    for cls, r in tot.items():
        if cls in ("total", "not_aligned"):
            continue
        share = r["share_of_gap"]
        t.add_row(
            cls,
            str(r["chunks"]),
            f"{r['excess_bits']:.0f}",
            "-" if share is None else f"{100 * share:.0f}%",
            "-" if r["excess_bits_unseen_new_rows"] is None else f"{r['excess_bits_unseen_new_rows']:.0f}",
        )
    Console().print(t)
