"""``tokforge`` entry point. Every module in ``cli/commands`` that defines ``command`` (a click
command or group) is a subcommand: adding a command is a one-file change.

Errors from the library (`TokforgeError`) print as one ``error:`` line and exit with code 2, with the
library's parameter names written as the command's flags (`errors.to_flags`); ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from tokforge import __version__
from tokforge.errors import TokforgeError

from . import commands
from .errors import command_of, to_flags


class _Root(click.Group):
    def list_commands(self, ctx):
        return sorted(discover())

    def get_command(self, ctx, name):
        return discover().get(name)


_CACHE: dict | None = None


def discover() -> dict:
    """Subcommands by name, from the modules of ``tokforge_cli.commands`` (the cli/ folder)."""
    global _CACHE
    if _CACHE is None:
        found = {}
        for info in pkgutil.iter_modules(commands.__path__):
            mod = importlib.import_module(f"{commands.__name__}.{info.name}")
            cmd = getattr(mod, "command", None)
            if isinstance(cmd, click.Command):
                found[cmd.name] = cmd
        _CACHE = found
    return _CACHE


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
@click.version_option(__version__, prog_name="tokforge")
@click.pass_context
def app(ctx, debug):
    """tokforge: tokenizer engineering on one byte-level vocabulary."""
    ctx.obj = {"debug": debug}


def main(argv=None) -> int:
    args = list(argv if argv is not None else sys.argv[1:])
    debug = "--debug" in args
    try:
        app.main(args=args, prog_name="tokforge", standalone_mode=False)
    except TokforgeError as e:
        if debug:
            raise
        click.echo(f"error: {to_flags(str(e), command_of(app, args))}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as e:
        e.show()
        return 2
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
