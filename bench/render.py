"""Tables and inline values in README.md and docs/*.md rebuilt from bench/results/*.json.

Two kinds of rendered region (the number rule: a measured number appears in a page only inside one):

- a table: ``<!-- bench:NAME -->`` (its own line) ... ``<!-- /bench -->``; ``RENDERERS[NAME]`` turns
  the results into the markdown in between;
- an inline value: ``<!-- v:NAME -->1.110<!-- /v -->`` inside a sentence; ``VALUES[NAME]`` is a results
  file, a ``/``-separated path into it and a format (``"{:.3f}"``, ``"{:.1f}x"``, ``"{:.0%}"``,
  ``"{:+.1%}"`` ...), or a function returning the text. ``GOALS`` holds the goals quoted next to
  results; they render the same way (``<!-- v:goal.NAME -->``).

``python bench/render.py`` rewrites every region in place; ``python bench/render.py --check`` (and the
docs tests) fails when a region differs from what the results give, so no rendered number can drift
from its measurement. ``bench/check_docs.py`` fails on a measured-looking number outside a region.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REGION = re.compile(r"(<!-- bench:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /bench -->)", re.S)
INLINE = re.compile(r"(<!-- v:(?P<name>[\w.:,=-]+) -->)(?P<body>[^\n]*?)(<!-- /v -->)")


@functools.lru_cache(maxsize=None)
def _load(name: str) -> dict:
    """A results file, read once per process (renderers only read it)."""
    return json.loads((RESULTS / name).read_text())


def _f(x, nd=3) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


NO_INTERVAL = "(no interval: results predate the yardstick)"


def _ci(x, interval, nd=3) -> str:
    """``ratio [lo, hi]`` (the 95% bootstrap interval over sentences, `bench/stats.py`), or the ratio alone
    when the results file has no interval for it (never an invented one)."""
    if x is None or not interval:
        return _f(x, nd)
    return f"{x:.{nd}f} [{interval[0]:.{nd}f}, {interval[1]:.{nd}f}]"


def _caption(missing: bool) -> str:
    """The note above a ratio table some of whose cells have no interval (a blank line ends it)."""
    return f"{NO_INTERVAL}\n\n" if missing else ""


HEAL_KINDS = {"main": "goal run", "ablation": "ablation"}


def _heal_label(r: dict) -> str:
    if r["kind"] == "calibration":
        return "calibration only"
    if r["kind"] == "lever":  # the calibrator rows (bench/heal.py calibrator_rows)
        on = r.get("config", {}).get("calibrator")
        return f"{r['loss']}, {'with' if on else 'without'} calibrator, from {r.get('start', 'hybrid')}"
    return f"{r['loss']} ({HEAL_KINDS[r['kind']]})"


def heal_table(target: str) -> str:
    """Ratio to the original per language: before healing, then after each run (ablation, goal, calibrator
    rows), each with its 95% bootstrap interval over sentences when the results have one; the last column is
    the mean on held-out FLORES dev lines, which chooses the goal run's loss."""
    res = _load("heal.json")
    row = res["targets"].get(target)
    if not row or not row["runs"]:
        return f"(no healing run on `{target}` in bench/results/heal.json yet)\n"
    runs = list(row["runs"].values())
    langs = [k for k in next(iter(runs))["comparison"] if k != "mean"] + ["mean"]
    head = "| run | minutes | steps | " + " | ".join(langs) + " | dev mean (chooses the goal loss) |"
    lines = [head, "|" + "---|" * (4 + len(langs))]
    first = runs[0]["comparison"]
    before = row.get("baseline_interval") or {}
    missing = not before or any("interval" not in r for r in runs)
    lines.append(
        "| before healing (hybrid transplant) | - | - | "
        + " | ".join(_ci(first[k]["ratio_before"], before.get(k)) for k in langs)
        + " | - |"
    )
    for r in runs:
        steps = f"{r['steps']}" + (f" (kept {r['selection']['best_step']})" if r.get("selection") else "")
        iv = (r.get("interval") or {}).get("ratio_after") or {}
        dev = r.get("dev") or {}
        missing |= bool(dev) and "dev_interval" not in r
        lines.append(
            f"| {_heal_label(r)} | {r['minutes']:g} | {steps} | "
            + " | ".join(_ci(r["comparison"][k]["ratio_after"], iv.get(k)) for k in langs)
            + f" | {_ci(dev.get('ratio_after'), r.get('dev_interval'))} |"
        )
    return _caption(missing) + "\n".join(lines) + "\n"


def heal_gap_table(target: str) -> str:
    """Where the gap to the original is on devtest, per class of chunk: English and all languages together,
    before healing and after the goal run (excess bits; in brackets, the part in chunks holding a new
    row the training text never shows)."""
    res = _load("heal.json")
    gap = (res["targets"].get(target) or {}).get("gap")
    if not gap:
        return f"(no gap breakdown for `{target}` in bench/results/heal.json yet)\n"
    from tokforge.evaluate.gap import CLASSES, total_by_class

    b, a = gap["before"], gap["after_goal_run"]
    sums = [total_by_class({k: v for k, v in x.items() if k == "eng_Latn"}) for x in (b, a)]
    sums += [total_by_class(b), total_by_class(a)]

    def cell(tot: dict, cls: str) -> str:
        r = tot.get(cls)
        if r is None:
            return "-"
        u = r["excess_bits_unseen_new_rows"]
        return f"{r['excess_bits']:.0f} ({'-' if u is None else f'{u:.0f}'})"

    lines = [
        "| chunk class | English chunks | English before | English after | all languages before | all after |",
        "|---|---|---|---|---|---|",
    ]
    for cls in CLASSES:
        n = sums[0].get(cls, {}).get("chunks", 0)
        lines.append(f"| {cls} | {n} | " + " | ".join(cell(x, cls) for x in sums) + " |")
    lines.append("| total gap (bits) | - | " + " | ".join(f"{x['total']['gap_bits']:.0f}" for x in sums) + " |")
    return "\n".join(lines) + "\n"


def heal_marginal_table() -> str:
    """Canonical vs all-tokenization (beam marginal) bits/byte of each transplanted model over the original's,
    on the same sentences: how much of the gap is probability on other tokenizations of the same bytes."""
    res = _load("heal_marginal.json")
    orig = res["original"]
    langs = [k for k in orig if not k.startswith("_")]
    lines = [
        "| new vocabulary | model | language | sentences | ratio, canonical tokenization | "
        "ratio, all tokenizations (beam) | share of the canonical gap on other tokenizations |",
        "|---|---|---|---|---|---|---|",
    ]
    for target, row in res["targets"].items():
        for stage, label in (("transplant", "hybrid transplant"), ("calibrated", "after calibration")):
            for lang in langs:
                r = row[stage]["vs_original"][lang]
                share = r["gap_share_on_other_tokenizations"]
                lines.append(
                    f"| {TARGET_LABELS.get(target, target)} | {label} | {lang} | {orig[lang]['sentences']} | "
                    f"{_f(r['ratio_canonical'])} | {_f(r['ratio_marginal'])} | "
                    f"{'-' if share is None else f'{share:.0%}'} |"
                )
    for lang in langs:
        o = orig[lang]
        lines.append(
            f"| (original, bits/byte) | SmolLM2-135M | {lang} | {o['sentences']} | {_f(o['canonical_bpb'])} | "
            f"{_f(o['marginal_bpb'])} | - |"
        )
    return "\n".join(lines) + "\n"


def heal_lr_table() -> str:
    """The row learning rate of each target, chosen on held-out FLORES dev (never on devtest)."""
    res = _load("heal.json")
    lines = [
        "| new vocabulary | row lr | steps | dev mean ratio before -> after | chosen |",
        "|---|---|---|---|---|",
    ]
    for target, row in res["targets"].items():
        for lr, r in (row.get("lr_sweep") or {}).items():
            d = r["dev"]
            chosen = "yes" if row.get("lr") == float(lr) else ""
            lines.append(
                f"| {TARGET_LABELS.get(target, target)} | {float(lr):g} | {r['steps']} | "
                f"{_f(d['ratio_before'])} -> {_f(d['ratio_after'])} | {chosen} |"
            )
    return "\n".join(lines) + "\n"


TARGET_LABELS = {"gemma3": "Gemma-3 SentencePiece, 262k", "bpe32k": "32k byte-level BPE (FLORES dev, 8 languages)"}


