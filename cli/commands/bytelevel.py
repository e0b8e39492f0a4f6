"""``tokforge bytelevel next|score|generate``: exact byte-level probabilities from a causal LM."""

from __future__ import annotations

import json
import math

import click

from tokforge.bytelevel import MODES

from ..options import quiet, verbose_option

MODELS_HELP = "Built-in causal LM name (smollm2-135m, gemma3-270m) or an HF model folder (repeat to ensemble)."


def _text(s: str) -> bytes:
    """Command-line text -> bytes; ``\\n``, ``\\t`` and ``\\xNN`` escapes allowed (for cut characters)."""
    return s.encode("utf-8").decode("unicode_escape").encode("latin-1") if "\\" in s else s.encode("utf-8")


def _load(names, device: str, mode: str, verbose: bool = False):
    quiet(verbose)
    from tokforge.bytelevel.bytelm import ByteLM
    from tokforge.bytelevel.ensemble import Ensemble

    lms = [ByteLM.from_pretrained(n, device=device, name=n) for n in names]
    return lms[0] if len(lms) == 1 else Ensemble(lms, mode=mode)


_model_opts = [
    click.option(
        "--model", "-m", "names", multiple=True, default=["smollm2-135m"], show_default=True, help=MODELS_HELP
    ),
    click.option(
        "--mode",
        type=click.Choice(MODES),
        default="mixture",
        show_default=True,
        help="How several --model are combined per byte (bayes: posterior weights; switch: fixed share).",
    ),
    click.option("--device", default="cpu", show_default=True),
    verbose_option,
]


def _with_models(f):
    for opt in reversed(_model_opts):
        f = opt(f)
    return f


@click.group("bytelevel")
def command():
    """Next-byte distributions, byte-level scores and generation (prompts may end mid-token)."""


@command.command("next")
@click.argument("prefix")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 257))
@_with_models
def next_cmd(prefix, top, names, mode, device, verbose):
    """Most likely next bytes after PREFIX (escapes like \\xc3 allowed)."""
    lm = _load(names, device, mode, verbose)
    lp = lm.next_byte_logprobs(_text(prefix))
    vals, idx = lp.topk(top)
    for v, i in zip(vals.tolist(), idx.tolist()):
        label = "<end>" if i == 256 else repr(bytes([i]))
        click.echo(f"{label:>8}  {math.exp(v):.4f}")


@command.command("score")
@click.argument("text")
@click.option("--end/--no-end", default=True, show_default=True, help="Include the end-of-text probability.")
@_with_models
def score_cmd(text, end, names, mode, device, verbose):
    """Byte-level log-probability and bits per byte of TEXT (JSON)."""
    lm = _load(names, device, mode, verbose)
    data = _text(text)
    lp = lm.logprob(data, end=end)
    out = {"bytes": len(data), "logprob": lp, "bits_per_byte": -lp / max(1, len(data)) / math.log(2)}
    if hasattr(lm, "token_logprob"):
        out["token_level_logprob"] = lm.token_logprob(data, end=end)
    click.echo(json.dumps(out, indent=2))


@command.command("generate")
@click.argument("prompt")
@click.option("--max-bytes", default=48, show_default=True, type=click.IntRange(0))
@click.option("--temperature", default=1.0, show_default=True, type=float)
@click.option("--top-p", default=1.0, show_default=True, type=float)
@click.option("--seed", default=0, show_default=True, type=int)
@_with_models
def generate_cmd(prompt, max_bytes, temperature, top_p, seed, names, mode, device, verbose):
    """Continue PROMPT (it may end inside a token or a character)."""
    lm = _load(names, device, mode, verbose)
    out = lm.generate(_text(prompt), max_bytes=max_bytes, temperature=temperature, top_p=top_p, seed=seed)
    click.echo(out.decode("utf-8", errors="replace"))
