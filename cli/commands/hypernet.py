"""``tokforge hypernet train|info``: a ZeTT-style hypernetwork that predicts embeddings for any tokenizer.

Apply a trained one with ``tokforge transplant MODEL --tokenizer NEW --method hypernet --hypernet DIR``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from tokforge.corpus import SPLITS

from ..options import examples, quiet, verbose_option

DEVICES = ("auto", "cpu", "cuda")  # cuda:N is accepted too (a device index)


class Device(click.ParamType):
    """One of DEVICES or cuda:N, listed in --help like a choice."""

    name = "device"

    def get_metavar(self, param, ctx=None):
        return "[" + "|".join(DEVICES) + "|cuda:N]"

    def convert(self, value, param, ctx):
        v = str(value)
        if v in DEVICES or (v.startswith("cuda:") and v[5:].isdigit()):
            return v
        self.fail(f"{v!r} is not one of {', '.join(DEVICES)}, cuda:N", param, ctx)


@click.group(
    "hypernet",
    epilog=examples(
        "tokforge hypernet train smollm2-135m --corpus flores200:../shared/data/flores200 --langs eng_Latn --out hn",
        "tokforge hypernet info hn",
        "tokforge transplant smollm2-135m --tokenizer gemma3-270m --method hypernet --hypernet hn --out moved",
    ),
)
def command():
    """Train and inspect embedding hypernetworks (zero-shot tokenizer transfer)."""


@command.command(
    "train",
    epilog=examples(
        "tokforge hypernet train smollm2-135m --corpus flores200:../shared/data/flores200 --langs eng_Latn,fra_Latn "
        "--out hn --steps 50",
        "tokforge hypernet train smollm2-135m --corpus ../shared/data/english/tinyshakespeare.txt --out hn2"
        " --recon-steps 200 --steps 0",
        "tokforge hypernet train smollm2-135m --corpus ../shared/data/english/tinyshakespeare.txt --out hn2"
        " --resume --steps 20 --device cpu",
    ),
)
@click.argument("model")
@click.option(
    "--corpus",
    "texts",
    required=True,
    help="Training text: a text file, a folder of LANG.txt, or flores200:DIR (its --split).",
)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the hypernetwork.")
@click.option("--steps", default=300, show_default=True, type=click.IntRange(0), help="LM (ZeTT) steps.")
@click.option("--device", default="auto", show_default=True, type=Device(), help="Where to train.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(1))
@click.option("--seq-len", default=64, show_default=True, type=click.IntRange(2))
@click.option("--lr", default=1e-3, show_default=True, type=float)
@click.option(
    "--negatives",
    default=1024,
    show_default=True,
    type=click.IntRange(0),
    help="Extra vocabulary rows per step besides the batch's tokens (softmax over both).",
)
@click.option("--aux-weight", default=0.1, show_default=True, type=float)
@click.option("--hidden", default=256, show_default=True, type=click.IntRange(1))
@click.option("--layers", default=2, show_default=True, type=click.IntRange(1))
@click.option("--heads", default=4, show_default=True, type=click.IntRange(1))
@click.option(
    "--max-len", default=8, show_default=True, type=click.IntRange(1), help="Pieces the network reads per token."
)
@click.option("--min-vocab", default=8000, show_default=True, type=int, help="Smallest sampled vocabulary.")
@click.option("--max-vocab", default=32000, show_default=True, type=int, help="Largest sampled vocabulary.")
@click.option(
    "--split",
    default="dev",
    show_default=True,
    type=click.Choice(list(SPLITS)),
    help="FLORES split for flores200:DIR corpora.",
)
@click.option("--langs", default=None, help="Comma-separated languages of the corpus to use (default: all).")
@click.option(
    "--recon-steps",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Warm-up steps rebuilding original rows from their parts (no LM forward; cheap on CPU).",
)
@click.option("--save-every", default=50, show_default=True, type=click.IntRange(1))
@click.option("--resume", is_flag=True, help="Continue from --out/checkpoint.pt.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out.")
@verbose_option
def train(
    model,
    texts,
    out,
    steps,
    device,
    seed,
    batch_size,
    seq_len,
    lr,
    negatives,
    aux_weight,
    hidden,
    layers,
    heads,
    max_len,
    min_vocab,
    max_vocab,
    split,
    langs,
    recon_steps,
    save_every,
    resume,
    force,
    verbose,
):
    """Train a hypernetwork for MODEL (a built-in causal LM name or an HF folder), base model frozen."""
    from tokforge.errors import InputError
    from tokforge.transplant.hypernet.api import train_hypernet
    from tokforge.transplant.hypernet.config import CHECKPOINT, HypernetConfig

    quiet(verbose)
    config = HypernetConfig(
        steps=steps,
        batch_size=batch_size,
        seq_len=seq_len,
        lr=lr,
        negatives=negatives,
        aux_weight=aux_weight,
        save_every=save_every,
        seed=seed,
        recon_steps=recon_steps,
        hidden=hidden,
        layers=layers,
        heads=heads,
        max_len=max_len,
        min_vocab=min_vocab,
        max_vocab=max_vocab,
    )
    if resume and not (Path(out) / CHECKPOINT).is_file():
        raise InputError("--resume: no checkpoint.pt in the output folder", where=str(out), fix="drop --resume")
    result = train_hypernet(
        model, _read_texts(texts, split, langs), config=config, out=out, resume=resume, force=force, device=device
    )
    click.echo(f"hypernetwork for {result.report['base']['name']} saved to {result.path}")


def _read_texts(spec: str, split: str, langs) -> list[str]:
    """The training texts of ``--corpus`` (only ``--langs``, each of which must be present)."""
    from tokforge import corpus
    from tokforge.errors import InputError

    want = corpus.parse_langs(langs)
    by_lang = corpus.read_corpus(spec, split=split, langs=want)
    missing = [x for x in want or [] if x not in by_lang]
    if missing:
        raise InputError(
            "the corpus has no text for requested language(s)",
            where=", ".join(missing),
            fix="languages present: " + ", ".join(list(by_lang)[:12]),
        )
    texts = [t for lines in by_lang.values() for t in lines]
    if not any(t.strip() for t in texts):
        raise InputError("the training corpus is empty", where=spec)
    return texts


@command.command("info", epilog=examples("tokforge hypernet info hn"))
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def info(path):
    """Show a trained hypernetwork's sizes, base model identity and last training step."""
    from tokforge.transplant.hypernet.io import read_config

    cfg = read_config(path)
    last = cfg.get("training", {}).get("final", {})
    click.echo(
        json.dumps(
            {
                "hypernet": cfg["hypernet"],
                "base": cfg["base"],
                "steps": cfg.get("training", {}).get("steps"),
                "final_step": last,
            },
            indent=2,
        )
    )
