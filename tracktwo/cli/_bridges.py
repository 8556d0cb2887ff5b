"""``tracktwo bridges ...``: the registry of actors and ties, and its scorecard."""

from __future__ import annotations

import typer

from tracktwo.cli._app import app
from tracktwo.cli._common import DbOption, use_db

bridges_app = typer.Typer(help="The registry of actors and ties between two countries.")
app.add_typer(bridges_app, name="bridges")


@bridges_app.callback()
def _bridges(db: DbOption = None) -> None:
    use_db(db)
