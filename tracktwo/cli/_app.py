"""The ``tracktwo`` command: global options, sub-commands, and the one error handler."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer
from rich.markup import escape

from tracktwo._errors import TrackTwoError
from tracktwo.cli._output import err_console

__all__ = ["app", "main", "state"]

app = typer.Typer(
    name="tracktwo",
    help="Measure, map and mend the ties between two countries outside government.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # --install-completion / --show-completion for bash, zsh, fish and PowerShell
    add_completion=True,
)


class _State:
    home: str | None = None
    debug: bool = False
    taxonomy: str | None = None
    # set by ``bridges --db``/``report --db``; reset by every invocation (below), so a second
    # command in the same process (tests, a notebook) never inherits the first one's database
    db: str | None = None


state = _State()


def _installed_version() -> str:
    """The version of the installed package (pyproject's), not a copy kept in the code."""
    try:
        return version("tracktwo")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"tracktwo {_installed_version()}")
        raise typer.Exit()


@app.callback()
def _global(
    home: Annotated[
        str | None,
        typer.Option(help="Data directory (default $TRACKTWO_HOME or ./tracktwo-data)."),
    ] = None,
    taxonomy: Annotated[
        str | None,
        typer.Option(help="Folder with your own tracks.toml / areas.toml (or $TRACKTWO_TAXONOMY)."),
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show full tracebacks on errors.")] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    state.home = home
    state.db = None
    state.debug = debug
    state.taxonomy = taxonomy


def main() -> None:
    """Entry point: run the app; turn tracktwo's errors into one readable line.

    Usage errors (a missing argument, ``--format xml``, a bad date) are click's: typer runs in
    standalone mode, so it shows the command's usage and exits 2 itself. typer 0.29 raises the
    click classes of its own copy (``typer._click``), not those of an installed ``click``, which
    is why this code does not try to recognise them."""
    debug = "--debug" in sys.argv
    try:
        app(prog_name="tracktwo")
    except TrackTwoError as exc:
        if debug:
            raise
        # the message may quote a user's data ("[link=...]" in a name): never read it as markup
        err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        sys.exit(130)
    except Exception as exc:  # a bug: say so, in one line unless --debug
        if debug:
            raise
        err_console.print(
            f"[bold red]Unexpected error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            "Run again with --debug for the traceback, and please report it.",
            highlight=False,
        )
        sys.exit(1)
