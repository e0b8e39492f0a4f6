"""Library errors speak Python (``pass donor=MODEL``); on the command line they should speak flags
(``pass --donor MODEL``). `to_flags` rewrites the parameter names of the command that ran into its
options, using click's own table of the command's parameters, so each mapping is written once.

Rules, for a name that is a parameter of the command: ``name=True`` -> ``--flag``; ``name=False`` ->
its ``--no-flag`` form when it has one; ``name=VALUE`` -> ``--flag VALUE``; a positional argument
``name=VALUE`` -> ``NAME VALUE``; ``SomeConfig(a=1, b=2)`` -> ``--a 1 --b 2`` when every name inside
is a parameter. Names that are not parameters of the command are left as they are. A command whose
library call names a parameter differently declares it in ``command.library_names``
(``{"eval_texts": "eval_spec"}``: library name -> click parameter name).

>>> cmd = click.Command("x", params=[click.Option(["--donor"]), click.Option(["--resume/--no-resume"])])
>>> to_flags("method omp needs a donor (pass donor=MODEL, or resume=True)", cmd)
'method omp needs a donor (pass --donor MODEL, or --resume)'
>>> to_flags("set HealConfig(select_every=K) and copies=3", cmd)
'set HealConfig(select_every=K) and copies=3'
"""

from __future__ import annotations

import re

import click

_ASSIGN = re.compile(r"(?<![\w.-])([a-z][a-z0-9_]*)=([^\s,;()]+)")
_CONFIG = re.compile(r"\b[A-Z]\w*Config\(([^()]*)\)")


def _flag(param: click.Parameter, value: str) -> str | None:
    value = value.strip("\"'")
    if isinstance(param, click.Argument):
        return f"{param.human_readable_name} {value}"
    longs = [o for o in param.opts if o.startswith("--")] or list(param.opts)
    if not longs:
        return None
    if getattr(param, "is_flag", False):
        if value == "True":
            return longs[0]
        if value == "False":
            return next(iter(param.secondary_opts), None)
        return None
    return f"{longs[0]} {value}"


def to_flags(message: str, command: click.Command | None) -> str:
    """``message`` with the parameter names of ``command`` written as its flags (see the module doc)."""
    if command is None:
        return message
    params = {p.name: p for p in command.params if p.name}
    for lib, name in getattr(command, "library_names", {}).items():
        if name in params:
            params.setdefault(lib, params[name])

    def one(m: re.Match) -> str:
        p = params.get(m.group(1))
        flag = _flag(p, m.group(2)) if p is not None else None
        return flag if flag is not None else m.group(0)

    def config(m: re.Match) -> str:
        parts = [s.strip() for s in m.group(1).split(",") if s.strip()]
        if not parts or not all(_ASSIGN.fullmatch(s) and s.split("=")[0] in params for s in parts):
            return m.group(0)
        return " ".join(_ASSIGN.sub(one, s) for s in parts)

    return _ASSIGN.sub(one, _CONFIG.sub(config, message))


def command_of(root: click.Group, argv: list[str]) -> click.Command | None:
    """The (sub)command that ``argv`` invokes under ``root`` (the last group name that matches)."""
    cmd: click.Command = root
    ctx = click.Context(root)
    for arg in argv:
        if arg.startswith("-") or not isinstance(cmd, click.Group):
            continue
        sub = cmd.get_command(ctx, arg)
        if sub is None:
            break
        cmd = sub
    return None if cmd is root else cmd
