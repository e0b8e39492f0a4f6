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
@click.option("--method", default="hybrid", show_default=True, type=click.Choice(list(METHODS)),
              help="How new rows are made (tokforge.transplant.registry.METHODS).")
@click.option("--donor", default=None, help="Model that already speaks the new tokenizer (needed by omp).")
@click.option("--eval", "eval_spec", default=None,
              help="Evaluation text: flores200:DIR, a text file, a folder of LANG.txt, or 'none' (default: FLORES devtest).")
@click.option("--langs", default=None, help="Comma-separated languages to evaluate (FLORES codes).")
@click.option("--limit", default=40, show_default=True, type=click.IntRange(1),
              help="Sentences/lines per language to evaluate.")
@click.option("--option", "opts", multiple=True, metavar="NAME=VALUE",
              help="Method option, repeatable; unknown names are an error (hybrid: w, k, temperature, threshold...).")
@click.option("--hypernet", "hypernet_dir", default=None, type=click.Path(),
              help="Trained hypernetwork folder (tokforge hypernet train), for --method hypernet.")
@click.option("--device", default="cpu", show_default=True, type=click.Choice(list(DEVICES)))
@click.option("--seed", default=0, show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing --out directory.")
def command(model, new, out, method, donor, eval_spec, langs, limit, opts, hypernet_dir, device, seed, force):
    """Rewrite MODEL's embeddings for the tokenizer NEW; save to OUT with transplant_report.json."""
    from tokforge.errors import InputError
    from tokforge.transplant.api import transplant
    from tokforge.transplant.options import from_pairs

    from ._common import parse_langs, print_comparison

    options = from_pairs(opts)
    if hypernet_dir is not None:
        if method != "hypernet":
            raise InputError("--hypernet only applies to the hypernet method", where=f"--method {method}",
                             fix="add --method hypernet")
        options["hypernet"] = hypernet_dir
    evaluate = (eval_spec or "").lower() != "none"
    _, report = transplant(model, new, method=method, donor=donor, eval_spec=eval_spec if evaluate else None,
                           eval_langs=parse_langs(langs), eval_limit=limit, evaluate=evaluate,
                           device=device, options=options, seed=seed, out=out, force=force)
    p = report["plan"]["input"]
    click.echo(f"{report['method']}: {report['plan']['n_old']:,} -> {report['plan']['n_new']:,} rows; "
               + ", ".join(f"{k.lower()}={v:,}" for k, v in p["sources"].items()))
    ev = report["evaluation"]
    if "comparison" in ev:
        print_comparison(ev["comparison"], ev["texts"])
    else:
        click.echo(f"evaluation: {ev['skipped']}")
    click.echo(f"saved {out} (report: {out}/transplant_report.json)")
