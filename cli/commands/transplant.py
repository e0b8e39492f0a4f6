"""``tokforge transplant MODEL --tokenizer NEW --out DIR``: give a model a new tokenizer."""

from __future__ import annotations

import click


def _options(pairs: tuple[str, ...]) -> dict:
    from tokforge.errors import InputError

    out = {}
    for p in pairs:
        if "=" not in p:
            raise InputError("method option must look like NAME=VALUE", where=p, fix="e.g. --option k=3")
        k, v = p.split("=", 1)
        try:
            out[k] = float(v) if any(c in v for c in ".e") else int(v)
        except ValueError:
            out[k] = v
    return out


@click.command("transplant")
@click.argument("model")
@click.option("--tokenizer", "new", required=True, help="New tokenizer: file, folder, or built-in name.")
@click.option("--out", required=True, type=click.Path(), help="Output HF model directory.")
@click.option("--method", default="hybrid", show_default=True, help="Plan builder (tokforge.transplant.registry.METHODS).")
@click.option("--donor", default=None, help="Model that already speaks the new tokenizer (needed by omp).")
@click.option("--eval", "eval_spec", default=None,
              help="Evaluation text: flores200:DIR, a text file, a folder of LANG.txt, or 'none' (default: FLORES devtest).")
@click.option("--langs", default=None, help="Comma-separated languages to evaluate (FLORES codes).")
@click.option("--limit", default=40, show_default=True, help="Sentences/lines per language to evaluate.")
@click.option("--option", "opts", multiple=True, help="Method option NAME=VALUE (w, k, temperature, threshold...).")
@click.option("--hypernet", "hypernet_dir", default=None, type=click.Path(),
              help="Trained hypernetwork folder (tokforge hypernet train), for --method hypernet.")
@click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"]))
@click.option("--seed", default=0, show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing --out directory.")
def command(model, new, out, method, donor, eval_spec, langs, limit, opts, hypernet_dir, device, seed, force):
    """Rewrite MODEL's embeddings for the tokenizer NEW; save to OUT with transplant_report.json."""
    from rich.console import Console
    from rich.table import Table

    from tokforge.errors import InputError
    from tokforge.transplant.api import transplant

    options = _options(opts)
    if hypernet_dir is not None:
        if method != "hypernet":
            raise InputError("--hypernet only applies to the hypernet method", where=f"--method {method}",
                             fix="add --method hypernet")
        options["hypernet"] = hypernet_dir

    evaluate = (eval_spec or "").lower() != "none"
    _, report = transplant(model, new, method=method, donor=donor, eval_spec=eval_spec if evaluate else None,
                           eval_langs=langs.split(",") if langs else None, eval_limit=limit, evaluate=evaluate,
                           device=device, options=options, seed=seed, out=out, force=force)
    con = Console()
    p = report["plan"]["input"]
    con.print(f"[bold]{report['method']}[/]: {report['plan']['n_old']:,} -> {report['plan']['n_new']:,} rows; "
              + ", ".join(f"{k.lower()}={v:,}" for k, v in p["sources"].items()))
    ev = report["evaluation"]
    if ev:
        t = Table("language", "bits/byte original", "bits/byte new", "ratio", "tokens/byte old", "tokens/byte new",
                  "next-byte top-1 agreement")
        for lang, r in ev["comparison"].items():
            t.add_row("mean of languages" if lang == "mean" else lang, f"{r['bpb_original']:.4f}", f"{r['bpb_new']:.4f}", f"{r['bpb_ratio']:.3f}",
                      f"{r['tokens_per_byte_original']:.4f}", f"{r['tokens_per_byte_new']:.4f}",
                      f"{r['next_byte_agreement']:.3f}" if "next_byte_agreement" in r else "-")
        con.print(t)
    click.echo(f"saved {out} (report: {out}/transplant_report.json)")
