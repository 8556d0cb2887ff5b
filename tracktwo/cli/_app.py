"""The ``tracktwo`` command: global options, sub-commands, and the one error handler."""

from __future__ import annotations

import sys
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
    add_completion=False,
)


class _State:
    home: str | None = None
    debug: bool = False
    taxonomy: str | None = None
    # set by ``bridges --db``/``report --db``; reset by every invocation (below), so a second
    # command in the same process (tests, a notebook) never inherits the first one's database
    db: str | None = None


state = _State()


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
) -> None:
    state.home = home
    state.db = None
    state.debug = debug
    state.taxonomy = taxonomy


def main() -> None:
    """Entry point: run the app; turn tracktwo's errors into one readable line."""
    debug = "--debug" in sys.argv
    try:
        # without standalone mode click returns the exit code of typer.Exit instead of exiting
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except TrackTwoError as exc:
        if debug:
            raise
        # the message may quote a user's data ("[link=...]" in a name): never read it as markup
        err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code or 0)
    except typer.Abort:
        err_console.print("Aborted.")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if debug:
            raise
        err_console.print(
            f"[bold red]Unexpected error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            "Run again with --debug for the traceback, and please report it.",
            highlight=False,
        )
        sys.exit(1)
