"""``tokforge stochastok FILE --tokenizer T --p 0.1``: expand a token file or a text file.

Input formats (by extension): ``.jsonl`` one JSON list of ids per line (or an object with an
``input_ids`` list); ``.npy`` a 1-D integer array (one sequence); anything else is UTF-8 text,
one document per non-empty line (``--whole`` for the whole file as one document). Output: JSONL,
one list of ids per document, to ``--out`` (written atomically) or stdout.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..options import examples, format_option, quiet, verbose_option


def read_input(path: Path, whole: bool) -> tuple[str, list]:
    """("ids", sequences) from a .jsonl/.npy token file or ("text", documents) from a text file.

    Everything about the file is checked here, before any tokenizer or split table is built."""
    from tokforge.errors import InputError
    from tokforge.io import read_text

    if path.stat().st_size == 0:
        raise InputError("input file is empty", where=str(path))
    if path.suffix in (".npy", ".jsonl"):
        seqs = read_sequences(path, None, whole)
        if not seqs:
            raise InputError("input file holds no sequences (only blank lines)", where=str(path))
        return "ids", seqs
    text = read_text(path)
    docs = [text] if whole else [ln for ln in text.splitlines() if ln.strip()]
    if not docs or not any(d.strip() for d in docs):
        raise InputError("input file is empty (only whitespace)", where=str(path))
    return "text", docs


def read_sequences(path: Path, tok, whole: bool) -> list[list[int]]:
    """Token-id sequences from a .jsonl/.npy token file or a text file."""
    from tokforge.errors import InputError
    from tokforge.io import read_text

    if path.suffix == ".npy":
        import numpy as np

        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read .npy file ({e.__class__.__name__})", where=str(path)) from None
        if arr.ndim != 1:
            raise InputError(f"expected a 1-D array of token ids, got shape {arr.shape}", where=str(path))
        return [arr.tolist()]
    if path.suffix == ".jsonl":
        seqs = []
        for n, line in enumerate(read_text(path).splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                raise InputError("line is not JSON", where=f"{path}:{n}", fix="one JSON list of ids per line") from None
            ids = obj.get("input_ids") if isinstance(obj, dict) else obj
            if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise InputError(
                    "expected a list of integer token ids",
                    where=f"{path}:{n}",
                    fix='e.g. [464, 2068] or {"input_ids": [464, 2068]}',
                )
            seqs.append(ids)
        return seqs
    text = read_text(path)
    docs = [text] if whole else [ln for ln in text.splitlines() if ln.strip()]
    return tok.encode_batch(docs)


@click.command(
    "stochastok",
    epilog=examples(
        "tokforge stochastok ../shared/data/english/tinyshakespeare.txt --tokenizer gpt2 --p 0.1 --out expanded.jsonl",
        "tokforge stochastok ../shared/data/english/tinyshakespeare.txt -t smollm2-135m --p 0.3 --seed 7 --whole"
        " --out one.jsonl",
        "tokforge stochastok expanded.jsonl -t gpt2 --contract --out canonical.jsonl",
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tokenizer", "-t", required=True, help="Tokenizer: built-in name, file or folder.")
@click.option("--p", "p", type=float, default=0.1, show_default=True, help="Expected split attempts per token.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed (document i uses seed and index i).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output JSONL (default: stdout).")
@click.option("--whole", is_flag=True, help="Text input: the whole file is one document (default: one per line).")
@click.option("--contract", "do_contract", is_flag=True, help="Reverse: write canonical encodings instead.")
@format_option
@verbose_option
def command(file, tokenizer, p, seed, out, whole, do_contract, fmt, verbose):
    """Expand FILE (token .jsonl/.npy or text) with StochasTok; the decoded text never changes."""
    from tokforge import load_tokenizer
    from tokforge.io import atomic_write_text
    from tokforge.stochastok.core import StochasTok, check_p

    quiet(verbose)
    check_p(p)
    kind, data = read_input(file, whole)  # the input first: cheap, before the split table is built
    tok = load_tokenizer(tokenizer, format=fmt)
    seqs = data if kind == "ids" else tok.encode_batch(data)
    st = StochasTok(tok, p=p, seed=seed, progress=True)
    new = [st.contract(s) for s in seqs] if do_contract else st.expand_batch(seqs, seed=seed)
    body = "".join(json.dumps(s) + "\n" for s in new)
    if out is None:
        click.echo(body, nl=False)
    else:
        atomic_write_text(out, body)
    n_in, n_out = sum(map(len, seqs)), sum(map(len, new))
    change = (n_out - n_in) / max(n_in, 1)
    click.echo(
        f"{len(seqs)} sequences, {n_in:,} -> {n_out:,} tokens ({change:+.1%}) with {tok.name}, p={p}, "
        f"seed={seed}" + (f" -> {out}" if out else ""),
        err=True,
    )
