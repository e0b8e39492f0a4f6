"""``tokforge transplant MODEL --tokenizer NEW --out DIR``: give a model a new tokenizer."""

from __future__ import annotations

import click

from tokforge.devices import DEVICES
from tokforge.heal.config import HealConfig
from tokforge.transplant.registry import METHODS

from ..options import marginal_option, quiet, verbose_option

EXAMPLES = """
\b
Examples:
  tokforge transplant smollm2-135m --tokenizer gemma3-270m --out smollm2-gemma --langs eng_Latn
  tokforge transplant smollm2-135m --tokenizer gpt2 --method fvt --out smollm2-gpt2 --eval none
  tokforge transplant smollm2-135m --tokenizer gemma3-270m --method blend --donor gemma3-270m --out m2 --option omp.k=16
"""


@click.command("transplant", epilog=EXAMPLES)
@click.argument("model")
@click.option("--tokenizer", required=True, help="New tokenizer: file, folder, or built-in name.")
@click.option("--out", required=True, type=click.Path(), help="Output HF model directory.")
@click.option(
    "--method",
    default="hybrid",
    show_default=True,
    type=click.Choice(list(METHODS)),
    help="How new rows are made (tokforge.transplant.registry.METHODS).",
)
@click.option(
    "--donor",
    default=None,
    help="Model that already speaks the new tokenizer (needed by omp, and by a blend with omp).",
)
@click.option(
    "--eval",
    "eval_spec",
    default=None,
    help="Evaluation text: flores200:DIR, a text file, a folder of LANG.txt, 'embedded' (a smoke test on a few "
    "English sentences) or 'none' (default: FLORES devtest; an error when it is not found).",
)
@click.option("--langs", "eval_langs", default=None, help="Comma-separated languages to evaluate (FLORES codes).")
@click.option(
    "--limit",
    "eval_limit",
    default=40,
    show_default=True,
    type=click.IntRange(1),
    help="Sentences/lines per language to evaluate.",
)
@marginal_option()  # TransplantConfig's default (tests/unit/test_marginal.py checks they agree)
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="NAME=VALUE",
    help="Method option, repeatable; unknown names are an error (hybrid: w, k, temperature, threshold...; "
    "blend: methods, mode, weights and METHOD.OPTION for a blended method).",
)
@click.option(
    "--hypernet",
    default=None,
    type=click.Path(),
    help="Trained hypernetwork folder (tokforge hypernet train), for --method hypernet (or a blend with it).",
)
@click.option("--device", default="cpu", show_default=True, type=click.Choice(list(DEVICES)))
@click.option("--seed", default=0, show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing --out directory.")
@click.option(
    "--heal-steps",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Then heal the model this many steps (tokforge heal with its defaults); 0: no healing.",
)
@click.option(
    "--heal-minutes",
    default=None,
    type=click.FloatRange(0, min_open=True),
    help="Then heal the model for this long instead of --heal-steps.",
)
@click.option(
    "--heal-corpus",
    "heal_corpora",
    multiple=True,
    help="Healing text (repeatable; default: FLORES dev of the evaluation languages).",
)
@click.option(
    "--heal-loss", default=HealConfig().loss, show_default=True, help="Loss for healing (see tokforge heal --loss)."
)
@verbose_option
def command(
    model,
    tokenizer,
    out,
    method,
    donor,
    eval_spec,
    eval_langs,
    eval_limit,
    marginal,
    options,
    hypernet,
    device,
    seed,
    force,
    heal_steps,
    heal_minutes,
    heal_corpora,
    heal_loss,
    verbose,
):
    """Rewrite MODEL's embeddings for the --tokenizer; save to --out with transplant_report.json."""
    from tokforge.corpus import parse_langs
    from tokforge.transplant.api import TransplantConfig, transplant_model

    quiet(verbose)
    evaluate = (eval_spec or "").lower() != "none"
    config = TransplantConfig(
        method=method,
        options=_options(options, hypernet, method),
        seed=seed,
        evaluate=evaluate,
        eval_spec=eval_spec if evaluate else None,
        eval_langs=parse_langs(eval_langs),
        eval_limit=eval_limit,
        marginal=marginal,
    )
    heal = _heal_plan(heal_steps, heal_minutes, heal_loss, seed, heal_corpora, config, out, force)
    result = transplant_model(
        model, tokenizer, config=config, donor=donor, device=device, out=out if heal is None else None, force=force
    )
    _print_transplant(result.report)
    if heal is None:
        click.echo(f"saved {out} (report: {out}/transplant_report.json)")
        return
    _heal(heal, config, result, out, force, device)


def _options(pairs, hypernet, method: str) -> dict:
    """``--option NAME=VALUE`` pairs, plus ``--hypernet DIR`` for the hypernet method."""
    from tokforge.errors import InputError
    from tokforge.transplant.options import from_pairs

    options = from_pairs(pairs)
    if hypernet is not None and method == "blend":
        options["hypernet.hypernet"] = hypernet
    elif hypernet is not None:
        if method != "hypernet":
            raise InputError(
                "--hypernet only applies to the hypernet method",
                where=f"--method {method}",
                fix="add --method hypernet",
            )
        options["hypernet"] = hypernet
    return options


def _print_transplant(report: dict) -> None:
    from ._common import print_comparison

    p = report["plan"]["input"]
    click.echo(
        f"{report['method']}: {report['plan']['n_old']:,} -> {report['plan']['n_new']:,} rows; "
        + ", ".join(f"{k.lower()}={v:,}" for k, v in p["sources"].items())
    )
    ev = report["evaluation"]
    if "comparison" in ev:
        print_comparison(ev["comparison"], ev["texts"])
    else:
        click.echo(f"evaluation: {ev['skipped']}")


def _heal_plan(steps, minutes, loss, seed, corpora, config, out, force) -> dict | None:
    """What ``--heal-steps``/``--heal-minutes`` ask for, checked before the transplant starts (None: no healing)."""
    if not steps and minutes is None:
        return None
    from tokforge.heal.config import HealConfig
    from tokforge.io import check_out_dir

    cfg = HealConfig(loss=loss, steps=steps or None, minutes=minutes, seed=seed, eval_limit=config.eval_limit)
    sources = _heal_sources(corpora, config.eval_spec, config.eval_langs)
    check_out_dir(out, force)
    return {"config": cfg, "sources": sources}


def _heal(heal: dict, config, result, out, force, device) -> None:
    """Heal the transplanted model (in memory; its original is the teacher) into ``out``."""
    import json

    from tokforge.heal.api import HealRun, heal_model
    from tokforge.heal.data import read_texts

    from ._common import print_heal

    rep = result.report
    meta = {
        "teacher": rep["model"],
        "student": str(out),
        "student_tokenizer": result.tokenizer.name,
        "transplant": {k: rep[k] for k in ("method", "old_tokenizer", "new_tokenizer")},
    }
    eval_texts = None
    if config.eval_spec is not None:
        eval_texts, meta["eval_source"] = read_texts(config.eval_spec, "devtest", config.eval_langs, config.eval_limit)
    kept = {"transplant_report.json": json.dumps(rep, indent=2, ensure_ascii=False)}
    healed = heal_model(
        result,
        heal["sources"],
        config=heal["config"],
        eval_texts=eval_texts,
        out=out,
        force=force,
        device=device,
        run=HealRun(meta=meta, extra_files=kept),
    )
    print_heal(healed.report)
    click.echo(f"saved {out} (reports: transplant_report.json, heal_report.json)")


def _heal_sources(corpora, eval_spec, langs):
    """Healing sources: the given corpora, else FLORES dev of the evaluation languages."""
    from tokforge import corpus
    from tokforge.errors import InputError
    from tokforge.evaluate.bits import DEFAULT_LANGS
    from tokforge.heal.data import Source

    if corpora:
        return [Source(c, tuple(langs) if langs else None) for c in corpora]
    d = corpus.flores_dir()
    if eval_spec and eval_spec.startswith("flores200:"):
        d = eval_spec.split(":", 1)[1]
    if d is None:
        raise InputError("--heal-steps needs healing text", fix="pass --heal-corpus FILE (FLORES-200 was not found)")
    return [Source(f"flores200:{d}", tuple(langs or DEFAULT_LANGS), "dev")]