def heal_calibrate_table() -> str:
    """The calibration stage alone: one shared shift vs one per piece-count group, fitted on N training
    windows; mean ratio on the dev held-out sentences (chooses) and on devtest (reports), and English."""
    res = _load("heal_calibrate.json")
    lines = [
        "| new vocabulary | shift | windows | dev mean ratio | devtest mean ratio | devtest English | "
        "mass on the shifted rows, before -> after | chosen on dev |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target, row in res["targets"].items():
        first = next(iter(row["runs"].values()))
        d0, t0 = first["dev"]["mean"], first["devtest"]
        lines.append(
            f"| {TARGET_LABELS.get(target, target)} | none (the transplant) | - | {_f(d0['ratio_before'])} | "
            f"{_f(t0['mean']['ratio_before'])} | {_f(t0['eng_Latn']['ratio_before'])} | - | |"
        )
        for key, r in row["runs"].items():
            c, t = r["calibration"], r["devtest"]
            shift = "one per piece-count group" if r["calibrate_by"] == "pieces" else "one shared"
            lines.append(
                f"| {TARGET_LABELS.get(target, target)} | {shift} | {r['windows']} | "
                f"{_f(r['dev']['mean']['ratio_after'])} | {_f(t['mean']['ratio_after'])} | "
                f"{_f(t['eng_Latn']['ratio_after'])} | {_f(c['mass_before'])} -> {_f(c['mass_after'])}"
                f"{'' if c['kept'] else ' (not kept)'} | {'yes' if key == row['best_on_dev'] else ''} |"
            )
    return "\n".join(lines) + "\n"


def heal_train_table() -> str:
    """What trains, at equal time: mean ratio on the dev held-out sentences (would choose) and on devtest
    (reports), English, and English's remaining gap in chunks whose new rows training never showed."""
    res = _load("heal_train.json")
    lines = [
        "| new vocabulary | what trains | steps | dev mean ratio | devtest mean ratio | devtest English | "
        "English gap bits (of which in new rows never shown) | best on dev |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target, row in res["targets"].items():
        best = min(row["runs"], key=lambda k: row["runs"][k]["dev"]["mean"]["ratio_after"])
        first = next(iter(row["runs"].values()))
        lines.append(
            f"| {TARGET_LABELS.get(target, target)} | nothing (the transplant) | 0 | "
            f"{_f(first['dev']['mean']['ratio_before'])} | {_f(first['devtest']['mean']['ratio_before'])} | "
            f"{_f(first['devtest']['eng_Latn']['ratio_before'])} | | |"
        )
        for mode, r in row["runs"].items():
            g = r["english_gap"]
            unseen = sum(c.get("excess_bits_unseen_new_rows", 0.0) for c in g["classes"].values())
            lines.append(
                f"| {TARGET_LABELS.get(target, target)} | {TRAIN_LABELS.get(mode, mode)} | {r['steps']} | "
                f"{_f(r['dev']['mean']['ratio_after'])} | {_f(r['devtest']['mean']['ratio_after'])} | "
                f"{_f(r['devtest']['eng_Latn']['ratio_after'])} | {g['gap_bits']:.0f} ({unseen:.0f}) | "
                f"{'yes' if mode == best else ''} |"
            )
    return "\n".join(lines) + "\n"


TRAIN_LABELS = {
    "embeddings": "new rows (`--train embeddings`)",
    "embeddings+copied": "new and copied rows (`--train-copied`)",
    "all": "all rows and the body (`--train all`)",
}


def heal_init_table() -> str:
    """A ridge map from start rows to what training changed, applied to the rows training never showed:
    its R^2 on held-out moved rows, then each model's mean ratio on dev (would choose) and devtest, and English."""
    res = _load("heal_init.json")
    f = res["fit"]
    lines = [
        f"Rows: {f['new_rows']} new, {f['moved_rows']} moved by training, {f['unseen_rows']} never shown. "
        f"R^2 of the map on held-out moved rows: {f['r2_held_out_rows']:.3f} (on the rows it was fitted on: "
        f"{f['r2_fit_rows']:.3f}; the mean change alone: {f['r2_held_out_mean_change']:.3f}).",
        "",
        "| model | dev mean ratio | devtest mean ratio | devtest English | best on dev |",
        "|---|---|---|---|---|",
    ]
    runs = res["runs"]
    best = min(runs, key=lambda k: runs[k]["dev"]["mean"]["ratio_after"])
    first = next(iter(runs.values()))
    lines.append(
        f"| the transplant | {_f(first['dev']['mean']['ratio_before'])} | "
        f"{_f(first['devtest']['mean']['ratio_before'])} | {_f(first['devtest']['eng_Latn']['ratio_before'])} | |"
    )
    for k, r in runs.items():
        label = f"healed ({r['steps']} steps)" if k == "healed" else k
        lines.append(
            f"| {label} | {_f(r['dev']['mean']['ratio_after'])} | {_f(r['devtest']['mean']['ratio_after'])} | "
            f"{_f(r['devtest']['eng_Latn']['ratio_after'])} | {'yes' if k == best else ''} |"
        )
    return "\n".join(lines) + "\n"


def heal_selection_table() -> str:
    """The goal runs' scores on the held-out dev lines (mean ratio), step by step: which step's rows they kept."""
    res = _load("heal.json")
    lines = [
        "| new vocabulary | steps | dev mean ratio, step by step (step: ratio) | kept step | kept dev ratio |",
        "|---|---|---|---|---|",
    ]
    for target, row in res["targets"].items():
        for r in row["runs"].values():
            sel = r.get("selection")
            if r["kind"] != "main" or not sel:
                continue
            hist = ", ".join(f"{h['step']}: {h['select_ratio']:.3f}" for h in sel["history"])
            lines.append(
                f"| {TARGET_LABELS.get(target, target)} | {r['steps']} | {hist} | {sel['best_step']} "
                f"| {sel['best_select_ratio']:.3f} |"
            )
    return "\n".join(lines) + "\n"


def heal_summary() -> str:
    """README: per target, the goal run: English and the mean of languages, before and after healing."""
    res = _load("heal.json")
    lines = [
        "| new vocabulary | loss (best at equal time) | CPU minutes | steps | English before -> after "
        "| mean of languages before -> after |",
        "|---|---|---|---|---|---|",
    ]
    missing = False
    for target, row in res["targets"].items():
        runs = [r for r in row["runs"].values() if r["kind"] == "main"]
        label = TARGET_LABELS.get(target, target)
        if not runs:
            lines.append(f"| {label} | (goal run not finished) | - | - | - | - |")
            continue
        r = runs[-1]
        e, m = r["comparison"].get("eng_Latn", {}), r["comparison"]["mean"]
        iv = r.get("interval") or {}
        b, a = iv.get("ratio_before") or {}, iv.get("ratio_after") or {}
        missing |= not iv
        steps = f"{r['steps']}" + (f" (kept {r['selection']['best_step']})" if r.get("selection") else "")
        lines.append(
            f"| {label} | {r['loss']} | {r['minutes']:g} | {steps} | "
            f"{_ci(e.get('ratio_before'), b.get('eng_Latn'))} -> {_ci(e.get('ratio_after'), a.get('eng_Latn'))} | "
            f"{_ci(m['ratio_before'], b.get('mean'))} -> {_ci(m['ratio_after'], a.get('mean'))} |"
        )
    return _caption(missing) + "\n".join(lines) + "\n"


def transplant_table(target: str) -> str:
    """Bits/byte ratio to the original per method and language (with its 95% bootstrap interval over
    sentences when the results have one), with next-byte agreement."""
    res = _load("transplant.json")
    methods = (res["targets"].get(target) or {}).get("methods")
    if not methods:
        return f"(no transplant run on `{target}` in bench/results/transplant.json yet)\n"
    langs = [k for k in next(iter(methods.values()))["comparison"] if k != "mean"]
    marginal = any(m.get("marginal_ratio") for m in methods.values())  # the column only when the run scored it
    head = [*langs, "mean", "mean minus hybrid's (paired)", "hybrid's gap closed"]
    head += ["mean, all tokenizations (texts)"] * marginal
    head += ["next-byte top-1 agreement", "tokens/byte vs original", "plan s"]
    lines = ["| method | " + " | ".join(head) + " |", "|" + "---|" * (len(head) + 1)]
    missing = False
    hybrid = (methods.get("hybrid") or {}).get("comparison", {}).get("mean", {}).get("bpb_ratio")
    for name, m in methods.items():
        c, iv = m["comparison"], m.get("interval") or {}
        missing |= not iv
        x = c["mean"]["bpb_ratio"]
        cells = [_ci(c[k]["bpb_ratio"], iv.get(k)) for k in langs]
        cells += [
            _ci(x, iv.get("mean")),
            _signed_interval((m.get("minus_hybrid") or {}).get("mean")),
            _closed(hybrid, x),
        ]
        cells += [_marginal_cell(m.get("marginal_ratio"), m.get("marginal"))] * marginal
        cells += [_f(c["mean"].get("next_byte_agreement")), _f(c["mean"]["length_ratio"]), f"{m['plan_s']:.1f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return _caption(missing) + "\n".join(lines) + "\n"


def _marginal_cell(ratios, blocks) -> str:
    """``1.234 vs 1.301 (20)``: the mean ratio to the original over all tokenizations (the beam bound of
    `tokforge.evaluate.marginal`) vs the canonical ratio of the same texts read the same way, and how many
    texts; ``-`` when the results have none."""
    if not ratios:
        return "-"
    if any(b.get("search_version", 1) < 2 for b in (blocks or {}).values()):
        return "(search v1: a looser bound, not shown)"
    n = sum(b["sentences"] for b in (blocks or {}).values())
    return f"{ratios['marginal']['mean']:.3f} vs {ratios['canonical']['mean']:.3f} ({n})"


def marginal_cost_table() -> str:
    """The default marginal subset against the canonical evaluation of the whole yardstick, CPU seconds in
    one process (bench/marginal_cost.py)."""
    if not (RESULTS / "marginal_cost.json").is_file():
        return "(bench/results/marginal_cost.json is not built yet: `python -m bench marginal_cost`)\n"
    res = _load("marginal_cost.json")
    lines = [
        "| model | canonical: sentences, CPU s | marginal: texts, CPU s | marginal / canonical (goal <= 1) "
        "| hypotheses run | candidates pruned |",
        "|---|---|---|---|---|---|",
    ]
    old = any(b.get("search_version", 1) < 2 for r in res["models"].values() for b in r["marginal"].values())
    note = (
        "(measured with search v1, which dropped some complete segmentations at the end: the same work, so the "
        "costs stand; no bound from it is shown)\n\n"
        if old
        else ""
    )
    for r in res["models"].values():
        blocks = r["marginal"].values()
        n = sum(b["sentences"] for b in blocks)
        lines.append(
            f"| {r['model']} | {_canonical_sentences(res)}, {r['canonical_cpu_s']:.0f} "
            f"| {n}, {r['marginal_cpu_s']:.0f} "
            f"| {r['ratio']:.2f} | {sum(b['hypotheses'] for b in blocks):,} | {sum(b['pruned'] for b in blocks):,} |"
        )
    return note + "\n".join(lines) + "\n"


def marginal_gap_table() -> str:
    """The hybrid transplant into Gemma-3's vocabulary over SmolLM2, per language, on the default marginal subset:
    the ratio of canonical bits/byte and of marginal bits/byte (all tokenizations, the beam bound), both
    models scored the same way in one run (bench/marginal_cost.py)."""
    if not (RESULTS / "marginal_cost.json").is_file():
        return "(bench/results/marginal_cost.json is not built yet: `python -m bench marginal_cost`)\n"
    ms = _load("marginal_cost.json")["models"]
    if "smollm2" not in ms or "gemma3" not in ms:
        return "(marginal_cost.json lacks one of the two models)\n"
    o, n = ms["smollm2"]["marginal"], ms["gemma3"]["marginal"]
    if any(b.get("search_version", 1) < 2 for b in [*o.values(), *n.values()]):
        return "(marginal_cost.json predates search v2: rebuild it)\n"
    lines = [
        "| language | texts | ratio, canonical | ratio, all tokenizations | share of the canonical gap on other "
        "tokenizations |",
        "|---|---|---|---|---|",
    ]
    rows = []
    for lang in o:
        c = n[lang]["canonical_bits_per_byte"] / o[lang]["canonical_bits_per_byte"]
        m = n[lang]["marginal_bits_per_byte"] / o[lang]["marginal_bits_per_byte"]
        rows.append((c, m))
        share = f"{100 * (c - m) / (c - 1):.0f}%" if c > 1 else "-"
        lines.append(f"| {lang} | {n[lang]['sentences']} | {c:.3f} | {m:.3f} | {share} |")
    mc, mm = (sum(x) / len(rows) for x in zip(*rows))
    lines.append(f"| mean | - | {mc:.3f} | {mm:.3f} | {100 * (mc - mm) / (mc - 1):.0f}% |")
    return "\n".join(lines) + "\n"


def _canonical_sentences(res: dict) -> str:
    """How many sentences the canonical side read (from the setup line: first N sentences of 5 languages)."""
    m = re.search(r"first (\d+) sentences of \[([^\]]*)\]", res["setup"]["canonical"])
    return str(int(m.group(1)) * len(m.group(2).split(","))) if m else "-"


def _signed_interval(iv) -> str:
    """A paired difference's 95% interval, ``[-0.012, -0.004]`` (``-`` when there is none)."""
    return "-" if not iv else f"[{iv[0]:+.3f}, {iv[1]:+.3f}]"


def _closed(reference, x) -> str:
    """The share of the reference's gap to a ratio of one that ``x`` closes: ``(ref - x) / (ref - 1)``."""
    if reference is None or x is None or reference <= 1:
        return "-"
    return f"{100 * (reference - x) / (reference - 1):+.0f}%"


def heal_calibrator_table(target: str) -> str:
    """The calibrator lever (bench/results/heal_calibrator.json): the start, calibration only, then the same
    healing run without and with the shared calibrator at equal CPU time; mean ratio with its interval, the
    share of the start's gap closed, and (last row) the paired interval of with minus without."""
    if not (RESULTS / "heal_calibrator.json").is_file():
        return "(bench/results/heal_calibrator.json is not built yet: `python -m bench heal_calibrator`)\n"
    res = _load("heal_calibrator.json")
    row = (res.get("targets") or {}).get(target)
    if not row or not row.get("runs"):
        return f"(no calibrator run on `{target}` in bench/results/heal_calibrator.json yet)\n"
    runs = row["runs"]
    langs = [k for k in next(iter(runs.values()))["comparison"] if k != "mean"] + ["mean"]
    start = next(iter(runs.values()))["comparison"]["mean"]["ratio_before"]
    lines = [
        "| run | CPU minutes | steps | " + " | ".join(langs) + " | start's gap closed "
        "| mean, all tokenizations vs canonical (texts) |",
        "|" + "---|" * (5 + len(langs)),
        f"| start ({row.get('calibrator_start', {}).get('chosen', 'hybrid')} transplant) | - | - | "
        + " | ".join(
            _ci(runs[next(iter(runs))]["comparison"][k]["ratio_before"], row["baseline_interval"].get(k)) for k in langs
        )
        + f" | - | {_marginal_cell(row.get('marginal_ratio_before'), (row.get('marginal') or {}).get('before'))} |",
    ]
    for key in ("calibration", "calibrator:without", "calibrator:with"):
        r = runs.get(key)
        if r is None:
            lines.append(f"| {key} | (not run) |" + " |" * (len(langs) + 3))
            continue
        iv = (r.get("interval") or {}).get("ratio_after") or {}
        steps = f"{r['steps']}" + (f" (kept {r['selection']['best_step']})" if r.get("selection") else "")
        label = "calibration only" if key == "calibration" else _heal_label(r)
        if key == "calibrator:with":
            label += f" (rate {row.get('calibrator_lr')})"
        lines.append(
            f"| {label} | {r['minutes']:g} | {steps} | "
            + " | ".join(_ci(r["comparison"][k]["ratio_after"], iv.get(k)) for k in langs)
            + f" | {_closed(start, r['comparison']['mean']['ratio_after'])} "
            f"| {_marginal_cell(r.get('marginal_ratio'), r.get('marginal'))} |"
        )
    eff = (row.get("calibrator_effect") or {}).get("with_minus_without")
    if eff:
        lines.append(
            "| with minus without (paired) | - | - | "
            + " | ".join(_signed_interval(eff.get(k)) for k in langs)
            + " | - | - |"
        )
    return "\n".join(lines) + "\n"


def heal_speed_table() -> str:
    """Heal's training tokens per CPU second by lever, both vocabularies (heal_speed.json)."""
    if not (RESULTS / "heal_speed.json").is_file():
        return "Not measured yet (`python -m bench heal_speed`).\n"
    r = _load("heal_speed.json")
    s = r["settings"]
    lines = [
        f"{s['steps']} steps per run, {s['repeat']} interleaved runs of each lever (median), {s['threads']} torch "
        f"thread(s); CPU time, the first step of each run left out; {s['loss']}.",
        "",
        "| target | lever | tokens / CPU s | vs baseline | largest loss difference per step | goal met |",
        "|---|---|---|---|---|---|",
    ]
    for target, row in r["targets"].items():
        for name, x in row["levers"].items():
            lines.append(
                f"| {target} ({_k(row['vocab'])}) | `{name}`: {s['levers'][name]} | {x['tokens_per_cpu_s']:.1f} | "
                f"{x['speedup']:.2f}x | {100 * x['max_rel_loss_diff']:.2f}% | "
                f"{'-' if x['speedup'] == 1 and x['max_rel_loss_diff'] == 0 else _met(x['goal_met'])} |"
            )
    return "\n".join(lines) + "\n"


def cold_warm_table() -> str:
    res = _load("transplant.json")["cold_vs_warm"]
    if not res:
        return (
            "(not in the current transplant.json: its run skipped the cold runs, `--cold none`; "
            "`python bench/transplant.py --cold hybrid,omp` measures them)\n"
        )
    lines = [
        "| method | cold wall s | cold CPU s | warm wall s | warm CPU s | goal for cold wall s |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in res.items():
        lines.append(
            f"| {name} | {r['cold_s']:.1f} | {r['cold_cpu_s']:.1f} | {r['warm_s']:.1f} | {r['warm_cpu_s']:.1f} | "
            f"{r['goal_cold_s']} |"
        )
    return "\n".join(lines) + "\n"


def loop_table() -> str:
    """The vectorised TokenAdapt hybrid against a per-token loop (bench/transplant.py)."""
    res = _load("transplant.json")["loop_vs_vectorised"]
    lines = [
        "| vocabulary | rows combined | vectorised s (all rows) | loop s (extrapolated) | speed-up | "
        "sampled rows differing > 1e-4 | max abs difference |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, r in res.items():
        lines.append(
            f"| {TARGET_LABELS.get(key, key)} | {r['tokens_combined']:,} | {r['vectorised_s_all_tokens']:.1f} | "
            f"{r['loop_s_extrapolated_all_tokens']:.1f} | {r['speedup']:.1f}x | "
            f"{r['rows_differing_over_1e-4']} of {r['loop_sample_tokens']} | {r['max_abs_row_difference']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def bytelevel_speed_table() -> str:
    """Byte-level scoring against token-level scoring, bytes per CPU second (bench/bytelevel.py)."""
    res = _load("bytelevel.json")["speed"]
    lines = [
        "| model | token level B/s | byte-level `logprob` B/s (vs token level) "
        "| batched `logprob` (vs batched token level) | `score`, every byte's distribution, B/s (vs token level) "
        "| forward positions per byte (`score`) |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in res["per_model"].items():
        m = r["methods"]
        lines.append(
            f"| {name} | {m['token_level']['bytes_per_cpu_second']:.0f} | "
            f"{m['logprob']['bytes_per_cpu_second']:.0f} ({m['logprob']['throughput_vs_token_level']:.2f}) | "
            f"{m['logprob_batch']['bytes_per_cpu_second']:.0f} "
            f"({m['logprob_batch']['throughput_vs_token_level_batch']:.2f}) | "
            f"{m['score']['bytes_per_cpu_second']:.0f} ({m['score']['throughput_vs_token_level']:.2f}) | "
            f"{m['score']['forward_positions_per_byte']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def bytelevel_costs_table() -> str:
    """Incremental calls against one ``score()`` of the same text, in the same run (bytelevel.json)."""
    res = _load("bytelevel.json")["speed"]
    chain = res.get("chain_vs_score", {})
    lines = [
        "| model | chain of `next_byte_logprobs`, CPU s | one `score()`, CPU s | chain / score |",
        "|---|---|---|---|",
    ]
    for name, c in chain.items():
        lines.append(
            f"| {name} | {c['chain_cpu_seconds']:.2f} | {c['score_cpu_seconds']:.2f} | {c['chain_over_score']:.1f}x |"
        )
    return "\n".join(lines) + "\n"


def bytelevel_canonical_table() -> str:
    """Canonical against model leaves (bench/canonical.py), CPU seconds in one run."""
    res = _load("canonical.json")
    lines = [
        '| model | fast rule (build, CPU s) | `score`, `leaves="model"`, CPU s | `leaves="canonical"`, CPU s '
        "| canonical / model | `logprob` canonical / model | fresh prefix, model, CPU s | canonical "
        "| canonical / model | canonical `score` via every distribution / from prefix masses (bytes) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in res["models"].items():
        old = r.get("old_canonical")
        before = f"{old['via_distributions_over_score']:.0f}x ({old['bytes']})" if old else "-"
        fp = r["fresh_prefix"]
        lines.append(
            f"| {name} | `{r['fast_rule']['kind']}` ({r['fast_rule']['build_cpu_seconds']:.1f}) "
            f"| {r['score/model']['cpu_seconds']:.1f} | {r['score/canonical']['cpu_seconds']:.1f} "
            f"| {r['score_canonical_over_model']:.1f}x | {r['logprob_canonical_over_model']:.1f}x "
            f"| {fp['model']['mean']:.2f} | {fp['canonical']['mean']:.2f} | {fp['canonical_over_model']:.1f}x "
            f"| {before} |"
        )
    return "\n".join(lines) + "\n"


def bytelevel_truncated_table() -> str:
    """Prompts cut at a character boundary: log-prob of the next bytes, naive token level vs exact byte level."""
    res = _load("bytelevel.json")["truncated_prompts"]
    lines = [
        "| model | naive token-level (nats) | exact byte-level (nats) | byte level better |",
        "|---|---|---|---|",
    ]
    for name, r in res.items():
        lines.append(
            f"| {name} | {r['mean_logprob_naive_token']:.2f} | {r['mean_logprob_byte_level']:.2f} | "
            f"{100 * r['byte_level_better_fraction']:.0f}% |"
        )
    return "\n".join(lines) + "\n"


def bytelevel_genlm_table() -> str:
    """tokforge's exact next-byte distribution against genlm-bytes' beam search on the same prefixes."""
    res = _load("bytelevel.json").get("genlm_bytes") or {}
    if not res or "rows" not in next(iter(res.values()), {}):
        return "(genlm-bytes was not importable in the committed run)\n"
    lines = [
        "| model | method | mean CPU s per prefix | CPU time vs tokforge | max total variation to tokforge exact |",
        "|---|---|---|---|---|",
    ]
    for name, r in res.items():
        for row, v in r["rows"].items():
            mean = sum(v["cpu_seconds"]) / len(v["cpu_seconds"])
            ratio = f"{v['genlm_cpu_over_tokforge']:.1f}x" if "genlm_cpu_over_tokforge" in v else "1x"
            tv = _f(v.get("tv_to_tokforge_exact_max"), 4)
            lines.append(f"| {name} | {row} | {mean:.2f} | {ratio} | {tv} |")
    return "\n".join(lines) + "\n"


def bytelevel_ensemble_table() -> str:
    """Bits per byte of each model and ensemble mode, on the select half and the held-out half."""
    res = _load("bytelevel.json")["ensemble"]
    lines = ["| model or ensemble | bits/byte (select half) | bits/byte (held-out half) |", "|---|---|---|"]
    for name, v in res["bits_per_byte"].items():
        lines.append(f"| `{name}` | {v['select']:.3f} | {v['heldout']:.3f} |")
    return "\n".join(lines) + "\n"


def bytelevel_midword_table() -> str:
    """SmolLM2 continuing prompts cut inside a word or a character: exact byte level vs naive tokens."""
    res = _load("bytelevel.json")["midword_generation"]
    lines = ["| sampler | prompts cut | prompts | valid UTF-8 | continues the word |", "|---|---|---|---|---|"]
    for sampler, by in res["counts"].items():
        for where, c in by.items():
            lines.append(f"| {sampler} | {where} | {c['prompts']} | {c['valid_utf8']} | {c['continues_the_word']} |")
    return "\n".join(lines) + "\n"


def _k(n) -> str:
    """``1000 -> '1k'``, ``64000 -> '64k'``."""
    n = int(n)
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def _pct(x, nd=1) -> str:
    """A ratio as a signed percentage change: ``1.1401 -> '+14.0%'``."""
    return "-" if x is None else f"{100 * (x - 1):+.{nd}f}%"


def _mtok(r: dict, who: str) -> float:
    """Million tokens per second (results written before the bench printed it in millions hold tokens/s)."""
    return r[f"{who}_Mtok_per_s"] if f"{who}_Mtok_per_s" in r else r[f"{who}_tok_per_s"] / 1e6


def stochastok_table() -> str:
    """Throughput per tokenizer and document length against the reference algorithm (bench/stochastok.py)."""
    res = _load("stochastok.json")["tokenizers"]
    lines = [
        "| tokenizer | doc length | reference M tok/s | ours single M tok/s | ours batch M tok/s | single / ref | "
        "batch / ref | split rate ref / ours (same docs) |",
        "|" + "---|" * 8,
    ]
    for name, t in res.items():
        for L, r in t["lengths"].items():
            lines.append(
                f"| {name} | {_k(L)} | {_mtok(r, 'reference'):.2f} | {_mtok(r, 'ours_single'):.1f} | "
                f"{_mtok(r, 'ours_batch'):.1f} | {r['ratio_single_vs_reference']:.1f}x | "
                f"{r['ratio_batch_vs_reference']:.1f}x | {r['split_rate_reference']:.3f} / "
                f"{r['split_rate_ours_same_docs']:.3f} |"
            )
    return "\n".join(lines) + "\n"


SUPERTOKEN_ROWS = {
    "plain_bpe": "plain BPE (baseline)",
    "plain_bpe_minfreq2": "plain BPE, min frequency 2",
    "bpe_no_whitespace_pretok": "BPE without whitespace pre-tok.",
    "superbpe_t0.80_end_punct": "SuperBPE `t=0.8` + end-punct",
    "chunked_seed0": "chunked (TokenAdapt-style)",
}


def _supertoken_label(name: str) -> str:
    if name in SUPERTOKEN_ROWS:
        return SUPERTOKEN_ROWS[name]
    if name.startswith("superbpe_t"):
        t = float(name[len("superbpe_t") :])
        return f"SuperBPE `t={t:g}`" + (" (default)" if abs(t - 0.8) < 1e-9 else "")
    return name


def _by_set(r: dict) -> str:
    by = r.get("tokens_vs_plain_by_set")
    return " / ".join(f"{v:.3f}" for v in by.values()) if by else "-"


def supertokens_table() -> str:
    """Held-out tokens per vocabulary size and method, relative to plain BPE (bench/supertokens.py)."""
    res = _load("supertokens.json")["sizes"]
    lines = [
        "| vocab | tokenizer | vocab reached | held-out tokens | vs plain | vs plain: Shakespeare / FLORES | "
        "bytes/token | multi-word share | train s | train time vs plain |",
        "|" + "---|" * 10,
    ]
    for v, rows in res.items():
        for r in rows:
            lines.append(
                f"| {_k(v)} | {_supertoken_label(r['name'])} | {r['vocab']:,} | {r['tokens']:,} | "
                f"{r['tokens_vs_plain']:.3f} | {_by_set(r)} | {r['bytes_per_token']:.2f} | "
                f"{100 * r['multiword_share']:.1f}% | {r['train_s']:.1f} | {r['train_time_vs_plain']:.1f}x |"
            )
    return "\n".join(lines) + "\n"


def supertokens_extend_table() -> str:
    """SmolLM2's tokenizer vs the same plus supertokens, held-out tokens (bench/supertokens.py extend)."""
    rows = _load("supertokens.json")["extend_smollm2"]
    lines = [
        "| tokenizer | vocab | held-out tokens | vs SmolLM2 | vs SmolLM2: Shakespeare / FLORES | bytes/token | "
        "multi-word share | train s |",
        "|" + "---|" * 8,
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['vocab']:,} | {r['tokens']:,} | {r['tokens_vs_plain']:.3f} | {_by_set(r)} | "
            f"{r['bytes_per_token']:.2f} | {100 * r['multiword_share']:.1f}% | "
            f"{_f(r.get('train_s'), 1)} |"
        )
    return "\n".join(lines) + "\n"


TEXT_LABELS = {"shakespeare_heldout": "Shakespeare held-out", "flores_devtest_eng": "FLORES devtest eng"}


def supertokens_transplant_table() -> str:
    """SmolLM2 put onto SmolLM2 + N supertokens, no training: tokens/byte and bits/byte per text."""
    res = _load("supertokens.json")["extend_transplant"]
    lines = [
        "| text | supertokens | method | tokens/byte old -> new | sequence length | bits/byte old -> new | "
        "bits/byte cost | plan s |",
        "|" + "---|" * 8,
    ]
    for r in res["rows"]:
        for text, c in r["comparison"].items():
            if text == "mean":
                continue
            lines.append(
                f"| {TEXT_LABELS.get(text, text)} | {r['supertokens']:,} | {r['method']} | "
                f"{c['tokens_per_byte_original']:.4f} -> {c['tokens_per_byte_new']:.4f} | "
                f"{_pct(c['length_ratio'])} | {c['bpb_original']:.3f} -> {c['bpb_new']:.3f} | "
                f"{_pct(c['bpb_ratio'])} | {r['plan_s']:.1f} |"
            )
    return "\n".join(lines) + "\n"


HYPERNET_TARGETS = {
    "bpe32k-flores-dev": "32k byte-level BPE trained on FLORES dev, 8 languages",
    "gemma3-262k": "Gemma-3 SentencePiece",
    "supertokens-smollm2-ext": "SmolLM2 + supertokens (`common.supertokens_ext`)",
}
HYPERNET_METHODS = {
    "mean": "mean",
    "fvt": "fvt",
    "hybrid": "TokenAdapt hybrid",
    "hypernet-recon": "hypernet-recon",
    "hypernet": "hypernet",
}


def hypernet_table() -> str:
    """Bits/byte (and change vs the original) per unseen tokenizer and method; best of each row in bold."""
    res = _load("hypernet.json")
    lines = [
        "| unseen tokenizer | vocab | tokens/byte | " + " | ".join(HYPERNET_METHODS.values()) + " |",
        "|" + "---|" * (3 + len(HYPERNET_METHODS)),
    ]
    for key, t in res["targets"].items():
        got = {m: t[m] for m in HYPERNET_METHODS if m in t}
        best = min(got, key=lambda m: got[m]["bits_per_byte"]) if got else None
        cells = []
        for m in HYPERNET_METHODS:
            if m not in got:
                cells.append("-")
                continue
            cell = f"{got[m]['bits_per_byte']:.4f} ({_pct(got[m]['vs_original'])})"
            cells.append(f"**{cell}**" if m == best else cell)
        tpb = next(iter(got.values()))["tokens_per_byte"] if got else None
        lines.append(
            f"| {HYPERNET_TARGETS.get(key, key)} | {t['vocab_size']:,} | {_f(tpb, 4)} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


LOAD_LABELS = {"smollm2-135m": "SmolLM2-135M", "gemma3-270m": "Gemma-3-270M"}


def load_table() -> str:
    """Reading the vocabulary from GGUF metadata vs transformers' conversion (bench/load.py), same run."""
    res = _load("load.json")
    n = res.get("best_of", 1)
    lines = [
        f"| GGUF | tokforge vocab (best of {n}) | transformers conversion (best of {n}) | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for name, r in res["gguf_vocab_vs_transformers"].items():
        lines.append(
            f"| {LOAD_LABELS.get(name, name)} ({r['vocab_size'] // 1000}k) | {r['tokforge_vocab_s']} s | "
            f"{r['transformers_convert_s']} s | {r['speedup']}x |"
        )
    return "\n".join(lines) + "\n"


def audit_corpus_table() -> str:
    """Corpus metrics against the same tokenizer's raw batch encoding, 204 FLORES languages (bench/audit.py)."""
    res = _load("audit.json")["corpus_metrics_flores204"]
    lines = [
        "| tokenizer | raw `encode_batch` | metrics (incl. encoding) | ratio vs `encode_batch` | vs bare backend "
        "| vs `encode_batch` with GC paused (strict) | CPU-time ratio, strict |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in res.items():
        if not isinstance(r, dict):
            continue
        lines.append(
            f"| {name} | {r['raw_encode_batch_s']} s | {r['metrics_incl_encoding_s']} s | {r['ratio_vs_encode_batch']} "
            f"| {r['ratio_vs_bare_backend']} | {r['ratio_vs_encode_batch_gc_paused']} "
            f"| {r['cpu_ratio_vs_encode_batch_gc_paused']} |"
        )
    return "\n".join(lines) + "\n"


AUDIT_LABELS = {"gpt2": "GPT-2", "smollm2-135m": "SmolLM2-135M", "gemma3-270m": "Gemma-3-270M"}


def audit_main_table() -> str:
    """The main job: GPT-2, SmolLM2 and Gemma-3 on FLORES-200 devtest (``main_job`` in audit.json)."""
    job = _load("audit.json")["main_job"]
    toks = job["tokenizers"]

    def row(label: str, cell) -> str:
        return f"| {label} | " + " | ".join(cell(t) for t in toks.values()) + " |"

    def slash(d: dict, fmt: str = "{:.2f}") -> str:
        return " / ".join(fmt.format(v) for v in d.values())

    def unreachable(t: dict) -> str:
        ex = ", ".join(f"`{e}`" for e in t["unreachable_examples"])
        return f"{t['unreachable']} of {t['tested']:,}" + (f" ({ex})" if ex else "")

    lines = [
        "| | " + " | ".join(AUDIT_LABELS.get(k, k) for k in toks) + " |",
        "| --- |" + " --- |" * len(toks),
        row("vocabulary", lambda t: f"{t['vocab']:,}"),
        row(f"bytes / token (all {job['languages']} languages)", lambda t: f"{t['bytes_per_token']:.2f}"),
        row("parity mean / median (x English)", lambda t: f"{t['parity_mean']:.2f} / {t['parity_median']:.2f}"),
        row("parity of Chinese (x English)", lambda t: f"{t['parity_zho_Hans']:.2f}"),
        row("worst language", lambda t: f"{t['worst_language']} {t['worst_parity']:.2f}x"),
        row("fertility eng / fra / rus / hin", lambda t: slash(t["fertility"])),
        row("split-word share eng / rus / hin", lambda t: slash(t["split_word_share"])),
        row("utilisation / Rényi eff.", lambda t: f"{t['utilisation']:.2f} / {t['renyi']:.2f}"),
        row("unreachable tokens", unreachable),
        row(
            "partial-UTF-8 tokens",
            lambda t: (
                f"{t['partial_utf8']}" + (f" (+{t['byte_fallback']} byte fallback)" if t["byte_fallback"] else "")
            ),
        ),
        row("Qtok spaced_alpha / inner_alpha / char_alpha", lambda t: slash(t["qtok_percent"], "{:.1f}%")),
    ]
    pairs = ", ".join(f"{k} {v:.2f}" for k, v in job["jaccard"].items())
    share = ", ".join(f"{AUDIT_LABELS.get(k, k)} {v}%" for k, v in job["share_in_gemma3"].items())
    lines += [
        "",
        f"Jaccard overlap: {pairs}. Share of each vocabulary's tokens that are also Gemma-3 tokens: {share}. "
        f"The run: {job['lines']:,} lines, {job['wall_s']:.1f} s wall, {job['cpu_s']:.1f} s CPU.",
    ]
    return "\n".join(lines) + "\n"


def audit_vocab_table() -> str:
    """Vocabulary-only audit against Qtok (fresh processes), and the parts of a Gemma-3 vocabulary audit."""
    res = _load("audit.json")
    q, g = res["vs_qtok"], res["vocab_audit_gemma3"]
    goal = GOALS["goal.audit.vs_qtok"]
    return (
        "\n".join(
            [
                "| measure | tokforge | baseline | ratio | goal |",
                "| --- | --- | --- | --- | --- |",
                f"| vocabulary-only audit, {q['tokenizer']} (best of {q['repeat']}) | {q['tokforge_s']:.3f} s "
                f"| Qtok {q['qtok_s']:.2f} s | {q['speedup']:.1f}x faster | {goal} |",
                f"| the same with `--reachability` | {q['tokforge_with_reachability_s']:.3f} s "
                f"| Qtok {q['qtok_s']:.2f} s | {q['speedup_with_reachability']:.2f}x faster | - |",
                f"| Gemma-3 ({g['vocab_size']:,} tokens), in-process: Qtok categories | {g['qtok_categories_s']:.3f} s "
                "| - | - | - |",
                f"| Gemma-3: census with reachability | {g['census_with_reachability_s']:.3f} s | - | - | - |",
                f"| Gemma-3: wordfreq coverage, 42 languages | {g['coverage_42_languages_s']:.3f} s | - | - | - |",
                f"| Gemma-3: all of it | {g['total_s']:.3f} s wall, {g['total_cpu_s']:.3f} s CPU | - | - | - |",
            ]
        )
        + "\n"
    )


def _scale_runs(r: dict) -> str:
    """How audit_scale.json's numbers were taken: the median or the best of its runs, and the raw side's GC."""
    n = r.get("repeat", 1)
    runs = (
        f"median of {n} interleaved runs of each side"
        if r.get("stat") == "median"
        else (f"best of {n} interleaved runs of each side" if n > 1 else "one run of each side")
    )
    gc = (
        "the raw side with Python's garbage collector paused, as the audit pauses it"
        if r.get("gc_paused_raw")
        else "the raw side with Python's garbage collector on (results written before the raw side paused it as "
        "the audit does)"
    )
    return f"{runs}; {gc}"


def audit_scale_table() -> str:
    """A 1 GB ``hf:`` corpus streamed (audit_scale.json): the audit against raw batch encoding."""
    r = _load("audit_scale.json")
    raw, aud = r["raw_encode_batch"], r["audit"]
    return (
        "\n".join(
            [
                f"{r['corpus']}: {r['file_mb']:.1f} MB of files, {r['text_mb']:.1f} MB of text, `{r['tokenizer']}`; "
                f"{_scale_runs(r)}.",
                "",
                "| | raw `encode_batch` | the audit | audit / raw | goal | met |",
                "| --- | --- | --- | --- | --- | --- |",
                f"| throughput | {raw['mb_per_s']:.3f} MB/s | {aud['mb_per_s']:.3f} MB/s | - | - | - |",
                f"| wall time | {raw['wall_s']:.2f} s | {aud['wall_s']:.2f} s | {r['ratio_wall']:.3f} | - | - |",
                f"| CPU time | {raw['cpu_s']:.2f} s | {aud['cpu_s']:.2f} s | {r['ratio_cpu']:.3f} "
                f"| <= {r['goal_ratio']:g} | {'yes' if r['ratio_met'] else '**no**'} |",
                f"| peak RSS | {raw['peak_rss_mb']:.1f} MB | {aud['peak_rss_mb']:.1f} MB | - "
                f"| < {r['goal_peak_rss_mb'] / 1024:g} GB | {'yes' if r['rss_met'] else '**no**'} |",
            ]
        )
        + "\n"
    )


def audit_workers_table() -> str:
    """The corpus pass alone with 1 worker, ``num_proc=2`` and a 2-worker Dask local cluster (audit_scale.json)."""
    r = _load("audit_scale.json")
    passes = r.get("corpus_pass")
    if not passes:
        return (
            "Not measured yet: the results file was written before these rows existed "
            "(`python -m bench audit_scale` measures them).\n"
        )
    one = passes.get("pass1")
    lines = [
        f"{r['corpus']}, `{r['tokenizer']}`; {_scale_runs(r).split(';')[0]}.",
        "",
        "| corpus pass | workers | throughput | wall time | CPU time (all processes) | vs one process |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in passes.values():
        speed = f"{p['mb_per_s'] / one['mb_per_s']:.2f}x" if one else "-"
        lines.append(
            f"| {p['label']} | {p['workers']} | {p['mb_per_s']:.3f} MB/s | {p['wall_s']:.2f} s | {p['cpu_s']:.2f} s "
            f"| {speed} |"
        )
    return "\n".join(lines) + "\n"


def audit_panel_table() -> str:
    """What the reference panel costs, its measurements cached, against ``--reference none`` (``reference_panel``
    in audit.json, `bench/audit_panel.py`): fresh processes, medians, per corpus."""
    r = _load("audit.json").get("reference_panel")
    if not r or "skipped" in r:
        why = f" ({r['skipped']})" if r else ""
        return f"Not measured yet{why}: `python bench/audit.py --only panel` measures it.\n"
    lines = [
        f"`tokforge audit TOKENIZER` with a {r['tokenizer']}, fresh processes, interleaved; the {r['stat']} of "
        "each side's runs; the last column is the first audit, which measures the panel and stores it.",
        "",
        "| corpus | runs | `--reference none` | default panel, cached | ratio | CPU time, none / panel "
        "| CPU-time ratio | goal | met | first run (`--panel-cache refresh`) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, x in r.items():
        if not isinstance(x, dict) or "ratio_wall" not in x:
            continue
        lines.append(
            f"| {name} | {x['runs']} | {x['reference_none_s']:.2f} s | {x['panel_cached_s']:.2f} s | "
            f"{x['ratio_wall']:.3f} | {x['reference_none_cpu_s']:.2f} s / {x['panel_cached_cpu_s']:.2f} s | "
            f"{x['ratio_cpu']:.3f} | <= {r['goal_ratio']:g} | {_met(x['met'])} | {x['panel_refresh_s']:.1f} s |"
        )
    return "\n".join(lines) + "\n"


# Goals quoted next to results (the targets each feature was built to; not measurements).
GOALS: dict[str, str] = {
    "goal.audit.vs_qtok": ">= 10x faster",
    "goal.audit.panel": "<= 1.3x",
    "goal.audit.corpus_cpu": "<= 1.3x",
    "goal.heal.english": "<= 1.07",
    "goal.transplant.cold_s": "<= 300 s",
    "goal.transplant.omp_plan_s": "<= 600 s",
    "goal.hypernet.vs_original": "<= +5%",
    "goal.bytelevel.logprob": ">= 0.8x",
    "goal.bytelevel.score": ">= 0.5x",
    "goal.bytelevel.canonical": "<= 2x",
    "goal.bytelevel.ensemble": "2% better than the best model",
    "goal.transplant.zero_shot": "close >= 25% of hybrid's gap",
    "goal.heal.calibrator": "with < without, interval below 0",
    "goal.marginal.cost": "<= 1x",
    "goal.heal.speed": ">= 2x tokens/s, loss within 1%",
}


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _both(fmt: str, *xs) -> str:
    return " / ".join(fmt.format(x) for x in xs)


def _results_audit() -> list[list[str]]:
    a, sc = _load("audit.json"), _load("audit_scale.json")
    q, cm = a["vs_qtok"], a["corpus_metrics_flores204"]
    strict = {k: v["cpu_ratio_vs_encode_batch_gc_paused"] for k, v in cm.items() if isinstance(v, dict)}
    panel = [v for v in (a.get("reference_panel") or {}).values() if isinstance(v, dict) and "ratio_cpu" in v]
    rows = []
    if panel:
        rows.append(
            [
                "audit",
                "default reference panel (cached) vs `--reference none`, CPU time, worst of "
                + ", ".join(
                    f"{k.split(' (')[0]}"
                    for k, v in a["reference_panel"].items()
                    if isinstance(v, dict) and "ratio_cpu" in v
                ),
                f"{max(v['ratio_cpu'] for v in panel):.2f}x",
                "1x",
                GOALS["goal.audit.panel"],
                _met(max(v["ratio_cpu"] for v in panel) <= 1.3),
            ]
        )
    return rows + [
        [
            "audit",
            "vocabulary-only audit, SmolLM2 (time)",
            f"{q['tokforge_s']:.3f} s",
            f"Qtok {q['qtok_s']:.2f} s",
            GOALS["goal.audit.vs_qtok"],
            _met(q["speedup"] >= 10),
        ],
        [
            "audit",
            "corpus metrics, CPU time vs raw `encode_batch` (GPT-2 / SmolLM2 / Gemma-3)",
            _both("{:.3f}x", *strict.values()),
            "1x",
            GOALS["goal.audit.corpus_cpu"],
            _met(max(strict.values()) <= 1.3) + ("" if max(strict.values()) <= 1.3 else " (Gemma-3)"),
        ],
        [
            "audit",
            "1 GB `hf:` corpus: CPU time vs raw / peak RSS",
            f"{sc['ratio_cpu']:.3f}x / {sc['audit']['peak_rss_mb']:.0f} MB",
            f"1x / {sc['raw_encode_batch']['peak_rss_mb']:.0f} MB",
            f"<= {sc['goal_ratio']:g}x / < 2 GB",
            _met(sc["ratio_met"] and sc["rss_met"]),
        ],
    ]


def _results_transplant() -> list[list[str]]:
    t, h = _load("transplant.json"), _load("heal.json")
    cold = t["cold_vs_warm"].get("hybrid")
    omp = t["targets"]["gemma3"]["methods"]["omp"]["plan_s"]
    rows = [
        [
            "transplant",
            "SmolLM2 -> Gemma-3 vocabulary, cold hybrid (wall)",
            f"{cold['cold_s']:.1f} s" if cold else "not in the current results (`--cold none`)",
            "-",
            GOALS["goal.transplant.cold_s"],
            _met(cold["cold_s"] <= cold["goal_cold_s"]) if cold else "-",
        ],
        [
            "transplant",
            "OMP plan, same vocabulary (wall)",
            f"{omp:.1f} s",
            "-",
            GOALS["goal.transplant.omp_plan_s"],
            _met(omp <= 600),
        ],
    ]
    for target, row in h["targets"].items():
        main = [r for r in row["runs"].values() if r["kind"] == "main"]
        if main:
            e = main[-1]["comparison"]["eng_Latn"]
            rows.append(
                [
                    "heal",
                    f"English bits/byte over the original, {TARGET_LABELS.get(target, target)}",
                    f"{e['ratio_after']:.3f}",
                    f"{e['ratio_before']:.3f} (unhealed)",
                    GOALS["goal.heal.english"],
                    _met(e["ratio_after"] <= 1.07),
                ]
            )
    return rows


def _results_hypernet() -> list[list[str]]:
    t = _load("hypernet.json")["targets"]["gemma3-262k"]
    best = min(t["hypernet"]["vs_original"], t["hypernet-recon"]["vs_original"])
    return [
        [
            "hypernet",
            "bits/byte over the original, Gemma-3 vocabulary",
            _pct(best),
            f"hybrid {_pct(t['hybrid']['vs_original'])}",
            GOALS["goal.hypernet.vs_original"],
            _met(best <= 1.05),
        ]
    ]


def _results_bytelevel() -> list[list[str]]:
    b, c = _load("bytelevel.json"), _load("canonical.json")
    m = {k: v["methods"] for k, v in b["speed"]["per_model"].items()}
    lp = [x["logprob"]["throughput_vs_token_level"] for x in m.values()]
    sc = [x["score"]["throughput_vs_token_level"] for x in m.values()]
    fresh = [r["fresh_prefix"]["canonical_over_model"] for r in c["models"].values()]
    genlm = [r["rows"]["genlm_beam_1"]["genlm_cpu_over_tokforge"] for r in b["genlm_bytes"].values()]
    ens = b["ensemble"]["bits_per_byte"]
    bayes, best = ens["bayes(0.5,0.5)"]["heldout"], ens["gemma3-270m"]["heldout"]
    return [
        [
            "byte level",
            "`logprob` throughput vs token level (SmolLM2 / Gemma-3)",
            _both("{:.2f}x", *lp),
            "1x",
            GOALS["goal.bytelevel.logprob"],
            _met(min(lp) >= 0.8),
        ],
        [
            "byte level",
            "`score` (every byte's distribution) vs token level",
            _both("{:.2f}x", *sc),
            "1x",
            GOALS["goal.bytelevel.score"],
            _met(min(sc) >= 0.5),
        ],
        [
            "byte level",
            "canonical leaves, fresh prefix, cost vs model leaves",
            _both("{:.1f}x", *fresh),
            "1x",
            GOALS["goal.bytelevel.canonical"],
            _met(max(fresh) <= 2),
        ],
        [
            "byte level",
            "CPU time of genlm-bytes (smallest beam) over tokforge exact",
            _both("{:.1f}x", *genlm),
            "1x",
            "faster",
            _met(min(genlm) > 1),
        ],
        [
            "byte level",
            "`bayes` ensemble of SmolLM2 + Gemma-3, held-out bits/byte",
            f"{bayes:.3f}",
            f"Gemma-3 alone {best:.3f}",
            GOALS["goal.bytelevel.ensemble"],
            _met(bayes <= 0.98 * best),
        ],
    ]


def _results_other() -> list[list[str]]:
    st, su, ld = _load("stochastok.json")["tokenizers"], _load("supertokens.json"), _load("load.json")
    batch = [_mtok(r, "ours_batch") for t in st.values() for r in t["lengths"].values()]
    ratio = [r["ratio_batch_vs_reference"] for t in st.values() for r in t["lengths"].values()]
    plain = {r["name"]: r for r in su["sizes"]["16000"]}
    gguf = [r["speedup"] for r in ld["gguf_vocab_vs_transformers"].values()]
    return [
        [
            "StochasTok",
            "batched `expand`, M tokens/s (one core)",
            f"{min(batch):.1f}-{max(batch):.1f}",
            f"reference: {min(ratio):.0f}-{max(ratio):.0f}x slower",
            "-",
            "-",
        ],
        [
            "supertokens",
            "held-out tokens at 16k vocabulary vs plain BPE",
            _pct(plain["superbpe_t0.80"]["tokens_vs_plain"]),
            "plain BPE",
            "fewer",
            _met(plain["superbpe_t0.80"]["tokens_vs_plain"] < 1),
        ],
        [
            "loading",
            "GGUF vocabulary vs transformers' conversion (SmolLM2 / Gemma-3)",
            _both("{:.1f}x faster", *gguf),
            "1x",
            "-",
            "-",
        ],
    ]


def _results_levers() -> list[list[str]]:
    """Issue 27's claims: the best zero-shot lever against hybrid, the calibrator against none at equal time,
    and what the default marginal subset costs (rows only for results that exist)."""
    rows = []
    methods = _load("transplant.json")["targets"].get("gemma3", {}).get("methods", {})
    hyb = methods.get("hybrid", {}).get("comparison", {}).get("mean", {}).get("bpb_ratio")
    levers = {k: m for k, m in methods.items() if k not in ("hybrid", "mean", "fvt") and m.get("minus_hybrid")}
    if hyb and levers:
        name, m = min(levers.items(), key=lambda kv: kv[1]["comparison"]["mean"]["bpb_ratio"])
        x, d = m["comparison"]["mean"]["bpb_ratio"], m["minus_hybrid"]["mean"]
        rows.append(
            [
                "transplant",
                f"best zero-shot lever on Gemma-3's vocabulary (`{name}`), mean ratio, 5 languages",
                f"{x:.3f} (minus hybrid {_signed_interval(d)}; gap closed {_closed(hyb, x)})",
                f"hybrid {hyb:.3f}",
                GOALS["goal.transplant.zero_shot"],
                _met(hyb > 1 and (hyb - x) / (hyb - 1) >= 0.25),
            ]
        )
    cal_targets = (
        _load("heal_calibrator.json").get("targets", {}) if (RESULTS / "heal_calibrator.json").is_file() else {}
    )
    for target, label in (("gemma3", "Gemma-3's vocabulary"), ("bpe32k", "the 32k BPE")):
        row = cal_targets.get(target, {})
        runs, eff = row.get("runs", {}), (row.get("calibrator_effect") or {}).get("with_minus_without")
        if eff and {"calibrator:with", "calibrator:without"} <= set(runs):
            w, wo = (runs[k]["comparison"]["mean"]["ratio_after"] for k in ("calibrator:with", "calibrator:without"))
            rows.append(
                [
                    "heal",
                    f"shared calibrator, {label}, {runs['calibrator:with']['minutes']:g} CPU min, mean ratio",
                    f"{w:.3f} (with minus without {_signed_interval(eff['mean'])})",
                    f"{wo:.3f} without",
                    GOALS["goal.heal.calibrator"],
                    _met(eff["mean"][1] < 0),
                ]
            )
    if (RESULTS / "heal_speed.json").is_file():
        hs = _load("heal_speed.json")
        for target, row in hs["targets"].items():
            name, x = max(
                (
                    (k, v)
                    for k, v in row["levers"].items()
                    if v["max_rel_loss_diff"] <= hs["settings"]["loss_tolerance"]
                ),
                key=lambda kv: kv[1]["speedup"],
            )
            rows.append(
                [
                    "heal",
                    f"training tokens per CPU second, {target} ({_k(row['vocab'])}), best lever within the loss "
                    f"tolerance (`{name}`)",
                    f"{x['speedup']:.2f}x (loss {100 * x['max_rel_loss_diff']:.2f}%)",
                    "1x (float32, every row's head gradient)",
                    GOALS["goal.heal.speed"],
                    _met(x["goal_met"]),
                ]
            )
    if (RESULTS / "marginal_cost.json").is_file():
        for r in _load("marginal_cost.json")["models"].values():
            rows.append(
                [
                    "evaluate",
                    f"default marginal subset vs canonical yardstick, CPU time, {r['model']}",
                    f"{r['ratio']:.2f}x",
                    "1x (canonical, 500 sentences)",
                    GOALS["goal.marginal.cost"],
                    _met(r["ratio"] <= 1),
                ]
            )
    return rows


def readme_results_table() -> str:
    """The README's results: one row per claim, measured, against its baseline and goal."""
    rows = _results_audit() + _results_transplant() + _results_levers()
    rows += _results_hypernet() + _results_bytelevel() + _results_other()
    lines = ["| feature | measure | tokforge | baseline | goal | met |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


RENDERERS = {
    "heal-gemma3": lambda: heal_table("gemma3"),
    "heal-bpe32k": lambda: heal_table("bpe32k"),
    "heal-gap-gemma3": lambda: heal_gap_table("gemma3"),
    "heal-gap-bpe32k": lambda: heal_gap_table("bpe32k"),
    "transplant-gemma3": lambda: transplant_table("gemma3"),
    "transplant-bpe32k": lambda: transplant_table("bpe32k"),
    "transplant-cold": cold_warm_table,
    "marginal-cost": marginal_cost_table,
    "heal-speed": heal_speed_table,
    "marginal-gap": marginal_gap_table,
    "heal-calibrator-gemma3": lambda: heal_calibrator_table("gemma3"),
    "heal-calibrator-bpe32k": lambda: heal_calibrator_table("bpe32k"),
    "heal-summary": heal_summary,
    "heal-lr": heal_lr_table,
    "heal-marginal": heal_marginal_table,
    "transplant-loop": loop_table,
    "load-gguf": load_table,
    "audit-corpus": audit_corpus_table,
    "audit-main": audit_main_table,
    "readme-results": readme_results_table,
    "audit-vocab": audit_vocab_table,
    "audit-scale": audit_scale_table,
    "audit-workers": audit_workers_table,
    "audit-panel": audit_panel_table,
    "bytelevel-speed": bytelevel_speed_table,
    "bytelevel-costs": bytelevel_costs_table,
    "bytelevel-truncated": bytelevel_truncated_table,
    "bytelevel-genlm": bytelevel_genlm_table,
    "bytelevel-ensemble": bytelevel_ensemble_table,
    "bytelevel-canonical": bytelevel_canonical_table,
    "heal-selection": heal_selection_table,
    "heal-calibrate": heal_calibrate_table,
    "heal-train": heal_train_table,
    "heal-init": heal_init_table,
    "bytelevel-midword": bytelevel_midword_table,
    "stochastok": stochastok_table,
    "supertokens": supertokens_table,
    "supertokens-extend": supertokens_extend_table,
    "supertokens-transplant": supertokens_transplant_table,
    "hypernet": hypernet_table,
}


def at(file: str, path: str):
    """The value at a ``/``-separated path in a results file (list items by index)."""
    obj = _load(file)
    for key in path.split("/"):
        obj = obj[int(key)] if isinstance(obj, list) else obj[key]
    return obj


def value(name: str) -> str:
    """The text of one inline value: ``VALUES[name]`` or ``GOALS[name]``."""
    if name in GOALS:
        return GOALS[name]
    if name not in VALUES:
        raise SystemExit(f"unknown inline value {name!r}: add it to VALUES in bench/render.py")
    spec = VALUES[name]
    if callable(spec):
        return spec()
    file, path, fmt = spec
    x = at(file, path)
    return fmt(x) if callable(fmt) else fmt.format(x)


def _arrow(file: str, a: str, b: str, fmt: str = "{:.3f}"):
    """``"A -> B"`` from two paths of one results file."""
    return lambda: f"{fmt.format(at(file, a))} -> {fmt.format(at(file, b))}"


def _span(file: str, a: str, b: str, fmt: str = "{:,}"):
    """``"A-B"`` from two paths of one results file."""
    return lambda: f"{fmt.format(at(file, a))}-{fmt.format(at(file, b))}"


HN_LOG = "setup/train_log"
MARGINAL_SHARE = "gap_share_on_other_tokenizations"
MODELS = ("smollm2-135m", "gemma3-270m")


def _pair(file: str, path: str, fmt: str) -> str:
    """``"A / B"``: one path (``{}`` = the model) for SmolLM2 and for Gemma-3."""
    return " / ".join(fmt.format(at(file, path.format(m))) for m in MODELS)


def _saving(size: str, name: str) -> str:
    """Share of held-out tokens saved against plain BPE of the same size (supertokens.json)."""
    row = next(r for r in _load("supertokens.json")["sizes"][size] if r["name"] == name)
    return f"{1 - row['tokens_vs_plain']:.1%}"


def _stochastok_span(key: str, length: str | None, fmt: str):
    """Min-max of one stochastok.json column over tokenizers (and lengths, when ``length`` is None)."""

    def text() -> str:
        res = _load("stochastok.json")["tokenizers"]
        xs = [
            _mtok(r, key[: -len("_Mtok_per_s")]) if key.endswith("_Mtok_per_s") else r[key]
            for t in res.values()
            for L, r in t["lengths"].items()
            if length is None or L == length
        ]
        return f"{fmt.format(min(xs))}-{fmt.format(max(xs))}"

    return text


# Inline values: name -> (results file, path, format) or a function returning the text.
VALUES: dict = {
    # hypernet.json
    "hypernet.recon_steps": ("hypernet.json", f"{HN_LOG}/recon/steps", "{}"),
    "hypernet.recon_aux": _arrow("hypernet.json", f"{HN_LOG}/recon/first_aux", f"{HN_LOG}/recon/last_aux"),
    "hypernet.recon_step_s": ("hypernet.json", f"{HN_LOG}/recon/mean_step_s", "{:.2f} s"),
    "hypernet.lm_steps": ("hypernet.json", f"{HN_LOG}/lm/steps", "{}"),
    "hypernet.sampled_vocab": _span(
        "hypernet.json", f"{HN_LOG}/lm/sampled_vocab_min", f"{HN_LOG}/lm/sampled_vocab_max"
    ),
    "hypernet.lm_loss": _arrow("hypernet.json", f"{HN_LOG}/lm/first_lm", f"{HN_LOG}/lm/last_lm"),
    "hypernet.lm_step_s": ("hypernet.json", f"{HN_LOG}/lm/mean_step_s", "{:.2f} s"),
    "hypernet.original_bpb": ("hypernet.json", "original/bits_per_byte", "{:.4f}"),
    "hypernet.original_tpb": ("hypernet.json", "original/tokens_per_byte", "{:.3f}"),
    # supertokens.json
    "supertokens.train_bytes": ("supertokens.json", "train_bytes", "{:,}"),
    "supertokens.heldout_bytes": ("supertokens.json", "heldout_bytes", "{:,}"),
    "supertokens.heldout_lines": ("supertokens.json", "heldout_lines", "{:,}"),
    "supertokens.saving_16k": lambda: _saving("16000", "superbpe_t0.80"),
    "supertokens.saving_16k_punct": lambda: _saving("16000", "superbpe_t0.80_end_punct"),
    "supertokens.saving_8k": lambda: _saving("8000", "superbpe_t0.80"),
    "supertokens.extend_saving": ("supertokens.json", "extend_smollm2/1/tokens_vs_plain", lambda x: f"{1 - x:.1%}"),
    # heal.json, heal_calibrate.json, heal_marginal.json
    "heal.gemma3.mass": _arrow(
        "heal.json",
        "targets/gemma3/runs/calibration/calibration/mass_before",
        "targets/gemma3/runs/calibration/calibration/mass_after",
    ),
    "heal.gemma3.english_after": ("heal.json", "targets/gemma3/runs/main:lm/comparison/eng_Latn/ratio_after", "{:.3f}"),
    "heal.gemma3.english_gap_after": ("heal.json", "targets/gemma3/gap/after_goal_run/eng_Latn/gap_bits", "{:.0f}"),
    "heal.gemma3.english_merges_after": (
        "heal.json",
        "targets/gemma3/gap/after_goal_run/eng_Latn/classes/student merges/excess_bits_unseen_new_rows",
        "{:.0f}",
    ),
    "heal.bpe32k.english_splits_before": lambda: (
        f"{at('heal.json', 'targets/bpe32k/gap/before/eng_Latn/classes/student splits/excess_bits'):.0f} of "
        f"{at('heal.json', 'targets/bpe32k/gap/before/eng_Latn/gap_bits'):.0f}"
    ),
    "calibrate.gemma3.shift_small": (
        "heal_calibrate.json",
        "targets/gemma3/runs/pieces:64/calibration/groups/0/shift_nats",
        "{:.3f}",
    ),
    "calibrate.gemma3.shift_large": (
        "heal_calibrate.json",
        "targets/gemma3/runs/pieces:64/calibration/groups/4/shift_nats",
        "{:.3f}",
    ),
    "marginal.gemma3.share": lambda: " / ".join(
        f"{at('heal_marginal.json', f'targets/gemma3/{stage}/vs_original/eng_Latn/{MARGINAL_SHARE}'):.0%}"
        for stage in ("transplant", "calibrated")
    ),
    # canonical.json, bytelevel.json (SmolLM2 / Gemma-3)
    "canonical.score_vs_old": lambda: _pair(
        "canonical.json", "models/{}/score_model_over_via_distributions", "{:.2f}x"
    ),
    "canonical.fresh": lambda: _pair("canonical.json", "models/{}/fresh_prefix/canonical_over_model", "{:.1f}x"),
    "canonical.score": lambda: _pair("canonical.json", "models/{}/score_canonical_over_model", "{:.2f}x"),
    "canonical.logprob": lambda: _pair("canonical.json", "models/{}/logprob_canonical_over_model", "{:.2f}x"),
    "bytelevel.fresh_before": lambda: _pair(
        "bytelevel.json", "speed/canonical_vs_model/{}/canonical_over_model", "{:.1f}x"
    ),
    # stochastok.json
    "stochastok.batch_mtok": _stochastok_span("ours_batch_Mtok_per_s", None, "{:.1f}"),
    "stochastok.batch_ratio_1k": _stochastok_span("ratio_batch_vs_reference", "1000", "{:.1f}x"),
    "stochastok.batch_ratio_64k": _stochastok_span("ratio_batch_vs_reference", "64000", "{:.0f}x"),
    "stochastok.single_ratio_1k": _stochastok_span("ratio_single_vs_reference", "1000", "{:.1f}x"),
}


def pages() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def render(text: str) -> str:
    """The page with every table and inline value rendered from the results."""

    def table(m):
        name = m.group("name")
        if name not in RENDERERS:
            raise SystemExit(f"unknown bench table {name!r} (known: {', '.join(RENDERERS)})")
        return m.group(1) + RENDERERS[name]() + m.group(4)

    def inline(m):
        return m.group(1) + value(m.group("name")) + m.group(4)

    return INLINE.sub(inline, REGION.sub(table, text))


def stale() -> list[str]:
    """Pages whose rendered tables or inline values differ from the results."""
    return [
        p.relative_to(ROOT).as_posix()
        for p in pages()
        if render(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")
    ]


def stale_regions(text: str) -> list[str]:
    """Names of the regions of one page that differ from the results (``bench:NAME`` or ``v:NAME``)."""
    bad = [f"bench:{m.group('name')}" for m in REGION.finditer(text) if RENDERERS[m.group("name")]() != m.group("body")]
    return bad + [f"v:{m.group('name')}" for m in INLINE.finditer(text) if value(m.group("name")) != m.group("body")]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for p in bad:
            names = ", ".join(stale_regions((ROOT / p).read_text(encoding="utf-8")))
            print(f"{p}: rendered regions differ from bench/results: {names} (run python bench/render.py)")
        return 1 if bad else 0
    from tokforge.io import atomic_write_text

    for p in pages():
        text = p.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            atomic_write_text(p, new)
            print(f"rewrote rendered regions in {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
