"""Tables in README.md and docs/*.md rebuilt from bench/results/*.json.

A page marks a generated table with ``<!-- bench:NAME -->`` ... ``<!-- /bench -->``; ``RENDERERS[NAME]``
turns the results into the markdown in between. ``python bench/render.py`` rewrites every marked
region in place; ``python bench/render.py --check`` (and the docs test) fails when a page's table
differs from what the results give, so a table can never drift from its measurement.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REGION = re.compile(r"(<!-- bench:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /bench -->)", re.S)


def _load(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def _f(x, nd=3) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def heal_table(target: str) -> str:
    """Ratio to the original per language: before healing, then after each run (ablation and goal); the
    last column is the mean on held-out FLORES dev lines, which chooses the goal run's loss."""
    res = _load("heal.json")
    row = res["targets"].get(target)
    if not row or not row["runs"]:
        return f"(no healing run on `{target}` in bench/results/heal.json yet)\n"
    runs = list(row["runs"].values())
    langs = [k for k in next(iter(runs))["comparison"] if k != "mean"] + ["mean"]
    head = "| run | minutes | steps | " + " | ".join(langs) + " | dev mean (chooses the goal loss) |"
    lines = [head, "|" + "---|" * (4 + len(langs))]
    first = runs[0]["comparison"]
    lines.append(
        "| before healing (hybrid transplant) | - | - | "
        + " | ".join(_f(first[k]["ratio_before"]) for k in langs)
        + " | - |"
    )
    for r in runs:
        kinds = {"main": "goal run", "ablation": "ablation"}
        label = "calibration only" if r["kind"] == "calibration" else f"{r['loss']} ({kinds[r['kind']]})"
        steps = f"{r['steps']}" + (f" (kept {r['selection']['best_step']})" if r.get("selection") else "")
        lines.append(
            f"| {label} | {r['minutes']:g} | {steps} | "
            + " | ".join(_f(r["comparison"][k]["ratio_after"]) for k in langs)
            + f" | {_f((r.get('dev') or {}).get('ratio_after'))} |"
        )
    return "\n".join(lines) + "\n"


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
    for target, row in res["targets"].items():
        runs = [r for r in row["runs"].values() if r["kind"] == "main"]
        label = TARGET_LABELS.get(target, target)
        if not runs:
            lines.append(f"| {label} | (goal run not finished) | - | - | - | - |")
            continue
        r = runs[-1]
        e, m = r["comparison"].get("eng_Latn", {}), r["comparison"]["mean"]
        steps = f"{r['steps']}" + (f" (kept {r['selection']['best_step']})" if r.get("selection") else "")
        lines.append(
            f"| {label} | {r['loss']} | {r['minutes']:g} | {steps} | "
            f"{_f(e.get('ratio_before'))} -> {_f(e.get('ratio_after'))} | "
            f"{_f(m['ratio_before'])} -> {_f(m['ratio_after'])} |"
        )
    return "\n".join(lines) + "\n"


def transplant_table(target: str) -> str:
    """Bits/byte ratio to the original per method and language, with next-byte agreement."""
    res = _load("transplant.json")
    methods = (res["targets"].get(target) or {}).get("methods")
    if not methods:
        return f"(no transplant run on `{target}` in bench/results/transplant.json yet)\n"
    langs = [k for k in next(iter(methods.values()))["comparison"] if k != "mean"]
    lines = [
        "| method | " + " | ".join(langs) + " | mean | next-byte top-1 agreement | tokens/byte vs original | plan s |",
        "|" + "---|" * (len(langs) + 5),
    ]
    for name, m in methods.items():
        c = m["comparison"]
        lines.append(
            f"| {name} | "
            + " | ".join(_f(c[k]["bpb_ratio"]) for k in langs)
            + f" | {_f(c['mean']['bpb_ratio'])} | {_f(c['mean'].get('next_byte_agreement'))} | "
            f"{_f(c['mean']['length_ratio'])} | {m['plan_s']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def cold_warm_table() -> str:
    res = _load("transplant.json")["cold_vs_warm"]
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


RENDERERS = {
    "heal-gemma3": lambda: heal_table("gemma3"),
    "heal-bpe32k": lambda: heal_table("bpe32k"),
    "heal-gap-gemma3": lambda: heal_gap_table("gemma3"),
    "heal-gap-bpe32k": lambda: heal_gap_table("bpe32k"),
    "transplant-gemma3": lambda: transplant_table("gemma3"),
    "transplant-bpe32k": lambda: transplant_table("bpe32k"),
    "transplant-cold": cold_warm_table,
    "heal-summary": heal_summary,
    "heal-lr": heal_lr_table,
    "heal-marginal": heal_marginal_table,
    "transplant-loop": loop_table,
    "load-gguf": load_table,
    "audit-corpus": audit_corpus_table,
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


def pages() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def render(text: str) -> str:
    def sub(m):
        name = m.group("name")
        if name not in RENDERERS:
            raise SystemExit(f"unknown bench table {name!r} (known: {', '.join(RENDERERS)})")
        return m.group(1) + RENDERERS[name]() + m.group(4)

    return REGION.sub(sub, text)


def stale() -> list[str]:
    """Pages whose generated tables differ from the results."""
    return [
        p.relative_to(ROOT).as_posix()
        for p in pages()
        if render(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")
    ]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for p in bad:
            print(f"{p}: a generated table differs from bench/results (run python bench/render.py)")
        return 1 if bad else 0
    from tokforge.io import atomic_write_text

    for p in pages():
        text = p.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            atomic_write_text(p, new)
            print(f"rewrote tables in {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
