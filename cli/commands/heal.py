"""``tokforge heal DIR --corpus SPEC --out OUT``: self-distil a transplanted model from its original."""

from __future__ import annotations

import click

from tokforge.devices import DEVICES
from tokforge.heal.config import CALIBRATE_BY, DEFAULT_STEPS, DIVERGENCES, ROW_MODES, SCHEDULES, TRAIN_MODES, HealConfig

from ..options import marginal_option, quiet, verbose_option

DEFAULTS = HealConfig()  # the library's defaults are the command's (chosen by the heal benches)

EXAMPLES = """
\b
Examples:
  tokforge heal smollm2-gemma --corpus flores200:../shared/data/flores200 --langs eng_Latn --out healed --steps 100
  tokforge heal smollm2-gemma --corpus notes.txt --select notes-dev.txt --out healed --minutes 30 --calibrator
  accelerate launch --multi_gpu --num_processes 2 -m tokforge heal smollm2-gemma --corpus notes.txt --out healed
"""


SELECT_EVERY = 6  # steps between selection scores when --select is given (the heal bench's goal runs)


def select_every_of(given: int | None, has_select: bool) -> int:
    """``--select-every``, defaulting to `SELECT_EVERY` with a selection text and to 0 without one.

    >>> select_every_of(None, True), select_every_of(None, False), select_every_of(2, True)
    (6, 0, 2)
    """
    if given is not None:
        return given
    return SELECT_EVERY if has_select else 0


