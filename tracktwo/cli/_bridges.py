"""``tracktwo bridges ...``: the registry of actors and ties, and its scorecard."""

from __future__ import annotations

from typing import Annotated

import typer

from tracktwo.bridges import Registry
from tracktwo.cli._app import app, state

bridges_app = typer.Typer(help="The registry of actors and ties between two countries.")
app.add_typer(bridges_app, name="bridges")


@bridges_app.callback()
def _bridges(
    db: Annotated[
        str | None,
        typer.Option(help="Database URL, e.g. postgresql+psycopg://user@host/db "
                          "(default $TRACKTWO_DB, else a SQLite file in the data directory)."),
    ] = None,
) -> None:  # fmt: skip
    state.db = db


def open_registry() -> Registry:
    """The registry the command line points at (--db, $TRACKTWO_DB or the data directory)."""
    return Registry(state.db, home=state.home)
