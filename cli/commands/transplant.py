"""``tokforge transplant MODEL --tokenizer NEW --out DIR``: give a model a new tokenizer."""

from __future__ import annotations

import click

from tokforge.devices import DEVICES
from tokforge.transplant.registry import METHODS

EXAMPLES = """
\b
Examples:
  tokforge transplant smollm2-135m --tokenizer gemma3-270m --out smollm2-gemma --langs eng_Latn
  tokforge transplant smollm2-135m --tokenizer gpt2 --method fvt --out smollm2-gpt2 --eval none
  tokforge transplant smollm2-135m --tokenizer gemma3-270m --method omp --donor gemma3-270m --out m2 --option k=16
"""


@click.command("transplant", epilog=EXAMPLES)
@click.argument("model")
@click.option("--tokenizer", "new", required=True, help="New tokenizer: file, folder, or built-in name.")
@click.option("--out", required=True, type=click.Path(), help="Output HF model directory.")
@click.option(
    "--method",
    default="hybrid",
    show_default=True,
    type=click.Choice(list(METHODS)),
    help="How new rows are made (tokforge.transplant.registry.METHODS).",
)
@click.option("--donor", default=None, help="Model that already speaks the new tokenizer (needed by omp).")
@click.option(
    "--eval",
    "eval_spec",
    default=None,
    help="Evaluation text: flores200:DIR, a text file, a folder of LANG.txt, or 'none' (default: FLORES devtest).",
)
@click.option("--langs", default=None, help="Comma-separated languages to evaluate (FLORES codes).")
@click.option(
    "--limit", default=40, show_default=True, type=click.IntRange(1), help="Sentences/lines per language to evaluate."
)
@click.option(
    "--option",
    "opts",
    multiple=True,
    metavar="NAME=VALUE",
    help="Method option, repeatable; unknown names are an error (hybrid: w, k, temperature, threshold...).",
)
@click.option(
    "--hypernet",
    "hypernet_dir",
    default=None,
    type=click.Path(),
    help="Trained hypernetwork folder (tokforge hypernet train), for --method hypernet.",
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
@click.option("--heal-loss", default="alm", show_default=True, help="Loss for healing (see tokforge heal --loss).")
def command(
    model,
    new,
    out,
    method,
    donor,
    eval_spec,
    langs,
    limit,
    opts,
    hypernet_dir,
    device,
    seed,
    force,
    heal_steps,
    heal_minutes,
    heal_corpora,
    heal_loss,
):
    """Rewrite MODEL's embeddings for the tokenizer NEW; save to OUT with transplant_report.json."""
    from tokforge.corpus import parse_langs
    from tokforge.errors import InputError
    from tokforge.transplant.api import transplant
    from tokforge.transplant.options import from_pairs

    from ._common import print_comparison

    options = from_pairs(opts)
    heal = heal_steps > 0 or heal_minutes is not None
    if heal:
        from tokforge.heal.train import HealConfig

        heal_cfg = HealConfig(loss=heal_loss, steps=heal_steps or None, minutes=heal_minutes, seed=seed).check()
        sources = _heal_sources(heal_corpora, eval_spec, parse_langs(langs))
        final_out, out = out, _sibling(out)
        from tokforge.io import check_out_dir

        check_out_dir(final_out, force)
    if hypernet_dir is not None:
        if method != "hypernet":
            raise InputError(
                "--hypernet only applies to the hypernet method",
                where=f"--method {method}",
                fix="add --method hypernet",
            )
        options["hypernet"] = hypernet_dir
    evaluate = (eval_spec or "").lower() != "none"
    _, report = transplant(
        model,
        new,
        method=method,
        donor=donor,
        eval_spec=eval_spec if evaluate else None,
        eval_langs=parse_langs(langs),
        eval_limit=limit,
        evaluate=evaluate,
        device=device,
        options=options,
        seed=seed,
        out=out,
        force=force or heal,
    )
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
    if not heal:
        click.echo(f"saved {out} (report: {out}/transplant_report.json)")
        return
    import shutil

    from tokforge.heal.api import heal_dir

    from ._common import print_heal

    try:
        _, rep = heal_dir(
            out,
            sources,
            heal_cfg,
            eval_spec=eval_spec if (eval_spec or "").lower() != "none" else None,
            eval_langs=parse_langs(langs),
            eval_limit=limit,
            out=final_out,
            force=force,
            device=device,
            keep_files=("transplant_report.json",),
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print_heal(rep)
    click.echo(f"saved {final_out} (reports: transplant_report.json, heal_report.json)")


def _sibling(out: str) -> str:
    from pathlib import Path

    p = Path(out)
    return str(p.with_name(f".{p.name}.transplanted"))


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