@click.command("heal", epilog=EXAMPLES)
@click.argument("student", type=click.Path(exists=True, file_okay=False))
@click.option("--teacher", default=None, help="The original model (default: the one in DIR/transplant_report.json).")
@click.option(
    "--corpus",
    "texts",
    multiple=True,
    required=True,
    help="Training text, repeatable: a text file, a folder of LANG.txt, flores200:DIR, hf:PATH.",
)
@click.option("--langs", default=None, help="Comma-separated languages to read from the corpora.")
@click.option(
    "--split", default="dev", show_default=True, type=click.Choice(["dev", "devtest"]), help="FLORES split to train on."
)
@click.option("--text-column", default="text", show_default=True, help="Text column of an hf: corpus.")
@click.option("--lang-column", default=None, help="Language column of an hf: corpus.")
@click.option(
    "--eval",
    "eval_texts",
    default=None,
    help="Held-out evaluation text (file, folder, flores200:DIR = its devtest); default: lines held out "
    "from the corpus by hash (--heldout).",
)
@click.option("--heldout", default=0.1, show_default=True, type=click.FloatRange(0, 1, max_open=True))
@click.option(
    "--eval-limit", default=40, show_default=True, type=click.IntRange(1), help="Evaluation lines per language."
)
@marginal_option()  # HealRun's default (tests/unit/test_marginal.py checks they agree)
@click.option(
    "--select",
    "select_texts",
    default=None,
    help="Selection text (file, folder, flores200:DIR = its dev split): the run ends with the rows of its best "
    "step on it (needs --select-every); its lines are kept out of training.",
)
@click.option(
    "--select-every",
    default=None,
    type=click.IntRange(0),
    help=f"Steps between scores on --select [default: {SELECT_EVERY} with --select, else 0].",
)
@click.option(
    "--select-limit", default=25, show_default=True, type=click.IntRange(1), help="Selection lines per language."
)
@click.option("--out", required=True, type=click.Path(), help="Output HF model directory.")
@click.option(
    "--steps",
    default=None,
    type=click.IntRange(1),
    help=f"Optimiser steps [default: {DEFAULT_STEPS} unless --minutes].",
)
@click.option("--minutes", default=None, type=click.FloatRange(0, min_open=True), help="Wall-time budget for training.")
@click.option(
    "--loss",
    default="lm",
    show_default=True,
    help="lm, alm, bytes, or weighted: alm=1,lm=0.1 (lm: what every heal bench ablation chose).",
)
@click.option("--train", "train", default="embeddings", show_default=True, type=click.Choice(list(TRAIN_MODES)))
@click.option("--train-copied", is_flag=True, help="Also train rows copied by bytes from the original.")
@click.option(
    "--rows",
    default="seen",
    show_default=True,
    type=click.Choice(list(ROW_MODES)),
    help="Trainable rows a step updates: seen (tokens in the step's windows) or all (every row the softmax reaches).",
)
@click.option(
    "--calibrate",
    default=16,
    show_default=True,
    type=click.IntRange(0),
    help="Training windows that fit one shared shift of the rows not copied by bytes, before training (0: off).",
)
@click.option(
    "--calibrate-by",
    default="shared",
    show_default=True,
    type=click.Choice(list(CALIBRATE_BY)),
    help="One shift for all rows not copied (shared), or one per group by how many original tokens spell them.",
)
@click.option(
    "--calibrator/--no-calibrator",
    default=DEFAULTS.calibrator,
    show_default=True,
    help="Train a shared map r -> r + rW + b of the rows not copied by bytes with the rows, so rows no "
    "step shows move too; folded into the rows at the end.",
)
@click.option(
    "--calibrator-lr",
    default=DEFAULTS.calibrator_lr,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Learning rate of the calibrator's map.",
)
@click.option(
    "--lr",
    default=DEFAULTS.lr,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Learning rate of the embedding rows (the heal bench's choice for both vocabularies).",
)
@click.option(
    "--schedule",
    default="linear",
    show_default=True,
    type=click.Choice(list(SCHEDULES)),
    help="Learning rate after warm-up: linear to zero at the end of --steps/--minutes, rsqrt, or constant.",
)
@click.option("--batch-size", default=8, show_default=True, type=click.IntRange(1), help="Windows per step.")
@click.option("--seq-bytes", default=512, show_default=True, type=click.IntRange(16), help="Bytes per window.")
@click.option("--divergence", default="binary_kl", show_default=True, type=click.Choice(list(DIVERGENCES)))
@click.option(
    "--tau",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="ALM binarisation temperature.",
)
@click.option("--save-every", default=50, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--device",
    default="auto",
    show_default=True,
    type=click.Choice(list(DEVICES)),
    help="auto: cuda when available (one process per GPU under accelerate launch), else cpu.",
)
@click.option("--precision", default="auto", show_default=True, type=click.Choice(["auto", "bf16", "fp32"]))
@click.option("--resume", is_flag=True, help="Continue the unfinished run in --out.")
@click.option("--force", is_flag=True, help="Replace an existing --out directory.")
@verbose_option
def command(student, teacher, texts, langs, split, text_column, lang_column, eval_texts, select_texts, **settings):
    """Heal STUDENT (a folder from `tokforge transplant`) by self-distillation from its original model."""
    from tokforge.corpus import parse_langs
    from tokforge.heal.api import HealRun, heal_model
    from tokforge.heal.config import HealConfig
    from tokforge.heal.data import Source, read_texts

    from ._common import print_heal

    quiet(settings.pop("verbose"))
    run = {k: settings.pop(k) for k in ("out", "device", "resume", "force")}
    marginal = settings.pop("marginal")
    settings["select_every"] = select_every_of(settings["select_every"], select_texts is not None)
    cfg = HealConfig(**settings)  # --steps with --minutes: a one-line error before anything loads
    lang_list = parse_langs(langs)
    sources = [Source(c, tuple(lang_list) if lang_list else None, split, text_column, lang_column) for c in texts]
    meta = {}
    if eval_texts is not None:
        eval_texts, meta["eval_source"] = read_texts(eval_texts, "devtest", lang_list, cfg.eval_limit)
    if select_texts is not None:  # FLORES: its dev split (the training split by default: these lines leave it)
        spec = select_texts
        select_texts, _ = read_texts(spec, "dev", lang_list, cfg.select_limit)
        meta["select_source"] = f"{spec} (dev, first {cfg.select_limit} per language)"
    result = heal_model(
        student,
        sources,
        teacher=teacher,
        config=cfg,
        eval_texts=eval_texts,
        select_texts=select_texts,
        run=HealRun(meta=meta, marginal=marginal),
        **run,
    )
    if result.report:  # the main process of a multi-process run
        print_heal(result.report)
        click.echo(f"saved {run['out']} (report: {run['out']}/heal_report.json)")
